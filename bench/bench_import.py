"""Import throughput: persons through `kirok import` (sealed, indexed, audited) against plain
unencrypted inserts of the same rows measured in the same run, on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_import.py --rows 100000
    .venv/bin/python bench/bench_import.py --rows 2000 --backend sqlite

The baseline writes the same rows as plain JSON into a bare table with one executemany in one
transaction: what the hardware gives with no encryption, no search index, no versions, no audit.
The ratio is what kirok's guarantees cost. The import is timed twice: a dry run (read, convert
and check every row, write nothing) and the real import of the whole file in one unit of work
(or in checkpointed batches with ``--batch``). Both report wall time and this process's CPU time;
on a busy machine wall time includes waiting for a core, and on PostgreSQL the server's work is
not in the CPU time. The target (>= 5,000 rows/s on SQLite) is about wall time; a miss is
printed, not turned into a failure. The imported database is checked afterwards: every person
stored once, sealed, indexed and findable.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

import sqlalchemy as sa
from _common import (
    Stopwatch,
    max_rss_bytes,
    mib,
    postgres_available,
    sqlite_url,
    throwaway_postgres,
)

from kirok.services.context import Settings, initialise
from kirok.services.io.importing import import_file
from kirok.services.io.mapping import parse_mapping

TARGET = 5000  # rows/s on SQLite, wall time (issue #4)
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


def baseline(url: str, records: list[dict[str, str]]) -> Stopwatch:
    engine = sa.create_engine(url)
    table = sa.Table(
        "bench_plain",
        sa.MetaData(),
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("data", sa.Text, nullable=False),
    )
    watch = Stopwatch()
    try:
        table.metadata.create_all(engine)
        with watch, engine.begin() as connection:
            connection.execute(
                sa.insert(table),
                [{"id": uuid.uuid4().hex, "data": json.dumps(r)} for r in records],
            )
        return watch
    finally:
        engine.dispose()


def kirok_import(
    url: str, root: Path, data: Path, rows: int, batch: int | None
) -> tuple[Stopwatch, Stopwatch, list[str]]:
    """(dry run, import, check lines); raises if the imported database is not what was asked."""
    settings = Settings(db_url=url, keystore=root / "keys.json", key_file=root / "kirok.key")
    dry, real = Stopwatch(), Stopwatch()
    with initialise(settings) as store:
        with dry:
            checked = import_file(store, data, MAPPING, "bench", dry_run=True)
        assert checked.rows == rows and not checked.problems, checked
        with real:
            report = import_file(store, data, MAPPING, "bench", batch=batch)
        assert report.created == rows, report
        with store.read() as uow:
            counts = uow.connection.execute(
                sa.text(
                    "SELECT count(*), count(sealed), count(DISTINCT external_id) FROM records "
                    "WHERE kind = 'person'"
                )
            ).one()
            indexed = uow.connection.execute(sa.text("SELECT count(*) FROM search_docs")).one()
            names = uow.connection.execute(
                sa.text("SELECT count(DISTINCT record_id) FROM blind_index")
            ).one()
            audited = uow.connection.execute(
                sa.text("SELECT count(*) FROM audit_log WHERE action = 'create'")
            ).one()
            if uow.connection.dialect.name == "sqlite":  # FTS5 agrees with search_docs
                uow.connection.exec_driver_sql(
                    "INSERT INTO search_fts(search_fts, rank) VALUES ('integrity-check', 1)"
                )
            found = uow.search("Chol-su alias 12", limit=rows)
            by_name = uow.find_person_by_name("김철수")
        wanted = (rows, rows, rows)
        assert tuple(counts) == wanted, f"persons, sealed, distinct external ids: {counts}"
        assert indexed[0] == names[0] == audited[0] == rows, (indexed, names, audited)
        expected_hits = sum(
            1
            for i in range(rows)
            if GIVEN[(i // 5) % len(GIVEN)][1] == "Chol-su" and "12" in str(i)
        )
        assert len(found) == expected_hits, (len(found), expected_hits)
        assert len(by_name) == sum(1 for i in range(rows) if i % 5 == 0 and (i // 5) % 4 == 0)
        size = _database_size(store.engine)
    lines = [
        f"  check: {rows:,} persons stored once, all sealed, each with a search row, name "
        f"blind indexes and an audit entry; search 'Chol-su alias 12' found {len(found):,} of "
        f"{expected_hits:,} expected; name lookup found {len(by_name):,}; database {mib(size)}"
    ]
    return dry, real, lines


def _database_size(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            pages = connection.exec_driver_sql("PRAGMA page_count").scalar_one()
            size = connection.exec_driver_sql("PRAGMA page_size").scalar_one()
            return int(pages) * int(size)
        return int(
            connection.execute(sa.text("SELECT pg_database_size(current_database())")).one()[0]
        )


def _server(url: str) -> str:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                return "SQLite " + str(
                    connection.exec_driver_sql("SELECT sqlite_version()").one()[0]
                )
            version = connection.exec_driver_sql("SHOW server_version").one()[0]
            return "PostgreSQL " + str(version).split()[0]
    finally:
        engine.dispose()


def run(backend: str, rows: int, batch: int | None) -> bool:
    """Print one backend's figures; True if the target is met (always True on PostgreSQL)."""
    with tempfile.TemporaryDirectory() as scratch, ExitStack() as stack:
        root = Path(scratch)
        data = root / "persons.csv"
        records = write_file(data, rows)
        if backend == "sqlite":
            kirok_url, plain_url = sqlite_url(root, "kirok"), sqlite_url(root, "plain")
        else:
            kirok_url = stack.enter_context(throwaway_postgres("kirok_bench_import"))
            plain_url = stack.enter_context(throwaway_postgres("kirok_bench_plain"))
        load_before = os.getloadavg()[0]
        plain = baseline(plain_url, records)
        dry, real, checks = kirok_import(kirok_url, root, data, rows, batch)
        load_after = os.getloadavg()[0]
        server = _server(kirok_url)
    how = f"batches of {batch:,}" if batch else "one unit of work"
    out = sys.stdout
    out.write(
        f"backend {backend} ({server}), {rows:,} persons, {how}, "
        f"load average {load_before:.1f} -> {load_after:.1f} on {os.cpu_count()} CPUs\n"
    )
    out.write(f"  {'step':44s} {'rows/s':>9s} {'wall s':>8s} {'cpu s':>8s} {'rows/cpu s':>11s}\n")
    for label, watch in (
        ("plain inserts (bare table, one executemany)", plain),
        ("kirok import --dry-run (read, convert, check)", dry),
        ("kirok import (sealed, indexed, audited)", real),
    ):
        out.write(
            f"  {label:44s} {watch.rate(rows):>9,.0f} {watch.seconds:>8.1f} {watch.cpu:>8.1f} "
            f"{rows / watch.cpu if watch.cpu else float('inf'):>11,.0f}\n"
        )
    for line in checks:
        out.write(line + "\n")
    out.write(f"  peak resident set size of the process so far: {mib(max_rss_bytes())}\n")
    rate = real.rate(rows)
    out.write(f"RATIO {backend} import/plain = {rate / plain.rate(rows):.4f}\n")
    if backend != "sqlite":
        out.write(f"IMPORT {backend}: {rate:,.0f} rows/s (no target; reported)\n")
        return True
    met = rate >= TARGET
    out.write(
        f"TARGET {backend}: {rate:,.0f} rows/s (target >= {TARGET:,} rows/s: "
        f"{'met' if met else 'NOT met'})\n"
    )
    return met


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=None, help="checkpointed batches of N")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args(argv)
    for backend in ("sqlite", "postgres") if args.backend == "both" else (args.backend,):
        if backend == "postgres" and not postgres_available():
            if args.backend == "both":
                sys.stdout.write("backend postgres: no server answers; skipped\n")
                continue
            sys.stderr.write("no PostgreSQL server answers (KIROK_BENCH_PG_ADMIN_URL)\n")
            return 2
        started = time.perf_counter()
        run(backend, args.rows, args.batch)
        sys.stderr.write(f"{backend}: {time.perf_counter() - started:.0f} s in all\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
