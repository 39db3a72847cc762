"""Benchmark multiple systems estimation on Kosovo (4 lists, 15 patterns, n = 4,400).

Prints, each with ratios against figures measured in the same run and the issue's references:
* CPU µs per LCMCR Gibbs sweep at K = 5 and K = 10 (numba, one core) against a plain-numpy sweep
  (vectorised over patterns) and against the C++ sampler of the R package LCMCR 0.4.14: measured
  in the same run when ``--cpp`` names a standalone build of it, otherwise the issue's figures
  (13–22 µs at K = 5, 21–26 µs at K = 10 on one core of this machine);
* effective samples of N per second with all cores: one chain per core in parallel processes
  (as ``kirok estimate`` runs them), bulk and tail ESS of N over wall time, against the C++
  sampler on one core, whose rate is derived as (ESS per sweep) × (its sweeps per second): with
  our ESS per sweep (same model, same Gibbs steps), and with its own when ``--cpp`` is given;
* the time to fit all 113 hierarchical log-linear models, against Rcapture's 1.6 s.

Per-sweep times are CPU time (best of 3), so other work on a shared machine inflates them less
than wall time; ESS per second is wall time, as a user sees it, and is also projected from the
CPU time per sweep to free cores.

``--cpp PATH``: an executable called as ``PATH CSV K SEED BURN_IN SWEEPS THIN OUT`` that runs the
reference sampler, prints ``us_per_sweep=<CPU µs>`` and writes every THIN-th N to OUT, one a
line. The R package's code is not part of kirok; build such a driver outside the repository.

Usage: .venv/bin/python bench/bench_estimation.py [--sweeps 500000] [--cpp /tmp/lcmcr_bench]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from kirok.estimation import diagnostics
from kirok.estimation.histories import CaptureHistories, histories_from_csv
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


def run_cpp(
    binary: str, k: int, sweeps: int, thin: int, seed: int
) -> tuple[float, np.ndarray[Any, np.dtype[np.int64]]]:
    """CPU µs per sweep of the external reference sampler and its thinned draws of N."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "draws.txt"
        completed = subprocess.run(
            [binary, str(KOSOVO), str(k), str(seed), "20000", str(sweeps), str(thin), str(out)],
            capture_output=True,
            text=True,
            check=True,
        )
        match = re.search(r"us_per_sweep=([0-9.]+)", completed.stdout)
        if match is None:
            raise RuntimeError(f"no us_per_sweep in the output of {binary}: {completed.stdout}")
        return float(match.group(1)), np.loadtxt(out, dtype=np.int64)


def ess_run(
    histories: CaptureHistories, k: int, chains: int, sweeps: int, thin: int
) -> dict[str, float]:
    """One chain per process, as `kirok estimate` runs them; wall and CPU time of the run."""
    settings = RunSettings(
        chains=chains,
        burn_in=20_000,
        thin=thin,
        first_block=sweeps,
        max_sweeps=sweeps,
        target_ess=10**9,
        processes=chains,
    )
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    run = run_chains(histories, Priors(classes=k), settings, seed=2026)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    return {
        "wall": wall,
        "cpu": cpu,
        "bulk": diagnostics.ess_bulk(run.population),
        "tail": diagnostics.ess_tail(run.population),
        "median": float(np.median(run.population)),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sweeps", type=int, default=500_000, help="per chain, ESS run")
    parser.add_argument("--timing-sweeps", type=int, default=100_000, help="per timed pass")
    parser.add_argument("--thin", type=int, default=10)
    parser.add_argument("--cpp", help="standalone build of the LCMCR 0.4.14 sampler (see above)")
    args = parser.parse_args()
    histories = histories_from_csv(KOSOVO)
    patterns, counts = histories.observed()
    patterns = patterns.astype(np.int64)
    cores = os.cpu_count() or 1
    print(f"Kosovo: {histories.n_observed} people, {len(counts)} patterns; {cores} cores")
    print(f"load average at start: {os.getloadavg()[0]:.1f}")

    for k in (5, 10):
        fast = time_numba(patterns, counts, k, args.timing_sweeps)
        slow = time_numpy(patterns, counts, k, max(args.timing_sweeps // 50, 10))
        if args.cpp:
            cpp_runs = [run_cpp(args.cpp, k, args.timing_sweeps, args.thin, s) for s in (1, 2, 3)]
            cpp_us = min(us for us, _ in cpp_runs)
            cpp_label = f"C++ {cpp_us:.1f} µs measured (best of 3)"
            cpp_ratio = f"numba {cpp_us / fast:.2f}x faster"
        else:
            low, high = CPP_US_PER_SWEEP[k]
            cpp_us = (low + high) / 2
            cpp_label = f"C++ {low:.0f}-{high:.0f} µs (issue's figures)"
            cpp_ratio = f"numba {low / fast:.2f}-{high / fast:.2f}x faster"
        print(
            f"K={k:2d} sweep: numba {fast:6.2f} CPU µs | numpy {slow:7.1f} µs "
            f"(numba {slow / fast:5.1f}x faster) | {cpp_label} ({cpp_ratio})"
        )
        ess = ess_run(histories, k, cores, args.sweeps, args.thin)
        per_sweep = ess["bulk"] / (cores * args.sweeps)
        tail_per_sweep = ess["tail"] / (cores * args.sweeps)
        measured = ess["bulk"] / ess["wall"]
        projected = per_sweep * 1e6 / fast * cores
        cpp_rate = per_sweep * 1e6 / cpp_us
        print(
            f"K={k:2d} ESS: {cores} chains x {args.sweeps:,} sweeps (thin {args.thin}) in "
            f"{ess['wall']:.1f} s wall, {ess['cpu']:.1f} s CPU (process start and 20,000 burn-in "
            f"sweeps included): bulk ESS {ess['bulk']:.0f} ({per_sweep * 1000:.2f} per 1,000 "
            f"sweeps), tail ESS {ess['tail']:.0f} ({tail_per_sweep * 1000:.2f}), median "
            f"{ess['median']:.0f}"
        )
        print(
            f"K={k:2d} ESS/s: measured {measured:.1f} bulk ESS/s wall; projected to {cores} free "
            f"cores from the CPU time per sweep {projected:.1f}; C++ on one core at our ESS per "
            f"sweep {cpp_rate:.1f} -> ratio measured {measured / cpp_rate:.2f}x, projected "
            f"{projected / cpp_rate:.2f}x (target >= 2x)"
        )
        if args.cpp:
            # as many reference chains as ours, pooled the same way (one chain's ESS is noisy)
            draws = np.stack(
                [run_cpp(args.cpp, k, args.sweeps, args.thin, 100 + c)[1] for c in range(cores)]
            )
            own = diagnostics.ess_bulk(draws) / (cores * args.sweeps)
            own_rate = own * 1e6 / cpp_us
            print(
                f"K={k:2d} C++ chains: {cores} x {args.sweeps:,} sweeps, bulk ESS "
                f"{own * cores * args.sweeps:.0f} ({own * 1000:.2f} per 1,000 sweeps), median "
                f"{np.median(draws):.0f} -> {own_rate:.1f} ESS/s on one core; ratio measured "
                f"{measured / own_rate:.2f}x, projected {projected / own_rate:.2f}x"
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
