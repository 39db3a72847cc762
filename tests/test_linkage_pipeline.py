"""Training pieces of the pipeline: the random pairs u is estimated from, and u itself."""

from __future__ import annotations

import random
from itertools import combinations

import pandas as pd
import pytest

from kirok.linkage.bulk import prepare_bulk
from kirok.linkage.engines import duckdb_connection
from kirok.linkage.model import U_FLOOR_SAMPLES, build_settings
from kirok.linkage.pipeline import _u_sample, estimate_u

_FAMILY = ["Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon"]
_GIVEN = ["Jong-il", "Sol-ju", "Chol-su", "Yong-ho", "Mi-ran", "Song-hui", "Kuk-nam", "Un-ha"]


def _records(n: int, seed: int, prefix: str = "r") -> pd.DataFrame:
    rng = random.Random(seed)
    return pd.DataFrame(
        {
            "record_id": [f"{prefix}{i}" for i in range(n)],
            "family_name": [rng.choice(_FAMILY) for _ in range(n)],
            "given_name": [rng.choice(_GIVEN) for _ in range(n)],
            "birth_date": [str(rng.randint(1940, 1990)) for _ in range(n)],
            "sex": [rng.choice(["F", "M", ""]) for _ in range(n)],
        }
    )


@pytest.mark.parametrize("max_pairs", [10_000, 500_000])
def test_the_u_sample_holds_about_max_pairs_pairs(max_pairs: int) -> None:
    one = _u_sample([prepare_bulk(_records(3000, 1))], max_pairs, seed=42)
    k = len(one)
    assert abs(k * (k - 1) / 2 - max_pairs) / max_pairs < 0.01
    left, right = prepare_bulk(_records(2000, 2, "a")), prepare_bulk(_records(3000, 3, "b"))
    two = _u_sample([left, right], max_pairs, seed=42)
    sizes = two["_frame"].value_counts()
    assert abs(sizes[0] * sizes[1] - max_pairs) / max_pairs < 0.01
    assert sizes[1] / sizes[0] == pytest.approx(1.5, rel=0.01)  # each frame in proportion


def test_a_small_input_is_sampled_whole() -> None:
    sample = _u_sample([prepare_bulk(_records(300, 4))], 500_000, seed=42)
    assert len(sample) == 300 and sample["unique_id"].is_unique


def _level_shares(prepared: pd.DataFrame, comparison: str) -> dict[str, float]:
    """Share of the non-missing pairs at each level, every pair evaluated one by one."""
    settings = build_settings(len(prepared))
    comp = next(c for c in settings["comparisons"] if c["output_column_name"] == comparison)
    con = duckdb_connection()
    rows = prepared.to_dict("records")
    pairs = pd.DataFrame(
        [
            {**{f"{k}_l": v for k, v in a.items()}, **{f"{k}_r": v for k, v in b.items()}}
            for a, b in combinations(rows, 2)
        ]  # fmt: skip
    )
    con.register("pairs", pairs)
    whens = " ".join(
        f"WHEN {lv['sql_condition']} THEN '{lv['label_for_charts']}'"
        for lv in comp["comparison_levels"]
        if lv["sql_condition"] != "ELSE"
    )
    counts = dict(con.execute(f"SELECT CASE {whens} ELSE 'else' END AS g, count(*) FROM pairs "
                              "GROUP BY g").fetchall())  # fmt: skip
    counts.pop("missing", None)
    total = sum(counts.values())
    return {label: count / total for label, count in counts.items()}


def test_u_is_each_levels_share_of_the_random_pairs() -> None:
    prepared = prepare_bulk(_records(120, 5))
    settings = build_settings(len(prepared))
    trained, n_pairs = estimate_u(duckdb_connection(), [prepared], settings, max_pairs=1e6)
    assert n_pairs == 120 * 119 / 2  # fewer pairs than max_pairs: all of them
    floor = U_FLOOR_SAMPLES / n_pairs
    for name in ("given", "sex", "birth"):
        shares = _level_shares(prepared, name)
        comp = next(c for c in trained["comparisons"] if c["output_column_name"] == name)
        prior = next(c for c in settings["comparisons"] if c["output_column_name"] == name)
        for level, before in zip(comp["comparison_levels"], prior["comparison_levels"],
                                 strict=True):  # fmt: skip
            if level.get("is_null_level"):
                continue
            if level.get("fix_u_probability"):  # a fixed u keeps its prior
                assert level["u_probability"] == before["u_probability"]
                continue
            share = shares.get(level["label_for_charts"], 0.0)
            assert level["u_probability"] == pytest.approx(max(share, floor))
    # levels these records never reach get the floor
    given = next(c for c in trained["comparisons"] if c["output_column_name"] == "given")
    initial = next(lv for lv in given["comparison_levels"] if lv["label_for_charts"].startswith(
        "initial"))  # fmt: skip
    assert initial["u_probability"] == pytest.approx(floor)


def test_a_comparison_missing_from_every_pair_keeps_its_priors() -> None:
    records = _records(100, 6).drop(columns=["sex"])
    settings = build_settings(100)
    trained, _ = estimate_u(duckdb_connection(), [prepare_bulk(records)], settings)
    sex = [c for c in trained["comparisons"] if c["output_column_name"] == "sex"]
    assert sex == [c for c in settings["comparisons"] if c["output_column_name"] == "sex"]


def test_u_between_two_frames_counts_only_pairs_across_them() -> None:
    # every record of one frame is a woman, of the other a man: no pair across is the same sex
    left = _records(80, 7, "a").assign(sex="F")
    right = _records(90, 8, "b").assign(sex="M")
    settings = build_settings(170, link_type="link_only")
    trained, n_pairs = estimate_u(
        duckdb_connection(), [prepare_bulk(left), prepare_bulk(right)], settings
    )
    assert n_pairs == 80 * 90
    sex = next(c for c in trained["comparisons"] if c["output_column_name"] == "sex")
    same = next(lv for lv in sex["comparison_levels"] if lv["label_for_charts"] == "same")
    assert same["u_probability"] == pytest.approx(U_FLOOR_SAMPLES / n_pairs)
