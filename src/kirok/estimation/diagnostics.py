"""MCMC convergence diagnostics after Vehtari, Gelman, Simpson, Carpenter & Bürkner (2021).

"Rank-normalization, folding, and localization: an improved R̂ for assessing convergence of MCMC",
Bayesian Analysis 16(2). These are the diagnostics Stan and ArviZ report:

* split-R̂: each chain is cut in half, so a chain that drifts disagrees with itself. The rank-
  normalised version is robust to heavy tails; the folded version (|x − median|) catches chains
  that agree on location but not on spread. We report the larger. Below 1.01 is the usual bar.
* bulk ESS: effective sample size of the rank-normalised draws, i.e. how precisely the centre
  (median, mean) is known.
* tail ESS: the smaller ESS of the indicators x ≤ q5% and x ≤ q95%, i.e. how precisely the
  interval ends are known. Posterior intervals for N live in the tail, so this is the one that
  matters for reported 95% intervals.
* MCSE of a quantile: from the ESS of the indicator x ≤ q, mapped back through the empirical
  quantile function (the Monte-Carlo error of a reported 2.5%, 50% or 97.5% point).

Draws are passed as an array of shape (chains, draws per chain).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy.special import ndtri
from scipy.stats import beta as beta_dist
from scipy.stats import rankdata

FloatArray = npt.NDArray[np.float64]


def _as_chains(draws: npt.ArrayLike) -> FloatArray:
    array = np.asarray(draws, dtype=np.float64)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2 or array.shape[1] < 4:
        raise ValueError("draws must have shape (chains, draws) with at least 4 draws per chain")
    return array


def split_chains(draws: FloatArray) -> FloatArray:
    """Cut every chain into two halves (dropping the middle draw of an odd-length chain)."""
    half = draws.shape[1] // 2
    return np.concatenate([draws[:, :half], draws[:, -half:]], axis=0)


def rank_normalize(draws: FloatArray) -> FloatArray:
    """Replace draws by normal scores of their pooled ranks (average ranks for ties)."""
    ranks = rankdata(draws, method="average").reshape(draws.shape)
    return np.asarray(ndtri((ranks - 0.375) / (draws.size + 0.25)))


def _rhat_basic(draws: FloatArray) -> float:
    n = draws.shape[1]
    within = float(np.mean(np.var(draws, axis=1, ddof=1)))
    between = float(np.var(np.mean(draws, axis=1), ddof=1)) if draws.shape[0] > 1 else 0.0
    if within == 0.0:
        return math.nan
    return math.sqrt(((n - 1) / n * within + between) / within)


def rhat(draws: npt.ArrayLike) -> float:
    """Rank-normalised split-R̂: the larger of the bulk and the folded version."""
    chains = split_chains(_as_chains(draws))
    bulk = _rhat_basic(rank_normalize(chains))
    folded = _rhat_basic(rank_normalize(np.abs(chains - np.median(chains))))
    return max(bulk, folded)


def _autocovariance(draws: FloatArray) -> FloatArray:
    n = draws.shape[1]
    centred = draws - draws.mean(axis=1, keepdims=True)
    size = 1 << (2 * n - 1).bit_length()
    spectrum = np.fft.rfft(centred, n=size, axis=1)
    acov = np.fft.irfft(spectrum * np.conjugate(spectrum), n=size, axis=1)[:, :n]
    return np.asarray(acov / n)


def ess_raw(draws: FloatArray) -> float:
    """ESS of chains as given (no splitting), with Geyer's initial monotone sequence."""
    m, n = draws.shape
    acov = _autocovariance(draws)
    chain_mean = draws.mean(axis=1)
    mean_var = float(np.mean(acov[:, 0])) * n / (n - 1.0)
    var_plus = mean_var * (n - 1.0) / n
    if m > 1:
        var_plus += float(np.var(chain_mean, ddof=1))
    if var_plus <= 0.0:
        return math.nan
    rho = 1.0 - (mean_var - acov.mean(axis=0)) / var_plus
    rho[0] = 1.0
    # Geyer: sum consecutive pairs while their sum is positive, then force them to decrease.
    pairs = rho[: (n // 2) * 2].reshape(-1, 2).sum(axis=1)
    negative = np.nonzero(pairs <= 0.0)[0]
    n_pairs = int(negative[0]) if negative.size else pairs.size
    positive = np.minimum.accumulate(pairs[:n_pairs])
    tau = -1.0 + 2.0 * float(positive.sum())
    tau = max(tau, 1.0 / math.log10(m * n))
    return float(m * n / tau)


def ess_bulk(draws: npt.ArrayLike) -> float:
    return ess_raw(rank_normalize(split_chains(_as_chains(draws))))


def _ess_indicator(chains: FloatArray, cut: float) -> float:
    return ess_raw(split_chains((chains <= cut).astype(np.float64)))


def ess_tail(draws: npt.ArrayLike) -> float:
    chains = _as_chains(draws)
    low, high = np.quantile(chains, [0.05, 0.95])
    return min(_ess_indicator(chains, float(low)), _ess_indicator(chains, float(high)))


def ess_quantile(draws: npt.ArrayLike, prob: float) -> float:
    chains = _as_chains(draws)
    return _ess_indicator(chains, float(np.quantile(chains, prob)))


def mcse_quantile(draws: npt.ArrayLike, prob: float) -> float:
    """Monte-Carlo standard error of the ``prob`` quantile (Vehtari et al. 2021, sec. 4.3)."""
    chains = _as_chains(draws)
    ess = ess_quantile(chains, prob)
    if not math.isfinite(ess):
        return math.nan
    ordered = np.sort(chains, axis=None)
    size = ordered.size
    a = beta_dist.ppf([0.1586553, 0.8413447], ess * prob + 1.0, ess * (1.0 - prob) + 1.0)
    low = ordered[min(max(int(math.floor(a[0] * size)), 0), size - 1)]
    high = ordered[min(int(math.ceil(a[1] * size)), size - 1)]
    return float(high - low) / 2.0


def mcse_mean(draws: npt.ArrayLike) -> float:
    chains = _as_chains(draws)
    return float(np.std(chains, ddof=1)) / math.sqrt(ess_raw(split_chains(chains)))


def summary(
    draws: npt.ArrayLike, probs: tuple[float, ...] = (0.025, 0.5, 0.975)
) -> dict[str, float]:
    """R̂, bulk and tail ESS, and the Monte-Carlo error of the mean and of each quantile."""
    chains = _as_chains(draws)
    out = {
        "rhat": rhat(chains),
        "ess_bulk": ess_bulk(chains),
        "ess_tail": ess_tail(chains),
        "mcse_mean": mcse_mean(chains),
    }
    for prob in probs:
        out[f"mcse_q{prob * 100:g}"] = mcse_quantile(chains, prob)
    return out
