"""Rebuilding the keyed search index, e.g. after an upgrade changed the grams it holds.

Each batch of records is re-indexed in its own unit of work, so an interrupted rebuild leaves a
consistent database: rows already rebuilt hold bigrams and trigrams, the others bigrams only, and
searches keep asking for bigrams, which both hold, until the last batch marks the index complete.
Running it again starts over; it changes no record and no record's history.
"""

from __future__ import annotations

from collections.abc import Callable

from kirok.store.repository import RecordStore

BATCH = 500


def rebuild(
    store: RecordStore,
    actor: str,
    *,
    batch: int = BATCH,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> int:
    """Re-index every record (deleted ones lose their rows); returns how many were walked."""
    with store.read() as uow:
        total = uow.record_total()
    cursor = ""
    done = 0
    while True:
        with store.write(actor) as uow:
            ids = uow.record_ids(after=cursor, limit=batch)
            uow.reindex(ids)
            if len(ids) < batch:
                uow.mark_index_complete()
        done += len(ids)
        progress(done, max(total, done))
        if len(ids) < batch:
            return done
        cursor = ids[-1]
