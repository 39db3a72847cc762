"""Deduplicating millions of records on one machine: kirok's model with settings for scale.

:func:`link_at_scale` runs the model of :mod:`kirok.linkage.model` on DuckDB as
:func:`kirok.linkage.pipeline.link_records` does (same comparisons, training, review floor and
chain veto) and returns the same clusters, with five changes that only matter when the input is
large:

1. The derived columns are computed once per distinct value (:mod:`kirok.linkage.bulk`).
2. Records are numbered: Splink compares integer ids, and scored pairs come back as numpy
   arrays read straight from DuckDB, never as one Python object per pair.
3. Blocking uses :data:`SCALE_BLOCKING_RULES`. The default union keeps pairs that share a
   surname class and a given-name key, or a full date of birth, *whatever else they have*: in
   a few thousand records such blocks are small, but at 1.6 million records the commonest
   names and dates are shared by hundreds of people each and those rules alone produce tens of
   millions of pairs, nearly all of them different people. Every scale rule asks for one
   more agreement (the birth year, the sex, the place, a rare-enough key) so that block sizes
   stay bounded; see ``bench/README.md`` for the counts.
4. Clustering (:func:`cluster_arrays`) gives exactly what :func:`kirok.linkage.decisions.cluster`
   gives on all the scored pairs, but builds Python objects only for the pairs that can
   matter: edges at or above the review floor, and the pairs below it whose two records the
   threshold edges would put in one cluster (the veto pairs among them).
5. The threshold is :data:`kirok.linkage.defaults.SCALE_THRESHOLD` unless one is given, chosen
   by the pipeline's rule on the scale benchmark (at 400,000 records the pipeline's
   :data:`~kirok.linkage.defaults.DEFAULT_THRESHOLD` let cluster precision fall to 0.971), or
   lower when the model's own probabilities allow it (:func:`scale_threshold`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from kirok.linkage.bulk import prepare_bulk
from kirok.linkage.decisions import (
    Clustering,
    Decision,
    Pair,
    ScoredPair,
    check_band,
    cluster,
    most_probable_first,
    pair_key,
)
from kirok.linkage.defaults import (
    DEFAULT_REVIEW_FLOOR,
    DEFAULT_THRESHOLD,
    DEFAULT_VETO_BELOW,
    EXPECTED_PRECISION,
    SCALE_LOWER_THRESHOLDS,
    SCALE_THRESHOLD,
)
from kirok.linkage.engines import duckdb_connection, make_api, to_spark_frame
from kirok.linkage.model import Settings, build_settings, floor_probabilities, for_dialect, neutral

log = logging.getLogger(__name__)
Progress = Callable[[str], None]

# Blocking for large inputs: every rule pairs records only when several things agree.
_SAME_NAME = 'l."surname_cls" = r."surname_cls" AND l."given_k" = r."given_k"'
# the day and month of two full dates (a year written one or two off leaves them as they were)
_DAY_MONTH = 'substr(l."birth_full", 6, 5) = substr(r."birth_full", 6, 5)'
_NEAR_YEAR = 'abs(l."birth_year" - r."birth_year") <= 2'
SCALE_BLOCKING_RULES: tuple[dict[str, Any], ...] = (
    # the same name, and birth years at most two apart (a pair without a birth year on one
    # side needs the place as well: the name alone cannot outweigh the prior at this size)
    {"blocking_rule": f"{_SAME_NAME} AND {_NEAR_YEAR}"},
    {"blocking_rule": f'{_SAME_NAME} AND l."place_key" = r."place_key"'},
    # the same name and the day and month of birth (a slip in the year)
    {"blocking_rule": f"{_SAME_NAME} AND {_DAY_MONTH}"},
    # the given name and the day and month of birth, the year at most two apart (the surname
    # missing or spelt apart)
    {"blocking_rule": f'l."given_k" = r."given_k" AND {_DAY_MONTH} AND {_NEAR_YEAR}'},
    # the surname, the place and the day and month of birth, the year at most two apart (only
    # an initial or a typo in the given name)
    {
        "blocking_rule": f'l."surname_cls" = r."surname_cls" AND l."place_key" = r."place_key" '
        f"AND {_DAY_MONTH} AND {_NEAR_YEAR}"
    },
    # the surname and the whole date of birth (the given name left out, cut to an initial,
    # or with a typo the keys do not absorb). Once left out (23% of the pairs on the register
    # profile, 0.3% of the true pairs at 0.90 or above); on records whose dates are nearly
    # all full (the civil and registry profiles) it found 2.2% of the true pairs at 400,000
    # records, cluster recall 0.931 -> 0.939 (civil) at precision 0.997, and cost the other
    # profiles no precision (register +31% pairs, testimony +2%).
    {"blocking_rule": 'l."surname_cls" = r."surname_cls" AND l."birth_full" = r."birth_full"'},
    # Left out, for what they cost at scale against what they find (bench_linkage_scale.py,
    # 400,000 records): the surname with the birth year, place and initial (42% of the pairs
    # on the testimony profile; of the true pairs only it found, 1 scored at 0.90 or above),
    # the given name's syllables transposed (none at 0.90 on either profile), and the
    # pipeline's rules on the start or end of a long given name (3.5 million pairs for 0.3% of
    # the true pairs). Such pairs have no more evidence than their namesakes do: at this size
    # the model cannot link them.
    # an alias or the other reading of the name, or a name without its family name
    {
        "blocking_rule": 'l."name_keys" = r."name_keys" AND l."birth_year" = r."birth_year"',
        "arrays_to_explode": ["name_keys"],
    },
    {
        "blocking_rule": 'l."given_keys" = r."given_keys" AND l."birth_year" = r."birth_year" '
        'AND l."place_key" = r."place_key"',
        "arrays_to_explode": ["given_keys"],
    },
    # a name without its family name (정숙 for 한정숙, read as 정 + 숙 as well) and the whole
    # date, the place missing on one side: at 400,000 registry records +0.2% pairs, pairs
    # completeness 0.977 -> 0.980, cluster recall at 0.90 0.9498 -> 0.9517, precision the
    # same. At 1.6 million records most such pairs score below 0.90 and go to review (registry:
    # pairs completeness 0.977 -> 0.981, review band +3,395 pairs, cluster recall +0.0004)
    {
        "blocking_rule": 'l."given_keys" = r."given_keys" AND l."birth_full" = r."birth_full"',
        "arrays_to_explode": ["given_keys"],
    },
)


@dataclass
class ScaleResult:
    clustering: Clustering
    review_pairs: list[ScoredPair]  # pairs at or above the review floor
    model: Settings
    n_records: int
    ids: list[str]  # record ids; the pairs below number records by their place here
    left: np.ndarray  # every scored pair: record numbers and match probability
    right: np.ndarray
    probability: np.ndarray
    threshold: float  # the match probability the clusters were cut at
    timings: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def clusters(self) -> dict[str, str]:
        return self.clustering.clusters

    @property
    def candidates(self) -> int:
        """How many pairs the blocking rules produced and the model scored."""
        return len(self.left)


def _noop(_: str) -> None:
    return None


def scale_threshold(probability: np.ndarray, review_floor: float = DEFAULT_REVIEW_FLOOR) -> float:
    """The threshold a large input is cut at when none is given: the lowest of
    :data:`~kirok.linkage.defaults.SCALE_LOWER_THRESHOLDS` (above the review floor) at which
    the mean match probability of the pairs at or above it (the share of them the model expects
    to be one person) is at least :data:`~kirok.linkage.defaults.EXPECTED_PRECISION`, else
    ``SCALE_THRESHOLD``."""
    for t in SCALE_LOWER_THRESHOLDS:
        if t < review_floor:
            continue
        above = probability[probability >= t]
        if len(above) and float(above.mean()) >= EXPECTED_PRECISION:
            return t
    return SCALE_THRESHOLD


# Comparisons whose m probabilities keep their priors at scale (see scale_settings).
FIXED_M_AT_SCALE: tuple[str, ...] = ("birth",)

# Term-frequency adjustment of given names at full strength at scale. The model halves it
# (model.GIVEN_TF_WEIGHT) because in a small list a rare name's count is mostly one person's
# own duplicates; in hundreds of thousands of records every name is shared by many people and
# its count is the population's. At 400,000 records (bench_linkage_scale.py) the best pairwise
# recall at precision >= 0.99 went from 0.368 to 0.384 — what m and λ taken from the truth
# give — and cluster recall at threshold 0.8 from 0.490 to 0.509 at precision 0.981.
SCALE_GIVEN_TF_WEIGHT = 1.0


# A full date with its year one or two off: the day and month agree. The model's date levels
# see such a pair as a slip (6.6 bits) or only as ±1 year (1 bit); at scale, where the prior
# is -20 bits, that leaves a true pair of registrations with a year written one off below any
# safe threshold. Whether a list writes a year off on a full date at all is the list's own
# habit (the NGOs' testimonies write such a year alone), so EM trains this level's m
# (TRAINED_AT_SCALE) while the other date levels keep their priors; the model's own prior for
# a year one or two off (its ±1 and ±2 year levels') is where EM starts. With m fixed at that
# prior instead, cluster precision at 0.90 on the testimony profile fell from 0.9846 to 0.9838
# at 800,000 records and to 0.979 at 1.6 million (bench_linkage_scale.py): there the level
# only meets namesakes.
DAY_MONTH_YEAR_OFF = (
    'substr("birth_full_l", 6, 5) = substr("birth_full_r", 6, 5) '
    'AND abs("birth_year_l" - "birth_year_r") <= 2'
)
DAY_MONTH_LABEL = "same day and month, year one or two off"
# Two full dates that no level before it explains (not the same, not a slip, not the
# day and month swapped, not a year off): people whose dates were both written in full
# disagree on them. Without this level such a pair fell to "same year" or "±5 years", levels
# whose m is set by the many records that give only a year, and namesakes born the same year
# on different days linked: at 400,000 records of the civil profile 2,278 pairs at 0.90 or
# above joined different people, and cluster precision was 0.9835 (0.9970 with the level,
# recall unchanged; bench/README.md has the other profiles). Its m stays at its
# prior: on testimonies, which never write one person's date in full two different ways, EM
# drove it below the smallest number Splink accepts and the whole session failed. Scale path
# only, as the level before it: in the model itself (bench_linkage.py) the two levels took
# FEBRL4 names + date of birth from recall 0.922 to 0.908 at 0.70 (F1 0.958 -> 0.951), whose
# duplicates often have a date changed by more than a slip, and the Korean lists' F1 from
# 0.9506 to 0.9510 only.
FULL_DATES_DIFFER = '"birth_full_l" IS NOT NULL AND "birth_full_r" IS NOT NULL'
FULL_DATES_DIFFER_LABEL = "two full dates that differ"
# Levels of a comparison in FIXED_M_AT_SCALE whose m EM trains all the same: whether a list
# writes a full date with the year off or with a slip of the hand is the list's own habit.
# Training the two slip levels as well (their priors: 0.05 and 0.01) took cluster precision at
# 0.90 on the testimony profile from 0.9847 to 0.9860 at 800,000 records, and the best
# pairwise recall at precision 0.99 from 0.248 to 0.298 (testimonies write no full date
# with a slip: there those levels met namesakes only); the register profile stayed at
# 0.980 / 0.681.
TRAINED_AT_SCALE: tuple[str, ...] = (
    DAY_MONTH_LABEL,
    "full dates one typo apart",
    "day and month swapped",
)


def _with_scale_date_levels(birth: dict[str, Any]) -> None:
    levels = birth["comparison_levels"]
    if any(lv.get("label_for_charts") == DAY_MONTH_LABEL for lv in levels):
        return

    def insert_after(label: str, level: dict[str, Any]) -> None:
        at = 1 + next(i for i, lv in enumerate(levels) if lv.get("label_for_charts") == label)
        levels.insert(at, level)

    m = sum(
        float(lv["m_probability"])
        for lv in levels
        if lv.get("label_for_charts") in ("±1 year", "±2 years")
    )
    insert_after(
        "same date",
        {
            "sql_condition": DAY_MONTH_YEAR_OFF,
            "label_for_charts": DAY_MONTH_LABEL,
            "m_probability": m,
            "u_probability": 0.0002,
        },
    )
    # after every level that explains two different full dates
    insert_after(
        "day and month swapped",
        {
            "sql_condition": FULL_DATES_DIFFER,
            "label_for_charts": FULL_DATES_DIFFER_LABEL,
            "m_probability": 0.01,
            "u_probability": 0.5,
        },
    )


def scale_settings(
    n_records: int,
    blocking: Sequence[Mapping[str, Any]] = SCALE_BLOCKING_RULES,
    fixed_m: Sequence[str] = FIXED_M_AT_SCALE,
) -> Settings:
    """kirok's model (with term-frequency adjustment, given names' at full strength: see
    :data:`SCALE_GIVEN_TF_WEIGHT`) and the blocking union for scale.

    The comparisons named in ``fixed_m`` keep the m probabilities of their priors: at 400,000
    records the only EM session that can train the birth date (pairs with the same name and
    place) holds more namesakes than true pairs, and EM put half of the true pairs at birth
    years more than five apart (m = 0.49 for "else", against a prior of 0.02), which took
    the weight out of every birth-date agreement. The levels in :data:`TRAINED_AT_SCALE` are
    trained all the same (see :data:`DAY_MONTH_YEAR_OFF`).
    """
    settings = build_settings(n_records, tf=True)
    for comparison in settings["comparisons"]:
        if comparison["output_column_name"] == "birth":
            _with_scale_date_levels(comparison)
        if comparison["output_column_name"] in fixed_m:
            for level in comparison["comparison_levels"]:
                if not level.get("is_null_level") and level.get("label_for_charts") not in (
                    TRAINED_AT_SCALE
                ):
                    level["fix_m_probability"] = True
        if comparison["output_column_name"] == "given":
            for level in comparison["comparison_levels"]:
                if "tf_adjustment_column" in level:
                    level["tf_adjustment_weight"] = SCALE_GIVEN_TF_WEIGHT
    settings["blocking_rules_to_generate_predictions"] = [dict(b) for b in blocking]
    settings["retain_intermediate_calculation_columns"] = False
    settings["retain_matching_columns"] = False
    return settings


# λ at scale: the pipeline counts pairs with the same name and birth year when fewer than 30%
# of the records have a full date. In a few thousand records those are nearly all one person;
# in hundreds of thousands the commonest names are shared by several people born the same
# year, and λ came out 12 times the truth at 400,000 records (3.1e-5 against 2.4e-6), which
# links different people. With the full date as well, coincidences are rare at any size.
STRICT_LAMBDA_RULE = ("surname_cls", "given_k", "birth_full")


# EM sessions at scale. The pipeline's sessions block on the name alone and on the birth year
# and sex: in a few thousand records most such pairs are one person, but at 100,000 records
# most are different people with a common name, EM's "match" class drifts, and it trained
# m = 0.03 for "same date of birth" and 0.35 for birth years more than five apart (70% of the
# true pairs it then missed had the same full date). Each session below pairs records that
# agree on two or three things, so that true pairs are a large share of them; every
# comparison is left out of at least one session's rule and is trained there.
#
# The place, sex and list are trained on pairs with the same name and the same *full* date of
# birth. With the birth year instead, a million people hold as many namesakes born the same
# year (0.5 a person) as true pairs, most of them born elsewhere, and EM's "match" class took
# them in: at 1.6 million civil records it put 46% of the true pairs in different places (the
# truth: 0.6%) and a disagreeing place weighed -1.0 bit instead of -7.2. With the full date,
# m and λ taken from the truth rank the pairs no better (best pairwise recall at precision
# 0.99: 0.9361 trained, 0.9362 from the truth; 0.9252 before), and cluster precision / recall
# at 0.90 went 0.9949 / 0.9127 -> 0.9965 / 0.9213 (civil) and, at 400,000 testimonies,
# 0.9885 / 0.416 -> 0.9887 / 0.438 (bench_linkage_scale.py).
SCALE_EM_SESSIONS: tuple[tuple[str, ...], ...] = (
    ("surname_cls", "given_k", "birth_full"),  # trains place, sex, list
    ("surname_cls", "given_k", "place_key"),  # trains birth, sex, list
    ("birth_full", "place_key"),  # trains the names, sex, list
)
# A session with no pairs to train on (no two records with full dates) is replaced by this one,
# whose rule asks for less: among records dated by the year alone, the year.
SCALE_EM_FALLBACK: Mapping[tuple[str, ...], tuple[str, ...]] = {
    ("surname_cls", "given_k", "birth_full"): ("surname_cls", "given_k", "birth_year"),
}


# Pairs each EM session is trained on at most (Splink samples the records to reach about this
# many). Each session's pairs are scored with every comparison, like a prediction.
SCALE_EM_MAX_PAIRS = 500_000


def _train_at_scale(linker: Any, n: int) -> None:
    from splink import block_on

    from kirok.linkage.pipeline import _sampled_pairs, run_em_session

    linker.training.estimate_u_using_random_sampling(max_pairs=_sampled_pairs(n), seed=42)
    for columns in SCALE_EM_SESSIONS:
        for rule in (columns, SCALE_EM_FALLBACK.get(columns)):
            if rule and run_em_session(
                linker, block_on(*rule), max_pairs=float(SCALE_EM_MAX_PAIRS)
            ):
                break


def _estimate_lambda_strictly(linker: Any, prepared: pd.DataFrame) -> None:
    from splink import block_on

    from kirok.linkage.pipeline import _coverage, rule_recall

    rule = STRICT_LAMBDA_RULE
    coverage = _coverage([prepared], rule)
    if coverage <= 0.0:
        return
    recall = rule_recall(linker.misc.save_model_to_json(), rule, coverage)
    try:
        linker.training.estimate_probability_two_random_records_match(
            [block_on(*rule)], recall=recall
        )
    except Exception as error:  # noqa: BLE001 - keep the pipeline's estimate
        log.warning("kept the pipeline's probability that two records match: %s", error)


Explain = Callable[[np.ndarray, np.ndarray, np.ndarray], list[ScoredPair]]


def _register(api: Any, engine: str, frame: pd.DataFrame) -> Any:
    """``frame`` as a table of the engine's API."""
    return api.register(to_spark_frame(api.spark, frame) if engine == "spark" else frame)


def _pair_arrays(api: Any, engine: str, predictions: Any) -> tuple[np.ndarray, ...]:
    """The scored pairs as three arrays (record numbers left and right, match probability),
    read as columns, never as one Python object per pair."""
    columns = ("unique_id_l", "unique_id_r", "match_probability")
    if engine == "spark":
        frame = predictions.as_spark_dataframe().select(*columns).toPandas()
        arrays: Mapping[str, Any] = {c: frame[c].to_numpy() for c in columns}
    else:
        con = api._con  # noqa: SLF001 - DuckDB hands the table over as numpy arrays
        table = predictions.physical_name
        arrays = con.sql(f"SELECT {', '.join(columns)} FROM {table}").fetchnumpy()
    return (
        np.asarray(arrays["unique_id_l"], dtype=np.int64),
        np.asarray(arrays["unique_id_r"], dtype=np.int64),
        np.asarray(arrays["match_probability"], dtype=np.float64),
    )


def _explainer(
    api: Any, engine: str, prepared: pd.DataFrame, model: Settings, ids: Sequence[str]
) -> Explain:
    """Scores the given pairs again with every comparison's weight, as the pipeline's pairs
    carry them: a second prediction blocked on the pairs themselves (each record lists the
    numbers of its pairs), over the whole table so that term frequencies are the same."""
    from splink import Linker

    from kirok.linkage.pipeline import _scored_pairs

    def explain(left: np.ndarray, right: np.ndarray, probability: np.ndarray) -> list[ScoredPair]:
        if not len(left):
            return []
        numbers = np.arange(len(left), dtype=np.int64)
        members = pd.Series(np.concatenate([numbers, numbers]))
        lists = members.groupby(np.concatenate([left, right])).agg(list)
        table = prepared.copy()
        table["pair_no"] = [[] for _ in range(len(table))]
        table.loc[lists.index.to_numpy(), "pair_no"] = lists.to_numpy()
        settings = dict(model)
        settings["blocking_rules_to_generate_predictions"] = [
            {"blocking_rule": 'l."pair_no" = r."pair_no"', "arrays_to_explode": ["pair_no"]}
        ]
        settings["retain_matching_columns"] = True
        settings["retain_intermediate_calculation_columns"] = True
        linker = Linker(
            _register(api, engine, table), for_dialect(settings, engine), log_level=logging.WARNING
        )
        frame = linker.inference.predict(warning_mode="never").as_pandas_dataframe()  # type: ignore[no-untyped-call]
        scored = _scored_pairs(frame, model)
        return [replace(p, id_l=ids[int(p.id_l)], id_r=ids[int(p.id_r)]) for p in scored]

    return explain


def _components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Connected-component label of each of ``n`` nodes joined by the edges."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return np.asarray(labels, dtype=np.int64)


def cluster_arrays(
    ids: Sequence[str],
    left: np.ndarray,
    right: np.ndarray,
    probability: np.ndarray,
    decisions: Mapping[Pair, Decision | str] | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    review_floor: float = DEFAULT_REVIEW_FLOOR,
    veto_below: float | None = None,
    explain: Explain | None = None,
) -> tuple[Clustering, list[ScoredPair]]:
    """:func:`kirok.linkage.decisions.cluster` over pairs given as arrays of record numbers
    (indexes into ``ids``) and probabilities; ``veto_below`` is the review floor unless given.

    The result is the same as that of ``cluster`` on every pair. A pair below the review floor
    can only change the clusters when its two records could end up in one cluster: when they
    are in one connected component of the edges at or above the threshold and the people's
    ``same`` decisions. Only those veto pairs and the pairs at or above the review floor are
    handed to ``cluster``. Also returns the pairs at or above the review floor.
    ``explain`` turns those pairs (record numbers and probabilities) into scored pairs with the
    weight of each comparison; without it they carry only their probability.
    """
    n = len(ids)
    index = {rid: i for i, rid in enumerate(ids)}
    decided = {pair_key(*k): Decision(v) for k, v in (decisions or {}).items()}
    strong = probability >= threshold
    el, er = [left[strong]], [right[strong]]
    for (a, b), d in decided.items():
        if d is Decision.SAME and a in index and b in index:
            el.append(np.array([index[a]]))
            er.append(np.array([index[b]]))
    labels = _components(n, np.concatenate(el), np.concatenate(er))
    keep = (probability >= review_floor) | (labels[left] == labels[right])
    if decided:  # a decided pair is handled by its decision, whatever its score
        keyed = {(index[a], index[b]) for a, b in decided if a in index and b in index}
        keyed |= {(b, a) for a, b in keyed}
        extra = [k for k, (a, b) in enumerate(zip(left.tolist(), right.tolist(), strict=True))
                 if (a, b) in keyed]  # fmt: skip
        keep[extra] = True
    if explain is not None:
        pairs = explain(left[keep], right[keep], probability[keep])
    else:
        pairs = [
            ScoredPair(ids[a], ids[b], p, 0.0)
            for a, b, p in zip(
                left[keep].tolist(), right[keep].tolist(), probability[keep].tolist(), strict=True
            )
        ]
    veto = review_floor if veto_below is None else veto_below
    if decided:
        clustering = cluster(
            ids, pairs, decisions, threshold=threshold, review_floor=review_floor, veto_below=veto
        )
    else:
        clustering = _cluster_by_component(
            ids, index, labels, pairs, threshold=threshold, review_floor=review_floor, veto=veto
        )
    return clustering, [p for p in pairs if p.match_probability >= review_floor]


def _cluster_by_component(
    ids: Sequence[str],
    index: Mapping[str, int],
    labels: np.ndarray,
    pairs: Sequence[ScoredPair],
    *,
    threshold: float,
    review_floor: float,
    veto: float,
) -> Clustering:
    """What ``cluster`` gives without decisions, running it only where a veto can matter.

    The clusters lie inside the connected components of the edges at or above the threshold
    (``labels``). A component none of whose pairs is scored below the veto is one cluster: every
    edge in it joins two clusters, the component is named after its smallest record id, and
    ``cluster`` is not needed. ``cluster`` runs on the other components' records and pairs
    alone (clusters never cross components). The review queue is every pair in the band,
    ordered as ``cluster`` orders it.
    """
    check_band(threshold, review_floor)
    n = len(ids)
    hard = np.zeros(int(labels.max()) + 1 if n else 0, dtype=bool)
    for p in pairs:
        if p.match_probability < veto:
            a, b = labels[index[p.id_l]], labels[index[p.id_r]]
            if a == b:
                hard[a] = True
    names = np.asarray(ids, dtype=str)
    order = np.argsort(names, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    smallest = np.full(len(hard), n, dtype=np.int64)
    np.minimum.at(smallest, labels, rank)
    clusters = dict(zip(ids, names[order[smallest[labels]]].tolist(), strict=True))
    sizes = np.bincount(labels, minlength=len(hard))
    merged = int((sizes[~hard] - 1).sum())
    if hard.any():
        inside = hard[labels]
        sub_pairs = [p for p in pairs if inside[index[p.id_l]] and inside[index[p.id_r]]]
        sub_ids = [ids[i] for i in np.flatnonzero(inside).tolist()]
        sub = cluster(
            sub_ids, sub_pairs, threshold=threshold, review_floor=review_floor, veto_below=veto
        )
        clusters.update(sub.clusters)
        merged += sub.merged_by_model
    band = [p for p in pairs if review_floor <= p.match_probability < threshold]
    review = sorted(band, key=most_probable_first)
    return Clustering(clusters, review, [], merged)


def _trained(linker: Any, prepared: pd.DataFrame, training: str, strict_lambda: bool) -> Settings:
    """The model trained on the prepared records, with rare-level probabilities floored."""
    from kirok.linkage.pipeline import _coverage, _deterministic_rule, _sampled_pairs, _train

    n = len(prepared)
    if training == "scale":
        _train_at_scale(linker, n)
    else:
        full_dates = int(prepared["birth_full"].notna().sum())
        rule = _deterministic_rule(has_full_dates=full_dates >= 0.3 * n)
        _train(linker, n, rule, _coverage([prepared], rule))
    if strict_lambda:
        _estimate_lambda_strictly(linker, prepared)
    trained = linker.misc.save_model_to_json()
    for comparison in trained["comparisons"]:  # the flag was for training only: floor as usual
        if comparison["output_column_name"] in FIXED_M_AT_SCALE:
            for level in comparison["comparison_levels"]:
                level.pop("fix_m_probability", None)
    return neutral(floor_probabilities(trained, _sampled_pairs(n)))


def link_at_scale(
    records: pd.DataFrame,
    decisions: Mapping[Pair, Decision | str] | None = None,
    *,
    threshold: float | None = None,
    review_floor: float = DEFAULT_REVIEW_FLOOR,
    blocking: Sequence[Mapping[str, Any]] = SCALE_BLOCKING_RULES,
    training: str = "scale",
    strict_lambda: bool = True,
    veto_below: float | None = None,
    memory_limit: str | None = None,
    model: Settings | None = None,
    explain: bool = False,
    engine: str = "duckdb",
    spark: Any | None = None,
    progress: Progress = _noop,
) -> ScaleResult:
    """Deduplicate a large set of records (see the module docstring) on DuckDB or Spark.

    ``threshold`` is chosen by :func:`scale_threshold` unless given:
    :data:`kirok.linkage.defaults.SCALE_THRESHOLD`, the lowest threshold at which clusters
    stayed at least 98% precise on every profile of the scale benchmark, or a lower one when
    the model expects at least 98% of the pairs at or above it to be one person
    (docs/explanation/linkage.md, "Choosing the threshold").
    ``strict_lambda`` re-estimates the probability that two records match (λ) from pairs that
    agree on the name *and the full date of birth* (see :data:`STRICT_LAMBDA_RULE`).
    ``training="scale"`` trains with :data:`SCALE_EM_SESSIONS`; ``"pipeline"`` as
    :func:`kirok.linkage.pipeline.link_records` does.
    ``memory_limit`` (DuckDB's, e.g. ``"6GB"``) makes DuckDB spill to disk beyond it.
    ``veto_below`` (a pair scored below it keeps its two records out of one cluster) is, as
    for any trained model in :func:`kirok.linkage.pipeline.link_records`, the lower of the
    review floor and :data:`kirok.linkage.defaults.DEFAULT_VETO_BELOW` unless given.
    ``model`` (a saved model, e.g. ``ScaleResult.model``) scores the pairs as it is, without
    training; its comparisons and parameters are kept and ``blocking`` replaces its blocking.
    ``explain`` gives the pairs at or above the review floor the weight and level of each
    comparison, as :func:`kirok.linkage.pipeline.link_records` does (a second, small
    prediction); without it they carry only their probability.
    ``engine="spark"`` runs the same settings, training and model on Spark (``spark``, a
    session; one is started when none is given), for inputs beyond one machine; the scored
    pairs come back to this process as three arrays and are clustered here, as on DuckDB.
    ``memory_limit`` is DuckDB's only.
    """
    from splink import DuckDBAPI, Linker

    timings: dict[str, float] = {}
    cpu: dict[str, float] = {}
    clock = [time.perf_counter(), time.process_time()]

    def lap(name: str) -> None:
        now = (time.perf_counter(), time.process_time())
        timings[name] = now[0] - clock[0]
        cpu[name] = now[1] - clock[1]
        clock[:] = now

    progress("deriving name keys")
    prepared = prepare_bulk(records)
    ids = prepared["unique_id"].tolist()
    prepared["unique_id"] = np.arange(len(prepared), dtype=np.int64)
    n = len(prepared)
    lap("prepare")

    progress("training the model")
    if engine == "duckdb":
        connection = duckdb_connection()
        if memory_limit:
            connection.execute("SET memory_limit = ?", [memory_limit])
        api: Any = DuckDBAPI(connection)
    else:
        api = make_api(engine, spark)
    table = _register(api, engine, prepared)
    if model is None:
        settings = for_dialect(scale_settings(n, blocking), engine)
        training_linker = Linker(table, settings, log_level=logging.WARNING)
        model = _trained(training_linker, prepared, training, strict_lambda)
    else:
        model = neutral(model)
        model["blocking_rules_to_generate_predictions"] = [dict(b) for b in blocking]
        model["retain_intermediate_calculation_columns"] = False
        model["retain_matching_columns"] = False
    linker = Linker(table, for_dialect(model, engine), log_level=logging.WARNING)
    lap("train")

    progress("scoring candidate pairs")
    predictions = linker.inference.predict(warning_mode="never")
    left, right, probability = _pair_arrays(api, engine, predictions)
    cut = scale_threshold(probability, review_floor) if threshold is None else threshold
    lap("predict")

    progress("clustering")
    clustering, review_pairs = cluster_arrays(
        ids,
        left,
        right,
        probability,
        decisions,
        threshold=cut,
        review_floor=review_floor,
        veto_below=min(review_floor, DEFAULT_VETO_BELOW) if veto_below is None else veto_below,
        explain=_explainer(api, engine, prepared, model, ids) if explain else None,
    )
    lap("cluster")
    return ScaleResult(
        clustering, review_pairs, model, n, ids, left, right, probability, cut, timings, cpu
    )
