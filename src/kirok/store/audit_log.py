"""Appending to and reading the audit chain in the database.

The chain's hashing rules live in ``kirok.security.audit``; this module only stores entries. An
entry is appended in the same transaction as the change it describes, so a change and its audit
entry commit or vanish together. Appends are serialised (SQLite's write lock; an advisory lock on
PostgreSQL) so two writers can never chain onto the same predecessor.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kirok.security import audit as chain
from kirok.store.bulk import insert_rows
from kirok.store.schema import audit_log

_PG_AUDIT_LOCK = 0x6B69726F6B  # "kirok"


class AuditWriter:
    """Chains entries for one transaction and writes them in one statement before it commits.

    The head of the chain is read once, under the lock, at the first entry; later entries chain
    onto the ones buffered here.
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._head: tuple[int, str] | None = None
        self._rows: list[dict[str, Any]] = []

    def _read_head(self) -> tuple[int, str]:
        if self._connection.dialect.name == "postgresql":
            self._connection.execute(
                sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_AUDIT_LOCK}
            )
        last = self._connection.execute(
            sa.select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)
        ).first()
        return (0, chain.GENESIS_HASH) if last is None else (int(last.seq), str(last.hash))

    def append(
        self,
        actor: str | None,
        action: str,
        entity: str | None,
        record_id: str | None,
        details: Mapping[str, Any],
        at: str | None = None,
    ) -> chain.AuditEntry:
        """Chain an entry; ``at`` (``chain.utc_timestamp``) lets the entries of one bulk write
        share the moment their records carry, otherwise it is now."""
        seq, prev_hash = self._head if self._head is not None else self._read_head()
        entry = chain.AuditEntry(
            seq=seq + 1,
            at=at or chain.utc_timestamp(),
            actor=actor or "system",
            action=action,
            entity=entity,
            record_id=record_id,
            details=dict(details),
        )
        digest = chain.entry_hash(prev_hash, entry)
        self._rows.append(
            {
                "seq": entry.seq,
                "at": entry.at,
                "actor": entry.actor,
                "action": entry.action,
                "entity": entry.entity,
                "record_id": entry.record_id,
                "details": json.dumps(entry.details, sort_keys=True, ensure_ascii=False),
                "prev_hash": prev_hash,
                "hash": digest,
            }
        )
        self._head = (entry.seq, digest)
        return entry

    def flush(self) -> None:
        if self._rows:
            insert_rows(self._connection, audit_log, self._rows)
            self._rows = []


def stored_entries(connection: Connection) -> Iterator[chain.ChainedEntry]:
    """Every row of the log in storage order, as written (for verification)."""
    for row in connection.execute(sa.select(audit_log).order_by(audit_log.c.seq)):
        yield chain.ChainedEntry(
            entry=chain.AuditEntry(
                seq=row.seq,
                at=row.at,
                actor=row.actor,
                action=row.action,
                entity=row.entity,
                record_id=row.record_id,
                details=json.loads(row.details),
            ),
            prev_hash=row.prev_hash,
            hash=row.hash,
        )
