"""The keyed search index: one row per record, indexed the way each backend does best.

A record's search grams (``kirok.store.grams``) are turned into keyed tokens, HMAC-SHA256 under
the master key's gram subkey truncated to 64 bits, and stored together in one ``search_docs`` row.
Nothing in the index is plaintext or an unkeyed hash of it. Each backend indexes the row with its
own inverted index:

- SQLite: an FTS5 table over ``search_docs.tokens`` (space-separated hex tokens; external
  content, ``detail=none``). New rows are added to it here, in one statement after the rows
  themselves; triggers mirror deletes and changes. FTS5 buffers a transaction's postings in
  memory and writes them as compact sorted segments.
- PostgreSQL: ``search_docs.tokens`` is a ``bigint[]`` with a GIN index; a query asks for rows
  whose array contains every wanted token (``@>``). For a common word it walks the primary key
  instead (``walk_budget``): the planner multiplies the shares of a word's grams as if they were
  independent, takes ``Detention`` (seven trigrams, 9% of rows) for a rare word, and collects and
  sorts every hit through the GIN index (36 ms for 30,000 hits, against 3 ms walking to the
  first page).

One row per record replaces the earlier one row per (gram, record) table (``text_grams``), whose
random keys spread every bulk load over the whole B-tree (docs/adr/0005). A search narrows
candidates through the index and confirms each against the decrypted text, so a token collision
never yields a false hit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kirok.store import grams
from kirok.store.bulk import insert_tuples
from kirok.store.schema import SQLITE_SEARCH_TABLE, search_docs
from kirok.store.sealing import Sealer

TOKEN_HEX = 16  # 64 bits of the gram's HMAC
_WORDS_KEPT = 50_000  # distinct words whose tokens a unit of work keeps (a few MiB)


class Tokeniser:
    """Gram → keyed token, each distinct gram computed once (grams repeat across records), and
    word → its tokens for the most common words (names and words repeat across records too)."""

    def __init__(self, sealer: Sealer) -> None:
        self._sealer = sealer
        self._cache: dict[str, str] = {}
        self._words: dict[str, frozenset[str]] = {}

    def token(self, gram: str) -> str:
        cached = self._cache.get(gram)
        if cached is None:
            cached = self._cache[gram] = self._sealer.blind_index("gram", gram)[:TOKEN_HEX]
        return cached

    def record_tokens(self, texts: Iterable[str]) -> list[str]:
        """The sorted distinct tokens of a record's searchable texts."""
        tokens: set[str] = set()
        for text in texts:
            for word in grams.words(text):
                known = self._words.get(word)
                if known is None:
                    known = frozenset(self.token(g) for g in grams.word_grams(word))
                    if len(self._words) < _WORDS_KEPT:
                        self._words[word] = known
                tokens |= known
        return sorted(tokens)


def stored_value(dialect: str, tokens: list[str]) -> str | list[int]:
    """What ``search_docs.tokens`` holds on this backend."""
    if dialect == "postgresql":
        return [_signed(t) for t in tokens]
    return " ".join(tokens)


def insert_statement(dialect: str) -> str:
    """Driver-level INSERT of (record_id, tokens) rows, for executemany."""
    if dialect == "postgresql":
        return "INSERT INTO search_docs (record_id, tokens) VALUES (%s, %s::bigint[])"
    return "INSERT INTO search_docs (record_id, tokens) VALUES (?, ?)"


def insert(connection: Connection, rows: list[tuple[str, str | list[int]]]) -> None:
    """Index rows: (record id, ``stored_value`` of its tokens), in one executemany."""
    if not rows:
        return
    dialect = connection.dialect.name
    if dialect != "sqlite":
        insert_tuples(connection, "search_docs", ("record_id", "tokens"), rows)
        return
    # The writer holds SQLite's write lock: the new rows are exactly those numbered after it.
    last = connection.exec_driver_sql("SELECT coalesce(max(doc), 0) FROM search_docs").scalar()
    connection.exec_driver_sql(insert_statement(dialect), rows)
    connection.exec_driver_sql(
        f"INSERT INTO {SQLITE_SEARCH_TABLE}(rowid, tokens) "
        "SELECT doc, tokens FROM search_docs WHERE doc > ?",
        (last,),
    )


def remove(connection: Connection, record_id: str) -> None:
    connection.execute(sa.delete(search_docs).where(search_docs.c.record_id == record_id))


def remove_many(connection: Connection, record_ids: Sequence[str]) -> None:
    connection.execute(sa.delete(search_docs).where(search_docs.c.record_id.in_(record_ids)))


def candidates(
    dialect: str, tokens: list[str], *, after_doc: int, limit: int, walk: int | None = None
) -> sa.Select[int, str]:
    """The first ``limit`` index rows numbered after ``after_doc`` that hold every one of
    ``tokens``, as (doc, record id) in index order.

    Index order lets each backend stop after ``limit`` hits: FTS5 walks its doclists in rowid
    order, PostgreSQL can walk the primary key; an order by record id would make both collect
    and sort every hit of a common word first (tens of thousands) for a page of fifty.

    On PostgreSQL ``walk`` makes it read the next ``walk`` rows in primary-key order and test
    each, whatever the planner estimates (``walk_budget``); without it the planner chooses."""
    if dialect == "postgresql":
        wanted = [_signed(t) for t in tokens]
        hits: sa.Select[int] | sa.TextualSelect
        if walk is not None:
            # The inner LIMIT also keeps the planner from pushing the containment test into the
            # scan, where it would answer it through the GIN index instead of walking.
            hits = (
                sa.text(
                    "SELECT doc FROM (SELECT doc, tokens FROM search_docs WHERE doc > :after "
                    "ORDER BY doc LIMIT :walk) AS walk "
                    "WHERE tokens @> CAST(:wanted AS BIGINT[]) ORDER BY doc LIMIT :n"
                )
                .bindparams(after=after_doc, walk=walk, wanted=wanted, n=limit)
                .columns(sa.column("doc"))
            )
        else:
            contains = sa.text("search_docs.tokens @> CAST(:wanted AS BIGINT[])").bindparams(
                wanted=wanted
            )
            hits = (
                sa.select(search_docs.c.doc)
                .where(contains, search_docs.c.doc > after_doc)
                .order_by(search_docs.c.doc)
                .limit(limit)
            )
    else:
        expression = " ".join(f'"{t}"' for t in tokens)  # hex only: nothing to escape
        hits = (
            sa.text(
                f"SELECT rowid FROM {SQLITE_SEARCH_TABLE} WHERE {SQLITE_SEARCH_TABLE} MATCH :q "
                "AND rowid > :after ORDER BY rowid LIMIT :n"
            )
            .bindparams(q=expression, after=after_doc, n=limit)
            .columns(sa.column("rowid"))
        )
    return (
        sa.select(search_docs.c.doc, search_docs.c.record_id)
        .where(search_docs.c.doc.in_(hits))
        .order_by(search_docs.c.doc)
    )


@dataclass(frozen=True)
class TokenStats:
    """PostgreSQL's sampled statistics of the search index: its rows, and the share of them
    holding each of its most common tokens (``pg_stats.most_common_elems``, refreshed by
    ``ANALYZE``), keyed by stored token. Empty on SQLite and before the first ``ANALYZE``."""

    rows: float = 0.0
    shares: Mapping[int, float] = field(default_factory=dict)


def token_stats(connection: Connection) -> TokenStats:
    if connection.dialect.name != "postgresql":
        return TokenStats()
    row = connection.execute(
        sa.text(
            "SELECT c.reltuples, s.most_common_elems::text::bigint[], s.most_common_elem_freqs "
            "FROM pg_class AS c JOIN pg_stats AS s ON s.schemaname = current_schema() "
            "AND s.tablename = c.relname AND s.attname = 'tokens' "
            "WHERE c.oid = 'search_docs'::regclass"
        )
    ).first()
    if row is None or row[1] is None or row[2] is None:
        return TokenStats()
    # the frequencies end with three summaries, which zip leaves out
    return TokenStats(float(row[0]), dict(zip(row[1], row[2], strict=False)))


def walk_budget(words: Sequence[Sequence[str]], stats: TokenStats, limit: int) -> int | None:
    """How many rows a search may walk in index order (PostgreSQL), or None to leave the plan
    to the planner: a rare query, or no statistics.

    Walking costs about the same per row read (~1.5 µs) as the GIN index per hit (~1 µs, every
    hit fetched and sorted before the first page). So a walk may read about as many rows as the
    index would give hits, and the index takes over when it has not found a page by then: never
    much more than twice the index's cost, often a tenth of it. Rows are not spread evenly (a
    bulk import writes persons, then events), so a walk may find its page late or never.

    A word's grams occur together, so the share of rows holding a word is at most that of its
    rarest token, not their product; words are taken as independent. A token missing from the
    statistics is rarer than all of them: the word is rare."""
    if not words:
        return None
    share = 1.0
    for tokens in words:
        share *= min((stats.shares.get(_signed(t), 0.0) for t in tokens), default=0.0)
    budget = int(share * stats.rows)
    if share <= 0.0 or budget < limit / share:
        return None
    return budget


def walked_to(after_doc: int, walk: int) -> sa.Select[int]:
    """The last index row a walk of ``walk`` rows after ``after_doc`` read (None past the end)."""
    walked = (
        sa.select(search_docs.c.doc)
        .where(search_docs.c.doc > after_doc)
        .order_by(search_docs.c.doc)
        .limit(walk)
        .subquery()
    )
    return sa.select(sa.func.max(walked.c.doc))


def doc_of(record_id: str) -> sa.Select[int]:
    """The index row number of a record (where a continued search resumes)."""
    return sa.select(search_docs.c.doc).where(search_docs.c.record_id == record_id)


def _signed(token: str) -> int:
    """A 64-bit hex token as PostgreSQL's signed bigint (two's complement)."""
    value = int(token, 16)
    return value - (1 << 64) if value >= 1 << 63 else value
