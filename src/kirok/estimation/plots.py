"""Plots of an estimation result (matplotlib, Agg backend: no display needed).

* LCMCR: the posterior of N with its median and interval, and the trace of every chain (chains
  that wander apart or drift show here before any number does).
* Log-linear: the sensitivity of N̂ across the best models, with their intervals, which shows how
  much of the answer is the choice of model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from kirok.estimation.result import EstimationResult  # noqa: E402


def posterior_figure(result: EstimationResult) -> Any:
    draws = np.asarray(result.draws)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.hist(draws.ravel(), bins=120, color="#4c72b0", alpha=0.8, density=True)
    for value, style in ((result.ci_lower, ":"), (result.median, "-"), (result.ci_upper, ":")):
        if value is not None:
            ax.axvline(value, color="black", linestyle=style, linewidth=1)
    ax.axvline(result.n_observed, color="#c44e52", linewidth=1)
    ax.set_xlabel("N (people, observed and not)")
    ax.set_ylabel("posterior density")
    ax.set_title(
        f"{result.model}: median {result.median:,.0f}, "
        f"{result.ci_level:.0%} interval {result.ci_lower:,.0f}–{result.ci_upper:,.0f}"
    )
    fig.tight_layout()
    return fig


def trace_figure(result: EstimationResult) -> Any:
    draws = np.asarray(result.draws)
    fig, ax = plt.subplots(figsize=(9, 4))
    thin = max(1, draws.shape[1] // 5000)
    for chain, values in enumerate(draws):
        ax.plot(values[::thin], linewidth=0.4, alpha=0.7, label=f"chain {chain + 1}")
    ax.set_xlabel(f"draw (every {thin * int(result.settings.get('thin', 1))}th sweep)")
    ax.set_ylabel("N")
    ax.set_title(f"traces: R-hat {result.rhat:.3f}")
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


def save_plots(result: EstimationResult, directory: Path, fmt: str = "png") -> list[Path]:
    """Write the plots that apply to ``result``; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Any] = {}
    if result.draws is not None:
        figures["posterior"] = posterior_figure(result)
        figures["traces"] = trace_figure(result)
    if result.details.get("sensitivity"):
        figures["sensitivity"] = sensitivity_figure(result)
    paths = []
    for name, fig in figures.items():
        path = directory / f"{result.method}-{name}.{fmt}"
        fig.savefig(path, dpi=120)
        plt.close(fig)
        paths.append(path)
    return paths
