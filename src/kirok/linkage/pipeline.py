"""Link records end to end: derive keys, train (or use priors), predict, cluster with decisions.

:func:`link_records` is the entry point for services and the CLI. It takes the records as a
DataFrame following the ``kirok link dedupe`` contract and the people's decisions, and returns
clusters, the scored pairs with the weight of each comparison, and the review queue.

When the input is small (fewer than ``small_input`` records, default 1,000) the model is not
trained: EM on a few hundred pairs over-fits and random-sampling u estimates are noise, so the
hand-set priors of :mod:`kirok.linkage.model` score the pairs, without term-frequency
adjustment (a name repeated in a 50-name list is frequent *because* it is duplicated).
From ``scale_input`` records on (default 50,000) it runs :func:`kirok.linkage.scale.link_at_scale`.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from kirok.linkage.bulk import prepare_bulk
from kirok.linkage.decisions import Clustering, Decision, Pair, ScoredPair, cluster
from kirok.linkage.defaults import (
    DEFAULT_REVIEW_FLOOR,
    DEFAULT_THRESHOLD,
    DEFAULT_VETO_BELOW,
    SCALE_INPUT,
    SCALE_THRESHOLD,
)
from kirok.linkage.engines import make_api, to_spark_frame
from kirok.linkage.model import (
    U_FLOOR_SAMPLES,
    Settings,
    build_settings,
    floor_probabilities,
    for_dialect,
    neutral,
)

log = logging.getLogger(__name__)
Progress = Callable[[str], None]

SMALL_INPUT = 1000
# From this size on, link_records deduplicates with kirok.linkage.scale.link_at_scale: the
# union of BLOCKING_RULES grows with the square of the size (1.2 million pairs at 50,000
# records of bench_linkage_scale.py, 4.7 million at 100,000) and every pair becomes a Python
# object. At 50,000 records this path took 114 s of CPU and 7.7 GB, link_at_scale 13 s and
# 0.55 GB (cluster recall 0.82 against 0.73, precision 0.976 against 0.987). SCALE_INPUT is in
# kirok.linkage.defaults, with the threshold such inputs get.


@dataclass
class LinkageResult:
    clustering: Clustering
    pairs: list[ScoredPair]
    model: Settings  # trained model, DuckDB SQL; run it on any engine with ``model=``
    trained: bool
    n_records: int
    timings: dict[str, float] = field(default_factory=dict)
    threshold: float = DEFAULT_THRESHOLD  # the match probability the clusters were cut at

    @property
    def clusters(self) -> dict[str, str]:
        return self.clustering.clusters

    @property
    def review(self) -> list[ScoredPair]:
        return self.clustering.review


def _noop(_: str) -> None:
    return None


def _sampled_pairs(n: int) -> float:
    """How many random pairs Splink's u estimate samples (used at scale)."""
    return float(min(2_000_000, max(n * (n - 1) // 2, 1)))


# Random pairs u is estimated from. The levels that decide a link are seen often enough in half
# a million (same full date of birth ≈ 100 times in FEBRL4, a given name as written ≈ 1,500),
# and a level seen fewer than U_FLOOR_SAMPLES times is floored anyway. Against two million
# pairs: pair F1 at 0.70 0.9578 / 0.9567 on FEBRL4 names + DOB, 0.9506 / 0.9494 on the Korean
# lists, unchanged on FEBRL3 and FEBRL4 with all fields; a quarter million lost 0.0025 on
# FEBRL4 names + DOB.
U_MAX_PAIRS = 500_000


def _u_sample(prepared: Sequence[pd.DataFrame], max_pairs: float, seed: int) -> pd.DataFrame:
    """Records drawn at random so that the pairs among them (one frame) or between them (several
    frames, pairs across frames only) number about ``max_pairs``; ``_frame`` numbers the frame."""
    sizes = [len(p) for p in prepared]
    if len(prepared) == 1:
        n = sizes[0]
        share = min(1.0, 0.5 * (math.sqrt(8 * max_pairs + 1) + 1) / max(n, 1))
    else:
        links = (sum(sizes) ** 2 - sum(s * s for s in sizes)) / 2
        share = min(1.0, math.sqrt(max_pairs / max(links, 1.0)))
    parts = []
    for number, frame in enumerate(prepared):
        part = frame.sample(n=round(share * len(frame)), random_state=seed + number)
        parts.append(part.assign(_frame=number))
    sample = pd.concat(parts, ignore_index=True)
    sample["_row"] = range(len(sample))
    return sample


def estimate_u(
    connection: Any,
    prepared: Sequence[pd.DataFrame],
    settings: Settings,
    *,
    max_pairs: float = U_MAX_PAIRS,
    seed: int = 42,
) -> tuple[Settings, float]:
    """The model with every level's u estimated from random pairs, and how many pairs that was.

    u is the share of non-matching pairs at a level, and random pairs are almost all
    non-matching (Splink's ``estimate_u_using_random_sampling`` does the same). Splink draws the
    pairs once per comparison, ten chunks and a probe each, and stops early only when every
    level has been seen 100 times — which kirok's rare levels (a transposed date, an alias, a
    name read whole) never are, so each of its 6 to 13 comparisons went through all two
    million pairs again, each time with its join: 26 of 41 s of a FEBRL4 run. Here the pairs
    are drawn once, every comparison's level is computed for each pair in one DuckDB query,
    and the pairs are counted by their combination of levels. A level seen less often gets
    u = ``U_FLOOR_SAMPLES`` / pairs, the floor :func:`kirok.linkage.model.floor_probabilities`
    puts on rare levels; levels with a fixed u, and comparisons missing from every sampled
    pair, keep their priors.
    """
    out = for_dialect(settings, "duckdb")
    sample = _u_sample(prepared, max_pairs, seed)
    columns = [c for c in sample.columns if c not in ("_frame", "_row")]
    both = ", ".join(f'l."{c}" AS "{c}_l", r."{c}" AS "{c}_r"' for c in columns)
    names = [f"__kirok_u_{i}" for i in range(len(prepared))]
    if len(prepared) == 1:
        pairs = f'SELECT {both} FROM {names[0]} AS l JOIN {names[0]} AS r ON l."_row" < r."_row"'
    else:  # each frame apart: a cross join of two tables is cheaper than a join on the frame
        pairs = " UNION ALL ".join(
            f"SELECT {both} FROM {a} AS l CROSS JOIN {b} AS r"
            for i, a in enumerate(names)
            for b in names[i + 1 :]
        )
    cases = []
    for i, comp in enumerate(out["comparisons"]):
        whens = " ".join(
            f"WHEN {lv['sql_condition']} THEN {j}"
            for j, lv in enumerate(comp["comparison_levels"])
            if lv["sql_condition"].strip().upper() != "ELSE"
        )
        cases.append(f"CASE {whens} ELSE {len(comp['comparison_levels']) - 1} END AS g{i}")
    for i, name in enumerate(names):
        connection.register(name, sample[sample["_frame"] == i])
    try:
        counts = connection.execute(
            f"SELECT {', '.join(cases)}, count(*) AS n FROM ({pairs}) GROUP BY ALL"
        ).df()
    finally:
        for name in names:
            connection.unregister(name)
    n_pairs = float(counts["n"].sum())
    floor = U_FLOOR_SAMPLES / max(n_pairs, 1.0)
    for i, comp in enumerate(out["comparisons"]):
        by_level = counts.groupby(f"g{i}")["n"].sum()
        levels = comp["comparison_levels"]
        observed = sum(
            int(by_level.get(j, 0)) for j, lv in enumerate(levels) if not lv.get("is_null_level")
        )
        if not observed:
            continue
        for j, level in enumerate(levels):
            if level.get("is_null_level") or level.get("fix_u_probability"):
                continue
            level["u_probability"] = max(int(by_level.get(j, 0)) / observed, floor)
    return out, n_pairs


def _deterministic_rule(has_full_dates: bool) -> tuple[str, ...]:
    """Columns of the near-certain rule λ is estimated from."""
    return ("surname_cls", "given_k", "birth_full" if has_full_dates else "birth_year")


# Levels of each comparison at which the deterministic rule's column agrees exactly.
_RULE_LEVELS = {
    "surname_cls": ("surname", ("as written", "same surname class")),
    "given_k": ("given", ("as written", "same given-name key")),
    "birth_year": ("birth", ("same date", "same year")),
    "birth_full": ("birth", ("same date",)),
}


def rule_recall(model: Settings, columns: Sequence[str], coverage: float) -> float:
    """Share of true pairs a rule requiring equal ``columns`` keeps, from the trained m values.

    A true pair passes when both records have the columns (``coverage``) and each column
    agrees, whose probability among true pairs is the m of the levels at which it does. The
    fixed recall Splink's examples use (0.7) overstates it when birth years are often missing
    or a year off, and λ — and with it every match probability — comes out too low.
    """
    recall = coverage
    for column in columns:
        comparison, labels = _RULE_LEVELS[column]
        for comp in model["comparisons"]:
            if comp["output_column_name"] != comparison:
                continue
            m = sum(
                float(lv.get("m_probability") or 0.0)
                for lv in comp["comparison_levels"]
                if lv.get("label_for_charts") in labels
            )
            recall *= min(max(m, 0.0), 1.0)
    return min(max(recall, 0.05), 1.0)


def _coverage(prepared: Sequence[pd.DataFrame], columns: Sequence[str]) -> float:
    """Probability that both records of a *true* pair have every column of a rule.

    The name columns are taken as missing at random: their share among records, squared. The
    date is not: records with no date at all (a witness known by a pseudonym) are seldom
    duplicated, so the share of pairs that both have a date is read from the pairs that agree
    on the names, which are mostly true pairs. Taken from all records instead, it came out 0.30
    rather than 0.72 on the demo's database (victims and dateless witnesses), and λ 2.5 times
    too high.
    """
    frames = [p for p in prepared if len(p)]
    if not frames:
        return 0.0
    names, date = list(columns[:-1]), columns[-1]
    shares = [float(p[names].notna().all(axis=1).mean()) for p in frames]
    both_names = shares[0] ** 2 if len(shares) == 1 else shares[0] * shares[-1]
    counts = [
        p.dropna(subset=names)
        .assign(_dated=lambda q: q[date].notna())
        .groupby(names)["_dated"]
        .agg(["size", "sum"])
        for p in frames
    ]
    if len(counts) == 1:
        n, k = counts[0]["size"], counts[0]["sum"]
        all_pairs, dated_pairs = float((n * (n - 1) / 2).sum()), float((k * (k - 1) / 2).sum())
    else:
        joined = counts[0].join(counts[-1], how="inner", lsuffix="_l", rsuffix="_r")
        all_pairs = float((joined["size_l"] * joined["size_r"]).sum())
        dated_pairs = float((joined["sum_l"] * joined["sum_r"]).sum())
    if all_pairs < 10:  # too few name agreements to read from: the share among records
        dated = [float(p[date].notna().mean()) for p in frames]
        both_dated = dated[0] ** 2 if len(dated) == 1 else dated[0] * dated[-1]
    else:
        both_dated = dated_pairs / all_pairs
    return both_names * both_dated


def run_em_session(linker: Any, blocking_rule: Any, **options: Any) -> bool:
    """One EM session on ``linker``; if it cannot run, the model is left as it was before.

    Splink takes the comparisons a session's blocking rule uses out of the linker's own
    settings while the session trains and puts them back only when it succeeds, so a session
    that fails (no pairs, or an m driven below the smallest value Splink accepts) left the
    model without them: every later score ignored the names.
    """
    settings = linker._settings_obj  # noqa: SLF001 - restored below if the session fails
    before = settings.core_model_settings.copy()
    try:
        linker.training.estimate_parameters_using_expectation_maximisation(blocking_rule, **options)
    except Exception as error:  # noqa: BLE001 - the comparisons keep what they had
        settings.core_model_settings = before
        log.warning("an EM session could not run, its comparisons keep their priors: %s", error)
        return False
    return True


def _train(
    linker: Any, n: int, rule: Sequence[str], coverage: float, *, u_estimated: bool = False
) -> None:
    """Train the linker's model: u (unless ``u_estimated``: see :func:`estimate_u`), m by EM, λ."""
    from splink import block_on

    has_full_dates = "birth_full" in rule
    if not u_estimated:
        linker.training.estimate_u_using_random_sampling(max_pairs=_sampled_pairs(n), seed=42)
    sessions = [
        block_on("surname_cls", "given_k"),
        block_on("birth_full") if has_full_dates else block_on("birth_year", "sex_norm"),
    ]
    for session in sessions:
        # EM's iterations on the distinct comparison vectors, not on every pair with its term
        # frequencies: a third faster, and the m values agree to 1e-4 (FEBRL3)
        run_em_session(
            linker, session, max_pairs=2_000_000.0, estimate_without_term_frequencies=True
        )
    # λ last: the share of true pairs the near-certain rule keeps comes from the trained m values
    recall = rule_recall(linker.misc.save_model_to_json(), rule, coverage)
    try:
        linker.training.estimate_probability_two_random_records_match(
            [block_on(*rule)], recall=recall
        )
    except Exception as error:  # noqa: BLE001 - keep the prior λ when the data cannot estimate it
        log.warning("kept the prior probability that two records match: %s", error)


def _labels(settings: Settings) -> dict[str, dict[int, str]]:
    out: dict[str, dict[int, str]] = {}
    for comp in settings["comparisons"]:
        levels = [lv for lv in comp["comparison_levels"] if not lv.get("is_null_level")]
        names = {len(levels) - 1 - i: str(lv.get("label_for_charts", i)) for i, lv in
                 enumerate(levels)}  # fmt: skip
        names[-1] = "missing"
        out[comp["output_column_name"]] = names
    return out


def _num(value: object) -> float:
    if value is None:
        return 0.0
    number = float(value)  # type: ignore[arg-type]
    return 0.0 if math.isnan(number) else number


def _scored_pairs(df: pd.DataFrame, settings: Settings) -> list[ScoredPair]:
    labels = _labels(settings)
    names = list(labels)
    out: list[ScoredPair] = []
    cols = set(df.columns)
    for row in df.to_dict("records"):
        weights: dict[str, float] = {}
        levels: dict[str, str] = {}
        for name in names:
            weight = _num(row.get(f"mw_{name}"))
            tf_col = f"mw_tf_adj_{name}"
            if tf_col in cols:
                weight += _num(row.get(tf_col))
            weights[name] = weight
            gamma = row.get(f"gamma_{name}")
            levels[name] = labels[name].get(int(gamma), "?") if gamma is not None else "?"
        out.append(
            ScoredPair(
                id_l=str(row["unique_id_l"]),
                id_r=str(row["unique_id_r"]),
                match_probability=float(row["match_probability"]),
                match_weight=float(row["match_weight"]),
                weights=weights,
                levels=levels,
            )
        )
    return out


def predict_frame(
    frames: Sequence[pd.DataFrame],
    *,
    engine: str = "duckdb",
    model: Settings | None = None,
    train: bool | None = None,
    keep_above: float = DEFAULT_REVIEW_FLOOR,
    extra_columns: Sequence[str] = (),
    extra_blocking: Sequence[str] = (),
    spark: Any | None = None,
    small_input: int = SMALL_INPUT,
    progress: Progress = _noop,
) -> tuple[pd.DataFrame, Settings, bool, dict[str, float]]:
    """Splink's predictions among (one frame) or between (several frames) record sets.

    Returns the predictions as a DataFrame (``unique_id_l``, ``unique_id_r``,
    ``match_probability``, ``match_weight``, ``mw_<comparison>`` …), the model, whether it was
    trained, and timings. ``keep_above=0`` keeps every blocked pair.
    """
    from splink import Linker

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    progress("deriving name keys")
    prepared = [prepare_bulk(f, extra_columns) for f in frames]
    n = sum(len(p) for p in prepared)
    link_type = "dedupe_only" if len(prepared) == 1 else "link_only"
    timings["prepare"] = time.perf_counter() - t0

    if model is None:
        do_train = n >= small_input if train is None else train
        settings = build_settings(
            n,
            link_type=link_type,
            tf=do_train,
            extra_columns=extra_columns,
            extra_blocking=extra_blocking,
        )
    else:
        do_train = bool(train)
        settings = dict(model)
        settings["link_type"] = link_type
    api = make_api(engine, spark)
    if engine == "spark":
        tables = [api.register(to_spark_frame(api.spark, p)) for p in prepared]
    else:
        tables = [api.register(p) for p in prepared]
    t1 = time.perf_counter()
    sampled = _sampled_pairs(n)
    u_estimated = do_train and engine == "duckdb"
    if do_train:
        progress("training the model")
    if u_estimated:
        settings, sampled = estimate_u(api.duckdb_con, prepared, settings)
    linker = Linker(
        tables if len(tables) > 1 else tables[0],
        for_dialect(settings, engine),
        log_level=logging.WARNING,
    )
    if do_train:
        full_dates = sum(int(p["birth_full"].notna().sum()) for p in prepared)
        rule = _deterministic_rule(has_full_dates=full_dates >= 0.3 * n)
        _train(linker, n, rule, _coverage(prepared, rule), u_estimated=u_estimated)
        # rebuild the linker on the trained model with rare-level probabilities floored
        floored = floor_probabilities(linker.misc.save_model_to_json(), sampled)
        linker = Linker(  # the same SQL as the model validated above: not parsed again
            tables if len(tables) > 1 else tables[0],
            for_dialect(neutral(floored), engine),
            log_level=logging.WARNING,
            validate_settings=False,
        )
        timings["train"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    progress("scoring candidate pairs")
    predictions = linker.inference.predict(
        threshold_match_probability=keep_above, warning_mode="never"
    )
    df = predictions.as_pandas_dataframe()  # type: ignore[no-untyped-call]
    trained_model = neutral(linker.misc.save_model_to_json())
    timings["predict"] = time.perf_counter() - t2
    return df, trained_model, do_train, timings


def score(
    frames: Sequence[pd.DataFrame],
    **options: Any,
) -> tuple[list[ScoredPair], Settings, bool, dict[str, float]]:
    """Like :func:`predict_frame`, with each pair as a :class:`ScoredPair`."""
    df, model, trained, timings = predict_frame(frames, **options)
    return _scored_pairs(df, model), model, trained, timings


def link_records(
    records: pd.DataFrame,
    decisions: Mapping[Pair, Decision | str] | None = None,
    *,
    engine: str = "duckdb",
    threshold: float | None = None,
    review_floor: float = DEFAULT_REVIEW_FLOOR,
    model: Settings | None = None,
    train: bool | None = None,
    extra_columns: Sequence[str] = (),
    spark: Any | None = None,
    small_input: int = SMALL_INPUT,
    scale_input: int = SCALE_INPUT,
    unscored: Sequence[str] = (),
    progress: Progress = _noop,
) -> LinkageResult:
    """Deduplicate records: clusters for every record, scored pairs, review queue.

    ``decisions`` maps (record_id, record_id) to ``same``, ``different`` or ``unsure`` and is
    honoured exactly as :func:`kirok.linkage.decisions.cluster` describes. From ``scale_input``
    records on, on either engine, a model to train is trained and run with the settings for
    scale, and a given model is run with their blocking (:func:`kirok.linkage.scale.link_at_scale`;
    not with extra columns, nor a given model to train further).
    ``unscored`` are ids of records the model must not compare (a witness known only by a
    pseudonym): each gets a cluster of its own, joined to another only by a person's "same"
    (below the scale threshold; at scale it stays alone).
    ``threshold`` is the calibrated default for the input's size unless given: from
    ``scale_input`` records on ``SCALE_THRESHOLD``, lowered on the scale path where the model
    expects the pairs it links to be precise enough (:func:`kirok.linkage.scale.scale_threshold`),
    and ``DEFAULT_THRESHOLD`` below (``kirok.linkage.defaults``).
    """
    # the scale path trains a model, or runs a given one as it is; it has no extra columns
    trains_here = model is None and train is not False
    runs_given = model is not None and not train
    if len(records) >= scale_input and not extra_columns and (trains_here or runs_given):
        from kirok.linkage.scale import link_at_scale

        big = link_at_scale(
            records, decisions, threshold=threshold, review_floor=review_floor, model=model,
            explain=True, engine=engine, spark=spark, progress=progress,
        )  # fmt: skip
        for rid in unscored:
            big.clustering.clusters.setdefault(rid, rid)
        return LinkageResult(
            big.clustering, big.review_pairs, big.model, trains_here, big.n_records,
            big.timings, big.threshold,
        )  # fmt: skip
    if threshold is None:
        # By size, whatever path runs it: a large input with extra columns, or with a given
        # model to train further, holds as many namesakes as on the scale path, and the
        # pipeline's default merged them there.
        threshold = SCALE_THRESHOLD if len(records) >= scale_input else DEFAULT_THRESHOLD
    scored, trained_model, trained, timings = score(
        [records],
        engine=engine,
        model=model,
        train=train,
        keep_above=0.0,  # the pairs below the veto floor veto chains (see cluster)
        extra_columns=extra_columns,
        spark=spark,
        small_input=small_input,
        progress=progress,
    )
    t = time.perf_counter()
    progress("clustering")
    ids = [str(v).strip() for v in records["record_id"].tolist()] + list(unscored)
    # A trained model's probabilities are calibrated: a pair at 0.1-0.3 is still that likely one
    # person, too likely to keep a chain apart. The priors' are not, and there the review floor
    # is the veto (two 이호군 of one province were joined through a pair at 0.26 otherwise).
    clustering = cluster(
        ids,
        scored,
        decisions,
        threshold=threshold,
        review_floor=review_floor,
        veto_below=min(review_floor, DEFAULT_VETO_BELOW) if trained else review_floor,
    )
    pairs = [p for p in scored if p.match_probability >= review_floor]
    timings["cluster"] = time.perf_counter() - t
    return LinkageResult(clustering, pairs, trained_model, trained, len(ids), timings, threshold)
