"""Plots of an estimation result (matplotlib, Agg backend: no display needed).

* LCMCR: the posterior of N with its median and interval, and the trace of every chain (chains
  that wander apart or drift show here before any number does).
* Log-linear: the sensitivity of N̂ across the best models, with their intervals, which shows how
  much of the answer is the choice of model.

The LCMCR plots are drawn from :func:`plot_data`: a histogram of every draw and thinned traces,
small enough to be stored with the result (``result["plots"]`` of a stored estimation run). The
stored run thus carries the plots of a published number, and :func:`stored_figure` redraws
them exactly, without rerunning the sampler. The sensitivity plot is drawn from the result's
``details``, which are stored anyway.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from kirok.estimation.result import EstimationResult  # noqa: E402

POSTERIOR_BINS = 120
TRACE_POINTS = 1000  # per chain: enough to see drift and stuck chains, small enough to store
PLOTS = ("posterior", "traces", "sensitivity")


def plot_data(result: EstimationResult) -> dict[str, Any]:
    """What the LCMCR plots are drawn from, JSON-ready; empty without posterior draws.

    ``posterior``: bin edges and densities of all draws of N, pooled over chains; ``traces``:
    every chain's draws at a common stride, and the number of sweeps between two points.
    """
    if result.draws is None:
        return {}
    draws = np.asarray(result.draws)
    density, edges = np.histogram(draws.ravel(), bins=POSTERIOR_BINS, density=True)
    stride = max(1, math.ceil(draws.shape[1] / TRACE_POINTS))
    return {
        "posterior": {"edges": edges.tolist(), "density": density.tolist()},
        "traces": {
            "sweeps_between_points": stride * int(result.settings.get("thin", 1)),
            "chains": draws[:, ::stride].tolist(),
        },
    }


def posterior_figure(result: EstimationResult, data: dict[str, Any] | None = None) -> Any:
    posterior = (data or plot_data(result))["posterior"]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.stairs(posterior["density"], posterior["edges"], fill=True, color="#4c72b0", alpha=0.8)
    for value, style in ((result.ci_lower, ":"), (result.median, "-"), (result.ci_upper, ":")):
        if value is not None:
            ax.axvline(value, color="black", linestyle=style, linewidth=1)
    ax.axvline(result.n_observed, color="#c44e52", linewidth=1)
    ax.set_xlabel("N (people, observed and not)")
    ax.set_ylabel("posterior density")
    ax.set_title(
        f"{result.model}: median {result.median or result.estimate:,.0f}, "
        f"{result.ci_level:.0%} interval {result.ci_lower or 0:,.0f}–{result.ci_upper or 0:,.0f}"
    )
    fig.tight_layout()
    return fig


def trace_figure(result: EstimationResult, data: dict[str, Any] | None = None) -> Any:
    traces = (data or plot_data(result))["traces"]
    fig, ax = plt.subplots(figsize=(9, 4))
    for chain, values in enumerate(traces["chains"]):
        ax.plot(values, linewidth=0.4, alpha=0.7, label=f"chain {chain + 1}")
    ax.set_xlabel(f"draw (every {traces['sweeps_between_points']:,}th sweep)")
    ax.set_ylabel("N")
    rhat = f"{result.rhat:.3f}" if result.rhat is not None else "?"
    ax.set_title(f"traces: R-hat {rhat}")
    ax.legend(loc="upper right", fontsize="small")
    fig.tight_layout()
    return fig


def sensitivity_figure(result: EstimationResult) -> Any:
    rows = result.details.get("sensitivity", [])
    fig, ax = plt.subplots(figsize=(7, 0.4 * len(rows) + 1.5))
    for i, row in enumerate(rows):
        y = len(rows) - i
        low, high = row.get("ci_lower"), row.get("ci_upper")
        if low is not None:
            ax.plot([low, high if high is not None else row["estimate"]], [y, y], color="gray")
        ax.plot(row["estimate"], y, "o", color="#c44e52" if row["model"] == result.model else "k")
    ax.set_yticks(range(len(rows), 0, -1), [str(r["model"]) for r in rows])
    ax.axvline(result.n_observed, color="#c44e52", linewidth=1)
    ax.set_xlabel("N̂ with profile-likelihood interval")
    ax.set_title(f"best {len(rows)} models by {result.details.get('criterion', 'bic').upper()}")
    fig.tight_layout()
    return fig


def figures(result: EstimationResult, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """The plots that apply to ``result``, by name; LCMCR's from ``data`` when given."""
    data = data if data is not None else plot_data(result)
    out: dict[str, Any] = {}
    if "posterior" in data:
        out["posterior"] = posterior_figure(result, data)
    if "traces" in data:
        out["traces"] = trace_figure(result, data)
    if result.details.get("sensitivity"):
        out["sensitivity"] = sensitivity_figure(result)
    return out


def stored_figure(stored: dict[str, Any], name: str) -> Any | None:
    """Plot ``name`` of a stored result dictionary (``EstimationResult.to_dict`` plus the
    ``plots`` of :func:`plot_data`), or None when the stored result cannot draw it."""
    if name not in PLOTS:
        raise ValueError(f"no plot named {name!r}; plots: {', '.join(PLOTS)}")
    result = EstimationResult.from_dict(stored)
    data = stored.get("plots") or {}
    if name == "sensitivity":
        return sensitivity_figure(result) if result.details.get("sensitivity") else None
    if name not in data:
        return None
    return posterior_figure(result, data) if name == "posterior" else trace_figure(result, data)


def save_plots(result: EstimationResult, directory: Path, fmt: str = "png") -> list[Path]:
    """Write the plots that apply to ``result``; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, fig in figures(result).items():
        path = directory / f"{result.method}-{name}.{fmt}"
        fig.savefig(path, dpi=120)
        plt.close(fig)
        paths.append(path)
    return paths
