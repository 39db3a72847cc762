"""Convergence diagnostics on draws whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import lfilter

from kirok.estimation import diagnostics


def _ar1(rng: np.random.Generator, rho: float, chains: int, n: int) -> np.ndarray:
    noise = rng.normal(size=(chains, n)) * np.sqrt(1 - rho**2)
    noise[:, 0] = rng.normal(size=chains)  # start in the stationary distribution
    return np.asarray(lfilter([1.0], [1.0, -rho], noise, axis=1))


def test_independent_draws_have_ess_near_their_number_and_rhat_one() -> None:
    draws = np.random.default_rng(1).normal(size=(4, 5000))
    assert diagnostics.rhat(draws) < 1.005
    assert 0.85 * draws.size < diagnostics.ess_bulk(draws) < 1.15 * draws.size
    assert 0.8 * draws.size < diagnostics.ess_tail(draws) < 1.2 * draws.size


def test_autocorrelated_draws_have_the_theoretical_ess() -> None:
    rho = 0.9
    draws = _ar1(np.random.default_rng(2), rho, 4, 20000)
    expected = draws.size * (1 - rho) / (1 + rho)  # about 4,210
    assert 0.8 * expected < diagnostics.ess_bulk(draws) < 1.2 * expected


def test_rhat_flags_chains_that_disagree_on_location_or_on_scale() -> None:
    rng = np.random.default_rng(3)
    shifted = rng.normal(size=(4, 2000))
    shifted[0] += 1.0
    assert diagnostics.rhat(shifted) > 1.05
    scaled = rng.normal(size=(4, 2000))
    scaled[0] *= 3.0  # same centre, different spread: only the folded R-hat sees it
    assert diagnostics.rhat(scaled) > 1.05
    drifting = rng.normal(size=(4, 2000)) + np.linspace(0, 2, 2000)  # each chain drifts
    assert diagnostics.rhat(drifting) > 1.05


def test_mcse_of_quantiles_matches_the_spread_across_replications() -> None:
    rng = np.random.default_rng(4)
    medians, mcses = [], []
    for _ in range(60):
        draws = _ar1(rng, 0.5, 2, 2000)
        medians.append(np.median(draws))
        mcses.append(diagnostics.mcse_quantile(draws, 0.5))
    assert np.mean(mcses) == pytest.approx(np.std(medians), rel=0.3)


def test_summary_names_the_quantiles() -> None:
    summary = diagnostics.summary(np.random.default_rng(5).normal(size=(2, 500)))
    assert {"rhat", "ess_bulk", "ess_tail", "mcse_q2.5", "mcse_q50", "mcse_q97.5"} <= set(summary)
