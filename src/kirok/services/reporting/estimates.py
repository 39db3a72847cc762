"""Estimates of victims, documented or not: stored estimation runs (published only when an
analyst marked them public) or, for the internal edition, one computed now from the latest
linkage run. A number without a bounded interval is never shown as if it were exact."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from kirok.domain.indicators import Direction, Indicator, Point, assess
from kirok.domain.records import Act, EstimationRun, LinkageRun, Person
from kirok.estimation.histories import HistoryError, histories_from_records
from kirok.reports.model import Estimate, Figure, IndicatorBlock
from kirok.services.reporting.acts import query
from kirok.services.reporting.queries import INDICATOR_YEARS, LiveQueries

__all__ = [
    "Estimates",
    "detained_estimate",
    "estimates",
    "latest_linkage",
    "stored_estimates",
    "stored_figure",
]


@dataclass(frozen=True)
class Estimates:
    """The report's estimate figures, the notes that explain what is (not) shown, and the
    indicator from stored yearly runs, if any."""

    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    indicator: IndicatorBlock | None = None


def latest_linkage(queries: LiveQueries) -> LinkageRun | None:
    runs = [r for r in queries.uow.iter_kind("linkage_run") if isinstance(r, LinkageRun)]
    if not runs:
        return None
    return max(runs, key=lambda r: (r.created_at is not None, r.created_at, r.id))


def stored_estimates(queries: LiveQueries) -> list[EstimationRun]:
    """Stored estimation runs the audience may see (public: only runs marked public, i.e.
    an analyst decided the estimate may be published), oldest first."""
    runs = [
        r
        for r in queries.records("estimation_run", queries.shown_levels)
        if isinstance(r, EstimationRun)
    ]
    return sorted(runs, key=lambda r: (r.created_at is not None, r.created_at, r.id))


def stored_figure(
    queries: LiveQueries, run: EstimationRun, label: str, previous: float | None
) -> Figure:
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
        citations=[queries.cite(run, None)],
    )


def estimates(queries: LiveQueries, year: int) -> Estimates:
    """The latest stored overall run (else, for the internal edition, one computed now), the
    stored run for ``year`` when runs by year exist, and an indicator from the stored yearly
    runs."""
    runs = stored_estimates(queries)
    figures: list[Figure] = []
    notes: list[str] = []
    overall = [r for r in runs if r.stratum is None]
    yearly = {r.stratum: r for r in runs if r.result.get("by") == "year" and r.stratum}
    if overall and overall[-1].ci_lower is not None and overall[-1].ci_upper is not None:
        run = overall[-1]
        label = "Victims since records begin, documented or not (estimate)"
        figures.append(stored_figure(queries, run, label, None))
        notes += [f"Estimate: {w}." for w in run.result.get("warnings", [])]
    elif overall:
        notes.append(f"Estimation run {overall[-1].id} has no bounded interval: not shown.")
    else:
        figure, more = detained_estimate(queries)
        figures += [figure] if figure is not None else []
        notes += more
    this, before = yearly.get(str(year)), yearly.get(str(year - 1))
    if this is not None and this.ci_lower is not None and this.ci_upper is not None:
        figures.append(
            stored_figure(
                queries,
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
    return Estimates(figures, notes, indicator)


def detained_estimate(queries: LiveQueries) -> tuple[Figure | None, list[str]]:
    """People ever detained, documented or not: log-linear multiple systems estimation on
    the latest linkage run's clusters (one cluster is one person; the lists are the
    records' sources), over victims of detention acts the audience may count.

    Internal edition only: the estimate rests on every record, including those not cleared
    for publication, and an estimate from only the publishable ones would be biased (consent
    would act as one more capture filter). Returns the figure (or None) and notes saying why.
    """
    if queries.public:
        return None, [
            "No estimate of people detained, documented or not, is marked for publication: "
            "it rests on records not cleared for publication and is in the internal "
            "edition only."
        ]
    run = latest_linkage(queries)
    if run is None:
        return None, ["No linkage run is stored, so no estimate is made: run `kirok link run`."]
    types = queries.act_types(query("arbitrary_detention"))
    victims = {
        a.victim_id
        for a in queries.records("act", queries.counted_levels)
        if isinstance(a, Act) and a.act_type in types
    }
    pairs = [
        (run.clusters[p.id], p.source)
        for p in queries.records("person", queries.counted_levels)
        if isinstance(p, Person) and p.id in victims and p.id in run.clusters and p.source
    ]
    try:
        histories = histories_from_records(pairs)
    except (HistoryError, ValueError) as error:
        return None, [f"No estimate: the linked records do not form capture histories ({error})."]
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
        citations=[queries.cite(run, None)],
    )
    return figure, notes
