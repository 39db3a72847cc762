"""Verifying the audit chain stored in the database."""

from __future__ import annotations

from kirok.security import audit as chain
from kirok.store.audit_log import stored_entries
from kirok.store.repository import RecordStore


def verify_chain(store: RecordStore, actor: str) -> chain.VerifyResult:
    """Re-hash the whole log in sequence order; the result names the first broken entry.

    A successful verification is itself logged, so the log shows when it was last checked.
    """
    with store.read() as uow:
        result = chain.verify(list(stored_entries(uow.connection)))
    if result.ok:
        with store.write(actor) as uow:
            uow.audit(
                chain.AuditAction.AUDIT_VERIFY,
                "audit",
                None,
                {"checked": result.checked, "head": result.head_hash},
            )
    return result
