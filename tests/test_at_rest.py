"""Sensitive strings written through the store never reach the database file or tables in clear."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
import sqlalchemy as sa

from kirok.domain.records import Information, NameForm, Person, Romanization, Script
from kirok.services.context import Settings, initialise

SECRETS = [
    "김철수",  # a witness's name in Hangul
    "Kim Chŏl-su",
    "Pak Young-hee",
    "+82 10 5555 0199",
    "요덕 수용소에서 매일 밤 구타당했다",
    "beaten every night by the guard Ri Myong",
]


def _forms(text: str) -> set[str]:
    """A secret and the forms it could take in storage (case, normalisation, JSON escapes)."""
    forms = {text, text.casefold(), unicodedata.normalize("NFD", text)}
    forms |= {f.encode("unicode_escape").decode("ascii") for f in list(forms)}
    forms |= {f.encode("utf-8").hex() for f in list(forms)}
    return forms


def _write_secrets(settings: Settings) -> None:
    with initialise(settings) as store:
        with store.write("documenter") as uow:
            witness = uow.add(
                Person(
                    name_forms=[
                        NameForm(text=SECRETS[0], script=Script.HANGUL, system=Romanization.NONE),
                        NameForm(text=SECRETS[1], system=Romanization.MR),
                    ],
                    aliases=[SECRETS[2]],
                    contact=SECRETS[3],
                )
            )
            uow.add(
                Information(source_person_id=witness.id, testimony=f"{SECRETS[4]}. {SECRETS[5]}")
            )
        with store.write("documenter") as uow:
            uow.update(witness.model_copy(update={"address": "Hoeryong, Namyang-dong 14"}))
        with store.read() as uow:  # the secrets do come back to an authorised reader
            found = uow.search("구타당했다")
            assert len(found) == 1 and SECRETS[5] in (found[0].testimony or "")  # type: ignore[attr-defined]


def _assert_absent(blob: str, where: str) -> None:
    for secret in [*SECRETS, "Namyang-dong"]:
        for form in _forms(secret):
            assert form not in blob, f"{secret!r} found in {where} as {form!r}"


def test_sqlite_file_holds_no_secret(tmp_path: Path) -> None:
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'k.db'}",
        keystore=tmp_path / "keys.json",
        key_file=tmp_path / "kirok.key",
    )
    _write_secrets(settings)
    for file in tmp_path.glob("k.db*"):
        raw = file.read_bytes()
        _assert_absent(raw.decode("utf-8", errors="replace"), file.name)
        _assert_absent(raw.decode("latin-1"), file.name)
        _assert_absent(raw.hex(), file.name)


@pytest.mark.postgres
def test_postgres_tables_hold_no_secret(postgres_url: str, tmp_path: Path) -> None:
    settings = Settings(
        db_url=postgres_url, keystore=tmp_path / "keys.json", key_file=tmp_path / "kirok.key"
    )
    _write_secrets(settings)
    engine = sa.create_engine(postgres_url)
    try:
        with engine.connect() as connection:
            tables = sa.inspect(connection).get_table_names()
            assert "records" in tables and "audit_log" in tables
            for table in tables:
                rows = connection.execute(sa.text(f'SELECT t::text FROM "{table}" t')).scalars()
                _assert_absent("\n".join(rows), table)
    finally:
        engine.dispose()
