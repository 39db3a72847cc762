"""Religious freedom: acts of persecution for belief, and the religious-freedom designations
(Country of Particular Concern) from the policy tracker."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from kirok.domain.records import Designation
from kirok.reports.model import Section
from kirok.services.reporting.actions import (
    consecutive_years_figure,
    designation_years_figure,
    in_force_notes,
)
from kirok.services.reporting.queries import LOWER_BOUND_NOTE, LiveQueries

__all__ = ["CPC_PROGRAM", "is_cpc", "religious_freedom"]

CPC_PROGRAM: Final = "religious_freedom_cpc"
# Statuses as the sources word them: "CPC", "designated (...)", "re-designated", or "in_effect
# (...)" for a year covered by a standing designation.
_CPC_STATUSES: Final = (
    "cpc",
    "designated",
    "re-designated",
    "redesignated",
    "in_effect",
    "in effect",
)


def is_cpc(designation: Designation) -> bool:
    """A designation that holds the country as a Country of Particular Concern that year."""
    return designation.status.strip().lower().startswith(_CPC_STATUSES)


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
    figures.append(
        consecutive_years_figure(
            queries,
            designations,
            program=CPC_PROGRAM,
            holds=is_cpc,
            what="status CPC",
            label="Consecutive years designated a Country of Particular Concern",
            year=year,
        )
    )
    notes = [LOWER_BOUND_NOTE] if queries.public else []
    notes += in_force_notes(designations, CPC_PROGRAM, year)
    return Section(key="religious_freedom", figures=figures, notes=notes)
