"""Multiple systems estimation over the database: linked victims × documenting sources.

The capture histories come from the latest linkage run: a cluster is one person, on every list
(source NGO) that documented at least one of its records. Estimates are stored as
``EstimationRun`` records with the full result (seed, data hash, settings) so a number in a
report can be traced and reproduced, and with what its plots are drawn from (``result["plots"]``:
the histogram of the posterior of N and thinned traces of every chain, for LCMCR), so the web page
and reports show the plots of the stored number itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kirok.domain.records import Act, EstimationRun, Person
from kirok.domain.vocabulary import load_vocabularies
from kirok.estimation.estimate import estimate_lcmcr, estimate_loglinear
from kirok.estimation.histories import CaptureHistories, HistoryError, histories_from_records
from kirok.estimation.result import EstimationResult
from kirok.services.linkage import latest_run
from kirok.store.repository import RecordStore

STRATA = ("year", "province")


def _victim_strata(store: RecordStore, by: str | None, act_term: str | None) -> dict[str, set[str]]:
    """Victim person id -> the strata of their acts (a single "all" without ``by``)."""
    acts_vocab = load_vocabularies()["types_of_acts"]
    wanted = acts_vocab.descendant_ids(act_term) if act_term else None
    out: dict[str, set[str]] = {}
    with store.read() as uow:
        for act in uow.iter_kind("act"):
            if not isinstance(act, Act) or (wanted is not None and act.act_type not in wanted):
                continue
            if by is None:
                stratum = "all"
            elif by == "year":
                stratum = (act.start_date or "")[:4] or "unknown"
            else:
                stratum = act.place_id or "unknown"
            out.setdefault(act.victim_id, set()).add(stratum)
    return out


def capture_records(
    store: RecordStore, by: str | None = None, act_term: str | None = None
) -> tuple[str, list[tuple[str, str, str]]]:
    """(linkage run id, [(cluster id, source, stratum)]) for the victims of the latest run."""
    if by is not None and by not in STRATA:
        raise ValueError(f"--by takes one of {', '.join(STRATA)}, not {by!r}")
    run = latest_run(store)
    strata = _victim_strata(store, by, act_term)
    rows: list[tuple[str, str, str]] = []
    with store.read() as uow:
        for person in uow.iter_kind("person"):
            if not isinstance(person, Person) or not person.source:
                continue
            cluster = run.clusters.get(person.id)
            if cluster is None:
                continue
            rows.extend((cluster, person.source, s) for s in strata.get(person.id, ()))
    return run.id, rows


def _histories(rows: Iterable[tuple[str, str, str]], stratum: str | None) -> CaptureHistories:
    return histories_from_records((c, s) for c, s, st in rows if stratum is None or st == stratum)


def estimate_db(
    store: RecordStore,
    actor: str,
    *,
    method: str = "loglinear",
    by: str | None = None,
    act_term: str | None = None,
    model: str = "best-bic",
    chains: int = 4,
    seed: int | None = None,
    min_observed: int = 20,
    lcmcr_options: Mapping[str, Any] | None = None,
) -> list[EstimationRun]:
    """Estimate the total (and per stratum with ``by``) and store each result.

    ``lcmcr_options``: further keyword arguments of ``estimate_lcmcr`` (classes, target_ess,
    max_sweeps, processes, …).
    """
    from kirok.estimation.plots import plot_data  # matplotlib: only when estimating

    run_id, rows = capture_records(store, by, act_term)
    strata = sorted({st for _, _, st in rows}) if by else [None]
    stored: list[EstimationRun] = []
    for stratum in strata:
        try:
            histories = _histories(rows, stratum)
        except HistoryError:
            continue  # a stratum seen by a single list cannot be estimated
        if histories.n_observed < min_observed:
            continue
        result: EstimationResult
        if method == "lcmcr":
            result = estimate_lcmcr(histories, chains=chains, seed=seed, **(lcmcr_options or {}))
        elif method == "loglinear":
            result = estimate_loglinear(histories, model=model)
        else:
            raise ValueError(f"--method takes loglinear or lcmcr, not {method!r}")
        stored.append(
            EstimationRun(
                method=result.method,
                model=result.model,
                stratum=stratum,
                n_observed=result.n_observed,
                estimate=result.estimate,
                ci_lower=result.ci_lower,
                ci_upper=result.ci_upper,
                linkage_run_id=run_id,
                result={
                    **result.to_dict(),
                    "plots": plot_data(result),
                    "act_term": act_term,
                    "by": by,
                },
            )
        )
    with store.write(actor) as uow:
        return [uow.add(r) for r in stored]
