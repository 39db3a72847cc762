"""The interview intake wizard: each step checked, hidden values carried, one atomic save."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kirok.domain.records import (
    Act,
    Confidentiality,
    Consent,
    Event,
    Evidence,
    Information,
    Involvement,
    Person,
    Place,
)
from kirok.domain.vocabulary import load_vocabularies
from kirok.services import users
from kirok.store.repository import ListQuery, RecordStore
from kirok.web.app import create_app
from store_support import new_store

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')

TORTURE = next(t.id for t in load_vocabularies()["types_of_acts"] if t.label("en") == "Torture")
ARREST = next(t.id for t in load_vocabularies()["types_of_acts"] if t.label("en") == "Arrest")
MSS = "L24-MSS"
DIRECTLY = "01010000000018"
RELIABLE = "01000000000042"
WITNESS = "01020000000019"
HOERYONG = "KP-NHA-HOERYONG"


@dataclass
class Site:
    client: TestClient
    store: RecordStore
    evidence_dir: Path
    csrf: str


def _unescape(text: str) -> str:
    return (
        text.replace("&#34;", '"')
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
    )


def _sign_in(store: RecordStore, app: Any, role: str) -> tuple[TestClient, str]:
    client = TestClient(app, follow_redirects=False)
    token = _CSRF.search(client.get("/login").text)
    assert token is not None
    response = client.post(
        "/login", data={"username": role, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert response.status_code == 303
    page = _CSRF.search(client.get("/").text)
    assert page is not None
    return client, page.group(1)


@pytest.fixture
def site(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    yield from _build(sqlite_url, tmp_path, monkeypatch)


@pytest.fixture
def site_any(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """The same, once per backend."""
    yield from _build(db_url, tmp_path, monkeypatch)


def _build(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    settings, store = new_store(db_url, tmp_path, monkeypatch)
    for role in ("documenter", "viewer"):
        users.add_user(store, role, role, PASSWORD, actor="test")
    app = create_app(settings, https=False, store=store)
    client, csrf = _sign_in(store, app, "documenter")
    try:
        yield Site(client, store, tmp_path / "evidence", csrf)
    finally:
        store.close()


def _hidden(html: str) -> list[tuple[str, str]]:
    return [(name, _unescape(value)) for name, value in _HIDDEN.findall(html)]


def _form(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Form fields for httpx: repeated names keep their order (rows line up by position)."""
    out: dict[str, list[str]] = {}
    for name, value in pairs:
        out.setdefault(name, []).append(value)
    return out


def _step(site: Site, page: str, fields: list[tuple[str, str]], go: str = "next") -> Any:
    """Post a step as the browser would: its hidden fields plus what was typed on it."""
    carried = [(n, v) for n, v in _hidden(page) if n != "csrf_token"]
    data = [("csrf_token", site.csrf), *carried, *fields, ("go", go)]
    return site.client.post("/intake/step", data=_form(data))


def _record_counts(store: RecordStore) -> dict[str, int]:
    with store.read() as uow:
        return uow.counts_by_kind()


SOURCE = [
    ("source_name", "김증언"),
    ("source_connection", WITNESS),
    ("source_reliability", RELIABLE),
    ("source_language", "ko"),
    ("source_date", "2019-06-02"),
    ("testimony", "회령 보위부 구류장에서 두 사람이 고문당하는 것을 보았다."),
    ("consent_scope", "internal"),
    ("consent_scope", "share_un"),
    ("consent_date", "2019-06-02"),
    ("family_at_risk", "1"),
    ("confidentiality", "confidential"),
]
EVENT = [
    ("event_title", "회령 보위부 구류장 고문"),
    ("event_description", "Two detainees beaten during interrogation"),
    ("start_date", "2017-03"),
    ("end_date", "2017-05?"),
    ("event_place", HOERYONG),
    ("event_place_km", "5"),
]


def _walk_to_evidence(site: Site) -> str:
    """Source → event → two victims → one MSS unit → places; returns the evidence step."""
    page = site.client.get("/intake").text
    assert 'data-step="source"' in page
    page = _step(site, page, SOURCE).text
    assert 'data-step="event"' in page
    page = _step(site, page, EVENT).text
    assert 'data-step="victims"' in page
    first = [
        ("victim_name", "박철"),
        ("victim_sex", "01000000000039"),
        ("victim_birth", "1975"),
        ("act_type", TORTURE),
    ]
    page = _step(site, page, first, go="add_row").text
    assert page.count('name="victim_name"') == 2  # one more row, the first kept
    assert 'value="박철"' in page
    # Rows are posted in order: names, sexes, births and act types line up by position.
    rows = [
        ("victim_name", "박철"),
        ("victim_name", "Ri Yong-su"),
        ("victim_sex", "01000000000039"),
        ("victim_sex", ""),
        ("victim_birth", "1975"),
        ("victim_birth", ""),
        ("act_type", TORTURE),
        ("act_type", ARREST),
    ]
    page = _step(site, page, rows).text
    assert 'data-step="perpetrators"' in page, page
    perpetrator = [
        ("perp_name", "회령시 보위부"),
        ("perp_kind", "unit"),
        ("perp_type", MSS),
        ("perp_degree", DIRECTLY),
        ("perp_victim", "all"),
    ]
    page = _step(site, page, perpetrator).text
    assert 'data-step="places"' in page
    places = [
        ("act_place", ""),
        ("act_place", HOERYONG),
        ("act_place_km", "0"),
        ("act_place_km", "0"),
    ]
    page = _step(site, page, places).text
    assert 'data-step="evidence"' in page
    # The last step sums up what will be saved.
    assert "<dd>김증언</dd>" in page and "<dd>박철 (Torture); Ri Yong-su (Arrest)</dd>" in page
    return page


def test_the_wizard_saves_a_whole_interview_in_one_go(site_any: Site) -> None:
    site = site_any
    page = _walk_to_evidence(site)
    assert _record_counts(site.store).get("event", 0) == 0  # nothing written before the save
    content = b"%PDF-1.4 scanned statement of Kim, 2019\n"
    data = [("csrf_token", site.csrf), *[(n, v) for n, v in _hidden(page) if n != "csrf_token"]]
    data.append(("evidence_description", "Signed statement"))
    response = site.client.post(
        "/intake",
        data=_form(data),
        files=[("evidence_file", ("statement.pdf", content, "application/pdf"))],
    )
    assert response.status_code == 303, response.text
    event_id = response.headers["location"].rsplit("/", 1)[1]
    with site.store.read() as uow:
        event = uow.get(event_id, "event")
        acts = [a for a in uow.list(ListQuery(kind="act", refers_to=event_id))]
        infos = uow.list(ListQuery(kind="information", refers_to=event_id))
        files = uow.list(ListQuery(kind="evidence", refers_to=event_id))
        assert isinstance(event, Event) and event.start_date == "2017-03"
        # The event is "within 5 km of Hoeryong": a place of its own under the gazetteer's.
        near = uow.get(event.place_id or "", "place")
        assert isinstance(near, Place)
        assert near.parent_id == HOERYONG and near.precision_m == 5000.0 and near.lat is None
        assert sorted(a.act_type for a in acts if isinstance(a, Act)) == sorted([TORTURE, ARREST])
        by_type = {a.act_type: a for a in acts if isinstance(a, Act)}
        assert by_type[ARREST].place_id == HOERYONG  # its own, exact place
        assert by_type[TORTURE].place_id == near.id  # the event's
        victim = uow.get(by_type[TORTURE].victim_id, "person")
        assert isinstance(victim, Person) and victim.display_name == "박철"
        assert victim.birth_date == "1975"
        (info,) = infos
        assert isinstance(info, Information) and info.reliability == RELIABLE
        assert info.testimony is not None and "고문" in info.testimony
        source = uow.get(info.source_person_id or "", "person")
        assert isinstance(source, Person) and source.display_name == "김증언"
        (consent,) = uow.list(ListQuery(kind="consent", refers_to=info.id))
        assert isinstance(consent, Consent)
        assert sorted(consent.scopes) == ["internal", "share_un"] and consent.family_at_risk
        involvements = [
            i
            for act in acts
            for i in uow.list(ListQuery(kind="involvement", refers_to=act.id))
            if isinstance(i, Involvement)
        ]
        assert len(involvements) == 2 and {i.perpetrator_type for i in involvements} == {MSS}
        unit = uow.get(involvements[0].perpetrator_id, "person")
        assert isinstance(unit, Person) and unit.display_name == "회령시 보위부"
        (stored_file,) = files
        assert isinstance(stored_file, Evidence)
        assert stored_file.sha256 == hashlib.sha256(content).hexdigest()
        trail = uow.audit_trail(stored_file.id)
        levels = {r.confidentiality.value for r in [event, victim, info, source, near, stored_file]}
    assert levels == {"confidential"}
    assert any(entry.get("action") == "evidence_ingest" for entry in trail), trail
    sealed = (site.evidence_dir / stored_file.sha256[:2] / stored_file.sha256).read_bytes()
    assert content not in sealed  # the original is stored encrypted
    # Every record written is audited under the documenter's name.
    with site.store.read() as uow:
        created = uow.audit_trail(event_id)
    assert created and created[0].get("actor") == "documenter"
    # Found again by a Korean search.
    found = site.client.get("/search", params={"q": "구류장"}).text
    assert f"/records/{event_id}" in found


def test_each_step_shows_its_problems_next_to_the_field(site: Site) -> None:
    page = site.client.get("/intake").text
    bad = [(n, "spring" if n == "source_date" else v) for n, v in SOURCE if n != "source_name"]
    response = _step(site, page, bad)
    assert response.status_code == 422
    html = response.text
    assert 'data-step="source"' in html
    assert (
        'id="f-source_name" name="source_name" value="" maxlength="300" aria-invalid="true"' in html
    )
    assert 'id="err-source_name"' in html and 'id="err-source_date"' in html
    assert 'id="err-testimony"' not in html
    # What was typed is kept.
    assert "회령 보위부 구류장에서" in html
    # With HTMX the wizard alone comes back, as 200 so that HTMX swaps it in.
    partial = site.client.post(
        "/intake/step",
        data=_form([("csrf_token", site.csrf), *bad, ("go", "next")]),
        headers={"HX-Request": "true"},
    )
    assert partial.status_code == 200 and "<html" not in partial.text
    assert 'id="err-source_name"' in partial.text
    # An act type from the wrong vocabulary is refused on the victims step.
    page = _step(site, site.client.get("/intake").text, SOURCE).text
    page = _step(site, page, EVENT).text
    wrong = _step(site, page, [("victim_name", "박철"), ("act_type", MSS)])
    assert wrong.status_code == 422 and 'id="err-act_type-0"' in wrong.text


def test_the_save_checks_every_step_again_and_writes_nothing_on_a_problem(site: Site) -> None:
    page = _walk_to_evidence(site)
    carried = [(n, v) for n, v in _hidden(page) if n != "csrf_token"]
    # A value altered in the browser after its step was checked.
    tampered = [(n, "not-a-term" if n == "act_type" else v) for n, v in carried]
    response = site.client.post("/intake", data=_form([("csrf_token", site.csrf), *tampered]))
    assert response.status_code == 422
    assert 'data-step="victims"' in response.text and 'id="err-act_type-0"' in response.text
    assert _record_counts(site.store).get("event", 0) == 0
    # A file already stored as evidence: refused before any record is written.
    content = b"same bytes"
    first = site.client.post(
        "/intake",
        data=_form([("csrf_token", site.csrf), *carried]),
        files=[("evidence_file", ("a.jpg", content, "image/jpeg"))],
    )
    assert first.status_code == 303
    before = _record_counts(site.store)
    again = site.client.post(
        "/intake",
        data=_form([("csrf_token", site.csrf), *carried]),
        files=[("evidence_file", ("b.jpg", content, "image/jpeg"))],
    )
    assert again.status_code == 422 and 'id="err-evidence_file"' in again.text
    assert _record_counts(site.store) == before
    # A new file before the duplicate is not kept either: one save, all or nothing.
    files_before = sorted(p for p in site.evidence_dir.rglob("*") if p.is_file())
    both = site.client.post(
        "/intake",
        data=_form([("csrf_token", site.csrf), *carried]),
        files=[
            ("evidence_file", ("new.jpg", b"new bytes", "image/jpeg")),
            ("evidence_file", ("b.jpg", content, "image/jpeg")),
        ],
    )
    assert both.status_code == 422 and "This file is already stored as evidence." in both.text
    assert _record_counts(site.store) == before
    assert sorted(p for p in site.evidence_dir.rglob("*") if p.is_file()) == files_before


def test_roles_that_may_not_record_interviews_are_refused(site: Site) -> None:
    app = site.client.app
    viewer, token = _sign_in(site.store, app, "viewer")
    assert viewer.get("/intake").status_code == 403
    data = [("csrf_token", token), *SOURCE, ("go", "next")]
    assert viewer.post("/intake/step", data=_form(data)).status_code == 403
    assert (
        viewer.post("/intake", data=_form([("csrf_token", token), *SOURCE, *EVENT])).status_code
        == 403
    )
    assert _record_counts(site.store).get("event", 0) == 0
    # Without the CSRF token the documenter is refused too.
    assert site.client.post("/intake/step", data=dict(SOURCE)).status_code == 403


PAYLOADS = (
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg onload=alert(1)>",
)


def test_script_payloads_in_every_wizard_field_render_inert(site: Site) -> None:
    for payload in PAYLOADS:
        typed = {
            "source_name": f"증언 {payload}",
            "testimony": f"증언 {payload}",
            "source_date": "2019",
            "event_title": f"잠입 {payload}",
            "event_description": payload,
            "victim_name": f"피해 {payload}",
            "act_type": TORTURE,
            "perp_name": f"보위부 {payload}",
            "perp_kind": "unit",
            "evidence_description": payload,
        }
        # Every step shows the others' values as hidden fields: each must stay inert there too.
        for step in ("source", "event", "victims", "perpetrators", "places", "evidence"):
            shown = site.client.post(
                "/intake/step",
                data={"csrf_token": site.csrf, "step": step, "go": "add_row", **typed},
            ).text
            _assert_inert(shown, payload)
        saved = site.client.post("/intake", data={"csrf_token": site.csrf, **typed})
        assert saved.status_code == 303, saved.text
        pages = [site.client.get(saved.headers["location"]).text]
        pages.append(site.client.get("/search", params={"q": "잠입"}).text)
        pages.append(site.client.get("/search", params={"q": "보위부"}).text)
        pages.append(site.client.get("/").text)
        for html in pages:
            _assert_inert(html, payload)


def _assert_inert(html: str, payload: str) -> None:
    assert payload not in html
    for live in ("<script>alert", "<img src=x", "<svg onload"):
        assert live not in html


def test_a_recorded_unit_can_be_chosen_as_the_perpetrator(site: Site) -> None:
    from kirok.domain.records import NameForm

    with site.store.write("seed") as uow:
        unit = uow.add(
            Person(
                counting_unit="03000000000007",
                name_forms=[NameForm(text="국가보위성")],
                confidentiality=Confidentiality.PUBLIC,
            )
        )
    page = _step(site, site.client.get("/intake").text, SOURCE).text
    page = _step(site, page, EVENT).text
    page = _step(site, page, [("victim_name", "박철"), ("act_type", TORTURE)]).text
    assert f'<option value="{unit.id}">국가보위성</option>' in page
    unknown = _step(site, page, [("perp_existing", "no-such-unit"), ("perp_type", MSS)])
    assert unknown.status_code == 422 and 'id="err-perp_existing-0"' in unknown.text
    page = _step(site, page, [("perp_existing", unit.id), ("perp_degree", DIRECTLY)]).text
    page = _step(site, page, [("act_place", ""), ("act_place_km", "0")]).text
    carried = [(n, v) for n, v in _hidden(page) if n != "csrf_token"]
    persons_before = _record_counts(site.store)["person"]
    saved = site.client.post("/intake", data=_form([("csrf_token", site.csrf), *carried]))
    assert saved.status_code == 303, saved.text
    with site.store.read() as uow:
        (involvement,) = uow.list(ListQuery(kind="involvement", refers_to=unit.id))
    assert isinstance(involvement, Involvement) and involvement.degree == DIRECTLY
    # The source and the victim are new; the unit is not recorded a second time.
    assert _record_counts(site.store)["person"] == persons_before + 2


def test_a_one_shot_post_with_two_victims_and_no_places_is_saved(site: Site) -> None:
    fields = [
        ("csrf_token", site.csrf),
        ("source_name", "김증언"),
        ("event_title", "온성 집결소 구타"),
        ("victim_name", "박철"),
        ("victim_name", "최은정"),
        ("act_type", TORTURE),
        ("act_type", ARREST),
    ]
    saved = site.client.post("/intake", data=_form(fields))
    assert saved.status_code == 303, saved.text
    event_id = saved.headers["location"].rsplit("/", 1)[1]
    with site.store.read() as uow:
        acts = uow.list(ListQuery(kind="act", refers_to=event_id))
    assert sorted(a.act_type for a in acts if isinstance(a, Act)) == sorted([TORTURE, ARREST])


def test_files_over_the_size_limit_are_refused_before_anything_is_written(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kirok.services import intake

    monkeypatch.setattr(intake, "MAX_EVIDENCE_BYTES", 10)
    fields = [("csrf_token", site.csrf), ("source_name", "김증언"), ("event_title", "x")]
    fields += [("victim_name", "박철"), ("act_type", TORTURE)]
    response = site.client.post(
        "/intake",
        data=_form(fields),
        files=[
            ("evidence_file", ("a.txt", b"123456", "text/plain")),
            ("evidence_file", ("b.txt", b"789012", "text/plain")),  # 12 bytes together
        ],
    )
    assert response.status_code == 422 and 'id="err-evidence_file"' in response.text
    assert _record_counts(site.store).get("event", 0) == 0


def test_a_file_over_a_mebibyte_is_never_spooled_to_disk_in_plaintext(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Starlette writes a file part that outgrows its spool to a temporary file, unencrypted.
    from starlette import formparsers

    rolled_over: list[int] = []

    class Watched(formparsers.SpooledTemporaryFile):  # type: ignore[type-arg]
        def rollover(self) -> None:
            rolled_over.append(self.tell())
            super().rollover()

    monkeypatch.setattr(formparsers, "SpooledTemporaryFile", Watched)
    statement = b"testimony " * 300_000  # 3 MB, three times Starlette's own spool size
    fields = [("csrf_token", site.csrf), ("source_name", "김증언"), ("event_title", "x")]
    fields += [("victim_name", "박철"), ("act_type", TORTURE)]
    saved = site.client.post(
        "/intake",
        data=_form(fields),
        files=[("evidence_file", ("statement.txt", statement, "text/plain"))],
    )
    assert saved.status_code == 303, saved.text
    assert rolled_over == []
    with site.store.read() as uow:
        stored = uow.list(ListQuery(kind="evidence"))
    assert [e.sha256 for e in stored if isinstance(e, Evidence)] == [
        hashlib.sha256(statement).hexdigest()
    ]


def test_a_request_larger_than_the_evidence_limit_is_refused_unread(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kirok.services import intake
    from kirok.web.app import FORM_FIELDS_BYTES

    monkeypatch.setattr(intake, "MAX_EVIDENCE_BYTES", 1024)  # read when the app is built
    site = next(_build(sqlite_url, tmp_path, monkeypatch))
    fields = [("csrf_token", site.csrf), ("source_name", "김증언"), ("event_title", "x")]
    fields += [("victim_name", "박철"), ("act_type", TORTURE)]
    response = site.client.post(
        "/intake",
        data=_form(fields),
        files=[("evidence_file", ("big.bin", b"x" * (FORM_FIELDS_BYTES + 2048), "text/plain"))],
    )
    assert response.status_code == 413
    assert _record_counts(site.store).get("event", 0) == 0
    site.store.close()
