"""Gazetteer: any spelling finds the place; data files are consistent with the public facts."""

from __future__ import annotations

import csv
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kirok.domain.dates import parse_date
from kirok.domain.gazetteer import (
    KINDS,
    SCRIPTS,
    SYSTEMS,
    Gazetteer,
    Place,
    PlaceName,
    UnknownPlaceError,
    load_gazetteer,
    normalise_place_name,
    place_from_row,
    read_places,
    romanization_skeleton,
)
from kirok.domain.text import APOSTROPHES, strip_marks
from kirok.domain.vocabulary import get_term


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return load_gazetteer()


def _ids(gaz: Gazetteer, text: str, best_only: bool = True) -> set[str]:
    matches = gaz.search(text)
    if best_only and matches:
        matches = [m for m in matches if m.rank == matches[0].rank]
    return {m.place.id for m in matches}


@pytest.mark.parametrize("spelling", ["Yodok", "요덕", "Yodŏk", "Yodeok"])
def test_must_show_yodok_spellings_find_camp_15_and_the_county(
    gaz: Gazetteer, spelling: str
) -> None:
    found = gaz.find(spelling)
    assert found[0].id == "CAMP-15"
    assert {"CAMP-15", "KP-SHA-YODOK"} <= {p.id for p in found}


@pytest.mark.parametrize(
    ("spelling", "place_id"),
    [
        ("YODOK", "CAMP-15"),
        ("yodŏk-kun", "KP-SHA-YODOK"),
        ("Yodeok-gun", "KP-SHA-YODOK"),
        ("Yo-dok", "CAMP-15"),
        ("Yoduk", "CAMP-15"),
        ("요덕군", "KP-SHA-YODOK"),
        ("요덕 정치범수용소", "CAMP-15"),
        ("요덕수용소", "CAMP-15"),
        ("Camp 15", "CAMP-15"),
        ("camp no.15", "CAMP-15"),
        ("Kwalliso No. 15", "CAMP-15"),
        ("kwan-li-so #15", "CAMP-15"),
        ("제15호 관리소", "CAMP-15"),
        ("15호관리소", "CAMP-15"),
        ("Yodok political prison camp", "CAMP-15"),
        ("Yodok concentration camp", "CAMP-15"),
        ("Kaech’ŏn", "KP-SPY-KAECHON"),
        ("Kaech'on", "CAMP-14"),
        ("Kaecheon", "KP-SPY-KAECHON"),
        ("Gaecheon-si", "KP-SPY-KAECHON"),
        ("Camp 14", "CAMP-14"),
        ("Hwasŏng", "CAMP-16"),
        ("Hwaseong", "KP-NHA-MYONGGAN"),
        ("Myŏnggan-gun", "KP-NHA-MYONGGAN"),
        ("Camp 16", "CAMP-16"),
        ("Camp 22", "CAMP-22"),
        ("Hoeryŏng", "KP-NHA-HOERYONG"),
        ("Hoeryeong-si", "KP-NHA-HOERYONG"),
        ("회령", "CAMP-22"),
        ("Haengyŏng", "CAMP-22"),
        ("Chongori", "CAMP-KYOHWASO-12"),
        ("Jongo-ri", "CAMP-KYOHWASO-12"),
        ("Chŏn'gŏ-ri", "CAMP-KYOHWASO-12"),
        ("Jeongeo-ri", "CAMP-KYOHWASO-12"),
        ("전거리 교화소", "CAMP-KYOHWASO-12"),
        ("Kyo-hwa-so No. 12", "CAMP-KYOHWASO-12"),
        ("12호 교화소", "CAMP-KYOHWASO-12"),
        ("Kyohwaso No. 1", "CAMP-KYOHWASO-1"),
        ("Camp 25", "CAMP-25"),
        ("Susŏng", "CAMP-25"),
        ("Ch'ŏngjin", "KP-NHA-CHONGJIN"),
        ("Cheongjin-si", "KP-NHA-CHONGJIN"),
        ("Pukch'ang", "KP-SPY-PUKCHANG"),
        ("Bukchang", "CAMP-18"),
        ("Kilchu", "KP-NHA-KILJU"),
        ("Gilju-gun", "KP-NHA-KILJU"),
        ("Kilju County", "KP-NHA-KILJU"),
        ("Musan", "KP-NHA-MUSAN"),
        ("무산군", "KP-NHA-MUSAN"),
        ("Onsŏng", "KP-NHA-ONSONG"),
        ("Hyesan", "KP-RYA-HYESAN"),
        ("혜산시", "KP-RYA-HYESAN"),
        ("Sinŭiju", "KP-NPY-SINUIJU"),
        ("Shinuiju", "KP-NPY-SINUIJU"),
        ("신의주", "KP-NPY-SINUIJU"),
        ("Manp'o", "KP-CHA-MANPO"),
        ("Manpho", "KP-CHA-MANPO"),
        ("P'yŏngyang", "KP-PYO"),
        ("Pyeongyang", "KP-PYO"),
        ("평양직할시", "KP-PYO"),
        ("South Hamgyong Province", "KP-SHA"),
        ("Hamgyŏng-namdo", "KP-SHA"),
        ("Hamgyeongnam-do", "KP-SHA"),
        ("함경남도", "KP-SHA"),
        ("North Hamgyong", "KP-NHA"),
        ("Hamgyong-bukdo", "KP-NHA"),
        ("량강도", "KP-RYA"),
        ("Yanggang-do", "KP-RYA"),
        ("Rasŏn", "KP-RAS"),
        ("Rajin-Sonbong", "KP-RAS"),
        ("Nampho", "KP-NAM"),
        ("Kangdong", "KP-PYO-KANGDONG"),
        ("Kangwŏn-do", "KP-KAN"),
        ("Hamhŭng", "KP-SHA-HAMHUNG"),
        ("North Korea", "KP"),
        ("북한", "KP"),
        ("Yanbian", "CN-JL-YANBIAN"),
        ("延边朝鲜族自治州", "CN-JL-YANBIAN"),
        ("연변조선족자치주", "CN-JL-YANBIAN"),
        ("Yanji", "CN-JL-YANJI"),
        ("延吉", "CN-JL-YANJI"),
        ("연길시", "CN-JL-YANJI"),
        ("Yŏn'gil", "CN-JL-YANJI"),
        ("Tumen", "CN-JL-TUMEN"),
        ("도문", "CN-JL-TUMEN"),
        ("Longjing", "CN-JL-LONGJING"),
        ("용정", "CN-JL-LONGJING"),
        ("룡정시", "CN-JL-LONGJING"),
        ("Helong", "CN-JL-HELONG"),
        ("Hunchun", "CN-JL-HUNCHUN"),
        ("Changbai", "CN-JL-CHANGBAI"),
        ("장백", "CN-JL-CHANGBAI"),
        ("Dandong", "CN-LN-DANDONG"),
        ("단둥", "CN-LN-DANDONG"),
        ("丹东市", "CN-LN-DANDONG"),
        ("Shenyang", "CN-LN-SHENYANG"),
        ("선양", "CN-LN-SHENYANG"),
        ("Jilin Province", "CN-JL"),
        ("길림성", "CN-JL"),
        ("Liaoning", "CN-LN"),
        ("요령성", "CN-LN"),
        ("Tumen detention center", "CN-JL-TUMEN-DETENTION"),
        ("Ji'an", "CN-JL-JIAN"),
        ("Jian", "CN-JL-JIAN"),
        ("집안", "CN-JL-JIAN"),
        ("臨江", "CN-JL-LINJIANG"),
        ("Linjiang", "CN-JL-LINJIANG"),
        ("Aoji", "KP-NHA-UNDOK"),
        ("Ŭndŏk", "KP-NHA-UNDOK"),
        ("Eundeok-gun", "KP-NHA-UNDOK"),
        ("Daehongdan", "KP-RYA-TAEHONGDAN"),
        ("Chunggang-gun", "KP-CHA-JUNGGANG"),
        ("중강", "KP-CHA-JUNGGANG"),
        ("Byeokdong", "KP-NPY-PYOKTONG"),
        ("Sakchu", "KP-NPY-SAKJU"),
        ("삼지연군", "KP-RYA-SAMJIYON"),
        ("Kimhyŏngjik-kun", "KP-RYA-KIMHYONGJIK"),
    ],
)
def test_many_spellings_find_the_place(gaz: Gazetteer, spelling: str, place_id: str) -> None:
    assert place_id in _ids(gaz, spelling)


def test_unrelated_names_do_not_match(gaz: Gazetteer) -> None:
    assert gaz.find("Seoul") == []
    assert gaz.find("서울") == []
    assert gaz.find("") == []
    assert gaz.find("  - ") == []
    assert "CAMP-15" not in _ids(gaz, "Camp 16", best_only=False)
    assert "KP-NHA" not in _ids(gaz, "South Hamgyong")


def test_ranking_exact_before_skeleton_before_partial(gaz: Gazetteer) -> None:
    exact = gaz.search("Kaechon")
    assert {m.rank for m in exact if m.place.id == "KP-SPY-KAECHON"} == {0}
    assert gaz.search("Shineuiju")[0].rank == 1  # not in the data, same skeleton as Sinuiju
    prefix = gaz.search("Hamgyong")
    assert {m.place.id for m in prefix} >= {"KP-SHA", "KP-NHA"}
    assert all(m.rank == 2 for m in prefix if m.place.id in ("KP-SHA", "KP-NHA"))
    ranks = [m.rank for m in gaz.search("hoe")]
    assert ranks == sorted(ranks)
    # a camp and its county tie on the exact name: the more specific place comes first
    assert [p.id for p in gaz.find("Onsong")][:2] == ["CAMP-12", "KP-NHA-ONSONG"]


def test_descendants_and_ancestors(gaz: Gazetteer) -> None:
    yodok = [p.id for p in gaz.descendants("KP-SHA-YODOK")]
    assert yodok == ["KP-SHA-YODOK", "CAMP-15"]
    north_hamgyong = {p.id for p in gaz.descendants("KP-NHA")}
    assert {"CAMP-16", "CAMP-22", "CAMP-25", "CAMP-KYOHWASO-12", "CAMP-13"} <= north_hamgyong
    assert "CAMP-15" not in north_hamgyong
    dprk = {p.id for p in gaz.descendants("KP")}
    china = {p.id for p in gaz.descendants("CN")}
    assert dprk.isdisjoint(china)
    assert dprk | china == {p.id for p in gaz}
    assert [p.id for p in gaz.ancestors("CAMP-KYOHWASO-12")] == ["KP-NHA-HOERYONG", "KP-NHA", "KP"]
    assert {p.id for p in gaz.children("CN-JL-YANBIAN")} >= {"CN-JL-YANJI", "CN-JL-TUMEN"}
    with pytest.raises(UnknownPlaceError, match="unknown place 'KP-XXX'"):
        gaz.descendants("KP-XXX")


def test_iteration_puts_parents_first(gaz: Gazetteer) -> None:
    seen: set[str] = set()
    for place in gaz:
        assert place.parent_id is None or place.parent_id in seen
        seen.add(place.id)
    assert len(seen) == len(gaz)


def test_required_places_are_present(gaz: Gazetteer) -> None:
    provinces = [p for p in gaz.children("KP") if p.kind == "province"]
    special = [p for p in gaz.children("KP") if p.kind == "special_city"]
    assert len(provinces) == 9
    assert {p.id for p in special} == {"KP-PYO", "KP-RAS", "KP-NAM"}
    for name in [
        "Hoeryong", "Musan", "Onsong", "Hyesan", "Sinuiju", "Manpo", "Chongjin", "Kaechon",
        "Pukchang", "Yodok", "Hwasong", "Kilju", "Jilin", "Liaoning", "Yanbian", "Yanji",
        "Tumen", "Dandong", "Longjing", "Helong", "Changbai", "Hunchun", "Shenyang",
    ]:  # fmt: skip
        assert [p for p in gaz.find(name) if p.kind != "facility"], name


def _camp_rows() -> list[dict[str, str]]:
    text = resources.files("kirok").joinpath("data", "public", "camps.csv").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def test_every_camp_in_camps_csv_is_in_the_gazetteer(gaz: Gazetteer) -> None:
    rows = _camp_rows()
    facilities = [p for p in gaz if p.facility_type in ("L17-KWANLISO", "L17-KYOHWASO")]
    assert len(facilities) == len(rows)
    for row in rows:
        kind = "L17-KWANLISO" if row["type"].startswith("kwanliso") else "L17-KYOHWASO"
        name = row["name"].split(" (")[0]
        if row["number"]:
            query = ("Camp " if kind == "L17-KWANLISO" else "Kyohwaso No. ") + row["number"]
        else:
            query = name
        found = [p for p in gaz.find(query) if p.facility_type == kind]
        assert len(found) >= 1, query
        place = found[0]
        assert place.id in _ids(gaz, name), name
        if row["lat"]:
            assert (place.lat, place.lon) == (float(row["lat"]), float(row["lon"])), query
            assert place.precision_m is not None and place.precision_m > 0
        else:
            assert place.lat is None and place.lon is None, query
        province = gaz.ancestors(place.id)
        assert any(row["province"].split()[-1].lower() in p.name("en").lower() for p in province)


def test_data_files_are_consistent(gaz: Gazetteer) -> None:
    for place in gaz:
        assert place.kind in KINDS
        assert place.names, place.id
        for name in place.names:
            assert name.script in SCRIPTS and name.system in SYSTEMS, (place.id, name)
            assert name.text == name.text.strip() and name.text
        if place.lat is not None and place.lon is not None:
            assert place.precision_m is not None and place.precision_m > 0, place.id
            if place.id.startswith(("KP", "CAMP")):
                assert 37.5 <= place.lat <= 43.1 and 124.0 <= place.lon <= 130.8, place.id
            else:
                assert 38.5 <= place.lat <= 46.5 and 121.0 <= place.lon <= 131.5, place.id
        if place.kind == "facility":
            assert place.facility_type is not None, place.id
            assert get_term(place.facility_type).list_name == "types_of_locations"
        else:
            assert place.facility_type is None, place.id
        for value in (place.valid_from, place.valid_to):
            if value is not None:
                parse_date(value)
        assert place.source, place.id


def test_mr_ascii_is_mr_without_breves_and_apostrophes(gaz: Gazetteer) -> None:
    drop = str.maketrans("", "", APOSTROPHES)
    checked = 0
    for place in gaz:
        mr, ascii_ = place.names_in("mr"), place.names_in("mr_ascii")
        assert len(mr) == len(ascii_), place.id
        for with_marks, without in zip(mr, ascii_, strict=True):
            assert strip_marks(with_marks).translate(drop) == without, place.id
            assert without.isascii()
            checked += 1
    assert checked >= 50


def test_korean_places_have_hangul_mr_and_rr(gaz: Gazetteer) -> None:
    unconfirmed = {"CAMP-13", "CAMP-POKCHONGNI", "CN-JL-TUMEN-DETENTION"}
    for place in gaz:
        if place.id in unconfirmed:
            continue
        assert place.names_in("native"), place.id
        assert place.names_in("mr") and place.names_in("rr"), place.id
        assert place.name("ko") != place.name("en"), place.id
    assert load_gazetteer()["KP-SHA-YODOK"].name("ko") == "요덕군"
    assert load_gazetteer()["CN-JL-YANJI"].name("zh") == "延吉市"
    assert load_gazetteer()["CAMP-POKCHONGNI"].name("ko") == "Pokchong-ni re-education camp"


# --- normalisation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Yodŏk", "yodok"),
        ("Yodŏk", "Yodo\u0306k"),  # decomposed breve
        ("P'yŏngyang", "P’yŏngyang"),
        ("P'yŏngyang", "Pʼyŏngyang"),
        ("Hamgyŏng-namdo", "hamgyong namdo"),
        ("Yodok County", "yodok-gun"),
        ("Yodok-kun", "YODOK"),
        ("요덕군", "요덕"),
        ("요덕군", "요덕"),  # jamo typed separately, composed by NFC
        ("Camp 15", "제15호 관리소"),
        ("Kwanliso No. 15", "kwalliso 15"),
        ("Kyo-hwa-so No. 12", "12호 교화소"),
        ("Yodok political prison camp", "Yodok"),
        ("Rason Special City", "Rasŏn"),
        ("延吉市", "延吉"),
        ("신의주시", "신의주"),
        ("ＹＯＤＯＫ", "yodok"),
    ],
)
def test_normalise_equates_spellings(a: str, b: str) -> None:
    assert normalise_place_name(a) == normalise_place_name(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Camp 15", "Camp 16"),
        ("Kwanliso No. 12", "Kyohwaso No. 12"),
        ("Hamgyong-namdo", "Hamgyong-pukto"),
        ("강동", "강"),
        ("Kangdong", "Kang"),
        ("Yodok", "Yodong"),
    ],
)
def test_normalise_keeps_distinct_names_apart(a: str, b: str) -> None:
    assert normalise_place_name(a) != normalise_place_name(b)


def test_romanization_skeleton() -> None:
    assert romanization_skeleton("yodeok") == romanization_skeleton("yodok")
    assert romanization_skeleton("gilju") == romanization_skeleton("kilchu")
    assert romanization_skeleton("bukchang") == romanization_skeleton("pukchang")
    assert romanization_skeleton("hamheung") == romanization_skeleton("hamhung")
    assert romanization_skeleton("musan") != romanization_skeleton("mosan")
    assert romanization_skeleton("요덕") == "요덕"


@given(st.text(max_size=30))
def test_normalise_is_idempotent_and_total(text: str) -> None:
    key = normalise_place_name(text)
    assert normalise_place_name(key) == key
    assert key == key.strip() and " " not in key


@given(st.sampled_from([n.text for p in load_gazetteer() for n in p.names]), st.data())
def test_any_recorded_name_with_noise_finds_its_place(text: str, data: st.DataObject) -> None:
    noisy = data.draw(st.sampled_from([text.upper(), text.lower(), f"  {text} ", text + "-gun"]))
    owners = {p.id for p in load_gazetteer() if text in (n.text for n in p.names)}
    found = {p.id for p in load_gazetteer().find(noisy)}
    assert owners & found, (text, noisy)


# --- loading errors -------------------------------------------------------------------------

ROW = {
    "id": "KP-TEST",
    "kind": "county",
    "parent": "KP",
    "hangul": "시험군",
    "hanja": "",
    "hanzi": "",
    "mr": "Sihŏm-gun",
    "mr_ascii": "Sihom-gun",
    "rr": "Siheom-gun",
    "dprk": "",
    "pinyin": "",
    "english": "Test County",
    "aliases": "Testville;테스트",
    "lat": "",
    "lon": "",
    "precision_m": "",
    "facility_type": "",
    "valid_from": "",
    "valid_to": "",
    "source": "test",
}


def test_place_from_row_reads_names_with_scripts_and_systems() -> None:
    place = place_from_row(ROW, "test.csv")
    assert place.names[0] == PlaceName("시험군", "hangul", "native")
    assert PlaceName("테스트", "hangul", "variant") in place.names
    assert PlaceName("Sihŏm-gun", "latin", "mr") in place.names
    assert place.name() == "Test County"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("kind", "village", "kind 'village'"),
        ("valid_to", "1992-13", "valid_to: invalid date '1992-13'"),
        ("facility_type", "L17-NOPE", "facility_type: unknown term 'L17-NOPE'"),
        ("lat", "41.2", "lat and lon"),
        ("precision_m", "wide", "precision_m 'wide' is not a number"),
    ],
)
def test_bad_rows_name_the_place_and_field(field: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match="test.csv place 'KP-TEST'") as caught:
        place_from_row({**ROW, field: value}, "test.csv")
    assert message in str(caught.value)


def test_gazetteer_rejects_broken_hierarchies() -> None:
    place = Place("A", "county", None, (PlaceName("A", "latin", "english"),))
    with pytest.raises(ValueError, match="duplicate place id 'A'"):
        Gazetteer([place, place])
    orphan = Place("B", "county", "MISSING", (PlaceName("B", "latin", "english"),))
    with pytest.raises(ValueError, match="unknown parent 'MISSING'"):
        Gazetteer([orphan])


def test_read_places_and_cache() -> None:
    assert {p.id for p in read_places("china.csv")} <= {p.id for p in load_gazetteer()}
    assert load_gazetteer() is load_gazetteer()


def test_public_names_exist() -> None:
    import kirok.domain.gazetteer as module

    assert module.__all__ and all(hasattr(module, name) for name in module.__all__)
