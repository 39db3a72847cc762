"""Tampering with the audit log by raw SQL is caught, and the first broken entry is named."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from kirok.cli import app
from kirok.domain.records import Event
from kirok.security import audit
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


# -- anchors kept outside the database -------------------------------------------------------------


def _cli(settings: Settings, *args: str) -> Any:
    return CliRunner().invoke(
        app,
        [
            "audit",
            *args,
            "--db",
            settings.db_url,
            "--keystore",
            str(settings.keystore),
            "--key-file",
            str(settings.key_file),
        ],
    )


def _rehash_everything(connection: sa.Connection) -> None:
    """What an administrator with raw SQL can do: alter entry 3, then recompute every hash so
    that the chain is consistent again from the first entry to the last."""
    connection.execute(sa.text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3"))
    rows = connection.execute(sa.text("SELECT * FROM audit_log ORDER BY seq")).mappings().all()
    prev = audit.GENESIS_HASH
    for row in rows:
        entry = audit.AuditEntry(
            seq=row["seq"],
            at=row["at"],
            actor=row["actor"],
            action=row["action"],
            entity=row["entity"],
            record_id=row["record_id"],
            details=json.loads(row["details"]),
        )
        digest = audit.entry_hash(prev, entry)
        connection.execute(
            sa.text("UPDATE audit_log SET prev_hash = :p, hash = :h WHERE seq = :s"),
            {"p": prev, "h": digest, "s": row["seq"]},
        )
        prev = digest


def test_a_rebuilt_chain_is_caught_only_with_an_anchor(
    store: RecordStore, settings: Settings, tmp_path: Path
) -> None:
    anchor_file = tmp_path / "anchors.jsonl"
    taken = _cli(settings, "anchor", "--out", str(anchor_file))
    assert taken.exit_code == 0, taken.output
    anchored = audit.Anchor.from_json(anchor_file.read_text().strip())
    assert anchored.seq == 6  # five creates, then the anchoring itself
    with store.read() as uow:
        head = uow.connection.execute(sa.text("SELECT hash FROM audit_log WHERE seq = 6")).one()
    assert anchored.hash == head.hash
    printed = _cli(settings, "anchor")  # to stdout, for printing or copying by hand
    assert printed.exit_code == 0 and audit.Anchor.from_json(printed.output).seq == 7

    # Later entries do not disturb an anchor.
    with store.write("alice") as uow:
        uow.add(Event(title="after the anchor"))
    ok = _cli(settings, "verify", "--anchor", str(anchor_file))
    assert ok.exit_code == 0, ok.output
    assert "1 anchor(s) matched" in ok.output

    with store.engine.begin() as connection:
        _rehash_everything(connection)
    assert _cli(settings, "verify").exit_code == 0  # without the anchor, it looks intact
    caught = _cli(settings, "verify", "--anchor", str(anchor_file))
    assert caught.exit_code == 1
    assert "broken at entry 6" in caught.output and "anchor" in caught.output


def test_an_anchor_past_the_end_reports_truncation(
    store: RecordStore, settings: Settings, tmp_path: Path
) -> None:
    anchor_file = tmp_path / "anchor.json"
    assert _cli(settings, "anchor", "--out", str(anchor_file)).exit_code == 0
    with store.engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM audit_log WHERE seq >= 5"))
    caught = _cli(settings, "verify", "--anchor", str(anchor_file))
    assert caught.exit_code == 1 and "broken at entry 6" in caught.output
    assert "truncated" in caught.output


def test_bad_anchor_files_are_refused(
    settings: Settings, store: RecordStore, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"seq": 2, "hash": "not-a-hash"}\n')
    refused = _cli(settings, "verify", "--anchor", str(bad))
    assert refused.exit_code == 1 and "hash" in refused.output
    with pytest.raises(ValueError, match="two different anchors"):
        audit.read_anchors(
            audit.Anchor(2, "a" * 64).to_json() + "\n" + audit.Anchor(2, "b" * 64).to_json()
        )
