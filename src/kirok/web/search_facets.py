"""Search with facets: the matches of a text search counted by record kind, act type, year and
province, each count a filter one click away.

The matches come from ``records_api.search`` (Korean and English, case and accent folded; only
records the user may read, redacted for their role). Each match is then described by what it
is about:

- **act type**: the types of the acts it belongs to — an event's acts, a person's acts as a
  victim, an information's event's acts — counted on each term *and all its broader terms*, so
  "Violations of the right to life" counts a summary execution, and filtering on a broad term
  keeps its narrower ones;
- **year**: the year the event (or act) began, from its EDTF date's earliest day;
- **province**: the province (or special city) above its place in the gazetteer.

Related acts and events are read through the same policy as everything else: an act above the
user's clearance adds nothing to any count, so a count never reveals a record the user could not
open. Facets are counted over the first ``SCAN`` matches; the page says so when there are more.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kirok.domain.dates import DateParseError, parse_date
from kirok.domain.records import Act, Place
from kirok.domain.vocabulary import UnknownTermError, get_term, load_vocabularies
from kirok.security import policy
from kirok.services import geo, records_api
from kirok.services.users import WebUser
from kirok.store.repository import RecordStore, UnitOfWork

#: Matches examined for facets (and filtered); a search matching more says so.
SCAN = 300
#: Results listed on one page.
SHOWN = 50
PROVINCE_KINDS = frozenset({"province", "special_city"})
FACETS = ("kind", "act_type", "year", "province")


@dataclass(frozen=True)
class Filters:
    kind: str = ""
    act_type: str = ""
    year: str = ""
    province: str = ""

    def get(self, name: str) -> str:
        value: str = getattr(self, name)
        return value

    def active(self) -> dict[str, str]:
        return {name: self.get(name) for name in FACETS if self.get(name)}


@dataclass
class About:
    """What one match is about, for counting and filtering."""

    kind: str
    act_types: set[str] = field(default_factory=set)  # with every broader term
    years: set[str] = field(default_factory=set)
    provinces: set[str] = field(default_factory=set)

    def values(self, facet: str) -> set[str]:
        if facet == "kind":
            return {self.kind}
        if facet == "act_type":
            return self.act_types
        if facet == "year":
            return self.years
        return self.provinces


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    depth: int = 0


@dataclass
class Faceted:
    rows: list[dict[str, Any]]
    total: int
    scanned_all: bool
    facets: dict[str, list[FacetValue]]


def _year(text: object) -> str | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        earliest = parse_date(text).earliest
    except DateParseError:
        return None
    return None if earliest.year <= 1 else str(earliest.year)


def _is_group(document: Mapping[str, Any]) -> bool:
    """A unit or group (an MSS office, a camp's guards): a perpetrator with many involvements,
    never a victim in an act, so its referrers are not read."""
    unit = document.get("counting_unit")
    return isinstance(unit, str) and unit not in ("", "01000000000007")


def _with_broader(term_id: str) -> set[str]:
    try:
        term = get_term(term_id)
    except UnknownTermError:
        return set()
    vocab = load_vocabularies()[term.list_name]
    return {term.id, *(t.id for t in vocab.ancestors(term.id))}


class _Describer:
    """Reads the acts and events around each match, within what the user may read."""

    def __init__(self, store: RecordStore, user: WebUser) -> None:
        self.store = store
        self.user = user
        self.levels = records_api.readable_levels(user)
        self.places = geo.readable_places(store, user)
        self.reads_acts = bool(
            policy.can(user, policy.Action.READ, "act", policy.Confidentiality.PUBLIC)
        ) and all(
            policy.field_visibility("act", name, user) is policy.Visibility.PLAIN
            for name in ("act_type", "start_date", "place_id")
        )
        self._provinces: dict[str, str | None] = {}

    def province(self, place_id: object) -> str | None:
        if not isinstance(place_id, str) or not place_id:
            return None
        if place_id not in self._provinces:
            found, current, seen = None, self.places.get(place_id), set()
            while current is not None and current.id not in seen:
                seen.add(current.id)
                if current.place_kind in PROVINCE_KINDS:
                    found = current.id
                    break
                current = self.places.get(current.parent_id or "")
            self._provinces[place_id] = found
        return self._provinces[place_id]

    def acts(self, uow: UnitOfWork, target_id: str) -> list[Act]:
        if not self.reads_acts:
            return []
        # All referrers, filtered here: asking the store for kind="act" too lets SQLite walk
        # the kind index over every act (~2 ms a call on 8,000 acts) instead of the few refs.
        return [
            a
            for a in uow.referrers(target_id)
            if isinstance(a, Act) and a.confidentiality in self.levels
        ]

    def describe_all(self, documents: Sequence[Mapping[str, Any]]) -> list[About]:
        with self.store.read() as uow:
            return [self.describe(uow, d) for d in documents]

    def describe(self, uow: UnitOfWork, document: Mapping[str, Any]) -> About:
        kind = str(document.get("kind"))
        about = About(kind)
        acts: list[Act] = []
        if kind == "event" or (kind == "person" and not _is_group(document)):
            acts = self.acts(uow, str(document["id"]))
        elif kind == "information" and isinstance(document.get("event_id"), str):
            acts = self.acts(uow, document["event_id"])
        own_places = [document.get("id")] if kind == "place" else [document.get("place_id")]
        own_years = [document.get("start_date")] if kind in ("event", "act") else []
        if kind == "act" and isinstance(document.get("act_type"), str):
            about.act_types |= _with_broader(document["act_type"])
        for act in acts:
            about.act_types |= _with_broader(act.act_type)
            own_places.append(act.place_id)
            if kind != "event":  # an event's own date says when it began
                own_years.append(act.start_date)
        about.years = {y for y in map(_year, own_years) if y}
        about.provinces = {p for p in map(self.province, own_places) if p}
        return about


def _keep(about: About, filters: Filters) -> bool:
    return all(value in about.values(name) for name, value in filters.active().items())


def _facet_values(
    name: str, abouts: Iterable[About], filters: Filters, describer: _Describer, lang: str
) -> list[FacetValue]:
    counts: Counter[str] = Counter()
    for about in abouts:
        counts.update(about.values(name))
    chosen = filters.get(name)
    if name == "act_type":
        return _act_type_values(counts, chosen, lang)
    if name == "year":
        keys = sorted(counts)
    else:
        keys = sorted(counts, key=lambda k: (-counts[k], k))
    out = []
    for key in keys:
        if name == "kind":
            label = key
        elif name == "province":
            place = describer.places.get(key)
            label = geo.place_name(place, lang) if isinstance(place, Place) else key
        else:
            label = key
        out.append(FacetValue(key, label, counts[key], key == chosen))
    return out


def _act_type_values(counts: Counter[str], chosen: str, lang: str) -> list[FacetValue]:
    """Broadest terms first; under the chosen term, its narrower terms (drill-down)."""
    vocab = load_vocabularies()["types_of_acts"]
    base = min((t.level for t in vocab), default=0)
    shown: list[str] = [t.id for t in vocab.roots() if counts[t.id]]
    if chosen and chosen in vocab:
        path = [t.id for t in reversed(vocab.ancestors(chosen))] + [chosen]
        children = [t.id for t in vocab.children(chosen) if counts[t.id]]
        shown = [t for t in shown if t != path[0]]
        shown = path + children + shown
    return [
        FacetValue(
            term_id,
            vocab[term_id].label(lang),
            counts[term_id],
            term_id == chosen,
            vocab[term_id].level - base,
        )
        for term_id in shown
    ]


def faceted_search(
    store: RecordStore, user: WebUser, text: str, filters: Filters, *, lang: str = "en"
) -> Faceted:
    """The matches of `text` that pass `filters`, with facet counts over those matches."""
    documents = records_api.search(store, user, text, limit=SCAN) if text.strip() else []
    describer = _Describer(store, user)
    described = list(zip(documents, describer.describe_all(documents), strict=True))
    kept = [(d, a) for d, a in described if _keep(a, filters)]
    facets = {
        name: _facet_values(name, (a for _, a in kept), filters, describer, lang) for name in FACETS
    }
    return Faceted(
        rows=[d for d, _ in kept[:SHOWN]],
        total=len(kept),
        scanned_all=len(documents) < SCAN,
        facets=facets,
    )


def filter_links(q: str, filters: Filters) -> Sequence[tuple[str, str]]:
    """The query string pairs of the current search (the page builds facet links from them)."""
    return [("q", q), *filters.active().items()]
