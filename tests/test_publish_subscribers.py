"""The mailing list's subscribers in the database (SQLite and PostgreSQL): double opt-in and
one-click unsubscribe over SMTP, addresses sealed at rest, audited without the address; and
publishing decisions recorded in the audit log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

import test_reports_publishing as mail
from kirok.reports.publishing import InvalidToken, SmtpSettings, SubscriptionState
from kirok.security.envelope import DecryptionError
from kirok.security.keys import Keyring
from kirok.services import publishing
from kirok.services.context import Settings, initialise, open_keyring, open_store
from kirok.services.publishing import (
    DatabaseSubscribers,
    ListSettings,
    NotPublished,
    mailing_list,
    publications,
    publish,
    withdraw,
)
from kirok.store.repository import RecordStore
from kirok.store.schema import audit_log, subscribers

Collector = mail.Collector
ENTRY = mail.ENTRY
smtp_server = mail.smtp_server  # the local SMTP server fixture (aiosmtpd)

ADDRESS = "Reader.One@Example.ORG"
STORED = "Reader.One@example.org"  # as normalised: the domain in lower case


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        db_url=db_url, keystore=tmp_path / "kirok.keys.json", key_file=tmp_path / "kirok.key"
    )


@pytest.fixture
def store(settings: Settings) -> Iterator[RecordStore]:
    opened = initialise(settings)
    try:
        yield opened
    finally:
        opened.close()


def _token(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def _rows(store: RecordStore, table: sa.Table) -> list[sa.Row[tuple[object, ...]]]:
    with store.read() as uow:
        return list(uow.connection.execute(sa.select(table)).all())


def test_double_opt_in_and_one_click_unsubscribe_on_the_database(
    store: RecordStore, settings: Settings, smtp_server: tuple[Collector, int]
) -> None:
    collector, port = smtp_server
    options = ListSettings(
        base_url="https://reports.example.org",
        sender="reports@kirok.example.org",
        smtp=SmtpSettings("127.0.0.1", port, starttls=False),
    )
    mailing = mailing_list(store, actor="web:public", settings=options)
    subscribers_db = DatabaseSubscribers(store, actor="test")
    mailing.subscribe(ADDRESS)
    assert subscribers_db.state(ADDRESS) is SubscriptionState.PENDING
    since = subscribers_db.pending_since(ADDRESS)
    assert since is not None and since.tzinfo is not None
    # Asked again at once: no second confirmation mail (the form cannot flood a mailbox).
    assert publishing.subscribe(store, ADDRESS, actor="web:public", settings=options) is False
    assert len(collector.messages) == 1
    assert mailing.announce(ENTRY) == 0
    (rcpts, confirmation) = collector.messages[0]
    assert rcpts == [STORED]
    body = confirmation.get_payload(decode=True)
    assert isinstance(body, bytes)
    link = next(w for w in body.decode().split() if w.startswith("https://"))
    with pytest.raises(InvalidToken):
        mailing.confirm(_token(link)[:-3] + "abc")
    assert mailing.confirm(_token(link)) == STORED

    # A new store on the same database and keys sees the same subscriber.
    with open_store(settings) as again:
        assert DatabaseSubscribers(again, actor="test").confirmed() == [STORED]
    assert subscribers_db.counts() == {"confirmed": 1}
    assert mailing.announce(ENTRY) == 1
    _, announcement = collector.messages[1]
    assert announcement["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = _token(announcement["List-Unsubscribe"].strip("<>"))
    assert mailing.unsubscribe(unsubscribe) is True
    assert mailing.unsubscribe(unsubscribe) is False
    assert subscribers_db.state(ADDRESS) is None and _rows(store, subscribers) == []
    assert mailing.announce(ENTRY) == 0 and len(collector.messages) == 2

    entries = [r for r in _rows(store, audit_log) if r.entity == "subscriber"]
    assert [json.loads(r.details)["state"] for r in entries] == ["pending", "confirmed", "removed"]
    assert {r.actor for r in entries} == {"web:public"}
    for row in entries:
        text = f"{row.record_id} {row.details}".lower()
        assert "reader" not in text and "example" not in text


def test_addresses_are_sealed_and_found_by_a_keyed_digest(store: RecordStore) -> None:
    db = DatabaseSubscribers(store, actor="test")
    db.set_state(ADDRESS, SubscriptionState.PENDING)
    db.set_state("other@example.net", SubscriptionState.CONFIRMED)
    db.set_state(ADDRESS, SubscriptionState.CONFIRMED)  # an update, not a second row
    rows = _rows(store, subscribers)
    assert len(rows) == 2
    for row in rows:
        for value in (row.email_digest, bytes(row.email_sealed), bytes(row.wrapped_key)):
            raw = value.encode() if isinstance(value, str) else value
            assert b"reader" not in raw.lower() and b"example" not in raw.lower()
        assert len(row.email_digest) >= 32 and set(row.email_digest) <= set("0123456789abcdef")
    assert db.confirmed() == sorted([STORED, "other@example.net"])
    assert db.state("reader.one@EXAMPLE.org") is SubscriptionState.CONFIRMED

    # A sealed address moved to another row's digest does not open: the digest is bound in.
    first, second = rows
    with store.write("test") as uow:
        uow.connection.execute(
            sa.update(subscribers)
            .where(subscribers.c.email_digest == first.email_digest)
            .values(email_sealed=second.email_sealed, wrapped_key=second.wrapped_key)
        )
    with pytest.raises(DecryptionError):
        db.confirmed()


def test_publishing_is_recorded_in_the_audit_log_and_can_be_withdrawn(
    store: RecordStore, settings: Settings
) -> None:
    keyring: Keyring = open_keyring(settings)
    assert publications(store) == []
    first = publish(store, keyring, "kp", 2024, actor="cli:editor", on=date(2026, 1, 15))
    publish(store, keyring, "KP", 2023, actor="cli:editor", on=date(2026, 1, 15))
    again = publish(store, keyring, "KP", 2024, actor="cli:editor", on=date(2026, 1, 16))
    found = publications(store)
    assert [p.slug for p in found] == ["kp-2023", "kp-2024"]  # newest publication first
    assert next(p for p in found if p.year == 2024).published_at == first.published_at
    assert again.slug == "kp-2024"
    withdraw(store, "KP", 2024, actor="cli:editor")
    assert [p.slug for p in publications(store)] == ["kp-2023"]
    with pytest.raises(NotPublished):
        withdraw(store, "KP", 2024, actor="cli:editor")
    with pytest.raises(NotPublished):
        publish(store, keyring, "XX", 2024, actor="cli:editor")
    decisions = [r for r in _rows(store, audit_log) if r.entity == "published_report"]
    assert [(r.record_id, json.loads(r.details)["published"]) for r in decisions] == [
        ("kp-2024", True),
        ("kp-2023", True),
        ("kp-2024", True),
        ("kp-2024", False),
    ]
