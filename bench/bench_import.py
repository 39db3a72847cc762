"""Import throughput: persons through `kirok import` (sealed, indexed, audited) against plain
unencrypted inserts of the same rows measured in the same run, on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_import.py --rows 100000
    .venv/bin/python bench/bench_import.py --rows 2000 --backend sqlite

The baseline writes the same rows as plain JSON into a bare table with one executemany in one
transaction: what the hardware gives with no encryption, no search index, no versions, no audit.
The ratio is what kirok's guarantees cost. Prints rows/s for both and the ratio; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from kirok.services.context import Settings, initialise
from kirok.services.io.importing import import_file
from kirok.services.io.mapping import parse_mapping

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
MAPPING = parse_mapping(
    {
        "source": "bench",
        "columns": {
            "Case No": "external_id",
            "이름": {"field": "name_forms", "script": "hangul", "system": "none"},
            "Name": {"field": "name_forms", "script": "latin", "system": "mr"},
            "Sex": {"field": "sex", "vocab": "sex"},
            "Born": "birth_date",
            "Aliases": "aliases",
        },
    },
    "person",
)
SURNAMES = [("김", "Kim"), ("이", "Ri"), ("박", "Pak"), ("최", "Choe"), ("정", "Chong")]
GIVEN = [("철수", "Chol-su"), ("영희", "Yong-hui"), ("명호", "Myong-ho"), ("은정", "Un-jong")]


def write_file(path: Path, rows: int) -> list[dict[str, str]]:
    records = []
    lines = ["Case No,이름,Name,Sex,Born,Aliases"]
    for i in range(rows):
        family, given = SURNAMES[i % len(SURNAMES)], GIVEN[(i // 5) % len(GIVEN)]
        sex = "Male" if i % 2 else "여성"
        row = [f"B-{i:07d}", family[0] + given[0], f"{family[1]} {given[1]}", sex,
               f"19{40 + i % 60}", f"alias {i}"]  # fmt: skip
        lines.append(",".join(row))
        records.append(dict(zip(lines[0].split(","), row, strict=True)))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return records


def baseline(url: str, records: list[dict[str, str]]) -> float:
    engine = sa.create_engine(url)
    table = sa.Table(
        "bench_plain",
        sa.MetaData(),
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("data", sa.Text, nullable=False),
    )
    try:
        table.metadata.create_all(engine)
        started = time.perf_counter()
        with engine.begin() as connection:
            connection.execute(
                sa.insert(table),
                [{"id": uuid.uuid4().hex, "data": json.dumps(r)} for r in records],
            )
        return len(records) / (time.perf_counter() - started)
    finally:
        engine.dispose()


def kirok_import(url: str, root: Path, data: Path, rows: int, batch: int | None) -> float:
    settings = Settings(db_url=url, keystore=root / "keys.json", key_file=root / "kirok.key")
    with initialise(settings) as store:
        started = time.perf_counter()
        report = import_file(store, data, MAPPING, "bench", batch=batch)
        elapsed = time.perf_counter() - started
    assert report.created == rows, report
    return rows / elapsed


def run(backend: str, rows: int, batch: int | None) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        data = root / "persons.csv"
        records = write_file(data, rows)
        if backend == "sqlite":
            kirok_url, plain_url = f"sqlite:///{root / 'k.db'}", f"sqlite:///{root / 'p.db'}"
            names: list[str] = []
        else:
            names = [f"kirok_bench_{uuid.uuid4().hex[:8]}" for _ in range(2)]
            admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                for name in names:
                    connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
            kirok_url, plain_url = (PG_ADMIN.rsplit("/", 1)[0] + "/" + n for n in names)
        try:
            plain = baseline(plain_url, records)
            kirok = kirok_import(kirok_url, root, data, rows, batch)
        finally:
            if names:
                with admin.connect() as connection:
                    for name in names:
                        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                admin.dispose()
    sys.stdout.write(
        f"{backend:8s} rows={rows:>7d}  plain inserts {plain:>10,.0f} rows/s  "
        f"kirok import (sealed, indexed, audited) {kirok:>8,.0f} rows/s  "
        f"ratio {kirok / plain:.4f}\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=None, help="checkpointed batches of N")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    for backend in ("sqlite", "postgres") if args.backend == "both" else (args.backend,):
        run(backend, args.rows, args.batch)


if __name__ == "__main__":
    main()
