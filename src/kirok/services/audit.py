"""Verifying the audit chain stored in the database, and anchoring its head outside it."""

from __future__ import annotations

from collections.abc import Mapping

from kirok.security import audit as chain
from kirok.store.audit_log import stored_entries
from kirok.store.repository import RecordStore


def verify_chain(
    store: RecordStore, actor: str, anchors: Mapping[int, str] | None = None
) -> chain.VerifyResult:
    """Re-hash the whole log in sequence order; the result names the first broken entry.

    With `anchors` (seq -> hash, kept outside the database), an entry whose recomputed hash
    differs from its anchor is broken too: that is how a chain rebuilt from scratch by someone
    who can write the database is caught. A successful verification is itself logged, so the
    log shows when it was last checked.
    """
    with store.read() as uow:
        result = chain.verify(list(stored_entries(uow.connection)), anchors)
    if result.ok:
        with store.write(actor) as uow:
            uow.audit(
                chain.AuditAction.AUDIT_VERIFY,
                "audit",
                None,
                {
                    "checked": result.checked,
                    "head": result.head_hash,
                    "anchors": len(anchors or {}),
                },
            )
    return result


def anchor(store: RecordStore, actor: str) -> chain.Anchor:
    """Log that an anchor is taken, then return the head of the chain (that very entry).

    The chain is verified first: anchoring a broken chain would vouch for the tampering.
    """
    with store.read() as uow:
        before = chain.verify(list(stored_entries(uow.connection)))
    if not before.ok:
        raise ValueError(f"not anchoring a broken chain: {before}")
    with store.write(actor) as uow:
        uow.audit(chain.AuditAction.AUDIT_ANCHOR, "audit", None, {"after": before.checked})
    with store.read() as uow:
        entries = list(stored_entries(uow.connection))
    head = entries[-1]
    return chain.Anchor(head.seq, head.hash, head.entry.at)
