"""End-to-end runs in Debian's chromium: sign in, search in Korean, switch language; record an
interview with the intake wizard and find it again by a Korean search.

Screenshots go to ``artifacts/screenshots/`` (kept by CI as test artifacts, ignored by git).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from browser_support import CHROMIUM, SHOTS, collect_errors, launch, live_server
from kirok.domain.records import Confidentiality, Event
from kirok.security import passwords
from kirok.services import catalogue, users
from kirok.services.context import Settings, initialise
from kirok.web.app import create_app

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "default_hasher", lambda: cheap)
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'kirok.db'}",
        keystore=tmp_path / "keys.json",
        key_file=tmp_path / "kirok.key",
        evidence_dir=tmp_path / "evidence",
    )
    store = initialise(settings)
    users.add_user(store, "reviewer", "reviewer", PASSWORD, actor="test")
    users.add_user(store, "documenter", "documenter", PASSWORD, actor="test")
    catalogue.load_gazetteer(store, "test")
    with store.write("seed") as uow:
        uow.add(
            Event(
                title="회령 공개처형",
                description="Public execution witnessed in Hoeryong market",
                start_date="2013-11",
                confidentiality=Confidentiality.CONFIDENTIAL,
            )
        )
    app = create_app(settings, https=False, store=store)
    try:
        with live_server(app) as base:
            yield base
    finally:
        store.close()


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_sign_in_search_in_korean_and_switch_language(server: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(locale="ko-KR")
            errors = collect_errors(page)
            page.goto(server + "/")
            assert page.url.endswith("/login")
            page.screenshot(path=str(SHOTS / "login.png"), full_page=True)
            page.fill("input[name=username]", "reviewer")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(server + "/")
            assert page.locator("h1").inner_text() == "Dashboard"
            page.locator("#acts-chart").wait_for(timeout=10_000)  # loaded by HTMX
            page.screenshot(path=str(SHOTS / "dashboard.png"), full_page=True)

            page.click("a[href='/search']")
            page.fill("input[name=q]", "공개처형")
            page.press("input[name=q]", "Enter")
            result = page.locator("#results a", has_text="회령 공개처형")
            result.wait_for(timeout=10_000)
            page.screenshot(path=str(SHOTS / "search-ko.png"), full_page=True)

            page.click("#lang-switch")
            page.wait_for_load_state("load")
            page.locator("h1", has_text="검색").wait_for(timeout=10_000)
            assert page.locator("html").get_attribute("lang") == "ko"
            page.screenshot(path=str(SHOTS / "search-page-ko.png"), full_page=True)

            page.click("a[href='/']")
            page.locator("h1", has_text="대시보드").wait_for(timeout=10_000)
            page.screenshot(path=str(SHOTS / "dashboard-ko.png"), full_page=True)

            page.click("a[href='/search']")
            page.fill("input[name=q]", "회령")
            page.press("input[name=q]", "Enter")
            page.locator("#results a", has_text="회령 공개처형").click()
            page.locator("h2", has_text="변경 이력").wait_for(timeout=10_000)
            page.screenshot(path=str(SHOTS / "record-ko.png"), full_page=True)
            assert errors == [], errors  # no script errors, no CSP violations
        finally:
            browser.close()


def _sign_in(page: Any, server: str, username: str) -> None:
    page.goto(server + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server + "/")


def _next_step(page: Any, step: str) -> None:
    page.click("#intake-next")
    page.locator(f"form[data-step='{step}']").wait_for(timeout=10_000)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_complete_an_intake_then_find_it_by_a_korean_search(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    statement = tmp_path / "statement.txt"
    statement.write_text("Signed statement of the witness, 2019-06-02\n", encoding="utf-8")
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(locale="ko-KR")
            errors = collect_errors(page)
            _sign_in(page, server, "documenter")
            page.click("#lang-switch")  # the whole wizard in Korean, vocabularies included
            page.locator("html[lang=ko]").wait_for(timeout=10_000)
            page.click("a[href='/intake']")
            page.locator("form[data-step='source']").wait_for(timeout=10_000)
            # A missing name is shown next to its field, and nothing moves on.
            page.fill("#f-testimony", "회령 보위부 구류장에서 고문당하는 것을 보았다.")
            page.click("#intake-next")
            page.locator("#err-source_name").wait_for(timeout=10_000)
            assert page.locator("form[data-step='source']").count() == 1
            page.screenshot(path=str(SHOTS / "intake-1-source-problem.png"), full_page=True)
            page.fill("#f-source_name", "김증언")
            page.select_option("#f-source_reliability", "01000000000042")
            page.fill("#f-source_date", "2019-06-02")
            page.check("input[name=consent_scope][value=internal]")
            page.check("input[name=consent_scope][value=share_un]")
            page.check("input[name=family_at_risk]")
            _next_step(page, "event")
            page.fill("#f-event_title", "회령 보위부 구류장 고문")
            page.fill("#f-start_date", "2017-03")
            page.select_option("#f-event_place", "KP-NHA-HOERYONG")
            page.select_option("#f-event_place_km", "5")
            page.screenshot(path=str(SHOTS / "intake-2-event.png"), full_page=True)
            _next_step(page, "victims")
            page.fill("#f-victim_name-0", "박철")
            page.select_option("#f-act_type-0", "02011111000004")  # torture
            page.click("button[name=go][value=add_row]")
            page.locator("#f-victim_name-1").wait_for(timeout=10_000)
            assert page.input_value("#f-victim_name-0") == "박철"
            page.fill("#f-victim_name-1", "Ri Yong-su")
            page.select_option("#f-act_type-1", "03010100000004")  # arrest
            page.screenshot(path=str(SHOTS / "intake-3-victims.png"), full_page=True)
            _next_step(page, "perpetrators")
            page.fill("#f-perp_name-0", "회령시 보위부")
            page.select_option("#f-perp_type-0", "L24-MSS")
            page.screenshot(path=str(SHOTS / "intake-4-perpetrators.png"), full_page=True)
            _next_step(page, "places")
            page.select_option("#f-act_place-1", "KP-NHA-HOERYONG")
            page.screenshot(path=str(SHOTS / "intake-5-places.png"), full_page=True)
            _next_step(page, "evidence")
            page.set_input_files("#f-evidence_file", str(statement))
            page.fill("#f-evidence_description", "Signed statement")
            page.screenshot(path=str(SHOTS / "intake-6-evidence.png"), full_page=True)
            page.click("#intake-save")
            page.locator("h1", has_text="회령 보위부 구류장 고문").wait_for(timeout=10_000)
            page.screenshot(path=str(SHOTS / "intake-saved.png"), full_page=True)

            page.click("a[href='/search']")
            page.fill("input[name=q]", "구류장")
            page.press("input[name=q]", "Enter")
            page.locator("#results a", has_text="회령 보위부 구류장 고문").wait_for(timeout=10_000)
            page.screenshot(path=str(SHOTS / "intake-found-ko.png"), full_page=True)
            # Facets: the event counts under its province and the broad type of its acts.
            province = page.locator("[data-facet=province] a[data-value=KP-NHA]")
            assert province.count() == 1
            integrity = page.locator("[data-facet=act_type] a[data-value='02000000000004']")
            integrity.click()
            page.locator("[data-facet=act_type] a[aria-current=true]").wait_for(timeout=10_000)
            assert "act_type=02000000000004" in page.url  # pushed: the filter can be bookmarked
            page.locator("#results a", has_text="회령 보위부 구류장 고문").wait_for(timeout=10_000)
            page.locator("[data-facet=year] a[data-value='2017']").click()
            page.locator("[data-facet=year] a[aria-current=true]").wait_for(timeout=10_000)
            assert page.locator("#total").inner_text() != "0"
            page.screenshot(path=str(SHOTS / "search-facets.png"), full_page=True)
            assert errors == [], errors
        finally:
            browser.close()
