"""Evidence files: content-addressed by SHA-256, encrypted at rest, originals immutable.

Following the Berkeley Protocol, the file as received is the *evidentiary copy*: it is stored
once, sealed with its record's data key (AES-256-GCM), and never changed. People work on
*working copies* derived from it. Every custody event — ingest, view, copy, verify — is an entry
of the audit chain, so the custody record is as tamper-evident as the rest of the log.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kirok.domain.errors import KirokError
from kirok.domain.records import Evidence
from kirok.security import envelope
from kirok.security.audit import AuditAction
from kirok.security.errors import SecurityError
from kirok.store.repository import RecordStore

SOURCE = "kirok-evidence"


class EvidenceError(KirokError):
    """An evidence file that is missing, altered, or already stored."""


@dataclass(frozen=True)
class Vault:
    """Where sealed evidence files live: ``root/ab/abcdef…`` by SHA-256 of the plaintext."""

    root: Path

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def write_once(self, sha256: str, blob: bytes) -> None:
        target = self.path(sha256)
        if target.exists():
            raise EvidenceError(f"evidence {sha256} is already stored; originals are immutable")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        with open(partial, "wb") as handle:
            handle.write(blob)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, target)  # a crash leaves either no file or the whole file
        target.chmod(0o400)


def _aad(sha256: str) -> str:
    return f"kirok:evidence-file:{sha256}"


def ingest(
    store: RecordStore,
    vault: Vault,
    file: Path,
    actor: str,
    *,
    description: str | None = None,
    event_id: str | None = None,
    media_type: str | None = None,
) -> Evidence:
    """Store a file as an evidentiary original; a second ingest of the same bytes is refused."""
    content = file.read_bytes()
    sha256 = hashlib.sha256(content).hexdigest()
    with store.write(actor) as uow:
        existing = uow.find_external("evidence", SOURCE, sha256)
        if existing is not None:
            raise EvidenceError(f"this file is already evidence {existing} (sha256 {sha256})")
        record = uow.add(
            Evidence(
                sha256=sha256,
                filename=file.name,
                size=len(content),
                media_type=media_type,
                description=description,
                event_id=event_id,
                source=SOURCE,
                external_id=sha256,
            )
        )
        sealed = envelope.seal_bytes(uow.data_key(record.id), content, _aad(sha256))
        vault.write_once(sha256, sealed)
        uow.audit(AuditAction.EVIDENCE_INGEST, "evidence", record.id, {"sha256": sha256})
    return record


def _read(store: RecordStore, vault: Vault, record: Evidence, key: bytes) -> bytes:
    path = vault.path(record.sha256)
    if not path.exists():
        raise EvidenceError(f"evidence {record.id}: file {record.sha256} is missing")
    content = envelope.open_bytes(key, path.read_bytes(), _aad(record.sha256))
    if hashlib.sha256(content).hexdigest() != record.sha256:
        raise EvidenceError(f"evidence {record.id}: content does not match its SHA-256")
    return content


def view(store: RecordStore, vault: Vault, evidence_id: str, actor: str) -> bytes:
    """The original's bytes, checked against its hash; the access is a custody event."""
    with store.write(actor) as uow:
        record = uow.get(evidence_id, "evidence")
        assert isinstance(record, Evidence)
        content = _read(store, vault, record, uow.data_key(record.id))
        uow.audit(AuditAction.EVIDENCE_VIEW, "evidence", record.id, {"sha256": record.sha256})
    return content


def working_copy(store: RecordStore, vault: Vault, evidence_id: str, out: Path, actor: str) -> None:
    """Write a plaintext working copy for analysis; the original stays sealed and untouched."""
    with store.write(actor) as uow:
        record = uow.get(evidence_id, "evidence")
        assert isinstance(record, Evidence)
        content = _read(store, vault, record, uow.data_key(record.id))
        out.write_bytes(content)
        uow.audit(
            AuditAction.EVIDENCE_COPY,
            "evidence",
            record.id,
            {"sha256": record.sha256, "to": out.name},
        )


@dataclass(frozen=True)
class Mismatch:
    evidence_id: str
    reason: str


def verify_all(store: RecordStore, vault: Vault, actor: str) -> tuple[int, list[Mismatch]]:
    """Re-hash every original; returns how many were checked and what did not match."""
    problems: list[Mismatch] = []
    checked = 0
    with store.write(actor) as uow:
        for record in uow.iter_kind("evidence"):
            assert isinstance(record, Evidence)
            if not record.is_original:
                continue
            checked += 1
            reason = None
            try:
                _read(store, vault, record, uow.data_key(record.id))
            except (KirokError, SecurityError, ValueError) as error:
                reason = str(error)
            if reason is not None:
                problems.append(Mismatch(record.id, reason))
            uow.audit(AuditAction.EVIDENCE_VERIFY, "evidence", record.id, {"ok": reason is None})
    return checked, problems


def custody(store: RecordStore, evidence_id: str) -> list[dict[str, Any]]:
    with store.read() as uow:
        uow.get(evidence_id, "evidence")
        return uow.audit_trail(evidence_id)
