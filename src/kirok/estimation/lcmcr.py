"""The LCMCR Gibbs sampler (Manrique-Vallier 2016, Biometrics 72(3): 917–926), compiled by numba.

Model: every person belongs to one of K latent classes; within a class the lists capture
independently with probabilities λ_jk ~ Beta(1, 1). Class weights π follow a stick-breaking
prior truncated at K with concentration α ~ Gamma(a, rate b), and p(N) ∝ 1/N. Heterogeneity of
capture between people is what the classes absorb, which is why LCMCR copes with the "some
victims are simply more visible" problem that biases the independence model downwards.

The sweep works on pattern counts, never on individuals, so its cost is (observed patterns) × K × J
whatever N is. Besides the Gibbs steps of the R package it makes one Metropolis-Hastings move per
occupied class of the unobserved count (``_collapsed_move``) and Metropolis-Hastings swaps of the
labels of neighbouring classes (``_swap_neighbours``), both with λ and π integrated out; they
leave the posterior unchanged and let N move further per sweep.

Each chain owns a ``numpy.random.Generator`` that numba draws from directly; the
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
# Names the sweep's sequence of random draws: the same seed gives the same draws only with the
# same sampler, so results record it. Change it whenever a change to the sweep changes the draws.
SAMPLER = (
    "kirok-lcmcr/5 (inversion and BTRS binomials; n0 move and label swaps, lambda and pi collapsed)"
)
MAX_REDRAWS = 100
# The collapsed move's window, as a share of the class's people. On Kosovo (K = 5 and 10) 0.4
# gave about twice the ESS of N per sweep of 0.1 and more than 0.8 or 1.5 did.
MOVE_SCALE = 0.4
SMALL_REST = 2  # categorical draws when at most this many people per remaining class are left


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


_STIRLING_TAIL = np.array(
    [
        0.0810614667953272,
        0.0413406959554092,
        0.0276779256849983,
        0.02079067210376509,
        0.0166446911898211,
        0.0138761288230707,
        0.0118967099458917,
        0.0104112652619720,
        0.00925546218271273,
        0.00833056343336287,
    ]
)


@numba.njit(cache=True)
def _stirling_tail(k: float) -> float:
    """log k! − [log √(2π) + (k + ½) log(k + 1) − (k + 1)]: a table, then the Stirling series."""
    if k <= 9.0:
        return float(_STIRLING_TAIL[int(k)])
    kp1 = k + 1.0
    kp1sq = kp1 * kp1
    return (1.0 / 12.0 - (1.0 / 360.0 - 1.0 / 1260.0 / kp1sq) / kp1sq) / kp1


@numba.njit(cache=True)
def _binomial_inversion(n: int, p: float, rng: np.random.Generator) -> int:
    """Binomial(n, p) by sequential search of the cdf from 0 (Kachitvichyanukul & Schmeiser)."""
    q = 1.0 - p
    s = p / q
    a = (n + 1) * s
    first = math.exp(n * math.log1p(-p))
    while True:
        u = rng.random()
        r = first
        x = 0
        while u >= r:
            u -= r
            x += 1
            if x > n:  # rounding left a sliver of probability past n: draw again
                break
            r *= a / x - s
        if x <= n:
            return x


@numba.njit(cache=True)
def _binomial_btrs(n: int, p: float, rng: np.random.Generator) -> int:
    """Binomial(n, p), n·p ≥ 10, p ≤ ½: Hörmann's (1993) transformed rejection with squeeze.

    About 1.2 pairs of uniforms per draw and no set-up tables; the acceptance test compares
    with the exact log pmf ratio (log-factorials through Stirling's series with the
    remainder tabulated below 10).
    """
    spq = math.sqrt(n * p * (1.0 - p))
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = n * p + 0.5
    v_r = 0.92 - 4.2 / b
    r = p / (1.0 - p)
    alpha = (2.83 + 5.1 / b) * spq
    m = math.floor((n + 1) * p)
    while True:
        u = rng.random() - 0.5
        v = rng.random()
        us = 0.5 - abs(u)
        k = math.floor((2.0 * a / us + b) * u + c)
        if k < 0.0 or k > n:
            continue
        if us >= 0.07 and v <= v_r:
            return int(k)
        v = math.log(v * alpha / (a / (us * us) + b))
        bound = (
            (m + 0.5) * math.log((m + 1.0) / (r * (n - m + 1.0)))
            + (n + 1.0) * math.log((n - m + 1.0) / (n - k + 1.0))
            + (k + 0.5) * math.log(r * (n - k + 1.0) / (k + 1.0))
            + _stirling_tail(m)
            + _stirling_tail(n - m)
            - _stirling_tail(k)
            - _stirling_tail(n - k)
        )
        if v <= bound:
            return int(k)


@numba.njit(cache=True)
def _binomial(n: int, p: float, rng: np.random.Generator) -> int:
    """An exact Binomial(n, p) draw: inversion when n·min(p, 1 − p) < 10, else BTRS."""
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    if p > 0.5:
        q = 1.0 - p
        if n * q < 10.0:
            return n - _binomial_inversion(n, q, rng)
        return n - _binomial_btrs(n, q, rng)
    if n * p < 10.0:
        return _binomial_inversion(n, p, rng)
    return _binomial_btrs(n, p, rng)


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
        if remaining <= SMALL_REST * (k - r):
            # few people left for the remaining classes: a uniform each beats a binomial per class
            for _ in range(remaining):
                u = rng.random() * rest
                t = r
                acc = weights[order[t]]
                while acc < u and t < k - 1:
                    t += 1
                    acc += weights[order[t]]
                out[order[t]] += 1
            return
        p = weights[i] / rest
        if p >= 1.0:
            out[i] = remaining
            return
        count = _binomial(remaining, p, rng)
        out[i] = count
        remaining -= count
        rest -= weights[i]
    out[order[k - 1]] = remaining


@numba.njit(cache=True)
def _collapsed_move(
    c: int,
    n: int,
    big_u: int,
    cap: int,
    in_class: IntArray,
    on_list: IntArray,
    unobserved: IntArray,
    alpha: float,
    after: IntArray,
    rng: np.random.Generator,
) -> int:
    """Metropolis-Hastings update of class c's unobserved count u_c, λ and π integrated out.

    Given the observed people's classes and α, the unobserved counts u have (λ_jk ~ Beta(1, 1)
    and the stick pieces V_k ~ Beta(1, α) integrated out; U = Σ u_k, n_k observed in class k,
    o_jk of them on list j, m_k = n_k + u_k people in class k, M_k = Σ_{l>k} m_l after it)

        p(u) ∝ (n + U − 1)! / Π_k u_k! · Π_{k<K} B(1 + m_k, α + M_k)
               · Π_{j,k} B(1 + o_jk, 1 + n_k − o_jk + u_k),

    the (n + U − 1)! being N!/N from the multinomial over patterns and the prior 1/N. Drawing λ
    and π afresh from their full conditionals right after this move (steps 2 and 3) makes the
    three an update of (u, λ, π) that leaves the posterior unchanged; it moves N much further
    than the Gibbs steps alone, where u, λ and π pin each other. The proposal is uniform on
    ±1…±w(u) with w(u) = 1 + ⌊MOVE_SCALE (u + n_c)⌋, so the Hastings ratio carries
    w(u) / w(u'), and a move w(u') could not return is rejected. ``after`` holds M_k and is
    kept current. Returns the new U.
    """
    n_lists = on_list.shape[0]
    nk = in_class[c]
    u = unobserved[c]
    w = 1 + int(MOVE_SCALE * (u + nk))
    r = int(rng.random() * (2 * w))
    d = r - w if r < w else r - w + 1
    u2 = u + d
    if u2 < 0 or big_u + d > cap:
        return big_u
    w2 = 1 + int(MOVE_SCALE * (u2 + nk))
    if abs(d) > w2:
        return big_u
    log_ratio = math.lgamma(n + big_u + d) - math.lgamma(n + big_u)
    log_ratio -= math.lgamma(u2 + 1.0) - math.lgamma(u + 1.0)
    # The stick: class c's own piece (the last class has none) and every piece e before it,
    # whose M_e grows by d. Piece e changes by g(α + M_e) − g(1 + α + M_(e−1)), where
    # g(x) = log Γ(x + d) − log Γ(x) and M_(−1) = n + U; neighbouring terms telescope, as
    # g(x) − g(x + 1) = log(x / (x + d)), to one product and three log-gamma differences.
    k = in_class.size
    if c > 0 or c < k - 1:
        z = 1.0 + alpha + n + big_u
        log_ratio -= math.lgamma(z + d) - math.lgamma(z)
        last = c if c < k - 1 else c - 1
        product = 1.0
        for e in range(last):
            x = alpha + after[e]
            product *= x / (x + d)
        log_ratio += math.log(product)
        if c < k - 1:
            m = nk + u
            log_ratio += math.lgamma(1.0 + m + d) - math.lgamma(1.0 + m)
        else:
            x = alpha + after[c - 1]
            log_ratio += math.lgamma(x + d) - math.lgamma(x)
    for j in range(n_lists):
        off = nk - on_list[j, c]
        log_ratio += math.lgamma(1.0 + off + u2) - math.lgamma(1.0 + off + u)
    log_ratio -= n_lists * (math.lgamma(2.0 + nk + u2) - math.lgamma(2.0 + nk + u))
    log_ratio += math.log(w / w2)
    if log_ratio >= 0.0 or rng.random() < math.exp(log_ratio):
        unobserved[c] = u2
        for e in range(c):
            after[e] += d
        return big_u + d
    return big_u


@numba.njit(cache=True)
def _stick_term(m: float, after: float, alpha: float) -> float:
    """log B(1 + m, α + M): one stick piece, V ~ Beta(1, α), integrated out."""
    return math.lgamma(1.0 + m) + math.lgamma(alpha + after) - math.lgamma(1.0 + alpha + m + after)


@numba.njit(cache=True)
def _swap_neighbours(
    in_class: IntArray,
    on_list: IntArray,
    unobserved: IntArray,
    alpha: float,
    rng: np.random.Generator,
) -> None:
    """Metropolis-Hastings swaps of the labels of neighbouring classes, λ and π integrated out.

    With λ and π integrated out only the truncated stick-breaking prior, Π_{k<K} B(1 + m_k,
    α + M_k), tells the class labels apart (the Beta(1, 1) terms of λ go with the class), so
    swapping classes c and c + 1 whole is accepted with the ratio of those terms, of which only
    the two at c and c + 1 change. Without it a large class stuck behind small ones leaves only
    slowly, as people move one by one, and chains disagree on N for long stretches. Classes
    are visited from the last pair to the first, so one sweep can move a class to the front.
    """
    k = in_class.size
    people_after = 0.0  # M_{c+1}: people in the classes after c + 1
    for c in range(k - 2, -1, -1):
        m0 = float(in_class[c] + unobserved[c])
        m1 = float(in_class[c + 1] + unobserved[c + 1])
        if c + 1 < k - 1:
            # the two pieces' ratio, log-gammas cancelled: Γ(x + 1) / Γ(x) = x
            log_ratio = math.log((alpha + m1 + people_after) / (alpha + m0 + people_after))
        else:  # the last class has no stick piece of its own
            log_ratio = _stick_term(m1, m0, alpha) - _stick_term(m0, m1, alpha)
        if log_ratio >= 0.0 or rng.random() < math.exp(log_ratio):
            in_class[c], in_class[c + 1] = in_class[c + 1], in_class[c]
            unobserved[c], unobserved[c + 1] = unobserved[c + 1], unobserved[c]
            for j in range(on_list.shape[0]):
                on_list[j, c], on_list[j, c + 1] = on_list[j, c + 1], on_list[j, c]
            m0, m1 = m1, m0
        people_after += m1  # class c + 1 as it now stands


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
    # the lists each pattern is on, so a pattern's weight costs (lists it is on) adds per class
    on_lists = np.zeros((n_patterns, n_lists), dtype=np.int64)
    n_on = np.zeros(n_patterns, dtype=np.int64)
    for m in range(n_patterns):
        for j in range(n_lists):
            if patterns[m, j]:
                on_lists[m, n_on[m]] = j
                n_on[m] += 1
    log_lam = np.empty((n_lists, k))
    log_not = np.empty((n_lists, k))
    for j in range(n_lists):
        for c in range(k):
            log_lam[j, c] = math.log(lam[j, c])
            log_not[j, c] = math.log1p(-lam[j, c])
    base = np.empty(k)  # log π_c + Σ_j log(1 − λ_jc): the log weight of pattern 0…0
    logit = np.empty((n_lists, k))  # what being on list j adds to it
    weights = np.empty(k)
    split = np.empty(k, dtype=np.int64)
    order = np.empty(k, dtype=np.int64)
    in_class = np.empty(k, dtype=np.int64)
    on_list = np.empty((n_lists, k), dtype=np.int64)
    after = np.empty(k, dtype=np.int64)
    cap_hits = 0
    stored = 0
    for sweep in range(n_sweeps):
        # 1. split each observed pattern's people over the classes
        for c in range(k):
            w = log_pi[c]
            for j in range(n_lists):
                w += log_not[j, c]
                logit[j, c] = log_lam[j, c] - log_not[j, c]
            base[c] = w
            in_class[c] = 0
            for j in range(n_lists):
                on_list[j, c] = 0
        for m in range(n_patterns):
            top = -np.inf
            for c in range(k):
                w = base[c]
                for t in range(n_on[m]):
                    w += logit[on_lists[m, t], c]
                weights[c] = w
                top = max(top, w)
            for c in range(k):
                weights[c] = math.exp(weights[c] - top)
            _split(counts[m], weights, split, order, rng)
            for c in range(k):
                size = split[c]
                if size:
                    in_class[c] += size
                    for t in range(n_on[m]):
                        on_list[on_lists[m, t], c] += size
        # 2a. a Metropolis-Hastings move of each class's unobserved count with λ and π
        #     integrated out (see _collapsed_move); with steps 2 and 3 it updates
        #     (unobserved, λ, π) jointly
        big_u = 0
        people = 0  # people in the classes after c: Σ_{l>c} (in_class + unobserved)
        for c in range(k - 1, -1, -1):
            after[c] = people
            people += in_class[c] + unobserved[c]
            big_u += unobserved[c]
        for c in range(k):
            if in_class[c] > 0:
                big_u = _collapsed_move(
                    c, n, big_u, cap, in_class, on_list, unobserved, alpha, after, rng
                )
        # 2b. swaps of neighbouring classes' labels, λ and π integrated out as well
        _swap_neighbours(in_class, on_list, unobserved, alpha, rng)
        # 2. capture probabilities, as two gamma draws so that log λ and log(1 − λ) are both
        #    exact without a log1p; the unobserved of each class are on no list
        for c in range(k):
            total = in_class[c] + unobserved[c]
            for j in range(n_lists):
                x = max(rng.standard_gamma(1.0 + on_list[j, c]), 1e-300)
                y = max(rng.standard_gamma(1.0 + total - on_list[j, c]), 1e-300)
                s = x + y
                log_s = math.log(s)
                lam[j, c] = x / s
                log_lam[j, c] = math.log(x) - log_s
                log_not[j, c] = math.log(y) - log_s
        # 3. stick-breaking weights, in logs (a stick piece may underflow)
        tail = 0
        for c in range(k):
            tail += in_class[c] + unobserved[c]
        log_rest = 0.0
        for c in range(k - 1):
            size = in_class[c] + unobserved[c]
            tail -= size
            g1 = rng.standard_gamma(1.0 + size)
            g2 = rng.standard_gamma(alpha + tail)
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
                w += log_not[j, c]
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
