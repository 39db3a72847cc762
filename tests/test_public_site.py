"""The public read-only site on a small demo database: published reports only, the feed, the
mailing list with CSRF and RFC 8058 one-click unsubscribe, the staff app's security headers,
Korean and English; and `kirok publish` end to end."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import test_reports_publishing as mail
from kirok.cli import app as cli
from kirok.reports.model import SECTIONS
from kirok.reports.publishing import ATOM, SmtpSettings, SubscriptionState
from kirok.services import publishing
from kirok.services.context import Settings, open_keyring, open_store
from kirok.services.demo import run_demo
from kirok.services.publishing import DatabaseSubscribers, ListSettings
from kirok.web.public_site import PUBLIC_CSP, create_public_app

Collector = mail.Collector
smtp_server = mail.smtp_server  # the local SMTP server fixture (aiosmtpd)

ON = date(2026, 1, 15)
SITE = "https://reports.example.org"
PUBLISHED, UNPUBLISHED = 2022, 2021


def _settings(folder: Path) -> Settings:
    return Settings(
        db_url=f"sqlite:///{folder / 'kirok.db'}",
        keystore=folder / "kirok.keys.json",
        key_file=folder / "kirok.key",
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    folder = tmp_path_factory.mktemp("public-site")
    settings = _settings(folder)
    run_demo(settings, "test", population=120)
    with open_store(settings) as store:
        publishing.publish(store, open_keyring(settings), "KP", PUBLISHED, actor="test", on=ON)
    return settings


@dataclass
class Site:
    client: TestClient
    settings: Settings
    collector: Collector
    mail: ListSettings


@pytest.fixture
def site(demo: Settings, smtp_server: tuple[Collector, int]) -> Iterator[Site]:
    collector, port = smtp_server
    options = ListSettings(SITE, "reports@example.org", SmtpSettings("127.0.0.1", port, False))
    app = create_public_app(demo, mail=options, https=False, today=lambda: ON)
    with TestClient(app, base_url="http://testserver") as client:
        yield Site(client, demo, collector, options)


def _csrf(html: str) -> str:
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def test_only_published_reports_are_listed_and_served(site: Site) -> None:
    index = site.client.get("/")
    assert index.status_code == 200
    assert f'href="/reports/kp-{PUBLISHED}"' in index.text
    assert f"kp-{UNPUBLISHED}" not in index.text
    page = site.client.get(f"/reports/kp-{PUBLISHED}")
    assert page.status_code == 200
    for title in SECTIONS.values():
        assert title in page.text
    assert "PUBLIC" in page.text and "INTERNAL" not in page.text
    assert "<style>" not in page.text  # the CSP forbids inline style: the CSS is linked
    assert site.client.get("/reports/report.css").status_code == 200
    font = site.client.get("/reports/fonts/NotoSansKR-Regular.woff")
    assert font.status_code == 200 and font.content[:4] == b"wOFF"
    assert site.client.get(f"/reports/kp-{UNPUBLISHED}").status_code == 404
    assert site.client.get("/reports/../admin").status_code == 404


def test_a_page_is_built_again_after_any_write(site: Site) -> None:
    reports = site.client.app.state.reports  # type: ignore[attr-defined]
    site.client.get(f"/reports/kp-{PUBLISHED}")
    built = reports.builds
    site.client.get(f"/reports/kp-{PUBLISHED}")
    assert reports.builds == built  # nothing written: served again
    with open_store(site.settings) as store:
        DatabaseSubscribers(store, actor="test").set_state(
            "someone@example.org", SubscriptionState.PENDING
        )
    site.client.get(f"/reports/kp-{PUBLISHED}")
    assert reports.builds == built + 1


def test_security_headers_are_the_staff_apps(site: Site, demo: Settings) -> None:
    from kirok.web.app import create_app

    with TestClient(create_app(demo, https=False)) as staff:
        staff_headers = staff.get("/login").headers
    for path in ("/", f"/reports/kp-{PUBLISHED}", "/feed.atom", "/list/confirm?token=x"):
        headers = site.client.get(path).headers
        assert headers["content-security-policy"] == PUBLIC_CSP
        assert PUBLIC_CSP == staff_headers["content-security-policy"]
        for name in ("x-content-type-options", "referrer-policy", "x-frame-options"):
            assert headers[name] == staff_headers[name], name


def test_the_staff_app_has_none_of_the_public_routes(demo: Settings) -> None:
    from kirok.web.app import create_app

    with open_store(demo) as store:
        staff_app = create_app(demo, https=False, store=store)
        public_app = create_public_app(demo, https=False, store=store)
    staff = {getattr(r, "path", "") for r in staff_app.routes}
    public = {getattr(r, "path", "") for r in public_app.routes}
    assert not {"/feed.atom", "/subscribe", "/list/confirm", "/list/unsubscribe"} & staff
    assert "/reports/{slug}" in public and "/api/v1/records" not in public


def test_feed_lists_the_published_reports(site: Site) -> None:
    response = site.client.get("/feed.atom")
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    entries = feed.findall(f"{{{ATOM}}}entry")
    links = [e.find(f"{{{ATOM}}}link").get("href") for e in entries]  # type: ignore[union-attr]
    assert links == [f"{SITE}/reports/kp-{PUBLISHED}"]


def test_subscribe_confirm_announce_and_one_click_unsubscribe(site: Site) -> None:
    client, collector = site.client, site.collector
    index = client.get("/").text
    refused = client.post("/subscribe", data={"email": "a@example.org", "csrf_token": "x"})
    assert refused.status_code == 403 and collector.messages == []
    done = client.post(
        "/subscribe", data={"email": "Reader@Example.org", "csrf_token": _csrf(index)}
    )
    assert done.status_code == 200 and "confirmation link" in done.text
    again = client.post(
        "/subscribe", data={"email": "reader@example.ORG", "csrf_token": _csrf(index)}
    )
    assert again.status_code == 200 and again.text == done.text
    assert len(collector.messages) == 1  # not mailed twice within RESEND_AFTER
    bad = client.post("/subscribe", data={"email": "not an address", "csrf_token": _csrf(index)})
    assert bad.status_code == 422
    (rcpts, confirmation) = collector.messages[0]
    assert rcpts == ["Reader@example.org"]
    body = confirmation.get_payload(decode=True)
    assert isinstance(body, bytes)
    link = next(w for w in body.decode().split() if w.startswith(SITE))
    local = urlsplit(link)
    # Opening the link changes nothing (mail scanners open links); the page's form confirms.
    form = client.get(f"{local.path}?{local.query}")
    with open_store(site.settings) as store:
        subscribers = DatabaseSubscribers(store, actor="test")
        assert subscribers.state("Reader@example.org") is SubscriptionState.PENDING
        token = local.query.removeprefix("token=")
        forged = client.post(local.path, data={"token": token, "csrf_token": "forged"})
        assert forged.status_code == 403
        wrong = client.post(local.path, data={"token": token[:-2], "csrf_token": _csrf(form.text)})
        assert wrong.status_code == 400
        ok = client.post(local.path, data={"token": token, "csrf_token": _csrf(form.text)})
        assert ok.status_code == 200
        assert subscribers.state("Reader@example.org") is SubscriptionState.CONFIRMED

        keyring = open_keyring(site.settings)
        sent = publishing.announce(
            store, keyring, "KP", PUBLISHED, actor="test", settings=site.mail, on=ON
        )
        assert sent == 1
        _, announcement = collector.messages[-1]
        assert f"{SITE}/reports/kp-{PUBLISHED}" in str(announcement.get_payload(decode=True))
        unsubscribe = urlsplit(announcement["List-Unsubscribe"].strip("<>"))
        # RFC 8058: the mail client POSTs from no page and with no cookie.
        mail_client = TestClient(client.app)  # no cookie, no session
        response = mail_client.post(
            f"{unsubscribe.path}?{unsubscribe.query}",
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 200
        assert subscribers.state("Reader@example.org") is None
        with pytest.raises(publishing.NotPublished):
            publishing.announce(
                store, keyring, "KP", UNPUBLISHED, actor="test", settings=site.mail, on=ON
            )


def test_korean_and_english(site: Site) -> None:
    english = site.client.get("/")
    assert '<html lang="en">' in english.text and "Published reports" in english.text
    korean = site.client.get("/?lang=ko")
    assert '<html lang="ko">' in korean.text and "공개된 보고서" in korean.text
    assert "공개된 보고서" in site.client.get("/").text  # the choice is kept in the session
    assert "Published reports" in site.client.get("/?lang=en").text


def test_publish_cli(demo: Settings, smtp_server: tuple[Collector, int]) -> None:
    collector, port = smtp_server
    runner = CliRunner()
    env = {
        "KIROK_DATABASE_URL": demo.db_url,
        "KIROK_KEYSTORE": str(demo.keystore),
        "KIROK_KEY_FILE": str(demo.key_file),
        "KIROK_SMTP_HOST": "127.0.0.1",
        "KIROK_SMTP_PORT": str(port),
        "KIROK_SITE_URL": SITE,
    }

    def run(*args: str) -> str:
        result = runner.invoke(cli, ["publish", *args], env=env)
        assert result.exit_code == 0, result.output
        return result.output

    assert run("report", "--year", "2020").startswith("published kp-2020")
    status = run("status")
    assert "kp-2020" in status and f"kp-{PUBLISHED}" in status
    run("subscribe", "cli@example.org", "--no-starttls")
    body = collector.messages[-1][1].get_payload(decode=True)
    assert isinstance(body, bytes)
    token = next(w for w in body.decode().split() if w.startswith(SITE)).split("token=")[1]
    assert "confirmed" in run("confirm", token)
    assert "1 confirmed" in run("status")
    assert "announced to 1" in run("announce", "--year", "2020", "--no-starttls")
    header = collector.messages[-1][1]["List-Unsubscribe"].strip("<>")
    assert run("unsubscribe", header.split("token=")[1]).strip() == "unsubscribed"
    assert run("withdraw", "--year", "2020").strip() == "withdrawn kp-2020"
    assert "kp-2020" not in run("status")
    failed = runner.invoke(cli, ["publish", "confirm", "forged"], env=env)
    assert failed.exit_code == 1 and "invalid confirmation link" in failed.output
