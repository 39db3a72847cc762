"""`kirok demo`: load the demo data set into a fresh database (and serve it)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kirok.cli.common import DbOption, KeyFileOption, KeystoreOption, fail_on_errors, settings
from kirok.cli.core import cli_actor
from kirok.services.demo import DEMO_POPULATION, DEMO_SEED, run_demo

console = Console()


def demo(
    db: DbOption = None,
    keystore: KeystoreOption = None,
    key_file: KeyFileOption = None,
    serve: Annotated[bool, typer.Option(help="Serve the web UI when loaded.")] = True,
    population: Annotated[
        int, typer.Option(min=10, help="Size of the simulated population.")
    ] = DEMO_POPULATION,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic data.")] = DEMO_SEED,
    truth: Annotated[
        Path | None,
        typer.Option(help="Write the synthetic data's files and ground truth into this folder."),
    ] = None,
) -> None:
    """Load the vocabularies, gazetteer, public facts and synthetic demo data."""
    with fail_on_errors(), console.status("loading the demo") as status:
        summary = run_demo(
            settings(db, keystore, key_file),
            cli_actor(),
            progress=lambda step: status.update(f"loading: {step}"),
            population=population,
            seed=seed,
            truth_dir=truth,
        )
    for step in summary.steps:
        console.print(f"[green]✓[/green] {step}")
    table = Table("kind", "records", title=summary.db_url)
    for kind, n in sorted(summary.counts.items()):
        table.add_row(kind, str(n))
    console.print(table)
    if serve:
        console.print("[yellow]the web UI is not part of this build yet[/yellow]")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
