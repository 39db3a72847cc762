"""Tampering with the audit log by raw SQL is caught, and the first broken entry is named."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from kirok.cli import app
from kirok.domain.records import Event
from kirok.services.audit import verify_chain
from kirok.services.context import Settings, initialise
from kirok.store.repository import RecordStore

Tamper = Callable[[sa.Connection], None]


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(db_url=db_url, keystore=tmp_path / "keys.json", key_file=tmp_path / "kirok.key")


@pytest.fixture
def store(settings: Settings) -> Iterator[RecordStore]:
    with initialise(settings) as opened:
        for n in range(5):
            with opened.write("alice") as uow:
                uow.add(Event(title=f"event {n}"))
        yield opened


def _edit(connection: sa.Connection) -> None:
    connection.execute(sa.text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3"))


def _delete(connection: sa.Connection) -> None:
    connection.execute(sa.text("DELETE FROM audit_log WHERE seq = 3"))


def _insert(connection: sa.Connection) -> None:
    # A forged entry appended after the last one, with a made-up hash.
    connection.execute(
        sa.text(
            "INSERT INTO audit_log "
            "(seq, at, actor, action, entity, record_id, details, prev_hash, hash) "
            "SELECT seq + 1, at, 'mallory', 'delete', entity, record_id, details, hash, hash "
            "FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)"
        )
    )


def _reorder(connection: sa.Connection) -> None:
    connection.execute(sa.text("UPDATE audit_log SET seq = -1 WHERE seq = 2"))
    connection.execute(sa.text("UPDATE audit_log SET seq = 2 WHERE seq = 3"))
    connection.execute(sa.text("UPDATE audit_log SET seq = 3 WHERE seq = -1"))


def test_untouched_chain_verifies(store: RecordStore) -> None:
    result = verify_chain(store, "test")
    assert result.ok and result.checked == 5


@pytest.mark.parametrize(
    ("tamper", "first_broken"),
    [(_edit, 3), (_delete, 3), (_insert, 6), (_reorder, 2)],
    ids=["edit", "delete", "insert", "reorder"],
)
def test_tampering_is_caught(
    store: RecordStore, settings: Settings, tamper: Tamper, first_broken: int
) -> None:
    with store.engine.begin() as connection:
        tamper(connection)
    result = verify_chain(store, "test")
    assert not result.ok
    assert result.first_broken_seq == first_broken
    outcome = CliRunner().invoke(
        app,
        [
            "audit",
            "verify",
            "--db",
            settings.db_url,
            "--keystore",
            str(settings.keystore),
            "--key-file",
            str(settings.key_file),
        ],
    )
    assert outcome.exit_code == 1
    assert f"broken at entry {first_broken}" in outcome.output
