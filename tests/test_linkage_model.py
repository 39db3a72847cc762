"""Which comparison level a pair of records reaches, evaluated by DuckDB on the model's SQL."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from kirok.linkage.model import build_settings
from kirok.linkage.prepare import prepare


def _level(comparison: str, left: dict[str, str], right: dict[str, str]) -> str:
    """Label of the first level of ``comparison`` whose condition holds for the pair."""
    prepared = prepare(pd.DataFrame([{"record_id": "l", **left}, {"record_id": "r", **right}]))
    rows = prepared.set_index("unique_id")
    pair = {f"{c}_{side}": rows.loc[side, c] for c in rows.columns for side in ("l", "r")}
    con = duckdb.connect()
    con.register("pair", pd.DataFrame([pair]))
    for comp in build_settings(5000)["comparisons"]:
        if comp["output_column_name"] != comparison:
            continue
        for level in comp["comparison_levels"]:
            cond = level["sql_condition"]
            if cond == "ELSE":
                return str(level["label_for_charts"])
            (holds,) = con.execute(f"SELECT coalesce(({cond}), FALSE) FROM pair").fetchall()[0]
            if holds:
                return str(level["label_for_charts"])
    raise AssertionError(f"no comparison {comparison!r}")


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        # a letter dropped or swapped in a romanized name: a slip
        ("Kuk-nm", "국남", "key one edit apart"),
        ("Tng-gun", "Donggun", "key one edit apart"),
        # two Hangul names a letter of the key apart are two names (설주, 선주), not a slip
        ("설주", "선주", "key JW >= 0.80"),
        # too short to tell a slip from another name
        ("Wl", "월", "else"),
    ],
)
def test_a_slip_in_a_romanized_given_name(left: str, right: str, expected: str) -> None:
    assert _level("given", {"family_name": "김", "given_name": left},
                  {"family_name": "Kim", "given_name": right}) == expected  # fmt: skip


def test_a_name_given_whole_is_not_a_disagreeing_family_name() -> None:
    whole, full = {"full_name": "정웅"}, {"family_name": "Pak", "given_name": "Chŏng-ung"}
    assert _level("given", whole, full) == "same key, name read whole"
    assert _level("surname", whole, full).startswith("one name given whole")
    # two full names whose given names are transposed still compare their family names
    assert _level("surname", {"full_name": "조영단"}, {"full_name": "박단영"}) == "else"


@pytest.mark.parametrize(("left", "right", "expected"),
                         [("1970", "1972", "±2 years"), ("1970", "1973", "±3 years")])  # fmt: skip
def test_birth_years_two_apart_have_their_own_level(left: str, right: str, expected: str) -> None:
    assert _level("birth", {"birth_date": left, "full_name": "김정일"},
                  {"birth_date": right, "full_name": "김정일"}) == expected  # fmt: skip


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        ("1986-05-05", "19860550", "full dates one typo apart"),  # two digits swapped
        ("1914-09-13", "1910-49-13", "full dates one typo apart"),  # ... across the parts
        ("1986-05-07", "1986-07-05", "day and month swapped"),
        ("1986-05-07", "1986-08-09", "same year"),
    ],
)
def test_slips_in_a_full_birth_date(left: str, right: str, expected: str) -> None:
    assert _level("birth", {"birth_date": left, "full_name": "Tara Green"},
                  {"birth_date": right, "full_name": "Tara Green"}) == expected  # fmt: skip
