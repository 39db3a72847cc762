"""The search index's trigrams: fewer candidates for long words, and the upgrade path of a
database indexed with bigrams only (migration 0009, ``kirok reindex``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from kirok.cli import app
from kirok.domain.records import Event, NameForm, Person
from kirok.services import search_index
from kirok.services.context import Settings, initialise, open_store
from kirok.store import grams, migrate, search
from kirok.store.repository import SEARCH_GRAMS_KEY, RecordStore
from kirok.store.schema import meta


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(db_url=db_url, keystore=tmp_path / "keys.json", key_file=tmp_path / "k.key")


@pytest.fixture
def store(settings: Settings) -> Iterator[RecordStore]:
    with initialise(settings) as opened:
        yield opened


# Every bigram of "hwasong" (hw wa as so on ng) but not the word: Hwanghae, Onsong, "was".
DECOY = "Hwanghae was far from Onsong"


def _grams_value(store: RecordStore) -> str | None:
    with store.engine.connect() as connection:
        value = connection.execute(
            sa.select(meta.c.value).where(meta.c.key == SEARCH_GRAMS_KEY)
        ).scalar()
    return None if value is None else str(value)


def _candidates(store: RecordStore, word: str, *, trigrams: bool) -> int:
    with store.read() as uow:
        tokens = sorted({uow._tokens.token(g) for g in grams.grams(word, trigrams=trigrams)})
        statement = search.candidates(store.engine.dialect.name, tokens, after_doc=0, limit=100)
        return len(uow.connection.execute(statement).all())


def test_query_grams_are_bigrams_or_trigrams_and_records_hold_both() -> None:
    assert grams.grams("고문") == {"고문"}
    assert grams.grams("고문", trigrams=True) == {"고문"}  # two syllables: bigrams still
    assert grams.grams("Yodŏk", trigrams=True) == {"yod", "odo", "dok"}
    assert grams.grams("요덕 수용소", trigrams=True) == {"요덕", "수용소"}
    assert grams.word_grams("수용소") == {"수용", "용소", "수용소"}
    assert grams.grams("a b", trigrams=True) == {"a", "b"}


def test_a_long_word_no_longer_matches_records_holding_its_bigrams_apart(
    store: RecordStore,
) -> None:
    with store.write("alice") as uow:
        camp = uow.add(Event(title="Hwasong camp"))
        uow.add_many([Event(title=DECOY) for _ in range(5)])
    assert _grams_value(store) == "2+3"  # a new database is indexed with trigrams
    assert _candidates(store, "hwasong", trigrams=False) == 6
    assert _candidates(store, "hwasong", trigrams=True) == 1
    with store.read() as uow:
        assert [r.id for r in uow.search("HWASONG")] == [camp.id]
        assert len(uow.search("onsong")) == 5 and len(uow.search("고문")) == 0


def test_an_index_of_bigrams_is_searched_by_bigrams_until_it_is_rebuilt(
    settings: Settings, store: RecordStore
) -> None:
    with store.write("alice") as uow:
        camp = uow.add(Event(title="화성 관리소", description="Hwasong"))
        uow.add(Event(title=DECOY))
        witness = uow.add(Person(name_forms=[NameForm(text="김화성")]))
        gone = uow.add(Event(title="Hwasong 2"))
    with store.write("alice") as uow:
        uow.delete(gone.id)
    # a database that held records before 0009 is marked as indexed with bigrams only
    migrate.downgrade(store.engine, "0008")
    migrate.upgrade(store.engine)
    assert _grams_value(store) == "2"
    with open_store(settings) as reopened:
        with reopened.read() as uow:  # its rows may lack trigrams: the query asks for bigrams
            assert [r.id for r in uow.search("hwasong 관리소")] == [camp.id]
        with reopened.read() as uow:
            assert not reopened.index_has_trigrams(uow.connection)
        seen: list[tuple[int, int]] = []
        walked = search_index.rebuild(
            reopened, "admin", batch=1, progress=lambda n, t: seen.append((n, t))
        )
        assert walked == 4 and seen[-1] == (4, 4)
        assert _grams_value(reopened) == "2+3"
        with reopened.read() as uow:
            assert [r.id for r in uow.search("hwasong 관리소")] == [camp.id]
            assert reopened.index_has_trigrams(uow.connection)
            assert [r.id for r in uow.search("hwasong")] == [camp.id]  # not the deleted one
            assert [r.id for r in uow.search("김화성")] == [witness.id]
            assert uow.find_person_by_name("김 화성") == [witness.id]


def test_the_reindex_command_marks_the_index_complete(settings: Settings) -> None:
    with initialise(settings) as store:
        with store.write("alice") as uow:
            uow.add(Event(title="Hwasong"))
        with store.engine.begin() as connection:
            connection.execute(
                sa.update(meta).where(meta.c.key == SEARCH_GRAMS_KEY).values(value="2")
            )
    options = ["--db", settings.db_url, "--keystore", str(settings.keystore)]
    options += ["--key-file", str(settings.key_file)]
    result = CliRunner().invoke(app, ["reindex", *options])
    assert result.exit_code == 0, result.output
    assert "1 records" in result.output
    with open_store(settings) as store:
        assert _grams_value(store) == "2+3"
