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
from functools import cache

import pandas as pd

from kirok.domain.text import normalise_place_name
from kirok.linkage.hangul import has_hangul, north_to_south
from kirok.linkage.names import (
    given_key,
    latin_key,
    split_name,
    surname_class,
)
from kirok.linkage.romanize import ascii_fold, romanize

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
    "name_keys",
    "name_prefixes",
    "birth_year",
    "birth_full",
    "sex_norm",
    "place_key",
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
    sur = surname_class(family)
    keys = {f"{sur}:{given_key(given)}"} if family and given else set()
    for r_family, r_given in _readings(full):
        keys.add(f"{surname_class(r_family)}:{given_key(r_given)}")
    if family and given and not has_hangul(given):
        keys.add(f"{surname_class(given)}:{given_key(family)}")  # written in the wrong order
    for alias in aliases:
        a_family, a_given = split_name(alias)
        if not a_family:
            a_family = family
        if a_family and a_given:
            keys.add(f"{surname_class(a_family)}:{given_key(a_given)}")
    return sorted(keys)


def parse_birth(value: str) -> tuple[int | None, str | None]:
    """Birth year and, for a full date, the date as YYYY-MM-DD."""
    match = _DATE.match(value)
    if not match:
        return None, None
    year, month, day = match.groups()
    full = f"{year}-{month}-{day}" if month and day else None
    return int(year), full


@cache
def _gazetteer_id(text: str) -> str | None:
    """The gazetteer id of a place name, trying the whole text, then its parts.

    "함경북도 청진시" and "Chongjin, North Hamgyong" both resolve through their city part; a
    settlement beats a facility of the same name (청진 is a city and camp 25).
    """
    try:
        from kirok.domain.gazetteer import load_gazetteer

        gazetteer = load_gazetteer()
    except (ImportError, OSError, ValueError):  # the linkage still works without it
        return None
    parts = [text]
    for chunk in re.split(r"[,/;()]", text):
        parts.append(chunk.strip())
        parts.extend(reversed(chunk.split()))
    for part in parts:
        if not part:
            continue
        found = gazetteer.find(part)
        if found:
            towns = [p for p in found if p.kind != "facility"]
            return str((towns or found)[0].id)
    return None


def place_key(text: str) -> str | None:
    """A gazetteer id for a place name, else a key invariant to script and romanization."""
    if not text:
        return None
    found = _gazetteer_id(text)
    if found:
        return found
    text = normalise_place_name(text) or text  # drops "City", "-gun", 시, 군 …
    if has_hangul(text):
        text = romanize(north_to_south(text), "rr")
    key = latin_key(text)
    return "~" + key if key else None


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
    for rid, full, fam, giv, aliases, birth, sex, place in zip(
        ids,
        col("full_name"),
        col("family_name"),
        col("given_name"),
        col("aliases"),
        col("birth_date"),
        col("sex"),
        col("birth_place"),
        strict=True,
    ):
        family, given = name_parts(full, fam, giv)
        alias_list = [a.strip() for a in aliases.split(";") if a.strip()]
        year, full_date = parse_birth(birth)
        sur_cls = surname_class(family) if family else ""
        giv_k = given_key(given) if given else ""
        sur_latin = romanize(north_to_south(family), "rr") if has_hangul(family) else family
        sur_k = latin_key(sur_latin)
        prefixes = sorted({k[:2] for k in (sur_k, giv_k) if k})
        rows.append(
            {
                "unique_id": rid,
                "sur_raw": _raw(family),
                "surname_cls": _none_if_empty(sur_cls),
                "sur_key": _none_if_empty(sur_k),
                "given_raw": _raw(given),
                "given_k": _none_if_empty(giv_k),
                "name_keys": name_keys(family, given, alias_list, "" if (fam or giv) else full),
                "name_prefixes": prefixes,
                "birth_year": year,
                "birth_full": full_date,
                "sex_norm": _SEX.get(sex.lower()),
                "place_key": place_key(place),
            }
        )
    out = pd.DataFrame(rows, columns=list(MODEL_COLUMNS))
    out["birth_year"] = out["birth_year"].astype("Int64")
    for name in extra_columns:
        values = col(name)
        out[f"x_{name}"] = [v.lower() or None for v in values]
    return out
