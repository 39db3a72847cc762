"""The annual country report from live records: every number is a query run now, with the
audience's access and consent rules.

The queries live in :mod:`kirok.services.reporting`, one module per family of sections; the
counting and consent rules they all follow are stated once in
:mod:`kirok.services.reporting.queries`. This module runs them in one read transaction and
assembles the :class:`~kirok.reports.model.ReportData`.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from kirok.domain.indicators import Direction
from kirok.domain.records import Confidentiality
from kirok.reports.model import Audience, PreviousReport, ReportData
from kirok.security.policy import PseudonymSource
from kirok.services.reporting import actions, detention, estimates, refugees
from kirok.services.reporting.acts import ACT_QUERIES, ActQuery, query
from kirok.services.reporting.civil_liberties import civil_liberties
from kirok.services.reporting.consent import consent_of
from kirok.services.reporting.deprivation_of_life import (
    deprivation_of_life,
    disappearance,
    torture,
)
from kirok.services.reporting.queries import LiveQueries
from kirok.services.reporting.religious_freedom import religious_freedom
from kirok.services.reporting.trafficking import trafficking
from kirok.store.repository import RecordStore

__all__ = [
    "ACT_QUERIES",
    "COUNTRIES",
    "ActQuery",
    "LiveQueries",
    "build_report",
    "consent_of",
]

#: Countries a report can be made for: code -> (English name, name in Korean).
COUNTRIES: Final = {
    "KP": ("Democratic People's Republic of Korea", "조선민주주의인민공화국"),
}


def build_report(
    store: RecordStore,
    *,
    country: str,
    year: int,
    audience: Audience,
    pseudonyms: PseudonymSource,
    generated_on: date,
    clearance: Confidentiality = Confidentiality.CONFIDENTIAL,
    previous_report: PreviousReport | None = None,
) -> ReportData:
    """Run every query of the report for ``audience`` and assemble its :class:`ReportData`.

    ``generated_on`` is also the date on which consents are judged (a consent revoked before
    it no longer clears anything). ``previous_report``: the numbers the previous year's report
    published, to compare with the same queries run now
    (``kirok.services.publishing.previous_report``).
    """
    code = country.upper()
    if code not in COUNTRIES:
        raise ValueError(f"no report is defined for country {country!r}")
    name, korean = COUNTRIES[code]
    with store.read() as uow:
        queries = LiveQueries(uow, audience, pseudonyms, on_date=generated_on, clearance=clearance)
        designations = actions.designations(queries, code, year)
        estimated = estimates.estimates(queries, year)
        sections = [
            deprivation_of_life(queries, year),
            disappearance(queries, year),
            torture(queries, year),
            detention.detention(queries, year, estimated),
            civil_liberties(queries, year),
            refugees.refugees(queries, year),
            religious_freedom(queries, year, designations),
            trafficking(queries, year, designations),
        ]
        indicators = [
            queries.indicator(query("executions"), year, Direction.LOWER_IS_BETTER),
            queries.indicator(query("forced_repatriation"), year, Direction.LOWER_IS_BETTER),
        ]
        if estimated.indicator is not None:
            indicators.append(estimated.indicator)
        arrivals = refugees.arrivals_indicator(queries, year)
        if arrivals is not None:
            indicators.append(arrivals)
        record = actions.record_of_actions(queries, year, designations)
        camps = detention.camps(queries)
    return ReportData(
        country=code,
        country_name=name,
        year=year,
        audience=audience,
        title=f"{name} {year} Human Rights Report",
        subtitle=f"{korean} {year}년 인권 보고서",
        generated_on=generated_on,
        previous_year=year - 1,
        sections=sections,
        actions=record,
        indicators=indicators,
        camps=camps,
        previous_report=previous_report,
    )
