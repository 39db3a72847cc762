"""Religious freedom: acts of persecution for belief, and the religious-freedom designations
(Country of Particular Concern) from the policy tracker."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from kirok.domain.records import Designation
from kirok.reports.model import Section
from kirok.services.reporting.actions import designation_years_figure, in_force_notes
from kirok.services.reporting.queries import LiveQueries

__all__ = ["CPC_PROGRAM", "religious_freedom"]

CPC_PROGRAM: Final = "religious_freedom_cpc"


def religious_freedom(
    queries: LiveQueries, year: int, designations: Sequence[Designation]
) -> Section:
    figures = queries.section_figures("religious_freedom", year)
    figures.append(
        designation_years_figure(
            queries,
            designations,
            CPC_PROGRAM,
            "Years designated a Country of Particular Concern",
            year,
        )
    )
    return Section(
        key="religious_freedom",
        figures=figures,
        notes=in_force_notes(designations, CPC_PROGRAM, year),
    )
