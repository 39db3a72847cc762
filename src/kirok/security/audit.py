"""The audit log as a hash chain (pure functions; the store persists the entries).

Each entry's hash covers the previous entry's hash and the entry's own canonical content::

    hash_n = SHA-256( bytes.fromhex(hash_{n-1}) || canonical(entry_n) ),   hash_0 = 32 zero bytes

`canonical` is JSON with sorted keys, no whitespace, UTF-8 (not \\u-escaped), and no floats (their
text form is not unique across languages and libraries; put decimals in strings). The sequence
number is part of the hashed content, so every kind of tampering shows up at a definite entry:

- an edited entry no longer matches its own hash;
- a deleted entry leaves a gap in the sequence (and the next entry's `prev_hash` dangles);
- an inserted entry duplicates or skips a sequence number, or breaks the next entry's link;
- reordered entries are out of sequence or no longer link.

Someone who can write the database *and* recompute every later hash (an administrator) can
rebuild a consistent chain. Against that, the head of the chain is anchored outside the
database (printed in reports, mailed to a trustee, kept by a second organisation): `verify`
takes such anchors and reports the first entry whose hash differs from its anchor, or a chain
that stops before an anchored entry. See docs/explanation/threat-model.md.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

GENESIS_HASH = "0" * 64
_AT_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?Z")


class AuditAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    READ = "read"
    EXPORT = "export"
    PUBLISH = "publish"
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    LOCKED_OUT = "locked_out"
    PERMISSION_DENIED = "permission_denied"
    CONSENT_CHANGE = "consent_change"
    USER_CHANGE = "user_change"
    KEY_INIT = "key_init"
    KEY_UNLOCK = "key_unlock"
    KEY_UNLOCK_FAILED = "key_unlock_failed"
    KEY_BACKUP = "key_backup"
    KEY_RESTORE = "key_restore"
    KEY_ROTATE = "key_rotate"
    KEY_SECRET_CHANGE = "key_secret_change"
    EVIDENCE_INGEST = "evidence_ingest"
    EVIDENCE_VIEW = "evidence_view"
    EVIDENCE_COPY = "evidence_copy"
    EVIDENCE_EXPORT = "evidence_export"
    EVIDENCE_VERIFY = "evidence_verify"
    AUDIT_VERIFY = "audit_verify"
    AUDIT_ANCHOR = "audit_anchor"


JSONValue = None | bool | int | str | list["JSONValue"] | dict[str, "JSONValue"]


def utc_timestamp(moment: datetime | None = None) -> str:
    """The one timestamp form the chain accepts: ``2026-11-28T08:00:00.000000Z``."""
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class AuditEntry:
    """What happened. `details` must never hold the plaintext of a sensitive field: name the
    fields that changed, not their values (the store checks against `policy.SENSITIVE_FIELDS`
    through `check_details`)."""

    seq: int
    at: str
    actor: str
    action: str
    entity: str | None = None
    record_id: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.seq < 1:
            raise ValueError("audit sequence numbers start at 1")
        if not _AT_PATTERN.fullmatch(self.at):
            raise ValueError(f"audit timestamp {self.at!r} is not ISO 8601 UTC (use utc_timestamp)")
        if self.action not in AuditAction.__members__.values():
            raise ValueError(f"unknown audit action {self.action!r}")
        _check_json(self.details, "details")

    def content(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "entity": self.entity,
            "record_id": self.record_id,
            "details": dict(self.details),
        }


@dataclass(frozen=True)
class ChainedEntry:
    """An entry as stored: content plus the previous entry's hash and its own."""

    entry: AuditEntry
    prev_hash: str
    hash: str

    @property
    def seq(self) -> int:
        return self.entry.seq


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    reason: str = ""
    head_hash: str = GENESIS_HASH

    def __str__(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.checked} entries, head {self.head_hash}"
        return f"audit chain broken at entry {self.first_broken_seq}: {self.reason}"


def _check_json(value: object, where: str) -> None:
    if value is None or isinstance(value, bool | int | str):
        return
    if isinstance(value, float):
        raise TypeError(f"{where}: floats are not allowed in audit entries (use a string)")
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_json(item, f"{where}[{i}]")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where}: keys must be strings, got {key!r}")
            _check_json(item, f"{where}.{key}")
        return
    raise TypeError(f"{where}: {type(value).__name__} is not allowed in audit entries")


def canonical(entry: AuditEntry) -> bytes:
    """The exact bytes that are hashed for `entry`."""
    return json.dumps(
        entry.content(),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    ).encode("utf-8")


def entry_hash(prev_hash: str, entry: AuditEntry) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + canonical(entry)).hexdigest()


def append(previous: ChainedEntry | None, entry: AuditEntry) -> ChainedEntry:
    """Chain `entry` after `previous` (None for the first entry); its seq must follow on."""
    expected = 1 if previous is None else previous.seq + 1
    if entry.seq != expected:
        raise ValueError(f"next audit entry must have seq {expected}, not {entry.seq}")
    prev_hash = GENESIS_HASH if previous is None else previous.hash
    return ChainedEntry(entry, prev_hash, entry_hash(prev_hash, entry))


def chain(entries: Sequence[AuditEntry]) -> list[ChainedEntry]:
    """Chain a run of entries from the start of the log."""
    out: list[ChainedEntry] = []
    for entry in entries:
        out.append(append(out[-1] if out else None, entry))
    return out


def verify(
    entries: Sequence[ChainedEntry], anchors: Mapping[int, str] | None = None
) -> VerifyResult:
    """Check a whole log, in the order given (the store reads it ordered by seq).

    Returns the FIRST broken entry by sequence number (or, for a gap or a misplaced entry, the
    seq found where another was expected) and why. `anchors` maps seq to a hash recorded
    outside the database; a chain that does not reach an anchored seq is reported as truncated.
    """
    anchors = dict(anchors or {})
    prev_hash = GENESIS_HASH
    for position, stored in enumerate(entries, start=1):
        seq = stored.entry.seq
        if seq > position:
            return VerifyResult(
                False,
                position - 1,
                position,
                f"entry {position} is missing (deleted or moved): found entry {seq} in its place",
            )
        if seq < position:
            return VerifyResult(
                False,
                position - 1,
                seq,
                f"entry {seq} appears again at position {position} (inserted or out of order)",
            )
        if stored.prev_hash != prev_hash:
            return VerifyResult(
                False,
                position - 1,
                seq,
                "its link to the previous entry does not match (an entry before it was "
                "inserted, removed or rewritten)",
            )
        recomputed = entry_hash(prev_hash, stored.entry)
        if recomputed != stored.hash:
            return VerifyResult(False, position - 1, seq, "its content does not match its hash")
        if seq in anchors and anchors.pop(seq) != recomputed:
            return VerifyResult(
                False,
                position - 1,
                seq,
                "its hash differs from the anchor recorded outside the database "
                "(the chain was rebuilt)",
            )
        prev_hash = recomputed
    if anchors:
        missing = min(anchors)
        return VerifyResult(
            False,
            len(entries),
            missing,
            f"the log ends at entry {len(entries)} but entry {missing} was anchored (truncated)",
        )
    return VerifyResult(True, len(entries), None, "", prev_hash)


@dataclass(frozen=True)
class Anchor:
    """The head of the chain (its seq and hash) written down outside the database.

    An anchor is not signed: any key kirok could sign it with is held by the administrator it
    guards against. Its strength is where it is kept (printed, mailed to a trustee, held by a
    second organisation), so it is short enough to read aloud and to copy by hand.
    """

    seq: int
    hash: str
    at: str = ""

    def __post_init__(self) -> None:
        if self.seq < 0:
            raise ValueError("an anchor's seq is 0 or more")
        if not re.fullmatch(r"[0-9a-f]{64}", self.hash):
            raise ValueError("an anchor's hash is 64 lowercase hex digits")

    def to_json(self) -> str:
        return json.dumps({"seq": self.seq, "hash": self.hash, "at": self.at}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Anchor:
        """An anchor written by `to_json` (the "at" field is informative only)."""
        try:
            data = json.loads(text)
            return cls(int(data["seq"]), str(data["hash"]).lower(), str(data.get("at", "")))
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"not an audit anchor: {error}") from None


def read_anchors(text: str) -> dict[int, str]:
    """Anchors from a file: one JSON object per non-empty line (files may be concatenated)."""
    out: dict[int, str] = {}
    for line in text.splitlines():
        if line.strip():
            anchor = Anchor.from_json(line)
            if out.get(anchor.seq, anchor.hash) != anchor.hash:
                raise ValueError(f"two different anchors for entry {anchor.seq}")
            out[anchor.seq] = anchor.hash
    if not out:
        raise ValueError("the anchor file holds no anchor")
    return out


def check_details(
    entity: str | None, details: Mapping[str, Any], sensitive: Mapping[str, frozenset[str]]
) -> None:
    """Refuse details that carry a sensitive field of `entity` as a key (its value would leak).

    List changed field names as values instead: ``{"changed": ["names", "sex"]}``.
    """
    fields = sensitive.get(entity or "", frozenset())
    leaked = sorted(k for k in details if k in fields)
    if leaked:
        raise ValueError(
            f"audit details for {entity} must not carry sensitive fields: {', '.join(leaked)}"
        )
