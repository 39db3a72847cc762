"""Trafficking in persons: trafficking, slavery and forced-marriage acts, forced labour for
the state, and the Trafficking in Persons Report tiers from the policy tracker."""

from __future__ import annotations

import re
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

__all__ = ["TIER_PROGRAM", "is_tier_3", "trafficking"]

TIER_PROGRAM: Final = "trafficking_tier"
_TIER_3: Final = re.compile(r"tier\s*3\b", re.IGNORECASE)


def is_tier_3(designation: Designation) -> bool:
    """Ranked Tier 3, the lowest tier ("Tier 2 Watch List" is not)."""
    return _TIER_3.match(designation.status.strip()) is not None


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
    figures.append(
        consecutive_years_figure(
            queries,
            designations,
            program=TIER_PROGRAM,
            holds=is_tier_3,
            what="ranked Tier 3",
            label="Consecutive years ranked Tier 3 (the lowest) in the Trafficking in Persons "
            "Report",
            year=year,
        )
    )
    notes = [LOWER_BOUND_NOTE] if queries.public else []
    notes += in_force_notes(designations, TIER_PROGRAM, year)
    return Section(key="trafficking", figures=figures, notes=notes)
