"""Evidence: stored once, encrypted, verified, with every custody event in the audit chain."""

from __future__ import annotations

import hashlib
import io
import os
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from kirok.cli import app
from kirok.domain.records import Confidentiality, Event, Evidence
from kirok.services import evidence
from kirok.services.audit import verify_chain
from kirok.services.context import Settings, initialise, open_store
from kirok.store.repository import RecordStore
from kirok.store.schema import audit_log

runner = CliRunner()
CONTENT = "증언 녹취록: 1997년 요덕 — interview transcript".encode()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        db_url=f"sqlite:///{tmp_path / 'k.db'}",
        keystore=tmp_path / "keys.json",
        key_file=tmp_path / "kirok.key",
        evidence_dir=tmp_path / "evidence",
    )


@pytest.fixture
def store(settings: Settings) -> Iterator[RecordStore]:
    with initialise(settings) as opened:
        yield opened


def _file(tmp_path: Path, content: bytes = CONTENT) -> Path:
    path = tmp_path / "kim-interview.txt"
    path.write_bytes(content)
    return path


def test_original_is_encrypted_immutable_and_traced(
    store: RecordStore, settings: Settings, tmp_path: Path
) -> None:
    assert settings.evidence_dir is not None
    vault = evidence.Vault(settings.evidence_dir)
    record = evidence.ingest(store, vault, _file(tmp_path), "documenter")
    stored = vault.path(record.sha256).read_bytes()
    assert CONTENT not in stored and "요덕".encode() not in stored
    with pytest.raises(evidence.EvidenceError, match="already"):
        evidence.ingest(store, vault, _file(tmp_path), "documenter")
    assert evidence.view(store, vault, record.id, "analyst") == CONTENT
    evidence.working_copy(store, vault, record.id, tmp_path / "copy.txt", "analyst")
    assert (tmp_path / "copy.txt").read_bytes() == CONTENT
    trail = evidence.custody(store, record.id)
    assert [e["action"] for e in trail] == [
        "create",
        "evidence_ingest",
        "evidence_view",
        "evidence_copy",
    ]
    assert [e["actor"] for e in trail][-1] == "analyst"
    assert verify_chain(store, "admin").ok


def test_verify_reports_a_changed_file(
    store: RecordStore, settings: Settings, tmp_path: Path
) -> None:
    assert settings.evidence_dir is not None
    vault = evidence.Vault(settings.evidence_dir)
    good = evidence.ingest(store, vault, _file(tmp_path), "documenter")
    other = evidence.ingest(store, vault, _file(tmp_path, b"second file"), "documenter")
    assert evidence.verify_all(store, vault, "admin") == (2, [])
    path = vault.path(other.sha256)
    os.chmod(path, 0o600)
    damaged = bytearray(path.read_bytes())
    damaged[-1] ^= 1
    path.write_bytes(bytes(damaged))
    checked, problems = evidence.verify_all(store, vault, "admin")
    assert checked == 2 and [p.evidence_id for p in problems] == [other.id]
    vault.path(good.sha256).unlink()
    _, problems = evidence.verify_all(store, vault, "admin")
    assert {p.evidence_id for p in problems} == {good.id, other.id}
    assert any("missing" in p.reason for p in problems)


def test_cli_add_verify_custody(tmp_path: Path) -> None:
    env = {
        "KIROK_DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}",
        "KIROK_KEY_FILE": str(tmp_path / "kirok.key"),
        "KIROK_KEYSTORE": str(tmp_path / "keys.json"),
    }
    assert runner.invoke(app, ["init"], env=env).exit_code == 0
    added = runner.invoke(app, ["evidence", "add", str(_file(tmp_path))], env=env)
    assert added.exit_code == 0, added.output
    evidence_id = added.output.split()[1]
    verified = runner.invoke(app, ["evidence", "verify"], env=env)
    assert verified.exit_code == 0 and "1 originals checked, 0 problems" in verified.output
    assert "not named by any evidence record" not in verified.output
    stray = tmp_path / "evidence" / "00" / ("0" * 64)
    stray.parent.mkdir()
    stray.write_bytes(b"left by an interrupted save")
    verified = runner.invoke(app, ["evidence", "verify"], env=env)
    assert verified.exit_code == 0 and "not named by any evidence record" in verified.output
    assert "0" * 64 in verified.output
    trail = runner.invoke(app, ["evidence", "custody", evidence_id], env=env)
    assert trail.exit_code == 0 and "evidence_verify" in trail.output


def _audit_rows(store: RecordStore) -> list[tuple[Any, ...]]:
    with store.engine.connect() as connection:
        rows = connection.execute(sa.select(audit_log).order_by(audit_log.c.seq))
        return [tuple(row) for row in rows]


def _vault_files(vault: evidence.Vault) -> list[Path]:
    return sorted(p for p in vault.root.rglob("*") if p.is_file()) if vault.root.exists() else []


def test_add_stores_bytes_and_streams_in_the_callers_unit_of_work(
    store: RecordStore, settings: Settings
) -> None:
    assert settings.evidence_dir is not None
    vault = evidence.Vault(settings.evidence_dir)
    with vault.transaction() as files, store.write("documenter") as uow:
        event = uow.add(Event(title="요덕 증언", confidentiality=Confidentiality.SECRET))
        first = evidence.add(
            uow,
            files,
            CONTENT,
            "statement.txt",
            confidentiality=Confidentiality.SECRET,
            event_id=event.id,
        )
        second = evidence.add(uow, files, io.BytesIO(b"photo bytes"), "photo.jpg")
    assert first.confidentiality is Confidentiality.SECRET
    assert second.confidentiality is Confidentiality.INTERNAL  # the default, as before
    with store.read() as uow:
        stored = uow.get(first.id, "evidence")
        assert isinstance(stored, Evidence) and stored.event_id == event.id
        assert stored.confidentiality is Confidentiality.SECRET
    assert evidence.view(store, vault, first.id, "analyst") == CONTENT
    assert evidence.view(store, vault, second.id, "analyst") == b"photo bytes"
    assert CONTENT not in vault.path(first.sha256).read_bytes()
    assert [e["action"] for e in evidence.custody(store, second.id)] == [
        "create",
        "evidence_ingest",
        "evidence_view",
    ]
    assert evidence.verify_all(store, vault, "admin") == (2, [])
    assert verify_chain(store, "admin").ok


class _Unreadable(io.RawIOBase):
    def read(self, size: int = -1) -> bytes:
        raise OSError("device not ready")


@pytest.mark.parametrize("failure", ["duplicate", "too_large", "unreadable", "later_error"])
def test_a_failure_after_a_file_was_written_keeps_nothing(
    store: RecordStore, settings: Settings, failure: str
) -> None:
    assert settings.evidence_dir is not None
    vault = evidence.Vault(settings.evidence_dir)
    before_audit = _audit_rows(store)
    with pytest.raises((evidence.EvidenceError, RuntimeError)) as raised:
        with vault.transaction() as files, store.write("documenter") as uow:
            uow.add(Event(title="회령 구류장"))
            evidence.add(uow, files, CONTENT, "a.txt")
            assert len(_vault_files(vault)) == 1  # written before the commit
            if failure == "duplicate":
                evidence.add(uow, files, CONTENT, "b.txt")
            elif failure == "too_large":
                evidence.add(uow, files, io.BytesIO(b"x" * 11), "b.txt", max_bytes=10)
            elif failure == "unreadable":
                evidence.add(uow, files, typing.cast(BinaryIO, _Unreadable()), "b.txt")
            else:
                raise RuntimeError("a later step of the same save failed")
    expected = {
        "duplicate": evidence.DuplicateEvidence,
        "too_large": evidence.EvidenceTooLarge,
        "unreadable": evidence.UnreadableEvidence,
        "later_error": RuntimeError,
    }[failure]
    assert isinstance(raised.value, expected)
    assert _vault_files(vault) == []
    assert _audit_rows(store) == before_audit
    with store.read() as uow:
        assert uow.counts_by_kind() == {}
    # The same bytes can be stored afterwards: nothing of the failed save is left in the way.
    evidence.ingest(store, vault, _write(settings, CONTENT), "documenter")
    assert len(_vault_files(vault)) == 1


def _write(settings: Settings, content: bytes) -> Path:
    assert settings.evidence_dir is not None
    path = settings.evidence_dir.parent / "upload.bin"
    path.write_bytes(content)
    return path


def test_a_file_left_by_an_interrupted_save_is_named_not_overwritten(
    store: RecordStore, settings: Settings, tmp_path: Path
) -> None:
    assert settings.evidence_dir is not None
    vault = evidence.Vault(settings.evidence_dir)
    sha256 = hashlib.sha256(CONTENT).hexdigest()
    orphan = vault.path(sha256)
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"sealed by a save that never committed")
    with pytest.raises(evidence.EvidenceError, match="interrupted") as raised:
        evidence.ingest(store, vault, _file(tmp_path), "documenter")
    assert str(orphan) in str(raised.value)
    assert orphan.read_bytes() == b"sealed by a save that never committed"
    with store.read() as uow:
        assert uow.counts_by_kind() == {}
    assert evidence.unnamed_files(store, vault) == [orphan]
    orphan.unlink()
    assert evidence.ingest(store, vault, _file(tmp_path), "documenter").sha256 == sha256
    assert evidence.unnamed_files(store, vault) == []


def test_cli_add_with_a_confidentiality_level(tmp_path: Path) -> None:
    env = {
        "KIROK_DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}",
        "KIROK_KEY_FILE": str(tmp_path / "kirok.key"),
        "KIROK_KEYSTORE": str(tmp_path / "keys.json"),
    }
    assert runner.invoke(app, ["init"], env=env).exit_code == 0
    args = ["evidence", "add", str(_file(tmp_path)), "--confidentiality", "secret"]
    added = runner.invoke(app, args, env=env)
    assert added.exit_code == 0, added.output
    settings = Settings(
        db_url=env["KIROK_DATABASE_URL"],
        keystore=tmp_path / "keys.json",
        key_file=tmp_path / "kirok.key",
    )
    with open_store(settings) as store, store.read() as uow:
        record = uow.get(added.output.split()[1], "evidence")
    assert record.confidentiality is Confidentiality.SECRET
