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
from kirok.store.schema import audit_log

_PG_AUDIT_LOCK = 0x6B69726F6B  # "kirok"


def append_audit(
    connection: Connection,
    actor: str | None,
    action: str,
    entity: str | None,
    record_id: str | None,
    details: Mapping[str, Any],
) -> chain.AuditEntry:
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_AUDIT_LOCK})
    last = connection.execute(
        sa.select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)
    ).first()
    seq = 1 if last is None else last.seq + 1
    prev_hash = chain.GENESIS_HASH if last is None else last.hash
    entry = chain.AuditEntry(
        seq=seq,
        at=chain.utc_timestamp(),
        actor=actor or "system",
        action=action,
        entity=entity,
        record_id=record_id,
        details=dict(details),
    )
    digest = chain.entry_hash(prev_hash, entry)
    connection.execute(
        sa.insert(audit_log).values(
            seq=entry.seq,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            entity=entry.entity,
            record_id=entry.record_id,
            details=json.dumps(entry.details, sort_keys=True, ensure_ascii=False),
            prev_hash=prev_hash,
            hash=digest,
        )
    )
    return entry


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
