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
        ("Kuk-nm", "국남", "key or letters one edit apart"),
        ("Tng-gun", "Donggun", "key or letters one edit apart"),
        # ... where the key moves by two: a syllable's end is keyed by its sound (sokhan for
        # Sog-han against songhan), but the letters as written are one apart
        ("Song-han", "Sog-han", "key or letters one edit apart"),
        ("Cheol-hyo", "Choel-hyo", "key or letters one edit apart"),
        # ... and against a Hangul name, its letters as RR or MR would write them (hyeongyeon)
        ("형연", "Hyenog-yeon", "key or letters one edit apart"),
        ("철일", "Chlo-il", "key or letters one edit apart"),
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


def _slips(text: str, alphabet: str) -> set[str]:
    """Every string one substitution, adjacent transposition, insertion or deletion away."""
    out = set()
    for i in range(len(text) + 1):
        for c in alphabet:
            out.add(text[:i] + c + text[i:])
            if i < len(text):
                out.add(text[:i] + c + text[i + 1 :])
        if i < len(text):
            out.add(text[:i] + text[i + 1 :])
        if i < len(text) - 1:
            out.add(text[:i] + text[i + 1] + text[i] + text[i + 2 :])
    return out - {text}


def _agree(condition: str, plain: str, pairs: pd.DataFrame) -> None:
    con = duckdb.connect()
    con.register("pairs", pairs)
    differ, hits = con.execute(
        f"SELECT count(*) FILTER (coalesce({condition}, FALSE) <> coalesce({plain}, FALSE)), "
        f"count(*) FILTER (coalesce({plain}, FALSE)) FROM pairs"
    ).fetchall()[0]
    assert differ == 0
    assert hits > 100  # the slips are there, and reach the level


def test_the_cheap_check_before_a_dates_edit_distance_drops_no_slip() -> None:
    from kirok.linkage.model import _DATE_SLIP

    rows = []
    for date in ("19140913", "19860505", "20011231", "19991009"):
        for other in _slips(date, "0123456789") | {"19530101", "19860517", "19140931"}:
            if len(other) != 8:  # a date always has eight digits (prepare.parse_birth)
                continue
            left, right = (f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in (date, other))
            years = {"birth_year_l": int(date[:4]), "birth_year_r": int(other[:4])}
            rows.append({"birth_full_l": left, "birth_full_r": right, **years})
    plain = (
        """damerau_levenshtein(replace("birth_full_l", '-', ''), """
        """replace("birth_full_r", '-', '')) <= 1"""
    )
    _agree(_DATE_SLIP, plain, pd.DataFrame(rows))


@pytest.mark.parametrize(
    ("condition", "column", "names"),
    [
        # the keys (a slip in a romanized name, the key moved by one)
        ("_ONE_EDIT", "given_k", ("kuknam", "tonggun", "solju", "pomchon", "yong", "kuknom")),
        # the letters as written (a slip that moves the key by two)
        ("_LETTERS_ONE_EDIT", "given_raw", ("songhan", "chollyun", "okhui", "kuk", "sokhan")),
    ],
)
def test_the_cheap_checks_before_an_edit_distance_drop_no_slip(
    condition: str, column: str, names: tuple[str, ...]
) -> None:
    from kirok.linkage import model

    rows = []
    for name in names:
        for other in _slips(name, "abceghjklmnopsuy") | set(names):
            rows.append({f"{column}_l": name, f"{column}_r": other,
                         "given_hangul_l": None, "given_hangul_r": None})  # fmt: skip
    plain = (
        f'abs(length("{column}_l") - length("{column}_r")) <= 1 '
        f'AND least(length("{column}_l"), length("{column}_r")) >= 4 '
        f'AND damerau_levenshtein("{column}_l", "{column}_r") <= 1'
    )
    frame = pd.DataFrame(rows).astype({"given_hangul_l": "string", "given_hangul_r": "string"})
    _agree(getattr(model, condition), plain, frame)


def test_the_cheap_checks_before_the_letters_of_a_hangul_name_drop_no_slip() -> None:
    from kirok.linkage.model import _letters_of_hangul_one_edit
    from kirok.linkage.prepare import given_letters

    rows = []
    for hangul in ("형연", "철일", "아실", "정무", "경명"):
        rr, mr = given_letters(hangul)
        assert rr and mr
        for other in _slips(rr, "aeghiklmnosuy") | _slips(mr, "aeghiklmnosuy") | {"kuk", "sonju"}:
            rows.append({"given_hangul_l": hangul, "given_rr_l": rr, "given_mr_l": mr,
                         "given_hangul_r": None, "given_raw_r": other})  # fmt: skip
    plain = (
        'length("given_raw_r") >= 4 AND (damerau_levenshtein("given_raw_r", "given_rr_l") <= 1 '
        'OR damerau_levenshtein("given_raw_r", "given_mr_l") <= 1)'
    )
    frame = pd.DataFrame(rows).astype({"given_hangul_r": "string"})
    _agree(_letters_of_hangul_one_edit("l", "r"), plain, frame)


def _blocked(left: dict[str, str], right: dict[str, str]) -> bool:
    """Whether the model's blocking rules make the two records (two lists) a candidate pair."""
    from kirok.linkage.pipeline import predict_frame

    frames = [
        pd.DataFrame([{"record_id": "l", **left}]),
        pd.DataFrame([{"record_id": "r", **right}]),
    ]
    df, _, _, _ = predict_frame(frames, train=False, keep_above=0.0)
    return len(df) == 1


@pytest.mark.parametrize(
    ("left", "right"),
    [
        # slips in both name parts, no date (FEBRL4 rec-1018)
        ({"family_name": "cbobett", "given_name": "biana"},
         {"family_name": "cobbett", "given_name": "bianca"}),
        # ... and a date from elsewhere (rec-2053)
        ({"family_name": "fitzpagrick", "given_name": "flytnn", "birth_date": "19540125"},
         {"family_name": "fitzpatrick", "given_name": "flynn", "birth_date": "19550713"}),
        # the year's last digit and the month's first swapped, names with slips (rec-963)
        ({"family_name": "sibeer", "given_name": "clohagh", "birth_date": "19104913"},
         {"family_name": "sieber", "given_name": "clodagh", "birth_date": "19140913"}),
        # ... and the given names different (rec-86)
        ({"family_name": "son", "given_name": "abbie", "birth_date": "19409716"},
         {"family_name": "son", "given_name": "aiden", "birth_date": "19490716"}),
    ],
)  # fmt: skip
def test_blocking_keeps_slips_in_both_names_and_a_date_swapped_across_its_parts(
    left: dict[str, str], right: dict[str, str]
) -> None:
    assert _blocked(left, right)


def test_blocking_leaves_out_names_that_only_start_alike() -> None:
    assert not _blocked({"family_name": "cobbett", "given_name": "bianca"},
                        {"family_name": "carter", "given_name": "brandon"})  # fmt: skip
    assert not _blocked({"family_name": "son", "birth_date": "19409716"},
                        {"family_name": "hage", "birth_date": "19490726"})  # fmt: skip
