"""One end-to-end run in Debian's chromium: sign in, search in Korean, switch language.

Screenshots go to ``artifacts/screenshots/`` (kept by CI as test artifacts, ignored by git).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from browser_support import CHROMIUM, SHOTS, launch, live_server
from kirok.domain.records import Confidentiality, Event
from kirok.security import passwords
from kirok.services import users
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
    )
    store = initialise(settings)
    users.add_user(store, "reviewer", "reviewer", PASSWORD, actor="test")
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
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on(
                "console",
                lambda msg: errors.append(msg.text) if msg.type == "error" else None,
            )
            page.goto(server + "/")
            assert page.url.endswith("/login")
            page.screenshot(path=str(SHOTS / "login.png"), full_page=True)
            page.fill("input[name=username]", "reviewer")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(server + "/")
            assert page.locator("h1").inner_text() == "Dashboard"
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
