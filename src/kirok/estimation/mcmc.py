"""Run LCMCR chains in parallel until the diagnostics say the answer is stable.

A fixed run length is what makes the R package's defaults unreliable: on Kosovo, 20,000 sweeps
give a 97.5% point anywhere from 11.7k to 17.8k depending on the seed. Here chains run in blocks;
after each block R̂ and the bulk and tail ESS of N are computed on everything kept so far, and the
run stops only when R̂ ≤ ``rhat_target`` and both ESS reach ``target_ess`` (or the cap is hit, which
is reported). The next block is sized from the ESS gained per sweep so far.

Chains run in separate processes (``spawn`` start method: safe with threads and on every OS).
Each chain's seed is derived from the run's seed and recorded, and a chain's draws depend only on
its seed: the same seed gives the same numbers with 1 process or 8.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import secrets
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kirok.estimation import diagnostics
from kirok.estimation.histories import CaptureHistories
from kirok.estimation.lcmcr import ChainState, Draws, IntArray, Priors, advance, initial_state


@dataclass(frozen=True)
class RunSettings:
    """How long to run. Defaults aim at two-digit Monte-Carlo precision on the interval ends."""

    chains: int = 4
    burn_in: int = 20_000
    thin: int = 10
    first_block: int = 100_000
    max_sweeps: int = 5_000_000  # per chain, after burn-in
    target_ess: int = 2000
    rhat_target: float = 1.01
    processes: int | None = None  # None: min(chains, CPUs); 1: run in this process

    def to_dict(self) -> dict[str, Any]:
        return {
            "chains": self.chains,
            "burn_in": self.burn_in,
            "thin": self.thin,
            "first_block": self.first_block,
            "max_sweeps": self.max_sweeps,
            "target_ess": self.target_ess,
            "rhat_target": self.rhat_target,
        }


@dataclass
class ChainRun:
    """The outcome: kept draws per chain (chains × draws) and what happened on the way."""

    population: IntArray
    alpha: np.ndarray[Any, np.dtype[np.float64]]
    occupied: IntArray
    seed: int
    chain_seeds: tuple[int, ...]
    sweeps_per_chain: int
    cap_hits: int
    history: list[dict[str, float]] = field(default_factory=list)
    stopped_by: str = ""


def chain_seeds(seed: int, chains: int) -> tuple[int, ...]:
    """Independent per-chain seeds derived from the run's seed (NumPy SeedSequence)."""
    state = np.random.SeedSequence(seed).generate_state(chains, dtype=np.uint64)
    return tuple(int(s) for s in state)


def new_seed() -> int:
    return secrets.randbits(63)


Task = tuple[ChainState, IntArray, IntArray, Priors, int, int]


def _advance_task(args: Task) -> tuple[ChainState, Draws]:
    return advance(*args)


def _map(
    pool: Executor | None,
    fn: Callable[
        [tuple[ChainState, IntArray, IntArray, Priors, int, int]], tuple[ChainState, Draws]
    ],
    tasks: list[tuple[ChainState, IntArray, IntArray, Priors, int, int]],
) -> list[tuple[ChainState, Draws]]:
    if pool is None:
        return [fn(task) for task in tasks]
    return list(pool.map(fn, tasks))


def run_chains(
    histories: CaptureHistories,
    priors: Priors,
    settings: RunSettings,
    seed: int | None = None,
) -> ChainRun:
    """Burn in, then extend every chain block by block until the diagnostics are met."""
    if settings.chains < 2:
        raise ValueError("R-hat needs at least 2 chains")
    if seed is None:
        seed = new_seed()
    seeds = chain_seeds(seed, settings.chains)
    patterns, counts = histories.observed()
    patterns64 = patterns.astype(np.int64)
    states = [initial_state(histories.n_lists, histories.n_observed, priors, s) for s in seeds]
    processes = settings.processes or min(settings.chains, os.cpu_count() or 1)
    pool: Executor | None = None
    if processes > 1:
        pool = ProcessPoolExecutor(
            max_workers=processes, mp_context=multiprocessing.get_context("spawn")
        )
    kept: list[list[Draws]] = [[] for _ in seeds]
    history: list[dict[str, float]] = []
    try:
        tasks = [(s, patterns64, counts, priors, settings.burn_in, settings.thin) for s in states]
        states = [state for state, _ in _map(pool, _advance_task, tasks)]
        done = 0
        block = min(settings.first_block, settings.max_sweeps)
        stopped_by = "cap"
        while block > 0:
            block -= block % settings.thin
            tasks = [(s, patterns64, counts, priors, block, settings.thin) for s in states]
            results = _map(pool, _advance_task, tasks)
            states = [state for state, _ in results]
            for chain, (_, draws) in enumerate(results):
                kept[chain].append(draws)
            done += block
            population = np.stack([np.concatenate([d.population for d in k]) for k in kept])
            rhat = diagnostics.rhat(population)
            bulk = diagnostics.ess_bulk(population)
            tail = diagnostics.ess_tail(population)
            history.append({"sweeps": done, "rhat": rhat, "ess_bulk": bulk, "ess_tail": tail})
            if rhat <= settings.rhat_target and min(bulk, tail) >= settings.target_ess:
                stopped_by = "diagnostics"
                break
            block = _next_block(done, min(bulk, tail), settings)
    finally:
        if pool is not None:
            pool.shutdown()
    return ChainRun(
        population=np.stack([np.concatenate([d.population for d in k]) for k in kept]),
        alpha=np.stack([np.concatenate([d.alpha for d in k]) for k in kept]),
        occupied=np.stack([np.concatenate([d.occupied for d in k]) for k in kept]),
        seed=seed,
        chain_seeds=seeds,
        sweeps_per_chain=done,
        cap_hits=sum(s.cap_hits for s in states),
        history=history,
        stopped_by=stopped_by,
    )


def _next_block(done: int, ess: float, settings: RunSettings) -> int:
    """Sweeps to add so the ESS should reach the target (ESS grows about linearly), plus 10%."""
    left = settings.max_sweeps - done
    if left <= 0:
        return 0
    if not math.isfinite(ess) or ess <= 0:
        wanted = done
    else:
        wanted = int(done * (settings.target_ess / ess - 1.0) * 1.1)
    return min(max(wanted, settings.first_block // 4, settings.thin), left)
