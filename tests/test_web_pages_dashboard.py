"""Dashboard charts: acts per year by type, events by province, the review backlog and the
latest estimate — each only from what the viewer's role and clearance let them read."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kirok.domain.records import (
    Act,
    Confidentiality,
    EstimationRun,
    Event,
    LinkageRun,
    LinkDecision,
    NameForm,
    Person,
    ReviewPair,
)
from kirok.domain.vocabulary import get_term
from kirok.security import policy
from kirok.services import users
from kirok.store.repository import RecordStore
from kirok.web import dashboard
from kirok.web import dashboard_data as data
from kirok.web.app import create_app
from store_support import new_store

PASSWORD = "correct horse battery staple"
SUMMARY_EXECUTION, LIFE = "01010101000004", "01000000000004"
ARREST, LIBERTY = "03010100000004", "03000000000004"
TORTURE, INTEGRITY = "02011111000004", "02000000000004"
INTERNAL, CONFIDENTIAL, SECRET = (
    Confidentiality.INTERNAL,
    Confidentiality.CONFIDENTIAL,
    Confidentiality.SECRET,
)


@dataclass
class Site:
    store: RecordStore
    users: dict[str, users.WebUser]
    app: object


def _person(name: str, level: Confidentiality) -> Person:
    return Person(name_forms=[NameForm(text=name)], confidentiality=level)


@pytest.fixture
def site(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    yield from _build(sqlite_url, tmp_path, monkeypatch)


@pytest.fixture
def site_any(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """The same, once per backend."""
    yield from _build(db_url, tmp_path, monkeypatch)


def _build(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    settings, store = new_store(db_url, tmp_path, monkeypatch)
    accounts = {
        role.value: users.add_user(store, role.value, role.value, PASSWORD, actor="test")
        for role in policy.Role
    }
    hoeryong = Event(
        title="a", start_date="2009", place_id="KP-NHA-HOERYONG", confidentiality=CONFIDENTIAL
    )
    onsong = Event(title="b", start_date="2011-05", place_id="CAMP-22", confidentiality=INTERNAL)
    yodok = Event(title="c", start_date="2012", place_id="CAMP-15", confidentiality=SECRET)
    people = [_person(f"p{i}", CONFIDENTIAL) for i in range(4)]
    hidden = _person("secret one", SECRET)
    acts = [
        Act(event_id=hoeryong.id, victim_id=people[0].id, act_type=SUMMARY_EXECUTION,
            start_date="2009-03", confidentiality=CONFIDENTIAL),
        Act(event_id=hoeryong.id, victim_id=people[1].id, act_type=ARREST,
            start_date="2009", confidentiality=CONFIDENTIAL),
        Act(event_id=onsong.id, victim_id=people[2].id, act_type=ARREST,
            start_date="2011-05", confidentiality=INTERNAL),
        Act(event_id=onsong.id, victim_id=people[3].id, act_type=TORTURE,
            confidentiality=INTERNAL),  # no date: counted apart
        Act(event_id=onsong.id, victim_id=people[2].id, act_type=TORTURE,
            start_date="../2010", confidentiality=INTERNAL),  # open start: counted apart too
        Act(event_id=onsong.id, victim_id=people[3].id, act_type=ARREST,
            end_date="2010-06", confidentiality=INTERNAL),  # only an end: placed in its year
        Act(event_id=yodok.id, victim_id=hidden.id, act_type=TORTURE,
            start_date="2012", confidentiality=SECRET),
    ]  # fmt: skip
    run = LinkageRun(
        engine="duckdb", threshold=0.9, review_floor=0.3, trained=True, n_records=5,
        review=[
            ReviewPair(record_a=people[0].id, record_b=people[1].id, probability=0.5, weight=1),
            ReviewPair(record_a=people[2].id, record_b=people[3].id, probability=0.6, weight=2),
            ReviewPair(record_a=people[0].id, record_b=hidden.id, probability=0.7, weight=3),
        ],
    )  # fmt: skip
    a, b = sorted([people[2].id, people[3].id])
    with store.write("seed") as uow:
        uow.add_many([hoeryong, onsong, yodok, *people, hidden, *acts, run])
        uow.add(LinkDecision(record_a=a, record_b=b, decision="same"))
    for estimate in (900.0, 1234.0):  # the second is the latest
        with store.write("seed") as uow:
            uow.add(
                EstimationRun(
                    method="loglinear", model="[12][3]", n_observed=700, estimate=estimate,
                    ci_lower=estimate - 100, ci_upper=estimate + 300,
                )
            )  # fmt: skip
    app = create_app(settings, https=False, store=store)
    try:
        yield Site(store, accounts, app)
    finally:
        store.close()


def test_acts_per_year_count_only_readable_acts_by_broad_type(site_any: Site) -> None:
    site = site_any
    reviewer = data.acts_by_year(site.store, site.users["reviewer"])
    assert reviewer is not None
    assert reviewer.years == [2009, 2010, 2011]  # every year in the span, the empty one too
    assert reviewer.counts == {
        (2009, LIFE): 1, (2009, LIBERTY): 1, (2010, LIBERTY): 1, (2011, LIBERTY): 1
    }  # fmt: skip
    assert reviewer.undated == 2 and reviewer.total == 6
    assert reviewer.types[0] == LIBERTY  # the most frequent broad type first
    admin = data.acts_by_year(site.store, site.users["admin"])
    assert admin is not None and admin.counts[(2012, INTEGRITY)] == 1
    viewer = data.acts_by_year(site.store, site.users["viewer"])  # cleared for internal only
    assert viewer is not None and viewer.undated == 2
    assert viewer.counts == {(2010, LIBERTY): 1, (2011, LIBERTY): 1}
    chart = dashboard.acts_chart(reviewer, "ko")
    titles = [r.title for r in chart["rects"]]
    assert f"2009 · {get_term(LIFE).label('ko')}: 1" in titles
    assert len(chart["rects"]) == 4 and all(r.h > 0 for r in chart["rects"])


def test_events_by_province_backlog_and_estimate_follow_the_policy(site_any: Site) -> None:
    site = site_any
    reviewer = data.events_by_province(site.store, site.users["reviewer"])
    assert reviewer is not None and reviewer.rows == [("KP-NHA", 2)] and reviewer.elsewhere == 0
    admin = data.events_by_province(site.store, site.users["admin"])
    assert admin is not None and dict(admin.rows) == {"KP-NHA": 2, "KP-SHA": 1}
    viewer = data.events_by_province(site.store, site.users["viewer"])
    assert viewer is not None and viewer.rows == [("KP-NHA", 1)]
    backlog = data.review_backlog(site.store, site.users["reviewer"])
    assert backlog == data.Backlog(pending=1, decided=1, hidden=1)
    assert data.review_backlog(site.store, site.users["admin"]) == data.Backlog(2, 1, 0)
    assert data.review_backlog(site.store, site.users["viewer"]) is None  # no linkage for viewers
    latest = data.latest_estimate(site.store, site.users["viewer"])
    assert latest is not None and latest.estimate == 1234.0
    assert data.latest_estimate(site.store, site.users["documenter"]) is None


def _signed_in(site: Site, role: str) -> TestClient:
    client = TestClient(site.app, follow_redirects=False)  # type: ignore[arg-type]
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    data_ = {"username": role, "password": PASSWORD, "csrf_token": token.group(1)}
    assert client.post("/login", data=data_).status_code == 303
    return client


def test_the_dashboard_page_draws_what_the_role_may_see(site: Site) -> None:
    reviewer = _signed_in(site, "reviewer")
    page = reviewer.get("/").text
    assert 'hx-get="/dashboard/acts-by-year"' in page
    assert 'data-province="KP-NHA" data-count="2"' in page and "KP-SHA" not in page
    assert 'data-pending="1"' in page and 'data-decided="1"' in page
    assert 'data-estimate="1234.0"' in page and "1,234" in page
    chart = reviewer.get("/dashboard/acts-by-year", headers={"HX-Request": "true"}).text
    assert "<html" not in chart and chart.count("<rect") >= 3
    assert '<tr data-year="2009"><td>2009</td>' in chart
    # Without HTMX the chart is a page of its own (the link for browsers without script).
    assert "<html" in reviewer.get("/dashboard/acts-by-year").text
    viewer = _signed_in(site, "viewer").get("/").text
    assert 'id="review-backlog"' not in viewer and 'data-province="KP-NHA" data-count="1"' in viewer
    documenter = _signed_in(site, "documenter").get("/").text
    assert 'id="latest-estimate"' not in documenter
