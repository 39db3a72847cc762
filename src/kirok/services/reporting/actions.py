"""The record of actions: designations, UN resolutions and votes, interventions, sanctions
entries in force, and conferences or programmes recorded as events. Public: only records
marked public."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from kirok.domain.records import Designation, Event, Intervention, Resolution, SanctionEntry
from kirok.domain.tracker import (
    consecutive_years,
    designations_in_force,
    resolution_year,
    sanctions_in_force,
)
from kirok.reports.model import Figure, RecordOfActions
from kirok.services.reporting.queries import LiveQueries, year_span
from kirok.store.repository import ListQuery

__all__ = [
    "action_events",
    "consecutive_years_figure",
    "designation_years_figure",
    "designations",
    "in_force_notes",
    "interventions",
    "record_of_actions",
    "resolutions",
    "sanctions",
]


def designations(queries: LiveQueries, country: str, year: int) -> list[Designation]:
    """Designations of ``country`` for ``year`` or earlier, by programme and year."""
    found = [
        r
        for r in queries.records("designation", queries.shown_levels)
        if isinstance(r, Designation) and r.country.upper() == country and r.year <= year
    ]
    return sorted(found, key=lambda d: (d.program, d.year, d.id))


def designation_years_figure(
    queries: LiveQueries,
    designations: Sequence[Designation],
    program: str,
    label: str,
    year: int,
) -> Figure:
    chosen = [d for d in designations if d.program == program]
    return Figure(
        label=label,
        value=len({d.year for d in chosen if d.year <= year}),
        previous=len({d.year for d in chosen if d.year <= year - 1}),
        query=f"designations, programme {program}, distinct years up to {year}",
        citations=[queries.cite(d, None) for d in chosen],
    )


def consecutive_years_figure(
    queries: LiveQueries,
    designations: Sequence[Designation],
    *,
    program: str,
    holds: Callable[[Designation], bool],
    what: str,
    label: str,
    year: int,
) -> Figure:
    """How many years in a row, up to ``year``, the tracker shows a designation under
    ``program`` that ``holds`` (``what`` says which, in words)."""
    run = consecutive_years(designations, program=program, year=year, holds=holds)
    return Figure(
        label=label,
        value=len(run),
        previous=len(consecutive_years(designations, program=program, year=year - 1, holds=holds)),
        query=f"designations, programme {program}, {what}: consecutive years ending in {year}",
        citations=[queries.cite(d, None) for d in reversed(run)],
    )


def in_force_notes(designations: Sequence[Designation], program: str, year: int) -> list[str]:
    """What the tracker says held under ``program`` at the end of ``year``."""
    return [
        f"In force on 31 December {year}: {d.program} {d.year}, {d.status} ({d.id})."
        for d in designations_in_force(designations, date(year, 12, 31))
        if d.program == program
    ]


def resolutions(queries: LiveQueries, year: int) -> list[Resolution]:
    found = []
    for r in queries.records("resolution", queries.shown_levels):
        if isinstance(r, Resolution):
            adopted = resolution_year(r)
            if adopted is not None and adopted <= year:
                found.append(r)
    return sorted(found, key=lambda r: (r.adopted_on or "", r.body, r.id))


def interventions(queries: LiveQueries, year: int) -> list[Intervention]:
    start, end = year_span(year)
    selection = ListQuery(
        "intervention", date_from=start, date_to=end, confidentiality=queries.shown_levels
    )
    found = [r for r in queries.listed(selection) if isinstance(r, Intervention)]
    return sorted(found, key=lambda i: (i.date or "", i.id))


def sanctions(queries: LiveQueries, year: int) -> list[SanctionEntry]:
    entries = [
        r
        for r in queries.records("sanction_entry", queries.shown_levels)
        if isinstance(r, SanctionEntry)
    ]
    return sanctions_in_force(entries, date(year, 12, 31))


def action_events(queries: LiveQueries, year: int) -> list[Event]:
    """Conferences, programmes and other actions: events in the year with no violation
    status and no act attached (an event with acts is a violation, not an action)."""
    start, end = year_span(year)
    selection = ListQuery(
        "event", date_from=start, date_to=end, confidentiality=queries.shown_levels
    )
    found = [
        record
        for record in queries.listed(selection)
        if isinstance(record, Event)
        and record.violation_status is None
        and not queries.uow.referrers(record.id, "act")
    ]
    return sorted(found, key=lambda e: (e.start_date or "", e.id))


def record_of_actions(
    queries: LiveQueries, year: int, designations: list[Designation]
) -> RecordOfActions:
    return RecordOfActions(
        designations=designations,
        resolutions=resolutions(queries, year),
        interventions=interventions(queries, year),
        sanctions=sanctions(queries, year),
        events=action_events(queries, year),
    )
