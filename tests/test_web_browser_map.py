"""The map and a refugee case page in Debian's chromium: the offline basemap and markers are drawn.

No tile server is reachable, so the test also proves that nothing but our own origin is asked
for: every request the page makes goes to the test server. Screenshots go to
``artifacts/screenshots/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from browser_support import CHROMIUM, SHOTS, collect_errors, launch, live_server
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
from kirok.security import passwords
from kirok.services import users
from kirok.services.context import Settings, initialise
from kirok.web.app import create_app

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"
C = Confidentiality


def _place(pid: str, name: str, lat: float, lon: float, **fields: object) -> Place:
    return Place.model_validate(
        {
            "id": pid,
            "names": [PlaceName(text=name)],
            "place_kind": "facility",
            "lat": lat,
            "lon": lon,
            "confidentiality": C.PUBLIC,
            **fields,
        }
    )


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "default_hasher", lambda: cheap)
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'kirok.db'}",
        keystore=tmp_path / "keys.json",
        key_file=tmp_path / "kirok.key",
    )
    store = initialise(settings)
    users.add_user(store, "reviewer", "reviewer", PASSWORD, actor="test")
    places = [
        _place("B-HOERYONG", "Hoeryong", 42.44, 129.75, place_kind="city", precision_m=4000),
        _place("B-CAMP", "Camp 16", 41.25, 129.3, facility_type="L17-KWANLISO", precision_m=9000),
        _place("B-TUMEN", "Tumen detention centre", 42.97, 129.84),
        _place("B-MSS", "Onsong MSS", 42.95, 129.99),
    ]
    person = Person(name_forms=[NameForm(text="Kim")], confidentiality=C.CONFIDENTIAL)
    case = RefugeeCase(
        person_id=person.id,
        status="repatriated",
        confidentiality=C.CONFIDENTIAL,
        steps=[
            CustodyStep(stage="arrest_china", place_id="B-TUMEN", start_date="2019-01~"),
            CustodyStep(stage="handover", start_date="2019-02?", end_date="2019-02?"),
            CustodyStep(stage="mss_holding", place_id="B-MSS", start_date="2019-02?"),
        ],
    )
    with store.write("seed") as uow:
        for place in places:
            uow.add(place)
        # 120 events at one place must stay one marker.
        for i in range(120):
            uow.add(Event(title=f"Event {i}", place_id="B-HOERYONG", confidentiality=C.INTERNAL))
        uow.add(Event(title="Camp death", place_id="B-CAMP"))
        uow.add(person)
        uow.add(case)
    app = create_app(settings, https=False, store=store)
    try:
        with live_server(app) as base:
            yield base, case.id
    finally:
        store.close()


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_map_and_custody_path_are_drawn_offline(server: tuple[str, str]) -> None:
    from playwright.sync_api import sync_playwright

    base, case_id = server
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            errors = collect_errors(page)
            elsewhere: list[str] = []
            page.on(
                "request",
                lambda r: None if r.url.startswith((base, "data:")) else elsewhere.append(r.url),
            )
            page.goto(base + "/login")
            page.fill("input[name=username]", "reviewer")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(base + "/")

            page.click("a[href='/map']")
            page.wait_for_selector("#map[data-ready]", timeout=15_000)
            assert page.get_attribute("#map", "data-ready") == "4"
            # The basemap: one SVG path per country in the region, filled.
            countries = page.locator(".leaflet-overlay-pane path[class*='basemap-']")
            assert countries.count() >= 4
            assert page.locator(".leaflet-overlay-pane path.basemap-PRK").count() == 1
            assert page.locator(".leaflet-tile").count() == 0  # no tile layer at all
            # One marker per place (not one per event), precision radii as circles.
            markers = page.locator(".leaflet-marker-pane .count-marker")
            assert markers.count() == 4
            counts = sorted(markers.all_inner_texts())
            assert counts == ["", "", "1", "120"]
            assert page.locator(".leaflet-overlay-pane path.precision").count() == 2
            page.screenshot(path=str(SHOTS / "map.png"), full_page=True)
            page.locator(".count-marker", has_text="120").click()
            popup = page.locator(".leaflet-popup-content")
            popup.wait_for(timeout=5_000)
            assert "Hoeryong" in popup.inner_text() and "120" in popup.inner_text()
            # The first events are fetched when the popup opens; the rest are counted.
            popup.locator("li a[href^='/records/']").first.wait_for(timeout=5_000)
            assert popup.locator("li a[href^='/records/']").count() == 5
            assert "115" in popup.inner_text()
            page.screenshot(path=str(SHOTS / "map-popup.png"), full_page=True)

            page.goto(f"{base}/refugee-cases/{case_id}")
            page.wait_for_selector("#map[data-ready]", timeout=15_000)
            assert page.get_attribute("#map", "data-ready") == "2"
            stages = page.locator("#custody-path li").evaluate_all(
                "items => items.map(item => item.dataset.stage)"
            )
            assert stages == ["arrest_china", "handover", "mss_holding"]
            assert page.locator(".leaflet-overlay-pane path.custody-line").count() == 1
            assert page.locator(".leaflet-overlay-pane path[class*='basemap-']").count() >= 4
            steps = page.locator(".leaflet-marker-pane .count-marker.step")
            assert sorted(steps.all_inner_texts()) == ["1", "3"]
            assert page.locator(".count-marker.step.current").inner_text() == "3"
            assert page.locator("#risk-alert").is_visible()
            page.screenshot(path=str(SHOTS / "refugee-case.png"), full_page=True)
            assert errors == [], errors  # no script errors, no CSP violations
            assert elsewhere == [], elsewhere  # nothing asked of any other origin
        finally:
            browser.close()
