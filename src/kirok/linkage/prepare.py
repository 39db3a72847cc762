"""Derived columns the linkage model compares: name keys, birth year, sex, place key.

Input follows the ``kirok link dedupe`` file contract: ``record_id`` and any of ``full_name``,
``family_name``, ``given_name``, ``aliases`` (``;``-separated full names), ``birth_date``
(YYYY, YYYY-MM, YYYY-MM-DD; YYYYMMDD is accepted too), ``sex``, ``birth_place``, ``source``.
Any name field may hold Hangul or Latin. Nothing of the input is altered: derived columns are
added next to the originals in a new frame.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import cache, lru_cache
from typing import TYPE_CHECKING

import pandas as pd

from kirok.domain.text import normalise_place_name
from kirok.linkage.hangul import has_hangul, north_to_south
from kirok.linkage.names import (
    given_key,
    latin_key,
    romanize_name,
    split_name,
    surname_class,
)
from kirok.linkage.romanize import ascii_fold, romanize

if TYPE_CHECKING:
    from kirok.domain.gazetteer import Gazetteer

CONTRACT_COLUMNS = (
    "record_id",
    "full_name",
    "family_name",
    "given_name",
    "aliases",
    "birth_date",
    "sex",
    "birth_place",
    "source",
)
# Columns the model reads, in the order Splink receives them.
MODEL_COLUMNS = (
    "unique_id",
    "sur_raw",
    "surname_cls",
    "sur_key",
    "given_raw",
    "given_k",
    "given_hangul",
    "given_rr",
    "given_mr",
    "given_rev",
    "given_keys",
    "given_head",
    "given_tail",
    "name_keys",
    "name_prefixes",
    "birth_year",
    "birth_full",
    "sex_norm",
    "place_key",
    "place_region",
    "source_key",
)
_DATE = re.compile(r"^\s*(\d{4})(?:-?(\d{2})(?:-?(\d{2}))?)?\s*$")
_SEX = {
    "f": "F",
    "female": "F",
    "w": "F",
    "woman": "F",
    "여": "F",
    "여성": "F",
    "여자": "F",
    "m": "M",
    "male": "M",
    "man": "M",
    "남": "M",
    "남성": "M",
    "남자": "M",
}


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return " ".join(str(value).split())


@lru_cache(maxsize=1 << 18)
def given_letters(given_hangul: str | None) -> tuple[str | None, str | None]:
    """A Hangul given name's letters as Revised Romanization and as McCune–Reischauer without
    its marks write a name (철일: cheolil, cholil): what a romanized record of it has, slips
    aside, in the two families of systems (passports and RR; MR, DPRK)."""
    if not given_hangul:
        return None, None
    rr, mr = (_raw(romanize_name("", given_hangul, s)[1]) for s in ("rr", "mr_ascii"))
    return rr, mr


def _raw(text: str) -> str | None:
    """The name as written, normalised only in script-neutral ways (case, spacing, North→South)."""
    if not text:
        return None
    if has_hangul(text):
        return north_to_south(text).replace(" ", "")
    folded = re.sub(r"[^a-z]", "", ascii_fold(text).lower())
    return folded or None


def _none_if_empty(text: str) -> str | None:
    return text or None


def name_parts(full: str, family: str, given: str) -> tuple[str, str]:
    """(family, given) from the separate fields when present, else split from the full name."""
    if family or given:
        return family, given
    return split_name(full)


def _readings(full: str) -> list[tuple[str, str]]:
    """Both orders of a Latin full name: "Sol Ju Ri" may be Ri Sol-ju or Sol Ju-ri."""
    tokens = full.replace(",", " ").split()
    if len(tokens) < 2 or has_hangul(full):
        return []
    return [(tokens[0], " ".join(tokens[1:])), (tokens[-1], " ".join(tokens[:-1]))]


def name_keys(family: str, given: str, aliases: Iterable[str], full: str = "") -> list[str]:
    """``surname-class:given-key`` for the name, its other readings, and every alias."""
    return list(_name_keys(family, given, tuple(aliases), full))


@lru_cache(maxsize=1 << 18)
def _name_keys(family: str, given: str, aliases: tuple[str, ...], full: str) -> tuple[str, ...]:
    sur = surname_class(family)
    keys = {f"{sur}:{given_key(given)}"} if family and given else set()
    for r_family, r_given in _readings(full):
        r_sur, r_key = surname_class(r_family), given_key(r_given)
        if r_sur and r_key:
            keys.add(f"{r_sur}:{r_key}")
    if family and given and not has_hangul(given):
        keys.add(f"{surname_class(given)}:{given_key(family)}")  # written in the wrong order
    for alias in aliases:
        a_family, a_given = split_name(alias)
        if not a_family:
            a_family = family
        if a_family and a_given:
            keys.add(f"{surname_class(a_family)}:{given_key(a_given)}")
    return tuple(sorted(keys))


@lru_cache(maxsize=1 << 18)
def parse_birth(value: str) -> tuple[int | None, str | None]:
    """Birth year and, for a full date, the date as YYYY-MM-DD."""
    match = _DATE.match(value)
    if not match:
        return None, None
    year, month, day = match.groups()
    full = f"{year}-{month}-{day}" if month and day else None
    return int(year), full


@cache
def _gazetteer() -> Gazetteer | None:
    try:
        from kirok.domain.gazetteer import load_gazetteer

        return load_gazetteer()
    except (ImportError, OSError, ValueError):  # the linkage still works without it
        return None


@cache
def _lookup_place(text: str) -> tuple[str, str] | None:
    """(gazetteer id, kind) of one place name; a settlement beats a facility of the same name
    (청진 is a city and camp 25)."""
    gazetteer = _gazetteer()
    if gazetteer is None or not text:
        return None
    found = gazetteer.find(text)
    if not found:
        return None
    towns = [p for p in found if p.kind != "facility"]
    best = (towns or found)[0]
    return str(best.id), str(best.kind)


_REGION_KINDS = frozenset({"province", "special_city", "country"})


def _place_parts(text: str) -> tuple[str, list[str]]:
    """The settlement part of a place as written and the parts that may name its province.

    "함경북도 청진시" and "Chongjin, North Hamgyong" both give the city part first: Hangul
    writes the province first, a comma-separated Latin place writes it last.
    """
    chunks = [c.strip() for c in re.split(r"[,/;()]", text) if c.strip()]
    if len(chunks) > 1:
        return chunks[0], chunks[1:]
    words = text.split()
    if has_hangul(text) and len(words) > 1:
        return words[-1], [" ".join(words[:-1])]
    return text, []


@lru_cache(maxsize=1 << 18)
def place_keys(text: str) -> tuple[str | None, str | None]:
    """(place key, region key) of a place name.

    The place key is the gazetteer id of the settlement when the gazetteer knows it, else a
    key of its name invariant to script and romanization (``~`` first): 단천시, Dancheon-si and
    Tanchon all give ``~tancon``. A place given only as a province keys as that province. The
    region key is the province's gazetteer id (``KP-NHA``) when it is known, so that a city
    and its province, or two spellings of one province's towns, can be compared.
    """
    text = " ".join(text.split())
    if not text:
        return None, None
    whole = _lookup_place(text)
    if whole and whole[1] != "facility":
        return whole[0], _region_of(whole[0])
    settlement, others = _place_parts(text)
    region = None
    for part in others:
        found = _lookup_place(part) or _lookup_place(normalise_place_name(part) or part)
        if found:
            region = _region_of(found[0])
            break
    settlement = _without_slipped_suffix(settlement)
    found = _lookup_place(settlement)
    if not found:
        normal = normalise_place_name(settlement)
        found = _lookup_place(normal) if normal else None
    if found and (found[1] not in _REGION_KINDS or not others):
        return found[0], _region_of(found[0])
    near = _near_place(settlement)
    if near and (region is None or _region_of(near) == region):
        return near, _region_of(near)
    key = _place_name_key(settlement)
    return ("~" + key if key else None), region


# What a Latin place name may end in after the name itself (normalise_place_name drops these).
_SUFFIXES = ("city", "county", "district")


def _without_slipped_suffix(settlement: str) -> str:
    """The place without a last word that is a slip of City or County ("Kimjongsuk Conuty"),
    which would otherwise stay in its key."""
    words = settlement.split()
    if len(words) < 2 or has_hangul(settlement):
        return settlement
    last = words[-1].casefold()
    if last in _SUFFIXES:
        return settlement
    slips = _deletes(last) | {last}
    if any(slips & (_deletes(s) | {s}) for s in _SUFFIXES):
        return " ".join(words[:-1])
    return settlement


def _place_name_key(text: str) -> str:
    """Script- and romanization-invariant key of a place name (단천시, Dancheon-si → tancon)."""
    normal = normalise_place_name(text) or text  # drops "City", "-gun", 시, 군 …
    if has_hangul(normal):
        normal = romanize(north_to_south(normal), "rr")
    return latin_key(normal)


# Kinds a slip in a place name may be resolved to: settlements, not provinces or camps.
_UNNEAR_KINDS = frozenset({"province", "country", "facility"})
_MIN_NEAR_KEY = 4


def _deletes(key: str) -> set[str]:
    return {key[:i] + key[i + 1 :] for i in range(len(key))}


@cache
def _settlement_keys() -> dict[str, frozenset[str]]:
    """Key of every name of every known settlement → the settlements' ids."""
    keys: dict[str, set[str]] = {}
    for place in _gazetteer() or ():
        if place.kind not in _UNNEAR_KINDS:
            for name in place.names:
                key = _place_name_key(name.text)
                if key:
                    keys.setdefault(key, set()).add(str(place.id))
    return {k: frozenset(v) for k, v in keys.items()}


@cache
def _near_index() -> dict[str, frozenset[tuple[str, str]]]:
    """Each settlement key and each key with one letter dropped → (id, first letter)."""
    index: dict[str, set[tuple[str, str]]] = {}
    for key, ids in _settlement_keys().items():
        if len(key) >= _MIN_NEAR_KEY:
            for variant in _deletes(key) | {key}:
                index.setdefault(variant, set()).update((i, key[0]) for i in ids)
    return {k: frozenset(v) for k, v in index.items()}


@lru_cache(maxsize=1 << 16)
def _near_place(settlement: str) -> str | None:
    """The one known settlement a place name the gazetteer does not know is a slip of.

    A transcriber's slip drops, doubles or swaps a letter after the first (Sinuiu, Hyesna,
    ONSNG): the written key is then one deletion away from a settlement's key, either way (a
    swap leaves both one deletion from a common string), and starts with the same letter. In
    Hangul a slip doubles or swaps a syllable (혜산산시); a dropped syllable is not undone, as
    the shorter name is often another place. Only a single candidate is taken. Keyed as its own
    name instead, a slip disagreed with every other spelling of the town (−5.6 bits on the
    Korean lists).
    """
    found: set[str] = set()
    if has_hangul(settlement):
        normal = normalise_place_name(settlement) or settlement
        syl = [c for c in normal if not c.isspace()]
        variants = {
            "".join(syl[:i] + syl[i + 1 :]) for i in range(1, len(syl)) if syl[i] == syl[i - 1]
        } | {"".join(syl[:i] + [syl[i + 1], syl[i]] + syl[i + 2 :]) for i in range(len(syl) - 1)}
        for variant in variants:
            found.update(_settlement_keys().get(_place_name_key(variant), frozenset()))
    else:
        key = _place_name_key(settlement)
        if len(key) < _MIN_NEAR_KEY:
            return None
        index = _near_index()
        for variant in _deletes(key) | {key}:
            found.update(i for i, first in index.get(variant, frozenset()) if first == key[0])
    return next(iter(found)) if len(found) == 1 else None


def _region_of(place_id: str) -> str:
    """The province part of a gazetteer id: KP-NHA-CHONGJIN → KP-NHA."""
    parts = place_id.split("-")
    return "-".join(parts[:2]) if len(parts) > 2 else place_id


def place_key(text: str) -> str | None:
    """A gazetteer id for a place name, else a key invariant to script and romanization."""
    return place_keys(text)[0]


def _pieces(text: str) -> list[str]:
    """The syllables of a given name as written: Hangul syllables, or the hyphen- or
    space-separated pieces of a romanized name (one piece when they are joined). Hangul is
    taken as written: the initial-sound law belongs to the syllable that ends up first, so
    련하 read the other way is 하련 (halyon, as HARYEON is keyed), not 하연 from 연하."""
    if has_hangul(text):
        return [c for c in text if not c.isspace() and c != "-"]
    return [p for p in re.split(r"[\s\-]+", text) if p]


@lru_cache(maxsize=1 << 18)
def reversed_given_key(text: str) -> str | None:
    """Key of the given name with its syllables in the other order (단희 for 희단; Tan-yŏng for
    Yŏng-tan), the commonest transcription slip after a typo; None for one syllable."""
    pieces = _pieces(text)
    if len(pieces) != 2:
        return None
    key = given_key("".join(reversed(pieces)))
    return key or None


_DIGIT = re.compile(r"\d")


def _not_code(part: str) -> str:
    return "" if _DIGIT.search(part) else part


@lru_cache(maxsize=1 << 18)
def _given_key(given: str) -> str:
    """:func:`given_key`, keeping an initial ("H.", whose letter the key drops) as its letter."""
    if not given:
        return ""
    key = given_key(given)
    if key or has_hangul(given):
        return key
    letters = re.sub(r"[^a-z]", "", ascii_fold(given).lower())
    return letters[:1] if len(letters) == 1 else key


def _given_keys(key: str, given: str, full_only: str) -> list[str]:
    """Every key the given name may have: as written, its syllables transposed, and — for a name
    given only as a whole (정웅, Sim Ryeon) — the whole name read as a given name without a
    family name."""
    keys = {key} if key else set()
    if given:
        rev = reversed_given_key(given)
        if rev:
            keys.add(rev)
    if full_only and "," not in full_only:
        whole = given_key(full_only)
        if len(whole) >= 3:
            keys.add(whole)
    return sorted(keys)


def prepare(records: pd.DataFrame, extra_columns: Sequence[str] = ()) -> pd.DataFrame:
    """Add the model's derived columns to a copy of the records.

    ``extra_columns`` are passed through as text for generic comparisons (e.g. an address).
    """
    if "record_id" not in records.columns:
        raise ValueError("the input needs a record_id column")
    ids = records["record_id"].map(_text)
    if (ids == "").any():
        raise ValueError("every record needs a record_id")
    if ids.duplicated().any():
        dupes = sorted(set(ids[ids.duplicated()]))[:5]
        raise ValueError(f"record_id must be unique; repeated: {dupes}")

    def col(name: str) -> list[str]:
        if name not in records.columns:
            return [""] * len(records)
        return [_text(v) for v in records[name].tolist()]

    rows: list[dict[str, object]] = []
    for rid, full, fam, giv, aliases, birth, sex, place, source in zip(
        ids,
        col("full_name"),
        col("family_name"),
        col("given_name"),
        col("aliases"),
        col("birth_date"),
        col("sex"),
        col("birth_place"),
        col("source"),
        strict=True,
    ):
        family, given = name_parts(full, fam, giv)
        # a name part with digits in it is a code (a witness's pseudonym "W-0012"), not a name:
        # it is left out of the name comparisons, as a missing part would be
        family, given = _not_code(family), _not_code(given)
        if _DIGIT.search(full):
            full = ""
        alias_list = [a.strip() for a in aliases.split(";") if a.strip()]
        year, full_date = parse_birth(birth)
        sur_cls = surname_class(family) if family else ""
        giv_k = _given_key(given)
        sur_latin = romanize(north_to_south(family), "rr") if has_hangul(family) else family
        sur_k = latin_key(sur_latin)
        prefixes = sorted({k[:2] for k in (sur_k, giv_k) if k})
        p_key, p_region = place_keys(place)
        giv_raw = _raw(given)
        giv_hangul = giv_raw if giv_raw and has_hangul(giv_raw) else None
        giv_rr, giv_mr = given_letters(giv_hangul)
        long_key = giv_k if len(giv_k) >= 4 else ""
        rows.append(
            {
                "unique_id": rid,
                "sur_raw": _raw(family),
                "surname_cls": _none_if_empty(sur_cls),
                "sur_key": _none_if_empty(sur_k),
                "given_raw": giv_raw,
                "given_k": _none_if_empty(giv_k),
                "given_hangul": giv_hangul,
                "given_rr": giv_rr,
                "given_mr": giv_mr,
                "given_rev": reversed_given_key(given) if given else None,
                "given_keys": _given_keys(giv_k, given, "" if (fam or giv) else full),
                "given_head": _none_if_empty(long_key[:3]),
                "given_tail": _none_if_empty(long_key[-3:]),
                "name_keys": name_keys(family, given, alias_list, "" if (fam or giv) else full),
                "name_prefixes": prefixes,
                "birth_year": year,
                "birth_full": full_date,
                "sex_norm": _SEX.get(sex.lower()),
                "place_key": p_key,
                "place_region": p_region,
                "source_key": source.casefold() or None,
            }
        )
    out = pd.DataFrame(rows, columns=list(MODEL_COLUMNS))
    out["birth_year"] = out["birth_year"].astype("Int64")
    for name in extra_columns:
        values = col(name)
        out[f"x_{name}"] = [v.lower() or None for v in values]
    return out
