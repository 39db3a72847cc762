"""`kirok demo`: load the demo data, link, estimate, write the reports, serve the web UI."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kirok.cli.common import DbOption, KeyFileOption, KeystoreOption, fail_on_errors, settings
from kirok.cli.core import cli_actor
from kirok.demo import DEMO_POPULATION, DEMO_SEED

console = Console()


def demo(
    db: DbOption = None,
    keystore: KeystoreOption = None,
    key_file: KeyFileOption = None,
    serve: Annotated[bool, typer.Option(help="Serve the web UI when done.")] = True,
    analyse: Annotated[
        bool, typer.Option(help="Link, estimate and write the reports after loading.")
    ] = True,
    population: Annotated[
        int, typer.Option(min=10, help="Size of the simulated population.")
    ] = DEMO_POPULATION,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic data.")] = DEMO_SEED,
    truth: Annotated[
        Path | None,
        typer.Option(help="Write the synthetic data's files and ground truth into this folder."),
    ] = None,
    reports: Annotated[Path, typer.Option(help="Folder for the demo's reports.")] = Path(
        "demo-out"
    ),
    report_format: Annotated[
        list[str] | None, typer.Option("--report-format", help="html, pdf or md (repeatable).")
    ] = None,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
) -> None:
    """Load the gazetteer, public facts and synthetic data; link, estimate, report, serve."""
    from kirok.reports.render import Format
    from kirok.services.demo import demo_login, run_demo

    formats: list[Format] = []
    for name in report_format or ["html", "pdf"]:
        if name not in ("html", "pdf", "md"):
            raise typer.BadParameter(f"{name!r}: use html, pdf or md", param_hint="--report-format")
        formats.append(name)  # type: ignore[arg-type]
    config = settings(db, keystore, key_file)
    with fail_on_errors(), console.status("loading the demo") as status:
        summary = run_demo(
            config,
            cli_actor(),
            progress=lambda step: status.update(f"demo: {step}"),
            population=population,
            seed=seed,
            truth_dir=truth,
            analyse=analyse,
            report_dir=reports if analyse else None,
            report_formats=formats,
        )
    for step in summary.steps:
        console.print(f"[green]✓[/green] {step}")
    table = Table("kind", "records", title=summary.db_url)
    for kind, n in sorted(summary.counts.items()):
        table.add_row(kind, str(n))
    console.print(table)
    if not serve:
        return
    import uvicorn

    from kirok.web.app import create_app

    password = secrets.token_urlsafe(12)
    with fail_on_errors():
        username = demo_login(config, cli_actor(), password)
        app = create_app(config, https=False)
    console.print(
        f"\n[bold]kirok is serving the demo at http://{host}:{port}/[/bold]\n"
        f"sign in as [bold]{username}[/bold] with the password [bold]{password}[/bold] "
        "(new at every start; stop with Ctrl-C)"
    )
    uvicorn.run(app, host=host, port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
