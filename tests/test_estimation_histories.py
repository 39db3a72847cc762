"""Capture histories from CSV files and from linked records."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from kirok.estimation.histories import (
    HistoryError,
    all_patterns,
    combine_strata,
    histories_by_stratum,
    histories_from_csv,
    histories_from_records,
)

KOSOVO = Path(__file__).parent / "data" / "kosovo.csv"


def test_all_patterns_enumerates_every_nonzero_history_once() -> None:
    patterns = all_patterns(4)
    assert patterns.shape == (15, 4)
    assert len({tuple(row) for row in patterns}) == 15
    assert not (patterns.sum(axis=1) == 0).any()


def test_kosovo_csv_is_read_with_counts() -> None:
    histories = histories_from_csv(KOSOVO)
    assert histories.lists == ("EXH", "ABA", "OSCE", "HRW")
    assert histories.n_observed == 4400
    index = {tuple(int(v) for v in row): i for i, row in enumerate(histories.patterns)}
    assert histories.counts[index[(1, 0, 0, 0)]] == 1131
    assert histories.counts[index[(1, 1, 0, 1)]] == 18
    assert histories.list_totals()["EXH"] == 1131 + 228 + 181 + 177 + 106 + 42 + 27 + 18


def test_rows_without_count_are_individuals_and_absent_patterns_are_zero() -> None:
    text = "a,b,c\n1,0,0\n1,0,0\n0,1,1\n"
    histories = histories_from_csv(io.StringIO(text))
    patterns, counts = histories.observed()
    assert histories.n_observed == 3
    assert {tuple(int(v) for v in p): int(c) for p, c in zip(patterns, counts, strict=True)} == {
        (1, 0, 0): 2,
        (0, 1, 1): 1,
    }
    assert (histories.counts == 0).sum() == 5


def test_repeated_histories_are_added_up() -> None:
    histories = histories_from_csv(io.StringIO("a,b,count\n1,1,3\n1,1,4\n0,1,2\n"))
    assert histories.n_observed == 9


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,b\n1,0\n2,1\n", "line 3, column 'a'"),
        ("a,b,count\n1,0,x\n", "line 2, column 'count'"),
        ("a,b,count\n1,0,-2\n", "negative"),
        ("a,b\n1,0\n0,0\n", "line 3: the history is 0 on every list"),
        ("a,b\n1,0,1\n", "line 2 has 3 fields"),
        ("a,count\n1,3\n", "at least two list columns"),
        ("a,a\n1,0\n", "repeats a column name"),
        ("", "empty"),
        ("a,b\n0,0\n", "line 2"),
        ("a,b,count\n1,0,0\n", "no one is recorded"),
    ],
)
def test_bad_csv_is_rejected_naming_the_place(text: str, message: str) -> None:
    with pytest.raises(HistoryError, match=message):
        histories_from_csv(io.StringIO(text))


def test_all_zero_row_with_zero_count_is_allowed() -> None:
    histories = histories_from_csv(io.StringIO("a,b,count\n0,0,0\n1,1,2\n"))
    assert histories.n_observed == 2


def test_records_become_one_history_per_cluster() -> None:
    records = [("p1", "NGO-A"), ("p1", "NGO-A"), ("p1", "NGO-B"), ("p2", "NGO-B"), ("p3", "UN")]
    histories = histories_from_records(records)
    assert histories.lists == ("NGO-A", "NGO-B", "UN")
    assert histories.n_observed == 3
    totals = histories.list_totals()
    assert totals == {"NGO-A": 1, "NGO-B": 2, "UN": 1}


def test_records_from_unknown_list_are_an_error() -> None:
    with pytest.raises(HistoryError, match="unknown lists"):
        histories_from_records([("p1", "X")], lists=["A", "B"])


def test_strata_share_lists_and_a_cluster_cannot_be_in_two() -> None:
    records = [("p1", "A", "2010"), ("p1", "B", "2010"), ("p2", "C", "2011"), ("p3", "A", "2011")]
    strata = histories_by_stratum(records)
    assert set(strata) == {"2010", "2011"}
    assert strata["2010"].lists == strata["2011"].lists == ("A", "B", "C")
    assert strata["2010"].n_observed == 1 and strata["2011"].n_observed == 2
    combined = combine_strata(strata)
    assert combined.n_observed == 3
    flat = histories_from_records([(c, s) for c, s, _ in records])
    assert np.array_equal(combined.counts, flat.counts)
    with pytest.raises(HistoryError, match="two strata"):
        histories_by_stratum([("p1", "A", "2010"), ("p1", "B", "2011")])


def test_hash_changes_with_any_count_and_is_stable() -> None:
    a = histories_from_csv(KOSOVO)
    b = histories_from_csv(KOSOVO)
    assert a.sha256() == b.sha256()
    counts = a.counts.copy()
    counts[0] += 1
    changed = type(a)(lists=a.lists, counts=counts)
    assert changed.sha256() != a.sha256()
    assert np.array_equal(a.counts, b.counts)
