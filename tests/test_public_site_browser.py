"""The public site in Debian's chromium: the list of reports, a report page under the strict
CSP (its linked stylesheet and font load, nothing is blocked), Korean, and the double opt-in
from the form to the confirmation page. Screenshots go to ``artifacts/screenshots/``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import test_reports_publishing as mail
from browser_support import CHROMIUM, SHOTS, collect_errors, launch, live_server
from kirok.reports.publishing import SmtpSettings, SubscriptionState
from kirok.services import publishing
from kirok.services.context import Settings, open_keyring, open_store
from kirok.services.demo import run_demo
from kirok.services.publishing import DatabaseSubscribers, ListSettings
from kirok.web.public_site import create_public_app

pytestmark = pytest.mark.browser

Collector = mail.Collector
smtp_server = mail.smtp_server  # the local SMTP server fixture (aiosmtpd)

ON = date(2026, 1, 15)
YEAR = 2022


@pytest.fixture
def site(
    tmp_path: Path, smtp_server: tuple[Collector, int]
) -> Iterator[tuple[str, Settings, Collector]]:
    collector, port = smtp_server
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'kirok.db'}",
        keystore=tmp_path / "keys.json",
        key_file=tmp_path / "kirok.key",
    )
    run_demo(settings, "test", population=80)
    with open_store(settings) as store:
        publishing.publish(store, open_keyring(settings), "KP", YEAR, actor="test", on=ON)
        options = ListSettings(
            "https://reports.example.org",
            "reports@example.org",
            SmtpSettings("127.0.0.1", port, starttls=False),
        )
        app = create_public_app(settings, mail=options, https=False, store=store, today=lambda: ON)
        with live_server(app) as base:
            yield base, settings, collector


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_public_site_in_a_browser(site: tuple[str, Settings, Collector]) -> None:
    from playwright.sync_api import sync_playwright

    base, settings, collector = site
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            errors = collect_errors(page)
            elsewhere: list[str] = []
            page.on(
                "response",
                lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
            )
            page.on(
                "request",
                lambda r: None if r.url.startswith((base, "data:")) else elsewhere.append(r.url),
            )
            page.goto(base + "/")
            assert page.locator("h1").inner_text() == "Published reports"
            assert page.locator("ul.reports li").count() == 1
            page.screenshot(path=str(SHOTS / "public-site.png"), full_page=True)

            page.click(f"a[href='/reports/kp-{YEAR}']")
            page.wait_for_selector("h1")
            assert "Human Rights Report" in page.locator("h1").inner_text()
            # The linked stylesheet applied (the CSP allows it) and the Korean font loaded.
            font = page.evaluate("getComputedStyle(document.body).fontFamily")
            assert "Noto Sans KR" in font
            page.evaluate("document.fonts.ready")
            assert page.evaluate("document.fonts.check('16px \"Noto Sans KR\"', '인권')")
            assert page.locator("img").count() > 0
            page.screenshot(path=str(SHOTS / "public-report.png"))

            page.goto(base + "/")
            page.click("#language")
            assert page.locator("h1").inner_text() == "공개된 보고서"
            page.fill("input[name=email]", "browser@example.org")
            page.click("form[action='/subscribe'] button")
            assert "확인 링크" in page.locator("p.message").inner_text()
            page.screenshot(path=str(SHOTS / "public-subscribed-ko.png"), full_page=True)

            body = collector.messages[-1][1].get_payload(decode=True)
            assert isinstance(body, bytes)
            link = next(w for w in body.decode().split() if w.startswith("https://"))
            target = urlsplit(link)
            page.goto(f"{base}{target.path}?{target.query}")
            with open_store(settings) as store:
                subscribers = DatabaseSubscribers(store, actor="test")
                assert subscribers.state("browser@example.org") is SubscriptionState.PENDING
                page.click("form button")
                assert page.locator("p.message").inner_text() == "구독이 확인되었습니다."
                assert subscribers.state("browser@example.org") is SubscriptionState.CONFIRMED
            assert errors == [] and elsewhere == []
        finally:
            browser.close()
