"""Benchmark multiple systems estimation on Kosovo (4 lists, 15 patterns, n = 4,400).

Prints, each with ratios against figures measured in the same run and the issue's references:
* CPU µs per LCMCR Gibbs sweep at K = 5 and K = 10 (numba, one core) against a plain-numpy sweep
  (vectorised over patterns) and against the C++ sampler of the R package LCMCR 0.4.14: measured
  in the same run when ``--cpp`` names a standalone build of it, otherwise the issue's figures
  (13–22 µs at K = 5, 21–26 µs at K = 10 on one core of this machine);
* effective samples of N per second with all cores: one chain per process (one per core, or
  ``--chains``), all started at once as ``kirok estimate`` runs them, each burnt in and then
  timed, so the rate is the bulk and tail ESS of N of the pooled chains over the wall time from
  the first chain's start of sampling to the last one's end: process start-up, compilation and
  burn-in are left out (the run's whole wall time is printed too). With
  ``--cpp`` the same number of reference chains, with the same burn-in, length and thinning,
  run one after another on one core, as the R package runs a chain; their rate is their pooled
  ESS over the sum of their sampling wall times. Without ``--cpp`` the reference's rate is
  derived from our ESS per sweep and the issue's µs per sweep;
* the time to fit all 113 hierarchical log-linear models, against Rcapture's 1.6 s.

Per-sweep times are CPU time (best of 3), so other work on a shared machine inflates them less
than wall time. ESS per second is wall time; it is also given per CPU second, which does not
depend on how many cores were free. ESS per sweep is noisy: a few long excursions into the
right tail of N decide it, so chains of a million sweeps or more are needed for two digits.

``--cpp PATH``: an executable called as ``PATH CSV K SEED BURN_IN SWEEPS THIN OUT`` that runs the
reference sampler, prints ``us_per_sweep=<CPU µs>`` (and, optionally, ``sampling_wall_s=<wall
seconds of the SWEEPS after burn-in>``) and writes every THIN-th N to OUT, one a line. The R
package's code is not part of kirok; build such a driver outside the repository.

Usage: .venv/bin/python bench/bench_estimation.py [--sweeps 1000000] [--cpp /tmp/lcmcr_bench]
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import re
import subprocess
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from kirok.estimation import diagnostics
from kirok.estimation.histories import histories_from_csv
from kirok.estimation.lcmcr import Priors, advance, initial_state
from kirok.estimation.loglinear import fit_models
from kirok.estimation.mcmc import chain_seeds

KOSOVO = Path(__file__).resolve().parent.parent / "tests" / "data" / "kosovo.csv"
CPP_US_PER_SWEEP = {5: (13.0, 22.0), 10: (21.0, 26.0)}
R_LOGLINEAR_SECONDS = 1.6
BURN_IN = 20_000


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


def run_cpp(binary: str, k: int, sweeps: int, thin: int, seed: int) -> dict[str, Any]:
    """The external reference sampler: CPU µs per sweep, sampling wall time and thinned N."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "draws.txt"
        completed = subprocess.run(
            [
                binary,
                str(KOSOVO),
                str(k),
                str(seed),
                str(BURN_IN),
                str(sweeps),
                str(thin),
                str(out),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        match = re.search(r"us_per_sweep=([0-9.]+)", completed.stdout)
        if match is None:
            raise RuntimeError(f"no us_per_sweep in the output of {binary}: {completed.stdout}")
        us = float(match.group(1))
        wall = re.search(r"sampling_wall_s=([0-9.]+)", completed.stdout)
        return {
            "us": us,
            "cpu": us * sweeps / 1e6,
            "wall": float(wall.group(1)) if wall else us * sweeps / 1e6,
            "draws": np.loadtxt(out, dtype=np.int64, ndmin=1),
        }


def _timed_chain(job: tuple[int, int, int, int]) -> dict[str, Any]:
    """One chain in its own process: burn in, then time the sampling alone (wall and CPU)."""
    k, seed, sweeps, thin = job
    histories = histories_from_csv(KOSOVO)
    patterns, counts = histories.observed()
    priors = Priors(classes=k)
    state = initial_state(histories.n_lists, histories.n_observed, priors, seed)
    state, _ = advance(state, patterns.astype(np.int64), counts, priors, BURN_IN, thin)
    start, cpu = time.time(), time.process_time()  # wall clock: comparable across processes
    state, draws = advance(state, patterns.astype(np.int64), counts, priors, sweeps, thin)
    end = time.time()
    return {
        "start": start,
        "end": end,
        "wall": end - start,
        "cpu": time.process_time() - cpu,
        "draws": draws.population,
    }


def ess_run(k: int, chains: int, sweeps: int, thin: int) -> dict[str, float]:
    """One chain per process, all at once; ESS of N over the sampling's wall and CPU time.

    The sampling's wall time runs from the first chain's start of sampling to the last one's
    end, so a chain that samples while another still burns in is not counted as extra speed.
    """
    jobs = [(k, seed, sweeps, thin) for seed in chain_seeds(2026, chains)]
    start = time.perf_counter()
    with ProcessPoolExecutor(chains, mp_context=multiprocessing.get_context("spawn")) as pool:
        runs = list(pool.map(_timed_chain, jobs))
    total = time.perf_counter() - start
    span = max(r["end"] for r in runs) - min(r["start"] for r in runs)
    return _rates(runs, wall=span, total=total)


def cpp_ess_run(binary: str, k: int, chains: int, sweeps: int, thin: int) -> dict[str, float]:
    """The reference's chains one after another on one core, as the R package runs a chain."""
    runs = [run_cpp(binary, k, sweeps, thin, 100 + c) for c in range(chains)]
    return _rates(runs, wall=sum(r["wall"] for r in runs), total=math.nan)


def _rates(runs: list[dict[str, Any]], wall: float, total: float) -> dict[str, float]:
    draws = np.stack([r["draws"] for r in runs])
    cpu = sum(r["cpu"] for r in runs)
    bulk, tail = diagnostics.ess_bulk(draws), diagnostics.ess_tail(draws)
    return {
        "wall": wall,
        "cpu": cpu,
        "total": total,
        "bulk": bulk,
        "tail": tail,
        "bulk_per_s": bulk / wall,
        "tail_per_s": tail / wall,
        "bulk_per_cpu_s": bulk / cpu,
        "tail_per_cpu_s": tail / cpu,
        "median": float(np.median(draws)),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sweeps", type=int, default=1_000_000, help="per chain, ESS run")
    parser.add_argument("--timing-sweeps", type=int, default=100_000, help="per timed pass")
    parser.add_argument("--thin", type=int, default=10)
    parser.add_argument(
        "--chains",
        type=int,
        help="chains per sampler (default: one per core); more give a steadier ESS",
    )
    parser.add_argument("--cpp", help="standalone build of the LCMCR 0.4.14 sampler (see above)")
    args = parser.parse_args()
    histories = histories_from_csv(KOSOVO)
    patterns, counts = histories.observed()
    patterns = patterns.astype(np.int64)
    cores = os.cpu_count() or 1
    chains = args.chains or cores
    print(
        f"Kosovo: {histories.n_observed} people, {len(counts)} patterns; {cores} cores, "
        f"{chains} chains per sampler"
    )
    print(f"load average at start: {os.getloadavg()[0]:.1f}")

    for k in (5, 10):
        fast = time_numba(patterns, counts, k, args.timing_sweeps)
        slow = time_numpy(patterns, counts, k, max(args.timing_sweeps // 50, 10))
        if args.cpp:
            cpp_runs = [run_cpp(args.cpp, k, args.timing_sweeps, args.thin, s) for s in (1, 2, 3)]
            cpp_us = min(r["us"] for r in cpp_runs)
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
        ess = ess_run(k, chains, args.sweeps, args.thin)
        swept = chains * args.sweeps
        print(
            f"K={k:2d} ESS: {chains} chains x {args.sweeps:,} sweeps (thin {args.thin}, burn-in "
            f"{BURN_IN:,}) in parallel processes: sampling {ess['wall']:.1f} s wall, "
            f"{ess['cpu']:.1f} s CPU; whole run {ess['total']:.1f} s wall; bulk ESS "
            f"{ess['bulk']:.0f} ({ess['bulk'] / swept * 1000:.2f} per 1,000 sweeps), tail ESS "
            f"{ess['tail']:.0f} ({ess['tail'] / swept * 1000:.2f}), median {ess['median']:.0f}"
        )
        if args.cpp:
            ref = cpp_ess_run(args.cpp, k, chains, args.sweeps, args.thin)
            print(
                f"K={k:2d} C++ chains: {chains} x {args.sweeps:,} sweeps one after another on one "
                f"core: sampling {ref['wall']:.1f} s wall, {ref['cpu']:.1f} s CPU; bulk ESS "
                f"{ref['bulk']:.0f} ({ref['bulk'] / swept * 1000:.2f} per 1,000 sweeps), tail "
                f"ESS {ref['tail']:.0f} ({ref['tail'] / swept * 1000:.2f}), median "
                f"{ref['median']:.0f}"
            )
            basis = "C++ chains"
        else:  # the µs per sweep at our ESS per sweep
            ref = {
                f"{kind}_per_{unit}": ess[kind] / swept * 1e6 / cpp_us
                for kind in ("bulk", "tail")
                for unit in ("s", "cpu_s")
            }
            basis = "our ESS per sweep at the issue's C++ µs per sweep"
        print(
            f"K={k:2d} ESS/s: kirok with {cores} cores {ess['bulk_per_s']:.1f} bulk, "
            f"{ess['tail_per_s']:.1f} tail per second of sampling; C++ on one core "
            f"{ref['bulk_per_s']:.1f} bulk, {ref['tail_per_s']:.1f} tail ({basis}) -> ratio "
            # three significant digits: a short run's bulk ESS can be a few, and 0.004x is not 0
            f"bulk {ess['bulk_per_s'] / ref['bulk_per_s']:.3g}x, tail "
            f"{ess['tail_per_s'] / ref['tail_per_s']:.3g}x (target >= 2x); per CPU second "
            f"bulk {ess['bulk_per_cpu_s'] / ref['bulk_per_cpu_s']:.3g}x, tail "
            f"{ess['tail_per_cpu_s'] / ref['tail_per_cpu_s']:.3g}x"
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
