"""Evidence: stored once, encrypted, verified, with every custody event in the audit chain."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kirok.cli import app
from kirok.services import evidence
from kirok.services.audit import verify_chain
from kirok.services.context import Settings, initialise
from kirok.store.repository import RecordStore

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
    trail = runner.invoke(app, ["evidence", "custody", evidence_id], env=env)
    assert trail.exit_code == 0 and "evidence_verify" in trail.output
