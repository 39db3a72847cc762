"""Publishing public reports: an Atom feed and a mailing list with double opt-in.

Only a report built for the public audience (and passing
:func:`~kirok.reports.model.check_publishable`) can become a :class:`PublishedReport`, and the
feed and the mails are made only from those, so a record without publication consent cannot
reach them by this path.

Mailing list rules:

* **Double opt-in.** ``subscribe`` stores the address as *pending* and mails a link with a
  signed token (itsdangerous, salted per purpose) that expires after ``confirm_max_age``. Only
  ``confirm`` with a valid, unexpired token makes the address receive announcements, so nobody
  can sign up someone else.
* **One-click unsubscribe** (RFC 8058): each announcement carries ``List-Unsubscribe`` with an
  HTTPS link holding a signed, non-expiring token for that address, and
  ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``; a POST to it removes the address. The
  token is bound to the address, so it cannot unsubscribe anyone else.
* Addresses containing CR or LF are refused (header injection).
"""

from __future__ import annotations

import smtplib
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate, make_msgid
from enum import StrEnum
from typing import Protocol
from urllib.parse import urlencode

from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

from kirok.reports.model import Audience, NotPublishable, ReportData, check_publishable

__all__ = [
    "InMemorySubscribers",
    "InvalidToken",
    "MailingList",
    "PublishedReport",
    "SmtpSettings",
    "SubscriberStore",
    "SubscriptionState",
    "atom_feed",
    "published",
]

ATOM = "http://www.w3.org/2005/Atom"

# RFC 5322 allows header lines up to 998 characters. The default 78 would fold the long
# List-Unsubscribe URL into RFC 2047 encoded words, which mail clients do not read as a URL.
_POLICY = SMTP_POLICY.clone(max_line_length=998)


@dataclass(frozen=True)
class PublishedReport:
    """A public report as the feed and the mails show it: no content beyond these fields."""

    slug: str
    title: str
    country: str
    year: int
    url: str
    summary: str
    published_at: datetime


def published(report: ReportData, *, url: str, published_at: datetime) -> PublishedReport:
    """The feed/mail entry for a report; refuses anything but a publishable public report."""
    if report.audience is not Audience.PUBLIC:
        raise NotPublishable("only a public-audience report can be published")
    check_publishable(report)
    return PublishedReport(
        slug=f"{report.country.lower()}-{report.year}",
        title=report.title,
        country=report.country,
        year=report.year,
        url=url,
        summary=f"Annual report on {report.country_name}, {report.year}.",
        published_at=published_at,
    )


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def atom_feed(
    reports: Iterable[PublishedReport], *, feed_url: str, site_url: str, title: str
) -> bytes:
    """An Atom 1.0 feed (RFC 4287), newest first. Entry ids are tag URIs stable per report."""
    entries = sorted(reports, key=lambda r: r.published_at, reverse=True)
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    sub(feed, "id", feed_url)
    sub(feed, "title", title)
    updated = entries[0].published_at if entries else datetime(1970, 1, 1, tzinfo=UTC)
    sub(feed, "updated", _rfc3339(updated))
    sub(feed, "link", rel="self", href=feed_url)
    sub(feed, "link", rel="alternate", href=site_url)
    author = sub(feed, "author")
    sub(author, "name", title)
    for report in entries:
        entry = sub(feed, "entry")
        sub(entry, "id", f"tag:kirok,{report.published_at.year}:report/{report.slug}")
        sub(entry, "title", report.title)
        sub(entry, "updated", _rfc3339(report.published_at))
        sub(entry, "link", rel="alternate", href=report.url)
        sub(entry, "summary", report.summary)
    xml: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return xml


class SubscriptionState(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"


class SubscriberStore(Protocol):
    """Where subscribers live: :class:`InMemorySubscribers` for tests, and
    ``kirok.services.publishing.DatabaseSubscribers`` on the ``subscribers`` table."""

    def state(self, email: str) -> SubscriptionState | None: ...
    def set_state(self, email: str, state: SubscriptionState) -> None: ...
    def remove(self, email: str) -> bool: ...
    def confirmed(self) -> list[str]: ...


@dataclass
class InMemorySubscribers:
    states: dict[str, SubscriptionState] = field(default_factory=dict)

    def state(self, email: str) -> SubscriptionState | None:
        return self.states.get(email)

    def set_state(self, email: str, state: SubscriptionState) -> None:
        self.states[email] = state

    def remove(self, email: str) -> bool:
        return self.states.pop(email, None) is not None

    def confirmed(self) -> list[str]:
        return sorted(e for e, s in self.states.items() if s is SubscriptionState.CONFIRMED)


class InvalidToken(ValueError):
    """A confirmation or unsubscribe token that is forged, altered or expired."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    starttls: bool = True
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0


def normalise_email(email: str) -> str:
    email = email.strip()
    local, at, domain = email.rpartition("@")
    if not at or not local or "." not in domain or any(c in email for c in "\r\n <>,;\"'"):
        raise ValueError("not a valid e-mail address")
    return f"{local}@{domain.lower()}"


class MailingList:
    def __init__(
        self,
        store: SubscriberStore,
        *,
        secret_key: str | bytes,
        base_url: str,
        sender: str,
        smtp: SmtpSettings,
        confirm_max_age: timedelta = timedelta(days=2),
    ) -> None:
        self.store = store
        self.base_url = base_url.rstrip("/")
        self.sender = sender
        self.smtp = smtp
        self.confirm_max_age = confirm_max_age
        self._confirm = URLSafeTimedSerializer(secret_key, salt="kirok-list-confirm")
        self._unsubscribe = URLSafeSerializer(secret_key, salt="kirok-list-unsubscribe")

    # -- tokens and links --------------------------------------------------------------------
    def confirm_link(self, email: str) -> str:
        token = self._confirm.dumps(normalise_email(email))
        return f"{self.base_url}/list/confirm?{urlencode({'token': token})}"

    def unsubscribe_link(self, email: str) -> str:
        token = self._unsubscribe.dumps(normalise_email(email))
        return f"{self.base_url}/list/unsubscribe?{urlencode({'token': token})}"

    # -- state changes -----------------------------------------------------------------------
    def subscribe(self, email: str) -> None:
        """Record a pending subscription and mail the confirmation link. Re-subscribing a
        confirmed address changes nothing and sends nothing (no probing who is subscribed
        beyond what the owner of the mailbox sees)."""
        address = normalise_email(email)
        if self.store.state(address) is SubscriptionState.CONFIRMED:
            return
        self.store.set_state(address, SubscriptionState.PENDING)
        message = self._message(address, "Confirm your subscription to kirok reports")
        message.set_content(
            "Someone asked to send announcements of published kirok reports to this address.\n"
            f"To confirm, open this link within {self.confirm_max_age.days} days:\n\n"
            f"{self.confirm_link(address)}\n\nIf it was not you, ignore this message.\n"
        )
        self._send([message])

    def confirm(self, token: str) -> str:
        try:
            email = self._confirm.loads(token, max_age=int(self.confirm_max_age.total_seconds()))
        except SignatureExpired:
            raise InvalidToken("confirmation link expired; subscribe again") from None
        except BadSignature:
            raise InvalidToken("invalid confirmation link") from None
        address = str(email)
        if self.store.state(address) is None:
            raise InvalidToken("no pending subscription for this link")
        self.store.set_state(address, SubscriptionState.CONFIRMED)
        return address

    def unsubscribe(self, token: str) -> bool:
        """Remove the address in the token; True if it was subscribed. Idempotent."""
        try:
            email = self._unsubscribe.loads(token)
        except BadSignature:
            raise InvalidToken("invalid unsubscribe link") from None
        return self.store.remove(str(email))

    # -- sending -----------------------------------------------------------------------------
    def announce(self, report: PublishedReport) -> int:
        """Mail every confirmed subscriber; returns how many messages were sent."""
        messages = []
        for address in self.store.confirmed():
            link = self.unsubscribe_link(address)
            message = self._message(address, f"Published: {report.title}")
            message["List-Unsubscribe"] = f"<{link}>"
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
            message.set_content(
                f"{report.summary}\n\nRead it: {report.url}\n\nTo stop these messages: {link}\n"
            )
            messages.append(message)
        self._send(messages)
        return len(messages)

    def _message(self, to: str, subject: str) -> EmailMessage:
        message = EmailMessage(policy=_POLICY)
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        return message

    def _send(self, messages: list[EmailMessage]) -> None:
        if not messages:
            return
        with smtplib.SMTP(self.smtp.host, self.smtp.port, timeout=self.smtp.timeout) as smtp:
            if self.smtp.starttls:
                smtp.starttls()
            if self.smtp.username and self.smtp.password:
                smtp.login(self.smtp.username, self.smtp.password)
            for message in messages:
                smtp.send_message(message)
