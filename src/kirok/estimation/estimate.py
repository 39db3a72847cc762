"""Entry points: a capture-history table in, an :class:`EstimationResult` out."""

from __future__ import annotations

from typing import Any

import numpy as np

from kirok.estimation import diagnostics
from kirok.estimation.histories import CaptureHistories
from kirok.estimation.lcmcr import SAMPLER, Priors
from kirok.estimation.loglinear import (
    ModelFit,
    fit_chao,
    fit_models,
    model_average,
    profile_interval,
    rank_models,
    table_warnings,
)
from kirok.estimation.mcmc import RunSettings, run_chains
from kirok.estimation.models import hierarchical_models, parse_model
from kirok.estimation.result import EstimationResult

SELECTIONS = ("best-bic", "best-aic")
# Warn when every class holds someone in more than this share of draws: the truncation at K may
# then bind. (On Kosovo with K = 10, the reference set-up, the share is about 25%.)
ALL_OCCUPIED_WARNING = 0.5


def estimate_loglinear(
    histories: CaptureHistories,
    model: str = "best-bic",
    top: int = 10,
    include_ranking: bool = False,
    level: float = 0.95,
) -> EstimationResult:
    """Fit all hierarchical models, pick one (best BIC by default) and report it honestly.

    Besides the chosen model the result holds a sensitivity table (the ``top`` models by the
    criterion, each with its profile interval), the model average, the independence model (Mt)
    and the Chao lower bound, so a reader sees how much the number depends on the model.
    """
    criterion = "aic" if model == "best-aic" else "bic"
    fits = fit_models(histories)
    ranked = rank_models(fits, criterion)
    notes = table_warnings(histories)
    by_name = {f.name: f for f in fits}
    if model in SELECTIONS:
        chosen = ranked[0]
        if not chosen.converged or chosen.boundary:
            notes.append("no model has a finite maximum-likelihood estimate")
    else:
        parsed = parse_model(model, histories.n_lists)
        chosen = by_name[parsed.name]
    if not chosen.converged:
        notes.append(f"model {chosen.name}: the fit did not converge")
    if chosen.boundary:
        notes.append(
            f"model {chosen.name}: the maximum-likelihood estimate does not exist (an empty "
            "pattern is fitted at zero); its N̂ and interval are not meaningful"
        )
    designs = {m.name: m.design() for m in hierarchical_models(histories.n_lists)}
    interval = profile_interval(histories, designs[chosen.name], chosen.estimate, level)
    if interval.upper is None:
        notes.append(
            f"the upper limit of the {level:.0%} interval lies above 3·N̂ = "
            f"{interval.upper_limit:.0f}; the data do not bound N from above under this model"
        )
    best = ranked[0]
    gap = getattr(chosen, criterion) - getattr(best, criterion)
    sensitivity = []
    for fit in ranked[:top]:
        row = fit.to_dict()
        row["delta_" + criterion] = getattr(fit, criterion) - getattr(best, criterion)
        if fit.converged and not fit.boundary:
            ci = profile_interval(histories, designs[fit.name], fit.estimate, level)
            row["ci_lower"], row["ci_upper"] = ci.lower, ci.upper
        sensitivity.append(row)
    close = [f for f in ranked[1:top] if getattr(f, criterion) - getattr(best, criterion) < 2.0]
    spread = [f.estimate for f in [best, *close]]
    if close and max(spread) > 1.2 * min(spread):
        notes.append(
            f"{len(close) + 1} models are within 2 {criterion.upper()} points of the best and "
            f"their estimates range from {min(spread):,.0f} to {max(spread):,.0f}: "
            "the choice of model drives the answer"
        )
    average = model_average(fits, criterion)
    independence = by_name[hierarchical_models(histories.n_lists)[0].name]
    chao, _ = fit_chao(histories)
    details: dict[str, Any] = {
        "criterion": criterion,
        "delta_criterion": gap,
        "deviance": chosen.deviance,
        "df": chosen.df,
        "aic": chosen.aic,
        "bic": chosen.bic,
        "profile_mle": interval.mle,
        "sensitivity": sensitivity,
        "model_average": {
            "criterion": average.criterion,
            "estimate": average.estimate,
            "se": average.se,
            "weights": average.weights,
        },
        "independence": _summary(independence),
        "chao_lower_bound": _summary(chao),
        "n_models": len(fits),
    }
    if include_ranking:
        details["ranking"] = [f.to_dict() for f in ranked]
    return EstimationResult(
        method="loglinear",
        model=chosen.name,
        n_observed=histories.n_observed,
        estimate=chosen.estimate,
        se=chosen.se,
        ci_lower=interval.lower,
        ci_upper=interval.upper,
        ci_level=level,
        ci_method="profile likelihood (Cormack 1992)",
        lists=histories.lists,
        data_sha256=histories.sha256(),
        settings={"model": model, "criterion": criterion, "top": top, "level": level},
        details=details,
        warnings=tuple(notes),
    )


def _summary(fit: ModelFit) -> dict[str, Any]:
    return {
        "model": fit.name,
        "estimate": fit.estimate,
        "se": fit.se,
        "deviance": fit.deviance,
        "df": fit.df,
        "aic": fit.aic,
        "bic": fit.bic,
    }


def estimate_lcmcr(
    histories: CaptureHistories,
    classes: int = 10,
    chains: int = 4,
    seed: int | None = None,
    target_ess: int = 2000,
    max_sweeps: int = 5_000_000,
    alpha_shape: float = 0.25,
    alpha_rate: float = 0.25,
    burn_in: int = 20_000,
    thin: int = 10,
    first_block: int = 100_000,
    processes: int | None = None,
    level: float = 0.95,
) -> EstimationResult:
    """Posterior of N under LCMCR, run until R̂ and ESS targets are met; median and interval.

    The reported interval is the equal-tailed posterior interval; the Monte-Carlo standard error of
    each reported quantile is in ``diagnostics`` so a reader can see how many digits are real.
    """
    priors = Priors(classes=classes, alpha_shape=alpha_shape, alpha_rate=alpha_rate)
    settings = RunSettings(
        chains=chains,
        burn_in=burn_in,
        thin=thin,
        first_block=first_block,
        max_sweeps=max_sweeps,
        target_ess=target_ess,
        processes=processes,
    )
    run = run_chains(histories, priors, settings, seed)
    draws = run.population
    tail = (1.0 - level) / 2.0
    low, median, high = (float(q) for q in np.quantile(draws, [tail, 0.5, 1.0 - tail]))
    summary = diagnostics.summary(draws, (tail, 0.5, 1.0 - tail))
    all_occupied = float(np.mean(run.occupied == classes))
    notes: list[str] = []
    if summary["rhat"] > settings.rhat_target:
        notes.append(
            f"R-hat {summary['rhat']:.3f} > {settings.rhat_target}: the chains disagree; "
            "the posterior summary is not reliable"
        )
    if min(summary["ess_bulk"], summary["ess_tail"]) < target_ess:
        notes.append(
            f"effective sample size (bulk {summary['ess_bulk']:.0f}, tail "
            f"{summary['ess_tail']:.0f}) is below the target {target_ess} after "
            f"{run.sweeps_per_chain:,} sweeps per chain (the cap); quantiles are imprecise"
        )
    if all_occupied > ALL_OCCUPIED_WARNING:
        notes.append(
            f"all K = {classes} latent classes are occupied in {all_occupied:.0%} of draws; "
            "K may be too small to describe the heterogeneity, rerun with more classes"
        )
    if run.cap_hits:
        notes.append(
            f"the number of unobserved people hit its cap (20 x n) in {run.cap_hits} sweeps; "
            "the posterior has a heavy right tail that the cap truncates"
        )
    notes.extend(table_warnings(histories))
    alpha_rhat = diagnostics.rhat(run.alpha)
    return EstimationResult(
        method="lcmcr",
        model=f"LCMCR K={classes}",
        n_observed=histories.n_observed,
        estimate=median,
        median=median,
        mean=float(draws.mean()),
        ci_lower=low,
        ci_upper=high,
        ci_level=level,
        ci_method="equal-tailed posterior interval",
        rhat=summary["rhat"],
        seed=run.seed,
        seeds=run.chain_seeds,
        lists=histories.lists,
        data_sha256=histories.sha256(),
        settings={
            "classes": classes,
            "alpha_shape": alpha_shape,
            "alpha_rate": alpha_rate,
            "prior_n": "1/N",
            "lambda_prior": "Beta(1,1)",
            "sampler": SAMPLER,
            **settings.to_dict(),
        },
        diagnostics={
            **summary,
            "sweeps_per_chain": run.sweeps_per_chain,
            "draws_per_chain": int(draws.shape[1]),
            "stopped_by": run.stopped_by,
            "cap_hits": run.cap_hits,
            "share_all_classes_occupied": all_occupied,
            "occupied_classes_median": float(np.median(run.occupied)),
            "alpha_rhat": alpha_rhat,
            "history": run.history,
        },
        details={"chain_medians": [float(np.median(c)) for c in draws]},
        warnings=tuple(notes),
        draws=draws,
    )
