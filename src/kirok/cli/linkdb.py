"""`kirok link run|review|decide`: linkage over the stored persons, with human review."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kirok.cli.common import DbOption, KeyFileOption, KeystoreOption, fail_on_errors, settings
from kirok.cli.core import cli_actor
from kirok.cli.link import THRESHOLD_HELP, link_app, whose_threshold
from kirok.linkage.defaults import DEFAULT_REVIEW_FLOOR
from kirok.services.context import open_store

console = Console()


def run(
    engine: Annotated[str, typer.Option(help="duckdb (embedded) or spark.")] = "duckdb",
    threshold: Annotated[
        float | None, typer.Option(min=0.5, max=1.0, help=THRESHOLD_HELP, show_default=False)
    ] = None,
    review_floor: Annotated[float, typer.Option(min=0.0, max=1.0)] = DEFAULT_REVIEW_FLOOR,
    db: DbOption = None,
    keystore: KeystoreOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Link every stored person; decisions already taken are honoured."""
    from kirok.services import linkage

    with fail_on_errors(), open_store(settings(db, keystore, key_file)) as store:
        with console.status("linking") as status:
            result = linkage.run_linkage(
                store,
                cli_actor(),
                engine=engine,
                threshold=threshold,
                review_floor=review_floor,
                progress=lambda step: status.update(f"linking: {step}"),
            )
    clusters = len(set(result.clusters.values()))
    console.print(
        f"[green]linked[/green] {result.n_records} records into {clusters} clusters; "
        f"{len(result.review)} pairs for review; {result.decisions_applied} decisions honoured "
        f"(run {result.id}); threshold {result.threshold:.2f} "
        + whose_threshold(threshold, result.threshold, result.n_records)
    )


def review(
    limit: Annotated[int, typer.Option(min=1)] = 20,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    db: DbOption = None,
    keystore: KeystoreOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """List the undecided pairs of the latest run, with why the model scored them so."""
    from kirok.services import linkage

    with fail_on_errors(), open_store(settings(db, keystore, key_file)) as store:
        items = linkage.review_queue(store, limit=limit)
    if as_json:
        for item in items:
            line = {
                "record_a": item.pair.record_a,
                "record_b": item.pair.record_b,
                "probability": item.pair.probability,
                "weights": item.pair.weights,
                "left": item.left.display_name,
                "right": item.right.display_name,
            }
            typer.echo(json.dumps(line, ensure_ascii=False))
        return
    table = Table("a", "b", "left", "right", "p", "why (match weight per comparison)")
    for item in items:
        why = ", ".join(f"{k} {v:+.1f}" for k, v in item.pair.weights.items())
        table.add_row(
            item.pair.record_a[:8],
            item.pair.record_b[:8],
            item.left.display_name,
            item.right.display_name,
            f"{item.pair.probability:.3f}",
            why,
        )
    console.print(table)


def decide(
    record_a: Annotated[str, typer.Argument()],
    record_b: Annotated[str, typer.Argument()],
    decision: Annotated[str, typer.Argument(help="same, different or unsure")],
    note: Annotated[str | None, typer.Option()] = None,
    db: DbOption = None,
    keystore: KeystoreOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Decide a pair; the decision is stored, audited and honoured on every later run."""
    from kirok.services import linkage

    with fail_on_errors(), open_store(settings(db, keystore, key_file)) as store:
        stored = linkage.decide(store, cli_actor(), record_a, record_b, decision, note)
    console.print(f"[green]{stored.decision}[/green]: {stored.record_a} / {stored.record_b}")


def register(app: typer.Typer) -> None:
    link_app.command("run")(run)
    link_app.command("review")(review)
    link_app.command("decide")(decide)
