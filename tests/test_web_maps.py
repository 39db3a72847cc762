"""The map and the refugee case pages: GeoJSON, policy filtering, the custody path in order."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from kirok.domain.records import (
    Confidentiality,
    CustodyStep,
    Event,
    NameForm,
    Person,
    Place,
    PlaceName,
    RefugeeCase,
)
from kirok.security import passwords, policy
from kirok.services import geo, users
from kirok.services.context import Settings, initialise
from kirok.store.repository import RecordStore
from kirok.web.app import create_app

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
C = Confidentiality


@dataclass
class Site:
    client_for: dict[str, TestClient]
    store: RecordStore
    ids: dict[str, str]


def _place(pid: str, name: str, hangul: str, **fields: Any) -> Place:
    return Place(
        id=pid,
        names=[PlaceName(text=name), PlaceName(text=hangul, script="hangul", system="ko")],
        **{"place_kind": "county", "confidentiality": C.PUBLIC, **fields},
    )


def _seed(store: RecordStore) -> dict[str, str]:
    places = [
        _place("KP-TEST-HOERYONG", "Hoeryong", "회령시", lat=42.44, lon=129.75, precision_m=3000),
        _place("KP-TEST-VILLAGE", "Village 3", "3리", parent_id="KP-TEST-HOERYONG"),
        _place(
            "CAMP-T1",
            "Camp T1",
            "T1 관리소",
            place_kind="facility",
            facility_type="L17-KWANLISO",
            lat=42.15,
            lon=129.25,
            precision_m=5000,
        ),
        _place("CN-T-TUMEN", "Tumen", "투먼", place_kind="facility", lat=42.97, lon=129.84),
        _place("CN-T-LONGJING", "Longjing", "룽징", place_kind="facility", lat=42.77, lon=129.42),
        _place("KP-T-MSS", "MSS", "보위부", place_kind="facility", lat=42.95, lon=129.99),
        _place("KP-T-NOWHERE", "Unlocated", "미상", place_kind="facility"),
        _place("KP-T-SECRET", "Safe", "은신처", lat=41.8, lon=129.7, confidentiality=C.SECRET),
    ]
    events = [
        Event(title="Public execution", place_id="KP-TEST-HOERYONG", start_date="2013-11"),
        Event(title="Arrest", place_id="KP-TEST-HOERYONG", confidentiality=C.CONFIDENTIAL),
        Event(title="Village search", place_id="KP-TEST-VILLAGE", start_date="2014~"),
        Event(title="Secret meeting", place_id="KP-TEST-HOERYONG", confidentiality=C.SECRET),
        Event(title="Death in camp", place_id="CAMP-T1", start_date="2001/2003"),
        Event(title="Beating in camp", place_id="CAMP-T1"),
        Event(title="Nowhere event", place_id="KP-T-NOWHERE"),
    ]
    # Entered out of order, with uncertain dates as EDTF.
    steps = [
        CustodyStep(stage="mss_holding", place_id="KP-T-MSS", start_date="2019-03~"),
        CustodyStep(
            stage="detention_china",
            place_id="CN-T-LONGJING",
            start_date="2019-01-20?",
            end_date="2019-02?",
            custodian="<script>alert(1)</script> Border police",
        ),
        CustodyStep(stage="arrest_china", place_id="CN-T-TUMEN", start_date="2019-01-12~"),
        CustodyStep(stage="handover", start_date="2019-02~", end_date="2019-03~"),
    ]
    steps[2] = steps[2].model_copy(update={"end_date": "2019-01-20?"})
    people = [
        Person(id=pid, name_forms=[NameForm(text=pid)], confidentiality=C.CONFIDENTIAL)
        for pid in ("p-handed", "p-imminent", "p-secret")
    ]
    handed = RefugeeCase(
        person_id="p-handed", status="repatriated", steps=steps, confidentiality=C.CONFIDENTIAL
    )
    imminent = RefugeeCase(
        person_id="p-imminent",
        status="repatriation_imminent",
        steps=[CustodyStep(stage="detention_china", place_id="CN-T-TUMEN", start_date="2024-05")],
        confidentiality=C.CONFIDENTIAL,
    )
    secret = RefugeeCase(
        person_id="p-secret",
        status="detained_china",
        steps=[CustodyStep(stage="arrest_china", place_id="KP-T-SECRET")],
        confidentiality=C.SECRET,
    )
    with store.write("seed") as uow:
        for record in [*places, *events, *people, handed, imminent, secret]:
            uow.add(record)
    return {"handed": handed.id, "imminent": imminent.id, "secret": secret.id}


def _build(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "default_hasher", lambda: cheap)
    settings = Settings(
        db_url=db_url, keystore=tmp_path / "keys.json", key_file=tmp_path / "kirok.key"
    )
    store = initialise(settings)
    ids = _seed(store)
    app = create_app(settings, https=False, store=store)
    clients = {}
    for role in policy.Role:
        user = users.add_user(store, role.value, role.value, PASSWORD, actor="test")
        client = TestClient(app, follow_redirects=False)
        client.headers["Authorization"] = f"Bearer {users.issue_token(store, user)}"
        clients[role.value] = client
    try:
        yield Site(clients, store, ids)
    finally:
        store.close()


@pytest.fixture
def site(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    yield from _build(sqlite_url, tmp_path, monkeypatch)


@pytest.fixture
def site_any(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """The same, once per backend (the grouped count is SQL that both must run alike)."""
    yield from _build(db_url, tmp_path, monkeypatch)


def _signed_in(site: Site, role: str) -> TestClient:
    client = TestClient(site.client_for[role].app, follow_redirects=False)
    match = _CSRF.search(client.get("/login").text)
    assert match is not None
    response = client.post(
        "/login", data={"username": role, "password": PASSWORD, "csrf_token": match.group(1)}
    )
    assert response.status_code == 303
    return client


def _check_feature_collection(data: dict[str, Any]) -> list[dict[str, Any]]:
    """RFC 7946 essentials: a FeatureCollection of Features, positions [lon, lat] in range."""
    assert data["type"] == "FeatureCollection"
    for feature in data["features"]:
        assert feature["type"] == "Feature"
        assert isinstance(feature["properties"], dict)
        geometry = feature["geometry"]
        positions = (
            [geometry["coordinates"]] if geometry["type"] == "Point" else geometry["coordinates"]
        )
        assert geometry["type"] in ("Point", "LineString")
        for lon, lat in positions:
            assert -180 <= lon <= 180 and -90 <= lat <= 90
    features: list[dict[str, Any]] = data["features"]
    return features


def test_places_are_valid_geojson_with_counts_rolled_up_to_located_places(site: Site) -> None:
    response = site.client_for["analyst"].get("/api/v1/geo/places")
    assert response.status_code == 200
    features = {f["id"]: f for f in _check_feature_collection(response.json())}
    # Located places only; the secret one is above the analyst's clearance.
    assert set(features) == {
        "KP-TEST-HOERYONG",
        "CAMP-T1",
        "CN-T-TUMEN",
        "CN-T-LONGJING",
        "KP-T-MSS",
    }
    hoeryong = features["KP-TEST-HOERYONG"]
    assert hoeryong["geometry"]["coordinates"] == [129.75, 42.44]
    # Two events there plus one in a village inside it; the secret one is not counted.
    assert hoeryong["properties"]["event_count"] == 3
    assert hoeryong["properties"]["precision_m"] == 3000
    camp = features["CAMP-T1"]["properties"]
    assert camp["event_count"] == 2 and camp["facility_type"] == "L17-KWANLISO"
    assert camp["facility_label"] and camp["facility_label"] != "L17-KWANLISO"
    assert features["CN-T-TUMEN"]["properties"]["event_count"] == 0


def test_event_counts_follow_clearance(site_any: Site) -> None:
    site = site_any

    def counts(role: str) -> dict[str, int]:
        data = site.client_for[role].get("/api/v1/geo/events").json()
        return {f["id"]: f["properties"]["count"] for f in _check_feature_collection(data)}

    assert counts("admin") == {"KP-TEST-HOERYONG": 4, "CAMP-T1": 2}
    assert counts("analyst") == {"KP-TEST-HOERYONG": 3, "CAMP-T1": 2}
    assert counts("viewer") == {"KP-TEST-HOERYONG": 2, "CAMP-T1": 2}  # internal and below
    viewer = site.client_for["viewer"]
    url = viewer.get("/api/v1/geo/events").json()["features"][1]["properties"]["events_url"]
    assert url == "/api/v1/geo/places/KP-TEST-HOERYONG/events"
    listed = viewer.get(url).json()
    titles = {e["title"] for e in listed["events"]}
    assert titles == {"Public execution", "Village search"} and listed["count"] == 2
    admin_list = site.client_for["admin"].get(url + "?").json()
    assert admin_list["count"] == 4 and len(admin_list["events"]) == 4
    # A place above the caller's clearance is not found; so is an unknown one.
    analyst = site.client_for["analyst"]
    assert analyst.get("/api/v1/geo/places/KP-T-SECRET/events").status_code == 404
    assert analyst.get("/api/v1/geo/places/nowhere/events").status_code == 404
    assert site.client_for["admin"].get("/api/v1/geo/places/KP-T-SECRET/events").json() == {
        "place_id": "KP-T-SECRET",
        "count": 0,
        "events": [],
    }
    admin = site.client_for["admin"].get("/api/v1/geo/places").json()
    assert "KP-T-SECRET" in {f["id"] for f in admin["features"]}


def test_a_viewer_gets_no_custody_paths(site: Site) -> None:
    viewer = site.client_for["viewer"]
    for case_id in site.ids.values():
        assert viewer.get(f"/api/v1/geo/refugee-cases/{case_id}").status_code == 403
    page = _signed_in(site, "viewer")
    assert page.get("/refugee-cases").status_code == 403
    assert page.get(f"/refugee-cases/{site.ids['handed']}").status_code == 403
    for path in ("/api/v1/geo/places", "/api/v1/geo/events"):
        assert "stage" not in viewer.get(path).text


def test_a_case_above_clearance_is_not_found(site: Site) -> None:
    analyst = site.client_for["analyst"]
    assert analyst.get(f"/api/v1/geo/refugee-cases/{site.ids['secret']}").status_code == 404
    assert analyst.get("/api/v1/geo/refugee-cases/no-such-case").status_code == 404
    admin = site.client_for["admin"].get(f"/api/v1/geo/refugee-cases/{site.ids['secret']}")
    assert admin.status_code == 200


def test_custody_path_is_a_line_through_located_steps_in_order(site: Site) -> None:
    data = site.client_for["reviewer"].get(f"/api/v1/geo/refugee-cases/{site.ids['handed']}")
    assert data.status_code == 200
    features = _check_feature_collection(data.json())
    line = [f for f in features if f["geometry"]["type"] == "LineString"]
    points = [f for f in features if f["geometry"]["type"] == "Point"]
    assert len(line) == 1
    # arrest (Tumen) -> detention (Longjing) -> [handover: no place] -> MSS Onsong
    assert line[0]["geometry"]["coordinates"] == [[129.84, 42.97], [129.42, 42.77], [129.99, 42.95]]
    assert [p["properties"]["stage"] for p in points] == [
        "arrest_china",
        "detention_china",
        "mss_holding",
    ]
    assert [p["properties"]["order"] for p in points] == [1, 2, 4]
    assert [p["properties"]["current"] for p in points] == [False, False, True]
    assert data.json()["unlocated"] == [
        {"order": 3, "stage": "handover", "place": None, "stage_label": "Handover to the DPRK"}
    ]


def test_case_page_lists_steps_in_order_with_the_alert_draft(site: Site) -> None:
    page = _signed_in(site, "documenter")
    response = page.get(f"/refugee-cases/{site.ids['handed']}")
    assert response.status_code == 200
    html = response.text
    stages = re.findall(r'<li data-stage="([a-z_]+)"', html)
    assert stages == ["arrest_china", "detention_china", "handover", "mss_holding"]
    assert '<li data-stage="mss_holding" class="current">' in html
    # Dates as written, uncertainty marks kept.
    for written in ("2019-01-12~", "2019-01-20?", "2019-02?", "2019-03~"):
        assert f"<code>{written}</code>" in html
    assert 'id="risk-alert"' in html
    assert "Democratic People&#39;s Republic of Korea" in html
    # The custodian's text is data, never markup.
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Border police" in html
    assert f'data-path="/api/v1/geo/refugee-cases/{site.ids["handed"]}"' in html
    # The draft is proposed, not stored.
    with site.store.read() as uow:
        assert uow.counts_by_kind().get("intervention", 0) == 0


def test_case_list_flags_the_cases_needing_an_appeal(site: Site) -> None:
    page = _signed_in(site, "analyst")
    html = page.get("/refugee-cases").text
    rows = dict(re.findall(r'<tr data-case="([0-9a-f]+)">(.*?)</tr>', html, flags=re.S))
    assert set(rows) == {site.ids["handed"], site.ids["imminent"]}  # the secret one is hidden
    assert "Urgent appeal proposed" in rows[site.ids["imminent"]]
    assert "Detention in China" in rows[site.ids["imminent"]]
    assert "MSS holding centre" in rows[site.ids["handed"]]
    imminent = page.get(f"/refugee-cases/{site.ids['imminent']}").text
    assert "People&#39;s Republic of China" in imminent and "non-refoulement" in imminent


def test_map_page_passes_data_by_attributes_and_korean_labels(site: Site) -> None:
    page = _signed_in(site, "viewer")
    response = page.get("/map")
    assert response.status_code == 200
    html = response.text
    assert 'data-places="/api/v1/geo/places"' in html
    assert 'data-basemap="/static/basemap/ne-asia.geojson"' in html
    assert "<script>" not in html  # scripts only from files (the CSP forbids inline ones)
    basemap = page.get("/static/basemap/ne-asia.geojson").json()
    assert {f["id"] for f in basemap["features"]} >= {"PRK", "KOR", "CHN"}
    csrf = _CSRF.search(html)
    assert csrf is not None
    page.post("/lang", data={"lang": "ko", "next": "/map", "csrf_token": csrf.group(1)})
    assert "장소와 사건 지도" in page.get("/map").text
    ko = page.get("/api/v1/geo/places").json()
    names = {f["id"]: f["properties"]["name"] for f in ko["features"]}
    assert names["KP-TEST-HOERYONG"] == "회령시"


def test_a_date_that_is_not_edtf_is_reported_not_fatal(site: Site) -> None:
    case = RefugeeCase(
        person_id="p-handed",
        status="detained_china",
        confidentiality=C.CONFIDENTIAL,
        steps=[
            CustodyStep(stage="mss_holding", place_id="KP-T-MSS", start_date="around March"),
            CustodyStep(stage="arrest_china", place_id="CN-T-TUMEN", start_date="2019-01-1X"),
        ],
    )
    with site.store.write("seed") as uow:
        uow.add(case)
    page = _signed_in(site, "reviewer")
    html = page.get(f"/refugee-cases/{case.id}").text
    assert re.findall(r'<li data-stage="([a-z_]+)"', html) == ["arrest_china", "mss_holding"]
    # Shown as written, reported, and the high-risk alert is still raised.
    assert "<code>around March</code>" in html and "<code>2019-01-1X</code>" in html
    assert "&#39;around March&#39; is not EDTF" in html
    assert 'id="risk-alert"' in html
    assert case.id in page.get("/refugee-cases").text
    data = site.client_for["reviewer"].get(f"/api/v1/geo/refugee-cases/{case.id}").json()
    stages = [f["properties"].get("stage_label") for f in data["features"]]
    assert stages == [None, "Arrest in China", "MSS holding centre"]  # the line has no stage


def test_the_map_says_when_it_shows_only_the_first_places(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    analyst = site.client_for["analyst"]
    assert analyst.get("/api/v1/geo/places").json()["truncated"] is False
    monkeypatch.setattr(geo, "MAX_PLACES", 3)
    data = analyst.get("/api/v1/geo/places").json()
    assert data["truncated"] is True and len(data["features"]) <= 3
