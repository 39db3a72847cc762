"""Places of the demo data: home counties, DPRK detention facilities, Chinese detention sites.

Where the place is in kirok's gazetteer (``kirok.domain.gazetteer``, loaded by ``kirok init``
and ``kirok demo``) the records refer to it by its gazetteer id (``KP-NHA-HOERYONG``,
``CAMP-15``); the others (some counties, jipkyulso, MSS holding centres, most Chinese detention
centres) get a ``demo-place-…`` id and a ``Place`` record of their own from
:func:`place_records`. Facility names follow the public record (``kirok/data/public/camps.csv``);
the *populations* in the demo are simulated. Each county carries its Hangul name and its
spellings in Revised Romanization, McCune–Reischauer and DPRK style, so that records can spell a
hometown as different documenters would.
"""

from __future__ import annotations

from dataclasses import dataclass

from kirok.demo.vocab import FACILITY_TYPES
from kirok.domain.records import Confidentiality, Place, PlaceName


@dataclass(frozen=True)
class County:
    """A home county or city. ``border`` marks the Tumen/Yalu border areas most escapees
    come from."""

    key: str
    hangul: str
    rr: str
    mr: str
    dprk: str
    province: str
    province_hangul: str
    weight: float
    border: bool
    suffix: str  # 시 (city) or 군 (county)
    gazetteer_id: str | None = None

    @property
    def place_id(self) -> str:
        return self.gazetteer_id or f"demo-place-county-{self.key}"

    @property
    def mr_ascii(self) -> str:
        return self.mr.replace("ŏ", "o").replace("ŭ", "u").replace("'", "")


@dataclass(frozen=True)
class Facility:
    """A place of detention. ``stage`` is the custody stage it serves (see ``CustodyStep``)."""

    key: str
    stage: str  # kwanliso, kyohwaso, jipkyulso, mss_holding, detention_china
    name: str
    hangul: str
    weight: float
    country: str = "KP"
    gazetteer_id: str | None = None
    #: The county, city or province it lies in (a place id), so that maps and filters by
    #: province find what happened there.
    parent: str | None = None

    @property
    def place_id(self) -> str:
        return self.gazetteer_id or f"demo-place-{self.stage}-{self.key}"


#: Province (English name) -> gazetteer id, the parent of every demo county.
PROVINCE_IDS = {
    "North Hamgyong": "KP-NHA",
    "Ryanggang": "KP-RYA",
    "North Pyongan": "KP-NPY",
    "South Pyongan": "KP-SPY",
    "South Hamgyong": "KP-SHA",
    "Chagang": "KP-CHA",
    "Pyongyang": "KP-PYO",
    "North Hwanghae": "KP-NHW",
    "Kangwon": "KP-KAN",
}

N_HAMGYONG = ("North Hamgyong", "함경북도")
RYANGGANG = ("Ryanggang", "량강도")
N_PYONGAN = ("North Pyongan", "평안북도")
S_PYONGAN = ("South Pyongan", "평안남도")
S_HAMGYONG = ("South Hamgyong", "함경남도")
CHAGANG = ("Chagang", "자강도")
PYONGYANG = ("Pyongyang", "평양시")
N_HWANGHAE = ("North Hwanghae", "황해북도")
KANGWON = ("Kangwon", "강원도")


def _county(
    key: str,
    hangul: str,
    rr: str,
    mr: str,
    dprk: str,
    province: tuple[str, str],
    weight: float,
    border: bool,
    suffix: str = "군",
) -> County:
    gazetteer_id = _GAZETTEER_COUNTIES.get(key)
    return County(
        key, hangul, rr, mr, dprk, province[0], province[1], weight, border, suffix, gazetteer_id
    )


#: Demo county key -> gazetteer id (the test suite checks they exist).
_GAZETTEER_COUNTIES = {
    "hoeryong": "KP-NHA-HOERYONG",
    "musan": "KP-NHA-MUSAN",
    "onsong": "KP-NHA-ONSONG",
    "chongjin": "KP-NHA-CHONGJIN",
    "kilju": "KP-NHA-KILJU",
    "hyesan": "KP-RYA-HYESAN",
    "kimjongsuk": "KP-RYA-KIMJONGSUK",
    "sinuiju": "KP-NPY-SINUIJU",
    "manpo": "KP-CHA-MANPO",
    "kanggye": "KP-CHA-KANGGYE",
    "pyongyang": "KP-PYO",
    "kaechon": "KP-SPY-KAECHON",
    "hamhung": "KP-SHA-HAMHUNG",
    "yodok": "KP-SHA-YODOK",
}


COUNTIES: tuple[County, ...] = (
    _county("hoeryong", "회령", "Hoeryeong", "Hoeryŏng", "Hoeryong", N_HAMGYONG, 9, True, "시"),
    _county("musan", "무산", "Musan", "Musan", "Musan", N_HAMGYONG, 8, True),
    _county("onsong", "온성", "Onseong", "Onsŏng", "Onsong", N_HAMGYONG, 6, True),
    _county("chongjin", "청진", "Cheongjin", "Ch'ŏngjin", "Chongjin", N_HAMGYONG, 9, True, "시"),
    _county("kyongwon", "경원", "Gyeongwon", "Kyŏngwŏn", "Kyongwon", N_HAMGYONG, 3, True),
    _county("kilju", "길주", "Gilju", "Kilchu", "Kilju", N_HAMGYONG, 2, False),
    _county("kimchaek", "김책", "Gimchaek", "Kimch'aek", "Kimchaek", N_HAMGYONG, 2, False, "시"),
    _county("hyesan", "혜산", "Hyesan", "Hyesan", "Hyesan", RYANGGANG, 9, True, "시"),
    _county("kimjongsuk", "김정숙", "Gimjeongsuk", "Kimjŏngsuk", "Kimjongsuk", RYANGGANG, 2, True),
    _county("sinuiju", "신의주", "Sinuiju", "Sinŭiju", "Sinuiju", N_PYONGAN, 6, True, "시"),
    _county("manpo", "만포", "Manpo", "Manp'o", "Manpho", CHAGANG, 2, True, "시"),
    _county("kanggye", "강계", "Ganggye", "Kanggye", "Kanggye", CHAGANG, 2, False, "시"),
    _county(
        "pyongyang", "평양", "Pyeongyang", "P'yŏngyang", "Pyongyang", PYONGYANG, 6, False, "시"
    ),
    _county(
        "pyongsong", "평성", "Pyeongseong", "P'yŏngsŏng", "Phyongsong", S_PYONGAN, 3, False, "시"
    ),
    _county("kaechon", "개천", "Gaecheon", "Kaech'ŏn", "Kaechon", S_PYONGAN, 2, False, "시"),
    _county("hamhung", "함흥", "Hamheung", "Hamhŭng", "Hamhung", S_HAMGYONG, 5, False, "시"),
    _county("tanchon", "단천", "Dancheon", "Tanch'ŏn", "Tanchon", S_HAMGYONG, 2, False, "시"),
    _county("yodok", "요덕", "Yodeok", "Yodŏk", "Yodok", S_HAMGYONG, 1, False),
    _county("sariwon", "사리원", "Sariwon", "Sariwŏn", "Sariwon", N_HWANGHAE, 2, False, "시"),
    _county("wonsan", "원산", "Wonsan", "Wŏnsan", "Wonsan", KANGWON, 3, False, "시"),
)

KWANLISO: tuple[Facility, ...] = (
    Facility(
        "14",
        "kwanliso",
        "Kwanliso No. 14 (Kaechon)",
        "제14호 관리소 (개천)",
        3,
        gazetteer_id="CAMP-14",
    ),
    Facility(
        "15",
        "kwanliso",
        "Kwanliso No. 15 (Yodok)",
        "제15호 관리소 (요덕)",
        3,
        gazetteer_id="CAMP-15",
    ),
    Facility(
        "16",
        "kwanliso",
        "Kwanliso No. 16 (Hwasong)",
        "제16호 관리소 (화성)",
        2,
        gazetteer_id="CAMP-16",
    ),
    Facility(
        "25",
        "kwanliso",
        "Kwanliso No. 25 (Chongjin)",
        "제25호 관리소 (청진)",
        1,
        gazetteer_id="CAMP-25",
    ),
)
KYOHWASO: tuple[Facility, ...] = (
    Facility(
        "1",
        "kyohwaso",
        "Kyohwaso No. 1 (Kaechon)",
        "제1호 교화소 (개천)",
        3,
        gazetteer_id="CAMP-KYOHWASO-1",
    ),
    Facility(
        "12",
        "kyohwaso",
        "Kyohwaso No. 12 (Jongo-ri)",
        "제12호 교화소 (전거리)",
        4,
        gazetteer_id="CAMP-KYOHWASO-12",
    ),
    Facility(
        "4",
        "kyohwaso",
        "Kyohwaso No. 4 (Kangdong)",
        "제4호 교화소 (강동)",
        2,
        gazetteer_id="CAMP-KYOHWASO-4",
    ),
    Facility(
        "9",
        "kyohwaso",
        "Kyohwaso No. 9 (Hamhung)",
        "제9호 교화소 (함흥)",
        2,
        gazetteer_id="CAMP-KYOHWASO-9",
    ),
)
JIPKYULSO: tuple[Facility, ...] = (
    Facility("onsong", "jipkyulso", "Onsong jipkyulso", "온성 집결소", 2, parent="KP-NHA-ONSONG"),
    Facility(
        "nongpo",
        "jipkyulso",
        "Nongpo jipkyulso (Chongjin)",
        "농포 집결소 (청진)",
        3,
        parent="KP-NHA-CHONGJIN",
    ),
    Facility("hyesan", "jipkyulso", "Hyesan jipkyulso", "혜산 집결소", 2, parent="KP-RYA-HYESAN"),
    Facility(
        "sinuiju", "jipkyulso", "Sinuiju jipkyulso", "신의주 집결소", 2, parent="KP-NPY-SINUIJU"
    ),
)
MSS_HOLDING: tuple[Facility, ...] = (
    Facility(
        "onsong",
        "mss_holding",
        "Onsong county MSS holding centre",
        "온성군 보위부 구류장",
        3,
        parent="KP-NHA-ONSONG",
    ),
    Facility(
        "musan",
        "mss_holding",
        "Musan county MSS holding centre",
        "무산군 보위부 구류장",
        2,
        parent="KP-NHA-MUSAN",
    ),
    Facility(
        "hyesan",
        "mss_holding",
        "Hyesan city MSS holding centre",
        "혜산시 보위부 구류장",
        2,
        parent="KP-RYA-HYESAN",
    ),
    Facility(
        "sinuiju",
        "mss_holding",
        "Sinuiju city MSS holding centre",
        "신의주시 보위부 구류장",
        2,
        parent="KP-NPY-SINUIJU",
    ),
    Facility(
        "nhamgyong",
        "mss_holding",
        "North Hamgyong provincial MSS holding centre",
        "함경북도 보위국 구류장",
        1,
        parent="KP-NHA",
    ),
)
CHINA_DETENTION: tuple[Facility, ...] = (
    Facility(
        "tumen",
        "detention_china",
        "Tumen border detention centre",
        "도문 변방구류소",
        4,
        "CN",
        "CN-JL-TUMEN-DETENTION",
    ),
    Facility(
        "dandong",
        "detention_china",
        "Dandong border detention centre",
        "단동 변방구류소",
        2,
        "CN",
        parent="CN-LN-DANDONG",
    ),
    Facility(
        "longjing",
        "detention_china",
        "Longjing detention centre",
        "룡정 구류소",
        1,
        "CN",
        parent="CN-JL-LONGJING",
    ),
    Facility(
        "changbai",
        "detention_china",
        "Changbai detention centre",
        "장백 구류소",
        1,
        "CN",
        parent="CN-JL-CHANGBAI",
    ),
)
#: Where in China people are arrested (free text on the custody step, not gazetteer places).
CHINA_ARREST_PLACES: tuple[str, ...] = (
    "Yanji, Jilin",
    "Helong, Jilin",
    "Longjing, Jilin",
    "Tumen, Jilin",
    "Shenyang, Liaoning",
    "Dandong, Liaoning",
    "Harbin, Heilongjiang",
    "Qingdao, Shandong",
    "Kunming, Yunnan (en route to Laos)",
)

FACILITIES: tuple[Facility, ...] = KWANLISO + KYOHWASO + JIPKYULSO + MSS_HOLDING + CHINA_DETENTION
FACILITIES_BY_STAGE: dict[str, tuple[Facility, ...]] = {
    "kwanliso": KWANLISO,
    "kyohwaso": KYOHWASO,
    "jipkyulso": JIPKYULSO,
    "mss_holding": MSS_HOLDING,
    "detention_china": CHINA_DETENTION,
}


def county_spellings(county: County) -> list[str]:
    """Ways documenters write a hometown: scripts, romanizations, with and without suffixes."""
    admin = "City" if county.suffix == "시" else "County"
    return [
        county.hangul,
        f"{county.province_hangul} {county.hangul}{county.suffix}",
        county.rr,
        f"{county.rr}-{'si' if county.suffix == '시' else 'gun'}",
        county.mr,
        county.mr_ascii,
        f"{county.mr_ascii} {admin}",
        f"{county.dprk}, {county.province}",
        county.dprk.upper(),
    ]


def place_records() -> list[Place]:
    """Place records for the counties and facilities the gazetteer does not have."""
    records: list[Place] = []
    for county in COUNTIES:
        if county.gazetteer_id:
            continue
        records.append(
            Place(
                id=county.place_id,
                place_kind="city" if county.suffix == "시" else "county",
                confidentiality=Confidentiality.PUBLIC,
                source="kirok demo (synthetic)",
                external_id=county.place_id,
                parent_id=PROVINCE_IDS[county.province],
                names=[
                    PlaceName(text=county.dprk, script="latin", system="english"),
                    PlaceName(text=county.hangul + county.suffix, script="hangul", system="ko"),
                    PlaceName(text=county.rr, script="latin", system="rr"),
                    PlaceName(text=county.mr, script="latin", system="mr"),
                ],
            )
        )
    for facility in FACILITIES:
        if facility.gazetteer_id:
            continue
        records.append(
            Place(
                id=facility.place_id,
                place_kind="facility",
                facility_type=FACILITY_TYPES[facility.stage],
                parent_id=facility.parent,
                confidentiality=Confidentiality.PUBLIC,
                source="kirok demo (synthetic)",
                external_id=facility.place_id,
                names=[
                    PlaceName(text=facility.name, script="latin", system="english"),
                    PlaceName(text=facility.hangul, script="hangul", system="ko"),
                ],
            )
        )
    return records
