"""Analysis pages: linkage review queue, stored estimates, policy tracker (TestClient, SQLite)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from kirok.domain.records import (
    Act,
    Confidentiality,
    Designation,
    EstimationRun,
    Event,
    LinkDecision,
    NameForm,
    Person,
    Place,
    PlaceName,
    Resolution,
    Romanization,
    SanctionEntry,
    Script,
    VoteCount,
)
from kirok.linkage.decisions import pair_key
from kirok.security import passwords, policy
from kirok.services import estimates, linkage, users
from kirok.services.context import Settings, initialise
from kirok.store.repository import RecordStore
from kirok.web.app import create_app

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PAYLOAD = "<script>alert('x')</script>"


@dataclass
class Site:
    store: RecordStore
    client_factory: Any

    def signed_in(self, role: str) -> tuple[TestClient, str]:
        client: TestClient = self.client_factory()
        token = _csrf_of(client.get("/login").text)
        response = client.post(
            "/login", data={"username": role, "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 303, response.text
        return client, _csrf_of(client.get("/").text)


def _csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match is not None, "page has no CSRF field"
    return match.group(1)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "default_hasher", lambda: cheap)
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'k.db'}",
        keystore=tmp_path / "keys.json",
        key_file=tmp_path / "kirok.key",
    )
    store = initialise(settings)
    for role in policy.Role:
        users.add_user(store, role.value, role.value, PASSWORD, actor="test")
    app = create_app(settings, https=False, store=store)
    try:
        yield Site(store, lambda: TestClient(app, follow_redirects=False))
    finally:
        store.close()


def _person(
    text: str,
    birth: str,
    source: str,
    script: Script = Script.LATIN,
    level: Confidentiality = Confidentiality.CONFIDENTIAL,
) -> Person:
    system = Romanization.NONE if script is Script.HANGUL else Romanization.UNKNOWN
    return Person(
        name_forms=[NameForm(text=text, script=script, system=system)],
        birth_date=birth,
        source=source,
        confidentiality=level,
    )


def _link(store: RecordStore, extra: list[Person] | None = None) -> dict[str, Person]:
    """A few victims on three lists; a strict threshold leaves several pairs for review."""
    people = {
        "kim_h": _person("김정일", "1962", "ngo-a", Script.HANGUL),
        "kim_l": _person("Kim Jong-il", "1962", "ngo-b"),
        "kim_m": _person("Kim Chŏng-il", "1962", "ngo-c"),
        "ri_h": _person("리설주", "1989", "ngo-a", Script.HANGUL),
        "ri_l": _person("Lee Seol-ju", "1989", "ngo-b"),
        "pak_1": _person("Pak Yong-ho", "1971", "ngo-a"),
        "pak_2": _person("Pak Yong-su", "1971", "ngo-c"),
        "choe_1": _person("Choe Myong-suk", "1955", "ngo-c"),
        "choe_2": _person("Choe Myong-sik", "1955", "ngo-b"),
    }
    for i, person in enumerate(extra or []):
        people[f"extra_{i}"] = person
    with store.write("documenter") as uow:
        event = uow.add(Event(title="detention at Onsong holding centre"))
        for person in people.values():
            uow.add(person)
            uow.add(Act(event_id=event.id, victim_id=person.id, act_type="A"))
    linkage.run_linkage(store, "analyst", threshold=0.9999, review_floor=0.3)
    return people


def _pair_in_page(html: str) -> tuple[str, str]:
    match = re.search(r'data-a="([0-9a-f]+)" data-b="([0-9a-f]+)"', html)
    assert match is not None, "no pair on the page"
    return match.group(1), match.group(2)


# -- review queue --------------------------------------------------------------------------------


def test_review_page_shows_both_records_and_explains_the_weights(site: Site) -> None:
    people = _link(site.store)
    names = {p.id: p.display_name for p in people.values()}
    first = linkage.review_queue(site.store)[0]
    client, _ = site.signed_in("reviewer")
    html = client.get("/review").text
    assert _pair_in_page(html) == (first.pair.record_a, first.pair.record_b)
    assert names[first.pair.record_a] in html and names[first.pair.record_b] in html
    assert f"{first.pair.probability * 100:.1f}%" in html
    # Every comparison in words, with its signed weight.
    for comparison, weight in first.pair.weights.items():
        item = re.search(rf'data-comparison="{comparison}">([^<]*)<strong>([^<]*)</strong>', html)
        assert item is not None, comparison
        assert item.group(2) == f"{weight:+.1f}"
    assert "Family name" in html and "evidence for the same person" in html
    level = first.pair.levels["surname"]
    assert level not in ("", "missing")
    korean = site.signed_in("reviewer")
    switched = korean[0].post("/lang", data={"csrf_token": korean[1], "lang": "ko"})
    assert switched.status_code == 303
    html_ko = korean[0].get("/review").text
    assert "기록 연계 검토" in html_ko and "같은 사람이라는 증거" in html_ko


def test_a_decision_posted_through_the_page_is_stored_and_leaves_the_queue(site: Site) -> None:
    _link(site.store)
    before = linkage.review_queue(site.store)
    client, token = site.signed_in("reviewer")
    a, b = _pair_in_page(client.get("/review").text)
    response = client.post(
        "/review/decide",
        data={
            "csrf_token": token,
            "record_a": a,
            "record_b": b,
            "decision": "different",
            "note": "different birth places in the testimony",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200, response.text
    # The HTMX answer is the next pair only, not a whole page.
    assert "<html" not in response.text and 'data-saved="different"' in response.text
    assert _pair_in_page(response.text) != (a, b)
    after = linkage.review_queue(site.store)
    assert len(after) == len(before) - 1
    assert pair_key(a, b) not in {pair_key(i.pair.record_a, i.pair.record_b) for i in after}
    with site.store.read() as uow:
        stored = [d for d in uow.iter_kind("link_decision") if isinstance(d, LinkDecision)]
        audited = uow.connection.execute(
            sa.text("SELECT actor, action FROM audit_log WHERE record_id = :r"),
            {"r": stored[0].id},
        ).all()
    assert [(d.record_a, d.record_b, d.decision) for d in stored] == [
        (*pair_key(a, b), "different")
    ]
    assert stored[0].note == "different birth places in the testimony"
    assert [(row.actor, row.action) for row in audited] == [("reviewer", "create")]
    # Without HTMX the form falls back to a redirect; the decision is honoured on a re-run.
    c, d = _pair_in_page(response.text)
    plain = client.post(
        "/review/decide",
        data={"csrf_token": token, "record_a": c, "record_b": d, "decision": "same"},
    )
    assert plain.status_code == 303 and plain.headers["location"] == "/review"
    rerun = linkage.run_linkage(site.store, "analyst", threshold=0.9999, review_floor=0.3)
    assert rerun.clusters[a] != rerun.clusters[b] and rerun.clusters[c] == rerun.clusters[d]
    assert rerun.decisions_applied == 2


def test_review_is_refused_to_roles_that_may_not_review(site: Site) -> None:
    _link(site.store)
    a, b = (
        linkage.review_queue(site.store)[0].pair.record_a,
        linkage.review_queue(site.store)[0].pair.record_b,
    )
    for role in policy.Role:
        allowed = policy.Action.REVIEW in policy.PERMISSIONS[role][policy.EntityKind.LINK_DECISION]
        client, token = site.signed_in(role.value)
        page = client.get("/review")
        posted = client.post(
            "/review/decide",
            data={"csrf_token": token, "record_a": a, "record_b": b, "decision": "unsure"},
        )
        if allowed:
            assert page.status_code == 200, role
        else:
            assert page.status_code == 403 and posted.status_code == 403, role
    assert {
        r
        for r in policy.Role
        if policy.Action.REVIEW in policy.PERMISSIONS[r][policy.EntityKind.LINK_DECISION]
    } == {policy.Role.ADMIN, policy.Role.REVIEWER}


def test_review_csrf_and_pairs_outside_the_queue(site: Site) -> None:
    people = _link(site.store)
    client, token = site.signed_in("reviewer")
    a, b = _pair_in_page(client.get("/review").text)
    for forged in (None, "forged-token-forged-token-forged-token"):
        data = {"record_a": a, "record_b": b, "decision": "same"}
        if forged:
            data["csrf_token"] = forged
        assert client.post("/review/decide", data=data).status_code == 403
    # A pair the latest run did not put up for review, and a decision that is not one.
    outside = client.post(
        "/review/decide",
        data={
            "csrf_token": token,
            "record_a": people["kim_h"].id,
            "record_b": people["choe_1"].id,
            "decision": "same",
        },
    )
    assert outside.status_code == 422
    bad = client.post(
        "/review/decide",
        data={"csrf_token": token, "record_a": a, "record_b": b, "decision": "merge"},
    )
    assert bad.status_code == 422
    with site.store.read() as uow:
        assert list(uow.iter_kind("link_decision")) == []


def test_pairs_above_the_clearance_are_not_shown_nor_decidable(site: Site) -> None:
    secret = [
        _person("Han Song-hui", "1980", "ngo-a", level=Confidentiality.SECRET),
        _person("Han Song-hee", "1980", "ngo-b", level=Confidentiality.SECRET),
    ]
    _link(site.store, secret)
    secret_ids = {p.id for p in secret}
    queue = linkage.review_queue(site.store)
    hidden = [i.pair for i in queue if {i.pair.record_a, i.pair.record_b} & secret_ids]
    assert hidden, "the secret pair should be in the review queue"
    client, token = site.signed_in("reviewer")  # clearance: confidential
    html = client.get("/review").text
    assert "Han Song" not in html and "above your clearance" in html
    refused = client.post(
        "/review/decide",
        data={
            "csrf_token": token,
            "record_a": hidden[0].record_a,
            "record_b": hidden[0].record_b,
            "decision": "same",
        },
    )
    assert refused.status_code in (403, 404)
    with site.store.read() as uow:
        assert list(uow.iter_kind("link_decision")) == []


def test_names_follow_the_redaction_policy(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    people = _link(site.store)
    real = policy.field_visibility

    def pseudonymised(kind: Any, field: str, user: Any) -> policy.Visibility:
        if kind == "person" and field in ("name_forms", "aliases") and user.role == "reviewer":
            return policy.Visibility.PSEUDONYM
        return real(kind, field, user)

    monkeypatch.setattr(policy, "field_visibility", pseudonymised)
    client, _ = site.signed_in("reviewer")
    html = client.get("/review").text
    assert re.search(r"P-[0-9A-F]{8,}", html)
    for person in people.values():
        assert person.display_name not in html
    admin, _ = site.signed_in("admin")
    a, _b = _pair_in_page(admin.get("/review").text)
    assert next(p for p in people.values() if p.id == a).display_name in admin.get("/review").text


def test_script_payloads_render_inert(site: Site) -> None:
    payload_people = [
        _person(f"Ri Chol-ho {PAYLOAD}", "1990", "ngo-a"),
        _person(f"Ri Chol-ho {PAYLOAD}", "1990", "ngo-b"),
    ]
    _link(site.store, payload_people)
    with site.store.write("analyst") as uow:
        uow.add(
            Designation(
                program="religious_freedom_cpc",
                country="KP",
                year=2001,
                status=PAYLOAD,
                citation=PAYLOAD,
            )
        )
        uow.add(
            Resolution(
                body="UNGA",
                symbol=PAYLOAD,
                adopted_on="2010-12-18",
                vote=VoteCount(yes=106, no=20, abstain=57),
            )
        )
    with site.store.write("analyst") as uow:
        uow.add(
            EstimationRun(
                method="loglinear",
                model=PAYLOAD,
                n_observed=4,
                estimate=5.0,
                result={"warnings": [PAYLOAD], "data_sha256": PAYLOAD, "seed": PAYLOAD},
            )
        )
    client, token = site.signed_in("admin")
    pages = [
        client.get("/tracker", params={"on": "2005-01-01"}).text,
        client.get("/estimates").text,
    ]
    # Walk the queue until the payload pair comes up, deciding "unsure" on the others.
    for _ in range(20):
        html = client.get("/review").text
        pages.append(html)
        if "Ri Chol-ho" in html or "pair" not in html:
            break
        a, b = _pair_in_page(html)
        client.post(
            "/review/decide",
            data={
                "csrf_token": token,
                "record_a": a,
                "record_b": b,
                "decision": "unsure",
                "note": PAYLOAD,
            },
        )
    assert any("Ri Chol-ho" in html for html in pages)
    for html in pages:
        assert PAYLOAD not in html and "<script>alert" not in html
    assert "&lt;script&gt;" in pages[0] and "&lt;script&gt;" in pages[1]


# -- estimates -----------------------------------------------------------------------------------


def test_estimates_page_shows_the_stored_runs(site: Site) -> None:
    _link(site.store)
    linkage.run_linkage(site.store, "analyst")  # default thresholds: the clusters to count
    (run,) = estimates.estimate_db(site.store, "analyst", min_observed=1)
    client, _ = site.signed_in("viewer")
    html = client.get("/estimates").text
    assert f'id="run-{run.id}"' in html
    assert f"{run.estimate:,.0f}" in html and str(run.n_observed) in html
    # An interval without a finite upper bound is said so, never cut short or left out.
    assert run.ci_lower is not None
    upper = "no finite upper bound" if run.ci_upper is None else f"{run.ci_upper:,.0f}"
    assert f"{run.ci_lower:,.0f}–{upper})</span>" in html
    assert run.result["data_sha256"] in html and run.model in html
    for warning in run.result["warnings"]:
        assert str(warning).split(":")[0].replace("'", "&#39;") in html
    rows = run.result["details"]["sensitivity"]
    assert len(rows) > 1 and all(f"<code>{r['model']}</code>" in html for r in rows)
    for path in ("/estimates/intervals.svg", f"/estimates/{run.id}/sensitivity.svg"):
        chart = client.get(path)
        assert chart.status_code == 200 and chart.headers["content-type"] == "image/svg+xml"
        assert chart.content.lstrip().startswith(b"<?xml") and b"<svg" in chart.content
        assert "script-src" not in chart.headers["content-security-policy"]
        assert "default-src 'none'" in chart.headers["content-security-policy"]
    assert client.get("/estimates/0123456789abcdef/sensitivity.svg").status_code == 404
    # Documenters may not read estimation runs at all.
    documenter, _ = site.signed_in("documenter")
    assert documenter.get("/estimates").status_code == 403
    assert documenter.get("/estimates/intervals.svg").status_code == 403


def test_estimates_above_the_clearance_are_left_out(site: Site) -> None:
    _link(site.store)
    linkage.run_linkage(site.store, "analyst")  # default thresholds: the clusters to count
    (run,) = estimates.estimate_db(site.store, "analyst", min_observed=1)
    with site.store.write("admin") as uow:
        secret = uow.add(
            EstimationRun(
                method="loglinear",
                model="[1,2,3]",
                n_observed=4,
                estimate=987654.0,
                confidentiality=Confidentiality.SECRET,
            )
        )
    viewer, _ = site.signed_in("viewer")
    html = viewer.get("/estimates").text
    assert run.id in html and secret.id not in html and "987,654" not in html
    admin, _ = site.signed_in("admin")
    assert "987,654" in admin.get("/estimates").text


# -- policy tracker ------------------------------------------------------------------------------


def _tracker_records(store: RecordStore) -> None:
    with store.write("analyst") as uow:
        for year, status, when in (
            (2001, "CPC", date(2001, 10, 9)),
            (2004, "CPC (renewed)", None),
            (2018, "CPC + waiver", date(2018, 11, 28)),
        ):
            uow.add(
                Designation(
                    program="religious_freedom_cpc",
                    country="KP",
                    year=year,
                    status=status,
                    designated_on=when,
                    citation=f"FR {year}",
                )
            )
        uow.add(Designation(program="trafficking_tier", country="KP", year=2003, status="Tier 3"))
        uow.add(
            SanctionEntry(
                program="us_sdn", listed_name="Ministry of State Security", listed_on="2016-07"
            )
        )
        uow.add(
            SanctionEntry(
                program="us_sdn",
                listed_name="Korea Kwangson Banking Corp",
                listed_on="2009-08-11",
                delisted_on="2012-01-01",
            )
        )
        uow.add(
            Resolution(
                body="UNGA",
                symbol="A/RES/60/173",
                adopted_on="2005-12-16",
                vote=VoteCount(yes=88, no=21, abstain=60),
            )
        )
        uow.add(Resolution(body="UNGA", symbol="A/RES/73/180", adopted_on="2018-12-17", vote=None))
        uow.add(
            Resolution(body="HRC", symbol="A/HRC/RES/22/13", adopted_on="2013-03-21", vote=None)
        )


def test_tracker_timeline_votes_and_what_was_in_force(site: Site) -> None:
    _tracker_records(site.store)
    client, _ = site.signed_in("viewer")
    html = client.get("/tracker").text
    assert "2001-10-09" in html and "2004-01-01" in html and "still in force" in html
    assert "A/RES/60/173" in html and ">88<" in html and ">60<" in html
    assert html.count("adopted without a vote") == 2
    on_2010 = client.get("/tracker", params={"on": "2010-06-01"}).text
    section = on_2010.split('id="in-force"')[1].split("</section>")[0]
    assert "CPC (renewed)" in section and "Tier 3" in section
    assert "CPC + waiver" not in section and ">CPC<" not in section
    before = client.get("/tracker", params={"on": "2001-10-08"}).text
    section = before.split('id="in-force"')[1].split("</section>")[0]
    assert "CPC" not in section and "Tier 3" not in section
    assert "YYYY-MM-DD" in client.get("/tracker", params={"on": "June 2010"}).text
    # Sanctions: certain, uncertain (listed "2016-07": in force from some day that month), over.
    rows = {
        when: client.get("/tracker", params={"on": when}).text.split('class="sanctions"')
        for when in ("2010-06-01", "2016-07-15", "2016-08-01", "2013-01-01")
    }
    assert 'data-in-force="yes"><td>us_sdn</td><td>Korea Kwangson' in rows["2010-06-01"][1]
    assert "Ministry of State Security" not in rows["2010-06-01"][1]
    assert '"possibly"><td>us_sdn</td><td>Ministry of State Security' in rows["2016-07-15"][1]
    assert '"yes"><td>us_sdn</td><td>Ministry of State Security' in rows["2016-08-01"][1]
    assert len(rows["2013-01-01"]) == 1  # nothing in force: no table
    for path in ("/tracker/designations.svg", "/tracker/votes.svg"):
        chart = client.get(path)
        assert chart.status_code == 200 and b"<svg" in chart.content
        assert chart.headers["content-type"] == "image/svg+xml"


def test_every_new_page_has_a_nav_link_and_korean(site: Site) -> None:
    client, token = site.signed_in("admin")
    client.post("/lang", data={"csrf_token": token, "lang": "ko"})
    for path, title in (
        ("/review", "기록 연계 검토"),
        ("/estimates", "추정"),
        ("/tracker", "정책 추적"),
    ):
        html = client.get(path).text
        assert f'href="{path}"' in html and f"<h1>{title}</h1>" in html, path


def test_birth_places_are_named_in_the_reader_language(site: Site) -> None:
    with site.store.write("documenter") as uow:
        place = uow.add(
            Place(
                place_kind="county",
                names=[
                    PlaceName(text="Hoeryong", script="latin", system="english"),
                    PlaceName(text="회령시", script="hangul", system="ko"),
                ],
            )
        )
    born = [
        _person("Jang Song-ok", "1984", "ngo-a"),
        _person("Jang Song-ok", "1985", "ngo-b"),
    ]
    for person in born:
        person.birth_place_id = place.id
    _link(site.store, born)
    client, token = site.signed_in("reviewer")
    # Decide "unsure" on the pairs before the one with the birth place.
    for _ in range(20):
        html = client.get("/review").text
        if "Jang Song-ok" in html:
            break
        a, b = _pair_in_page(html)
        client.post(
            "/review/decide",
            data={"csrf_token": token, "record_a": a, "record_b": b, "decision": "unsure"},
        )
    assert "Jang Song-ok" in html and "Place of birth" in html
    assert html.count("<td>Hoeryong</td>") == 2 and place.id not in html.replace("/records/", "")
    client.post("/lang", data={"csrf_token": token, "lang": "ko"})
    korean = client.get("/review").text
    assert korean.count("<td>회령시</td>") == 2 and "출생지" in korean


def test_lcmcr_diagnostics_are_shown(site: Site) -> None:
    """A stored LCMCR result (the estimator's dictionary shape) shows R-hat, ESS, chains."""
    diagnostics = {"rhat": 1.0123, "ess_bulk": 4321.7, "ess_tail": 2345.2, "mcse_mean": 3.21}
    with site.store.write("analyst") as uow:
        run = uow.add(
            EstimationRun(
                method="lcmcr",
                model="LCMCR K=10",
                n_observed=812,
                estimate=1534.0,
                ci_lower=1210.0,
                ci_upper=2388.0,
                result={
                    "ci_level": 0.95,
                    "ci_method": "equal-tailed posterior interval",
                    "seed": 20240611,
                    "data_sha256": "ab" * 32,
                    "diagnostics": diagnostics,
                    "details": {"chain_medians": [1529.0, 1541.0, 1530.0, 1538.0]},
                    "warnings": ["R-hat 1.012 > 1.01: the chains disagree"],
                },
            )
        )
    client, _ = site.signed_in("analyst")
    html = client.get("/estimates").text
    article = html.split(f'id="run-{run.id}"')[1].split("</article>")[0]
    assert "1,534" in article and "(95% interval 1,210–2,388)" in article
    assert "<code>20240611</code>" in article and "ab" * 32 in article
    assert re.search(r"R-hat</th><td[^>]*>1\.012<", article)
    assert re.search(r"ESS \(bulk\)</th><td[^>]*>4,322<", article)
    assert "1,529" in article and "1,541" in article
    assert "R-hat 1.012 &gt; 1.01" in article and "posterior draws are not stored" in article
    assert "sensitivity.svg" not in article  # no sensitivity table for LCMCR
