"""Log-linear MSE: model enumeration, the vectorised GLM and Rcapture's numbers on Kosovo."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import gammaln

from kirok.estimation.estimate import estimate_loglinear
from kirok.estimation.histories import CaptureHistories, histories_from_csv
from kirok.estimation.loglinear import (
    fit_chao,
    fit_models,
    model_average,
    profile_interval,
    rank_models,
)
from kirok.estimation.models import hierarchical_models, parse_model

KOSOVO = Path(__file__).parent / "data" / "kosovo.csv"


@pytest.fixture(scope="module")
def kosovo() -> CaptureHistories:
    return histories_from_csv(KOSOVO)


@pytest.mark.parametrize(("lists", "count"), [(2, 1), (3, 8), (4, 113), (5, 6893)])
def test_number_of_hierarchical_models(lists: int, count: int) -> None:
    models = hierarchical_models(lists)
    assert len(models) == count
    assert len({m.name for m in models}) == count


def test_model_names_round_trip_and_are_hierarchical() -> None:
    for model in hierarchical_models(4):
        assert parse_model(model.name, 4) == model
        terms = set(model.interactions)
        for term in terms:
            if len(term) == 3:
                assert {(term[0], term[1]), (term[0], term[2]), (term[1], term[2])} <= terms
    assert parse_model("Mt", 4).name == "[1,2,3,4]"
    assert parse_model("[14, 123, 34]", 4).name == "[123,14,34]"
    for bad in ("[1234]", "[15]", "123", "[11,2]"):
        with pytest.raises(ValueError):
            parse_model(bad, 4)


def test_kosovo_best_bic_model_matches_rcapture(kosovo: CaptureHistories) -> None:
    ranked = rank_models(fit_models(kosovo), "bic")
    best = ranked[0]
    assert best.name == "[123,14,34]"
    assert best.estimate == pytest.approx(10356.519, abs=0.01)
    assert best.se == pytest.approx(785.90, abs=0.01)
    assert best.deviance == pytest.approx(9.32267, abs=1e-5)
    assert best.df == 4
    assert best.aic == pytest.approx(132.7467, abs=1e-4)
    assert best.bic == pytest.approx(203.0296, abs=1e-4)
    design = parse_model(best.name, 4).design()
    interval = profile_interval(kosovo, design, best.estimate)
    assert interval.lower == pytest.approx(8994.3, abs=0.1)
    assert interval.upper == pytest.approx(12110.4, abs=0.1)
    assert interval.mle < best.estimate


def test_kosovo_bic_ranking_of_all_models(kosovo: CaptureHistories) -> None:
    ranked = rank_models(fit_models(kosovo), "bic")
    assert len(ranked) == 113
    bics = [f.bic for f in ranked]
    assert bics == sorted(bics)
    assert [f.name for f in ranked[:3]] == ["[123,14,34]", "[123,134]", "[12,134,23]"]
    assert [round(f.estimate / 100) / 10 for f in ranked[:3]] == [10.4, 12.7, 18.4]
    # df + parameters = observed cells, for every model
    assert all(f.df + f.n_params == 15 for f in ranked)


def _direct_poisson_fit(histories: CaptureHistories, design: np.ndarray) -> tuple[float, float]:
    """An independent fit by generic optimisation: (−2 log L, N̂)."""
    y = histories.counts.astype(float)

    def nll(beta: np.ndarray) -> float:
        eta = design @ beta
        return float(np.sum(np.exp(eta) - y * eta + gammaln(y + 1)))

    def grad(beta: np.ndarray) -> np.ndarray:
        return np.asarray(design.T @ (np.exp(design @ beta) - y))

    start = np.zeros(design.shape[1])
    start[0] = math.log(y.mean())
    fit = minimize(nll, start, jac=grad, method="BFGS", options={"gtol": 1e-9, "maxiter": 10000})
    return 2 * fit.fun, histories.n_observed + math.exp(fit.x[0])


@pytest.mark.parametrize("name", ["[1,2,3,4]", "[12,3,4]", "[123,14,34]", "[12,13,24,34]"])
def test_vectorised_irls_agrees_with_generic_optimiser(kosovo: CaptureHistories, name: str) -> None:
    model = parse_model(name, 4)
    fit = next(f for f in fit_models(kosovo) if f.name == name)
    minus2ll, estimate = _direct_poisson_fit(kosovo, model.design())
    assert fit.aic - 2 * model.n_params == pytest.approx(minus2ll, rel=1e-6)
    assert fit.estimate == pytest.approx(estimate, rel=1e-4)


def test_two_lists_give_lincoln_petersen() -> None:
    # only-A 10, only-B 20, both 5: N = n_A n_B / m = 15 * 25 / 5 = 75
    histories = CaptureHistories(lists=("A", "B"), counts=np.array([20, 10, 5]))
    (fit,) = fit_models(histories)
    assert fit.estimate == pytest.approx(75.0)
    assert fit.df == 0


def test_empty_pattern_makes_saturating_models_boundary() -> None:
    counts = np.array([30, 25, 0, 40, 12, 9, 6])  # pattern 011 (lists 2 and 3 only) is empty
    histories = CaptureHistories(lists=("A", "B", "C"), counts=counts)
    fits = {f.name: f for f in fit_models(histories)}
    assert fits["[12,13,23]"].boundary
    assert not fits["[1,2,3]"].boundary
    assert all(f.converged and not f.boundary for f in rank_models(list(fits.values()))[:1])


def test_chao_lower_bound_and_model_average(kosovo: CaptureHistories) -> None:
    chao, design = fit_chao(kosovo)
    assert kosovo.n_observed < chao.estimate
    assert design.shape[1] <= 1 + 4 + 2
    fits = fit_models(kosovo)
    average = model_average(fits, "bic")
    assert sum(average.weights.values()) == pytest.approx(1.0, abs=1e-3)
    top = rank_models(fits, "bic")[:3]
    assert min(f.estimate for f in top) < average.estimate < max(f.estimate for f in top)


def test_estimate_loglinear_reports_model_dependence(kosovo: CaptureHistories) -> None:
    result = estimate_loglinear(kosovo, include_ranking=True)
    data = result.to_dict()
    assert data["model"] == "[123,14,34]"
    assert data["ci_lower"] == pytest.approx(8994.3, abs=0.1)
    assert len(data["details"]["ranking"]) == 113
    assert data["details"]["independence"]["model"] == "[1,2,3,4]"
    assert any("choice of model" in w for w in data["warnings"])
    aic = estimate_loglinear(kosovo, model="best-aic")
    assert aic.model == rank_models(fit_models(kosovo), "aic")[0].name
    chosen = estimate_loglinear(kosovo, model="[12,3,4]")
    assert chosen.model == "[12,3,4]" and chosen.details["delta_criterion"] > 0
