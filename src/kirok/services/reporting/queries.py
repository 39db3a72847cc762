"""The report's queries inside one read transaction, for one audience.

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

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import date
from typing import Final

from kirok.domain.dates import DateParseError, parse_date
from kirok.domain.indicators import Direction, Indicator, assess, count_point
from kirok.domain.records import Act, Confidentiality, Information, Record
from kirok.domain.vocabulary import load_vocabularies
from kirok.reports.model import Audience, Citation, Figure, IndicatorBlock
from kirok.security import policy
from kirok.security.policy import ConsentScope, PseudonymSource
from kirok.services.reporting.acts import ACT_QUERIES, ActQuery
from kirok.services.reporting.consent import ConsentIndex
from kirok.store.repository import ListQuery, UnitOfWork

__all__ = ["INDICATOR_YEARS", "LOWER_BOUND_NOTE", "LiveQueries", "meets", "year_span"]

INDICATOR_YEARS: Final = 5
_PAGE: Final = 500

#: Said in each public section whose numbers count acts.
LOWER_BOUND_NOTE: Final = (
    "Public edition: only acts whose supporting testimony may be published are counted, so "
    "these numbers are lower bounds of what was documented."
)


def year_span(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def meets(first: str | None, last: str | None, start: date, end: date) -> bool:
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


class LiveQueries:
    """The audience's rules, citations and the generic queries the section modules build on.

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
        self._consents: ConsentIndex | None = None

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

    @property
    def rule(self) -> str:
        """The audience's counting rule for acts, in words, for query texts."""
        if self.public:
            return "only acts supported by information whose consents allow publication"
        return f"confidentiality up to {self.clearance.value}"

    def index(self) -> ConsentIndex:
        if self._consents is None:
            self._consents = ConsentIndex.read(self.uow)
        return self._consents

    def publication_consents(self, act: Act) -> list[policy.Consent] | None:
        """The consents of the first supporting information cleared for publication, or None
        when no supporting information may be published."""
        return self.first_publishable(self.index().supporting(act))

    def first_publishable(self, infos: Iterable[Information]) -> list[policy.Consent] | None:
        index = self.index()
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

    # ------------------------------------------------------------------ reading

    def records(self, kind: str, levels: Sequence[Confidentiality]) -> Iterator[Record]:
        """Every record of ``kind`` at one of ``levels``."""
        wanted = set(levels)
        for record in self.uow.iter_kind(kind):
            if record.confidentiality in wanted:
                yield record

    def listed(self, query: ListQuery) -> Iterator[Record]:
        """Every record ``query`` selects, read page by page."""
        offset = 0
        while True:
            page = self.uow.list(replace(query, limit=_PAGE, offset=offset))
            yield from page
            if len(page) < _PAGE:
                return
            offset += _PAGE

    # ------------------------------------------------------------------ acts

    def act_types(self, query: ActQuery) -> frozenset[str]:
        ids: set[str] = set()
        for root in query.roots:
            ids |= self._acts_vocabulary.descendant_ids(root)
        return frozenset(ids)

    def _acts(self, query: ActQuery, year: int) -> Iterator[Act]:
        start, end = year_span(year)
        selection = ListQuery(
            "act",
            terms=sorted(self.act_types(query)),
            date_from=start,
            date_to=end,
            confidentiality=self.counted_levels,
        )
        for record in self.listed(selection):
            if isinstance(record, Act):
                yield record

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
        return Figure(
            label=query.label,
            value=len(acts),
            previous=self.act_count(query, year - 1),
            query=(
                f"acts of type {terms} or narrower, dated in {year} (span overlaps the year), "
                f"{self.rule}"
            ),
            citations=[self.cite(act, consents) for act, consents in acts],
        )

    def section_figures(self, section: str, year: int) -> list[Figure]:
        """The act figures of ``section``, in :data:`ACT_QUERIES` order."""
        return [self.act_figure(q, year) for q in ACT_QUERIES if q.section == section]

    def indicator(self, query: ActQuery, year: int, direction: Direction) -> IndicatorBlock:
        """The yearly counts of ``query`` over the last :data:`INDICATOR_YEARS` years, with
        the verdict for ``year``."""
        years = range(year - INDICATOR_YEARS + 1, year + 1)
        indicator = Indicator.of(
            query.key,
            f"{query.label} ({'publishable records only' if self.public else 'all records'})",
            direction,
            [count_point(y, self.act_count(query, y)) for y in years],
        )
        return IndicatorBlock(indicator=indicator, assessment=assess(indicator, year))
