"""Korean names: romanization against published tables, keys, order detection, jamo."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kirok.linkage.korean import (
    SYSTEMS,
    from_jamo,
    given_key,
    north_to_south,
    romanize,
    romanize_name,
    split_name,
    surname_class,
    to_jamo,
)

DATA = Path(__file__).parent / "data" / "linkage"


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _as_written(hangul: str, system: str, kind: str) -> str:
    if kind == "word":
        return romanize(hangul, system)
    family, given_name = split_name(hangul)
    if system == "rr":  # the notice writes names in strict RR without a hyphen
        fam, giv = romanize_name(family, given_name, "rr", hyphen=False, conventional=False)
    else:
        fam, giv = romanize_name(family, given_name, system)
    return f"{fam} {giv}"


@pytest.mark.parametrize(
    ("table", "system"),
    [
        ("rr_notice_2000.csv", "rr"),
        ("mr_published.csv", "mr"),
        ("dprk_published.csv", "dprk"),
    ],
)
def test_romanization_matches_published_table(table: str, system: str) -> None:
    rows = _rows(table)
    assert len(rows) >= 20
    wrong = [
        (r["hangul"], r["expected"], got)
        for r in rows
        if (got := _as_written(r["hangul"], system, r["kind"])).casefold()
        != r["expected"].casefold()
    ]
    assert wrong == []


def test_mr_ascii_drops_breves_and_apostrophes() -> None:
    for row in _rows("mr_published.csv"):
        if row["kind"] != "word":
            continue
        plain = romanize(row["hangul"], "mr_ascii")
        assert plain.isascii()
        expected = row["expected"].replace("'", "").replace("ŏ", "o").replace("ŭ", "u")
        assert plain == expected


def test_name_conventions_of_each_system() -> None:
    assert romanize_name("김", "정일", "rr") == ("Kim", "Jeong-il")
    assert romanize_name("김", "정일", "mr") == ("Kim", "Chŏng-il")
    assert romanize_name("김", "정일", "mr_ascii") == ("Kim", "Chong-il")
    assert romanize_name("김", "정일", "mr_ascii", hyphen=False) == ("Kim", "Chongil")
    assert romanize_name("김", "정일", "dprk") == ("Kim", "Jong Il")
    # No assimilation inside an RR given name (§3.4) while a place name assimilates.
    assert romanize_name("한", "복남", "rr") == ("Han", "Bok-nam")
    assert romanize("복남", "rr") == "Bongnam"
    # The South's 이 is Ri in DPRK style; the North's 리 is Lee on a South Korean passport.
    assert romanize_name("이", "설주", "dprk")[0] == "Ri"
    assert romanize_name("리", "설주", "rr")[0] == "Lee"
    assert romanize_name("이", "설주", "rr", conventional=False)[0] == "I"
    with pytest.raises(ValueError, match="unknown romanization system"):
        romanize("김", "yale")


def test_initial_sound_law_table() -> None:
    for row in _rows("initial_sound_law.csv"):
        assert north_to_south(row["north"]) == row["south"], row
        assert north_to_south(row["south"]) == row["south"]
    # Only word-initial syllables change.
    assert north_to_south("리설주") == "이설주"
    assert north_to_south("최 룡해") == "최 용해"
    assert north_to_south("정렬") == "정렬"


SURNAME_CLASSES = [
    "Lee Yi Rhee Ri I Li 이 리",
    "Park Pak Bak 박",
    "Choi Choe Ch'oe 최",
    "Jung Jeong Chung Chong Chŏng 정",
    "Lim Im Rim 임 림",
    "Roh No Ro 노 로",
    "Yoo Yu Ryu 유 류",
    "Yang Ryang 양 량",
    "Kang Gang 강",
    "Hyun Hyon Hyeon Hyŏn 현",
    "Tae Thae T'ae 태",
    "O Oh 오",
    "Kim Gim KIM 김",
    # McCune–Reischauer's Paek (백남순) is Baek, not Park: Pak is Park's
    "Baek Paek Paik 백",
    # McCune–Reischauer's marks tell these from 송, 전, 손, 주 and 오 (Song, Chŏn, Son, Chu, O)
    "Seong Sŏng Sung 성",
    "Cheon Ch'ŏn Ch’ŏn 천",
    "Seon Sŏn 선",
    "Ch'u Ch’u 추",
    "Eo Ŏ 어",
]


def test_without_its_marks_a_spelling_is_the_more_frequent_family_name() -> None:
    assert [surname_class(s) for s in ("Song", "Chon", "Son", "Chu", "O")] == list("송전손주오")


@pytest.mark.parametrize("members", SURNAME_CLASSES)
def test_surname_variants_share_one_class(members: str) -> None:
    keys = {surname_class(m) for m in members.split()}
    assert len(keys) == 1, keys


def test_surname_classes_stay_apart() -> None:
    keys = [surname_class(m.split()[0]) for m in SURNAME_CLASSES]
    assert len(set(keys)) == len(keys)
    assert surname_class("Smith") != surname_class("Smyth") or surname_class("Smith") != ""
    assert surname_class("") == ""


def test_given_key_is_invariant_to_system_and_spacing() -> None:
    forms = ["정일", "Jong-il", "Jeong-il", "Chŏng-il", "Chongil", "Jong Il", "JONG IL", "Jung-il"]
    assert len({given_key(f) for f in forms}) == 1
    assert given_key("룡남") == given_key("Ryong Nam") == given_key("Yong-nam") == given_key("용남")
    assert given_key("희") == given_key("Hee") == given_key("Hŭi")
    assert given_key("설주") == given_key("Sŏl-chu") == given_key("Seol-ju") == given_key("Sol Ju")
    # Different names keep different keys.
    assert given_key("정일") != given_key("정은")
    assert given_key("Yong Ho") != given_key("Yong Nam")


NAMES = ["김정일", "리설주", "박근혜", "최룡해", "현송월", "김옥균", "이명박"]


@pytest.mark.parametrize("system", SYSTEMS)
@pytest.mark.parametrize("name", NAMES)
def test_every_romanization_of_a_name_has_the_hangul_keys(name: str, system: str) -> None:
    family, given_name = split_name(name)
    fam, giv = romanize_name(family, given_name, system)
    assert surname_class(fam) == surname_class(family)
    assert given_key(giv) == given_key(given_name)


@pytest.mark.parametrize(
    ("full", "expected"),
    [
        ("김정일", ("김", "정일")),
        ("남궁민수", ("남궁", "민수")),
        ("리 설주", ("리", "설주")),
        ("Kim Jong-il", ("Kim", "Jong-il")),
        ("Jong-il Kim", ("Kim", "Jong-il")),
        ("KIM Jong Il", ("KIM", "Jong Il")),
        ("Jong Il KIM", ("KIM", "Jong Il")),
        ("Kim, Jong Il", ("Kim", "Jong Il")),
        ("Ri Sol Ju", ("Ri", "Sol Ju")),
        ("Sol-ju Ri", ("Ri", "Sol-ju")),
        ("Jieun Park", ("Park", "Jieun")),
        ("Yi S.", ("Yi", "S.")),  # an initial is not a capitalised family name
        ("Kim C.", ("Kim", "C.")),
        ("C. KIM", ("KIM", "C.")),
        ("Kim", ("Kim", "")),  # a family name kept alone
        ("KO", ("KO", "")),
        ("Gunho", ("", "Gunho")),  # a given name kept alone
        ("", ("", "")),
    ],
)
def test_split_name_detects_order(full: str, expected: tuple[str, str]) -> None:
    assert split_name(full) == expected


@given(st.text(alphabet=st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3), max_size=8))
def test_jamo_round_trip(text: str) -> None:
    jamo = to_jamo(text)
    assert from_jamo(jamo) == text
    assert all(0x1100 <= ord(c) <= 0x11FF for c in jamo)


@given(st.text(alphabet=st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3), max_size=6))
def test_romanize_is_total_and_ascii_where_promised(text: str) -> None:
    for system in ("rr", "mr_ascii", "dprk"):
        out = romanize(text, system)
        assert out.isascii()
        assert (out == "") == (text == "")
