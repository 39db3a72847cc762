"""Sections counted from documented acts alone: arbitrary deprivation of life,
disappearance, and torture."""

from __future__ import annotations

from kirok.reports.model import Section
from kirok.services.reporting.queries import LOWER_BOUND_NOTE, LiveQueries

__all__ = ["disappearance", "deprivation_of_life", "torture"]


def _from_acts(queries: LiveQueries, key: str, year: int) -> Section:
    notes = [LOWER_BOUND_NOTE] if queries.public else []
    return Section(key=key, figures=queries.section_figures(key, year), notes=notes)


def deprivation_of_life(queries: LiveQueries, year: int) -> Section:
    """Executions and deaths in custody."""
    return _from_acts(queries, "deprivation_of_life", year)


def disappearance(queries: LiveQueries, year: int) -> Section:
    return _from_acts(queries, "disappearance", year)


def torture(queries: LiveQueries, year: int) -> Section:
    return _from_acts(queries, "torture", year)
