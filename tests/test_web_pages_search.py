"""Search with facets: counts by kind, act type (with broader terms), year and province, each a
filter; counts never include what the user may not read."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kirok.domain.records import Act, Confidentiality, Event, NameForm, Person, Script
from kirok.domain.vocabulary import get_term
from kirok.security import policy
from kirok.services import users
from kirok.store.repository import RecordStore
from kirok.web.app import create_app
from kirok.web.search_facets import Faceted, Filters, faceted_search
from store_support import new_store

PASSWORD = "correct horse battery staple"
SUMMARY_EXECUTION = "01010101000004"
LIFE = "01000000000004"  # its broadest term: violations of the right to life
DIRECT_LIFE = "01010000000004"
ARREST = "03010100000004"
LIBERTY = "03000000000004"
TORTURE_ROOT = "02000000000004"
CONFIDENTIAL, SECRET = Confidentiality.CONFIDENTIAL, Confidentiality.SECRET


@dataclass
class Seeded:
    store: RecordStore
    users: dict[str, users.WebUser]
    ids: dict[str, str]
    app: object


def _event(title: str, when: str, place: str, level: Confidentiality) -> Event:
    return Event(title=title, start_date=when, place_id=place, confidentiality=level)


def _victim(name: str, level: Confidentiality) -> Person:
    return Person(name_forms=[NameForm(text=name, script=Script.HANGUL)], confidentiality=level)


@pytest.fixture
def seeded(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Seeded]:
    yield from _build(sqlite_url, tmp_path, monkeypatch)


@pytest.fixture
def seeded_any(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Seeded]:
    """The same, once per backend."""
    yield from _build(db_url, tmp_path, monkeypatch)


def _build(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Seeded]:
    settings, store = new_store(db_url, tmp_path, monkeypatch)
    accounts = {
        role.value: users.add_user(store, role.value, role.value, PASSWORD, actor="test")
        for role in policy.Role
    }
    e1 = _event("함북 송환 후 처형", "2009-03", "KP-NHA-HOERYONG", CONFIDENTIAL)
    e2 = _event("요덕 송환자 구금", "2012", "CAMP-15", CONFIDENTIAL)
    e3 = _event("비밀 송환", "2015", "KP-NHA-HOERYONG", SECRET)
    p1, p2, p3 = (
        _victim("리송환", CONFIDENTIAL),
        _victim("김철", CONFIDENTIAL),
        _victim("박민", SECRET),
    )
    acts = [
        Act(
            event_id=e.id,
            victim_id=p.id,
            act_type=term,
            start_date=e.start_date,
            place_id=e.place_id,
            confidentiality=e.confidentiality,
        )
        for e, p, term in (
            (e1, p1, SUMMARY_EXECUTION),
            (e2, p2, ARREST),
            (e3, p3, "02011111000004"),
        )
    ]
    with store.write("seed") as uow:
        uow.add_many([e1, e2, e3, p1, p2, p3, *acts])
    app = create_app(settings, https=False, store=store)
    try:
        yield Seeded(store, accounts, {"e1": e1.id, "e2": e2.id, "e3": e3.id, "p1": p1.id}, app)
    finally:
        store.close()


def _counts(found: Faceted, facet: str) -> dict[str, int]:
    return {v.value: v.count for v in found.facets[facet]}


def test_facets_count_only_what_the_user_may_read(seeded_any: Seeded) -> None:
    seeded = seeded_any
    reviewer = faceted_search(seeded.store, seeded.users["reviewer"], "송환", Filters())
    assert {r["id"] for r in reviewer.rows} == {seeded.ids[k] for k in ("e1", "e2", "p1")}
    assert _counts(reviewer, "kind") == {"event": 2, "person": 1}
    # The person counts through their act: the act type, its year and its province.
    assert _counts(reviewer, "act_type") == {LIFE: 2, LIBERTY: 1}
    assert _counts(reviewer, "year") == {"2009": 2, "2012": 1}
    assert _counts(reviewer, "province") == {"KP-NHA": 2, "KP-SHA": 1}
    # The secret event and its torture act count for a role cleared for them.
    admin = faceted_search(seeded.store, seeded.users["admin"], "송환", Filters())
    assert _counts(admin, "act_type")[TORTURE_ROOT] == 1
    assert _counts(admin, "year")["2015"] == 1 and _counts(admin, "province")["KP-NHA"] == 3
    viewer = faceted_search(seeded.store, seeded.users["viewer"], "송환", Filters())
    assert viewer.total == 0 and all(not values for values in viewer.facets.values())


def test_a_broad_act_type_keeps_its_narrower_terms_and_drills_down(seeded: Seeded) -> None:
    found = faceted_search(
        seeded.store, seeded.users["reviewer"], "송환", Filters(act_type=LIFE), lang="ko"
    )
    assert {r["id"] for r in found.rows} == {seeded.ids["e1"], seeded.ids["p1"]}
    values = found.facets["act_type"]
    assert [v.value for v in values[:2]] == [LIFE, DIRECT_LIFE]  # the chosen term, then narrower
    assert values[0].selected and values[1].depth == 1 and values[1].count == 2
    assert values[0].label == get_term(LIFE).label("ko") != get_term(LIFE).label("en")
    by_year = faceted_search(seeded.store, seeded.users["reviewer"], "송환", Filters(year="2012"))
    assert [r["id"] for r in by_year.rows] == [seeded.ids["e2"]]
    both = Filters(kind="person", province="KP-NHA")
    only = faceted_search(seeded.store, seeded.users["reviewer"], "송환", both)
    assert [r["id"] for r in only.rows] == [seeded.ids["p1"]]


def test_the_search_page_links_each_count_to_its_filter(seeded: Seeded) -> None:
    client = TestClient(seeded.app, follow_redirects=False)  # type: ignore[arg-type]
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    data = {"username": "reviewer", "password": PASSWORD, "csrf_token": token.group(1)}
    assert client.post("/login", data=data).status_code == 303
    page = client.get("/search", params={"q": "송환"}).text
    assert 'data-facet="act_type"' in page and 'data-facet="province"' in page
    assert f"/search?q=%EC%86%A1%ED%99%98&amp;act_type={LIFE}" in page
    narrowed = client.get(
        "/search", params={"q": "송환", "year": "2009"}, headers={"HX-Request": "true"}
    )
    assert "<html" not in narrowed.text
    assert seeded.ids["e1"] in narrowed.text and seeded.ids["e2"] not in narrowed.text
    assert 'id="total">2<' in narrowed.text
    # The chosen value links back to the unfiltered search.
    assert (
        '<a href="/search?q=%EC%86%A1%ED%99%98" hx-get="/search?q=%EC%86%A1%ED%99%98" '
        'hx-target="#results" hx-push-url="true" data-value="2009" aria-current="true">'
    ) in narrowed.text
