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

import pandas as pd
import pytest
from typer.testing import CliRunner

from bench_support import bench_module
from kirok.cli import app
from kirok.linkage.defaults import (
    DEFAULT_REVIEW_FLOOR,
    DEFAULT_THRESHOLD,
    DEFAULT_VETO_BELOW,
    SCALE_THRESHOLD,
)
from kirok.linkage.pipeline import link_records
from kirok.linkage.scale import cluster_arrays, link_at_scale


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
def test_a_large_input_gets_the_scale_threshold_on_the_pipeline_too(large: pd.DataFrame) -> None:
    """A given model runs the pipeline, not the scale path: the default follows the size."""
    trained = link_records(large, scale_input=2000)
    again = link_records(large, model=trained.model, scale_input=2000)
    assert again.threshold == SCALE_THRESHOLD
    below = link_records(large, model=trained.model, scale_input=len(large) + 1)
    assert below.threshold == DEFAULT_THRESHOLD
    # the review band ends where the clusters were cut
    assert all(p.match_probability < SCALE_THRESHOLD for p in again.review)


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
