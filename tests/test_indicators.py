from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kirok.domain.indicators import (
    Direction,
    Indicator,
    Point,
    Verdict,
    assess,
    compare,
    count_point,
    estimate_point,
)
from kirok.estimation.result import EstimationResult

LOWER = Direction.LOWER_IS_BETTER


def test_poisson_interval_matches_known_values() -> None:
    # Garwood 95 % limits for 10 events: 4.7954 .. 18.3904 (standard tables).
    p = count_point(2020, 10)
    assert p.lower == pytest.approx(4.7954, abs=1e-3)
    assert p.upper == pytest.approx(18.3904, abs=1e-3)
    zero = count_point(2020, 0)
    assert zero.lower == 0.0 and zero.upper == pytest.approx(3.6889, abs=1e-3)


def test_compare_needs_non_overlapping_intervals() -> None:
    a = Point(2020, 100, 90, 110)
    assert compare(a, Point(2021, 80, 70, 89), LOWER) is Verdict.IMPROVED
    assert compare(a, Point(2021, 80, 70, 90), LOWER) is Verdict.NO_VERIFIABLE_CHANGE
    assert compare(a, Point(2021, 120, 111, 130), LOWER) is Verdict.WORSENED
    assert compare(a, Point(2021, 120, 111, 130), Direction.HIGHER_IS_BETTER) is Verdict.IMPROVED


@settings(max_examples=200, deadline=None)
@given(
    truth=st.floats(0, 1e6),
    widths=st.lists(
        st.tuples(st.floats(0, 1e5), st.floats(0, 1e5), st.floats(0, 1)), min_size=2, max_size=8
    ),
)
def test_never_a_verdict_when_every_interval_covers_the_same_truth(
    truth: float, widths: list[tuple[float, float, float]]
) -> None:
    points = []
    for i, (below, above, where) in enumerate(widths):
        lower, upper = truth - below, truth + above
        value = lower + where * (upper - lower)
        points.append(Point(2000 + i, min(max(value, lower), upper), lower, upper))
    ind = Indicator.of("x", "x", LOWER, points)
    for year in range(2001, 2000 + len(points)):
        assessment = assess(ind, year, sustain_years=1)
        assert assessment.verdict is Verdict.NO_VERIFIABLE_CHANGE
        assert not assessment.sustained


def test_steady_poisson_noise_rarely_reads_as_change() -> None:
    rng = np.random.default_rng(8)
    pairs = rng.poisson(40, size=(500, 2))
    verdicts = [compare(count_point(0, int(a)), count_point(1, int(b)), LOWER) for a, b in pairs]
    changed = sum(v is not Verdict.NO_VERIFIABLE_CHANGE for v in verdicts)
    # Non-overlap of two 95 % intervals is a test at well under 1 %; allow a margin.
    assert changed / len(pairs) < 0.02


def test_a_real_halving_is_detected() -> None:
    assert compare(count_point(0, 200), count_point(1, 100), LOWER) is Verdict.IMPROVED


def series(values: list[int]) -> Indicator:
    return Indicator.of(
        "exec", "executions", LOWER, [count_point(2010 + i, v) for i, v in enumerate(values)]
    )


def test_sustained_only_over_the_stated_run() -> None:
    ind = series([200, 100, 95, 90])  # a fall after 2010, held for three years
    a = assess(ind, 2013, sustain_years=3)
    assert a.verdict is Verdict.NO_VERIFIABLE_CHANGE  # 95 -> 90 is noise year on year
    a = assess(ind, 2013, baseline_year=2010, sustain_years=3)
    assert a.verdict is Verdict.IMPROVED and a.sustained
    assert a.text == "improved, sustained over 3 years"
    assert not assess(ind, 2013, baseline_year=2010, sustain_years=4).sustained
    relapse = series([200, 100, 210, 90])
    assert not assess(relapse, 2013, baseline_year=2010, sustain_years=3).sustained
    gap = Indicator.of("g", "g", LOWER, [p for p in ind.points if p.year != 2012])
    assert not assess(gap, 2013, baseline_year=2010, sustain_years=3).sustained


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 400), min_size=2, max_size=10), st.integers(1, 5))
def test_sustained_implies_every_year_of_the_run_beats_its_base(values: list[int], k: int) -> None:
    ind = series(values)
    last = 2010 + len(values) - 1
    a = assess(ind, last, baseline_year=last - 1, sustain_years=k)
    if a.sustained:
        base = ind.at(last - k)
        assert base is not None
        for year in range(last - k + 1, last + 1):
            point = ind.at(year)
            assert point is not None and compare(base, point, LOWER) is a.verdict


def test_missing_year_is_insufficient_data() -> None:
    ind = series([10, 12])
    assert assess(ind, 2015).verdict is Verdict.INSUFFICIENT_DATA
    with pytest.raises(ValueError):
        Indicator.of("d", "d", LOWER, [count_point(2010, 1), count_point(2010, 2)])
    with pytest.raises(ValueError):
        Point(2010, 5, 6, 7)


def _result(estimate: float, lower: float | None, upper: float | None) -> EstimationResult:
    return EstimationResult(
        method="loglinear",
        model="[12,13]",
        n_observed=900,
        estimate=estimate,
        ci_lower=lower,
        ci_upper=upper,
        ci_level=0.95,
        ci_method="profile likelihood",
        lists=("a", "b", "c"),
        data_sha256="0" * 64,
        settings={},
    )


def test_estimation_results_become_points_only_with_an_interval() -> None:
    a = estimate_point(2020, _result(1200, 1000, 1500))
    b = estimate_point(2021, _result(900, 850, 990))
    assert a.method.startswith("loglinear") and a.level == 0.95
    assert compare(a, b, LOWER) is Verdict.IMPROVED
    with pytest.raises(ValueError, match="no interval"):
        estimate_point(2022, _result(1000, None, None))
