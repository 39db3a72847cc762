"""The LCMCR Gibbs sampler (Manrique-Vallier 2016, Biometrics 72(3): 917–926), compiled by numba.

Model: every person belongs to one of K latent classes; within a class the lists capture
independently with probabilities λ_jk ~ Beta(1, 1). Class weights π follow a stick-breaking
prior truncated at K with concentration α ~ Gamma(a, rate b), and p(N) ∝ 1/N. Heterogeneity of
capture between people is what the classes absorb, which is why LCMCR copes with the "some
victims are simply more visible" problem that biases the independence model downwards.

The sweep works on pattern counts, never on individuals, so its cost is (observed patterns) × K × J
whatever N is. Each chain owns a ``numpy.random.Generator`` that numba draws from directly; the
generator travels with the chain state, so a chain's draws depend only on its seed, not on which
process ran it or how its run was cut into blocks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

LOG_TINY = -745.0  # log of the smallest positive double; a stick piece that underflowed
CAP_FACTOR = 20  # the R package's cap: n₀ ≤ 20·n
MAX_REDRAWS = 100


@dataclass(frozen=True)
class Priors:
    """Hyper-parameters: α ~ Gamma(shape a, rate b); K latent classes."""

    classes: int = 10
    alpha_shape: float = 0.25
    alpha_rate: float = 0.25


@dataclass
class ChainState:
    """Everything a chain needs to continue exactly where it stopped."""

    lam: FloatArray  # (J, K) capture probabilities
    log_pi: FloatArray  # (K,) log class weights
    alpha: float
    unobserved: IntArray  # (K,) unobserved people per class, from the last sweep
    rng: np.random.Generator
    sweeps: int = 0
    cap_hits: int = 0


@dataclass(frozen=True)
class Draws:
    """Thinned draws from one block of sweeps of one chain."""

    population: IntArray  # N = n + n₀
    alpha: FloatArray
    occupied: IntArray  # classes holding at least one person


def initial_state(n_lists: int, n_observed: int, priors: Priors, seed: int) -> ChainState:
    """A dispersed start: λ and the stick drawn from their priors (α = 1), n₀ = n spread evenly."""
    rng = np.random.default_rng(seed)
    k = priors.classes
    lam = rng.uniform(0.05, 0.95, size=(n_lists, k))
    sticks = rng.beta(1.0, 1.0, size=k)
    sticks[-1] = 1.0
    log_pi = np.log(sticks) + np.concatenate([[0.0], np.cumsum(np.log1p(-sticks[:-1]))])
    unobserved = rng.multinomial(n_observed, np.full(k, 1.0 / k)).astype(np.int64)
    return ChainState(lam=lam, log_pi=log_pi, alpha=1.0, unobserved=unobserved, rng=rng)


@numba.njit(cache=True)
def _split(
    total: int, weights: FloatArray, out: IntArray, order: IntArray, rng: np.random.Generator
) -> None:
    """Multinomial(total, weights / sum) written into ``out``; the weights need not be normalised.

    Few people: one categorical draw each (a uniform and a linear search). Many: sequential
    binomials over the classes in decreasing weight, so the count left over reaches zero after the
    few classes that matter and the rest cost nothing. Both are exact.
    """
    k = weights.size
    rest = 0.0
    for i in range(k):
        rest += weights[i]
        out[i] = 0
    if total <= 0 or rest <= 0.0:
        if total > 0:
            out[k - 1] = total
        return
    if total <= 2 * k:
        for _ in range(total):
            u = rng.random() * rest
            i = 0
            acc = weights[0]
            while acc < u and i < k - 1:
                i += 1
                acc += weights[i]
            out[i] += 1
        return
    for i in range(k):  # insertion sort of the class indices by decreasing weight
        j = i
        while j > 0 and weights[order[j - 1]] < weights[i]:
            order[j] = order[j - 1]
            j -= 1
        order[j] = i
    remaining = total
    for r in range(k - 1):
        i = order[r]
        if remaining == 0:
            return
        p = weights[i] / rest
        if p >= 1.0:
            out[i] = remaining
            return
        count = rng.binomial(remaining, p) if p > 0.0 else 0
        out[i] = count
        remaining -= count
        rest -= weights[i]
    out[order[k - 1]] = remaining


@numba.njit(cache=True)
def _run(
    patterns: IntArray,
    counts: IntArray,
    lam: FloatArray,
    log_pi: FloatArray,
    alpha: float,
    unobserved: IntArray,
    a: float,
    b: float,
    n_sweeps: int,
    thin: int,
    rng: np.random.Generator,
    out_population: IntArray,
    out_alpha: FloatArray,
    out_occupied: IntArray,
) -> tuple[float, int]:
    """Run ``n_sweeps`` sweeps, storing every ``thin``-th; updates the state arrays in place."""
    n_patterns, n_lists = patterns.shape
    k = log_pi.size
    n = 0
    for m in range(n_patterns):
        n += counts[m]
    cap = CAP_FACTOR * n
    log_lam = np.empty((n_lists, k))
    log_not = np.empty((n_lists, k))
    weights = np.empty(k)
    split = np.empty(k, dtype=np.int64)
    order = np.empty(k, dtype=np.int64)
    in_class = np.empty(k, dtype=np.int64)
    on_list = np.empty((n_lists, k), dtype=np.int64)
    cap_hits = 0
    stored = 0
    for sweep in range(n_sweeps):
        # 1. split each observed pattern's people over the classes
        for j in range(n_lists):
            for c in range(k):
                log_lam[j, c] = math.log(lam[j, c])
                log_not[j, c] = math.log1p(-lam[j, c])
        in_class[:] = 0
        on_list[:, :] = 0
        for m in range(n_patterns):
            top = -np.inf
            for c in range(k):
                w = log_pi[c]
                for j in range(n_lists):
                    w += log_lam[j, c] if patterns[m, j] else log_not[j, c]
                weights[c] = w
                top = max(top, w)
            for c in range(k):
                weights[c] = math.exp(weights[c] - top)
            _split(counts[m], weights, split, order, rng)
            for c in range(k):
                in_class[c] += split[c]
                for j in range(n_lists):
                    if patterns[m, j]:
                        on_list[j, c] += split[c]
        # 2. capture probabilities; the unobserved of each class are on no list
        for c in range(k):
            total = in_class[c] + unobserved[c]
            for j in range(n_lists):
                p = rng.beta(1.0 + on_list[j, c], 1.0 + total - on_list[j, c])
                lam[j, c] = min(max(p, 1e-300), 1.0 - 1e-16)
        # 3. stick-breaking weights, in logs (a stick piece may underflow)
        tail = 0
        for c in range(k):
            tail += in_class[c] + unobserved[c]
        log_rest = 0.0
        for c in range(k - 1):
            size = in_class[c] + unobserved[c]
            tail -= size
            g1 = rng.gamma(1.0 + size, 1.0)
            g2 = rng.gamma(alpha + tail, 1.0)
            log_sum = math.log(g1 + g2)
            log_v = math.log(g1) - log_sum if g1 > 0.0 else LOG_TINY
            log_1mv = math.log(g2) - log_sum if g2 > 0.0 else LOG_TINY
            log_pi[c] = log_rest + log_v
            log_rest += log_1mv
        log_pi[k - 1] = log_rest
        # 4-5. probability of being on no list, then the number nobody recorded
        top = -np.inf
        for c in range(k):
            w = log_pi[c]
            for j in range(n_lists):
                w += math.log1p(-lam[j, c])
            weights[c] = w
            top = max(top, w)
        p0 = 0.0
        for c in range(k):
            weights[c] = math.exp(weights[c] - top)
            p0 += weights[c]
        p0 = min(p0 * math.exp(top), 1.0 - 1e-12)
        n0 = rng.negative_binomial(n, 1.0 - p0)
        if n0 > cap:
            cap_hits += 1
            tries = 0
            while n0 > cap and tries < MAX_REDRAWS:
                n0 = rng.negative_binomial(n, 1.0 - p0)
                tries += 1
            n0 = min(n0, cap)
        # 6. split them over the classes
        _split(n0, weights, unobserved, order, rng)
        # 7. concentration
        alpha = rng.gamma(a + k - 1.0, 1.0 / (b - log_rest))
        if (sweep + 1) % thin == 0 and stored < out_population.size:
            out_population[stored] = n + n0
            out_alpha[stored] = alpha
            occupied = 0
            for c in range(k):
                if in_class[c] + unobserved[c] > 0:
                    occupied += 1
            out_occupied[stored] = occupied
            stored += 1
    return alpha, cap_hits


def advance(
    state: ChainState,
    patterns: IntArray,
    counts: IntArray,
    priors: Priors,
    n_sweeps: int,
    thin: int,
) -> tuple[ChainState, Draws]:
    """Run one chain for ``n_sweeps`` sweeps; returns the new state and the thinned draws.

    A plain top-level function of picklable arguments, so process pools can call it.
    """
    size = n_sweeps // thin
    population = np.zeros(size, dtype=np.int64)
    alphas = np.zeros(size)
    occupied = np.zeros(size, dtype=np.int64)
    alpha, cap_hits = _run(
        np.ascontiguousarray(patterns, dtype=np.int64),
        np.ascontiguousarray(counts, dtype=np.int64),
        state.lam,
        state.log_pi,
        state.alpha,
        state.unobserved,
        priors.alpha_shape,
        priors.alpha_rate,
        n_sweeps,
        thin,
        state.rng,
        population,
        alphas,
        occupied,
    )
    state.alpha = float(alpha)
    state.sweeps += n_sweeps
    state.cap_hits += int(cap_hits)
    return state, Draws(population=population, alpha=alphas, occupied=occupied)
