"""Record services for the web application and the JSON API, always on behalf of a user.

Every function takes the acting user and decides through ``kirok.security.policy`` only: ``can``
before touching a record, ``redact`` on everything returned. Lists are filtered in the database
to the confidentiality levels the user may read, so counts and pages never reveal records the
user could not open.

Consent: a staff read is use under the "internal" scope. ``redact`` receives every consent
bearing on a person or information record and withholds its sensitive fields where
``policy.internal_use`` refuses; search never matches text withheld that way.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from kirok.domain.errors import KirokError, NotFound
from kirok.domain.records import (
    RECORD_TYPES,
    Confidentiality,
    Consent,
    Information,
    Record,
    RefugeeCase,
    record_type,
)
from kirok.domain.vocabulary import UnknownTermError, get_term, load_vocabularies
from kirok.security import policy
from kirok.security.errors import PermissionDenied
from kirok.services.users import WebUser
from kirok.store import grams
from kirok.store.repository import ListQuery, RecordStore, UnitOfWork


def _known_kinds() -> tuple[str, ...]:
    """Kinds the API serves: those both the store and the policy know (default deny otherwise)."""
    policy_kinds = {k.value for k in policy.EntityKind}
    return tuple(kind for kind in RECORD_TYPES if kind in policy_kinds)


# Where a kind's searchable text comes from (``Record.searchable_text`` reads these fields).
_TEXT_SOURCES: Mapping[str, tuple[str, ...]] = {
    "person": ("name_forms", "aliases"),
    "place": ("names",),
}


class BadRequest(KirokError):
    """A request the API refuses as malformed (shown to the caller as a 4xx)."""


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


class _Pseudonyms:
    """Pseudonyms from the store's key ring (the same ones the CLI shows)."""

    def __init__(self, store: RecordStore) -> None:
        self._keyring = getattr(store.sealer, "keyring", None)

    def pseudonym(self, entity_kind: str, record_id: str) -> str:
        if self._keyring is None:  # a store without a key ring cannot pseudonymise: hide
            return "P-REDACTED"
        return str(self._keyring.pseudonym(entity_kind, record_id))


def api_kinds() -> tuple[str, ...]:
    return _known_kinds()


def check_kind(kind: str) -> str:
    if kind not in _known_kinds():
        raise NotFound(kind, "kind")
    return kind


def _today() -> date:
    return datetime.now(UTC).date()


def policy_consent(record: Consent) -> policy.Consent:
    """The policy's view of a stored consent. Unknown scope names grant nothing; a consent
    without a date given was never given; a revocation dated before it means it never held."""
    scopes = frozenset(
        policy.ConsentScope(s) for s in record.scopes if s in set(policy.ConsentScope)
    )
    given = record.given_on or date.max
    revoked = record.revoked_on
    if revoked is not None and revoked < given:
        revoked = given
    return policy.Consent(scopes, given, revoked, record.family_at_risk)


def consents_bearing(uow: UnitOfWork, record: Record) -> list[policy.Consent]:
    """Every consent on file for `record`: a person's own; an information's own and those of
    the source and the person it names; a refugee case's person's."""
    targets = {record.id}
    if isinstance(record, Information):
        targets.update(t for t in (record.source_person_id, record.person_id) if t)
    elif isinstance(record, RefugeeCase):
        targets.add(record.person_id)
    seen: dict[str, policy.Consent] = {}
    for target in sorted(targets):
        # All referrers, filtered here: with a kind filter as well, SQLite's planner walks the
        # kind index (every consent record, ~90 ms at 100k consents) instead of the primary
        # key (< 1 ms); a person has only a handful of referrers.
        for found in uow.referrers(target):
            if isinstance(found, Consent):
                seen[found.id] = policy_consent(found)
    return list(seen.values())


def _consents(uow: UnitOfWork, user: WebUser, record: Record) -> list[policy.Consent] | None:
    """The consents to hand to the policy, or None where consent cannot change `user`'s view."""
    return consents_bearing(uow, record) if policy.consent_bears(user, record.kind) else None


def _redact(
    store: RecordStore,
    user: WebUser,
    record: Record,
    consents: list[policy.Consent] | None,
    on_date: date,
) -> dict[str, Any]:
    document = record.model_dump(mode="json")
    document["kind"] = record.kind
    return policy.redact(
        record.kind,
        document,
        user,
        pseudonyms=_Pseudonyms(store),
        consents=consents,
        on_date=on_date,
    )


def redacted(store: RecordStore, user: WebUser, record: Record) -> dict[str, Any]:
    """The record as `user` may see it (raises PermissionDenied if they may not see it at all),
    consent included."""
    can_read = policy.can(user, policy.Action.READ, record.kind, record.confidentiality.value)
    can_read.require()  # refuse before looking anything else up
    consents = None
    if policy.consent_bears(user, record.kind):
        with store.read() as uow:
            consents = consents_bearing(uow, record)
    return _redact(store, user, record, consents, _today())


def readable_levels(user: WebUser) -> list[Confidentiality]:
    clearance = policy.effective_clearance(user)
    return [c for c in Confidentiality if policy.Confidentiality.parse(c.value) <= clearance]


def expand_terms(term_ids: Sequence[str]) -> list[str]:
    """The terms and all their narrower terms (a filter on "torture" finds its sub-types)."""
    out: set[str] = set()
    vocabularies = load_vocabularies()
    for term_id in term_ids:
        try:
            term = get_term(term_id)
        except UnknownTermError:
            raise BadRequest(f"unknown vocabulary term {term_id!r}") from None
        out.add(term.id)
        out.update(vocabularies[term.list_name].descendant_ids(term.id))
    return sorted(out)


def _sub_places(store: RecordStore, place_id: str) -> list[str]:
    """A place and every place inside it (the gazetteer's parent links, any depth)."""
    with store.read() as uow:
        return uow.descendants(place_id, "parent_id")


def list_records(
    store: RecordStore,
    user: WebUser,
    kind: str,
    *,
    terms: Sequence[str] | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    place_id: str | None = None,
    confidentiality: Sequence[Confidentiality] | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page:
    check_kind(kind)
    policy.can(user, policy.Action.READ, kind, policy.Confidentiality.PUBLIC).require()
    levels = readable_levels(user)
    if confidentiality is not None:
        levels = [c for c in levels if c in set(confidentiality)]
    query = ListQuery(
        kind=kind,
        terms=expand_terms(terms) if terms else None,
        date_from=date_from,
        date_to=date_to,
        place_ids=_sub_places(store, place_id) if place_id else None,
        confidentiality=levels,
        limit=limit,
        offset=offset,
    )
    today = _today()
    with store.read() as uow:
        total = uow.count(query)
        found = uow.list(query)
        items = [_redact(store, user, r, _consents(uow, user, r), today) for r in found]
    return Page(items, total, limit, offset)


def get_record(store: RecordStore, user: WebUser, kind: str | None, record_id: str) -> Record:
    """The record itself (unredacted: callers show it through `redacted`), if `user` may read it.

    A role that may not read `kind` at all is refused (PermissionDenied); a record above the
    user's clearance is reported as not found, so its existence does not leak.
    """
    if kind is not None:
        policy.can(user, policy.Action.READ, kind, policy.Confidentiality.PUBLIC).require()
    with store.read() as uow:
        record = uow.get(record_id, kind)
    if not policy.can(user, policy.Action.READ, record.kind, record.confidentiality.value):
        raise NotFound(record_id, kind)
    return record


def history(store: RecordStore, user: WebUser, record_id: str) -> list[dict[str, Any]]:
    """Every version of a record, each redacted for `user` by its own confidentiality."""
    current = get_record(store, user, None, record_id)
    today = _today()
    with store.read() as uow:
        versions = uow.history(record_id)
        # Consent is judged as it stands today, for every version: a revocation covers the past.
        consents = _consents(uow, user, current)
    out = []
    for version in versions:
        try:
            document = _redact(store, user, version.record, consents, today)
        except PermissionDenied:
            document = None  # an earlier version above the user's clearance stays closed
        out.append(
            {
                "version": version.version,
                "action": version.action,
                "changed_by": version.changed_by,
                "changed_at": version.changed_at.isoformat(),
                "record": document,
            }
        )
    return out


def _validated(kind: str, data: Mapping[str, Any], record_id: str | None = None) -> Record:
    cls = record_type(kind)
    fields = {k: v for k, v in data.items() if k not in _BOOKKEEPING}
    if record_id is not None:
        fields["id"] = record_id
    try:
        return cls.model_validate(fields)
    except ValueError as error:
        raise BadRequest(str(error)) from None


_BOOKKEEPING = {"version", "created_by", "created_at", "updated_by", "updated_at"}


def create_record(
    store: RecordStore, user: WebUser, kind: str, data: Mapping[str, Any]
) -> dict[str, Any]:
    check_kind(kind)
    # The server names new records: a caller-chosen id could collide with one it cannot see.
    record = _validated(kind, {k: v for k, v in data.items() if k != "id"})
    policy.can(user, policy.Action.CREATE, kind, record.confidentiality.value).require()
    with store.write(user.username) as uow:
        stored = uow.add(record)
    return redacted(store, user, stored)


def update_record(
    store: RecordStore,
    user: WebUser,
    kind: str,
    record_id: str,
    data: Mapping[str, Any],
    *,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Replace a record's content. Both the old and the new level must be within clearance."""
    check_kind(kind)
    current = get_record(store, user, kind, record_id)
    policy.can(user, policy.Action.UPDATE, kind, current.confidentiality.value).require()
    # A field the user cannot see in the clear keeps its stored value: writing back what a
    # redacted read returned (null or a pseudonym) must never erase or alter it.
    with store.read() as uow:
        consents = _consents(uow, user, current)
    internal = None if consents is None else policy.internal_use(user, kind, consents, _today())
    kept = {
        name: getattr(current, name)
        for name in type(current).model_fields
        if policy.visibility_with_consent(kind, name, user, internal) is not policy.Visibility.PLAIN
    }
    merged = {**data, **{k: v for k, v in current.model_dump(mode="json").items() if k in kept}}
    record = _validated(kind, merged, record_id)
    policy.can(user, policy.Action.UPDATE, kind, record.confidentiality.value).require()
    with store.write(user.username) as uow:
        stored = uow.update(record, expected_version=expected_version)
    return redacted(store, user, stored)


def _visible_texts(
    user: WebUser, record: Record, internal: policy.Decision | None = None
) -> list[str]:
    """The searchable texts of `record` that `user` sees in the clear.

    Search must not be an oracle on hidden fields: a viewer searching a name that appears only in
    a testimony they may not read (or one consent withholds) must not learn that some record
    contains it.
    """
    sources = _TEXT_SOURCES.get(record.kind, record.text_fields)

    def plain(name: str) -> bool:
        seen = policy.visibility_with_consent(record.kind, name, user, internal)
        return seen is policy.Visibility.PLAIN

    if all(plain(name) for name in sources):
        return record.searchable_text()
    texts: list[str] = []
    for name in sources:
        if not plain(name):
            continue
        value = getattr(record, name, None)
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, list):
            texts.extend(v if isinstance(v, str) else str(getattr(v, "text", "")) for v in value)
    return [t for t in texts if t]


def search(
    store: RecordStore, user: WebUser, text: str, *, limit: int = 50
) -> list[dict[str, Any]]:
    """Records matching `text` (Korean or English, case and accent folded) that `user` may read."""
    kinds = _searchable_kinds(user)
    if not kinds or not text.strip():
        return []
    today = _today()
    out: list[dict[str, Any]] = []
    with store.read() as uow:
        # The store opens (unseals) every candidate it yields, so stop at a page of results,
        # or after four pages of matches when the caller's role or consent hides most of them.
        found = uow.iter_search(text, kinds=kinds, expect=limit + limit // 4)
        for record in itertools.islice(found, limit * 4):
            document = _searched(store, uow, user, text, record, today)
            if document is not None:
                out.append(document)
                if len(out) >= limit:
                    break
    return out


def _searchable_kinds(user: WebUser) -> list[str]:
    """The kinds `user` may read and sees some searchable field of in the clear. Consent only
    ever hides more than the role does, so no record of another kind can match what they see:
    the store need not open (unseal) them at all."""

    def plain(kind: str, name: str) -> bool:
        return policy.field_visibility(kind, name, user) is policy.Visibility.PLAIN

    return [
        kind
        for kind in _known_kinds()
        if policy.can(user, policy.Action.READ, kind, policy.Confidentiality.PUBLIC)
        and any(plain(kind, n) for n in _TEXT_SOURCES.get(kind, record_type(kind).text_fields))
    ]


def _searched(
    store: RecordStore,
    uow: UnitOfWork,
    user: WebUser,
    text: str,
    record: Record,
    today: date,
) -> dict[str, Any] | None:
    """`record` redacted for `user` if it matches `text` in what they may see, else None."""
    if not policy.can(user, policy.Action.READ, record.kind, record.confidentiality.value):
        return None
    # Consent only ever hides more than the role does: look consents up only for records that
    # match in what the role sees.
    if not grams.matches(text, _visible_texts(user, record)):
        return None
    consents = _consents(uow, user, record)
    if consents is not None:
        internal = policy.internal_use(user, record.kind, consents, today)
        if not grams.matches(text, _visible_texts(user, record, internal)):
            return None
    return _redact(store, user, record, consents, today)


def counts(store: RecordStore, user: WebUser) -> dict[str, int]:
    """Live records per kind, for the kinds `user` may read at the levels they may read.

    Consent withholds fields, not records, so it does not change a count: a total says how many
    people are documented, never who.
    """
    levels = readable_levels(user)
    out: dict[str, int] = {}
    with store.read() as uow:
        for kind in _known_kinds():
            if policy.can(user, policy.Action.READ, kind, policy.Confidentiality.PUBLIC):
                out[kind] = uow.count(ListQuery(kind=kind, confidentiality=levels))
    return out


def summary(document: Mapping[str, Any]) -> str:
    """One line naming a (redacted) record for listings."""
    for name in ("title", "symbol", "listed_name", "name_forms", "names", "status"):
        value = document.get(name)
        if isinstance(value, list) and value and isinstance(value[0], Mapping):
            value = value[0].get("text")
        if isinstance(value, str) and value:
            return value if len(value) <= 80 else value[:77] + "…"
    return str(document.get("kind", "record"))
