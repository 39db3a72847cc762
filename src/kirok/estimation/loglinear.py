"""Log-linear multiple systems estimation (Fienberg 1972; Rcapture conventions).

The 2^J − 1 observed pattern counts are taken as independent Poisson with log μ = Xβ; the model
says how the lists depend on one another, and extrapolating it to the all-zero pattern gives the
number nobody recorded. The answer depends entirely on the chosen dependence structure, which the
data can only partly tell apart: hence the ranking of every model, the sensitivity table and the
warnings. Numbers match R's Rcapture 1.4-4 (see ``docs/explanation/estimation.md``):

* N̂ = n + exp(β̂₀); SE = sqrt(exp(β̂₀) + exp(2β̂₀)·Var(β̂₀));
* AIC = −2 log L (with the log y! constant) + 2p; BIC = −2 log L + log(n)·p, n the people seen;
* a profile-likelihood 95% interval (Cormack 1992), see :func:`profile_interval`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq, minimize_scalar
from scipy.special import gammaln, xlogy
from scipy.stats import chi2

from kirok.estimation.glm import FloatArray, fit_poisson
from kirok.estimation.histories import CaptureHistories
from kirok.estimation.models import HierarchicalModel, hierarchical_models

BOUNDARY_FITTED = 1e-6
SPARSE_CELL = 5


@dataclass(frozen=True)
class ModelFit:
    """One fitted log-linear model."""

    name: str
    n_params: int
    df: int
    deviance: float
    aic: float
    bic: float
    estimate: float
    se: float
    converged: bool
    boundary: bool  # an observed-zero cell fitted at ~0: the MLE does not exist in the interior

    def to_dict(self) -> dict[str, object]:
        return {
            "model": self.name,
            "n_params": self.n_params,
            "df": self.df,
            "deviance": self.deviance,
            "aic": self.aic,
            "bic": self.bic,
            "estimate": self.estimate,
            "se": self.se,
            "converged": self.converged,
            "boundary": self.boundary,
        }


@dataclass(frozen=True)
class ProfileInterval:
    """A profile-likelihood interval; ``upper`` is None when no root lies below ``upper_limit``."""

    mle: float  # the multinomial maximiser, slightly below the Poisson N̂
    lower: float
    upper: float | None
    upper_limit: float
    level: float


def fit_design(
    histories: CaptureHistories, design: FloatArray, name: str
) -> tuple[ModelFit, FloatArray]:
    """Fit one design matrix; returns the fit and the coefficient vector."""
    fits = fit_all_designs(histories, [design], [name])
    return fits[0]


def fit_all_designs(
    histories: CaptureHistories, designs: list[FloatArray], names: list[str]
) -> list[tuple[ModelFit, FloatArray]]:
    """Fit many designs on the same table, batching designs with the same number of columns."""
    y = histories.counts.astype(np.float64)
    n = histories.n_observed
    out: list[tuple[ModelFit, FloatArray] | None] = [None] * len(designs)
    by_width: dict[int, list[int]] = {}
    for i, design in enumerate(designs):
        by_width.setdefault(design.shape[1], []).append(i)
    zero_cells = y == 0
    for width, members in by_width.items():
        fits = fit_poisson(np.stack([designs[i] for i in members]), y)
        for g, i in enumerate(members):
            beta0 = float(fits.coef[g, 0])
            var0 = float(fits.cov[g, 0, 0])
            mu0 = math.exp(beta0)
            loglik = float(fits.loglik[g])
            boundary = bool((fits.fitted[g][zero_cells] < BOUNDARY_FITTED).any())
            fit = ModelFit(
                name=names[i],
                n_params=width,
                df=len(y) - width,
                deviance=float(fits.deviance[g]),
                aic=-2.0 * loglik + 2.0 * width,
                bic=-2.0 * loglik + math.log(n) * width,
                estimate=n + mu0,
                se=math.sqrt(mu0 + mu0 * mu0 * var0),
                converged=bool(fits.converged[g]),
                boundary=boundary,
            )
            out[i] = (fit, fits.coef[g])
    return [item for item in out if item is not None]


def fit_models(
    histories: CaptureHistories, models: tuple[HierarchicalModel, ...] | None = None
) -> list[ModelFit]:
    """Fit every hierarchical model (default) or the given ones; in input order."""
    if models is None:
        models = hierarchical_models(histories.n_lists)
    fits = fit_all_designs(histories, [m.design() for m in models], [m.name for m in models])
    return [fit for fit, _ in fits]


def rank_models(fits: list[ModelFit], criterion: str = "bic") -> list[ModelFit]:
    """Usable fits (converged, MLE in the interior) best first by ``criterion``, then the rest."""
    if criterion not in ("aic", "bic"):
        raise ValueError(f"criterion must be 'aic' or 'bic', got {criterion!r}")
    usable = [f for f in fits if f.converged and not f.boundary]
    rest = [f for f in fits if not (f.converged and not f.boundary)]
    return sorted(usable, key=lambda f: getattr(f, criterion)) + rest


def profile_loglik(histories: CaptureHistories, design: FloatArray, population: float) -> float:
    """Cormack's profile log-likelihood of N, up to a constant.

    The unobserved cell gets the count n₀ = N − n and a design row that is zero but for the
    intercept; the Poisson
    deviance D(N) of that completed table plus c(N) = log[n₀^n₀ · N! / (N^N · n₀!)] is −2 times
    the multinomial log-likelihood of N (the Poisson and multinomial kernels differ by exactly
    c(N)). Log-gamma makes it valid for non-integer N.
    """
    n = histories.n_observed
    n0 = population - n
    y = np.append(histories.counts.astype(np.float64), n0)
    zero_row = np.zeros(design.shape[1])
    zero_row[0] = 1.0  # intercept only
    full = np.vstack([design, zero_row])
    fits = fit_poisson(full, y)
    c = xlogy(n0, n0) + gammaln(population + 1.0) - xlogy(population, population)
    c -= gammaln(n0 + 1.0)
    return float(-(fits.deviance[0] - 2.0 * c) / 2.0)


def profile_interval(
    histories: CaptureHistories, design: FloatArray, estimate: float, level: float = 0.95
) -> ProfileInterval:
    """Profile-likelihood interval for N (Cormack 1992), searched as Rcapture does.

    The maximiser is sought in (n, 1.5·N̂); the lower limit in (n, N_max) (n itself when the
    likelihood never drops far enough), the upper in (N_max, 3·N̂) (None when it does not).
    """
    n = float(histories.n_observed)
    upper_limit = 3.0 * estimate

    def loglik(population: float) -> float:
        return profile_loglik(histories, design, population)

    best = minimize_scalar(
        lambda x: -loglik(x),
        bounds=(n + 1e-6, max(1.5 * estimate, n + 1.0)),
        method="bounded",
        options={"xatol": 1e-6},
    )
    n_max = float(best.x)
    target = -float(best.fun) - chi2.ppf(level, 1) / 2.0

    def gap(population: float) -> float:
        return loglik(population) - float(target)

    low_end = n + 1e-9
    lower = brentq(gap, low_end, n_max, xtol=1e-6) if gap(low_end) < 0 else n
    upper = brentq(gap, n_max, upper_limit, xtol=1e-6) if gap(upper_limit) < 0 else None
    return ProfileInterval(
        mle=n_max, lower=float(lower), upper=upper, upper_limit=upper_limit, level=level
    )


def chao_design(n_lists: int) -> FloatArray:
    """Design of the Mth Chao lower-bound model (Rcapture): list main effects + J − 2 columns.

    Column j (j = 3..J) is max(k − j + 1, 0) with k the number of lists a pattern is on.
    """
    base = hierarchical_models(n_lists)[0].design()
    k = base[:, 1:].sum(axis=1)
    extra = [np.maximum(k - j + 1, 0.0) for j in range(3, n_lists + 1)]
    return np.column_stack([base, *extra]) if extra else base


def fit_chao(histories: CaptureHistories) -> tuple[ModelFit, FloatArray]:
    """Fit the Mth Chao lower-bound model, dropping columns whose coefficient is negative."""
    design = chao_design(histories.n_lists)
    base_width = 1 + histories.n_lists
    while True:
        fit, coef = fit_design(histories, design, "Mth Chao (LB)")
        negative = [i for i in range(base_width, design.shape[1]) if coef[i] < 0]
        if not negative:
            return fit, design
        design = np.delete(design, negative[-1], axis=1)


@dataclass(frozen=True)
class ModelAverage:
    """Weights ∝ exp(−criterion/2) over the usable models; SE after Buckland et al. (1997)."""

    criterion: str
    estimate: float
    se: float
    weights: dict[str, float] = field(default_factory=dict)


def model_average(fits: list[ModelFit], criterion: str = "bic") -> ModelAverage:
    ranked = [f for f in rank_models(fits, criterion) if f.converged and not f.boundary]
    if not ranked:
        raise ValueError("no usable model to average")
    scores = np.array([getattr(f, criterion) for f in ranked])
    weights = np.exp(-(scores - scores.min()) / 2.0)
    weights /= weights.sum()
    estimates = np.array([f.estimate for f in ranked])
    ses = np.array([f.se for f in ranked])
    mean = float(weights @ estimates)
    se = float(weights @ np.sqrt(ses**2 + (estimates - mean) ** 2))
    kept = {f.name: float(w) for f, w in zip(ranked, weights, strict=True) if w >= 1e-4}
    return ModelAverage(criterion=criterion, estimate=mean, se=se, weights=kept)


def table_warnings(histories: CaptureHistories) -> list[str]:
    """Warnings about the table itself, independent of the model."""
    notes: list[str] = []
    counts = histories.counts
    zeros = int((counts == 0).sum())
    small = int((counts < SPARSE_CELL).sum())
    if zeros:
        notes.append(
            f"{zeros} of {counts.size} capture patterns are empty; models with interactions "
            "over those lists may have no finite estimate"
        )
    if small > counts.size // 2:
        notes.append(
            f"sparse table: {small} of {counts.size} patterns have fewer than {SPARSE_CELL} "
            "people; estimates and intervals are unstable"
        )
    totals = histories.list_totals()
    for name, total in totals.items():
        if total == histories.n_observed:
            notes.append(f"list {name!r} contains everyone observed; it carries no information")
    return notes
