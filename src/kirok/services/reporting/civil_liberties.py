"""Civil liberties: violations of freedom of expression and information, association and
assembly, movement and residence, and privacy, and the punishment of people forcibly returned
for having left the country.

**Punished for leaving.** Leaving the DPRK without permission is a crime there, and people
returned from China are held and punished for it; the Country Reports count this under the
freedom to leave one's country. Few testimonies record that punishment as an act of its own
(``L4-PUNISHED-FOR-LEAVING``, counted in the movement figure); most record a forced return and
a detention of the same person. So this section also counts detentions, held in the year, of
people with a forced return dated in or before the year. Public edition: both the detention
and one forced return of that person must be cleared for publication, or the count would
reveal a return that is not.
"""

from __future__ import annotations

from datetime import date

from kirok.domain.records import Act
from kirok.reports.model import Figure, Section
from kirok.security import policy
from kirok.services.reporting.acts import query
from kirok.services.reporting.queries import LOWER_BOUND_NOTE, LiveQueries, meets

__all__ = ["civil_liberties", "detained_after_return", "detained_after_return_figure"]


def _returned_by(queries: LiveQueries, year: int) -> set[str]:
    """Victims with a forced return, dated in or before ``year``, the audience may count
    (public: one that may be published)."""
    types = queries.act_types(query("forced_repatriation"))
    victims = set()
    for act in queries.records("act", queries.counted_levels):
        if not isinstance(act, Act) or act.act_type not in types:
            continue
        if not meets(act.start_date, act.end_date, date.min, date(year, 12, 31)):
            continue
        if queries.public and queries.publication_consents(act) is None:
            continue
        victims.add(act.victim_id)
    return victims


def detained_after_return(
    queries: LiveQueries, year: int
) -> list[tuple[Act, list[policy.Consent] | None]]:
    """Detention acts held in ``year`` whose victim had been forcibly returned by then."""
    returned = _returned_by(queries, year)
    return [
        (act, consents)
        for act, consents in queries.acts(query("arbitrary_detention"), year)
        if act.victim_id in returned
    ]


def detained_after_return_figure(queries: LiveQueries, year: int) -> Figure:
    held = detained_after_return(queries, year)
    return Figure(
        label="Forcibly returned people held in detention (punished for leaving the country)",
        value=len(held),
        previous=len(detained_after_return(queries, year - 1)),
        query=(
            f"acts of type {', '.join(query('arbitrary_detention').roots)} or narrower dated in "
            f"{year}, whose victim has an act of type "
            f"{', '.join(query('forced_repatriation').roots)} or narrower dated in or before "
            f"{year}, {queries.rule}"
        ),
        citations=[queries.cite(act, consents) for act, consents in held],
    )


def civil_liberties(queries: LiveQueries, year: int) -> Section:
    figures = queries.section_figures("civil_liberties", year)
    figures.append(detained_after_return_figure(queries, year))
    notes = [LOWER_BOUND_NOTE] if queries.public else []
    notes.append(
        "Freedom of religion and belief is reported under religious freedom; forced returns "
        "themselves under refugees."
    )
    return Section(key="civil_liberties", figures=figures, notes=notes)
