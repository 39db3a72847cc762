"""The annual country report from live records: every number is a query run now, with the
audience's access and consent rules.

**What each audience counts.** A number is a count of stored records; which records count is
decided here and nowhere else in the report code:

- ``internal``: every live record up to the report's clearance (``CONFIDENTIAL`` by default;
  ``SECRET`` records are counted only if the clearance is raised explicitly). Citations are
  record ids. No sensitive field (testimony, names, contacts) is put in the report: only
  counts, ids and the non-sensitive fields of records of action.
- ``public``: the same query, but a documented act counts only if at least one piece of
  information supporting it (testimony about its event, or about its victim) is cleared for
  publication by ``security.policy.may_leave(..., "publication", on_date)`` with the consents
  that bear on that information: its own, and the person-level consents of its source and of
  the person it is about. ``family_at_risk`` on any of them blocks it. Citations are keyed
  pseudonyms (``Keyring.pseudonym``), never ids. Records of action (designations, resolutions,
  interventions, sanctions entries, events) are listed only when marked ``public``.

So a public number is a lower bound of the internal one, and the report says so in each
query text. Without a consent record nothing is published (default deny).

**Counting by year.** An act counts in year *Y* when its date span (earliest start to latest
end, from EDTF; see ``store.repository``) meets *Y*: a detention running from 2019 to 2024
counts in each of those years, an execution dated "2021" counts in 2021, one dated
"2020/2021" counts in both. Undated acts count in no year. The previous year is the same
query for *Y* − 1. Act types are counted with their narrower terms
(``Vocabulary.descendant_ids``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Final

from kirok.domain.dates import DateParseError, parse_date
from kirok.domain.indicators import Direction, Indicator, Point, assess, count_point
from kirok.domain.records import (
    Act,
    Confidentiality,
    Consent,
    Designation,
    EstimationRun,
    Event,
    Information,
    Intervention,
    LinkageRun,
    Person,
    Place,
    Record,
    RefugeeCase,
    Resolution,
    SanctionEntry,
    Statistic,
)
from kirok.domain.tracker import designations_in_force, resolution_year, sanctions_in_force
from kirok.domain.vocabulary import load_vocabularies
from kirok.estimation.histories import HistoryError, histories_from_records
from kirok.reports.model import (
    SECTIONS,
    Audience,
    Camp,
    Citation,
    Estimate,
    Figure,
    IndicatorBlock,
    RecordOfActions,
    ReportData,
    Section,
)
from kirok.security import policy
from kirok.security.policy import ConsentScope, PseudonymSource
from kirok.store.repository import ListQuery, RecordStore, UnitOfWork

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

# ESF list 4 (types of acts) and kirok's local terms under it; narrower terms count too.
_SUMMARY_EXECUTION: Final = "01010101000004"
_EXTRAJUDICIAL_EXECUTION: Final = "01010102000004"
_CAPITAL_PUNISHMENT: Final = "01010103000004"
_PUBLIC_EXECUTION: Final = "L4-PUBLIC-EXECUTION"
_DEATH_IN_CUSTODY: Final = "01010601000004"
_DISAPPEARANCE: Final = "03010300000004"
_TORTURE: Final = "02011111000004"
_DETENTION: Final = "03010200000004"
_FORCED_LABOUR: Final = "30010201000004"
_RELIGIOUS_PERSECUTION: Final = "L4-RELIGIOUS-PERSECUTION"
_REFOULEMENT: Final = "38010100000004"  # includes L4-FORCED-REPATRIATION

# ESF list 17 facility types (local terms) shown on the camp map.
_CAMP_TYPES: Final = {"L17-KWANLISO": "kwanliso", "L17-KYOHWASO": "kyohwaso"}

# Custody stages of a refugee case that are in China (see ``domain.refugee.STAGE_RANK``).
_CHINA_STAGES: Final = frozenset({"arrest_china", "detention_china", "handover"})

ARRIVALS_SERIES: Final = "escapee_arrivals_kr"
INDICATOR_YEARS: Final = 5
_PAGE: Final = 500


@dataclass(frozen=True)
class ActQuery:
    """One count of documented acts: the section it belongs to and the act types (with their
    narrower terms) it counts."""

    key: str
    section: str
    label: str
    roots: tuple[str, ...]


ACT_QUERIES: Final = (
    ActQuery(
        "executions",
        "deprivation_of_life",
        "Executions documented (summary, extrajudicial, judicial and public)",
        (_SUMMARY_EXECUTION, _EXTRAJUDICIAL_EXECUTION, _CAPITAL_PUNISHMENT, _PUBLIC_EXECUTION),
    ),
    ActQuery(
        "deaths_in_custody",
        "deprivation_of_life",
        "Deaths in detention or custody documented",
        (_DEATH_IN_CUSTODY,),
    ),
    ActQuery("disappearances", "disappearance", "Disappearances documented", (_DISAPPEARANCE,)),
    ActQuery("torture", "torture", "Acts of torture documented", (_TORTURE,)),
    ActQuery(
        "arbitrary_detention",
        "detention",
        "Arbitrary detentions documented (people held at any time in the year)",
        (_DETENTION,),
    ),
    ActQuery(
        "forced_labour",
        "detention",
        "Forced labour in detention documented",
        (_FORCED_LABOUR,),
    ),
    ActQuery(
        "religious_persecution",
        "religious_freedom",
        "Acts of persecution for religious belief documented",
        (_RELIGIOUS_PERSECUTION,),
    ),
    ActQuery(
        "forced_repatriation",
        "refugees",
        "Forced repatriations (refoulement) documented",
        (_REFOULEMENT,),
    ),
)


def consent_of(record: Consent) -> policy.Consent:
    """The policy's view of a stored consent record. Unknown scope names are dropped (they
    grant nothing); a consent without a date given is treated as never given."""
    scopes = frozenset(
        ConsentScope(s) for s in record.scopes if s in {c.value for c in ConsentScope}
    )
    given = record.given_on or date.max
    revoked = record.revoked_on
    if revoked is not None and revoked < given:
        revoked = given  # a revocation entered before the consent: it never held
    return policy.Consent(scopes, given, revoked, record.family_at_risk)


def _year_span(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def _meets(first: str | None, last: str | None, start: date, end: date) -> bool:
    """Whether the span of the EDTF dates ``first``..``last`` meets ``[start, end]``; an
    undated or unparseable span meets nothing."""
    try:
        spans = [parse_date(d) for d in (first, last) if d]
    except DateParseError:
        return False
    if not spans:
        return False
    return min(s.earliest for s in spans) <= end and max(s.latest for s in spans) >= start


def _levels(ceiling: Confidentiality) -> list[Confidentiality]:
    order = list(Confidentiality)
    return order[: order.index(ceiling) + 1]


@dataclass
class _ConsentIndex:
    """Which information supports which act, and which consents bear on each information."""

    by_event: dict[str, list[Information]] = field(default_factory=lambda: defaultdict(list))
    by_person: dict[str, list[Information]] = field(default_factory=lambda: defaultdict(list))
    #: Every information about a person, with or without an event.
    by_subject: dict[str, list[Information]] = field(default_factory=lambda: defaultdict(list))
    by_information: dict[str, list[policy.Consent]] = field(
        default_factory=lambda: defaultdict(list)
    )
    by_person_consent: dict[str, list[policy.Consent]] = field(
        default_factory=lambda: defaultdict(list)
    )

    @classmethod
    def read(cls, uow: UnitOfWork) -> _ConsentIndex:
        index = cls()
        for record in uow.iter_kind("information"):
            if not isinstance(record, Information):
                continue
            if record.person_id:
                index.by_subject[record.person_id].append(record)
            if record.event_id:
                index.by_event[record.event_id].append(record)
            elif record.person_id:
                index.by_person[record.person_id].append(record)
        for record in uow.iter_kind("consent"):
            if not isinstance(record, Consent):
                continue
            consent = consent_of(record)
            if record.information_id:
                index.by_information[record.information_id].append(consent)
            elif record.person_id:
                index.by_person_consent[record.person_id].append(consent)
        return index

    def supporting(self, act: Act) -> list[Information]:
        return [*self.by_event.get(act.event_id, []), *self.by_person.get(act.victim_id, [])]

    def consents(self, info: Information) -> list[policy.Consent]:
        people = {p for p in (info.source_person_id, info.person_id) if p}
        found = list(self.by_information.get(info.id, []))
        for person in sorted(people):
            found.extend(self.by_person_consent.get(person, []))
        return found


class LiveQueries:
    """The report's queries inside one read transaction, for one audience.

    Every ``*_figure`` method takes the year and returns a :class:`Figure` whose value is the
    query for that year and whose ``previous`` is the same query for the year before.
    """

    def __init__(
        self,
        uow: UnitOfWork,
        audience: Audience,
        pseudonyms: PseudonymSource,
        *,
        on_date: date,
        clearance: Confidentiality = Confidentiality.CONFIDENTIAL,
    ) -> None:
        if audience is Audience.PUBLIC and clearance is Confidentiality.SECRET:
            raise ValueError("a public report never counts secret records")
        self.uow = uow
        self.audience = audience
        self.pseudonyms = pseudonyms
        self.on_date = on_date
        self.clearance = clearance
        self._acts_vocabulary = load_vocabularies()["types_of_acts"]
        self._consents: _ConsentIndex | None = None

    # ------------------------------------------------------------------ rules

    @property
    def public(self) -> bool:
        return self.audience is Audience.PUBLIC

    @property
    def counted_levels(self) -> list[Confidentiality]:
        """Confidentiality levels of records that may be counted."""
        return _levels(self.clearance)

    @property
    def shown_levels(self) -> list[Confidentiality]:
        """Levels of records of action shown in full (public: only public records)."""
        return [Confidentiality.PUBLIC] if self.public else _levels(self.clearance)

    def _index(self) -> _ConsentIndex:
        if self._consents is None:
            self._consents = _ConsentIndex.read(self.uow)
        return self._consents

    def publication_consents(self, act: Act) -> list[policy.Consent] | None:
        """The consents of the first supporting information cleared for publication, or None
        when no supporting information may be published."""
        return self._first_publishable(self._index().supporting(act))

    def _first_publishable(self, infos: Iterable[Information]) -> list[policy.Consent] | None:
        index = self._index()
        for info in infos:
            consents = index.consents(info)
            if policy.may_leave(consents, ConsentScope.PUBLICATION, self.on_date):
                return consents
        return None

    def cite(self, record: Record, consents: Iterable[policy.Consent] | None) -> Citation:
        """An id (internal) or a pseudonym (public); public records keep their id."""
        public_record = record.confidentiality is Confidentiality.PUBLIC
        if public_record:
            return Citation(ref=record.id, publishable=True)
        ref = self.pseudonyms.pseudonym(record.kind, record.id) if self.public else record.id
        return Citation.checked(ref, consents or [], self.on_date)

    # ------------------------------------------------------------------ acts

    def act_types(self, query: ActQuery) -> frozenset[str]:
        ids: set[str] = set()
        for root in query.roots:
            ids |= self._acts_vocabulary.descendant_ids(root)
        return frozenset(ids)

    def _acts(self, query: ActQuery, year: int) -> Iterator[Act]:
        start, end = _year_span(year)
        offset = 0
        while True:
            page = self.uow.list(
                ListQuery(
                    "act",
                    terms=sorted(self.act_types(query)),
                    date_from=start,
                    date_to=end,
                    confidentiality=self.counted_levels,
                    limit=_PAGE,
                    offset=offset,
                )
            )
            for record in page:
                if isinstance(record, Act):
                    yield record
            if len(page) < _PAGE:
                return
            offset += _PAGE

    def acts(self, query: ActQuery, year: int) -> list[tuple[Act, list[policy.Consent] | None]]:
        """The acts the audience may count for ``query`` in ``year``, with the consents that
        cleared each for publication (None for internal acts not cleared)."""
        chosen = []
        for act in self._acts(query, year):
            consents = self.publication_consents(act)
            if self.public and consents is None:
                continue
            chosen.append((act, consents))
        return chosen

    def act_count(self, query: ActQuery, year: int) -> int:
        return len(self.acts(query, year))

    def act_figure(self, query: ActQuery, year: int) -> Figure:
        acts = self.acts(query, year)
        terms = ", ".join(query.roots)
        rule = (
            "only acts supported by information whose consents allow publication"
            if self.public
            else f"confidentiality up to {self.clearance.value}"
        )
        return Figure(
            label=query.label,
            value=len(acts),
            previous=self.act_count(query, year - 1),
            query=(
                f"acts of type {terms} or narrower, dated in {year} (span overlaps the year), "
                f"{rule}"
            ),
            citations=[self.cite(act, consents) for act, consents in acts],
        )

    # ------------------------------------------------------------------ public facts

    def arrivals(self) -> dict[int, Statistic]:
        """The single-year escapee-arrival statistics, by year (combined periods left out)."""
        found: dict[int, Statistic] = {}
        offset = 0
        while True:
            page = self.uow.list(
                ListQuery(
                    "statistic",
                    terms=[ARRIVALS_SERIES],
                    confidentiality=self.shown_levels,
                    limit=_PAGE,
                    offset=offset,
                )
            )
            for record in page:
                if isinstance(record, Statistic) and record.period.isdigit():
                    found[int(record.period)] = record
            if len(page) < _PAGE:
                return found
            offset += _PAGE

    def arrivals_figure(self, year: int) -> Figure | None:
        arrivals = self.arrivals()
        now = arrivals.get(year)
        if now is None:
            return None
        before = arrivals.get(year - 1)
        return Figure(
            label="Escapees arriving in South Korea",
            value=now.value,
            previous=None if before is None else before.value,
            query=f"statistic series {ARRIVALS_SERIES}, period {year} "
            f"({now.citation or 'no citation recorded'})",
            citations=[self.cite(now, None)],
        )

    def _all(self, kind: str, levels: Sequence[Confidentiality]) -> Iterator[Record]:
        wanted = set(levels)
        for record in self.uow.iter_kind(kind):
            if record.confidentiality in wanted:
                yield record

    def designations(self, country: str, year: int) -> list[Designation]:
        found = [
            r
            for r in self._all("designation", self.shown_levels)
            if isinstance(r, Designation) and r.country.upper() == country and r.year <= year
        ]
        return sorted(found, key=lambda d: (d.program, d.year, d.id))

    def designation_years_figure(
        self, designations: Sequence[Designation], program: str, label: str, year: int
    ) -> Figure:
        chosen = [d for d in designations if d.program == program]
        return Figure(
            label=label,
            value=len({d.year for d in chosen if d.year <= year}),
            previous=len({d.year for d in chosen if d.year <= year - 1}),
            query=f"designations, programme {program}, distinct years up to {year}",
            citations=[self.cite(d, None) for d in chosen],
        )

    def resolutions(self, year: int) -> list[Resolution]:
        found = []
        for r in self._all("resolution", self.shown_levels):
            if isinstance(r, Resolution):
                adopted = resolution_year(r)
                if adopted is not None and adopted <= year:
                    found.append(r)
        return sorted(found, key=lambda r: (r.adopted_on or "", r.body, r.id))

    def interventions(self, year: int) -> list[Intervention]:
        start, end = _year_span(year)
        found: list[Intervention] = []
        offset = 0
        while True:
            page = self.uow.list(
                ListQuery(
                    "intervention",
                    date_from=start,
                    date_to=end,
                    confidentiality=self.shown_levels,
                    limit=_PAGE,
                    offset=offset,
                )
            )
            found.extend(r for r in page if isinstance(r, Intervention))
            if len(page) < _PAGE:
                break
            offset += _PAGE
        return sorted(found, key=lambda i: (i.date or "", i.id))

    def sanctions(self, year: int) -> list[SanctionEntry]:
        entries = [
            r
            for r in self._all("sanction_entry", self.shown_levels)
            if isinstance(r, SanctionEntry)
        ]
        return sanctions_in_force(entries, date(year, 12, 31))

    def action_events(self, year: int) -> list[Event]:
        """Conferences, programmes and other actions: events in the year with no violation
        status and no act attached (an event with acts is a violation, not an action)."""
        start, end = _year_span(year)
        found: list[Event] = []
        offset = 0
        while True:
            page = self.uow.list(
                ListQuery(
                    "event",
                    date_from=start,
                    date_to=end,
                    confidentiality=self.shown_levels,
                    limit=_PAGE,
                    offset=offset,
                )
            )
            for record in page:
                if (
                    isinstance(record, Event)
                    and record.violation_status is None
                    and not self.uow.referrers(record.id, "act")
                ):
                    found.append(record)
            if len(page) < _PAGE:
                break
            offset += _PAGE
        return sorted(found, key=lambda e: (e.start_date or "", e.id))

    def camps(self) -> list[Camp]:
        camps = []
        for record in self._all("place", [Confidentiality.PUBLIC]):
            if isinstance(record, Place) and record.facility_type in _CAMP_TYPES:
                name = _latin_name(record)
                closed = f"closed {record.valid_to}" if record.valid_to else "no closure recorded"
                camps.append(
                    Camp(
                        name=name,
                        kind=_CAMP_TYPES[record.facility_type],
                        lat=record.lat,
                        lon=record.lon,
                        status=closed,
                    )
                )
        return sorted(camps, key=lambda c: (c.kind, c.name))

    def arrivals_indicator(self, year: int) -> IndicatorBlock | None:
        arrivals = self.arrivals()
        years = [y for y in range(year - INDICATOR_YEARS + 1, year + 1) if y in arrivals]
        if year not in years:
            return None
        indicator = Indicator.of(
            "arrivals",
            "Escapee arrivals in South Korea (count, 95 % Poisson interval)",
            Direction.HIGHER_IS_BETTER,
            [count_point(y, round(arrivals[y].value)) for y in years],
        )
        return IndicatorBlock(indicator=indicator, assessment=assess(indicator, year))

    def cases_in_china(self, year: int) -> list[tuple[RefugeeCase, list[policy.Consent] | None]]:
        """Refugee cases with a custody step in China (arrest, detention, handover) whose dates
        meet ``year``; public: only cases whose person is the subject of information cleared
        for publication."""
        start, end = _year_span(year)
        chosen = []
        for case in self._all("refugee_case", self.counted_levels):
            if not isinstance(case, RefugeeCase):
                continue
            if not any(
                step.stage in _CHINA_STAGES and _meets(step.start_date, step.end_date, start, end)
                for step in case.steps
            ):
                continue
            consents = self._first_publishable(self._index().by_subject.get(case.person_id, []))
            if self.public and consents is None:
                continue
            chosen.append((case, consents))
        return sorted(chosen, key=lambda pair: pair[0].id)

    def cases_in_china_figure(self, year: int) -> Figure:
        cases = self.cases_in_china(year)
        rule = (
            "only cases whose person is the subject of information that may be published"
            if self.public
            else f"confidentiality up to {self.clearance.value}"
        )
        return Figure(
            label="Refugee cases in custody in China (arrest, detention or handover)",
            value=len(cases),
            previous=len(self.cases_in_china(year - 1)),
            query=f"refugee cases with a custody step {', '.join(sorted(_CHINA_STAGES))} "
            f"dated in {year}, {rule}",
            citations=[self.cite(case, consents) for case, consents in cases],
        )

    def latest_linkage(self) -> LinkageRun | None:
        runs = [r for r in self.uow.iter_kind("linkage_run") if isinstance(r, LinkageRun)]
        if not runs:
            return None
        return max(runs, key=lambda r: (r.created_at is not None, r.created_at, r.id))

    def stored_estimates(self) -> list[EstimationRun]:
        """Stored estimation runs the audience may see (public: only runs marked public, i.e.
        an analyst decided the estimate may be published), oldest first."""
        runs = [
            r
            for r in self._all("estimation_run", self.shown_levels)
            if isinstance(r, EstimationRun)
        ]
        return sorted(runs, key=lambda r: (r.created_at is not None, r.created_at, r.id))

    def stored_figure(self, run: EstimationRun, label: str, previous: float | None) -> Figure:
        """A figure from a stored run; it must have an interval (a number without one is not
        shown as if it were exact)."""
        if run.ci_lower is None or run.ci_upper is None:
            raise ValueError(f"estimation run {run.id} has no interval")
        act_term = run.result.get("act_term")
        return Figure(
            label=label,
            value=round(run.estimate),
            previous=previous,
            query=(
                f"stored estimation run {run.id} on linkage run {run.linkage_run_id}: "
                f"{run.n_observed} documented victims"
                + (f" of acts of type {act_term} or narrower" if act_term else "")
                + (f", stratum {run.stratum}" if run.stratum else "")
            ),
            estimate=Estimate(
                lower=math.floor(run.ci_lower),
                upper=math.ceil(run.ci_upper),
                level=float(run.result.get("ci_level", 0.95)),
                method=f"{run.method} {run.model} ({run.result.get('ci_method', 'interval')})",
            ),
            citations=[self.cite(run, None)],
        )

    def estimates(self, year: int) -> tuple[list[Figure], list[str], IndicatorBlock | None]:
        """Estimates of victims, documented or not: the latest stored overall run (else, for
        the internal edition, one computed now), the stored run for ``year`` when runs by year
        exist, and an indicator from the stored yearly runs."""
        runs = self.stored_estimates()
        figures: list[Figure] = []
        notes: list[str] = []
        overall = [r for r in runs if r.stratum is None]
        yearly = {r.stratum: r for r in runs if r.result.get("by") == "year" and r.stratum}
        if overall and overall[-1].ci_lower is not None and overall[-1].ci_upper is not None:
            run = overall[-1]
            label = "Victims since records begin, documented or not (estimate)"
            figures.append(self.stored_figure(run, label, None))
            notes += [f"Estimate: {w}." for w in run.result.get("warnings", [])]
        elif overall:
            notes.append(f"Estimation run {overall[-1].id} has no bounded interval: not shown.")
        else:
            figure, more = self.detained_estimate()
            figures += [figure] if figure is not None else []
            notes += more
        this, before = yearly.get(str(year)), yearly.get(str(year - 1))
        if this is not None and this.ci_lower is not None and this.ci_upper is not None:
            figures.append(
                self.stored_figure(
                    this,
                    f"Victims of acts that began in {year}, documented or not (estimate)",
                    None if before is None else round(before.estimate),
                )
            )
        points = []
        for y in range(year - INDICATOR_YEARS + 1, year + 1):
            got = yearly.get(str(y))
            if got is None or got.ci_lower is None or got.ci_upper is None:
                continue
            if got.ci_lower <= got.estimate <= got.ci_upper:
                level = float(got.result.get("ci_level", 0.95))
                points.append(Point(y, got.estimate, got.ci_lower, got.ci_upper, level, got.method))
        indicator = None
        if points:
            series = Indicator.of(
                "victims_estimate",
                "Victims of acts that began each year, documented or not (estimate)",
                Direction.LOWER_IS_BETTER,
                points,
            )
            indicator = IndicatorBlock(indicator=series, assessment=assess(series, year))
        return figures, notes, indicator

    def detained_estimate(self) -> tuple[Figure | None, list[str]]:
        """People ever detained, documented or not: log-linear multiple systems estimation on
        the latest linkage run's clusters (one cluster is one person; the lists are the
        records' sources), over victims of detention acts the audience may count.

        Internal edition only: the estimate rests on every record, including those not cleared
        for publication, and an estimate from only the publishable ones would be biased (consent
        would act as one more capture filter). Returns the figure (or None) and notes saying why.
        """
        if self.public:
            return None, [
                "No estimate of people detained, documented or not, is marked for publication: "
                "it rests on records not cleared for publication and is in the internal "
                "edition only."
            ]
        run = self.latest_linkage()
        if run is None:
            return None, ["No linkage run is stored, so no estimate is made: run `kirok link run`."]
        detention = next(q for q in ACT_QUERIES if q.key == "arbitrary_detention")
        types = self.act_types(detention)
        victims = {
            a.victim_id
            for a in self._all("act", self.counted_levels)
            if isinstance(a, Act) and a.act_type in types
        }
        pairs = [
            (run.clusters[p.id], p.source)
            for p in self._all("person", self.counted_levels)
            if isinstance(p, Person) and p.id in victims and p.id in run.clusters and p.source
        ]
        try:
            histories = histories_from_records(pairs)
        except (HistoryError, ValueError) as error:
            return None, [
                f"No estimate: the linked records do not form capture histories ({error})."
            ]
        from kirok.estimation.estimate import estimate_loglinear  # scipy fits: load on use

        result = estimate_loglinear(histories)
        notes = [f"Estimate: {w}." for w in result.warnings]
        if result.ci_lower is None or result.ci_upper is None:
            notes.append(
                f"No estimate is shown: the {result.ci_level:.0%} interval of model "
                f"{result.model} is not bounded."
            )
            return None, notes
        figure = Figure(
            label="People detained since records begin, documented or not (estimate)",
            value=round(result.estimate),
            query=(
                f"victims of detention acts, clustered by linkage run {run.id}; "
                f"{result.n_observed} documented people on {len(histories.lists)} lists "
                f"({', '.join(histories.lists)})"
            ),
            estimate=Estimate(  # whole people, rounded outwards: never narrower than computed
                lower=math.floor(result.ci_lower),
                upper=math.ceil(result.ci_upper),
                level=result.ci_level,
                method=f"log-linear model {result.model} ({result.ci_method})",
            ),
            citations=[self.cite(run, None)],
        )
        return figure, notes

    def indicator(self, query: ActQuery, year: int, direction: Direction) -> IndicatorBlock:
        years = range(year - INDICATOR_YEARS + 1, year + 1)
        indicator = Indicator.of(
            query.key,
            f"{query.label} ({'publishable records only' if self.public else 'all records'})",
            direction,
            [count_point(y, self.act_count(query, y)) for y in years],
        )
        return IndicatorBlock(indicator=indicator, assessment=assess(indicator, year))


def _latin_name(place: Place) -> str:
    """The English (else a romanised, else the first) name: chart labels are drawn with a font
    that has no Hangul, and the map must not lose a camp's label."""
    by_system = {n.system: n.text for n in place.names if n.script == "latin"}
    for system in ("english", "mr_ascii", "rr", "mr"):
        if system in by_system:
            return by_system[system]
    latin = [n.text for n in place.names if n.script == "latin"]
    return latin[0] if latin else place.id


def _sections(
    queries: LiveQueries,
    year: int,
    designations: list[Designation],
    estimated: tuple[list[Figure], list[str]],
) -> list[Section]:
    figures: dict[str, list[Figure]] = {key: [] for key in SECTIONS}
    notes: dict[str, list[str]] = {key: [] for key in SECTIONS}
    for query in ACT_QUERIES:
        figures[query.section].append(queries.act_figure(query, year))
    figures["refugees"].append(queries.cases_in_china_figure(year))
    arrivals = queries.arrivals_figure(year)
    if arrivals is not None:
        figures["refugees"].append(arrivals)
    else:
        notes["refugees"].append(f"No arrival statistic for {year} is stored.")
    figures["religious_freedom"].append(
        queries.designation_years_figure(
            designations,
            "religious_freedom_cpc",
            "Years designated a Country of Particular Concern",
            year,
        )
    )
    figures["trafficking"].append(
        queries.designation_years_figure(
            designations,
            "trafficking_tier",
            "Years ranked in the Trafficking in Persons Report",
            year,
        )
    )
    program_sections = {
        "religious_freedom_cpc": "religious_freedom",
        "trafficking_tier": "trafficking",
    }
    for d in designations_in_force(designations, date(year, 12, 31)):
        section = program_sections.get(d.program)
        if section:
            notes[section].append(
                f"In force on 31 December {year}: {d.program} {d.year}, {d.status} ({d.id})."
            )
    notes["civil_liberties"].append(
        "No act type is counted for this section yet: kirok's vocabulary has no civil-liberties "
        "terms in use in these records."
    )
    notes["trafficking"].append("Trafficking acts are not counted: no act type maps to them yet.")
    if queries.public:
        for key in ("deprivation_of_life", "torture", "detention", "refugees"):
            notes[key].append(
                "Public edition: only acts whose supporting testimony may be published are "
                "counted, so these numbers are lower bounds of what was documented."
            )
    estimates, estimate_notes = estimated
    figures["detention"] += estimates
    notes["detention"] += estimate_notes
    notes["detention"].append("Korean names are kept as written: 관리소, 교화소, 집결소.")
    return [Section(key=key, figures=figures[key], notes=notes[key]) for key in SECTIONS]


def build_report(
    store: RecordStore,
    *,
    country: str,
    year: int,
    audience: Audience,
    pseudonyms: PseudonymSource,
    generated_on: date,
    clearance: Confidentiality = Confidentiality.CONFIDENTIAL,
) -> ReportData:
    """Run every query of the report for ``audience`` and assemble its :class:`ReportData`.

    ``generated_on`` is also the date on which consents are judged (a consent revoked before
    it no longer clears anything).
    """
    code = country.upper()
    if code not in COUNTRIES:
        raise ValueError(f"no report is defined for country {country!r}")
    name, korean = COUNTRIES[code]
    with store.read() as uow:
        queries = LiveQueries(uow, audience, pseudonyms, on_date=generated_on, clearance=clearance)
        designations = queries.designations(code, year)
        estimates, estimate_notes, estimate_indicator = queries.estimates(year)
        sections = _sections(queries, year, designations, (estimates, estimate_notes))
        by_key = {q.key: q for q in ACT_QUERIES}
        indicators = [
            queries.indicator(by_key["executions"], year, Direction.LOWER_IS_BETTER),
            queries.indicator(by_key["forced_repatriation"], year, Direction.LOWER_IS_BETTER),
        ]
        if estimate_indicator is not None:
            indicators.append(estimate_indicator)
        arrivals = queries.arrivals_indicator(year)
        if arrivals is not None:
            indicators.append(arrivals)
        actions = RecordOfActions(
            designations=designations,
            resolutions=queries.resolutions(year),
            interventions=queries.interventions(year),
            sanctions=queries.sanctions(year),
            events=queries.action_events(year),
        )
        camps = queries.camps()
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
        actions=actions,
        indicators=indicators,
        camps=camps,
    )
