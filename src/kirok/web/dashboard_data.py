"""The dashboard's figures, always on behalf of a user and only from what they may read.

- documented acts per year, by broad type of act (the earliest year the act could have happened;
  acts without a date are counted apart, never placed in a year);
- events per province (each event at its place or a place inside the province);
- the linkage review backlog of the latest run (pairs whose two records the user may read);
- the latest estimate with its interval.

Every figure goes through ``kirok.security.policy``: a kind the role may not read gives no figure
at all (not a zero), and records above the user's clearance are not counted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from kirok.domain.records import EstimationRun, Place
from kirok.domain.vocabulary import UnknownTermError, get_term, load_vocabularies
from kirok.linkage.decisions import pair_key
from kirok.security import policy
from kirok.services import geo, linkage, records_api
from kirok.services.users import WebUser
from kirok.store.repository import ListQuery, RecordStore

#: Broad act types shown by name; the rest are summed as "other".
TOP_TYPES = 6


def may_read(user: WebUser, kind: str) -> bool:
    return bool(policy.can(user, policy.Action.READ, kind, policy.Confidentiality.PUBLIC))


@dataclass
class ActsByYear:
    years: list[int]
    types: list[str]  # broad act type ids, most frequent first; "other" last if any
    counts: dict[tuple[int, str], int]
    undated: int
    total: int

    def year_total(self, year: int) -> int:
        return sum(self.counts.get((year, t), 0) for t in self.types)


def _root(term_id: str) -> str | None:
    try:
        term = get_term(term_id)
    except UnknownTermError:
        return None
    ancestors = load_vocabularies()[term.list_name].ancestors(term.id)
    return ancestors[-1].id if ancestors else term.id


def acts_by_year(store: RecordStore, user: WebUser) -> ActsByYear | None:
    """Readable acts per year and broad type (None if the role may not read acts).

    An act's year is the earliest it could have happened, from its start date (or its end date
    when only that is known); acts with neither, or with an open start, are counted apart. One
    grouped count in the store: the chart costs the same at a hundred acts and at a million."""
    if not may_read(user, "act"):
        return None
    levels = records_api.readable_levels(user)
    raw: Counter[tuple[int, str]] = Counter()
    per_type: Counter[str] = Counter()
    undated = total = 0
    with store.read() as uow:
        grouped = uow.count_by_term_and_year(ListQuery(kind="act", confidentiality=levels))
    for (term, year), n in grouped.items():
        total += n
        root = (_root(term) if term else None) or "other"
        if year is None:
            undated += n
            continue
        raw[(year, root)] += n
        per_type[root] += n
    top = [t for t, _ in per_type.most_common(TOP_TYPES) if t != "other"]
    counts: Counter[tuple[int, str]] = Counter()
    for (year, root), n in raw.items():
        counts[(year, root if root in top else "other")] += n
    types = top + (["other"] if any(t == "other" for _, t in counts) else [])
    years = sorted({y for y, _ in counts})
    span = list(range(years[0], years[-1] + 1)) if years else []
    return ActsByYear(span, types, dict(counts), undated, total)


@dataclass
class ByProvince:
    rows: list[tuple[str, int]]  # province id, events; largest first
    elsewhere: int  # events at a place under no province (or at no readable place)
    names: dict[str, Place] = field(default_factory=dict)


def events_by_province(store: RecordStore, user: WebUser) -> ByProvince | None:
    """Readable events per province (None if the role may not read events or places)."""
    if not (may_read(user, "event") and may_read(user, "place")):
        return None
    places = geo.readable_places(store, user)
    query = ListQuery(kind="event", confidentiality=records_api.readable_levels(user))
    with store.read() as uow:
        per_place = uow.count_by_place(query)
        total = uow.count(query)
    counts: Counter[str] = Counter()
    for place_id, n in per_place.items():
        province = _province(places, place_id)
        if province is not None:
            counts[province] += n
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ByProvince(rows, total - sum(counts.values()), {p: places[p] for p, _ in rows})


def _province(places: dict[str, Place], place_id: str) -> str | None:
    seen: set[str] = set()
    current = places.get(place_id)
    while current is not None and current.id not in seen:
        seen.add(current.id)
        if current.place_kind in ("province", "special_city"):
            return current.id
        current = places.get(current.parent_id or "")
    return None


@dataclass(frozen=True)
class Backlog:
    pending: int
    decided: int
    hidden: int  # pairs with a record above the user's clearance: counted, not shown


def review_backlog(store: RecordStore, user: WebUser) -> Backlog | None:
    """Pairs of the latest linkage run still to be decided (None: no run, or not for this role)."""
    if not (may_read(user, "linkage_run") and may_read(user, "person")):
        return None
    try:
        run = linkage.latest_run(store)
    except linkage.NoLinkageRun:
        return None
    decided_pairs = set(linkage.stored_decisions(store))
    pending = decided = hidden = 0
    with store.read() as uow:
        ids = {i for p in run.review for i in (p.record_a, p.record_b)}
        live = uow.existing_ids(sorted(ids))
        levels: dict[str, str] = {}
        for record_id in live:
            levels[record_id] = uow.get(record_id).confidentiality.value
    for pair in run.review:
        if pair.record_a not in live or pair.record_b not in live:
            continue
        readable = all(
            policy.can(user, policy.Action.READ, "person", levels[i])
            for i in (pair.record_a, pair.record_b)
        )
        if not readable:
            hidden += 1
        elif pair_key(pair.record_a, pair.record_b) in decided_pairs:
            decided += 1
        else:
            pending += 1
    return Backlog(pending, decided, hidden)


def latest_estimate(store: RecordStore, user: WebUser) -> EstimationRun | None:
    if not may_read(user, "estimation_run"):
        return None
    levels = records_api.readable_levels(user)
    query = ListQuery(kind="estimation_run", confidentiality=levels, limit=10_000)
    with store.read() as uow:
        runs = [r for r in uow.list(query) if isinstance(r, EstimationRun)]
    if not runs:
        return None
    return max(runs, key=lambda r: (r.created_at is not None, r.created_at, r.id))
