"""The policy tracker: what was in force on a date, per programme, and how votes moved.

Pure functions over :class:`~kirok.domain.records.Designation`,
:class:`~kirok.domain.records.Resolution` and :class:`~kirok.domain.records.SanctionEntry`; the
service layer fetches the records (with the caller's access rules) and hands them in.

Time-versioning rules, stated once:

* A **designation** for year *Y* holds from its ``designated_on`` date (or 1 January *Y* when
  the date is unknown) until the next designation of the same country under the same programme
  takes effect. The latest one holds until superseded, so "in force today" is the latest
  designation whose start is not in the future.
* A **sanctions entry** holds from ``listed_on`` until ``delisted_on``. Both are EDTF text and
  may be partial ("2016", "2017-03"). :func:`sanction_in_force` answers with three values: *yes*
  (the date lies inside every reading of the range), *no* (outside every reading) and *possibly*
  (the answer depends on which day the partial date stands for). "In force" lists use *yes* only;
  a caller that wants the wide reading asks for *possibly* too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from kirok.domain.dates import parse_date
from kirok.domain.records import Designation, Resolution, SanctionEntry

__all__ = [
    "DesignationPeriod",
    "InForce",
    "VotePoint",
    "consecutive_years",
    "designation_timeline",
    "designations_in_force",
    "sanction_in_force",
    "sanctions_in_force",
    "vote_series",
]


def designation_start(designation: Designation) -> date:
    """The day a designation takes effect: its own date, else the start of its year."""
    return designation.designated_on or date(designation.year, 1, 1)


@dataclass(frozen=True)
class DesignationPeriod:
    """One designation and the days it held: ``[start, end)``; ``end`` None while in force."""

    designation: Designation
    start: date
    end: date | None

    def holds_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


def designation_timeline(
    designations: Iterable[Designation],
) -> dict[tuple[str, str], list[DesignationPeriod]]:
    """Per (country, programme), the designations in order with the period each held.

    Two designations with the same start (a correction entered twice) keep the one with the
    later year, then the higher record version, so the timeline never has overlapping periods.
    """
    groups: dict[tuple[str, str], list[Designation]] = defaultdict(list)
    for d in designations:
        groups[(d.country.upper(), d.program)].append(d)
    timeline: dict[tuple[str, str], list[DesignationPeriod]] = {}
    for key, items in sorted(groups.items()):
        by_start: dict[date, Designation] = {}
        for d in items:
            start = designation_start(d)
            kept = by_start.get(start)
            if kept is None or (d.year, d.version) > (kept.year, kept.version):
                by_start[start] = d
        starts = sorted(by_start)
        periods = []
        for i, start in enumerate(starts):
            end = starts[i + 1] if i + 1 < len(starts) else None
            periods.append(DesignationPeriod(by_start[start], start, end))
        timeline[key] = periods
    return timeline


def designations_in_force(
    designations: Iterable[Designation], on: date, *, country: str | None = None
) -> list[Designation]:
    """The designation in force on ``on`` for each (country, programme), sorted by programme."""
    result: list[Designation] = []
    for (ctry, _program), periods in designation_timeline(designations).items():
        if country is not None and ctry != country.upper():
            continue
        result.extend(p.designation for p in periods if p.holds_on(on))
    return result


def consecutive_years(
    designations: Iterable[Designation],
    *,
    program: str,
    year: int,
    holds: Callable[[Designation], bool],
    country: str | None = None,
) -> list[Designation]:
    """The unbroken run of yearly designations under ``program`` that ends in ``year``: one
    per year, each satisfying ``holds`` (e.g. "ranked Tier 3"), newest first.

    A year with no designation, or whose designations all fail ``holds``, ends the run: "12
    consecutive years" must not bridge a year the sources do not show.
    """
    by_year: dict[int, Designation] = {}
    for d in designations:
        if d.program != program or (country is not None and d.country.upper() != country.upper()):
            continue
        if holds(d) and (d.year not in by_year or d.version > by_year[d.year].version):
            by_year[d.year] = d
    run: list[Designation] = []
    while year in by_year:
        run.append(by_year[year])
        year -= 1
    return run


class InForce(StrEnum):
    YES = "yes"
    NO = "no"
    POSSIBLY = "possibly"


def sanction_in_force(entry: SanctionEntry, on: date) -> InForce:
    """Whether a sanctions entry held on ``on``, given partial listing and delisting dates.

    An entry with no ``listed_on`` is treated as listed since an unknown day: it is *possibly*
    in force before its delisting, never *yes*, because we cannot show when it started.
    """
    if entry.listed_on:
        listed = parse_date(entry.listed_on)
        surely_started = listed.latest <= on
        maybe_started = listed.earliest <= on
    else:
        surely_started, maybe_started = False, True
    if entry.delisted_on:
        delisted = parse_date(entry.delisted_on)
        # Delisted on day X: no longer in force on X.
        surely_not_ended = on < delisted.earliest
        maybe_not_ended = on < delisted.latest
    else:
        surely_not_ended = maybe_not_ended = True
    if surely_started and surely_not_ended:
        return InForce.YES
    if maybe_started and maybe_not_ended:
        return InForce.POSSIBLY
    return InForce.NO


def sanctions_in_force(
    entries: Iterable[SanctionEntry], on: date, *, include_possible: bool = False
) -> list[SanctionEntry]:
    """The entries in force on ``on`` (only the certain ones unless ``include_possible``)."""
    wanted = {InForce.YES, InForce.POSSIBLY} if include_possible else {InForce.YES}
    chosen = [e for e in entries if sanction_in_force(e, on) in wanted]
    return sorted(chosen, key=lambda e: (e.program, e.listed_name, e.id))


@dataclass(frozen=True)
class VotePoint:
    """One resolution in a vote series. ``recorded`` False: adopted without a vote (consensus);
    counts are then None, and a recorded vote may still miss counts the sources did not give."""

    year: int
    body: str
    symbol: str | None  # None where the symbol was not confirmed
    adopted: bool
    recorded: bool
    yes: int | None
    no: int | None
    abstain: int | None
    resolution_id: str

    @property
    def label(self) -> str:
        if not self.recorded:
            return "adopted without a vote" if self.adopted else "not adopted (no vote)"

        if self.yes is None and self.no is None and self.abstain is None:
            return "tally not verified"

        def show(n: int | None) -> str:
            return "?" if n is None else str(n)

        return f"{show(self.yes)}–{show(self.no)}–{show(self.abstain)}"


def resolution_year(resolution: Resolution) -> int | None:
    if not resolution.adopted_on:
        return None
    return parse_date(resolution.adopted_on).earliest.year


def vote_series(resolutions: Sequence[Resolution]) -> dict[str, list[VotePoint]]:
    """Per body, the resolutions in date order with their yes/no/abstain counts.

    Resolutions without an adoption date cannot be placed on the axis and are left out.
    """
    series: dict[str, list[tuple[date, VotePoint]]] = defaultdict(list)
    for r in resolutions:
        if not r.adopted_on:
            continue
        when = parse_date(r.adopted_on).earliest
        vote = r.vote
        point = VotePoint(
            year=when.year,
            body=r.body,
            symbol=r.symbol,
            adopted=r.adopted,
            recorded=vote is not None,
            yes=vote.yes if vote else None,
            no=vote.no if vote else None,
            abstain=vote.abstain if vote else None,
            resolution_id=r.id,
        )
        series[r.body].append((when, point))
    return {
        body: [p for _, p in sorted(points, key=lambda item: (item[0], item[1].symbol or ""))]
        for body, points in sorted(series.items())
    }
