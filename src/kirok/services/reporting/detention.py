"""Arbitrary arrest and detention, prison and camp conditions: detention and forced-labour
acts, the estimates of people detained, and the camps shown on the map."""

from __future__ import annotations

from typing import Final

from kirok.domain.records import Confidentiality, Place
from kirok.reports.model import Camp, Section
from kirok.services.reporting.estimates import Estimates
from kirok.services.reporting.queries import LOWER_BOUND_NOTE, LiveQueries

__all__ = ["CAMP_TYPES", "camps", "detention"]

#: ESF list 17 facility types (local terms) shown on the camp map.
CAMP_TYPES: Final = {"L17-KWANLISO": "kwanliso", "L17-KYOHWASO": "kyohwaso"}


def detention(queries: LiveQueries, year: int, estimated: Estimates) -> Section:
    notes = [LOWER_BOUND_NOTE] if queries.public else []
    notes += estimated.notes
    notes.append("Korean names are kept as written: 관리소, 교화소, 집결소.")
    return Section(
        key="detention",
        figures=[*queries.section_figures("detention", year), *estimated.figures],
        notes=notes,
    )


def _latin_name(place: Place) -> str:
    """The English (else a romanised, else the first) name: chart labels are drawn with a font
    that has no Hangul, and the map must not lose a camp's label."""
    by_system = {n.system: n.text for n in place.names if n.script == "latin"}
    for system in ("english", "mr_ascii", "rr", "mr"):
        if system in by_system:
            return by_system[system]
    latin = [n.text for n in place.names if n.script == "latin"]
    return latin[0] if latin else place.id


def camps(queries: LiveQueries) -> list[Camp]:
    """Political prison camps and re-education camps in the gazetteer (public places only)."""
    found = []
    for record in queries.records("place", [Confidentiality.PUBLIC]):
        if isinstance(record, Place) and record.facility_type in CAMP_TYPES:
            closed = f"closed {record.valid_to}" if record.valid_to else "no closure recorded"
            found.append(
                Camp(
                    name=_latin_name(record),
                    kind=CAMP_TYPES[record.facility_type],
                    lat=record.lat,
                    lon=record.lon,
                    status=closed,
                )
            )
    return sorted(found, key=lambda c: (c.kind, c.name))
