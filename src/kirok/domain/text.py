"""Text normalisation shared by vocabulary and gazetteer look-ups, and place-name keys.

Search keys must match however a documenter typed a word: with or without accents or
McCune-Reischauer breves (``Yodŏk``/``Yodok``), apostrophes of any shape (``P'yŏngyang``,
``P’yŏngyang``), full-width characters, or decomposed Hangul from some input methods.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "APOSTROPHES",
    "fold",
    "is_hangul",
    "normalise_place_name",
    "romanization_skeleton",
    "strip_marks",
]

#: Apostrophe-like characters used for McCune-Reischauer aspiration marks and elisions.
APOSTROPHES = "'’‘ʼʻ`´′ʹ"

_SPACES = re.compile(r"\s+")


def strip_marks(text: str) -> str:
    """Remove diacritics and breves but keep Hangul syllables whole.

    NFKD splits ``ŏ`` into ``o`` + combining breve (and Hangul syllables into jamo); combining
    marks are dropped and NFC then recomposes the Hangul.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", kept)


def fold(text: str) -> str:
    """Case-, accent- and width-insensitive form with single spaces, for comparing labels."""
    return _SPACES.sub(" ", strip_marks(text).casefold()).strip()


def is_hangul(text: str) -> bool:
    """Whether ``text`` contains at least one Hangul syllable or jamo."""
    return any(
        "\uac00" <= c <= "\ud7a3" or "\u1100" <= c <= "\u11ff" or "\u3130" <= c <= "\u318f"
        for c in text
    )


# --- place names ---------------------------------------------------------------------------

_KWANLISO = "kwanliso"
_KYOHWASO = "kyohwaso"
_CAMP = "camp"

# Phrases naming a facility type, replaced by one canonical token before splitting into words.
_TYPE_PHRASES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"kyo[\s-]*hwa[\s-]*so|gyo[\s-]*hwa[\s-]*so|노동교화소|교화소"), _KYOHWASO),
    (re.compile(r"re[\s-]*education(?:\s+through\s+labou?r)?\s+camp"), _KYOHWASO),
    (
        re.compile(
            r"(?:kwan|kwal|gwal|gwan)[\s-]*(?:li|ri)[\s-]*so|정치범\s*수용소|관리소"
            r"|political\s+prison(?:ers?)?\s+camp|concentration\s+camp|internment\s+camp"
        ),
        _KWANLISO,
    ),
    (re.compile(r"(?:prison|labou?r)\s+camp|수용소"), _CAMP),
]
# "No. 15", "#15", "제15호", "15호" -> " 15 "
_NUMBER_PHRASES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"제?\s*([0-9]+)\s*호"), r" \1 "),
    (re.compile(r"\b(?:no|number|nr)\b\.?\s*([0-9]+)"), r" \1 "),
    (re.compile(r"#\s*([0-9]+)"), r" \1 "),
]
_WORD = re.compile(r"[^\W_]+")
# Generic words dropped from the end of a latin name: "Yodok County" -> "yodok".
_GENERIC_TRAILING = frozenset(
    """county gun kun si shi city province prov do to special directly governed municipality
    capital prefecture autonomous korean chaoxianzu zizhizhou zizhixian sheng shi xian zhou ri ni
    dong workers district prison facility centre center detention camp""".split()
)
# "-namdo"/"-pukto" name a half of a province: keep the half, drop "do".
_PROVINCE_HALVES = {"namdo": "nam", "pukto": "puk", "bukdo": "buk", "bukto": "buk"}
# Hangul and Chinese-character suffixes stripped from the end of the whole name when two
# or more characters remain: 요덕군 -> 요덕, 延吉市 -> 延吉 (but 강동 stays 강동).
_CJK_SUFFIXES = sorted(
    """특별시 직할시 특급시 조선족자치주 조선족자치현 자치주 자치현 노동자구 구역
    군 시 도 리 동 성 현 주 구류장 구류소 집결소
    朝鲜族自治州 朝鮮族自治州 朝鲜族自治县 朝鮮族自治縣 自治州 自治县 自治縣
    直轄市 特別市 市 省 县 縣 郡 道 州""".split(),
    key=len,
    reverse=True,
)
_DROP = str.maketrans("", "", APOSTROPHES)


def _strip_cjk_suffixes(key: str) -> str:
    """Strip suffixes repeatedly, so 신의주시 and 신의주 reduce to the same key."""
    stripped = True
    while stripped:
        stripped = False
        for suffix in _CJK_SUFFIXES:
            if key.endswith(suffix) and len(key) - len(suffix) >= 2:
                key = key[: -len(suffix)]
                stripped = True
                break
    return key


def normalise_place_name(text: str) -> str:
    """A comparison key for a place name in any script or romanization.

    NFKD then NFC (so breves and accents go but Hangul stays whole), case-folded, apostrophes
    dropped, facility types and numbers canonicalised ("Camp 15", "Kwalliso No. 15" and
    "제15호 관리소" all give ``kwanliso15``), generic trailing words ("county", "-gun",
    "province", "camp", "-ri") and Hangul suffixes (군, 시, 도, ...) removed, and the remaining
    words joined without spaces or hyphens. Returns ``""`` for text with no letters or digits.
    """
    s = strip_marks(text).casefold().translate(_DROP)
    for pattern, replacement in _TYPE_PHRASES:
        s = pattern.sub(f" {replacement} ", s)
    for pattern, replacement in _NUMBER_PHRASES:
        s = pattern.sub(replacement, s)
    words = _WORD.findall(s)
    facility = ""
    kept: list[str] = []
    for word in words:
        if word in (_KWANLISO, _KYOHWASO):
            facility = word
        elif word == _CAMP:
            facility = facility or _CAMP
        else:
            kept.append(_PROVINCE_HALVES.get(word, word))
    while len(kept) > 1 and kept[-1] in _GENERIC_TRAILING:
        kept.pop()
    numbers = [w for w in kept if w.isdigit()]
    names = [w for w in kept if not w.isdigit()]
    if names:
        key = "".join(names)
        if not key.isascii():
            key = _strip_cjk_suffixes(key)
        return key
    if numbers:
        kind = _KWANLISO if facility in ("", _CAMP) else facility
        return kind + "".join(numbers)
    return facility


_SKELETON_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"eo"), "o"),
    (re.compile(r"eu"), "u"),
    (re.compile(r"tch|ch|j"), "c"),
    (re.compile(r"sh"), "s"),
    (re.compile(r"g"), "k"),
    (re.compile(r"b"), "p"),
    (re.compile(r"d"), "t"),
    (re.compile(r"r"), "l"),
    (re.compile(r"([a-z])\1+"), r"\1"),
]


def romanization_skeleton(key: str) -> str:
    """Collapse differences between romanization systems in a normalised latin key.

    ``yodeok`` (RR) and ``yodok`` (MR without breves) both give ``yotok``; ``gilju`` and
    ``kilchu`` both give ``kilcu``. Keys in other scripts are returned unchanged.
    """
    if not key.isascii():
        return key
    for pattern, replacement in _SKELETON_RULES:
        key = pattern.sub(replacement, key)
    return key
