"""Korean name pools for the demo generator.

Family names carry approximate population shares (South Korean census 2015, which the few
North Korean figures published resemble: Kim about 21%, Lee/Ri 15%, Park/Pak 8%) and the way
each writing system spells them. Family names are not romanized by rule: Koreans write 이 as
Lee, Yi, Rhee, I or Ri, 박 as Park, Pak or Bak, so each name lists its conventional spellings.
The North keeps an initial ㄹ (리, 류, 림, 량, 로) that the South drops (이, 유, 임, 양, 노).

Given names are two syllables (rarely one) drawn from syllables common in North Korean names,
split by the sex they are typical for.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FamilyName:
    north: str  # Hangul as written in the North (리)
    south: str  # Hangul as written in the South (이)
    share: float  # percent of the population, approximate
    rr: tuple[str, ...]  # South Korean spellings, most common first (Lee, Yi, I, Rhee)
    mr: str  # McCune–Reischauer with diacritics (Ch'oe, Chŏng)
    dprk: str  # North Korean style (Ri, Choe, Jong)

    @property
    def mr_ascii(self) -> str:
        return self.mr.replace("ŏ", "o").replace("ŭ", "u").replace("'", "")


def _f(north: str, south: str, share: float, rr: str, mr: str, dprk: str) -> FamilyName:
    return FamilyName(north, south, share, tuple(rr.split("/")), mr, dprk)


FAMILY_NAMES: tuple[FamilyName, ...] = (
    _f("김", "김", 21.5, "Kim/Gim", "Kim", "Kim"),
    _f("리", "이", 14.7, "Lee/Yi/I/Rhee", "Yi", "Ri"),
    _f("박", "박", 8.4, "Park/Pak/Bak", "Pak", "Pak"),
    _f("최", "최", 4.7, "Choi/Choe", "Ch'oe", "Choe"),
    _f("정", "정", 4.3, "Jung/Jeong/Chung", "Chŏng", "Jong"),
    _f("강", "강", 2.3, "Kang/Gang", "Kang", "Kang"),
    _f("조", "조", 2.1, "Cho/Jo", "Cho", "Jo"),
    _f("윤", "윤", 2.0, "Yoon/Yun", "Yun", "Yun"),
    _f("장", "장", 2.0, "Jang/Chang", "Chang", "Jang"),
    _f("림", "임", 1.7, "Lim/Im/Rim", "Im", "Rim"),
    _f("한", "한", 1.5, "Han", "Han", "Han"),
    _f("오", "오", 1.5, "Oh/O", "O", "O"),
    _f("서", "서", 1.5, "Seo/Suh", "Sŏ", "So"),
    _f("신", "신", 1.4, "Shin/Sin", "Sin", "Sin"),
    _f("권", "권", 1.4, "Kwon/Gwon", "Kwŏn", "Kwon"),
    _f("황", "황", 1.4, "Hwang", "Hwang", "Hwang"),
    _f("안", "안", 1.3, "Ahn/An", "An", "An"),
    _f("송", "송", 1.3, "Song", "Song", "Song"),
    _f("류", "유", 1.3, "Yoo/Yu/Ryu", "Yu", "Ryu"),
    _f("전", "전", 1.1, "Jeon/Jun/Chun", "Chŏn", "Jon"),
    _f("홍", "홍", 1.1, "Hong", "Hong", "Hong"),
    _f("고", "고", 0.9, "Ko/Go", "Ko", "Ko"),
    _f("문", "문", 0.9, "Moon/Mun", "Mun", "Mun"),
    _f("량", "양", 0.9, "Yang/Ryang", "Yang", "Ryang"),
    _f("손", "손", 0.9, "Son/Sohn", "Son", "Son"),
    _f("배", "배", 0.8, "Bae/Pae", "Pae", "Pae"),
    _f("백", "백", 0.7, "Baek/Paek", "Paek", "Paek"),
    _f("허", "허", 0.6, "Heo/Hur/Huh", "Hŏ", "Ho"),
    _f("남", "남", 0.5, "Nam", "Nam", "Nam"),
    _f("심", "심", 0.5, "Shim/Sim", "Sim", "Sim"),
    _f("로", "노", 0.5, "Roh/No", "No", "Ro"),
    _f("하", "하", 0.4, "Ha", "Ha", "Ha"),
    _f("차", "차", 0.4, "Cha", "Ch'a", "Cha"),
    _f("주", "주", 0.4, "Joo/Ju/Chu", "Chu", "Ju"),
    _f("현", "현", 0.2, "Hyun/Hyeon", "Hyŏn", "Hyon"),
    _f("태", "태", 0.1, "Tae", "T'ae", "Thae"),
    _f("방", "방", 0.2, "Bang/Pang", "Pang", "Pang"),
    _f("지", "지", 0.3, "Ji/Chi", "Chi", "Ji"),
)

#: Given-name syllables common in North Korea, by the sex they are typical for. ``ㄹ``-initial
#: syllables (룡, 련, 란, 림) are written 용, 연, 란→난, 임 in the South at the start of a name.
MALE_SYLLABLES = (
    "철 혁 남 광 룡 국 호 수 일 성 명 진 학 길 복 만 석 준 군 동 범 웅 무 천 영 정 훈 현 봉 상"
)
FEMALE_SYLLABLES = (
    "옥 희 숙 화 미 향 금 순 련 실 애 심 단 주 설 혜 정 경 은 영 선 란 림 녀 월 춘 매 향"
)

MALE_POOL: tuple[str, ...] = tuple(MALE_SYLLABLES.split())
FEMALE_POOL: tuple[str, ...] = tuple(FEMALE_SYLLABLES.split())

#: South Korean spelling of a syllable that begins a word (두음법칙): the North keeps ㄹ/ㄴ.
_INITIAL_LAW = {"리": "이", "류": "유", "림": "임", "로": "노", "량": "양", "룡": "용"}
_INITIAL_LAW |= {"렬": "열", "련": "연", "란": "난", "녀": "여", "려": "여", "락": "낙"}


def south_form(word: str) -> str:
    """The South's spelling of a name part: the first syllable loses its initial ㄹ/ㄴ."""
    if not word:
        return word
    return _INITIAL_LAW.get(word[0], word[0]) + word[1:]


def family_weights() -> list[float]:
    total = sum(name.share for name in FAMILY_NAMES)
    return [name.share / total for name in FAMILY_NAMES]
