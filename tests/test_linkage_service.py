"""Linkage over stored persons: clusters, review, and decisions honoured on re-run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kirok.domain.records import Act, Event, NameForm, Person, Romanization, Script
from kirok.security.audit import AuditAction
from kirok.services import linkage
from kirok.services.context import Settings, initialise
from kirok.store.repository import RecordStore


def _person(text: str, birth: str, source: str, script: Script = Script.LATIN) -> Person:
    system = Romanization.NONE if script is Script.HANGUL else Romanization.UNKNOWN
    return Person(
        name_forms=[NameForm(text=text, script=script, system=system)],
        birth_date=birth,
        source=source,
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RecordStore]:
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'k.db'}",
        keystore=tmp_path / "keys.json",
        key_file=tmp_path / "kirok.key",
    )
    with initialise(settings) as opened:
        yield opened


def _load(store: RecordStore) -> dict[str, Person]:
    people = {
        "a1": _person("김정일", "1962", "ngo-a", Script.HANGUL),
        "a2": _person("Kim Jong-il", "1962", "ngo-b"),
        "a3": _person("Kim Chŏng-il", "1962", "ngo-c"),
        "b1": _person("리설주", "1989", "ngo-a", Script.HANGUL),
        "b2": _person("Lee Seol-ju", "1989", "ngo-b"),
        "c1": _person("Pak Yong-ho", "1971", "ngo-a"),
        "d1": _person("Choe Myong-suk", "1955", "ngo-c"),
    }
    with store.write("documenter") as uow:
        event = uow.add(Event(title="detention"))
        for person in people.values():
            uow.add(person)
            uow.add(Act(event_id=event.id, victim_id=person.id, act_type="A"))
    return people


def test_linkage_clusters_spellings_and_honours_decisions(store: RecordStore) -> None:
    people = _load(store)
    ids = {key: p.id for key, p in people.items()}
    run = linkage.run_linkage(store, "analyst")
    clusters = run.clusters
    assert clusters[ids["a1"]] == clusters[ids["a2"]] == clusters[ids["a3"]]
    assert clusters[ids["b1"]] == clusters[ids["b2"]]
    assert len({clusters[ids[k]] for k in ("a1", "b1", "c1", "d1")}) == 4
    # The reviewer says the two Kims spelled in Latin are different people: never merged again.
    linkage.decide(store, "reviewer", ids["a2"], ids["a3"], "different", "other birth place")
    linkage.decide(store, "reviewer", ids["c1"], ids["d1"], "same", "alias confirmed")
    again = linkage.run_linkage(store, "analyst")
    assert again.clusters[ids["a2"]] != again.clusters[ids["a3"]]
    assert again.clusters[ids["c1"]] == again.clusters[ids["d1"]]
    assert again.decisions_applied == 2
    with store.read() as uow:
        trail = uow.audit_trail(again.id)
    assert [e["action"] for e in trail] == [AuditAction.CREATE]
    sources = linkage.cluster_sources(store, again)
    assert len(sources) == len(people)
    assert {s for _, s in sources} == {"ngo-a", "ngo-b", "ngo-c"}


def test_a_decision_can_be_changed_and_is_versioned(store: RecordStore) -> None:
    people = _load(store)
    a, b = people["c1"].id, people["d1"].id
    linkage.decide(store, "reviewer", a, b, "unsure", None)
    changed = linkage.decide(store, "reviewer", b, a, "different", "checked the files")
    assert changed.version == 2 and changed.decision == "different"
    with pytest.raises(ValueError):
        linkage.decide(store, "reviewer", a, b, "maybe", None)


def test_review_queue_skips_records_deleted_since_the_run(store: RecordStore) -> None:
    _load(store)
    linkage.run_linkage(store, "analyst", threshold=0.999, review_floor=0.01)
    queue = linkage.review_queue(store, limit=100)
    assert queue
    gone = queue[0].pair.record_a
    with store.write("documenter") as uow:
        for act in uow.referrers(gone, "act"):
            uow.delete(act.id)
        uow.delete(gone)
    remaining = linkage.review_queue(store, limit=100)
    assert all(gone not in (i.pair.record_a, i.pair.record_b) for i in remaining)


def test_a_person_known_only_by_a_pseudonym_is_not_linked_on_it(store: RecordStore) -> None:
    people = _load(store)
    witnesses = [
        Person(name_forms=[NameForm(text=f"Witness ngo_a-0000{i} (pseudonym)")], source="ngo-a")
        for i in (1, 2, 3)
    ] + [Person(name_forms=[NameForm(text="가명 (이름 비공개)")], source="ngo-b")]
    with store.write("documenter") as uow:
        for witness in witnesses:
            uow.add(witness)
    assert not any(linkage.has_name(w) for w in witnesses)
    assert all(linkage.has_name(p) for p in people.values())
    frame = linkage.persons_frame([*people.values(), *witnesses])
    assert set(frame["record_id"]) == {p.id for p in people.values()}
    run = linkage.run_linkage(store, "analyst")
    # each keeps a cluster of its own, and only a person's "same" joins it to anyone
    assert all(run.clusters[w.id] == w.id for w in witnesses)
    assert len({run.clusters[p.id] for p in people.values()}) == 4
    kim = people["a1"].id
    linkage.decide(store, "reviewer", witnesses[0].id, kim, "same", "the witness is the victim")
    again = linkage.run_linkage(store, "analyst")
    assert again.clusters[witnesses[0].id] == again.clusters[kim]
    assert again.clusters[witnesses[1].id] == witnesses[1].id
