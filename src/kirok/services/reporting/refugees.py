"""Refugees and forced repatriation: refoulement acts, refugee cases in custody in China,
and the escapee arrivals in South Korea (a public statistic)."""

from __future__ import annotations

from typing import Final

from kirok.domain.indicators import Direction, Indicator, assess, count_point
from kirok.domain.records import RefugeeCase, Statistic
from kirok.reports.model import Figure, IndicatorBlock, Section
from kirok.security import policy
from kirok.services.reporting.queries import (
    INDICATOR_YEARS,
    LOWER_BOUND_NOTE,
    LiveQueries,
    meets,
    year_span,
)
from kirok.store.repository import ListQuery

__all__ = [
    "ARRIVALS_SERIES",
    "arrivals",
    "arrivals_figure",
    "arrivals_indicator",
    "cases_in_china",
    "cases_in_china_figure",
    "refugees",
]

ARRIVALS_SERIES: Final = "escapee_arrivals_kr"

# Custody stages of a refugee case that are in China (see ``domain.refugee.STAGE_RANK``).
_CHINA_STAGES: Final = frozenset({"arrest_china", "detention_china", "handover"})


def refugees(queries: LiveQueries, year: int) -> Section:
    figures = [*queries.section_figures("refugees", year), cases_in_china_figure(queries, year)]
    notes = []
    arrived = arrivals_figure(queries, year)
    if arrived is not None:
        figures.append(arrived)
    else:
        notes.append(f"No arrival statistic for {year} is stored.")
    if queries.public:
        notes.append(LOWER_BOUND_NOTE)
    return Section(key="refugees", figures=figures, notes=notes)


def arrivals(queries: LiveQueries) -> dict[int, Statistic]:
    """The single-year escapee-arrival statistics, by year (combined periods left out)."""
    selection = ListQuery(
        "statistic", terms=[ARRIVALS_SERIES], confidentiality=queries.shown_levels
    )
    return {
        int(record.period): record
        for record in queries.listed(selection)
        if isinstance(record, Statistic) and record.period.isdigit()
    }


def arrivals_figure(queries: LiveQueries, year: int) -> Figure | None:
    found = arrivals(queries)
    now = found.get(year)
    if now is None:
        return None
    before = found.get(year - 1)
    return Figure(
        label="Escapees arriving in South Korea",
        value=now.value,
        previous=None if before is None else before.value,
        query=f"statistic series {ARRIVALS_SERIES}, period {year} "
        f"({now.citation or 'no citation recorded'})",
        citations=[queries.cite(now, None)],
    )


def arrivals_indicator(queries: LiveQueries, year: int) -> IndicatorBlock | None:
    found = arrivals(queries)
    years = [y for y in range(year - INDICATOR_YEARS + 1, year + 1) if y in found]
    if year not in years:
        return None
    indicator = Indicator.of(
        "arrivals",
        "Escapee arrivals in South Korea (count, 95 % Poisson interval)",
        Direction.HIGHER_IS_BETTER,
        [count_point(y, round(found[y].value)) for y in years],
    )
    return IndicatorBlock(indicator=indicator, assessment=assess(indicator, year))


def cases_in_china(
    queries: LiveQueries, year: int
) -> list[tuple[RefugeeCase, list[policy.Consent] | None]]:
    """Refugee cases with a custody step in China (arrest, detention, handover) whose dates
    meet ``year``; public: only cases whose person is the subject of information cleared
    for publication."""
    start, end = year_span(year)
    chosen = []
    for case in queries.records("refugee_case", queries.counted_levels):
        if not isinstance(case, RefugeeCase):
            continue
        if not any(
            step.stage in _CHINA_STAGES and meets(step.start_date, step.end_date, start, end)
            for step in case.steps
        ):
            continue
        subject = queries.index().by_subject.get(case.person_id, [])
        consents = queries.first_publishable(subject)
        if queries.public and consents is None:
            continue
        chosen.append((case, consents))
    return sorted(chosen, key=lambda pair: pair[0].id)


def cases_in_china_figure(queries: LiveQueries, year: int) -> Figure:
    cases = cases_in_china(queries, year)
    rule = (
        "only cases whose person is the subject of information that may be published"
        if queries.public
        else f"confidentiality up to {queries.clearance.value}"
    )
    return Figure(
        label="Refugee cases in custody in China (arrest, detention or handover)",
        value=len(cases),
        previous=len(cases_in_china(queries, year - 1)),
        query=f"refugee cases with a custody step {', '.join(sorted(_CHINA_STAGES))} "
        f"dated in {year}, {rule}",
        citations=[queries.cite(case, consents) for case, consents in cases],
    )
