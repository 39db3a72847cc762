"""The linkage bench's precision at a recall: how issue #5's cross-system target is read."""

from __future__ import annotations

from types import ModuleType

import pytest

from bench_support import bench_module


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return bench_module("bench_linkage")


def test_precision_at_recall_picks_the_most_precise_threshold_that_keeps_the_recall(
    bench: ModuleType,
) -> None:
    truth = {("a", "b"), ("c", "d"), ("e", "f"), ("g", "h")}
    pairs = [
        ("a", "b", 0.95),
        ("c", "d", 0.90),
        ("e", "f", 0.60),
        ("g", "h", 0.20),
        ("a", "x", 0.70),  # a false link between the true pairs' scores
        ("c", "x", 0.40),
    ]
    # recall 0.75 needs e-f (0.60): thresholds 0.41..0.60 keep 3 true and 1 false link
    precision, threshold, recall = bench.precision_at_recall(pairs, truth, 0.75)
    assert recall == pytest.approx(0.75)
    assert precision == pytest.approx(0.75)
    assert 0.40 < threshold <= 0.60
    # recall 0.5 is reached above the false link: precision 1
    precision, threshold, recall = bench.precision_at_recall(pairs, truth, 0.5)
    assert (precision, recall) == (pytest.approx(1.0), pytest.approx(0.5))
    assert 0.70 < threshold <= 0.90


def test_precision_at_recall_says_so_when_no_threshold_reaches_the_recall(
    bench: ModuleType,
) -> None:
    truth = {("a", "b"), ("c", "d")}
    pairs = [("a", "b", 0.9)]  # c-d was never blocked: recall at most 0.5
    precision, threshold, recall = bench.precision_at_recall(pairs, truth, 0.9)
    assert precision == 0.0 and threshold == 0.0
    assert recall == pytest.approx(0.5)
