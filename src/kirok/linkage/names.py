"""Korean personal names: romanizing them, keys that survive romanization, order detection.

Conventions chosen for names (documented in docs/explanation/linkage.md):

* The family name and the given name are romanized separately: there is never assimilation
  between them (김일성 is Kim Il-sŏng, not Kimilsŏng).
* RR: the given name is romanized syllable by syllable without sound changes, hyphenated
  (RR notice 2000-8, §3.4: 한복남 Han Bok-nam, 홍빛나 Hong Bit-na). The family name takes its
  conventional passport spelling (Kim, Lee, Park, Choi) unless ``conventional=False`` (Gim, I, Bak).
* MR: ALA-LC practice: hyphenated given name, the second syllable voiced after a vowel or nasal
  (김대중 Kim Tae-jung, 이명박 Yi Myŏng-bak) but no liaison or nasalisation; 이 is Yi.
* DPRK: each syllable of the given name a capitalised word, voiced as in MR (Kim Jong Il,
  Ri Sol Ju, Kim Yang Gon, Ri Myong Bak); family names in the North's orthography (이 → Ri,
  유 → Ryu, 임 → Rim).

Linkage keys (:func:`surname_class`, :func:`given_key`) deliberately merge what the romanization
systems and everyday spellings cannot tell apart: voiced/voiceless and aspirated consonants
(g/k/kh, j/ch/ch'), ㅓ ㅗ ㅜ ㅡ (eo, ŏ, o, u, ŭ, eu, oo — Jung, Jeong and Chŏng are one name),
ㅐ/ㅔ, ㅚ/ㅙ/ㅞ, ㅢ/ㅣ, r/l, doubled letters, hyphens, spaces and joined syllables, and the North's
word-initial r (Ryong = Yong). Such a key is a blocking and comparison aid, not an identity:
the model also compares the exact Hangul when both records have it.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from kirok.linkage.hangul import has_hangul, is_syllable, north_to_south
from kirok.linkage.romanize import SYSTEMS, ascii_fold, romanize, romanize_syllables
from kirok.linkage.surnames import (
    COMPOUND_SURNAMES,
    CONVENTIONAL_MR,
    CONVENTIONAL_RR,
    NORTH_FORMS,
    SURNAMES,
)

_NON_LETTERS = re.compile(r"[^a-z]")
# Keys are pure functions of short strings that repeat across a large list (a few thousand
# distinct family and given names): memoised, a million records cost a few thousand key
# derivations.
_CACHE = 1 << 18
_RULES: tuple[tuple[str, str], ...] = (
    ("rh", "r"),
    ("wh", "w"),
    ("tch", "c"),
    ("ch", "c"),
    ("ts", "c"),
    ("j", "c"),
    ("z", "c"),
    ("sh", "s"),
    ("kh", "k"),
    ("th", "t"),
    ("ph", "p"),
    ("ng", "N"),
    ("g", "k"),
    ("d", "t"),
    ("b", "p"),
    ("f", "p"),
    ("q", "k"),
    ("x", "s"),
    ("v", "p"),
    ("eo", "o"),
    ("eu", "u"),
    ("oo", "u"),
    ("ee", "i"),
    ("ea", "e"),
    ("ou", "u"),
    ("wu", "u"),
    ("ui", "i"),
    ("oi", "oe"),
    ("wae", "we"),
    ("ae", "e"),
    ("ai", "e"),
    ("oe", "we"),
    ("u", "o"),
    ("h(?![aeiowyN])", ""),
)


_COMPILED_RULES = tuple((re.compile(pattern), repl) for pattern, repl in _RULES)
_INITIAL_YI = re.compile(r"^yi")
_INITIAL_RLN = re.compile(r"^[rln](?=[yi])")
_INITIAL_RL = re.compile(r"^[rl]")
_DOUBLED = re.compile(r"(.)\1+")


def _fold(text: str) -> str:
    return _NON_LETTERS.sub("", ascii_fold(text).lower())


@lru_cache(maxsize=_CACHE)
def latin_key(text: str) -> str:
    """A coarse phonetic key of romanized Korean, the same whatever system wrote it."""
    s = _fold(text)
    for pattern, repl in _COMPILED_RULES:
        s = pattern.sub(repl, s)
    s = _INITIAL_YI.sub("i", s)
    s = _INITIAL_RLN.sub("", s)  # North's word-initial ㄹ, ㄴ: Ryong = Yong, Nyo = Yo
    s = _INITIAL_RL.sub("n", s)  # 로 = 노
    s = s.replace("r", "l").replace("N", "ng")
    return _DOUBLED.sub(r"\1", s)


def _hangul_given_latin(hangul: str) -> str:
    words = [w for w in hangul.split() if w]
    normal = north_to_south(" ".join(words)).replace(" ", "")
    return "".join(romanize_syllables(normal, "rr", voicing=False))


@lru_cache(maxsize=_CACHE)
def given_key(text: str) -> str:
    """Key of a given name invariant to the romanization system (Hangul or Latin, any spacing).

    정일, Jong-il, Jeong-il, Chŏng-il, Chongil and Jong Il all give ``congil``.
    """
    if has_hangul(text):
        return latin_key(_hangul_given_latin(text))
    return latin_key(text)


# McCune–Reischauer's marks, as typed: the breve (or a caron in its place) and the apostrophe
# of aspiration (or a typographer's quote).
_MARK_VARIANTS = str.maketrans({"ǒ": "ŏ", "ǔ": "ŭ", "’": "'", "‘": "'", "`": "'", "ʼ": "'"})
_NOT_MARKED_LETTER = re.compile(r"[^a-zŏŭ']")


def _marked(text: str) -> str:
    """The spelling with McCune–Reischauer's marks kept, or "" if it has none."""
    s = _NOT_MARKED_LETTER.sub("", text.lower().translate(_MARK_VARIANTS))
    return s if any(c in "ŏŭ'" for c in s) else ""


@cache
def _surname_index() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    marked: dict[str, str] = {}
    exact: dict[str, str] = {}
    coarse: dict[str, str] = {}
    for hangul, variants in SURNAMES.items():
        forms = list(variants)
        for source in {hangul, NORTH_FORMS.get(hangul, hangul)}:
            forms.extend(romanize(source, system) for system in SYSTEMS)
        for form in forms:
            if mark := _marked(form):
                marked.setdefault(mark, hangul)
            exact.setdefault(_fold(form), hangul)
            coarse.setdefault(latin_key(form), hangul)
    return marked, exact, coarse


def _lookup_surname(text: str) -> str | None:
    if has_hangul(text):
        hangul = north_to_south("".join(c for c in text if is_syllable(c)))
        return hangul if hangul in SURNAMES else None
    marked, exact, coarse = _surname_index()
    folded = _fold(text)
    if not folded:
        return None
    # The marks tell apart what the letters alone do not (Sŏng is 성, Song 송; Ch'ŏn is 천,
    # Chŏn 전); without them the more frequent family name is taken (see surnames.py).
    mark = _marked(text)
    return (mark and marked.get(mark)) or exact.get(folded) or coarse.get(latin_key(text))


def is_known_surname(text: str) -> bool:
    """True when the text is a listed Korean family name in Hangul or any known spelling."""
    return _lookup_surname(text) is not None


@lru_cache(maxsize=_CACHE)
def surname_class(text: str) -> str:
    """One key per family name whatever the script or romanization (Lee, Yi, Rhee, Ri, 리 → 이).

    Known names map to their Hangul in the South's orthography; a Latin spelling that fits two
    names goes to the more frequent one. Unknown Hangul is returned normalised; unknown Latin
    spellings return ``"~"`` followed by their :func:`latin_key`. Empty input gives ``""``.
    """
    found = _lookup_surname(text)
    if found is not None:
        return found
    if has_hangul(text):
        return north_to_south("".join(c for c in text if is_syllable(c)))
    key = latin_key(text)
    return "~" + key if key else ""


def _family_latin(family: str, system: str, conventional: bool) -> str:
    south = north_to_south(family)
    if system == "rr":
        if conventional and south in CONVENTIONAL_RR:
            return CONVENTIONAL_RR[south]
        return romanize(family, "rr")
    if system == "dprk":
        return romanize(NORTH_FORMS.get(family, family), "dprk")
    mr = CONVENTIONAL_MR.get(family) if conventional else None
    mr = mr or romanize(family, "mr")
    return ascii_fold(mr) if system == "mr_ascii" else mr


def romanize_name(
    family: str, given: str, system: str, *, hyphen: bool = True, conventional: bool = True
) -> tuple[str, str]:
    """Romanize a Hangul name as (family, given) in a system's personal-name convention.

    >>> romanize_name("김", "정일", "rr"), romanize_name("김", "정일", "mr")
    (('Kim', 'Jeong-il'), ('Kim', 'Chŏng-il'))
    >>> romanize_name("김", "정일", "dprk"), romanize_name("김", "정일", "mr_ascii", hyphen=False)
    (('Kim', 'Jong Il'), ('Kim', 'Chongil'))

    ``hyphen=False`` joins the given name's syllables (Jeongil; DPRK style: Jongil).
    Text that is not Hangul is returned unchanged.
    """
    if system not in SYSTEMS:
        raise ValueError(f"unknown romanization system {system!r}; expected one of {SYSTEMS}")
    family = "".join(family.split())
    given = "".join(given.split())
    fam = _family_latin(family, system, conventional) if has_hangul(family) else family
    if not has_hangul(given):
        return fam, given
    parts = romanize_syllables(given, system, voicing=system != "rr")
    if system == "dprk" and hyphen:
        giv = " ".join(p[:1].upper() + p[1:] for p in parts)
    else:
        joined = ("-" if hyphen else "").join(parts)
        giv = joined[:1].upper() + joined[1:]
    return fam, giv


@lru_cache(maxsize=_CACHE)
def split_name(full: str) -> tuple[str, str]:
    """Split a full name into (family, given), detecting family-name-first or -last order.

    Hangul: the family name comes first (two syllables for 남궁, 황보, 제갈 …). Latin: "FAMILY,
    Given" by the comma; else a single all-capital word among mixed-case words is the family name
    (KIM Jong Il, Jong-il KIM); else the hyphenated word is the given name (Jong-il Kim); else a
    known family name at only one end decides; else family name first, the Korean order.
    A single Latin word is a family name when it is a known one (Kim, KO, Chang: a record that
    kept only the family name), else a given name with an empty family name (Gunho).
    """
    s = " ".join(full.replace("\u3000", " ").split())
    if not s:
        return "", ""
    if has_hangul(s):
        tokens = s.split(" ")
        if len(tokens) >= 2:
            first, last = tokens[0], tokens[-1]
            if is_known_surname(last) and not is_known_surname(first):
                return last, "".join(tokens[:-1])
            return first, "".join(tokens[1:])
        word = tokens[0]
        if len(word) >= 3 and north_to_south(word[:2]) in COMPOUND_SURNAMES:
            return word[:2], word[2:]
        return word[:1], word[1:]
    if "," in s:
        fam, _, giv = s.partition(",")
        return fam.strip(), giv.strip()
    tokens = s.split(" ")
    if len(tokens) == 1:
        return (s, "") if is_known_surname(s) else ("", s)
    # an initial ("S.") is not a capitalised family name: Yi S. is Yi, initial S.
    caps = [t for t in tokens if sum(c.isalpha() for c in t) > 1 and t.isupper()]
    if len(caps) == 1 and len(caps) < len(tokens):
        rest = [t for t in tokens if t is not caps[0]]
        return caps[0], " ".join(rest)
    first, last = tokens[0], tokens[-1]
    if "-" in first and "-" not in last:
        return last, " ".join(tokens[:-1])
    if "-" in last and "-" not in first:
        return first, " ".join(tokens[1:])
    if is_known_surname(last) and not is_known_surname(first):
        return last, " ".join(tokens[:-1])
    return first, " ".join(tokens[1:])
