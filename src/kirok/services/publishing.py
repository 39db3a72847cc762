"""Publishing: which public reports are published, the mailing list's subscribers in the
database, and the signing key of its links.

**Published reports.** Publishing a report is a decision recorded in the audit log (action
``publish``, entity ``published_report``, the report's slug as record id), so the hash chain
shows who published what and when. What is served is never a stored copy: the public site, the
feed and the announcement build the public-audience report again from the live records
(``build_report`` with ``Audience.PUBLIC``, refused by ``check_publishable`` if anything in it
is not cleared), so a consent withdrawn after publication takes the record out of the next
build. Withdrawing a publication is another audit entry.

**Subscribers.** An address is personal data. Each is sealed (AES-256-GCM) under a data key of
its own, wrapped by the master key, with the address's keyed digest as associated data; rows
are found by that digest (the key ring's blind index), never by the address. The audit entries
of subscription changes name the digest, never the address.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final

import sqlalchemy as sa

from kirok.domain.errors import KirokError
from kirok.reports.model import Audience, PreviousReport, ReportData, check_publishable
from kirok.reports.publishing import (
    MailingList,
    PublishedReport,
    SmtpSettings,
    SubscriptionState,
    normalise_email,
    published,
)
from kirok.security.audit import AuditAction
from kirok.security.policy import PseudonymSource
from kirok.services.report import COUNTRIES, build_report
from kirok.store.repository import RecordStore
from kirok.store.schema import audit_log, subscribers

__all__ = [
    "DatabaseSubscribers",
    "ListSettings",
    "NotPublished",
    "Publication",
    "announce",
    "confirm",
    "data_version",
    "unsubscribe",
    "entry",
    "report_url",
    "mailing_list",
    "public_report",
    "publications",
    "previous_report",
    "publish",
    "signing_key",
    "subscribe",
    "withdraw",
]

#: A pending address is mailed a confirmation link at most once in this time, so the form
#: cannot be used to flood someone's mailbox.
RESEND_AFTER: Final = timedelta(minutes=15)

_ENTITY: Final = "published_report"
_DIGEST_FIELD: Final = "subscriber_email"


class NotPublished(KirokError):
    """A report that is not (or no longer) published."""


def signing_key(store: RecordStore) -> str:
    """The key that signs confirmation and unsubscribe links, derived from the master key: the
    CLI and the public site make and accept the same links, and a copy of the database alone
    cannot forge one."""
    return store.sealer.blind_index("kirok-publish", "mailing-list-signing-key")


# -- published reports ----------------------------------------------------------------------


@dataclass(frozen=True)
class Publication:
    country: str
    year: int
    published_at: datetime

    @property
    def slug(self) -> str:
        return f"{self.country.lower()}-{self.year}"


def _slug(country: str, year: int) -> str:
    return f"{country.lower()}-{year}"


def public_report(
    store: RecordStore, pseudonyms: PseudonymSource, country: str, year: int, *, on: date
) -> ReportData:
    """The public-audience report, built now from the live records, checked publishable, and
    compared with the previous year's published report when there is one."""
    report = build_report(
        store,
        country=country,
        year=year,
        audience=Audience.PUBLIC,
        pseudonyms=pseudonyms,
        generated_on=on,
        previous_report=previous_report(store, country, year),
    )
    check_publishable(report)
    return report


def data_version(store: RecordStore) -> int:
    """A number that changes whenever anything is written: every write appends to the audit
    log in the same transaction, so its last sequence number serves. A public page built at
    one version may be served again only while the version is unchanged."""
    with store.read() as uow:
        found = uow.connection.execute(sa.select(sa.func.max(audit_log.c.seq))).scalar()
    return int(found or 0)


def publish(
    store: RecordStore,
    pseudonyms: PseudonymSource,
    country: str,
    year: int,
    *,
    actor: str,
    on: date | None = None,
) -> Publication:
    """Publish the public report of ``country`` and ``year``: it is built once first, so a
    report that cannot be made public is refused before anything is recorded."""
    code = country.upper()
    if code not in COUNTRIES:
        raise NotPublished(f"no report is defined for country {country!r}")
    report = public_report(store, pseudonyms, code, year, on=on or date.today())
    # The numbers as published (counts only, no citation), for next year's comparison; as
    # text, since the audit chain hashes no floats.
    figures = {f.label: repr(f.value) for f in report.figures()}
    details = {"country": code, "year": year, "published": True, "figures": figures}
    with store.write(actor) as uow:
        uow.audit(AuditAction.PUBLISH, _ENTITY, _slug(code, year), details)
    return next(p for p in publications(store) if p.slug == _slug(code, year))


def withdraw(store: RecordStore, country: str, year: int, *, actor: str) -> None:
    """Take a report off the site and the feed (it stays in the audit log)."""
    code = country.upper()
    if not any(p.country == code and p.year == year for p in publications(store)):
        raise NotPublished(f"the {code} {year} report is not published")
    with store.write(actor) as uow:
        uow.audit(
            AuditAction.PUBLISH,
            _ENTITY,
            _slug(code, year),
            {"country": code, "year": year, "published": False},
        )


def previous_report(store: RecordStore, country: str, year: int) -> PreviousReport | None:
    """The numbers of the report for ``year`` − 1 as last published, if it is published."""
    slug = _slug(country.upper(), year - 1)
    if not any(p.slug == slug for p in publications(store)):
        return None
    with store.read() as uow:
        row = uow.connection.execute(
            sa.select(audit_log.c.at, audit_log.c.details)
            .where(audit_log.c.action == AuditAction.PUBLISH.value)
            .where(audit_log.c.entity == _ENTITY)
            .where(audit_log.c.record_id == slug)
            .order_by(audit_log.c.seq.desc())
            .limit(1)
        ).first()
    if row is None:
        return None
    details = json.loads(row.details)
    at = datetime.fromisoformat(str(row.at).replace("Z", "+00:00"))
    values = {str(k): float(v) for k, v in details.get("figures", {}).items()}
    return PreviousReport(year=year - 1, published_on=at.date(), values=values)


def publications(store: RecordStore) -> list[Publication]:
    """The reports published now (the latest decision per report), newest first."""
    latest: dict[str, tuple[bool, Publication]] = {}
    with store.read() as uow:
        rows = uow.connection.execute(
            sa.select(audit_log.c.at, audit_log.c.details)
            .where(audit_log.c.action == AuditAction.PUBLISH.value)
            .where(audit_log.c.entity == _ENTITY)
            .order_by(audit_log.c.seq)
        )
        for row in rows:
            details = json.loads(row.details)
            at = datetime.fromisoformat(str(row.at).replace("Z", "+00:00"))
            entry = Publication(str(details["country"]), int(details["year"]), at)
            previous = latest.get(entry.slug)
            if previous is not None and previous[0] and details.get("published"):
                entry = previous[1]  # published again: keep the first publication date
            latest[entry.slug] = (bool(details.get("published")), entry)
    found = [p for published, p in latest.values() if published]
    return sorted(found, key=lambda p: (p.published_at, p.slug), reverse=True)


# -- subscribers ----------------------------------------------------------------------------


class DatabaseSubscribers:
    """:class:`~kirok.reports.publishing.SubscriberStore` on the ``subscribers`` table."""

    def __init__(self, store: RecordStore, *, actor: str) -> None:
        self.store = store
        self.actor = actor

    def _digest(self, email: str) -> str:
        return self.store.sealer.blind_index(_DIGEST_FIELD, normalise_email(email))

    @staticmethod
    def _aad(digest: str) -> str:
        return f"kirok:subscriber:{digest}"

    def state(self, email: str) -> SubscriptionState | None:
        with self.store.read() as uow:
            found = uow.connection.execute(
                sa.select(subscribers.c.state).where(
                    subscribers.c.email_digest == self._digest(email)
                )
            ).scalar_one_or_none()
        return None if found is None else SubscriptionState(found)

    def pending_since(self, email: str) -> datetime | None:
        """When a still-pending subscription was last asked for (None if not pending)."""
        with self.store.read() as uow:
            row = uow.connection.execute(
                sa.select(subscribers.c.state, subscribers.c.updated_at).where(
                    subscribers.c.email_digest == self._digest(email)
                )
            ).first()
        if row is None or row.state != SubscriptionState.PENDING.value:
            return None
        moment: datetime = row.updated_at
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    def set_state(self, email: str, state: SubscriptionState) -> None:
        address = normalise_email(email)
        digest = self._digest(address)
        now = datetime.now(UTC)
        with self.store.write(self.actor) as uow:
            table = subscribers
            exists = uow.connection.execute(
                sa.select(table.c.email_digest).where(table.c.email_digest == digest)
            ).first()
            if exists is None:
                dek, wrapped = self.store.sealer.new_data_key()
                sealed = self.store.sealer.seal(dek, address, self._aad(digest))
                uow.connection.execute(
                    sa.insert(table).values(
                        email_digest=digest,
                        email_sealed=sealed,
                        wrapped_key=wrapped,
                        state=state.value,
                        updated_at=now,
                    )
                )
            else:
                uow.connection.execute(
                    sa.update(table)
                    .where(table.c.email_digest == digest)
                    .values(state=state.value, updated_at=now)
                )
            uow.audit(AuditAction.CONSENT_CHANGE, "subscriber", digest, {"state": state.value})

    def remove(self, email: str) -> bool:
        digest = self._digest(email)
        with self.store.write(self.actor) as uow:
            result = uow.connection.execute(
                sa.delete(subscribers).where(subscribers.c.email_digest == digest)
            )
            removed = bool(result.rowcount)
            if removed:
                uow.audit(AuditAction.CONSENT_CHANGE, "subscriber", digest, {"state": "removed"})
        return removed

    def confirmed(self) -> list[str]:
        sealer = self.store.sealer
        with self.store.read() as uow:
            rows = uow.connection.execute(
                sa.select(subscribers).where(
                    subscribers.c.state == SubscriptionState.CONFIRMED.value
                )
            ).all()
        return sorted(
            sealer.open(
                sealer.unwrap(row.wrapped_key), row.email_sealed, self._aad(row.email_digest)
            )
            for row in rows
        )

    def counts(self) -> dict[str, int]:
        """How many addresses are in each state (no address is read)."""
        with self.store.read() as uow:
            rows = uow.connection.execute(
                sa.select(subscribers.c.state, sa.func.count()).group_by(subscribers.c.state)
            ).all()
        return {str(state): int(n) for state, n in rows}


@dataclass(frozen=True)
class ListSettings:
    """Where the mailing list's links point (the public site's address) and how it mails."""

    base_url: str
    sender: str
    smtp: SmtpSettings


def mailing_list(store: RecordStore, *, actor: str, settings: ListSettings) -> MailingList:
    """The mailing list over the database subscribers, signing with :func:`signing_key`."""
    return MailingList(
        DatabaseSubscribers(store, actor=actor),
        secret_key=signing_key(store),
        base_url=settings.base_url,
        sender=settings.sender,
        smtp=settings.smtp,
    )


def _token_list(store: RecordStore, actor: str) -> MailingList:
    # Checking a token sends nothing: the SMTP and link settings are never used.
    unused = ListSettings("http://localhost", "kirok@localhost", SmtpSettings("localhost", 25))
    return mailing_list(store, actor=actor, settings=unused)


def subscribe(store: RecordStore, email: str, *, actor: str, settings: ListSettings) -> bool:
    """Ask for a subscription (double opt-in); False when a confirmation link was already sent
    to this pending address within :data:`RESEND_AFTER` (nothing is sent again)."""
    since = DatabaseSubscribers(store, actor=actor).pending_since(email)
    if since is not None and datetime.now(UTC) - since < RESEND_AFTER:
        return False
    mailing_list(store, actor=actor, settings=settings).subscribe(email)
    return True


def confirm(store: RecordStore, token: str, *, actor: str) -> None:
    """Confirm the subscription a confirmation link was made for (``InvalidToken`` if the
    link is forged, altered, expired or its subscription gone). Returns nothing: the caller
    has no need to see the address."""
    _token_list(store, actor).confirm(token)


def unsubscribe(store: RecordStore, token: str, *, actor: str) -> bool:
    """Remove the address an unsubscribe link was made for; False if it was not subscribed."""
    return _token_list(store, actor).unsubscribe(token)


def report_url(base_url: str, publication: Publication) -> str:
    return f"{base_url.rstrip('/')}/reports/{publication.slug}"


def entry(report: ReportData, publication: Publication, base_url: str) -> PublishedReport:
    """The feed and mail entry of a published report (refused unless publishable)."""
    return published(
        report, url=report_url(base_url, publication), published_at=publication.published_at
    )


def announce(
    store: RecordStore,
    pseudonyms: PseudonymSource,
    country: str,
    year: int,
    *,
    actor: str,
    settings: ListSettings,
    on: date | None = None,
) -> int:
    """Mail the confirmed subscribers about a published report; returns how many were sent.
    The announcement is audited with the count, not the addresses."""
    code = country.upper()
    publication = next(
        (p for p in publications(store) if p.country == code and p.year == year), None
    )
    if publication is None:
        raise NotPublished(f"the {code} {year} report is not published: publish it first")
    report = public_report(store, pseudonyms, code, year, on=on or date.today())
    mailing = mailing_list(store, actor=actor, settings=settings)
    sent = mailing.announce(entry(report, publication, settings.base_url))
    with store.write(actor) as uow:
        uow.audit(AuditAction.PUBLISH, "announcement", publication.slug, {"messages": sent})
    return sent
