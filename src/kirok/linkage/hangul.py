"""Hangul syllables, jamo, and the North → South initial-sound law.

A precomposed Hangul syllable (U+AC00–U+D7A3) is arithmetic over three indices: initial
consonant (19), medial vowel (21) and optional final consonant (27 + none). Inside kirok the
syllable is handled as three *compatibility* jamo strings (ㄱ, ㅏ, ㄴ …) because the sound-change
rules read naturally on them; ``to_jamo``/``from_jamo`` expose the *conjoining* jamo of Unicode
(canonical decomposition, NFD), which is lossless and what other tools expect.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

INITIALS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
MEDIALS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
FINALS = (
    "",
    "ㄱ",
    "ㄲ",
    "ㄳ",
    "ㄴ",
    "ㄵ",
    "ㄶ",
    "ㄷ",
    "ㄹ",
    "ㄺ",
    "ㄻ",
    "ㄼ",
    "ㄽ",
    "ㄾ",
    "ㄿ",
    "ㅀ",
    "ㅁ",
    "ㅂ",
    "ㅄ",
    "ㅅ",
    "ㅆ",
    "ㅇ",
    "ㅈ",
    "ㅊ",
    "ㅋ",
    "ㅌ",
    "ㅍ",
    "ㅎ",
)
_BASE = 0xAC00
_LAST = 0xD7A3

# Vowels before which word-initial ㄹ and ㄴ are dropped in the South (두음법칙).
_IOTIZED = set("ㅣㅑㅕㅖㅛㅠ")


class Syllable(NamedTuple):
    """One Hangul syllable as compatibility jamo; ``final`` is ``""`` when there is none."""

    initial: str
    medial: str
    final: str


def is_syllable(ch: str) -> bool:
    """True for one precomposed Hangul syllable."""
    return len(ch) == 1 and _BASE <= ord(ch) <= _LAST


_ANY_SYLLABLE = re.compile("[\uac00-\ud7a3]")


def has_hangul(text: str) -> bool:
    """True when the text contains at least one Hangul syllable."""
    return _ANY_SYLLABLE.search(text) is not None


def decompose(ch: str) -> Syllable:
    """Split one precomposed syllable into its three jamo."""
    if not is_syllable(ch):
        raise ValueError(f"not a Hangul syllable: {ch!r}")
    code = ord(ch) - _BASE
    return Syllable(INITIALS[code // 588], MEDIALS[(code % 588) // 28], FINALS[code % 28])


def compose(syl: Syllable) -> str:
    """Join three compatibility jamo into one precomposed syllable."""
    i = INITIALS.index(syl.initial)
    m = MEDIALS.index(syl.medial)
    f = FINALS.index(syl.final)
    return chr(_BASE + (i * 21 + m) * 28 + f)


def to_jamo(text: str) -> str:
    """Decompose every Hangul syllable into conjoining jamo (Unicode NFD); other text unchanged."""
    return "".join(unicodedata.normalize("NFD", c) if is_syllable(c) else c for c in text)


def from_jamo(text: str) -> str:
    """Recompose conjoining jamo into syllables (Unicode NFC); the inverse of :func:`to_jamo`."""
    return unicodedata.normalize("NFC", text)


def _initial_law(ch: str) -> str:
    syl = decompose(ch)
    if syl.initial == "ㄹ":
        new = "ㅇ" if syl.medial in _IOTIZED else "ㄴ"
    elif syl.initial == "ㄴ" and syl.medial in _IOTIZED:
        new = "ㅇ"
    else:
        return ch
    return compose(Syllable(new, syl.medial, syl.final))


def north_to_south(hangul: str) -> str:
    """Apply the South's initial-sound law (두음법칙) to the first syllable of every word.

    The North writes 리, 류, 림, 로, 량, 룡, 렬, 녀 at the start of a word; the South writes
    이, 유, 임, 노, 양, 용, 열, 여. Words are runs separated by whitespace, so a family name and a
    given name written apart are both normalised (리 설주 → 이 설주); inside a word only the first
    syllable changes (리설주 → 이설주: a name written joined is one word, its given name keeps ㄹ —
    use :func:`north_to_south_name` when the parts are known).
    """
    out: list[str] = []
    at_start = True
    for ch in hangul:
        if is_syllable(ch):
            out.append(_initial_law(ch) if at_start else ch)
            at_start = False
        else:
            out.append(ch)
            at_start = ch.isspace() or ch in "-·,;/"
    return "".join(out)


def north_to_south_name(family: str, given: str) -> tuple[str, str]:
    """Normalise a name's two parts separately (each starts a word in the South's orthography)."""
    return north_to_south(family.strip()), north_to_south(given.strip())


def syllables(text: str) -> list[str]:
    """The Hangul syllables of a text, other characters dropped."""
    return [c for c in text if is_syllable(c)]
