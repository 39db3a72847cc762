"""The `kirok estimate` command: multiple systems estimation from a capture-history CSV."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from kirok.estimation.histories import HistoryError, histories_from_csv


class Method(StrEnum):
    loglinear = "loglinear"
    lcmcr = "lcmcr"


def estimate(
    source: Annotated[
        Path, typer.Argument(help="CSV with one 0/1 column per list and an optional count column.")
    ],
    method: Annotated[Method, typer.Option(help="loglinear (Rcapture) or lcmcr (Bayesian).")] = (
        Method.loglinear
    ),
    model: Annotated[
        str, typer.Option(help="Log-linear model: best-bic, best-aic, Mt or e.g. [123,14,34].")
    ] = "best-bic",
    chains: Annotated[int, typer.Option(min=1, help="LCMCR: chains, run in parallel.")] = 4,
    seed: Annotated[
        int | None, typer.Option(help="LCMCR: seed; a random one is drawn and reported if unset.")
    ] = None,
    classes: Annotated[int, typer.Option("--classes", "-K", min=1, help="LCMCR: K.")] = 10,
    target_ess: Annotated[
        int, typer.Option(min=100, help="LCMCR: run until bulk and tail ESS reach this.")
    ] = 2000,
    max_sweeps: Annotated[
        int, typer.Option(min=1000, help="LCMCR: cap on sweeps per chain after burn-in.")
    ] = 5_000_000,
    processes: Annotated[
        int | None, typer.Option(min=1, help="LCMCR: worker processes (default: one per core).")
    ] = None,
    ranking: Annotated[bool, typer.Option(help="Log-linear: include every model's fit.")] = False,
    plots: Annotated[
        Path | None, typer.Option(help="Write PNG plots (posterior, traces, sensitivity) here.")
    ] = None,
) -> None:
    """Estimate the total number of people, observed and not, from overlapping lists.

    Prints the result as JSON: method, model, n_observed, estimate, ci_lower, ci_upper, the
    diagnostics, the seed, a hash of the data and every setting.
    """
    try:
        histories = histories_from_csv(source)
    except (HistoryError, OSError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    from kirok.estimation import estimate as run

    try:
        if method is Method.loglinear:
            result = run.estimate_loglinear(histories, model=model, include_ranking=ranking)
        else:
            result = run.estimate_lcmcr(
                histories,
                classes=classes,
                chains=chains,
                seed=seed,
                target_ess=target_ess,
                max_sweeps=max_sweeps,
                processes=processes,
            )
    except ValueError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    if plots is not None:
        from kirok.estimation.plots import save_plots

        for path in save_plots(result, plots):
            typer.echo(f"wrote {path}", err=True)
    for note in result.warnings:
        typer.echo(f"warning: {note}", err=True)
    typer.echo(result.to_json())


def register(app: typer.Typer) -> None:
    """Add this group's commands to the main app."""
    app.command("estimate")(estimate)
