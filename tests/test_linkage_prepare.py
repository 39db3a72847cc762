"""Derived columns: names split and keyed, dates, sex, places through the gazetteer."""

from __future__ import annotations

import pandas as pd
import pytest

from kirok.linkage.prepare import parse_birth, place_key, prepare


def test_derived_columns_agree_across_scripts() -> None:
    records = pd.DataFrame(
        {
            "record_id": ["1", "2", "3"],
            "full_name": ["리설주", "", "Sol Ju Ri"],
            "family_name": ["", "Lee", ""],
            "given_name": ["", "Seol-ju", ""],
            "aliases": ["", "Ri Sol-ju; 설주", ""],
            "birth_date": ["1989-09-28", "1989", "19890928"],
            "sex": ["여", "F", "female"],
            "birth_place": ["함경북도 청진시", "Chongjin, North Hamgyong", ""],
        }
    )
    out = prepare(records).set_index("unique_id")
    assert out.loc["1", "surname_cls"] == out.loc["2", "surname_cls"] == "이"
    assert out.loc["1", "given_k"] == out.loc["2", "given_k"]
    assert out.loc["1", "given_raw"] == "설주"  # Hangul kept, North → South applied to the family
    assert out.loc["1", "sur_raw"] == "이"
    assert list(out["birth_year"]) == [1989, 1989, 1989]
    assert out.loc["2", "birth_full"] is None and out.loc["3", "birth_full"] == "1989-09-28"
    assert set(out["sex_norm"]) == {"F"}
    assert out.loc["1", "place_key"] == out.loc["2", "place_key"] == "KP-NHA-CHONGJIN"
    assert out.loc["3", "place_key"] is None
    # the swapped reading of "Sol Ju Ri" meets the others through name_keys
    assert set(out.loc["3", "name_keys"]) & set(out.loc["1", "name_keys"])
    # input is untouched
    assert records.loc[0, "full_name"] == "리설주"


def test_record_ids_are_checked() -> None:
    with pytest.raises(ValueError, match="unique"):
        prepare(pd.DataFrame({"record_id": ["a", "a"], "full_name": ["김", "이"]}))
    with pytest.raises(ValueError, match="needs a record_id"):
        prepare(pd.DataFrame({"record_id": ["a", ""], "full_name": ["김", "이"]}))
    with pytest.raises(ValueError, match="record_id column"):
        prepare(pd.DataFrame({"full_name": ["김"]}))


@pytest.mark.parametrize(
    ("text", "year", "full"),
    [("1942", 1942, None), ("1942-02", 1942, None), ("1942-02-16", 1942, "1942-02-16"),
     ("19420216", 1942, "1942-02-16"), ("", None, None), ("about 1940", None, None)],
)  # fmt: skip
def test_birth_dates(text: str, year: int | None, full: str | None) -> None:
    assert parse_birth(text) == (year, full)


def test_places_without_a_gazetteer_entry_get_a_spelling_key() -> None:
    assert place_key("Pyongsong City") == place_key("평성시") == place_key("P'yŏngsŏng")
    assert place_key(
        "Pyongsong City",
    ).startswith("~")
    assert place_key("") is None
