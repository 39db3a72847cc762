"""Trafficking in persons: the Trafficking in Persons Report tiers from the policy tracker."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from kirok.domain.records import Designation
from kirok.reports.model import Section
from kirok.services.reporting.actions import designation_years_figure, in_force_notes
from kirok.services.reporting.queries import LiveQueries

__all__ = ["TIER_PROGRAM", "trafficking"]

TIER_PROGRAM: Final = "trafficking_tier"


def trafficking(queries: LiveQueries, year: int, designations: Sequence[Designation]) -> Section:
    figures = queries.section_figures("trafficking", year)
    figures.append(
        designation_years_figure(
            queries,
            designations,
            TIER_PROGRAM,
            "Years ranked in the Trafficking in Persons Report",
            year,
        )
    )
    notes = in_force_notes(designations, TIER_PROGRAM, year)
    notes.append("Trafficking acts are not counted: no act type maps to them yet.")
    return Section(key="trafficking", figures=figures, notes=notes)
