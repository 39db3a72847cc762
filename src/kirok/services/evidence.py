"""Evidence files: content-addressed by SHA-256, encrypted at rest, originals immutable.

Following the Berkeley Protocol, the file as received is the *evidentiary copy*: it is stored
once, sealed with its record's data key (AES-256-GCM), and never changed. People work on
*working copies* derived from it. Every custody event — ingest, view, copy, verify — is an entry
of the audit chain, so the custody record is as tamper-evident as the rest of the log.

A file is ingested inside a unit of work the caller opens (``add``), so the intake of an
interview writes its records and its files together: all of them or none. The database rolls
back by itself; the sealed files, which live outside it, are written through a
``VaultTransaction`` that removes them again when the unit of work does not commit. They are
written (and flushed to disk) *before* the commit, never after: a crash in between leaves a
sealed file no record names (refused on a later ingest of the same bytes, with its path, until
it is moved away), never a record whose file was not written. Content arrives as bytes or a
binary stream and is sealed in memory; its plaintext is never written to disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from kirok.domain.errors import KirokError
from kirok.domain.records import Confidentiality, Evidence
from kirok.security import envelope
from kirok.security.audit import AuditAction
from kirok.security.errors import SecurityError
from kirok.store.repository import RecordStore, UnitOfWork

SOURCE = "kirok-evidence"


class EvidenceError(KirokError):
    """An evidence file that is missing, altered, already stored, unreadable or too large."""


class DuplicateEvidence(EvidenceError):
    """These bytes are already stored as evidence (originals are stored once)."""

    def __init__(self, sha256: str, evidence_id: str) -> None:
        self.sha256 = sha256
        self.evidence_id = evidence_id
        super().__init__(f"this file is already evidence {evidence_id} (sha256 {sha256})")


class EvidenceTooLarge(EvidenceError):
    """A file larger than the caller allows (it is read into memory to be sealed)."""


class UnreadableEvidence(EvidenceError):
    """The file's content could not be read."""


@dataclass(frozen=True)
class Vault:
    """Where sealed evidence files live: ``root/ab/abcdef…`` by SHA-256 of the plaintext."""

    root: Path

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def write_once(self, sha256: str, blob: bytes) -> Path:
        """Write a sealed file under its hash; refuse if one is there already.

        The blob is written and flushed under a name of its own, then hard-linked to its place,
        which fails if the place is taken (two saves of the same bytes at once cannot both
        succeed), so a crash leaves either no file or the whole file."""
        target = self.path(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{sha256}.{uuid.uuid4().hex}.partial")
        try:
            with open(partial, "xb") as handle:
                handle.write(blob)
                handle.flush()
                os.fsync(handle.fileno())
            partial.chmod(0o400)
            try:
                os.link(partial, target)
            except FileExistsError:
                raise EvidenceError(
                    f"evidence {sha256} is already in the evidence folder ({target}); originals "
                    "are immutable (if no record names it, a save was interrupted: move it away)"
                ) from None
        finally:
            partial.unlink(missing_ok=True)
        _sync_folder(target.parent)
        return target

    @contextmanager
    def transaction(self) -> Iterator[VaultTransaction]:
        """Files written in the block are removed again if the block fails.

        Open it *around* the unit of work (``with vault.transaction() as files,
        store.write(actor) as uow:``) so that a failing commit removes them too."""
        files = VaultTransaction(self)
        try:
            yield files
        except BaseException:
            files.undo()
            raise


@dataclass
class VaultTransaction:
    """The sealed files one unit of work wrote, to remove if it does not commit."""

    vault: Vault
    written: list[Path] = field(default_factory=list)

    def write_once(self, sha256: str, blob: bytes) -> None:
        self.written.append(self.vault.write_once(sha256, blob))

    def undo(self) -> None:
        for path in reversed(self.written):
            path.unlink(missing_ok=True)
        self.written.clear()


def _sync_folder(folder: Path) -> None:
    """Make a new directory entry durable (POSIX); a no-op where folders cannot be opened."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):  # some file systems refuse fsync on a folder
            os.fsync(handle)
    finally:
        os.close(handle)


def _aad(sha256: str) -> str:
    return f"kirok:evidence-file:{sha256}"


def _content(content: bytes | BinaryIO, max_bytes: int | None) -> bytes:
    if isinstance(content, bytes):
        data = content
    else:
        try:
            data = content.read() if max_bytes is None else content.read(max_bytes + 1)
        except OSError as error:
            raise UnreadableEvidence(f"the file could not be read: {error}") from error
    if max_bytes is not None and len(data) > max_bytes:
        raise EvidenceTooLarge(f"the file is larger than {max_bytes} bytes")
    return data


def add(
    uow: UnitOfWork,
    files: VaultTransaction,
    content: bytes | BinaryIO,
    filename: str,
    *,
    confidentiality: Confidentiality = Confidentiality.INTERNAL,
    description: str | None = None,
    event_id: str | None = None,
    media_type: str | None = None,
    max_bytes: int | None = None,
) -> Evidence:
    """Store `content` as an evidentiary original in an open unit of work.

    Refused (``DuplicateEvidence``) when the same bytes are already evidence, stored before or
    earlier in this unit of work. The record, its sealed file and its custody event are kept
    only if the unit of work commits (see ``Vault.transaction``)."""
    data = _content(content, max_bytes)
    sha256 = hashlib.sha256(data).hexdigest()
    existing = uow.find_external("evidence", SOURCE, sha256)
    if existing is not None:
        raise DuplicateEvidence(sha256, existing)
    record = uow.add(
        Evidence(
            sha256=sha256,
            filename=filename,
            size=len(data),
            media_type=media_type,
            description=description,
            event_id=event_id,
            source=SOURCE,
            external_id=sha256,
            confidentiality=confidentiality,
        )
    )
    sealed = envelope.seal_bytes(uow.data_key(record.id), data, _aad(sha256))
    files.write_once(sha256, sealed)
    uow.audit(AuditAction.EVIDENCE_INGEST, "evidence", record.id, {"sha256": sha256})
    return record


def ingest(
    store: RecordStore,
    vault: Vault,
    file: Path,
    actor: str,
    *,
    confidentiality: Confidentiality = Confidentiality.INTERNAL,
    description: str | None = None,
    event_id: str | None = None,
    media_type: str | None = None,
) -> Evidence:
    """Store a file as an evidentiary original in a unit of work of its own (``add``)."""
    try:
        content = file.read_bytes()
    except OSError as error:
        raise UnreadableEvidence(f"{file.name} could not be read: {error}") from error
    with vault.transaction() as files, store.write(actor) as uow:
        return add(
            uow,
            files,
            content,
            file.name,
            confidentiality=confidentiality,
            description=description,
            event_id=event_id,
            media_type=media_type,
        )


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


def unnamed_files(store: RecordStore, vault: Vault) -> list[Path]:
    """Files in the evidence folder that no current evidence record names.

    A save interrupted between writing its sealed files and committing (a crash, a power cut)
    leaves them behind; so does deleting an evidence record. They are sealed, so they reveal
    nothing, but a file there refuses a new ingest of the same bytes until it is moved away."""
    if not vault.root.is_dir():
        return []
    with store.read() as uow:
        named = {r.sha256 for r in uow.iter_kind("evidence") if isinstance(r, Evidence)}
    return sorted(
        path
        for folder in vault.root.iterdir()
        if folder.is_dir() and len(folder.name) == 2
        for path in folder.iterdir()
        if path.is_file() and path.name not in named
    )


def custody(store: RecordStore, evidence_id: str) -> list[dict[str, Any]]:
    with store.read() as uow:
        uow.get(evidence_id, "evidence")
        return uow.audit_trail(evidence_id)
