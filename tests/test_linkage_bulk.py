"""prepare_bulk derives exactly the columns prepare derives, once per distinct value."""

from __future__ import annotations

import logging

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kirok.demo.synthetic import generate
from kirok.linkage import bulk
from kirok.linkage.bulk import prepare_bulk
from kirok.linkage.prepare import CONTRACT_COLUMNS, prepare


def _same(records: pd.DataFrame, extra: tuple[str, ...] = ()) -> None:
    expected = prepare(records, extra)
    got = prepare_bulk(records, extra)
    pd.testing.assert_frame_equal(got, expected)


def test_demo_generator_names_derive_the_same() -> None:
    data = generate(seed=11, population=1500, with_records=False)
    records = pd.DataFrame([row.contract() for row in data.rows])
    assert len(records) > 1000
    _same(records)
    # every list-valued and key column is filled in for most rows: the comparison is not vacuous
    got = prepare_bulk(records)
    assert got["given_k"].notna().mean() > 0.9
    assert got["name_keys"].map(len).mean() >= 1.0
    assert got["place_key"].notna().mean() > 0.8


def test_missing_values_whitespace_numbers_and_extra_columns() -> None:
    records = pd.DataFrame(
        {
            "record_id": [" a1", "a2 ", 3, "a4", "a5", "a6"],
            "full_name": ["Kim  Chol-ho", None, "리 영철", "", float("nan"), "Sol Ju Ri"],
            "family_name": ["", "Pak", None, "", "", ""],
            "given_name": [None, "Yong Chol", "", "Chŏng-il", "", ""],
            "aliases": ["Kim Yong;  ; 이명", "", None, "Ri", "", ""],
            "birth_date": ["1965", "19650304", 1970, "1970-02", None, "1965-03-04"],
            "sex": ["M", " 여성", None, "f", "x", ""],
            "birth_place": ["Chongjin City", "함경북도 청진시", "", None, "Hyesan", "Nowhere"],
            "source": ["NGO-A", "ngo-a", None, "", "B", "B"],
            "address": ["1 Main St", None, "", "x", "X", "Y  Z"],
        }
    )
    _same(records, ("address",))
    # the column absent altogether
    _same(records.drop(columns=["aliases", "sex"]))


def test_codes_in_names_are_left_out_as_prepare_leaves_them() -> None:
    """A witness known by a pseudonym ("W-0012") has no name to compare, in both derivations."""
    records = pd.DataFrame(
        {
            "record_id": ["w1", "w2", "w3", "v1"],
            "full_name": ["Witness ngo_a-00001 (pseudonym)", "", "W-0012", "김정일"],
            "family_name": ["", "Kim", "", ""],
            "given_name": ["", "A-17", "", ""],
        }
    )
    _same(records)
    got = prepare_bulk(records).set_index("unique_id")
    assert got.loc["w1", "given_k"] is None and got.loc["w1", "name_keys"] == []
    assert got.loc["w2", "given_k"] is None and got.loc["w2", "sur_key"] == "kim"
    assert got.loc["v1", "given_k"] == "congil"


def test_repeated_rows_share_their_derivation() -> None:
    base = pd.DataFrame(
        {
            "record_id": ["1", "2", "3"],
            "full_name": ["김영철", "Kim Yong-chol", "KIM YONGCHOL"],
            "birth_date": ["1965", "1965-03-04", ""],
            "birth_place": ["청진", "Chongjin", ""],
        }
    )
    many = pd.concat([base] * 400, ignore_index=True)
    many["record_id"] = [str(i) for i in range(len(many))]
    _same(many)


def test_record_id_errors_match_prepare() -> None:
    for ids in (["a", "b", "a"], ["a", " ", "b"], ["a", None, "b"]):
        records = pd.DataFrame({"record_id": ids, "full_name": ["Kim", "Ri", "Pak"]})
        with pytest.raises(ValueError) as expected:
            prepare(records)
        with pytest.raises(ValueError) as got:
            prepare_bulk(records)
        assert str(got.value) == str(expected.value)
    with pytest.raises(ValueError, match="record_id column"):
        prepare_bulk(pd.DataFrame({"full_name": ["Kim"]}))


def test_a_column_without_a_known_group_is_still_derived_by_prepare(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # as if prepare had gained a column this module does not know how to group
    monkeypatch.setattr(bulk, "GROUPS", [g for g in bulk.GROUPS if "place_key" not in g[2]])
    records = pd.DataFrame(
        {
            "record_id": ["1", "2", "3", "4"],
            "full_name": ["Kim Chol", "Ri Sol-ju", "Kim Chol", "박영희"],
            "birth_place": ["Chongjin", "Hyesan", "Chongjin", "함흥"],
        }
    )
    with caplog.at_level(logging.INFO, logger="kirok.linkage.bulk"):
        _same(records)
    assert "place_key" in caplog.text


_HANGUL = st.text(st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3), max_size=4)
_SURNAMES = st.sampled_from(["김", "리", "이", "박", "Kim", "Ri", "Lee", "Pak", "Ch'oe", "O", ""])
_LATIN = st.text(st.sampled_from(list("abcdeghijklmnoprstuwyŏŭ' -,.")), max_size=12)
_NAME = st.one_of(_HANGUL, _LATIN, _SURNAMES)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.tuples(_NAME, _SURNAMES, _NAME, _NAME, st.sampled_from(["", "1970", "1970-01-02"])),
        min_size=1,
        max_size=25,
    )
)
def test_generated_hangul_and_latin_names_derive_the_same(
    rows: list[tuple[str, str, str, str, str]],
) -> None:
    records = pd.DataFrame(
        [
            {
                "record_id": str(i),
                "full_name": full,
                "family_name": family,
                "given_name": given_name,
                "aliases": alias,
                "birth_date": birth,
            }
            for i, (full, family, given_name, alias, birth) in enumerate(rows * 2)
        ],
        columns=list(CONTRACT_COLUMNS[:6]),
    )
    _same(records)
