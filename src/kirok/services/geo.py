"""Places, events and custody paths as GeoJSON, always on behalf of a user.

Everything goes through ``kirok.security.policy``: a place, an event or a refugee case above the
user's clearance is left out (not greyed out, so its existence does not leak), and the custody
steps of a refugee case are returned only to roles that see that field in the clear (viewers may
not read refugee cases at all).

Many records at one place must stay readable on a map, so events are never one marker each:
the events of a place are counted per place, and an event at a place without coordinates (a
village under a located county, a ward of a camp) counts towards its nearest located ancestor
in the gazetteer. Coordinates are GeoJSON order, ``[lon, lat]`` (RFC 7946).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

from kirok.domain import refugee
from kirok.domain.dates import DateParseError, parse_date
from kirok.domain.errors import NotFound
from kirok.domain.records import Place, RefugeeCase
from kirok.domain.vocabulary import UnknownTermError, get_term
from kirok.security import policy
from kirok.security.errors import PermissionDenied
from kirok.services import records_api
from kirok.services.users import WebUser
from kirok.store.repository import ListQuery, RecordStore

#: Event titles listed in one place's popup; the count covers all of them.
SAMPLE_EVENTS = 5
#: The most places a map loads (a gazetteer of DPRK counties and camps has a few hundred).
MAX_PLACES = 5000


def place_name(place: Place, lang: str) -> str:
    """The place's name in the reader's script: Hangul for Korean readers when there is one."""
    if lang == "ko":
        for name in place.names:
            if name.script == "hangul":
                return name.text
    for name in place.names:
        if name.script == "latin":
            return name.text
    return place.display_name


def term_label(term_id: str | None, lang: str) -> str | None:
    """A vocabulary term's label in `lang` (the raw id if it is not a known term)."""
    if not term_id:
        return None
    try:
        return get_term(term_id).label(lang)
    except UnknownTermError:
        return term_id


def _may_read(user: WebUser, kind: str) -> bool:
    return bool(policy.can(user, policy.Action.READ, kind, policy.Confidentiality.PUBLIC))


def readable_places(store: RecordStore, user: WebUser) -> dict[str, Place]:
    """The places `user` may read, by id (empty if the role may not read places).

    At most ``MAX_PLACES``: ``places_geojson`` says so when the limit is reached."""
    if not _may_read(user, "place"):
        return {}
    query = ListQuery(
        kind="place", confidentiality=records_api.readable_levels(user), limit=MAX_PLACES
    )
    with store.read() as uow:
        found = uow.list(query)
    return {p.id: p for p in found if isinstance(p, Place)}


def _located(place: Place) -> bool:
    return place.lat is not None and place.lon is not None


def _anchors(places: Mapping[str, Place]) -> dict[str, str]:
    """Place id -> id of the nearest located place at or above it (places with none omitted)."""
    out: dict[str, str] = {}
    for place_id in places:
        seen: set[str] = set()
        current: str | None = place_id
        while current is not None and current in places and current not in seen:
            seen.add(current)
            if _located(places[current]):
                out[place_id] = current
                break
            current = places[current].parent_id
    return out


def _point(place: Place) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [place.lon, place.lat]}


def _place_properties(place: Place, lang: str) -> dict[str, Any]:
    return {
        "id": place.id,
        "name": place_name(place, lang),
        "place_kind": place.place_kind,
        "facility_type": place.facility_type,
        "facility_label": term_label(place.facility_type, lang),
        "precision_m": place.precision_m,
        "url": f"/records/{place.id}",
    }


def _event_counts(store: RecordStore, user: WebUser, places: Mapping[str, Place]) -> dict[str, int]:
    """Readable events per located place, sub-places rolled up (one grouped query)."""
    if not _may_read(user, "event"):
        return {}
    query = ListQuery(kind="event", confidentiality=records_api.readable_levels(user))
    with store.read() as uow:
        per_place = uow.count_by_place(query)
    anchors = _anchors(places)
    out: dict[str, int] = {}
    for place_id, count in per_place.items():
        anchor = anchors.get(place_id)  # unreadable or unlocated places count nowhere
        if anchor is not None:
            out[anchor] = out.get(anchor, 0) + count
    return out


def places_geojson(store: RecordStore, user: WebUser, lang: str = "en") -> dict[str, Any]:
    """A FeatureCollection: one Point per readable located place, with its event count."""
    places = readable_places(store, user)
    counts = _event_counts(store, user, places)
    features = []
    for place in sorted(places.values(), key=lambda p: p.id):
        if not _located(place):
            continue
        properties = _place_properties(place, lang)
        properties["event_count"] = counts.get(place.id, 0)
        features.append(
            {"type": "Feature", "id": place.id, "geometry": _point(place), "properties": properties}
        )
    truncated = len(places) >= MAX_PLACES
    return {"type": "FeatureCollection", "features": features, "truncated": truncated}


def events_geojson(store: RecordStore, user: WebUser, lang: str = "en") -> dict[str, Any]:
    """A FeatureCollection: one Point per located place that has readable events.

    ``count`` is every readable event there, its sub-places included. The map never draws one
    marker per event; a popup asks :func:`place_events` for the first few when it opens.
    """
    places = readable_places(store, user)
    counts = _event_counts(store, user, places)
    features = []
    for place_id in sorted(counts):
        place = places[place_id]
        properties = _place_properties(place, lang)
        events_url = f"/api/v1/geo/places/{quote(place_id, safe='')}/events"
        properties.update(count=counts[place_id], events_url=events_url)
        features.append(
            {"type": "Feature", "id": place_id, "geometry": _point(place), "properties": properties}
        )
    return {"type": "FeatureCollection", "features": features}


def place_events(
    store: RecordStore, user: WebUser, place_id: str, *, limit: int = SAMPLE_EVENTS
) -> dict[str, Any]:
    """The first `limit` readable events at a place and the places inside it, and their total.

    A place the user may not read is not found (its existence does not leak).
    """
    places = readable_places(store, user)
    if place_id not in places:
        raise NotFound(place_id, "place")
    inside = sorted(p for p, anchor in _anchors(places).items() if anchor == place_id)
    if not _may_read(user, "event") or not inside:
        return {"place_id": place_id, "count": 0, "events": []}
    query = ListQuery(
        kind="event",
        place_ids=inside,
        confidentiality=records_api.readable_levels(user),
        limit=limit,
    )
    with store.read() as uow:
        count = uow.count(query)
        found = uow.list(query)
    events = [
        {
            "id": e.id,
            "title": records_api.summary(records_api.redacted(store, user, e)),
            "start_date": getattr(e, "start_date", None),
            "url": f"/records/{e.id}",
        }
        for e in found
    ]
    return {"place_id": place_id, "count": count, "events": events}


# -- refugee cases --------------------------------------------------------------------------------


def list_cases(store: RecordStore, user: WebUser, *, limit: int = 200) -> records_api.Page:
    """Refugee cases `user` may read (PermissionDenied for roles that may read none)."""
    return records_api.list_records(store, user, "refugee_case", limit=limit)


def orderable(case: RefugeeCase) -> tuple[RefugeeCase, list[refugee.CustodyProblem]]:
    """The case with every unreadable step date set aside, and a problem for each one.

    A step date that is not EDTF must not make the page fail, nor hide a high-risk alert: the
    path is ordered and assessed on the dates that parse, the page still shows every date as
    written, and each bad one is reported. Nothing is stored: the record itself is untouched.
    """
    problems: list[refugee.CustodyProblem] = []
    steps = []
    for i, step in enumerate(case.steps):
        fixed: dict[str, None] = {}
        for name in ("start_date", "end_date"):
            value = getattr(step, name)
            if not value:
                continue
            try:
                parse_date(value)
            except DateParseError:
                fixed[name] = None
                problems.append(refugee.CustodyProblem(i, f"{step.stage}: {value!r} is not EDTF"))
        steps.append(step.model_copy(update=fixed) if fixed else step)
    if not problems:
        return case, []
    return case.model_copy(update={"steps": steps}), problems


def _require_steps(user: WebUser) -> None:
    seen = policy.field_visibility("refugee_case", "steps", user)
    if seen is not policy.Visibility.PLAIN:
        raise PermissionDenied(f"role {user.role} may not see custody paths")


@dataclass(frozen=True)
class PathStep:
    """One custody step as a page shows it; ``place`` is None if unknown or not readable."""

    index: int
    stage: str
    place_id: str | None
    place: str | None
    located: bool
    start_date: str | None
    end_date: str | None
    custodian: str | None
    notes: str | None
    current: bool


@dataclass(frozen=True)
class CustodyPath:
    case: RefugeeCase
    document: dict[str, Any]  # the case redacted for the user
    steps: list[PathStep]
    current: PathStep | None
    alert: refugee.Alert | None
    problems: list[refugee.CustodyProblem]


def custody_path(
    store: RecordStore, user: WebUser, case_id: str, *, today: date, lang: str = "en"
) -> CustodyPath:
    """A case's custody path in order, with its current stage and the risk alert (if any).

    The alert's urgent appeal is an unsaved draft: nothing is stored here.
    """
    record = records_api.get_record(store, user, "refugee_case", case_id)
    _require_steps(user)
    if not isinstance(record, RefugeeCase):  # the store returned another kind under this id
        raise PermissionDenied("not a refugee case")
    document = records_api.redacted(store, user, record)
    places = readable_places(store, user)
    usable, date_problems = orderable(record)
    written = dict(zip(map(id, usable.steps), record.steps, strict=True))
    now = refugee.current_step(usable)
    steps = []
    for i, ordered in enumerate(refugee.order_steps(usable.steps)):
        step = written[id(ordered)]  # the step as entered, dates as written
        place = places.get(step.place_id) if step.place_id else None
        steps.append(
            PathStep(
                index=i,
                stage=step.stage,
                place_id=step.place_id if place is not None else None,
                place=place_name(place, lang) if place is not None else None,
                located=place is not None and _located(place),
                start_date=step.start_date,
                end_date=step.end_date,
                custodian=step.custodian,
                notes=step.notes,
                current=ordered is now,
            )
        )
    current = next((s for s in steps if s.current), None)
    return CustodyPath(
        case=record,
        document=document,
        steps=steps,
        current=current,
        alert=refugee.assess_risk(usable, today),
        problems=date_problems + refugee.validate_path(usable.steps),
    )


def path_geojson(
    store: RecordStore, user: WebUser, case_id: str, *, today: date, lang: str = "en"
) -> dict[str, Any]:
    """The custody path: a Point per located step and a LineString through them in order.

    Steps at places without coordinates (or not readable by the user) are listed under the
    collection's ``unlocated`` member, so the map can say what it cannot draw.
    """
    path = custody_path(store, user, case_id, today=today, lang=lang)
    places = readable_places(store, user)
    features: list[dict[str, Any]] = []
    line: list[list[float | None]] = []
    for step in path.steps:
        if not step.located or step.place_id is None:
            continue
        place = places[step.place_id]
        coordinates = [place.lon, place.lat]
        if not line or line[-1] != coordinates:
            line.append(coordinates)
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": coordinates},
                "properties": {
                    "order": step.index + 1,
                    "stage": step.stage,
                    "place": step.place,
                    "place_id": step.place_id,
                    "start_date": step.start_date,
                    "end_date": step.end_date,
                    "current": step.current,
                    "precision_m": place.precision_m,
                    "url": f"/records/{step.place_id}",
                },
            }
        )
    if len(line) >= 2:
        features.insert(
            0,
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": line},
                "properties": {"case_id": case_id, "role": "path"},
            },
        )
    unlocated = [
        {"order": s.index + 1, "stage": s.stage, "place": s.place}
        for s in path.steps
        if not s.located
    ]
    return {"type": "FeatureCollection", "features": features, "unlocated": unlocated}


def stages(steps: Sequence[PathStep]) -> list[str]:
    """The stage names in path order (for tests and summaries)."""
    return [s.stage for s in steps]
