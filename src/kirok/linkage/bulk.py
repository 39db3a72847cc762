"""The model's derived columns for a table of any size, computed once per distinct value.

:func:`kirok.linkage.prepare.prepare` derives the columns row by row in Python, which is what
limits linkage at scale (about 30–50 µs of CPU a row: a minute for 1.6 million records).
Names, dates, places and lists repeat a great deal, and each derived column depends on only a
few of the input fields — the surname columns on the family name alone, the given-name columns
on the given name alone, the birth columns on the date — so :func:`prepare_bulk` computes each
group of columns once per distinct value of the fields it depends on, with ``prepare``'s own
building blocks and expressions, and spreads the results back to the rows with numpy. 1.6
million records hold a few tens of thousands of distinct given names and only a few thousand
family names, dates and places.

The values are the same as ``prepare``'s; ``tests/test_linkage_bulk.py`` compares both on the
demo generator's names and on generated Hangul and Latin names, so a change to ``prepare``
that this module does not follow fails there. A derived column ``prepare`` adds that this
module does not know is still computed, by ``prepare`` itself, once per distinct combination
of all the input fields (slower; said once in the log).

List-valued columns (``name_keys`` …) share one list object between the rows with the same
names: treat them as read-only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from kirok.linkage.hangul import has_hangul, north_to_south
from kirok.linkage.names import latin_key, surname_class
from kirok.linkage.prepare import (
    _DIGIT,
    _SEX,
    CONTRACT_COLUMNS,
    MODEL_COLUMNS,
    _given_key,
    _given_keys,
    _none_if_empty,
    _not_code,
    _raw,
    given_letters,
    name_keys,
    name_parts,
    parse_birth,
    place_keys,
    prepare,
    reversed_given_key,
)
from kirok.linkage.romanize import romanize

log = logging.getLogger(__name__)

INPUT_COLUMNS = tuple(c for c in CONTRACT_COLUMNS if c != "record_id")


def _text(value: object) -> str:
    """The text of a cell as ``prepare`` reads it: missing is empty, whitespace collapsed."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return " ".join(str(value).split())


@dataclass(frozen=True)
class Coded:
    """A column as integer codes into its distinct texts (as ``prepare`` reads them)."""

    codes: np.ndarray  # int64, one per row
    values: np.ndarray  # object array of the distinct texts; "" is always among them

    @property
    def cardinality(self) -> int:
        return len(self.values)

    def texts(self) -> np.ndarray:
        """Each row's text (a new array)."""
        return np.asarray(self.values[self.codes], dtype=object)

    def empty(self) -> np.ndarray:
        """Whether each row's text is empty."""
        return np.asarray((self.values == "")[self.codes], dtype=bool)


def coded(texts: np.ndarray) -> Coded:
    """Codes of an object array of texts."""
    codes, values = pd.factorize(np.concatenate([texts, np.array([""], dtype=object)]))
    return Coded(codes[:-1].astype(np.int64), np.asarray(values, dtype=object))


def code_column(records: pd.DataFrame, name: str) -> Coded:
    """Codes of a column's text as ``prepare`` reads it; an absent column is all empty."""
    n = len(records)
    if name not in records.columns:
        return Coded(np.zeros(n, dtype=np.int64), np.array([""], dtype=object))
    raw_codes, uniques = pd.factorize(records[name], use_na_sentinel=True)
    texts = [_text(u) for u in np.asarray(uniques, dtype=object)] + [""]
    raw = np.where(raw_codes < 0, len(texts) - 1, raw_codes).astype(np.int64)
    canon, values = pd.factorize(np.array(texts, dtype=object))
    return Coded(canon.astype(np.int64)[raw], np.asarray(values, dtype=object))


def combine(columns: Sequence[Coded]) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the distinct combinations of several coded columns, and for each combination
    the row of its first occurrence."""
    size = 1
    for c in columns:
        size *= max(c.cardinality, 1)
    if size < 2**62:
        key = np.zeros(len(columns[0].codes), dtype=np.int64)
        for c in columns:
            key = key * max(c.cardinality, 1) + c.codes
        codes, _ = pd.factorize(key)
    else:  # too many combinations to number: sort the code tuples instead
        stacked = np.stack([c.codes for c in columns], axis=1)
        _, codes = np.unique(stacked, axis=0, return_inverse=True)
    codes = np.asarray(codes, dtype=np.int64).ravel()
    first = np.full(int(codes.max()) + 1 if len(codes) else 0, -1, dtype=np.int64)
    # the first row of each combination: assign in reverse so the earliest row wins
    order = np.arange(len(codes) - 1, -1, -1)
    first[codes[order]] = order
    return codes, first


Row = dict[str, object]


def _spread(
    inputs: Sequence[Coded], derive: Callable[..., Row], outputs: Sequence[str]
) -> dict[str, pd.Series]:
    """``derive`` (one text argument per input, a dict of derived values) on every distinct
    combination of the inputs, spread back to every row."""
    codes, first = combine(inputs)
    args = [c.values[c.codes[first]].tolist() for c in inputs]
    rows = [derive(*values) for values in zip(*args, strict=True)]
    out = {}
    for name in outputs:
        values = np.empty(len(rows), dtype=object)
        values[:] = [row[name] for row in rows]
        out[name] = pd.Series(values[codes], name=name, copy=False)
    return out


@lru_cache(maxsize=1 << 18)
def _family_columns(family: str) -> Row:
    sur_latin = romanize(north_to_south(family), "rr") if has_hangul(family) else family
    return {
        "sur_raw": _raw(family),
        "surname_cls": _none_if_empty(surname_class(family) if family else ""),
        "sur_key": _none_if_empty(latin_key(sur_latin)),
    }


@lru_cache(maxsize=1 << 18)
def _given_columns(given: str) -> Row:
    giv_k = _given_key(given)
    giv_raw = _raw(given)
    giv_hangul = giv_raw if giv_raw and has_hangul(giv_raw) else None
    giv_rr, giv_mr = given_letters(giv_hangul)
    long_key = giv_k if len(giv_k) >= 4 else ""
    return {
        "given_raw": giv_raw,
        "given_k": _none_if_empty(giv_k),
        "given_hangul": giv_hangul,
        "given_rr": giv_rr,
        "given_mr": giv_mr,
        "given_rev": reversed_given_key(given) if given else None,
        "given_head": _none_if_empty(long_key[:3]),
        "given_tail": _none_if_empty(long_key[-3:]),
    }


def _prefix_columns(family: str, given: str) -> Row:
    keys = (_family_columns(family)["sur_key"], _given_columns(given)["given_k"])
    return {"name_prefixes": sorted({str(k)[:2] for k in keys if k})}


def _given_keys_columns(given: str, full_only: str) -> Row:
    return {"given_keys": _given_keys(_given_key(given), given, full_only)}


def _name_keys_columns(family: str, given: str, aliases: str, full_only: str) -> Row:
    alias_list = [a.strip() for a in aliases.split(";") if a.strip()]
    return {"name_keys": name_keys(family, given, alias_list, full_only)}


def _birth_columns(birth: str) -> Row:
    year, full_date = parse_birth(birth)
    return {"birth_year": year, "birth_full": full_date}


def _place_columns(place: str) -> Row:
    key, region = place_keys(place)
    return {"place_key": key, "place_region": region}


# Each group of derived columns: the fields it is computed from (see _fields), how, and what.
GROUPS: tuple[tuple[tuple[str, ...], Callable[..., Row], tuple[str, ...]], ...] = (
    (("family",), _family_columns, ("sur_raw", "surname_cls", "sur_key")),
    (
        ("given",),
        _given_columns,
        tuple(c for c in MODEL_COLUMNS if c.startswith("given_") and c != "given_keys"),
    ),
    (("family", "given"), _prefix_columns, ("name_prefixes",)),
    (("given", "full_only"), _given_keys_columns, ("given_keys",)),
    (("family", "given", "aliases", "full_only"), _name_keys_columns, ("name_keys",)),
    (("birth_date",), _birth_columns, ("birth_year", "birth_full")),
    (("sex",), lambda sex: {"sex_norm": _SEX.get(sex.lower())}, ("sex_norm",)),
    (("birth_place",), _place_columns, ("place_key", "place_region")),
    (("source",), lambda source: {"source_key": source.casefold() or None}, ("source_key",)),
)


def _fields(codes: Mapping[str, Coded]) -> dict[str, Coded]:
    """The input columns, and the name's parts as ``prepare`` reads them: ``family`` and
    ``given`` from their fields when either is filled in, else split from the full name;
    ``full_only``, the full name of a record without parts (else empty)."""
    full, family, given = codes["full_name"], codes["family_name"], codes["given_name"]
    whole = family.empty() & given.empty()
    # as in prepare: a full name or name part with digits is a code (a witness's pseudonym),
    # left out of the name comparisons
    coded_full = np.array([bool(_DIGIT.search(str(v))) for v in full.values], dtype=bool)
    full_only = Coded(
        np.where(whole & ~coded_full[full.codes], full.codes, _empty_code(full)), full.values
    )
    eff_family, eff_given = family.texts(), given.texts()
    rows = np.flatnonzero(whole)
    if len(rows):
        distinct, inverse = np.unique(full.codes[rows], return_inverse=True)
        split = [name_parts(str(full.values[c]), "", "") for c in distinct.tolist()]
        eff_family[rows] = np.array([f for f, _ in split] + [""], dtype=object)[:-1][inverse]
        eff_given[rows] = np.array([g for _, g in split] + [""], dtype=object)[:-1][inverse]
    return dict(codes) | {
        "family": _without_codes(eff_family),
        "given": _without_codes(eff_given),
        "full_only": full_only,
    }


def _without_codes(texts: np.ndarray) -> Coded:
    """``texts`` coded, with every part that holds a digit read as empty."""
    column = coded(texts)
    kept = np.array([_not_code(str(v)) for v in column.values], dtype=object)
    return coded(kept[column.codes])


def _empty_code(column: Coded) -> int:
    return int(np.flatnonzero(column.values == "")[0])


def prepare_bulk(records: pd.DataFrame, extra_columns: Sequence[str] = ()) -> pd.DataFrame:
    """What :func:`kirok.linkage.prepare.prepare` returns, computed once per distinct value."""
    if "record_id" not in records.columns:
        raise ValueError("the input needs a record_id column")
    ids = code_column(records, "record_id")
    if ids.empty().any():
        raise ValueError("every record needs a record_id")
    counts = np.bincount(ids.codes, minlength=ids.cardinality)
    if (counts > 1).any():
        dupes = sorted(str(v) for v in ids.values[counts > 1])[:5]
        raise ValueError(f"record_id must be unique; repeated: {dupes}")

    probe = prepare(pd.DataFrame({"record_id": ["probe"]}), extra_columns)
    wanted = list(probe.columns)
    codes = {name: code_column(records, name) for name in (*INPUT_COLUMNS, *extra_columns)}
    fields = _fields(codes)
    out: dict[str, pd.Series] = {"unique_id": pd.Series(ids.texts(), name="unique_id")}
    for inputs, derive, outputs in GROUPS:
        if all(c in wanted for c in outputs):
            out |= _spread([fields[c] for c in inputs], derive, outputs)
    for name in extra_columns:
        out |= _spread([codes[name]], lambda v: {"x": v.lower() or None}, ("x",))
        out[f"x_{name}"] = out.pop("x").rename(f"x_{name}")
    missing = [c for c in wanted if c not in out]
    if missing:
        log.info("derived by prepare from whole rows (no grouping known): %s", ", ".join(missing))
        out |= _by_prepare([codes[c] for c in (*INPUT_COLUMNS, *extra_columns)], missing,
                           extra_columns)  # fmt: skip
    frame = pd.DataFrame({name: out[name] for name in wanted})
    return frame.astype({c: probe[c].dtype for c in wanted if probe[c].dtype != object})


def _by_prepare(
    inputs: Sequence[Coded], outputs: Sequence[str], extra_columns: Sequence[str]
) -> dict[str, pd.Series]:
    """``prepare`` itself on the distinct combinations of all the input columns."""
    codes, first = combine(inputs)
    names = (*INPUT_COLUMNS, *extra_columns)
    distinct = pd.DataFrame(
        {n: c.values[c.codes[first]] for n, c in zip(names, inputs, strict=True)}, dtype=object
    )
    distinct.insert(0, "record_id", [str(i) for i in range(len(distinct))])
    derived = prepare(distinct, extra_columns)
    return {n: pd.Series(derived[n].array.take(codes), name=n, copy=False) for n in outputs}
