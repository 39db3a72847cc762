from __future__ import annotations

import socket
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from kirok.reports.model import Audience, NotPublishable
from kirok.reports.publishing import (
    ATOM,
    InMemorySubscribers,
    InvalidToken,
    MailingList,
    PublishedReport,
    SmtpSettings,
    SubscriptionState,
    atom_feed,
    published,
)
from kirok.reports.sample import sample_report


class Collector:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(content)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[Collector, int]]:
    collector = Collector()
    port = _free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield collector, port
    finally:
        controller.stop()


def _list(port: int, store: InMemorySubscribers, **kw: timedelta) -> MailingList:
    return MailingList(
        store,
        secret_key="test-secret",
        base_url="https://reports.example.org/",
        sender="reports@kirok.example.org",
        smtp=SmtpSettings("127.0.0.1", port, starttls=False),
        **kw,
    )


def _token(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def _link_in(message: Message) -> str:
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    return next(w for w in body.decode().split() if w.startswith("https://"))


ENTRY = PublishedReport(
    slug="kp-2025",
    title="DPRK 2025 <report> & more",
    country="KP",
    year=2025,
    url="https://reports.example.org/kp-2025",
    summary="Annual report.",
    published_at=datetime(2026, 1, 15, tzinfo=UTC),
)


def test_double_opt_in_then_one_click_unsubscribe(smtp_server: tuple[Collector, int]) -> None:
    collector, port = smtp_server
    store = InMemorySubscribers()
    mailing = _list(port, store)
    mailing.subscribe("Reader@Example.ORG")
    assert store.state("Reader@example.org") is SubscriptionState.PENDING
    assert mailing.announce(ENTRY) == 0  # pending addresses get nothing
    assert len(collector.messages) == 1
    rcpts, confirmation = collector.messages[0]
    assert rcpts == ["Reader@example.org"]
    link = _link_in(confirmation)
    assert link.startswith("https://reports.example.org/list/confirm?token=")
    with pytest.raises(InvalidToken):
        mailing.confirm(_token(link)[:-2] + "xx")
    assert mailing.confirm(_token(link)) == "Reader@example.org"

    assert mailing.announce(ENTRY) == 1
    _, mail = collector.messages[1]
    assert mail["Subject"] == "Published: DPRK 2025 <report> & more"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header = mail["List-Unsubscribe"]
    assert header.startswith("<https://reports.example.org/list/unsubscribe?token=")
    assert header.endswith(">")
    assert mailing.unsubscribe(_token(header.strip("<>"))) is True
    assert mailing.unsubscribe(_token(header.strip("<>"))) is False  # idempotent
    assert store.confirmed() == []
    assert mailing.announce(ENTRY) == 0 and len(collector.messages) == 2


def test_confirmation_expires(smtp_server: tuple[Collector, int]) -> None:
    collector, port = smtp_server
    mailing = _list(port, InMemorySubscribers(), confirm_max_age=timedelta(seconds=1))
    mailing.subscribe("late@example.org")
    token = _token(_link_in(collector.messages[0][1]))
    time.sleep(2.1)
    with pytest.raises(InvalidToken, match="expired"):
        mailing.confirm(token)


def test_tokens_are_per_purpose_and_per_key() -> None:
    store = InMemorySubscribers({"a@example.org": SubscriptionState.CONFIRMED})
    mailing = _list(1, store)
    other = MailingList(
        store,
        secret_key="another-key",
        base_url="https://x.example",
        sender="r@x.example",
        smtp=SmtpSettings("127.0.0.1", 1),
    )
    unsubscribe = _token(mailing.unsubscribe_link("a@example.org"))
    with pytest.raises(InvalidToken):
        mailing.confirm(unsubscribe)  # an unsubscribe token cannot confirm
    with pytest.raises(InvalidToken):
        other.unsubscribe(unsubscribe)  # nor work under another key
    assert store.confirmed() == ["a@example.org"]


def test_header_injection_is_refused() -> None:
    mailing = _list(1, InMemorySubscribers())
    for bad in ("a@example.org\r\nBcc: x@evil.example", "no-at-sign", "a@localhost"):
        with pytest.raises(ValueError):
            mailing.subscribe(bad)


def test_atom_feed_is_well_formed_and_newest_first() -> None:
    older = PublishedReport(
        slug="kp-2024",
        title="DPRK 2024",
        country="KP",
        year=2024,
        url="https://r.example/kp-2024",
        summary="s",
        published_at=datetime(2025, 1, 10, tzinfo=UTC),
    )
    xml = atom_feed(
        [older, ENTRY],
        feed_url="https://r.example/feed.atom",
        site_url="https://r.example/",
        title="kirok reports",
    )
    root = ET.fromstring(xml)
    ns = {"a": ATOM}
    assert root.tag == f"{{{ATOM}}}feed"
    titles = [e.findtext("a:title", namespaces=ns) for e in root.findall("a:entry", ns)]
    assert titles == ["DPRK 2025 <report> & more", "DPRK 2024"]
    assert root.findtext("a:updated", namespaces=ns) == "2026-01-15T00:00:00Z"
    assert b"&lt;report&gt; &amp; more" in xml
    ids = [e.findtext("a:id", namespaces=ns) for e in root.findall("a:entry", ns)]
    assert len(set(ids)) == 2


def test_only_public_reports_can_be_published() -> None:
    when = datetime(2026, 1, 15, tzinfo=UTC)
    with pytest.raises(NotPublishable):
        published(sample_report(Audience.INTERNAL), url="https://r.example/x", published_at=when)
    entry = published(sample_report(Audience.PUBLIC), url="https://r.example/x", published_at=when)
    assert entry.slug == "kp-2025" and entry.year == 2025
