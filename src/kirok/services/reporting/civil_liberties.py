"""Civil liberties."""

from __future__ import annotations

from kirok.reports.model import Section
from kirok.services.reporting.queries import LiveQueries

__all__ = ["civil_liberties"]


def civil_liberties(queries: LiveQueries, year: int) -> Section:
    return Section(
        key="civil_liberties",
        figures=queries.section_figures("civil_liberties", year),
        notes=[
            "No act type is counted for this section yet: kirok's vocabulary has no "
            "civil-liberties terms in use in these records."
        ],
    )
