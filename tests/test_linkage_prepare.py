"""Derived columns: names split and keyed, dates, sex, places through the gazetteer."""

from __future__ import annotations

import pandas as pd
import pytest

from kirok.linkage.model import build_settings
from kirok.linkage.names import given_key
from kirok.linkage.pipeline import rule_recall
from kirok.linkage.prepare import (
    parse_birth,
    place_key,
    place_keys,
    prepare,
    reversed_given_key,
)


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


def test_a_settlement_the_gazetteer_lacks_keys_alike_with_or_without_its_province() -> None:
    # 단천 is not in the gazetteer: the province part must not become the place key
    key, region = place_keys("함경남도 단천시")
    assert key == place_key("Dancheon-si") == place_key("Tanchon") == "~tancon"
    assert region == "KP-SHA"
    assert place_keys("Chongjin, North Hamgyong") == ("KP-NHA-CHONGJIN", "KP-NHA")
    assert place_keys("North Hamgyong") == ("KP-NHA", "KP-NHA")  # a province alone


def test_a_slip_in_a_known_town_name_is_read_as_the_town() -> None:
    # a letter dropped, doubled or swapped after the first; a syllable doubled or swapped
    for slip in ("Hyesna", "Hyesann", "Hyesan Ctiy", "량강도 혜산산시", "산혜"):
        assert place_keys(slip) == ("KP-RYA-HYESAN", "KP-RYA"), slip
    assert place_key("ONSNG") == place_key("Onesong") == place_key("Onsong") == "KP-NHA-ONSONG"
    # not a slip: a town the gazetteer lacks, one letter from another (Kyongsong), whose first
    # letter differs; and a slip of a province's town is not read as a town of another province
    assert place_key("Pyongsong") == place_key("평성") == "~pyongsong"
    assert place_keys("Hyesna, North Hamgyong")[0] != "KP-RYA-HYESAN"


def test_transposed_syllables_meet_the_other_record_key() -> None:
    out = prepare(
        pd.DataFrame(
            {
                "record_id": ["1", "2", "3"],
                "family_name": ["조", "Cho", "Cho"],
                "given_name": ["영단", "Tan-yŏng", "Tanyong"],
            }
        )
    ).set_index("unique_id")
    assert out.loc["1", "given_rev"] == out.loc["2", "given_k"] == "tanyong"
    assert out.loc["2", "given_rev"] == out.loc["1", "given_k"]
    assert out.loc["3", "given_rev"] is None  # joined syllables: no order to reverse
    assert reversed_given_key("정") is None
    assert reversed_given_key("련하") == given_key("HARYEON") == "halyon"


@pytest.mark.parametrize(
    ("written", "other_way"),
    [("련하", "하련"), ("리수", "수리"), ("례숙", "숙례"), ("림하", "하림")],
)
def test_a_hangul_name_read_the_other_way_keeps_the_sound_that_was_not_first(
    written: str, other_way: str
) -> None:
    # the North's 련하 (the South's 연하) transposed is 하련: its ㄹ is no longer initial
    assert reversed_given_key(written) == given_key(other_way)


def test_initials_whole_names_and_lists_are_kept() -> None:
    out = prepare(
        pd.DataFrame(
            {
                "record_id": ["1", "2", "3"],
                "full_name": ["Yi H.", "정웅", "Kang Ch'ŏn-hak"],
                "source": ["NGO A", "", "ngo a"],
            }
        )
    ).set_index("unique_id")
    assert out.loc["1", "surname_cls"] == "이" and out.loc["1", "given_k"] == "h"
    # 정웅 may be 정 + 웅 or a given name written alone: both keys are kept
    assert out.loc["2", "given_k"] == "ong" and "congong" in out.loc["2", "given_keys"]
    assert out.loc["1", "source_key"] == out.loc["3", "source_key"] == "ngo a"
    assert out.loc["2", "source_key"] is None


def test_lambda_rule_recall_comes_from_the_trained_m_values() -> None:
    model = build_settings(5000)
    for comp in model["comparisons"]:
        for level in comp["comparison_levels"]:
            label = level.get("label_for_charts")
            if comp["output_column_name"] == "surname" and label == "same surname class":
                level["m_probability"], level["u_probability"] = 0.3, 0.03
            if comp["output_column_name"] == "given" and label == "as written":
                level["m_probability"] = 0.4
            if comp["output_column_name"] == "birth" and label == "same year":
                level["m_probability"] = 0.5
    m_sur = 0.70 + 0.3  # as written + same class
    m_giv = 0.4 + 0.28  # as written + same key
    m_year = 0.55 + 0.5  # same date + same year, capped at 1
    expected = 0.64 * min(m_sur, 1.0) * m_giv * min(m_year, 1.0)
    got = rule_recall(model, ("surname_cls", "given_k", "birth_year"), coverage=0.64)
    assert got == pytest.approx(expected)
    # the full-date rule keeps only pairs whose dates agree to the day
    full = rule_recall(model, ("surname_cls", "given_k", "birth_full"), coverage=0.64)
    assert full == pytest.approx(0.64 * 1.0 * m_giv * 0.55)


def test_a_name_with_digits_is_a_code_not_a_name() -> None:
    out = prepare(
        pd.DataFrame(
            {
                "record_id": ["w1", "w2"],
                "full_name": ["Witness ngo_a-00001 (pseudonym)", "Witness ngo_a-00002 (pseudonym)"],
            }
        )
    ).set_index("unique_id")
    # the codes are not keyed alike because their letters are: no given name is compared
    assert out["given_k"].isna().all() and out["given_raw"].isna().all()
    assert [list(k) for k in out["name_keys"]] == [[], []]


def test_lambda_coverage_is_read_from_pairs_that_agree_on_the_names() -> None:
    from kirok.linkage.pipeline import _coverage

    rule = ("surname_cls", "given_k", "birth_year")
    given = ["Jong-il", "Sol-ju", "Myong-chol", "Yong-ho", "Kyong-hui", "Chol-su", "Mi-gyong",
             "Song-min", "Hye-son", "Un-hui", "Kwang-chol", "Bok-sun", "Hak-jun", "Tong-hyok",
             "Ryong-hae", "Chong-hui", "Yong-hui", "Myong-suk", "Song-wol", "Kum-chol"]  # fmt: skip
    people = pd.DataFrame(
        {
            "record_id": [f"p{i}-{j}" for i in range(20) for j in range(2)],
            "family_name": ["Kim"] * 40,
            "given_name": [g for g in given for _ in range(2)],  # each person twice
            "birth_date": ["1960"] * 30 + [""] * 10,
        }
    )
    dated = prepare(people)
    assert _coverage([dated], rule) == pytest.approx(15 / 20)  # 15 of 20 name pairs both dated
    # records that never match and have no date do not change it
    codes = pd.DataFrame({"record_id": [f"w{i}" for i in range(40)],
                          "full_name": [f"Witness W-{i:03d}" for i in range(40)]})  # fmt: skip
    both = prepare(pd.concat([people, codes], ignore_index=True))
    assert _coverage([both], rule) == pytest.approx(0.25 * 15 / 20)  # names: half the records
