"""The `kirok estimate` command: multiple systems estimation from a capture-history CSV."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from kirok.cli.common import DbOption, KeyFileOption, KeystoreOption, fail_on_errors, settings
from kirok.estimation.histories import HistoryError, histories_from_csv
from kirok.services.context import Settings


class Method(StrEnum):
    loglinear = "loglinear"
    lcmcr = "lcmcr"


def estimate(
    source: Annotated[
        Path,
        typer.Argument(
            help="CSV with one 0/1 column per list and an optional count column, or `db` for "
            "the linked victims in the database (latest linkage run × sources)."
        ),
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
    by: Annotated[
        str | None, typer.Option(help="db: also estimate per stratum: year or province.")
    ] = None,
    act: Annotated[
        str | None, typer.Option(help="db: only victims of this act type (and narrower terms).")
    ] = None,
    db: DbOption = None,
    keystore: KeystoreOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Estimate the total number of people, observed and not, from overlapping lists.

    Prints the result as JSON: method, model, n_observed, estimate, ci_lower, ci_upper, the
    diagnostics, the seed, a hash of the data and every setting.
    """
    if str(source) == "db":
        _estimate_db(method, model, chains, seed, by, act, settings(db, keystore, key_file))
        return
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


def _estimate_db(
    method: Method,
    model: str,
    chains: int,
    seed: int | None,
    by: str | None,
    act: str | None,
    config: Settings,
) -> None:
    """Estimate from the database and store each result; print them as JSON lines."""
    import json

    from kirok.cli.core import cli_actor
    from kirok.services.context import open_store
    from kirok.services.estimates import estimate_db

    with fail_on_errors(), open_store(config) as store:
        runs = estimate_db(
            store,
            cli_actor(),
            method=method.value,
            by=by,
            act_term=act,
            model=model,
            chains=chains,
            seed=seed,
        )
    for run in runs:
        for note in run.result.get("warnings", []):
            typer.echo(f"warning ({run.stratum or 'all'}): {note}", err=True)
        line = {"id": run.id, "stratum": run.stratum, **run.result}
        typer.echo(json.dumps(line, ensure_ascii=False))


def register(app: typer.Typer) -> None:
    """Add this group's commands to the main app."""
    app.command("estimate")(estimate)
