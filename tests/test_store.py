"""Integration tests of the record store, run on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from kirok.domain.errors import ConcurrentUpdate, NotFound, RecordProblem
from kirok.domain.records import (
    Act,
    BiographicLink,
    Confidentiality,
    Consent,
    CustodyStep,
    Designation,
    Event,
    EventLink,
    Evidence,
    Information,
    Intervention,
    Involvement,
    NameForm,
    Person,
    Place,
    PlaceName,
    RefugeeCase,
    Resolution,
    Romanization,
    SanctionEntry,
    Script,
    VoteCount,
)
from kirok.services.context import KeyMismatch, Settings, initialise, open_store
from kirok.store import grams, migrate, repository
from kirok.store.engine import create_engine
from kirok.store.repository import ListQuery, RecordStore


def _settings(url: str, tmp_path: Path) -> Settings:
    return Settings(db_url=url, keystore=tmp_path / "keys.json", key_file=tmp_path / "kirok.key")


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Iterator[RecordStore]:
    with initialise(_settings(db_url, tmp_path)) as opened:
        yield opened


def _graph() -> list[object]:
    """One record of every kind, linked the way an interview links them."""
    province = Place(place_kind="province", names=[PlaceName(text="South Hamgyong")])
    camp = Place(
        place_kind="facility",
        names=[PlaceName(text="요덕", script="hangul", system="none")],
        parent_id=province.id,
        lat=39.7,
        lon=127.3,
        precision_m=5000,
        facility_type="L-KWANLISO",
    )
    victim = Person(
        name_forms=[
            NameForm(text="김정일", script=Script.HANGUL, system=Romanization.NONE),
            NameForm(text="Kim Chŏng-il", family="Kim", given="Chŏng-il", system=Romanization.MR),
        ],
        aliases=["Jong-il"],
        sex="39000000000001",
        birth_date="1962~",
        birth_place_id=province.id,
        confidentiality=Confidentiality.CONFIDENTIAL,
    )
    witness = Person(name_forms=[NameForm(text="Lee Sol-ju")], contact="+82 10 0000 0000")
    unit = Person(counting_unit="unit", name_forms=[NameForm(text="Ministry of State Security")])
    event = Event(
        title="Detention at Yodok",
        description="정치범수용소에서 고문을 당했다",
        start_date="1999-03",
        end_date="2003?",
        place_id=camp.id,
    )
    later = Event(title="Release", start_date="2003")
    act = Act(event_id=event.id, victim_id=victim.id, act_type="ARBITRARY", place_id=camp.id)
    return [
        province,
        camp,
        victim,
        witness,
        unit,
        event,
        later,
        EventLink(from_event_id=event.id, to_event_id=later.id, relation="precedes"),
        act,
        Involvement(act_id=act.id, perpetrator_id=unit.id, degree="direct"),
        Information(
            source_person_id=witness.id,
            event_id=event.id,
            testimony="He was beaten every night in the camp.",
            reliability="high",
            date_of_source="2010-05-17",
        ),
        Intervention(intervention_type="urgent_appeal", victim_id=victim.id, date="2004"),
        BiographicLink(person_id=victim.id, related_person_id=witness.id, relationship="sibling"),
        Evidence(sha256="a" * 64, filename="map.png", size=10, event_id=event.id),
        Consent(person_id=witness.id, scopes=["internal"], given_on=date(2010, 5, 17)),
        Designation(program="religious_freedom_cpc", country="KP", year=2023, status="designated"),
        Resolution(body="UNGA", symbol="A/RES/78/218", vote=VoteCount(yes=None), adopted_on="2023"),
        SanctionEntry(
            program="OFAC", listed_name="Ministry of State Security", perpetrator_id=unit.id
        ),
        RefugeeCase(
            person_id=witness.id,
            status="detained_china",
            steps=[CustodyStep(stage="arrest_china", start_date="2019-02")],
        ),
    ]


def test_every_kind_round_trips(store: RecordStore) -> None:
    records = _graph()
    with store.write("alice") as uow:
        stored = [uow.add(record) for record in records]  # type: ignore[arg-type]
    with store.read() as uow:
        for original in stored:
            loaded = uow.get(original.id)
            assert loaded == original
            assert loaded.version == 1 and loaded.created_by == "alice"
    kinds = {type(r).kind for r in records}  # type: ignore[attr-defined]
    with store.read() as uow:
        assert set(uow.counts_by_kind()) == kinds


def test_bulk_insert_keeps_awkward_text_exact(store: RecordStore) -> None:
    """Bulk inserts go through executemany (SQLite) or COPY (PostgreSQL): tabs, newlines,
    backslashes, quotes and non-BMP characters must come back byte for byte."""
    awkward = "tab\there\nnew line \\N \\. back\\slash \"quoted\" 'single' 𠀀 \r end"
    people = [
        Person(name_forms=[NameForm(text=f"{awkward} {i}")], aliases=[awkward], notes=awkward)
        for i in range(3)
    ]
    event = Event(title=awkward, description=awkward, start_date="2001")
    with store.write("alice") as uow:
        stored = uow.add_many([*people, event])
    with store.read() as uow:
        for original in stored:
            assert uow.get(original.id) == original
        assert [r.id for r in uow.search("back\\slash", kinds=["event"])] == [event.id]


def test_update_keeps_history(store: RecordStore) -> None:
    with store.write("alice") as uow:
        event = uow.add(Event(title="First account", start_date="2001"))
    with store.write("bob") as uow:
        changed = uow.update(event.model_copy(update={"title": "Corrected"}), expected_version=1)
    assert changed.version == 2 and changed.updated_by == "bob"
    with store.read() as uow:
        history = uow.history(event.id)
    assert [(v.version, v.action, v.changed_by) for v in history] == [
        (1, "create", "alice"),
        (2, "update", "bob"),
    ]
    assert history[0].record.title == "First account"  # type: ignore[attr-defined]
    with pytest.raises(ConcurrentUpdate), store.write("carol") as uow:
        uow.update(event.model_copy(update={"title": "Stale"}), expected_version=1)


def test_history_copies_a_version_only_when_it_is_replaced(store: RecordStore) -> None:
    with store.write("alice") as uow:
        event = uow.add(Event(title="v1", description="첫 진술"))
    with store.read() as uow:
        stored = uow.connection.execute(sa.text("SELECT count(*) FROM record_versions")).scalar()
        assert stored == 0  # the current version lives in records only
        assert [(v.version, v.action) for v in uow.history(event.id)] == [(1, "create")]
    for title, actor in (("v2", "bob"), ("v3", "carol")):
        with store.write(actor) as uow:
            uow.update(uow.get(event.id).model_copy(update={"title": title}))
    with store.write("dave") as uow:
        uow.delete(event.id)
    with store.read() as uow:
        history = uow.history(event.id)
        copied = uow.connection.execute(
            sa.text("SELECT version FROM record_versions ORDER BY version")
        ).scalars()
        assert list(copied) == [1, 2, 3]
    assert [(v.version, v.action, v.changed_by) for v in history] == [
        (1, "create", "alice"),
        (2, "update", "bob"),
        (3, "update", "carol"),
        (4, "delete", "dave"),
    ]
    titles = [v.record.title for v in history]  # type: ignore[attr-defined]
    assert titles == ["v1", "v2", "v3", "v3"]
    assert {v.record.description for v in history} == {"첫 진술"}  # type: ignore[attr-defined]


def test_error_leaves_database_unchanged(store: RecordStore) -> None:
    with pytest.raises(RecordProblem) as caught, store.write("alice") as uow:
        uow.add(Event(title="Good"))
        uow.add(Act(event_id="missing", victim_id="also-missing", act_type="X"))
    assert caught.value.field == "event_id"
    assert "does not exist" in str(caught.value)
    with store.read() as uow:
        assert uow.counts_by_kind() == {}


def test_invalid_date_names_record_and_field(store: RecordStore) -> None:
    event = Event(title="Bad date", start_date="spring 2004")
    with pytest.raises(RecordProblem) as caught, store.write("alice") as uow:
        uow.add(event)
    assert caught.value.field == "start_date" and event.id in str(caught.value)
    assert "spring 2004" in str(caught.value)


def test_filters_by_date_overlap_term_and_place(store: RecordStore) -> None:
    with store.write("alice") as uow:
        place = uow.add(Place(place_kind="county", names=[PlaceName(text="Hoeryong")]))
        uow.add(Event(title="A", start_date="1994", place_id=place.id))
        uow.add(Event(title="B", start_date="1997~"))
        uow.add(Event(title="C", start_date="1990/1996", violation_status="alleged"))
        uow.add(Event(title="D", start_date="2004-05-17"))
    with store.read() as uow:
        in_range = uow.list(
            ListQuery("event", date_from=date(1995, 1, 1), date_to=date(1999, 12, 31))
        )
        by_term = uow.list(ListQuery("event", terms=["alleged"]))
        by_place = uow.list(ListQuery("event", place_ids=[place.id]))
    assert sorted(e.title for e in in_range) == ["B", "C"]  # type: ignore[attr-defined]
    assert [e.title for e in by_term] == ["C"]  # type: ignore[attr-defined]
    assert [e.title for e in by_place] == ["A"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("merged", [64, 0])
def test_a_list_of_several_places_pages_through_them_in_list_order(
    store: RecordStore, monkeypatch: pytest.MonkeyPatch, merged: int
) -> None:
    """Several places are read one ordered scan per place and merged (``_MERGED_PLACES``, on
    PostgreSQL), or with one filter (SQLite, or too many places): the same pages either way."""
    monkeypatch.setattr(repository, "_MERGED_PLACES", merged)
    with store.write("alice") as uow:
        places = [uow.add(Place(place_kind="county", names=[PlaceName(text=n)])) for n in "ABC"]
    written: list[Event] = []
    for round_ in range(4):  # separate units of work
        with store.write("alice") as uow:
            for i in range(7):
                place = places[(i + round_) % 3].id if i % 4 else None
                level = Confidentiality.SECRET if i == 5 else Confidentiality.INTERNAL
                event = uow.add(Event(title=f"{round_}-{i}", place_id=place, confidentiality=level))
                if place is not None and level is Confidentiality.INTERNAL:
                    written.append(event)
    ids = [p.id for p in places]
    levels = [Confidentiality.PUBLIC, Confidentiality.INTERNAL]
    with store.read() as uow:
        pages = [
            [
                r.id
                for r in uow.list(
                    ListQuery(
                        "event", place_ids=ids, confidentiality=levels, limit=4, offset=offset
                    )
                )
            ]  # fmt: skip
            for offset in range(0, 24, 4)
        ]
        total = uow.count(ListQuery("event", place_ids=ids, confidentiality=levels))
    everything = [i for page in pages for i in page]
    assert total == len(written) == 16
    expected = [e.id for e in sorted(written, key=lambda e: (e.created_at, e.id))]
    assert everything == expected  # list order: created_at, then id


def test_search_finds_korean_and_english(store: RecordStore) -> None:
    with store.write("alice") as uow:
        event = uow.add(Event(title="Camp", description="정치범수용소에서 고문을 당했다"))
        info = uow.add(Information(testimony="Public execution in Hyesan, 1997"))
        person = uow.add(Person(name_forms=[NameForm(text="Kim Chŏng-il")]))
    with store.read() as uow:
        assert [r.id for r in uow.search("수용소")] == [event.id]
        assert [r.id for r in uow.search("고문")] == [event.id]
        assert [r.id for r in uow.search("EXECUTION hyesan")] == [info.id]
        assert [r.id for r in uow.search("chong-il")] == [person.id]
        assert uow.search("처형") == []


def test_search_returns_index_order_and_continues_after_the_last_record(
    store: RecordStore,
) -> None:
    with store.write("alice") as uow:
        held = uow.add_many([Event(title=f"구금 {i}") for i in range(12)] + [Event(title="석방")])
    with store.write("alice") as uow:  # rewritten: indexed again, so found last
        uow.update(held[0].model_copy(update={"description": "다시 구금"}))
    written = [e.id for e in held[1:12]] + [held[0].id]
    with store.read() as uow:
        everything = [r.id for r in uow.search("구금", limit=100)]
        first = [r.id for r in uow.search("구금", limit=5)]
        rest = [r.id for r in uow.search("구금", limit=100, after=first[-1])]
        only_three = [r.id for r in uow.search("구금", limit=3)]
    assert everything == written
    assert first + rest == everything and only_three == written[:3]


def test_search_reads_past_many_candidates_of_other_kinds(store: RecordStore) -> None:
    with store.write("alice") as uow:
        uow.add_many([Event(title=f"구금 {i}") for i in range(600)])
        person = uow.add(Person(name_forms=[NameForm(text="구금")]))
    with store.read() as uow:
        assert [r.id for r in uow.search("구금", kinds=["person"])] == [person.id]
        assert len(uow.search("구금", kinds=["event"], limit=550)) == 550


def test_search_follows_updates_deletes_and_rekeying(store: RecordStore) -> None:
    with store.write("alice") as uow:
        kept = uow.add(Event(title="Hoeryong", description="구금 시설"))
        moved = uow.add(Event(title="Onsong", description="구금 시설"))
    with store.write("alice") as uow:
        uow.update(moved.model_copy(update={"title": "Musan"}))
        uow.rekey(kept.id)
    with store.read() as uow:
        assert uow.search("onsong") == []
        assert [r.id for r in uow.search("musan")] == [moved.id]
        assert [r.id for r in uow.search("hoeryong")] == [kept.id]
        assert sorted(r.id for r in uow.search("구금")) == sorted([kept.id, moved.id])
    with store.write("alice") as uow:
        uow.delete(kept.id)
    with store.read() as uow:
        assert [r.id for r in uow.search("시설")] == [moved.id]
    if store.engine.dialect.name == "sqlite":  # FTS5 still agrees with search_docs, row by row
        with store.write("alice") as uow:
            uow.connection.exec_driver_sql(
                "INSERT INTO search_fts(search_fts, rank) VALUES ('integrity-check', 1)"
            )


def test_search_index_is_carried_over_from_the_gram_table(db_url: str, tmp_path: Path) -> None:
    """Migration 0005 turns the one-row-per-gram index of 0004 into one row per record."""
    with initialise(_settings(db_url, tmp_path)) as store:
        with store.write("alice") as uow:
            event = uow.add(Event(title="Camp", description="정치범수용소에서 고문을 당했다"))
            person = uow.add(Person(name_forms=[NameForm(text="Kim Chŏng-il")]))
        migrate.downgrade(store.engine, "0004")
        # What the store wrote at 0004: 128-bit gram digests, one row per gram and record.
        old_rows = [
            {"gram": store.sealer.blind_index("gram", gram)[:32], "record_id": record.id}
            for record in (event, person)
            for gram in {g for text in record.searchable_text() for g in grams.grams(text)}
        ]
        text_grams = sa.table("text_grams", sa.column("gram"), sa.column("record_id"))
        with store.engine.begin() as connection:
            connection.execute(sa.insert(text_grams), old_rows)
        migrate.upgrade(store.engine)
        with store.read() as uow:
            assert [r.id for r in uow.search("수용소")] == [event.id]
            assert [r.id for r in uow.search("고문")] == [event.id]
            assert [r.id for r in uow.search("chong-il")] == [person.id]
            assert uow.search("처형") == []
            # the name blind index survives its rebuild (SQLite) both ways
            assert uow.find_person_by_name("kim chŏng-il") == [person.id]
            if store.engine.dialect.name == "sqlite":
                table_sql = uow.connection.exec_driver_sql(
                    "SELECT sql FROM sqlite_master WHERE name = 'blind_index'"
                ).scalar_one()
                assert "WITHOUT ROWID" in table_sql


def test_delete_hides_but_keeps_history(store: RecordStore) -> None:
    with store.write("alice") as uow:
        event = uow.add(Event(title="To remove", description="삭제"))
    with store.write("alice") as uow:
        uow.delete(event.id)
    with store.read() as uow:
        with pytest.raises(NotFound):
            uow.get(event.id)
        assert uow.search("삭제") == []
        assert [v.action for v in uow.history(event.id)] == ["create", "delete"]


def test_upsert_on_source_and_external_id(store: RecordStore) -> None:
    with store.write("import") as uow:
        first, created = uow.upsert(Event(title="v1", source="ngo-a", external_id="17"))
    with store.write("import") as uow:
        second, created_again = uow.upsert(Event(title="v2", source="ngo-a", external_id="17"))
    assert created and not created_again
    assert second.id == first.id and second.version == 2


def test_reopening_with_another_key_is_refused(db_url: str, tmp_path: Path) -> None:
    first = _settings(db_url, tmp_path / "one")
    initialise(first).close()
    with pytest.raises(KeyMismatch):
        initialise(_settings(db_url, tmp_path / "two"))
    with open_store(first) as reopened, reopened.read() as uow:
        assert uow.counts_by_kind() == {}


def test_migrations_upgrade_and_downgrade(db_url: str) -> None:
    engine = create_engine(db_url)
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert "records" in sa.inspect(engine).get_table_names()
    migrate.downgrade(engine)
    assert migrate.current_revision(engine) is None
    assert "records" not in sa.inspect(engine).get_table_names()
    engine.dispose()


def test_migrations_build_exactly_the_declared_schema(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from kirok.store.schema import BACKEND_SEARCH_OBJECTS, metadata

    engine = create_engine(db_url)
    migrate.upgrade(engine)
    backend_only = BACKEND_SEARCH_OBJECTS[engine.dialect.name]
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        present = set(inspector.get_table_names()) | {
            index["name"] for index in inspector.get_indexes("search_docs") if index["name"]
        }
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": False,
                # the search index objects of one backend only (FTS5 table, GIN index)
                "include_name": lambda name, _type, _parent: name not in backend_only,
            },
        )
        differences = compare_metadata(context, metadata)
    engine.dispose()
    assert differences == []
    assert backend_only <= present


@given(st.text(alphabet=st.sampled_from("aZ 9-ŏŬéßİǅ가힣각\u1100\u1161\u11a8\u0301"), max_size=12))
def test_search_folding_fast_path_agrees_with_decomposition(text: str) -> None:
    import unicodedata

    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    assert grams.fold(text) == unicodedata.normalize("NFC", kept).casefold()


def _planner_rows(store: RecordStore) -> float | None:
    """The planner's row count for ``records``: None before any statistics were gathered."""
    with store.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            if not connection.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'"
            ).first():
                return None
            stat = connection.exec_driver_sql(
                "SELECT stat FROM sqlite_stat1 WHERE tbl = 'records' AND idx IS NOT NULL"
            ).first()
            return None if stat is None else float(stat[0].split()[0])
        tuples = connection.exec_driver_sql(
            "SELECT reltuples FROM pg_class WHERE relname = 'records'"
        ).scalar_one()
        return None if tuples < 0 else float(tuples)


def test_bulk_load_refreshes_planner_statistics(
    store: RecordStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kirok.store import repository

    monkeypatch.setattr(repository, "ANALYZE_AFTER", 5)
    with store.write("alice") as uow:
        uow.add_many([Event(title=f"small {i}") for i in range(4)])
    # below the threshold: no ANALYZE, the planner still counts what `kirok init` saw (nothing)
    assert _planner_rows(store) in (None, 0)
    with store.write("alice") as uow:
        uow.add_many([Event(title=f"bulk {i}") for i in range(3)])
        uow.add_many([Event(title=f"bulk {i}") for i in range(3, 6)])
    assert _planner_rows(store) == 10  # every record, counted when the bulk load committed
    if store.engine.dialect.name == "postgresql":  # vacuumed: counts may read an index alone
        with store.engine.connect() as connection:
            visible = connection.exec_driver_sql(
                "SELECT relallvisible FROM pg_class WHERE relname = 'records'"
            ).scalar_one()
        assert visible > 0


@pytest.mark.postgres
def test_a_bulk_write_on_postgresql_refreshes_statistics_before_checking_references(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reference checks of a big batch are planned on statistics that count the batch
    (a plan cached on an empty table scanned it once per reference: quadratic)."""
    from kirok.store import repository

    monkeypatch.setattr(repository, "ANALYZE_AFTER", 50)
    with initialise(_settings(postgres_url, tmp_path)) as store, store.write("alice") as uow:
        place = uow.add(Place(place_kind="county", names=[PlaceName(text="Musan")]))
        uow.add_many([Event(title=f"e{i}", place_id=place.id) for i in range(60)])
        tuples = uow.connection.exec_driver_sql(
            "SELECT reltuples FROM pg_class WHERE relname = 'records'"
        ).scalar_one()
        assert tuples >= 61  # counted inside the unit of work, before it commits


def test_list_pages_in_creation_order_and_counts_live_records(store: RecordStore) -> None:
    with store.write("alice") as uow:
        first = uow.add_many([Event(title=f"first {i}") for i in range(5)])
    with store.write("alice") as uow:
        second = uow.add_many([Event(title=f"second {i}") for i in range(5)])
        uow.add(Place(place_kind="county", names=[PlaceName(text="Musan")]))
    with store.write("alice") as uow:
        uow.delete(first[2].id)
    expected = [
        *sorted(r.id for r in first if r.id != first[2].id),
        *sorted(r.id for r in second),
    ]
    with store.read() as uow:
        pages = [uow.list(ListQuery("event", limit=3, offset=o)) for o in range(0, 12, 3)]
        total = uow.count(ListQuery("event"))
    assert [r.id for page in pages for r in page] == expected
    assert total == len(expected) == 9


def test_a_cached_count_holds_until_any_record_changes(store: RecordStore) -> None:
    def count(query: ListQuery) -> int:
        with store.read() as uow:
            return uow.count(query)

    with store.write("alice") as uow:
        events = uow.add_many([Event(title=f"e{i}") for i in range(4)])
    everything, secret = (
        ListQuery("event"),
        ListQuery("event", confidentiality=[Confidentiality.SECRET]),
    )
    assert count(everything) == 4 and count(secret) == 0
    # a page and a limit do not change a count: the same cached entry answers
    assert count(ListQuery("event", limit=1, offset=3)) == 4
    # a stale entry would answer 4 here: the head of the audit log has moved
    with store.write("alice") as uow:
        uow.update(events[0].model_copy(update={"confidentiality": Confidentiality.SECRET}))
    assert count(everything) == 4 and count(secret) == 1
    with store.write("alice") as uow:
        uow.delete(events[1].id)
        # a writer counts what it has done so far, cache or not
        assert uow.count(everything) == 3
    assert count(everything) == 3
    with store.write("alice") as uow:
        uow.add(Event(title="e5"))
    assert count(everything) == 4
    # the cache does answer: a change made behind the store's back (no audit entry) is not seen
    # by a cached count, only by a fresh one
    with store.engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE records SET deleted_at = created_at WHERE id = :id"),
            {"id": events[2].id},
        )
    assert count(everything) == 4
    with store.write("alice") as uow:
        assert uow.count(everything) == 3


def test_descendants_follow_parent_links_at_any_depth_and_skip_deleted(
    store: RecordStore,
) -> None:
    province = Place(place_kind="province", names=[PlaceName(text="North Hamgyong")])
    county = Place(place_kind="county", names=[PlaceName(text="Hoeryong")], parent_id=province.id)
    camp = Place(place_kind="facility", names=[PlaceName(text="Camp 22")], parent_id=county.id)
    closed = Place(place_kind="facility", names=[PlaceName(text="Old")], parent_id=county.id)
    other = Place(place_kind="county", names=[PlaceName(text="Musan")])
    with store.write("alice") as uow:
        uow.add_many([province, county, camp, closed, other])
        uow.add(Event(title="at the county", place_id=county.id))  # a referrer, not a place
    with store.write("alice") as uow:
        uow.delete(closed.id)
    with store.read() as uow:
        assert uow.descendants(province.id) == sorted([province.id, county.id, camp.id])
        assert uow.descendants(camp.id) == [camp.id]
        assert uow.descendants("no-such-place") == ["no-such-place"]


@pytest.mark.postgres
def test_postgresql_connections_plan_each_query_for_its_own_parameters(postgres_url: str) -> None:
    """A generic plan for `tokens @> $1` cannot tell a rare name from a common word."""
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as connection:
            mode = connection.exec_driver_sql("SHOW plan_cache_mode").scalar_one()
    finally:
        engine.dispose()
    assert mode == "force_custom_plan"
