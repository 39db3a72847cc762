"""The record store: one unit of work per transaction, the same on SQLite and PostgreSQL.

A unit of work writes records, their references, their version snapshots, their search tokens and
blind indexes, and the audit entries describing the change, in one transaction: a crash or an error
leaves the database exactly as before. Sensitive fields are sealed with the record's own data key
before they reach SQL; nothing sensitive is ever written in the clear, including the search index.

Versions are copied on write: ``records`` holds each record's current version, and an update or a
delete first copies the version it replaces into ``record_versions`` (inside the database, as
stored, sealed blob included). A record's history is its copied versions plus its current row, so
creating a record writes its content once, not twice. Databases written before this rule also hold
a copy of each current version; history reads both alike.
"""

from __future__ import annotations

import builtins
import dataclasses
import functools
import itertools
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Engine

from kirok.domain.dates import DateParseError, parse_date
from kirok.domain.errors import ConcurrentUpdate, NotFound, RecordProblem
from kirok.domain.records import Confidentiality, Record, content_fields, record_type, utcnow
from kirok.security.audit import utc_timestamp
from kirok.store import grams, search
from kirok.store.audit_log import AuditWriter
from kirok.store.bulk import insert_rows
from kirok.store.engine import WRITE_OPTION
from kirok.store.schema import (
    audit_log,
    blind_index,
    meta,
    record_refs,
    record_versions,
    records,
)
from kirok.store.sealing import Sealer

R = TypeVar("R", bound=Record)

# A unit of work adding this many records refreshes the planner's statistics when it commits.
ANALYZE_AFTER = 1000
_SQLITE_ANALYSIS_LIMIT = 1000
_SEARCH_BATCH = 256  # search candidates read per query
_MERGED_PLACES = 64  # a list of up to this many places merges one ordered read per place
_STATS_TTL = 600.0  # seconds a store keeps PostgreSQL's search index statistics
SEARCH_GRAMS_KEY = "search_grams"  # kirok_meta: the grams every search row holds (0009)
TRIGRAM_INDEX = "2+3"
_ANALYZED = ("records", "record_refs", "search_docs", "blind_index")

# Fields the store keeps in columns of its own rather than in the JSON document.
_BOOKKEEPING = {"id", "version", "created_by", "created_at", "updated_by", "updated_at"}


@dataclass(frozen=True)
class Version:
    """One entry of a record's history."""

    version: int
    action: str
    changed_by: str | None
    changed_at: datetime
    record: Record


@dataclass(frozen=True)
class ListQuery:
    """Filters every list shares: term (expanded to descendants), date overlap, places."""

    kind: str
    terms: Sequence[str] | None = None
    date_from: date | None = None
    date_to: date | None = None
    place_ids: Sequence[str] | None = None
    confidentiality: Sequence[Confidentiality] | None = None
    refers_to: str | None = None
    limit: int = 100
    offset: int = 0


def _one_of(column: sa.Column[str], values: Sequence[str], dialect: str) -> sa.ColumnElement[bool]:
    """``column IN values``; on PostgreSQL as ``= ANY(array)``, one parameter whatever the number
    of values, so the statement's text stays the same and is parsed and prepared once."""
    if dialect == "postgresql":
        return column == sa.any_(sa.bindparam(None, list(values), type_=ARRAY(sa.String)))
    return column.in_(values)


class _CountCache:
    """Counts of list queries as of a state of the database, named by the head of the audit log.

    Every change to a record appends to the audit log in the same transaction, so a count taken
    when the log's last entry was ``seq`` holds for as long as that entry is the last: the key
    makes a stale hit impossible, and a page through a long list counts it once, not per page."""

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._counts: OrderedDict[tuple[Any, ...], int] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> int | None:
        with self._lock:
            found = self._counts.get(key)
            if found is not None:
                self._counts.move_to_end(key)
            return found

    def put(self, key: tuple[Any, ...], count: int) -> None:
        with self._lock:
            self._counts[key] = count
            if len(self._counts) > self._size:
                self._counts.popitem(last=False)


class RecordStore:
    """Entry point of the storage port. Build one per engine and keyring; it holds no connection."""

    def __init__(
        self,
        engine: Engine,
        sealer: Sealer,
        sensitive_fields: Mapping[str, frozenset[str]],
    ) -> None:
        self.engine = engine
        self.sealer = sealer
        self.sensitive_fields = sensitive_fields
        self.counts = _CountCache()
        self._trigrams = False  # the index holds trigrams (once true, it stays true)
        self._token_stats: tuple[float, search.TokenStats] | None = None  # (read at, stats)

    def index_has_trigrams(self, connection: Connection) -> bool:
        """Whether every record's search row holds its trigrams (``kirok_meta.search_grams``,
        migration 0009), so that a query may ask for them."""
        if not self._trigrams:
            value = connection.execute(
                sa.select(meta.c.value).where(meta.c.key == SEARCH_GRAMS_KEY)
            ).scalar()
            self._trigrams = value == TRIGRAM_INDEX
        return self._trigrams

    def token_stats(self, connection: Connection) -> search.TokenStats:
        """The search index's statistics (``search.token_stats``), read again after
        ``_STATS_TTL`` seconds or an ``analyze``: they only choose a plan, never a result."""
        cached = self._token_stats
        now = time.monotonic()
        if cached is None or now - cached[0] > _STATS_TTL:
            cached = self._token_stats = (now, search.token_stats(connection))
        return cached[1]

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> RecordStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def write(self, actor: str) -> Iterator[UnitOfWork]:
        """A writing unit of work: commits when the block ends, rolls back on any error.

        A unit of work that added ``ANALYZE_AFTER`` records or more (a bulk import, the demo)
        refreshes the planner's statistics once it has committed: see ``analyze``."""
        with self.engine.connect().execution_options(**{WRITE_OPTION: True}) as connection:
            with connection.begin():
                uow = UnitOfWork(self, connection, actor)
                yield uow
                uow.flush()
        if uow.added >= ANALYZE_AFTER:
            self.analyze()

    def analyze(self) -> None:
        """Refresh the query planner's statistics on the record tables.

        Without them SQLite takes any index on an equality for a good one: after a bulk load it
        walked the whole index on ``kind`` to find one record's referrers of a kind, instead of
        the handful of rows the index on ``record_refs.target_id`` holds. SQLite samples at
        most ``_SQLITE_ANALYSIS_LIMIT`` rows per index, so this stays cheap at a million
        records. PostgreSQL gets ``VACUUM (ANALYZE)``: besides the statistics, it marks the new
        pages all-visible, without which a count cannot be answered from an index alone and
        visits every row (about 100 ms for 100,000 events after a bulk load, until autovacuum
        comes by); it reads only pages changed since the last vacuum."""
        self._token_stats = None
        if self.engine.dialect.name != "sqlite":
            # VACUUM cannot run inside a transaction block
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql(f"VACUUM (ANALYZE) {', '.join(_ANALYZED)}")
            return
        with self.engine.connect().execution_options(**{WRITE_OPTION: True}) as connection:
            with connection.begin():
                connection.exec_driver_sql(f"PRAGMA analysis_limit={_SQLITE_ANALYSIS_LIMIT}")
                connection.exec_driver_sql("ANALYZE")

    @contextmanager
    def read(self) -> Iterator[UnitOfWork]:
        with self.engine.connect() as connection:
            with connection.begin():
                yield UnitOfWork(self, connection, actor=None)


class UnitOfWork:
    def __init__(self, store: RecordStore, connection: Connection, actor: str | None) -> None:
        self._store = store
        self.connection = connection
        self.actor = actor
        self._audit = AuditWriter(connection)
        self._tokens = search.Tokeniser(store.sealer)
        self._dialect = connection.dialect.name
        self.added = 0  # records added by add_many in this unit of work

    def flush(self) -> None:
        """Write buffered audit entries (done before commit; explicit for long units of work)."""
        self._audit.flush()

    # ---------------------------------------------------------------- writing

    def add(self, record: R) -> R:
        """Store a new record (version 1) and return it with its bookkeeping filled in."""
        return self.add_many([record])[0]

    def add_many(self, batch: Sequence[R]) -> builtins.list[R]:
        """Store new records in one round of statements per table (bulk loads and imports).

        References may point to records stored earlier or earlier in the same batch.
        """
        now = utcnow()
        stored = [
            record.model_copy(
                update={
                    "version": 1,
                    "created_by": self.actor,
                    "created_at": now,
                    "updated_by": self.actor,
                    "updated_at": now,
                }
            )
            for record in batch
        ]
        if not stored:
            return []
        self.added += len(stored)
        columns = [self._columns(record, new=True) for record in stored]
        self._check_references_many(stored)
        insert_rows(
            self.connection,
            records,
            [{"id": r.id, **c} for r, c in zip(stored, columns, strict=True)],
        )
        if self._dialect == "postgresql" and len(stored) >= ANALYZE_AFTER:
            # PostgreSQL checks each reference below with a plan it cached when `records` was
            # small: a sequential scan, per row, over a table this batch just grew, which made
            # the first bulk load into a new database quadratic (32,000 records: 221 s).
            # Statistics taken now (they count this transaction's rows) replan it as an index
            # lookup.
            self.connection.exec_driver_sql("ANALYZE records")
        refs: builtins.list[dict[str, str]] = []
        search_rows: builtins.list[tuple[str, str | builtins.list[int]]] = []
        name_rows: builtins.list[dict[str, str]] = []
        for record in stored:
            refs.extend(
                {"record_id": record.id, "field": field, "target_id": target}
                for field, target in record.referenced_ids().items()
            )
            search_rows.extend(self._search_rows(record))
            name_rows.extend(self._name_rows(record))
        insert_rows(self.connection, record_refs, refs)
        search.insert(self.connection, search_rows)
        insert_rows(self.connection, blind_index, name_rows)
        at = utc_timestamp(now)
        for record in stored:
            self._audit.append(self.actor, "create", record.kind, record.id, {"version": 1}, at)
        return stored

    def update(self, record: R, *, expected_version: int | None = None) -> R:
        """Replace a record's content; the previous version stays readable in its history."""
        current = self._row(record.id)
        if current.kind != record.kind:
            raise RecordProblem(record.kind, record.id, None, f"is stored as a {current.kind}")
        if expected_version is not None and current.version != expected_version:
            raise ConcurrentUpdate(
                f"{record.kind} {record.id} is at version {current.version}, "
                f"not {expected_version}: re-read it and apply the change again"
            )
        stored = record.model_copy(
            update={
                "version": current.version + 1,
                "created_by": current.created_by,
                "created_at": current.created_at,
                "updated_by": self.actor,
                "updated_at": utcnow(),
            }
        )
        columns = self._columns(stored)
        self._check_references(stored)
        self._keep_current_version(stored.id)
        self.connection.execute(
            sa.update(records).where(records.c.id == stored.id).values(**columns)
        )
        for table in (record_refs, blind_index):
            self.connection.execute(sa.delete(table).where(table.c.record_id == stored.id))
        search.remove(self.connection, stored.id)
        self._write_derived(stored, columns)
        self.audit("update", stored.kind, stored.id, {"version": stored.version})
        return stored

    def delete(self, record_id: str) -> None:
        """Mark a record deleted. It disappears from lists and search; its history remains."""
        record = self.get(record_id)
        referrers = self.connection.execute(
            sa.select(record_refs.c.record_id, record_refs.c.field)
            .join(records, records.c.id == record_refs.c.record_id)
            .where(record_refs.c.target_id == record_id, records.c.deleted_at.is_(None))
        ).first()
        if referrers is not None:
            raise RecordProblem(
                record.kind,
                record_id,
                None,
                f"is still referred to by {referrers.record_id} ({referrers.field}); "
                "delete or change that record first",
            )
        version = record.version + 1
        now = utcnow()
        self._keep_current_version(record_id)
        self.connection.execute(
            sa.update(records)
            .where(records.c.id == record_id)
            .values(deleted_at=now, version=version, updated_by=self.actor, updated_at=now)
        )
        self._remove_indexes(record_id)
        self.audit("delete", record.kind, record_id, {"version": version})

    def upsert(self, record: R) -> tuple[R, bool]:
        """Insert, or update the record with the same (kind, source, external_id). True if new."""
        if record.source is None or record.external_id is None:
            return self.add(record), True
        existing_id = self.find_external(record.kind, record.source, record.external_id)
        if existing_id is None:
            return self.add(record), True
        existing = self.get(existing_id)
        candidate = record.model_copy(update={"id": existing_id})
        if isinstance(existing, type(record)) and content_fields(existing) == content_fields(
            candidate
        ):
            return existing, False  # re-importing the same data changes nothing
        return self.update(candidate), False

    def rekey(self, record_id: str) -> None:
        """Re-wrap the record's data key and rebuild its keyed indexes under the current master
        key (key rotation). Sealed fields are untouched: only the small wrapped key changes."""
        row = self.connection.execute(
            sa.select(records.c.wrapped_key, records.c.deleted_at).where(records.c.id == record_id)
        ).one()
        sealer = self._store.sealer
        if row.wrapped_key is not None:
            rewrapped = sealer.rewrap(row.wrapped_key)
            self.connection.execute(
                sa.update(records).where(records.c.id == record_id).values(wrapped_key=rewrapped)
            )
        self._remove_indexes(record_id)
        if row.deleted_at is None:
            self._write_indexes(self.get(record_id))

    def reindex(self, record_ids: Sequence[str]) -> None:
        """Rebuild the search rows and name indexes of these records as the current code
        writes them (deleted records have none), in a few statements for the whole batch."""
        for chunk in _chunks(record_ids, 500):
            self.connection.execute(
                sa.delete(blind_index).where(blind_index.c.record_id.in_(chunk))
            )
            search.remove_many(self.connection, chunk)
            live = self.connection.execute(
                sa.select(records).where(records.c.id.in_(chunk), records.c.deleted_at.is_(None))
            )
            rebuilt = [self._record(row) for row in live]
            names = [r for record in rebuilt for r in self._name_rows(record)]
            search.insert(self.connection, [r for rec in rebuilt for r in self._search_rows(rec)])
            insert_rows(self.connection, blind_index, names)

    def mark_index_complete(self) -> None:
        """Every record's search row now holds trigrams: queries may ask for them."""
        self.connection.execute(sa.delete(meta).where(meta.c.key == SEARCH_GRAMS_KEY))
        self.connection.execute(sa.insert(meta).values(key=SEARCH_GRAMS_KEY, value=TRIGRAM_INDEX))

    def data_key(self, record_id: str) -> bytes:
        """The record's own data key, for content kept outside the database (evidence files)."""
        row = self.connection.execute(
            sa.select(records.c.wrapped_key).where(records.c.id == record_id)
        ).first()
        if row is None or row.wrapped_key is None:
            raise NotFound(record_id)
        return self._store.sealer.unwrap(row.wrapped_key)

    def audit_trail(self, record_id: str) -> builtins.list[dict[str, Any]]:
        """The audit entries about one record, oldest first (e.g. an evidence file's custody)."""
        self.flush()
        rows = self.connection.execute(
            sa.select(audit_log).where(audit_log.c.record_id == record_id).order_by(audit_log.c.seq)
        )
        return [
            {
                "seq": row.seq,
                "at": row.at,
                "actor": row.actor,
                "action": row.action,
                "details": json.loads(row.details),
            }
            for row in rows
        ]

    def record_ids(self, after: str = "", limit: int = 500) -> builtins.list[str]:
        """Ids of every record, deleted ones included, in id order (for batch maintenance)."""
        rows = self.connection.execute(
            sa.select(records.c.id).where(records.c.id > after).order_by(records.c.id).limit(limit)
        )
        return [str(row.id) for row in rows]

    def record_total(self) -> int:
        """Records, deleted ones included (what `record_ids` walks)."""
        statement = sa.select(sa.func.count()).select_from(records)
        return int(self.connection.execute(statement).one()[0])

    def audit(
        self, action: str, entity: str | None, record_id: str | None, details: Mapping[str, Any]
    ) -> None:
        self._audit.append(self.actor, action, entity, record_id, details)

    # ---------------------------------------------------------------- reading

    def get(self, record_id: str, kind: str | None = None) -> Record:
        row = self._row(record_id)
        if kind is not None and row.kind != kind:
            raise NotFound(record_id, kind)
        return self._record(row)

    def exists(self, record_id: str) -> bool:
        row = self.connection.execute(
            sa.select(records.c.id).where(records.c.id == record_id, records.c.deleted_at.is_(None))
        ).first()
        return row is not None

    def existing_ids(self, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` are stored and not deleted (one query per 500 ids)."""
        found: set[str] = set()
        for chunk in _chunks(sorted(set(ids)), 500):
            rows = self.connection.execute(
                sa.select(records.c.id).where(
                    records.c.id.in_(chunk), records.c.deleted_at.is_(None)
                )
            )
            found.update(str(row.id) for row in rows)
        return found

    def find_external(self, kind: str, source: str, external_id: str) -> str | None:
        row = self.connection.execute(
            sa.select(records.c.id).where(
                records.c.kind == kind,
                records.c.source == source,
                records.c.external_id == external_id,
                records.c.deleted_at.is_(None),
            )
        ).first()
        return None if row is None else str(row.id)

    def list(self, query: ListQuery) -> list[Record]:
        places = query.place_ids
        if (
            self._dialect == "postgresql"
            and places is not None
            and 1 < len(places) <= _MERGED_PLACES
        ):
            # A place and its sub-places: each place's rows in list order through the place
            # index, merged, instead of every row of them all fetched and sorted (a province's
            # 5,000 events: 29-39 ms on PostgreSQL, about 1 ms merged). SQLite sorts a compound
            # query's rows instead of merging them: its single filter is faster there.
            wanted = query.offset + query.limit
            parts = [
                self._filtered(dataclasses.replace(query, place_ids=[place]))
                .order_by(records.c.created_at, records.c.id)
                .limit(wanted)
                .subquery()
                for place in places
            ]
            merged = sa.union_all(*(sa.select(part) for part in parts)).subquery()
            statement = sa.select(merged).order_by(merged.c.created_at, merged.c.id)
        else:
            statement = self._filtered(query).order_by(records.c.created_at, records.c.id)
        rows = self.connection.execute(statement.limit(query.limit).offset(query.offset))
        return [self._record(row) for row in rows]

    def count(self, query: ListQuery) -> int:
        # Only a reading unit of work may use the cache: a writer's own changes are not in the
        # audit log until it flushes.
        key: tuple[Any, ...] | None = None
        if self.actor is None:
            head = self.connection.execute(sa.select(sa.func.max(audit_log.c.seq))).scalar()
            key = (head, *_count_key(query))
            cached = self._store.counts.get(key)
            if cached is not None:
                return cached
        inner = self._filtered(query).with_only_columns(records.c.id).subquery()
        n = int(self.connection.execute(sa.select(sa.func.count()).select_from(inner)).one()[0])
        if key is not None:
            self._store.counts.put(key, n)
        return n

    def iter_kind(self, kind: str, batch: int = 2000) -> Iterator[Record]:
        """Every live record of a kind, in batches (for linkage, exports and reports)."""
        last = ""
        while True:
            rows = self.connection.execute(
                sa.select(records)
                .where(records.c.kind == kind, records.c.deleted_at.is_(None), records.c.id > last)
                .order_by(records.c.id)
                .limit(batch)
            ).all()
            if not rows:
                return
            for row in rows:
                yield self._record(row)
            last = rows[-1].id

    def search(
        self,
        text: str,
        kinds: Sequence[str] | None = None,
        limit: int = 50,
        *,
        after: str | None = None,
    ) -> builtins.list[Record]:
        """Records whose searchable text contains every word of ``text`` (case/accent folded),
        in index order (the order records were last written); ``after`` continues a search past
        the last record an earlier call in the same unit of work returned."""
        found = self.iter_search(text, kinds, expect=limit, after=after)
        return builtins.list(itertools.islice(found, limit))

    def iter_search(
        self,
        text: str,
        kinds: Sequence[str] | None = None,
        *,
        expect: int = 50,
        after: str | None = None,
    ) -> Iterator[Record]:
        """`search` as a stream, for callers that filter further and stop when they have enough;
        `expect` is how many they will likely take (the first batch of candidates read)."""
        trigrams = self._store.index_has_trigrams(self.connection)
        words = [
            sorted({self._tokens.token(g) for g in grams.query_grams(word, trigrams=trigrams)})
            for word in grams.words(text)
        ]
        tokens = sorted({t for word in words for t in word})
        if not tokens:
            return
        budget = search.walk_budget(words, self._store.token_stats(self.connection), expect)
        after_doc = 0
        if after is not None:
            resumed = self.connection.execute(search.doc_of(after)).first()
            after_doc = int(resumed[0]) if resumed is not None else 0
        # Candidates a batch at a time, in index order: a common word has tens of thousands of
        # candidates, and only the first few are ever opened.
        batch_size = min(_SEARCH_BATCH, expect + expect // 4 + 8)
        while True:
            batch = self.connection.execute(
                search.candidates(
                    self._dialect, tokens, after_doc=after_doc, limit=batch_size, walk=budget
                )
            ).all()
            if batch:
                statement = sa.select(records).where(
                    _one_of(records.c.id, [row.record_id for row in batch], self._dialect),
                    records.c.deleted_at.is_(None),
                )
                if kinds:
                    statement = statement.where(records.c.kind.in_(kinds))
                rows = {row.id: row for row in self.connection.execute(statement)}
                for candidate in batch:
                    row = rows.get(candidate.record_id)
                    if row is None:
                        continue
                    record = self._record(row)
                    # The gram index narrows; the decrypted text decides.
                    if grams.matches(text, record.searchable_text()):
                        yield record
            if len(batch) == batch_size:
                if budget is not None:  # rows walked, as far as the numbering tells
                    budget -= batch[-1].doc - after_doc
                    budget = budget if budget > batch_size else None
                after_doc = batch[-1].doc
            elif budget is None:
                return
            else:
                # The walk has read as many rows as the index would give hits: it takes over
                # after the last row walked.
                last = self.connection.execute(search.walked_to(after_doc, budget)).scalar()
                if last is None:
                    return
                after_doc, budget = int(last), None
            batch_size = min(_SEARCH_BATCH, batch_size * 2)

    def find_person_by_name(self, name: str) -> builtins.list[str]:
        """Ids of persons with a name form or alias exactly ``name`` (case, accents and spaces
        aside), found through the keyed blind index: no plaintext is compared in SQL."""
        digest = self._store.sealer.blind_index("name", _name_key(name))
        rows = self.connection.execute(
            sa.select(blind_index.c.record_id).where(
                blind_index.c.field == "name", blind_index.c.digest == digest
            )
        )
        return [str(row.record_id) for row in rows]

    def referrers(self, target_id: str, kind: str | None = None) -> builtins.list[Record]:
        referring = sa.select(record_refs.c.record_id).where(record_refs.c.target_id == target_id)
        statement = sa.select(records).where(
            records.c.id.in_(referring), records.c.deleted_at.is_(None)
        )
        if kind:
            statement = statement.where(records.c.kind == kind)
        return [
            self._record(row) for row in self.connection.execute(statement.order_by(records.c.id))
        ]

    def descendants(self, record_id: str, field: str = "parent_id") -> builtins.list[str]:
        """`record_id` and every live record of its kind under it through `field` references,
        at any depth (a place and the places inside it), in id order.

        It reads the kind's links alone, through the (kind, id) index and the references' key,
        without opening a record: a place has thousands of referrers (its events, people's
        hometowns) but its kind only a few hundred records."""
        kind = self.connection.execute(
            sa.select(records.c.kind).where(records.c.id == record_id)
        ).scalar()
        children: dict[str, builtins.list[str]] = {}
        if kind is not None:
            links = self.connection.execute(
                sa.select(records.c.id, record_refs.c.target_id)
                .join(
                    record_refs,
                    sa.and_(record_refs.c.record_id == records.c.id, record_refs.c.field == field),
                )
                .where(records.c.kind == kind, records.c.deleted_at.is_(None))
            )
            for child, parent in links:
                children.setdefault(str(parent), []).append(str(child))
        found, todo = {record_id}, [record_id]
        while todo:
            for child in children.get(todo.pop(), []):
                if child not in found:  # a cycle ends here instead of looping
                    found.add(child)
                    todo.append(child)
        return sorted(found)

    def history(self, record_id: str) -> builtins.list[Version]:
        current = self.connection.execute(
            sa.select(records).where(records.c.id == record_id)
        ).first()
        if current is None:
            raise NotFound(record_id)
        rows: dict[int, Any] = {
            version.version: version
            for version in self.connection.execute(
                sa.select(record_versions).where(record_versions.c.record_id == record_id)
            )
        }
        rows.setdefault(current.version, _current_version(current))
        out = []
        for number in sorted(rows):
            version = rows[number]
            document = self._document(
                current.kind, record_id, version.data, version.sealed, current.wrapped_key
            )
            document["version"] = number
            out.append(
                Version(
                    version=number,
                    action=version.action,
                    changed_by=version.changed_by,
                    changed_at=_utc(version.changed_at),
                    record=record_type(current.kind).model_validate(document),
                )
            )
        return out

    def counts_by_kind(self) -> dict[str, int]:
        rows = self.connection.execute(
            sa.select(records.c.kind, sa.func.count())
            .where(records.c.deleted_at.is_(None))
            .group_by(records.c.kind)
        )
        return {str(kind): int(n) for kind, n in rows}

    def count_by_place(self, query: ListQuery) -> dict[str, int]:
        """Records matching `query` per place id, in one grouped query (maps count per place)."""
        inner = self._filtered(query).with_only_columns(records.c.place_id).subquery()
        rows = self.connection.execute(
            sa.select(inner.c.place_id, sa.func.count())
            .where(inner.c.place_id.is_not(None))
            .group_by(inner.c.place_id)
        )
        return {str(place_id): int(n) for place_id, n in rows}

    def count_by_term_and_year(self, query: ListQuery) -> dict[tuple[str | None, int | None], int]:
        """Records matching `query` per (primary term, year of the earliest day they could be),
        in one grouped query; ``None`` for a record without a term or without a dated start."""
        grouped = (
            self._filtered(query).with_only_columns(records.c.term, records.c.date_from).subquery()
        )
        year = sa.extract("year", grouped.c.date_from)
        rows = self.connection.execute(
            sa.select(grouped.c.term, year, sa.func.count()).group_by(grouped.c.term, year)
        )
        out: dict[tuple[str | None, int | None], int] = {}
        for term, year_value, n in rows:
            # an open start (``../2005``) is stored as the first day of year 1: not a year
            known = int(year_value) if year_value is not None and int(year_value) > 1 else None
            key = (None if term is None else str(term), known)
            out[key] = out.get(key, 0) + int(n)
        return out

    # ---------------------------------------------------------------- internals

    def _filtered(self, query: ListQuery) -> sa.Select[Any]:
        statement = sa.select(records).where(
            records.c.kind == query.kind, records.c.deleted_at.is_(None)
        )
        if query.terms is not None:
            statement = statement.where(records.c.term.in_(list(query.terms)))
        # Overlap: the record's span [date_from, date_to] meets the wanted one.
        if query.date_from is not None:
            statement = statement.where(records.c.date_to >= query.date_from)
        if query.date_to is not None:
            statement = statement.where(records.c.date_from <= query.date_to)
        if query.place_ids is not None:
            statement = statement.where(records.c.place_id.in_(list(query.place_ids)))
        if query.confidentiality is not None:
            statement = statement.where(
                records.c.confidentiality.in_([c.value for c in query.confidentiality])
            )
        if query.refers_to is not None:
            statement = statement.where(
                records.c.id.in_(
                    sa.select(record_refs.c.record_id).where(
                        record_refs.c.target_id == query.refers_to
                    )
                )
            )
        return statement

    def _row(self, record_id: str) -> sa.Row[Any]:
        row = self.connection.execute(
            sa.select(records).where(records.c.id == record_id, records.c.deleted_at.is_(None))
        ).first()
        if row is None:
            raise NotFound(record_id)
        return row

    def _record(self, row: sa.Row[Any]) -> Record:
        document = self._document(row.kind, row.id, row.data, row.sealed, row.wrapped_key)
        document.update(
            id=row.id,
            version=row.version,
            created_by=row.created_by,
            created_at=_utc(row.created_at),
            updated_by=row.updated_by,
            updated_at=_utc(row.updated_at),
        )
        return record_type(row.kind).model_validate(document)

    def _document(
        self,
        kind: str,
        record_id: str,
        data: Mapping[str, Any],
        sealed: bytes | None,
        wrapped_key: bytes | None,
    ) -> dict[str, Any]:
        document = dict(data)
        if sealed is not None and wrapped_key is not None:
            sealer = self._store.sealer
            dek = sealer.unwrap(wrapped_key)
            document.update(json.loads(sealer.open(dek, sealed, _aad(kind, record_id))))
        return document

    def _columns(self, record: Record, *, new: bool = False) -> dict[str, Any]:
        """Validate and split a record into its column values; sensitive fields get sealed."""
        try:
            record = type(record).model_validate(record.model_dump())
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(part) for part in first["loc"])
            raise RecordProblem(record.kind, record.id, field, first["msg"]) from None
        content = content_fields(record)
        sensitive_names = self._store.sensitive_fields.get(record.kind, frozenset())
        sensitive = {k: content.pop(k) for k in list(content) if k in sensitive_names}
        sealed = wrapped = None
        if sensitive_names:
            existing = None
            if not new:
                existing = self.connection.execute(
                    sa.select(records.c.wrapped_key).where(records.c.id == record.id)
                ).first()
            sealer = self._store.sealer
            if existing is not None and existing.wrapped_key is not None:
                wrapped = existing.wrapped_key
                dek = sealer.unwrap(wrapped)
            else:
                dek, wrapped = sealer.new_data_key()
            sealed = sealer.seal(dek, json.dumps(sensitive), _aad(record.kind, record.id))
        earliest, latest = _span(record)
        return {
            "kind": record.kind,
            "version": record.version,
            "confidentiality": record.confidentiality.value,
            "source": record.source,
            "external_id": record.external_id,
            "term": getattr(record, record.term_field) if record.term_field else None,
            "date_from": earliest,
            "date_to": latest,
            "place_id": getattr(record, "place_id", None),
            "data": content,
            "sealed": sealed,
            "wrapped_key": wrapped,
            "created_by": record.created_by,
            "created_at": record.created_at,
            "updated_by": record.updated_by,
            "updated_at": record.updated_at,
        }

    def _check_references(self, record: Record) -> None:
        self._check_references_many([record])

    def _check_references_many(self, batch: Sequence[Record]) -> None:
        wanted = {target for record in batch for target in record.referenced_ids().values()}
        if not wanted:
            return
        found = {record.id: record.kind for record in batch}
        missing = wanted - set(found)
        for chunk in _chunks(sorted(missing), 500):
            rows = self.connection.execute(
                sa.select(records.c.id, records.c.kind).where(
                    records.c.id.in_(chunk), records.c.deleted_at.is_(None)
                )
            )
            found.update({row.id: row.kind for row in rows})
        for record in batch:
            for field, target in record.referenced_ids().items():
                expected = record.references[field]
                if found.get(target) != expected:
                    reason = (
                        f"refers to {expected} {target!r}, which does not exist"
                        if target not in found
                        else f"refers to {target!r}, which is a {found[target]}, not a {expected}"
                    )
                    raise RecordProblem(record.kind, record.id, field, reason)

    def _write_derived(self, record: Record, columns: Mapping[str, Any]) -> None:
        references = record.referenced_ids()
        if references:
            self.connection.execute(
                sa.insert(record_refs),
                [
                    {"record_id": record.id, "field": field, "target_id": target}
                    for field, target in references.items()
                ],
            )
        self._write_indexes(record)

    def _write_indexes(self, record: Record) -> None:
        """The keyed search row and name blind indexes of a record."""
        search.insert(self.connection, self._search_rows(record))
        insert_rows(self.connection, blind_index, self._name_rows(record))

    def _remove_indexes(self, record_id: str) -> None:
        self.connection.execute(sa.delete(blind_index).where(blind_index.c.record_id == record_id))
        search.remove(self.connection, record_id)

    def _search_rows(self, record: Record) -> builtins.list[tuple[str, str | builtins.list[int]]]:
        tokens = self._tokens.record_tokens(record.searchable_text())
        return [(record.id, search.stored_value(self._dialect, tokens))] if tokens else []

    def _name_rows(self, record: Record) -> builtins.list[dict[str, str]]:
        names = {_name_key(text) for text in _exact_names(record) if text.strip()}
        sealer = self._store.sealer
        return [
            {"record_id": record.id, "field": "name", "digest": sealer.blind_index("name", n)}
            for n in names
        ]

    def _keep_current_version(self, record_id: str) -> None:
        """Copy the record's current version into its history, unless it is there already
        (databases written before copy-on-write versions hold every version there)."""
        current = records.alias("current")
        kept = sa.select(
            current.c.id,
            current.c.version,
            sa.case((current.c.version == 1, "create"), else_="update"),
            current.c.updated_by,
            current.c.updated_at,
            current.c.data,
            current.c.sealed,
        ).where(
            current.c.id == record_id,
            ~sa.exists().where(
                record_versions.c.record_id == current.c.id,
                record_versions.c.version == current.c.version,
            ),
        )
        self.connection.execute(
            sa.insert(record_versions).from_select(
                [
                    "record_id",
                    "version",
                    "action",
                    "changed_by",
                    "changed_at",
                    "data",
                    "sealed",
                ],
                kept,
            )
        )


def _count_key(query: ListQuery) -> tuple[Any, ...]:
    """What a count depends on: every filter of `query`, not its page."""

    def frozen(values: Sequence[Any] | None) -> tuple[Any, ...] | None:
        return None if values is None else tuple(values)

    return (
        query.kind,
        frozen(query.terms),
        query.date_from,
        query.date_to,
        frozen(query.place_ids),
        frozen(query.confidentiality),
        query.refers_to,
    )


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class _CurrentVersion:
    """A record's current row in the shape of a ``record_versions`` row."""

    action: str
    changed_by: str | None
    changed_at: datetime
    data: Mapping[str, Any]
    sealed: bytes | None


def _current_version(row: sa.Row[Any]) -> _CurrentVersion:
    if row.deleted_at is not None:
        action = "delete"
    else:
        action = "create" if row.version == 1 else "update"
    return _CurrentVersion(action, row.updated_by, row.updated_at, row.data, row.sealed)


def _utc(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; kirok writes them all in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _aad(kind: str, record_id: str) -> str:
    # Binds a sealed blob to its record: a blob copied onto another record will not open.
    return f"kirok:{kind}:{record_id}"


def _name_key(text: str) -> str:
    return grams.fold("".join(text.split()))


def _exact_names(record: Record) -> list[str]:
    return record.searchable_text() if record.kind == "person" else []


# Imports repeat the same few thousand dates (birth years above all); parsed dates are immutable.
_parsed_date = functools.lru_cache(maxsize=8192)(parse_date)


def _span(record: Record) -> tuple[date | None, date | None]:
    """The earliest and latest day any of the record's dates could be."""
    earliest: date | None = None
    latest: date | None = None
    for field in record.date_fields:
        text = getattr(record, field)
        if not text:
            continue
        try:
            parsed = _parsed_date(text)
        except DateParseError as error:
            raise RecordProblem(record.kind, record.id, field, str(error)) from None
        earliest = parsed.earliest if earliest is None else min(earliest, parsed.earliest)
        latest = parsed.latest if latest is None else max(latest, parsed.latest)
    return earliest, latest
