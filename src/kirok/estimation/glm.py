"""Poisson log-linear GLM fitted by IRLS, vectorised over many models of the same size.

This is R's ``glm(family = poisson)`` algorithm (start at μ = y + 0.1, stop when the relative
change in deviance is below 1e-8), run on a stack of design matrices at once, so that all 113
four-list models cost a handful of batched 11×11 solves instead of 113 separate fits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import gammaln, xlogy

FloatArray = npt.NDArray[np.float64]

EPSILON = 1e-8
MAX_ITERATIONS = 100


@dataclass(frozen=True)
class PoissonFits:
    """Fits of G models on the same counts; arrays have a leading model axis."""

    coef: FloatArray  # (G, p)
    cov: FloatArray  # (G, p, p), inverse Fisher information
    fitted: FloatArray  # (G, C)
    deviance: FloatArray  # (G,)
    loglik: FloatArray  # (G,), with the −log y! constant, as R's logLik
    converged: npt.NDArray[np.bool_]  # (G,)
    iterations: int


def poisson_deviance(y: FloatArray, mu: FloatArray) -> FloatArray:
    """2 Σ [y log(y/μ) − (y − μ)] along the last axis."""
    return np.asarray(2.0 * np.sum(xlogy(y, y) - xlogy(y, mu) - (y - mu), axis=-1))


def fit_poisson(designs: FloatArray, y: FloatArray, start: FloatArray | None = None) -> PoissonFits:
    """Fit ``log μ = X β`` for every X in ``designs`` (shape (G, C, p)) to counts ``y`` (C,).

    ``start`` optionally gives starting fitted values (G, C), used by the profile likelihood to
    warm-start from a neighbouring fit.
    """
    designs = np.asarray(designs, dtype=np.float64)
    if designs.ndim == 2:
        designs = designs[None]
    y = np.asarray(y, dtype=np.float64)
    n_models = designs.shape[0]
    mu = np.broadcast_to(y + 0.1, (n_models, y.size)).copy() if start is None else start.copy()
    eta = np.log(mu)
    dev = poisson_deviance(y, mu)
    converged = np.zeros(n_models, dtype=bool)
    coef = np.zeros((n_models, designs.shape[2]))
    xtwx = np.zeros((n_models, designs.shape[2], designs.shape[2]))
    iteration = 0
    for iteration in range(1, MAX_ITERATIONS + 1):  # noqa: B007 - reported below
        z = eta + (y - mu) / mu
        xw = designs * mu[:, :, None]
        xtwx = np.einsum("gci,gcj->gij", xw, designs)
        xtwz = np.einsum("gci,gc->gi", xw, z)
        coef = np.linalg.solve(xtwx, xtwz[:, :, None])[:, :, 0]
        eta = np.einsum("gci,gi->gc", designs, coef)
        mu = np.exp(np.minimum(eta, 700.0))
        new_dev = poisson_deviance(y, mu)
        converged = np.abs(new_dev - dev) / (np.abs(new_dev) + 0.1) < EPSILON
        dev = new_dev
        if converged.all():
            break
    xw = designs * mu[:, :, None]
    xtwx = np.einsum("gci,gcj->gij", xw, designs)
    cov = np.linalg.inv(xtwx)
    loglik = np.sum(xlogy(y, mu) - mu - gammaln(y + 1.0), axis=-1)
    return PoissonFits(
        coef=coef,
        cov=cov,
        fitted=mu,
        deviance=dev,
        loglik=np.asarray(loglik),
        converged=converged,
        iterations=iteration,
    )
