"""Indicators of "concrete, verifiable, and sustained improvements", with honest verdicts.

An indicator is a yearly series (documented executions, forced repatriations, escapee arrivals,
estimated camp population). Every point carries an interval: an estimate brings its own, a count
of documented cases gets an exact Poisson interval (Garwood), which covers the year-to-year noise
of a process that happens at a steady rate.

**The rule for a verdict** (see ``docs/explanation/indicators.md``): a change between two years is
*verifiable* only when the two intervals do not overlap. This is deliberately conservative: for
two independent, roughly normal estimates with 95 % intervals, non-overlap corresponds to a
two-sided test at about the 0.6 % level, not 5 %. We accept missing a real but small change (we
say "no verifiable change") in exchange for almost never announcing an improvement that is noise,
because a false "improved" can be used to justify easing pressure on a government. The same rule
works for counts and for model estimates whose intervals are not symmetric, which a z-test
would not.

**Sustained** over *k* years means: each of the *k* consecutive years ending at the year assessed
is verifiably better than the baseline year just before them. A missing year breaks the run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from kirok.estimation.result import EstimationResult

__all__ = [
    "DEFAULT_LEVEL",
    "DEFAULT_SUSTAIN_YEARS",
    "Assessment",
    "Direction",
    "Indicator",
    "Point",
    "Verdict",
    "assess",
    "compare",
    "count_point",
    "estimate_point",
]

DEFAULT_LEVEL: Final = 0.95
DEFAULT_SUSTAIN_YEARS: Final = 3


@dataclass(frozen=True)
class Point:
    """One year's value with its interval ``[lower, upper]`` at ``level``."""

    year: int
    value: float
    lower: float
    upper: float
    level: float = DEFAULT_LEVEL
    method: str = "reported"

    def __post_init__(self) -> None:
        if not self.lower <= self.value <= self.upper:
            raise ValueError(
                f"{self.year}: value {self.value} outside [{self.lower}, {self.upper}]"
            )


def count_point(year: int, count: int, level: float = DEFAULT_LEVEL) -> Point:
    """A count with its exact (Garwood) Poisson interval."""
    if count < 0:
        raise ValueError("a count cannot be negative")
    alpha = 1 - level
    from scipy.stats import chi2  # imported here: scipy.stats takes a second to load

    lower = 0.0 if count == 0 else float(chi2.ppf(alpha / 2, 2 * count) / 2)
    upper = float(chi2.ppf(1 - alpha / 2, 2 * count + 2) / 2)
    return Point(year, float(count), lower, upper, level, "count, exact Poisson interval")


def estimate_point(year: int, result: EstimationResult) -> Point:
    """A point from an estimation run (e.g. a camp population by multiple-systems estimation).

    A run without an interval cannot support a verdict, so it is refused rather than shown as
    if it were exact.
    """
    if result.ci_lower is None or result.ci_upper is None:
        raise ValueError(f"estimate for {year} has no interval; it cannot be an indicator point")
    method = f"{result.method} {result.model}, {result.ci_method}"
    return Point(year, result.estimate, result.ci_lower, result.ci_upper, result.ci_level, method)


class Direction(StrEnum):
    LOWER_IS_BETTER = "lower_is_better"  # executions, repatriations, camp population
    HIGHER_IS_BETTER = "higher_is_better"


class Verdict(StrEnum):
    IMPROVED = "improved"
    WORSENED = "worsened"
    NO_VERIFIABLE_CHANGE = "no verifiable change"
    INSUFFICIENT_DATA = "insufficient data"


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    direction: Direction
    points: tuple[Point, ...]

    @classmethod
    def of(cls, key: str, label: str, direction: Direction, points: Iterable[Point]) -> Indicator:
        ordered = tuple(sorted(points, key=lambda p: p.year))
        years = [p.year for p in ordered]
        if len(set(years)) != len(years):
            raise ValueError(f"{key}: more than one point for a year")
        return cls(key, label, direction, ordered)

    def at(self, year: int) -> Point | None:
        return next((p for p in self.points if p.year == year), None)


def compare(before: Point, after: Point, direction: Direction) -> Verdict:
    """Improved / worsened only when the intervals do not overlap; else no verifiable change."""
    if after.upper < before.lower:
        went_down = True
    elif after.lower > before.upper:
        went_down = False
    else:
        return Verdict.NO_VERIFIABLE_CHANGE
    better = went_down == (direction is Direction.LOWER_IS_BETTER)
    return Verdict.IMPROVED if better else Verdict.WORSENED


@dataclass(frozen=True)
class Assessment:
    indicator: str
    year: int
    baseline_year: int
    verdict: Verdict
    #: True only when the verdict held for ``sustain_years`` consecutive years (see module doc).
    sustained: bool
    sustain_years: int
    rule: str = "non-overlapping intervals"

    @property
    def text(self) -> str:
        if self.verdict in (Verdict.IMPROVED, Verdict.WORSENED) and self.sustained:
            return f"{self.verdict.value}, sustained over {self.sustain_years} years"
        return self.verdict.value


def assess(
    indicator: Indicator,
    year: int,
    *,
    baseline_year: int | None = None,
    sustain_years: int = DEFAULT_SUSTAIN_YEARS,
) -> Assessment:
    """The verdict for ``year`` against ``baseline_year`` (default: the year before), and whether
    the same verdict was sustained over ``sustain_years`` consecutive years ending at ``year``
    against the year before that run."""
    if sustain_years < 1:
        raise ValueError("sustain_years must be at least 1")
    base = year - 1 if baseline_year is None else baseline_year
    before, after = indicator.at(base), indicator.at(year)
    if before is None or after is None:
        verdict = Verdict.INSUFFICIENT_DATA
    else:
        verdict = compare(before, after, indicator.direction)
    sustained = False
    if verdict in (Verdict.IMPROVED, Verdict.WORSENED):
        run_base = indicator.at(year - sustain_years)
        run = [indicator.at(y) for y in range(year - sustain_years + 1, year + 1)]
        sustained = run_base is not None and all(
            p is not None and compare(run_base, p, indicator.direction) is verdict for p in run
        )
    return Assessment(indicator.key, year, base, verdict, sustained, sustain_years)
