"""PostgreSQL's plan for a common word: walk the search index in order, within a budget, then let
the GIN index take over (``search.walk_budget``). The plan may change the cost, never the result."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from kirok.domain.records import Event
from kirok.services.context import Settings, initialise
from kirok.store import grams, search
from kirok.store.repository import RecordStore
from kirok.store.search import TokenStats, walk_budget

# token → its stored (signed) value, as the statistics key it
A, B, C, RARE = "00000000000000a1", "ffffffffffffff02", "00000000000000c3", "00000000000000d4"


def test_a_word_counts_as_common_as_its_rarest_token_and_words_multiply() -> None:
    stats = TokenStats(
        rows=10_000,
        shares={search._signed(A): 0.5, search._signed(B): 0.2, search._signed(C): 0.4},
    )
    assert search._signed(B) < 0  # the statistics hold PostgreSQL's signed bigints
    # one word: the share of its rarest token (its grams occur together), not 0.5 * 0.2
    assert walk_budget([[A, B]], stats, 50) == 2_000
    assert walk_budget([[A, B], [C]], stats, 50) == 800  # two words: 0.2 * 0.4
    # a token the statistics do not list is rarer than any they do: the planner decides
    assert walk_budget([[A, RARE]], stats, 50) is None
    # a walk that would not expect a batch within the index's hits does not start
    assert walk_budget([[B], [C]], TokenStats(rows=1_000, shares=stats.shares), 50) is None
    assert walk_budget([[A]], TokenStats(), 50) is None  # no statistics yet (or SQLite)
    assert walk_budget([], stats, 50) is None


@pytest.fixture
def store(postgres_url: str, tmp_path: Path) -> Iterator[RecordStore]:
    settings = Settings(
        db_url=postgres_url, keystore=tmp_path / "keys.json", key_file=tmp_path / "k.key"
    )
    with initialise(settings) as opened:
        yield opened


def _load(store: RecordStore) -> None:
    """600 events: the first 150 without the common words, then 구금 and Detention in four of
    every five, a rare name in a few, spread out."""
    events = []
    for i in range(600):
        title = "Record of interview"
        if i >= 150 and i % 5:
            title = f"구금 Detention at site {i}"
        if i % 97 == 0:
            title += " 박순련"
        events.append(Event(title=title))
    with store.write("alice") as uow:
        uow.add_many(events)
    store.analyze()


def _all(store: RecordStore, text: str, page: int) -> list[str]:
    """Every match, page by page, as a caller continuing with ``after`` reads them."""
    out: list[str] = []
    after = None
    while True:
        with store.read() as uow:
            found = [r.id for r in uow.search(text, limit=page, after=after)]
        out += found
        if len(found) < page:
            return out
        after = found[-1]


@pytest.mark.postgres
def test_postgresql_statistics_make_common_words_walk_and_rare_ones_use_the_index(
    store: RecordStore,
) -> None:
    _load(store)
    walks: list[str] = []

    def seen(_c: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "AS walk" in statement:
            walks.append(statement)

    with store.read() as uow:
        stats = store.token_stats(uow.connection)
        common = sorted({uow._tokens.token(g) for g in grams.query_grams("구금")})
        rare = sorted({uow._tokens.token(g) for g in grams.query_grams("박순련", trigrams=True)})
    assert 550 <= stats.rows <= 650
    share = stats.shares[search._signed(common[0])]
    assert share == pytest.approx(360 / 600, abs=0.05)
    assert walk_budget([common], stats, 50) is not None
    assert walk_budget([rare], stats, 50) is None

    sa.event.listen(store.engine, "before_cursor_execute", seen)
    try:
        with store.read() as uow:
            assert len(uow.search("구금", limit=20)) == 20
        assert walks, "a common word walks the index"
        walks.clear()
        with store.read() as uow:
            assert len(uow.search("박순련")) == 7
        assert not walks, "a rare word is left to the planner (the GIN index)"
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", seen)


@pytest.mark.postgres
@pytest.mark.parametrize("budget", [None, 3, 40, 10_000])
def test_every_plan_finds_the_same_records_in_the_same_order(
    store: RecordStore, monkeypatch: pytest.MonkeyPatch, budget: int | None
) -> None:
    """A walk that runs out (3 or 40 rows, before the first match at row 151) hands over to the
    index after the last row it read; one that does not (10,000) finds everything itself."""
    _load(store)
    expected = {q: _all(store, q, 7) for q in ("구금", "detention 구금", "박순련", "interview")}
    assert len(expected["구금"]) == 360 and len(expected["interview"]) == 240
    monkeypatch.setattr(search, "walk_budget", lambda *_: budget)
    for query, ids in expected.items():
        assert _all(store, query, 7) == ids
        assert _all(store, query, 50) == ids
