"""Each linkage path clusters at its own calibrated threshold unless the caller gives one.

The pipeline's default (``DEFAULT_THRESHOLD``) was chosen on lists of a few thousand records;
the scale path's (``SCALE_THRESHOLD``) on the scale benchmark, where the pipeline's let
cluster precision fall below 0.98. A large input is simulated by lowering the size at which
:func:`kirok.linkage.pipeline.link_records` switches to the scale path.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from bench_support import bench_module
from kirok.cli import app
from kirok.linkage.defaults import (
    DEFAULT_REVIEW_FLOOR,
    DEFAULT_THRESHOLD,
    DEFAULT_VETO_BELOW,
    EXPECTED_PRECISION,
    SCALE_INPUT,
    SCALE_LOWER_THRESHOLDS,
    SCALE_THRESHOLD,
)
from kirok.linkage.pipeline import link_records
from kirok.linkage.scale import cluster_arrays, link_at_scale, scale_threshold


def _generated(n: int, seed: int) -> pd.DataFrame:
    return bench_module("bench_linkage_scale").generate(n, seed=seed).frame


@pytest.fixture(scope="module")
def large() -> pd.DataFrame:
    return _generated(2500, seed=3)


def test_the_scale_threshold_is_a_grid_threshold_no_lower_than_the_pipelines() -> None:
    # the rule picks from the calibration grid; the scale data ask for at least as much
    assert SCALE_THRESHOLD in (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)
    assert DEFAULT_REVIEW_FLOOR < DEFAULT_THRESHOLD <= SCALE_THRESHOLD


@pytest.mark.slow
def test_link_at_scale_cuts_its_clusters_at_the_scale_threshold_unless_given(
    large: pd.DataFrame,
) -> None:
    trained = link_at_scale(large)
    assert trained.threshold == SCALE_THRESHOLD

    def at(threshold: float) -> Any:
        clustering, _ = cluster_arrays(
            trained.ids,
            trained.left,
            trained.right,
            trained.probability,
            threshold=threshold,
            review_floor=DEFAULT_REVIEW_FLOOR,
            veto_below=DEFAULT_VETO_BELOW,
        )
        return clustering

    assert trained.clustering == at(SCALE_THRESHOLD)
    low = 0.5
    assert at(low) != at(SCALE_THRESHOLD)  # on this data the threshold changes the clusters
    given = link_at_scale(large, model=trained.model, threshold=low)
    assert given.threshold == low
    assert given.clustering == at(low)


@pytest.mark.slow
def test_link_records_gives_a_large_input_the_scale_threshold(large: pd.DataFrame) -> None:
    default = link_records(large, scale_input=2000)
    assert default.threshold == SCALE_THRESHOLD
    again = link_at_scale(large, model=default.model)  # the same model, the scale default
    assert default.clusters == again.clusters
    assert SCALE_THRESHOLD < 0.99
    given = link_records(large, threshold=0.99, scale_input=2000)
    assert given.threshold == 0.99
    # the review band ends at the threshold the clusters were cut at, not at the default
    assert all(p.match_probability < 0.99 for p in given.review)
    assert any(p.match_probability >= SCALE_THRESHOLD for p in given.review)


@pytest.mark.slow
def test_a_given_model_gets_the_threshold_of_the_inputs_size(large: pd.DataFrame) -> None:
    """A given model runs the scale path from its size on, the pipeline below it."""
    trained = link_records(large, scale_input=2000)
    again = link_records(large, model=trained.model, scale_input=2000)
    assert again.threshold == SCALE_THRESHOLD and again.clusters == trained.clusters
    below = link_records(large, model=trained.model, scale_input=len(large) + 1)
    assert below.threshold == DEFAULT_THRESHOLD
    # the review band ends where the clusters were cut
    assert all(p.match_probability < SCALE_THRESHOLD for p in again.review)


def test_the_scale_threshold_is_lowered_only_as_far_as_the_model_expects_precision() -> None:
    # 1,000 pairs at 0.999, then lower ones: the mean of those at or above 0.6 is 0.992, of
    # those at or above 0.5 0.920
    sure = np.full(1000, 0.999)
    lower = np.concatenate([sure, np.full(20, 0.65), np.full(200, 0.55)])
    assert lower[lower >= 0.6].mean() >= EXPECTED_PRECISION > lower[lower >= 0.5].mean()
    assert scale_threshold(lower) == 0.6
    assert scale_threshold(sure) == min(SCALE_LOWER_THRESHOLDS)
    assert scale_threshold(sure, review_floor=0.65) == 0.7  # never below the review floor
    doubtful = np.concatenate([sure, np.full(100, 0.85)])  # 0.986 at 0.8, 0.986 below
    assert scale_threshold(doubtful) == 0.5
    unsure = np.concatenate([sure, np.full(400, 0.85)])  # 0.957 from 0.8 down
    assert scale_threshold(unsure) == SCALE_THRESHOLD
    assert scale_threshold(np.array([])) == SCALE_THRESHOLD
    assert max(SCALE_LOWER_THRESHOLDS) < SCALE_THRESHOLD


@pytest.mark.slow
def test_records_with_full_dates_are_cut_lower_and_stay_precise() -> None:
    bench = bench_module("bench_linkage_scale")
    data = bench.generate(4000, seed=7, records="civil")
    result = link_at_scale(data.frame)
    expected = float(result.probability[result.probability >= result.threshold].mean())
    assert result.threshold < SCALE_THRESHOLD and expected >= EXPECTED_PRECISION
    at = {rid: i for i, rid in enumerate(result.ids)}

    def found(clusters: dict[str, str]) -> dict[str, float]:
        roots = np.array([at[clusters[rid]] for rid in result.ids])
        return dict(bench.cluster_metrics(data.person, roots))

    chosen = found(result.clusters)
    default, _ = cluster_arrays(
        result.ids, result.left, result.right, result.probability,
        threshold=SCALE_THRESHOLD, review_floor=DEFAULT_REVIEW_FLOOR,
        veto_below=DEFAULT_VETO_BELOW,
    )  # fmt: skip
    assert chosen["precision"] >= 0.98
    assert chosen["recall"] > found(default.clusters)["recall"]


def test_the_cli_says_where_the_threshold_came_from() -> None:
    from kirok.cli.link import whose_threshold

    assert whose_threshold(0.8, 0.8, 10**6) == "(given)"
    assert whose_threshold(None, DEFAULT_THRESHOLD, 100) == "(the default)"
    assert whose_threshold(None, SCALE_THRESHOLD, SCALE_INPUT) == (
        "(the default for an input this large)"
    )
    assert "the model expects 98% or more" in whose_threshold(None, 0.6, SCALE_INPUT)


def test_link_records_gives_a_small_input_the_pipelines_threshold() -> None:
    frame = _generated(300, seed=5)
    default = link_records(frame)
    assert default.threshold == DEFAULT_THRESHOLD and not default.trained
    given = link_records(frame, threshold=0.99)
    assert given.threshold == 0.99
    band = [p.match_probability for p in given.review]
    assert band and max(band) < 0.99 and max(band) >= DEFAULT_THRESHOLD


def _csv(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL)
    return path


def _used(output: str) -> float:
    found = re.search(r"threshold (\d\.\d\d)", output)
    assert found, output
    return float(found.group(1))


@pytest.fixture
def scale_from_2000(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``kirok link dedupe`` as on a large input: the switch at 2,000 records."""
    defaults = link_records.__kwdefaults__
    assert defaults is not None and "scale_input" in defaults
    monkeypatch.setitem(defaults, "scale_input", 2000)
    yield


def test_dedupe_prints_the_pipelines_default_or_the_given_threshold(tmp_path: Path) -> None:
    source = _csv(_generated(300, seed=5), tmp_path / "small.csv")
    out = tmp_path / "clusters.csv"
    default = CliRunner().invoke(app, ["link", "dedupe", str(source), "--out", str(out)])
    assert default.exit_code == 0, default.output
    assert _used(default.output) == DEFAULT_THRESHOLD
    given = CliRunner().invoke(
        app, ["link", "dedupe", str(source), "--out", str(out), "--threshold", "0.95"]
    )
    assert given.exit_code == 0, given.output
    assert _used(given.output) == 0.95


@pytest.mark.slow
@pytest.mark.usefixtures("scale_from_2000")
def test_dedupe_of_a_large_input_uses_and_prints_the_scale_threshold(
    tmp_path: Path, large: pd.DataFrame
) -> None:
    source = _csv(large, tmp_path / "large.csv")
    out, pairs = tmp_path / "clusters.csv", tmp_path / "pairs.csv"
    result = CliRunner().invoke(
        app, ["link", "dedupe", str(source), "--out", str(out), "--pairs", str(pairs)]
    )
    assert result.exit_code == 0, result.output
    assert _used(result.output) == SCALE_THRESHOLD
    with pairs.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    linked = [float(r["match_probability"]) for r in rows if r["status"] == "linked"]
    review = [float(r["match_probability"]) for r in rows if r["status"] == "review"]
    assert linked and min(linked) >= SCALE_THRESHOLD
    assert review and max(review) < SCALE_THRESHOLD
