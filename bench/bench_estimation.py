"""Benchmark multiple systems estimation on Kosovo (4 lists, 15 patterns, n = 4,400).

Prints, each with ratios against figures measured in the same run and the issue's references:
* µs per LCMCR Gibbs sweep at K = 5 and K = 10 (numba, one core) against a plain-numpy sweep
  (vectorised over patterns) and against the R/C++ LCMCR 0.4.14 figures (13–22 µs at K = 5,
  21–26 µs at K = 10 on one core of this machine);
* effective samples of N per second with all cores (one chain per core), against the C++ sampler
  estimated as (our ESS per sweep) × (its sweeps per second on one core);
* the time to fit all 113 hierarchical log-linear models, against Rcapture's 1.6 s.

Per-sweep times are CPU time of this process (best of 3), so other work on a shared machine
inflates them less than wall time; the ESS-per-second figure is wall time, as a user sees it.

Usage: .venv/bin/python bench/bench_estimation.py [--sweeps 200000]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from kirok.estimation import diagnostics
from kirok.estimation.histories import histories_from_csv
from kirok.estimation.lcmcr import Priors, advance, initial_state
from kirok.estimation.loglinear import fit_models
from kirok.estimation.mcmc import RunSettings, run_chains

KOSOVO = Path(__file__).resolve().parent.parent / "tests" / "data" / "kosovo.csv"
CPP_US_PER_SWEEP = {5: (13.0, 22.0), 10: (21.0, 26.0)}
R_LOGLINEAR_SECONDS = 1.6


def numpy_sweep(
    rng: np.random.Generator,
    patterns: np.ndarray,
    counts: np.ndarray,
    lam: np.ndarray,
    log_pi: np.ndarray,
    alpha: float,
    unobserved: np.ndarray,
) -> tuple[float, int]:
    """One LCMCR sweep in plain numpy (same steps as the numba kernel), as a baseline."""
    n = int(counts.sum())
    k = log_pi.size
    log_w = log_pi + patterns @ np.log(lam) + (1 - patterns) @ np.log1p(-lam)
    w = np.exp(log_w - log_w.max(axis=1, keepdims=True))
    split = rng.multinomial(counts, w / w.sum(axis=1, keepdims=True))
    in_class = split.sum(axis=0)
    on_list = patterns.T @ split
    total = in_class + unobserved
    lam[:] = np.clip(rng.beta(1 + on_list, 1 + total - on_list), 1e-300, 1 - 1e-16)
    tails = total[::-1].cumsum()[::-1]
    g1 = rng.gamma(1.0 + total[:-1])
    g2 = rng.gamma(alpha + tails[1:])
    log_1mv = np.log(np.maximum(g2, 1e-300)) - np.log(g1 + g2)
    log_v = np.log(np.maximum(g1, 1e-300)) - np.log(g1 + g2)
    cum = np.concatenate([[0.0], np.cumsum(log_1mv)])
    log_pi[:-1] = cum[:-1] + log_v
    log_pi[-1] = cum[-1]
    log_q = log_pi + np.log1p(-lam).sum(axis=0)
    p0 = min(float(np.exp(log_q).sum()), 1 - 1e-12)
    n0 = min(int(rng.negative_binomial(n, 1 - p0)), 20 * n)
    q = np.exp(log_q - log_q.max())
    unobserved[:] = rng.multinomial(n0, q / q.sum())
    alpha = float(rng.gamma(0.25 + k - 1, 1 / (0.25 - cum[-1])))
    return alpha, n + n0


def time_numba(patterns: np.ndarray, counts: np.ndarray, k: int, sweeps: int) -> float:
    priors = Priors(classes=k)
    state = initial_state(4, int(counts.sum()), priors, 1)
    state, _ = advance(state, patterns, counts, priors, 20_000, 10)  # compile, burn in
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        state, _ = advance(state, patterns, counts, priors, sweeps, 10)
        best = min(best, time.process_time() - start)
    return best / sweeps * 1e6


def time_numpy(patterns: np.ndarray, counts: np.ndarray, k: int, sweeps: int) -> float:
    priors = Priors(classes=k)
    state = initial_state(4, int(counts.sum()), priors, 1)
    rng = np.random.default_rng(1)
    x = patterns.astype(np.float64)
    alpha = 1.0
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        for _ in range(sweeps):
            alpha, _ = numpy_sweep(rng, x, counts, state.lam, state.log_pi, alpha, state.unobserved)
        best = min(best, time.process_time() - start)
    return best / sweeps * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sweeps", type=int, default=200_000, help="per chain, ESS run")
    args = parser.parse_args()
    histories = histories_from_csv(KOSOVO)
    patterns, counts = histories.observed()
    patterns = patterns.astype(np.int64)
    cores = os.cpu_count() or 1
    print(f"Kosovo: {histories.n_observed} people, {len(counts)} patterns; {cores} cores")
    print(f"load average at start: {os.getloadavg()[0]:.1f}")

    ess_per_sweep = {}
    for k in (5, 10):
        fast = time_numba(patterns, counts, k, 50_000)
        slow = time_numpy(patterns, counts, k, 2_000)
        low, high = CPP_US_PER_SWEEP[k]
        print(
            f"K={k:2d}: numba {fast:6.1f} CPU µs/sweep | numpy {slow:7.1f} µs/sweep "
            f"(numba {slow / fast:5.1f}x faster) | C++ {low:.0f}-{high:.0f} µs "
            f"(numba {low / fast:.2f}-{high / fast:.2f}x faster)"
        )
        settings = RunSettings(
            chains=cores,
            burn_in=20_000,
            first_block=args.sweeps,
            max_sweeps=args.sweeps,
            target_ess=10**9,
        )
        start = time.perf_counter()
        run = run_chains(histories, Priors(classes=k), settings, seed=2026)
        wall = time.perf_counter() - start
        ess = diagnostics.ess_bulk(run.population)
        ess_tail = diagnostics.ess_tail(run.population)
        ess_per_sweep[k] = ess / (cores * args.sweeps)
        cpp_us = (low + high) / 2
        cpp_rate = ess_per_sweep[k] * 1e6 / cpp_us
        projected = ess_per_sweep[k] * 1e6 / fast * cores
        print(
            f"K={k:2d}: {cores} chains x {args.sweeps:,} sweeps in {wall:.1f} s wall (with "
            f"process start and burn-in): bulk ESS {ess:.0f}, tail ESS {ess_tail:.0f}, "
            f"{ess / wall:.1f} ESS/s measured; at the CPU time per sweep on {cores} free cores "
            f"{projected:.1f} ESS/s; C++ on one core at the same ESS per sweep {cpp_rate:.1f} "
            f"ESS/s (ratios: measured {ess / wall / cpp_rate:.2f}, projected "
            f"{projected / cpp_rate:.2f})"
        )

    fit_models(histories)  # warm caches
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        fits = fit_models(histories)
        best = min(best, time.perf_counter() - start)
    print(
        f"all {len(fits)} log-linear models: {best * 1000:.1f} ms "
        f"(Rcapture 1.6 s: {R_LOGLINEAR_SECONDS / best:.0f}x faster)"
    )


if __name__ == "__main__":
    main()
