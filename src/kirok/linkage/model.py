"""The kirok linkage model: a Splink (Fellegi–Sunter) settings dictionary with fixed priors.

The model is written once, in DuckDB's SQL, and translated for Spark by :func:`for_dialect`, so
one model JSON (trained on either engine) runs on both. Every comparison level starts with
hand-set m and u probabilities (the *priors*, see ``docs/explanation/linkage.md``); training
replaces them where the data can say more, and when it cannot — an NGO's list of fifty names —
the priors alone score the pairs.

Comparisons (each ends in an ``else`` level):

* ``surname``: as written (TF) / same surname class (TF) / same name via alias or swapped order /
  one name given whole (weight 0) / Jaro–Winkler ≥ 0.88 on the romanization-invariant key.
* ``given``: as written (TF) / same given-name key (TF) / alias with the same surname class /
  swapped order or alias (weight 0: weighed once, on the surname) / transposed / read whole /
  key or letters one edit apart (a slip in a romanized name) / JW ≥ 0.92 / initial / JW ≥ 0.80.
* ``birth``: same full date / one typo apart / same year / ±1 / ±2 / ±3 / ±5 years.
* ``sex``, ``birth_place`` (place key, TF; JW ≥ 0.90), and optional extra text columns.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Sequence
from typing import Any

Level = dict[str, Any]
Settings = dict[str, Any]

# Probability that two records of a small list are the same person, before any comparison:
# assumes about one record in five has a duplicate (see prior_lambda).
SMALL_INPUT_DUPLICATE_SHARE = 0.2


def _null(*cols: str) -> Level:
    cond = " OR ".join(f'"{c}_l" IS NULL OR "{c}_r" IS NULL' for c in cols)
    return {"sql_condition": cond, "label_for_charts": "missing", "is_null_level": True}


def _level(
    cond: str, label: str, m: float, u: float, tf: str | None = None, tf_weight: float = 1.0
) -> Level:
    level: Level = {
        "sql_condition": cond,
        "label_for_charts": label,
        "m_probability": m,
        "u_probability": u,
    }
    if tf is not None:
        level["tf_adjustment_column"] = tf
        level["tf_adjustment_weight"] = tf_weight
    return level


def _else(m: float, u: float) -> Level:
    return {"sql_condition": "ELSE", "label_for_charts": "else", "m_probability": m,
            "u_probability": u}  # fmt: skip


def _eq(col: str) -> str:
    return f'"{col}_l" = "{col}_r"'


def _jw(col: str, threshold: float) -> str:
    return f'jaro_winkler_similarity("{col}_l", "{col}_r") >= {threshold}'


# Any entry in common (list_has_any tests without building the intersection: half the time).
_OVERLAP = 'list_has_any("name_keys_l", "name_keys_r")'
_SWAPPED = (
    'jaro_winkler_similarity("sur_key_l", "given_k_r") >= 0.88 '
    'AND jaro_winkler_similarity("given_k_l", "sur_key_r") >= 0.88'
)


# The given name's two syllables in the other order (희단 for 단희): a transcription slip.
_TRANSPOSED = '"given_rev_l" = "given_k_r" OR "given_k_l" = "given_rev_r"'
_GIVEN_OTHER_READING = 'list_has_any("given_keys_l", "given_keys_r")'
# One record is a name given whole (정웅, Sim Ryeon) whose key is the other's given name: its
# "family name" is the first syllable of the given name, and disagrees by construction.
_READ_WHOLE = (
    # only a record with more than one given-name key can have another reading (cheap, first)
    '((array_length("given_keys_l") > 1 OR array_length("given_keys_r") > 1) '
    'AND "given_k_l" <> "given_k_r" '
    'AND (list_contains("given_keys_l", "given_k_r") '
    'OR list_contains("given_keys_r", "given_k_l")) '
    'AND NOT coalesce("given_rev_l" = "given_k_r" OR "given_k_l" = "given_rev_r", FALSE))'
)
# ... so the surname comparison weighs nothing then, as if the family name were missing.
_READ_WHOLE_LEVEL: Level = {
    "sql_condition": _READ_WHOLE,
    "label_for_charts": "one name given whole (weighed on the given name)",
    "m_probability": 0.01,
    "u_probability": 0.01,
    "fix_m_probability": True,
    "fix_u_probability": True,
}
# One record names only the province and the other a town in it: no disagreement, little
# agreement. Two different towns of one province are a disagreement (the else level).
_PROVINCE_ONLY = (
    '"place_region_l" = "place_region_r" '
    'AND ("place_key_l" = "place_region_l" OR "place_key_r" = "place_region_r")'
)
# Both records write the given name in Hangul, differently, yet the romanization-invariant key
# is the same (선심 and 순심 are both "sonsim"): the key merges what Hangul keeps apart.
_HANGUL_DIFFERS = (
    '"given_hangul_l" <> "given_hangul_r" AND "given_k_l" = "given_k_r" '
    'AND NOT ("given_rev_l" = "given_k_r" OR "given_k_l" = "given_rev_r")'
)
# Fixed, not trained: true pairs almost never reach this level and random pairs seldom do, so
# both m and u are estimated near zero and their ratio is noise (training made it +7.7 bits
# on the Korean benchmark, where all 21 such pairs are different people). Fixed at −3.3 bits it
# cancels what the shared key would otherwise prove.
_HANGUL_DIFFERS_LEVEL: Level = {
    "sql_condition": _HANGUL_DIFFERS,
    "label_for_charts": "same key, different Hangul",
    "m_probability": 0.0001,
    "u_probability": 0.001,
    "fix_m_probability": True,
    "fix_u_probability": True,
}


# A transcriber's slip in a romanized given name (Kuk-nm, Tng-gun, Pm-chon): a letter dropped,
# doubled or two letters swapped leaves the keys one edit apart. Short keys are left out (one
# edit in a three-letter key is a different name more often than a slip), and so are two names
# written in Hangul, where a slip is a whole syllable and one letter apart is another name.
# The checks before the edit distance are cheap and implied by it; DuckDB's Damerau–Levenshtein
# is slow (about 1.5 µs a pair), and most random pairs fail them: one edit changes at most two
# neighbouring letters, so in keys of four letters or more the first or the last letter agrees.
def _one_edit(column: str, script: str) -> str:
    """``column`` of the two records one edit apart, long enough to tell a slip (``script``:
    which records may be compared, by whether their given names are in Hangul)."""
    left, right = f'"{column}_l"', f'"{column}_r"'
    return (
        f"abs(length({left}) - length({right})) <= 1 "
        f"AND least(length({left}), length({right})) >= 4 "
        f"AND (substr({left}, 1, 1) = substr({right}, 1, 1) "
        f"OR substr({left}, -1, 1) = substr({right}, -1, 1)) "
        f"AND {script} "
        f"AND damerau_levenshtein({left}, {right}) <= 1"
    )


_ONE_EDIT = _one_edit("given_k", '("given_hangul_l" IS NULL OR "given_hangul_r" IS NULL)')
# ... or the letters as written one edit apart while the keys are two: a key spells a syllable's
# end as its sound, so a slip there moves it by two (Sog-han for Song-han: soghan, one letter
# dropped, becomes sokhan against songhan; Choel-hyo for Cheol-hyo, two letters swapped).
_LETTERS_ONE_EDIT = _one_edit("given_raw", '"given_hangul_l" IS NULL AND "given_hangul_r" IS NULL')


def _letters_of_hangul_one_edit(hangul: str, latin: str) -> str:
    """One record writes the given name in Hangul, the other in letters one edit from how RR or
    McCune–Reischauer would write it (Hyenog-yeon for 형연, hyeongyeon: two letters swapped);
    its key may be two edits from the Hangul name's."""
    raw, rr, mr = f'"given_raw_{latin}"', f'"given_rr_{hangul}"', f'"given_mr_{hangul}"'
    return (
        f'"given_hangul_{hangul}" IS NOT NULL AND "given_hangul_{latin}" IS NULL '
        f"AND length({raw}) >= 4 "
        f"AND ((abs(length({raw}) - length({rr})) <= 1 AND damerau_levenshtein({raw}, {rr}) <= 1) "
        f"OR (abs(length({raw}) - length({mr})) <= 1 AND damerau_levenshtein({raw}, {mr}) <= 1))"
    )


_GIVEN_SLIP = " OR ".join(
    f"({c})"
    for c in (
        _ONE_EDIT,
        _LETTERS_ONE_EDIT,
        _letters_of_hangul_one_edit("l", "r"),
        _letters_of_hangul_one_edit("r", "l"),
    )
)
# A slip in a full date: a digit changed, dropped or two digits swapped, across the parts too
# (1914-09-13 written 19104913), so the digits are compared without the hyphens. A full date is
# always YYYY-MM-DD (prepare.parse_birth: its year is birth_year), and one slip in its eight
# digits changes at most two neighbouring ones, so the year or the day is still the same: that
# cheap check goes first, and the slow edit distance (7 of 8 s on two million random pairs) is
# left for the few pairs that pass it.
_DATE_SLIP = (
    """("birth_year_l" = "birth_year_r" """
    """OR substr("birth_full_l", 9, 2) = substr("birth_full_r", 9, 2)) """
    """AND damerau_levenshtein(replace("birth_full_l", '-', ''), """
    """replace("birth_full_r", '-', '')) <= 1"""
)
# The day written as the month and the month as the day (1986-05-07 / 1986-07-05).
_DAY_MONTH_SWAPPED = (
    'substr("birth_full_l", 1, 4) = substr("birth_full_r", 1, 4) '
    'AND substr("birth_full_l", 6, 2) = substr("birth_full_r", 9, 2) '
    'AND substr("birth_full_l", 9, 2) = substr("birth_full_r", 6, 2)'
)
# One record has only the initial of the given name ("Kim C.") and it agrees.
_INITIAL = (
    '(length("given_k_l") = 1 OR length("given_k_r") = 1) '
    'AND substr("given_k_l", 1, 1) = substr("given_k_r", 1, 1)'
)


# A swapped (or aliased) reading is one piece of evidence about the whole name. The surname
# comparison weighs it; the given-name comparison gives it weight 0 (m = u, fixed in training)
# instead of counting it a second time, which made two different people whose names are the
# same words in the other order (Holly Matthews, Matthews Holly) a link despite their dates.
_SWAP_COUNTED_ON_SURNAME: Level = {
    "sql_condition": f"{_OVERLAP} OR ({_SWAPPED})",
    "label_for_charts": "swapped or alias (weighed on surname)",
    "m_probability": 0.01,
    "u_probability": 0.01,
    "fix_m_probability": True,
    "fix_u_probability": True,
}


# Term-frequency adjustment of given names at half strength. A list with many duplicates
# counts one person's name once per record, so frequencies taken from the records overstate
# how common a repeated name is and full-strength adjustment under-weighs exactly the names
# that recur because they are the same person (Korean benchmark: recall at 0.9 +0.04, cluster
# precision unchanged with the clustering's veto).
GIVEN_TF_WEIGHT = 0.5


def _comparisons(tf: bool, extra_columns: Sequence[str]) -> list[dict[str, Any]]:
    sur_tf = "sur_raw" if tf else None
    cls_tf = "surname_cls" if tf else None
    giv_tf = "given_raw" if tf else None
    key_tf = "given_k" if tf else None
    gw = GIVEN_TF_WEIGHT
    comparisons: list[dict[str, Any]] = [
        {
            "output_column_name": "surname",
            "comparison_description": "family name: as written, class, alias/swap, fuzzy",
            "comparison_levels": [
                _null("surname_cls"),
                _level(_eq("sur_raw"), "as written", 0.70, 0.05, sur_tf),
                _level(_eq("surname_cls"), "same surname class", 0.24, 0.03, cls_tf),
                _level(_OVERLAP, "alias or swapped order", 0.02, 0.002),
                dict(_READ_WHOLE_LEVEL),
                _level(_jw("sur_key", 0.88), "similar key", 0.02, 0.02),
                _level(_SWAPPED, "swapped order, similar", 0.01, 0.0005),
                _else(0.01, 0.8975),
            ],
        },
        {
            "output_column_name": "given",
            "comparison_description": "given name: as written, key, alias/swap, fuzzy key",
            "comparison_levels": [
                _null("given_k"),
                _level(_eq("given_raw"), "as written", 0.60, 0.0005, giv_tf, gw),
                _HANGUL_DIFFERS_LEVEL,
                _level(_eq("given_k"), "same given-name key", 0.28, 0.001, key_tf, gw),
                _level(f"{_OVERLAP} AND {_eq('surname_cls')}", "alias", 0.004, 0.0002),
                dict(_SWAP_COUNTED_ON_SURNAME),
                _level(_TRANSPOSED, "syllables transposed", 0.02, 0.0005),
                _level(_GIVEN_OTHER_READING, "same key, name read whole", 0.01, 0.0005),
                _level(_GIVEN_SLIP, "key or letters one edit apart", 0.02, 0.004),
                _level(_jw("given_k", 0.92), "key JW >= 0.92", 0.04, 0.004),
                _level(_INITIAL, "initial only, agrees", 0.02, 0.003),
                _level(_jw("given_k", 0.80), "key JW >= 0.80", 0.02, 0.05),
                _else(0.01, 0.9426),
            ],
        },
        {
            "output_column_name": "birth",
            "comparison_description": "birth date: full date, then year distance",
            "comparison_levels": [
                _null("birth_year"),
                _level(_eq("birth_full"), "same date", 0.55, 0.0003),
                _level(_DATE_SLIP, "full dates one typo apart", 0.05, 0.0005),
                _level(_DAY_MONTH_SWAPPED, "day and month swapped", 0.01, 0.0001),
                _level(_eq("birth_year"), "same year", 0.25, 0.03),
                _level('abs("birth_year_l" - "birth_year_r") <= 1', "±1 year", 0.10, 0.05),
                _level('abs("birth_year_l" - "birth_year_r") <= 2', "±2 years", 0.03, 0.05),
                _level('abs("birth_year_l" - "birth_year_r") <= 3', "±3 years", 0.02, 0.04),
                _level('abs("birth_year_l" - "birth_year_r") <= 5', "±5 years", 0.03, 0.08),
                _else(0.02, 0.7497),
            ],
        },
        {
            "output_column_name": "sex",
            "comparison_description": "sex",
            "comparison_levels": [
                _null("sex_norm"),
                _level(_eq("sex_norm"), "same", 0.97, 0.5),
                _else(0.03, 0.5),
            ],
        },
        {
            "output_column_name": "birth_place",
            "comparison_description": "birth place key",
            "comparison_levels": [
                _null("place_key"),
                _level(_eq("place_key"), "same", 0.85, 0.08, "place_key" if tf else None),
                _level(_jw("place_key", 0.90), "similar", 0.04, 0.01),
                _level(_PROVINCE_ONLY, "one gives only the province, the same", 0.03, 0.04),
                _else(0.08, 0.87),
            ],
        },
        {
            "output_column_name": "source",
            "comparison_description": "the list a record comes from",
            "comparison_levels": [
                # A list's keeper has usually merged its own duplicates: two records of one
                # list are less often one person than two records of different lists.
                _null("source_key"),
                _level(_eq("source_key"), "same list", 0.10, 0.30),
                _else(0.90, 0.70),
            ],
        },
    ]
    for name in extra_columns:
        col = f"x_{name}"
        comparisons.append(
            {
                "output_column_name": col,
                "comparison_description": f"extra column {name}",
                "comparison_levels": [
                    _null(col),
                    _level(_eq(col), "same", 0.80, 0.01, col if tf else None),
                    _level(_jw(col, 0.90), "similar", 0.12, 0.03),
                    _else(0.08, 0.96),
                ],
            }
        )
    return comparisons


BLOCKING_RULES: tuple[dict[str, Any], ...] = (
    {"blocking_rule": 'l."surname_cls" = r."surname_cls" AND l."given_k" = r."given_k"'},
    {"blocking_rule": 'l."given_k" = r."given_k" AND l."birth_year" = r."birth_year"'},
    # a full date of birth is rare enough to block on alone (a few records share each date)
    {"blocking_rule": 'l."birth_full" = r."birth_full"'},
    {
        # a typo after the first letter, or only an initial ("Kim C.")
        "blocking_rule": 'l."surname_cls" = r."surname_cls" AND l."birth_year" = r."birth_year" '
        'AND substr(l."given_k", 1, 1) = substr(r."given_k", 1, 1)'
    },
    # the given name's syllables transposed (단희 / 희단), in either record
    {"blocking_rule": 'l."surname_cls" = r."surname_cls" AND l."given_rev" = r."given_k"'},
    {"blocking_rule": 'l."surname_cls" = r."surname_cls" AND l."given_k" = r."given_rev"'},
    # a typo in a long given name: its start or its end agrees, and the birth year
    {
        "blocking_rule": 'l."surname_cls" = r."surname_cls" AND l."given_head" = r."given_head" '
        'AND l."birth_year" = r."birth_year"'
    },
    {
        "blocking_rule": 'l."surname_cls" = r."surname_cls" AND l."given_tail" = r."given_tail" '
        'AND l."birth_year" = r."birth_year"'
    },
    # typos in both parts: the family name starts alike and so does the given name
    {
        "blocking_rule": 'substr(l."sur_key", 1, 2) = substr(r."sur_key", 1, 2) '
        'AND l."given_head" = r."given_head" AND l."birth_year" = r."birth_year"'
    },
    # the family name left out (or a name written whole, 정웅): a given-name key and the birth
    # year or the place agree
    {
        "blocking_rule": 'l."given_keys" = r."given_keys" AND l."place_key" = r."place_key"',
        "arrays_to_explode": ["given_keys"],
    },
    {
        "blocking_rule": 'l."given_keys" = r."given_keys" AND l."birth_year" = r."birth_year"',
        "arrays_to_explode": ["given_keys"],
    },
    # only an initial or a typo, the birth year a little off or missing: place and sex agree
    {
        "blocking_rule": 'l."surname_cls" = r."surname_cls" AND l."place_key" = r."place_key" '
        'AND l."sex_norm" = r."sex_norm" '
        'AND substr(l."given_k", 1, 1) = substr(r."given_k", 1, 1)'
    },
    # no given name at all: the rest of what is known agrees
    {
        "blocking_rule": 'l."surname_cls" = r."surname_cls" AND l."birth_year" = r."birth_year" '
        'AND l."place_key" = r."place_key"'
    },
    # a record with a family name and nothing else, or a given name and nothing else, meets
    # every record of its name and a birth year at most two apart (a year written one or two
    # off), or of its place (few records are so bare; their blocks stay small)
    {
        "blocking_rule": 'l."given_k" IS NULL AND l."surname_cls" = r."surname_cls" '
        'AND abs(l."birth_year" - r."birth_year") <= 2'
    },
    {
        "blocking_rule": 'r."given_k" IS NULL AND l."surname_cls" = r."surname_cls" '
        'AND abs(l."birth_year" - r."birth_year") <= 2'
    },
    {
        "blocking_rule": 'l."given_k" IS NULL AND l."surname_cls" = r."surname_cls" '
        'AND l."place_key" = r."place_key"'
    },
    {
        "blocking_rule": 'r."given_k" IS NULL AND l."surname_cls" = r."surname_cls" '
        'AND l."place_key" = r."place_key"'
    },
    {"blocking_rule": 'l."surname_cls" IS NULL AND l."given_k" = r."given_k"'},
    {"blocking_rule": 'r."surname_cls" IS NULL AND l."given_k" = r."given_k"'},
    {"blocking_rule": 'l."name_keys" = r."name_keys"', "arrays_to_explode": ["name_keys"]},
    # a slip in one name part, the birth date missing or wrong: the other part as written and
    # the first letters of this one agree
    {
        "blocking_rule": 'l."sur_raw" = r."sur_raw" '
        'AND substr(l."given_raw", 1, 3) = substr(r."given_raw", 1, 3)'
    },
    {
        "blocking_rule": 'l."given_raw" = r."given_raw" '
        'AND substr(l."sur_raw", 1, 2) = substr(r."sur_raw", 1, 2)'
    },
    {
        "blocking_rule": 'l."given_k" = r."given_k" '
        'AND substr(l."sur_key", 1, 2) = substr(r."sur_key", 1, 2)'
    },
    # slips in both name parts, the date missing or wrong (Biana Cbobett / Bianca Cobbett): the
    # first letters as written agree and both parts are close; the similarity is checked on
    # the pairs the letters join, so the candidates stay few (FEBRL4: 147 more, 20 of them of
    # the 120 true pairs lost before; the Korean lists: 288 more)
    {
        "blocking_rule": 'substr(l."sur_raw", 1, 1) = substr(r."sur_raw", 1, 1) '
        'AND substr(l."given_raw", 1, 1) = substr(r."given_raw", 1, 1) '
        'AND jaro_winkler_similarity(l."sur_raw", r."sur_raw") >= 0.9 '
        'AND jaro_winkler_similarity(l."given_raw", r."given_raw") >= 0.85'
    },
    # the year's last digit and the month's first swapped (1914-09-13 written 1910-49-13): the
    # rest of the date agrees, which is rare enough to block on alone (FEBRL4: 25 pairs, 4 true)
    {
        "blocking_rule": 'substr(l."birth_full", 1, 3) = substr(r."birth_full", 1, 3) '
        'AND substr(l."birth_full", 4, 1) = substr(r."birth_full", 6, 1) '
        'AND substr(l."birth_full", 6, 1) = substr(r."birth_full", 4, 1) '
        'AND substr(l."birth_full", 7, 4) = substr(r."birth_full", 7, 4)'
    },
)


def prior_lambda(n_records: int, duplicate_share: float = SMALL_INPUT_DUPLICATE_SHARE) -> float:
    """Prior probability that two random records match: duplicates ≈ share·n/2 of n(n−1)/2 pairs."""
    if n_records < 2:
        return 0.5
    return min(0.5, duplicate_share / (n_records - 1))


def build_settings(
    n_records: int,
    *,
    link_type: str = "dedupe_only",
    tf: bool = True,
    extra_columns: Sequence[str] = (),
    extra_blocking: Sequence[str] = (),
) -> Settings:
    """The model with its priors, in DuckDB SQL (see :func:`for_dialect`)."""
    return {
        "link_type": link_type,
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": prior_lambda(n_records),
        "comparisons": _comparisons(tf, extra_columns),
        "blocking_rules_to_generate_predictions": [dict(b) for b in BLOCKING_RULES]
        + [{"blocking_rule": f'l."x_{c}" = r."x_{c}"'} for c in extra_blocking],
        "retain_matching_columns": True,
        "retain_intermediate_calculation_columns": True,
        "em_convergence": 0.001,
        "max_iterations": 25,
    }


_TO_SPARK = (
    (re.compile(r"jaro_winkler_similarity\("), "jaro_winkler("),
    (re.compile(r"array_length\(list_intersect\("), "size(array_intersect("),
    (re.compile(r"\blist_has_any\("), "arrays_overlap("),
    (re.compile(r"\blist_contains\("), "array_contains("),
    (re.compile(r"\barray_length\("), "size("),
    (re.compile(r'"([A-Za-z_][A-Za-z0-9_]*)"'), r"`\1`"),  # Spark quotes names with backticks
)
_TO_DUCKDB = (
    (re.compile(r"\bjaro_winkler\("), "jaro_winkler_similarity("),
    (re.compile(r"size\(array_intersect\("), "array_length(list_intersect("),
    (re.compile(r"\barrays_overlap\("), "list_has_any("),
    (re.compile(r"\barray_contains\("), "list_contains("),
    (re.compile(r"\bsize\("), "array_length("),
    (re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)`"), r'"\1"'),
)


def for_dialect(settings: Settings, dialect: str) -> Settings:
    """The same model with its SQL written for ``duckdb`` or ``spark``; parameters untouched."""
    out = copy.deepcopy(settings)
    out.pop("sql_dialect", None)
    if dialect == "duckdb":
        return _rewrite(out, _TO_DUCKDB)
    if dialect == "spark":
        return _rewrite(out, _TO_SPARK)
    raise ValueError(f"unknown engine {dialect!r}")


def _rewrite(settings: Settings, rules: Sequence[tuple[re.Pattern[str], str]]) -> Settings:
    def fix(sql: str) -> str:
        for pattern, repl in rules:
            sql = pattern.sub(repl, sql)
        return sql

    for comparison in settings.get("comparisons", []):
        for level in comparison["comparison_levels"]:
            level["sql_condition"] = fix(level["sql_condition"])
    for rule in settings.get("blocking_rules_to_generate_predictions", []):
        rule["blocking_rule"] = fix(rule["blocking_rule"])
        rule.pop("sql_dialect", None)
    return settings


def neutral(settings: Settings) -> Settings:
    """A model dict as saved by Splink, stripped of its dialect (stored in DuckDB SQL)."""
    return for_dialect(settings, "duckdb")


# Floors on trained probabilities (see floor_probabilities).
U_FLOOR_SAMPLES = 20.0
M_FLOOR = 0.001


def floor_probabilities(settings: Settings, sampled_pairs: float) -> Settings:
    """The trained model with its rare-level probabilities kept away from zero.

    Random sampling estimates u from ``sampled_pairs`` random pairs. A level seen in only a few
    of them (or none: Splink then uses u = 1e-6) gets a u that is noise, and a match weight of
    +12 to +20 bits from it — enough to link on one coincidence, such as two different people
    sharing an alias key. u is therefore floored at ``U_FLOOR_SAMPLES / sampled_pairs`` (the u
    of a level seen about twenty times), which caps what a rarely-seen agreement can prove.

    EM likewise drives m towards zero for levels that true matches seldom reach, which gives a
    disagreement weight of −20 bits that no other evidence can outweigh. m is floored at
    ``M_FLOOR``: a level is taken to be reached by at least one true match in a thousand.
    Levels that training left unobserved (Splink writes a text marker) get the floors too.
    """
    out = copy.deepcopy(settings)
    u_floor = U_FLOOR_SAMPLES / max(sampled_pairs, 1.0)
    for comparison in out.get("comparisons", []):
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level") or level.get("fix_m_probability"):
                continue
            for key, floor in (("u_probability", u_floor), ("m_probability", M_FLOOR)):
                value = level.get(key)
                if not isinstance(value, int | float) or value < floor:
                    level[key] = floor
    return out


def level_weight(level: Level) -> float:
    """log2(m/u) of a level, for explanations; NaN for a null level."""
    m, u = level.get("m_probability"), level.get("u_probability")
    if not m or not u:
        return math.nan
    return math.log2(float(m) / float(u))
