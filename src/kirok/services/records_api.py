"""Record services for the web application and the JSON API, always on behalf of a user.

Every function takes the acting user and decides through ``kirok.security.policy`` only: ``can``
before touching a record, ``redact`` on everything returned. Lists are filtered in the database
to the confidentiality levels the user may read, so counts and pages never reveal records the
user could not open.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from kirok.domain.errors import KirokError, NotFound
from kirok.domain.records import (
    RECORD_TYPES,
    Act,
    Confidentiality,
    Event,
    NameForm,
    Person,
    Record,
    Script,
    record_type,
)
from kirok.domain.vocabulary import UnknownTermError, get_term, load_vocabularies
from kirok.security import policy
from kirok.security.errors import PermissionDenied
from kirok.services.users import WebUser
from kirok.store import grams
from kirok.store.repository import ListQuery, RecordStore


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


def redacted(store: RecordStore, user: WebUser, record: Record) -> dict[str, Any]:
    """The record as `user` may see it (raises PermissionDenied if they may not see it at all)."""
    document = record.model_dump(mode="json")
    document["kind"] = record.kind
    return policy.redact(record.kind, document, user, pseudonyms=_Pseudonyms(store))


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
    children: dict[str, list[str]] = {}
    with store.read() as uow:
        for place in uow.iter_kind("place"):
            parent = getattr(place, "parent_id", None)
            if parent:
                children.setdefault(parent, []).append(place.id)
    found, todo = {place_id}, [place_id]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return sorted(found)


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
    with store.read() as uow:
        total = uow.count(query)
        found = uow.list(query)
    return Page([redacted(store, user, r) for r in found], total, limit, offset)


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
    get_record(store, user, None, record_id)
    with store.read() as uow:
        versions = uow.history(record_id)
    out = []
    for version in versions:
        try:
            document = redacted(store, user, version.record)
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
    kept = {
        name: getattr(current, name)
        for name in type(current).model_fields
        if policy.field_visibility(kind, name, user) is not policy.Visibility.PLAIN
    }
    merged = {**data, **{k: v for k, v in current.model_dump(mode="json").items() if k in kept}}
    record = _validated(kind, merged, record_id)
    policy.can(user, policy.Action.UPDATE, kind, record.confidentiality.value).require()
    with store.write(user.username) as uow:
        stored = uow.update(record, expected_version=expected_version)
    return redacted(store, user, stored)


def _visible_texts(user: WebUser, record: Record) -> list[str]:
    """The searchable texts of `record` that `user` sees in the clear.

    Search must not be an oracle on hidden fields: a viewer searching a name that appears only in
    a testimony they may not read must not learn that some record contains it.
    """
    sources = _TEXT_SOURCES.get(record.kind, record.text_fields)
    if all(
        policy.field_visibility(record.kind, name, user) is policy.Visibility.PLAIN
        for name in sources
    ):
        return record.searchable_text()
    texts: list[str] = []
    for name in sources:
        if policy.field_visibility(record.kind, name, user) is not policy.Visibility.PLAIN:
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
    kinds = [
        k
        for k in _known_kinds()
        if policy.can(user, policy.Action.READ, k, policy.Confidentiality.PUBLIC)
    ]
    if not kinds or not text.strip():
        return []
    with store.read() as uow:
        found = uow.search(text, kinds=kinds, limit=limit * 4)
    out = []
    for record in found:
        if not policy.can(user, policy.Action.READ, record.kind, record.confidentiality.value):
            continue
        if not grams.matches(text, _visible_texts(user, record)):
            continue
        out.append(redacted(store, user, record))
        if len(out) >= limit:
            break
    return out


def counts(store: RecordStore, user: WebUser) -> dict[str, int]:
    """Live records per kind, for the kinds `user` may read at the levels they may read."""
    levels = readable_levels(user)
    out: dict[str, int] = {}
    with store.read() as uow:
        for kind in _known_kinds():
            if policy.can(user, policy.Action.READ, kind, policy.Confidentiality.PUBLIC):
                out[kind] = uow.count(ListQuery(kind=kind, confidentiality=levels))
    return out


@dataclass(frozen=True)
class Intake:
    """One interview's core: an event, a victim and what was done to them."""

    event_title: str
    act_type: str
    victim_name: str
    event_description: str | None = None
    start_date: str | None = None
    victim_sex: str | None = None
    confidentiality: Confidentiality = Confidentiality.CONFIDENTIAL


def intake(store: RecordStore, user: WebUser, form: Intake) -> dict[str, str]:
    """Create the event, the victim and the act in one unit of work (all or nothing)."""
    level = form.confidentiality.value
    for kind in ("event", "person", "act"):
        policy.can(user, policy.Action.CREATE, kind, level).require()
    try:
        get_term(form.act_type)
        script = (
            Script.HANGUL
            if any("\uac00" <= c <= "\ud7a3" for c in form.victim_name)
            else (Script.LATIN)
        )
        event = Event(
            title=form.event_title,
            description=form.event_description or None,
            start_date=form.start_date or None,
            confidentiality=form.confidentiality,
        )
        victim = Person(
            name_forms=[NameForm(text=form.victim_name, script=script)],
            sex=form.victim_sex or None,
            confidentiality=form.confidentiality,
        )
        act = Act(
            event_id=event.id,
            victim_id=victim.id,
            act_type=form.act_type,
            start_date=form.start_date or None,
            confidentiality=form.confidentiality,
        )
    except (ValueError, UnknownTermError) as error:
        raise BadRequest(str(error)) from None
    with store.write(user.username) as uow:
        uow.add(event)
        uow.add(victim)
        uow.add(act)
    return {"event": event.id, "person": victim.id, "act": act.id}


def summary(document: Mapping[str, Any]) -> str:
    """One line naming a (redacted) record for listings."""
    for name in ("title", "symbol", "listed_name", "name_forms", "names", "status"):
        value = document.get(name)
        if isinstance(value, list) and value and isinstance(value[0], Mapping):
            value = value[0].get("text")
        if isinstance(value, str) and value:
            return value if len(value) <= 80 else value[:77] + "…"
    return str(document.get("kind", "record"))
