"""Debian's chromium on the analysis pages: decide a review pair, switch language, see charts.

Screenshots go to ``artifacts/screenshots/`` (kept by CI as test artifacts, ignored by git).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from browser_support import CHROMIUM, SHOTS, collect_errors, launch, live_server
from kirok.domain.records import (
    Act,
    Designation,
    Event,
    LinkDecision,
    NameForm,
    Person,
    Resolution,
    Romanization,
    Script,
    VoteCount,
)
from kirok.security import passwords
from kirok.services import estimates, linkage, users
from kirok.services.context import Settings, initialise
from kirok.store.repository import RecordStore
from kirok.web.app import create_app

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"


def _seed(store: RecordStore) -> None:
    def person(text: str, birth: str, source: str, script: Script = Script.LATIN) -> Person:
        system = Romanization.NONE if script is Script.HANGUL else Romanization.UNKNOWN
        return Person(
            name_forms=[NameForm(text=text, script=script, system=system)],
            birth_date=birth,
            source=source,
        )

    people = [
        person("김정일", "1962", "ngo-a", Script.HANGUL),
        person("Kim Jong-il", "1962", "ngo-b"),
        person("Kim Chŏng-il", "1962", "ngo-c"),
        person("리설주", "1989", "ngo-a", Script.HANGUL),
        person("Lee Seol-ju", "1989", "ngo-b"),
        person("Pak Yong-ho", "1971", "ngo-a"),
        person("Choe Myong-suk", "1955", "ngo-c"),
        person("Choe Myong-sik", "1955", "ngo-b"),
    ]
    with store.write("documenter") as uow:
        event = uow.add(Event(title="온성 집결소 구금"))
        for p in people:
            uow.add(p)
            uow.add(Act(event_id=event.id, victim_id=p.id, act_type="A"))
        uow.add(
            Designation(
                program="religious_freedom_cpc",
                country="KP",
                year=2001,
                status="CPC",
                designated_on=date(2001, 10, 9),
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
    linkage.run_linkage(store, "analyst")
    estimates.estimate_db(store, "analyst", min_observed=1)
    # A stricter run last: it leaves pairs for the reviewer.
    linkage.run_linkage(store, "analyst", threshold=0.9999, review_floor=0.3)


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, RecordStore]]:
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "default_hasher", lambda: cheap)
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'kirok.db'}",
        keystore=tmp_path / "keys.json",
        key_file=tmp_path / "kirok.key",
    )
    store = initialise(settings)
    users.add_user(store, "reviewer", "reviewer", PASSWORD, actor="test")
    _seed(store)
    app = create_app(settings, https=False, store=store)
    try:
        with live_server(app) as base:
            yield base, store
    finally:
        store.close()


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_decide_a_review_pair_and_switch_language(served: tuple[str, RecordStore]) -> None:
    from playwright.sync_api import sync_playwright

    server, store = served
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page()
            errors = collect_errors(page)
            page.goto(server + "/login")
            page.fill("input[name=username]", "reviewer")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(server + "/")

            page.click("a[href='/review']")
            page.locator("h1", has_text="Linkage review").wait_for(timeout=10_000)
            pair = page.locator("table.pair")
            first = (pair.get_attribute("data-a"), pair.get_attribute("data-b"))
            assert page.locator("ul.evidence li").count() >= 3
            page.screenshot(path=str(SHOTS / "review.png"), full_page=True)

            page.fill("textarea[name=note]", "출생지가 다름 (different birth places)")
            page.click("#decide-different")
            # HTMX swaps in the next pair without a page load.
            page.locator("[data-saved=different]").wait_for(timeout=10_000)
            second = (pair.get_attribute("data-a"), pair.get_attribute("data-b"))
            assert second != first
            page.screenshot(path=str(SHOTS / "review-decided.png"), full_page=True)
            with store.read() as uow:
                stored = [d for d in uow.iter_kind("link_decision") if isinstance(d, LinkDecision)]
            assert [(d.decision, d.note) for d in stored] == [
                ("different", "출생지가 다름 (different birth places)")
            ]
            assert {stored[0].record_a, stored[0].record_b} == set(first)

            page.click("#lang-switch")
            page.locator("h1", has_text="기록 연계 검토").wait_for(timeout=10_000)
            assert page.locator("html").get_attribute("lang") == "ko"
            assert page.locator("#decide-same").inner_text() == "같은 사람"
            page.screenshot(path=str(SHOTS / "review-ko.png"), full_page=True)

            page.click("a[href='/estimates']")
            page.locator("h1", has_text="추정").wait_for(timeout=10_000)
            chart = page.locator("#intervals-chart")
            chart.wait_for(timeout=10_000)
            page.wait_for_load_state("load")  # images included
            assert page.locator("#intervals-chart").evaluate("img => img.naturalWidth") > 0
            page.screenshot(path=str(SHOTS / "estimates-ko.png"), full_page=True)

            page.click("a[href='/tracker']")
            page.fill("input[name=on]", "2010-06-01")
            page.click("#in-force-form button[type=submit]")
            page.locator("#in-force tr[data-program=religious_freedom_cpc]").wait_for(
                timeout=10_000
            )
            page.wait_for_load_state("load")  # images included
            assert page.locator("#votes-chart").evaluate("img => img.naturalWidth") > 0
            page.screenshot(path=str(SHOTS / "tracker-ko.png"), full_page=True)
            assert errors == [], errors  # no script errors, no CSP violations
        finally:
            browser.close()
