"""A sample report from the shipped public facts and a few invented records.

Used by the tests and by ``docs/how-to/report.md`` to show every part of a report before a
database exists. The documented-case counts here are invented and say so in their query text;
the designations, votes, camps and arrivals are the sourced public tables.
"""

from __future__ import annotations

from datetime import date

from kirok.domain.indicators import Direction, Indicator, Point, assess, count_point
from kirok.domain.records import Confidentiality, Event, Intervention, SanctionEntry
from kirok.domain.tracker import sanctions_in_force
from kirok.reports import public_data
from kirok.reports.model import (
    SECTIONS,
    Audience,
    Citation,
    Estimate,
    Figure,
    IndicatorBlock,
    RecordOfActions,
    ReportData,
    Section,
)

__all__ = ["sample_report"]

# Invented documented acts: (section, label, count this year, count last year, record ids).
_INVENTED: dict[str, tuple[str, int, int, list[str]]] = {
    "deprivation_of_life": ("Public executions documented", 3, 5, ["a-101", "a-102", "a-103"]),
    "disappearance": ("Enforced disappearances documented", 2, 2, ["a-201", "a-202"]),
    "torture": (
        "Acts of torture in pre-trial detention documented",
        4,
        6,
        ["a-301", "a-302", "a-303", "a-304"],
    ),
    "civil_liberties": ("Punishments for foreign media documented", 2, 1, ["a-501", "a-502"]),
    "refugees": (
        "Forced repatriations from China documented",
        5,
        3,
        ["a-601", "a-602", "a-603", "a-604", "a-605"],
    ),
}


def _cite(ids: list[str], audience: Audience) -> list[Citation]:
    if audience is Audience.PUBLIC:
        # Pseudonyms stand in for ids; the service derives them with the publication key.
        return [Citation(ref=f"W-{i.split('-')[1]}", publishable=True) for i in ids]
    return [Citation(ref=i, publishable=True) for i in ids]


def sample_report(audience: Audience = Audience.INTERNAL, year: int = 2025) -> ReportData:
    arrivals = public_data.arrivals()
    camps = public_data.camps()
    designations = [d for d in public_data.designations() if d.year <= year]
    figures: dict[str, list[Figure]] = {key: [] for key in SECTIONS}
    for key, (label, now, before, ids) in _INVENTED.items():
        figures[key].append(
            Figure(
                label=label,
                value=now,
                previous=before,
                query=f"acts in {year} of the type in this section, status verified "
                "(sample data: invented records)",
                citations=_cite(ids, audience),
            )
        )
    figures["refugees"].append(
        Figure(
            label="Escapees arriving in South Korea",
            value=arrivals[year],
            previous=arrivals.get(year - 1),
            query=f"public table defector_arrivals, year {year} (Ministry of Unification)",
            citations=[Citation(ref="public:defector_arrivals", publishable=True)],
        )
    )
    active = [c for c in camps if c.kind == "kwanliso" and c.status.startswith("active")]
    figures["detention"] += [
        Figure(
            label="Political prison camps (kwanliso) reported active",
            value=len(active),
            query="public table camps, type kwanliso, status active",
            citations=[Citation(ref="public:camps", publishable=True)],
        ),
        Figure(
            label="Estimated population of political prison camps",
            value=80_000,
            previous=80_000,
            query="sum of camp population estimates (sample: illustrative interval)",
            estimate=Estimate(
                lower=80_000,
                upper=120_000,
                level=0.9,
                method="range of published NGO estimates, not a model",
            ),
            citations=[Citation(ref="public:camps", publishable=True)],
        ),
    ]
    cpc = [d for d in designations if d.program == "religious_freedom_cpc"]
    tiers = [d for d in designations if d.program == "trafficking_tier"]
    figures["religious_freedom"].append(
        Figure(
            label="Years designated a Country of Particular Concern since 2001",
            value=len(cpc),
            query=f"designations, programme religious_freedom_cpc, years up to {year}",
            citations=[Citation(ref=d.id, publishable=True) for d in cpc[-3:]],
        )
    )
    figures["trafficking"].append(
        Figure(
            label="Years ranked Tier 3 since 2003",
            value=len(tiers),
            query=f"designations, programme trafficking_tier, status Tier 3, up to {year}",
            citations=[Citation(ref=d.id, publishable=True) for d in tiers[-3:]],
        )
    )
    sections = [
        Section(
            key=key,
            figures=figures[key],
            notes=["Korean names are kept as written: 관리소, 교화소, 집결소."]
            if key == "detention"
            else [],
        )
        for key in SECTIONS
    ]
    arrivals_indicator = Indicator.of(
        "arrivals",
        "Escapee arrivals in South Korea (count, 95 % Poisson interval)",
        Direction.HIGHER_IS_BETTER,
        [count_point(y, n) for y, n in arrivals.items() if y >= 2015 and y <= year],
    )
    executions = Indicator.of(
        "executions",
        "Documented executions (sample data)",
        Direction.LOWER_IS_BETTER,
        [count_point(year - 2, 4), count_point(year - 1, 5), count_point(year, 3)],
    )
    population = Indicator.of(
        "camp_population",
        "Estimated camp population (sample interval)",
        Direction.LOWER_IS_BETTER,
        [
            Point(year - 1, 80_000, 80_000, 120_000, 0.9, "NGO range"),
            Point(year, 80_000, 80_000, 120_000, 0.9, "NGO range"),
        ],
    )
    intervention = Intervention(
        id="public-intervention-1",
        intervention_type="urgent_appeal",
        addressee="Government of the People's Republic of China",
        request="Halt the forced return of detained North Koreans; respect non-refoulement.",
        date=f"{year}-03-01",
        confidentiality=Confidentiality.PUBLIC,
    )
    sanctions = [
        SanctionEntry(
            id="public-sanction-1",
            program="US Treasury OFAC SDN",
            listed_name="Ministry of State Security",
            listed_on="2016-07-06",
            basis="human-rights designation (sample record)",
            confidentiality=Confidentiality.PUBLIC,
        )
    ]
    event = Event(
        id="public-event-1",
        title="Conference on forced repatriation from China (sample record)",
        start_date=f"{year}-06",
        confidentiality=Confidentiality.PUBLIC,
    )
    return ReportData(
        country="KP",
        country_name="Democratic People's Republic of Korea",
        year=year,
        audience=audience,
        title=f"Democratic People's Republic of Korea {year} Human Rights Report",
        subtitle=f"조선민주주의인민공화국 {year}년 인권 보고서",
        generated_on=date(year + 1, 1, 15),
        previous_year=year - 1,
        sections=sections,
        actions=RecordOfActions(
            designations=designations,
            resolutions=public_data.resolutions(),
            interventions=[intervention],
            sanctions=sanctions_in_force(sanctions, date(year, 12, 31)),
            events=[event],
        ),
        indicators=[
            IndicatorBlock(indicator=ind, assessment=assess(ind, year))
            for ind in (executions, arrivals_indicator, population)
        ],
        camps=camps,
    )
