"""`kirok evidence`: add, verify and trace evidence files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kirok.cli.common import DbOption, KeyFileOption, KeystoreOption, fail_on_errors, settings
from kirok.cli.core import cli_actor
from kirok.domain.records import Confidentiality
from kirok.services import evidence
from kirok.services.context import Settings, open_store

evidence_app = typer.Typer(help="Evidence files: hashed, encrypted, with a chain of custody.")
console = Console()


def _vault(config: Settings) -> evidence.Vault:
    assert config.evidence_dir is not None
    return evidence.Vault(config.evidence_dir)


@evidence_app.command("add")
def add(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    description: Annotated[str | None, typer.Option()] = None,
    event: Annotated[str | None, typer.Option(help="Id of the event it documents.")] = None,
    confidentiality: Annotated[
        Confidentiality, typer.Option(help="Who may see the evidence record at all.")
    ] = Confidentiality.INTERNAL,
    db: DbOption = None,
    keystore: KeystoreOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Ingest FILE as an evidentiary original."""
    config = settings(db, keystore, key_file)
    with fail_on_errors(), open_store(config) as store:
        record = evidence.ingest(
            store,
            _vault(config),
            file,
            cli_actor(),
            confidentiality=confidentiality,
            description=description,
            event_id=event,
        )
    console.print(f"[green]stored[/green] {record.id} sha256 {record.sha256}")


@evidence_app.command("verify")
def verify(
    db: DbOption = None, keystore: KeystoreOption = None, key_file: KeyFileOption = None
) -> None:
    """Re-hash every original; exit 1 listing any mismatch.

    Also lists files in the evidence folder that no evidence record names (left by an
    interrupted save); they do not change the exit status."""
    config = settings(db, keystore, key_file)
    with fail_on_errors(), open_store(config) as store:
        checked, problems = evidence.verify_all(store, _vault(config), cli_actor())
        unnamed = evidence.unnamed_files(store, _vault(config))
    for problem in problems:
        console.print(f"[red]{problem.evidence_id}[/red]: {problem.reason}", highlight=False)
    for path in unnamed:
        console.print(
            f"[yellow]not named by any evidence record[/yellow]: {path}",
            highlight=False,
            soft_wrap=True,  # a path to copy, in one piece
        )
    console.print(f"{checked} originals checked, {len(problems)} problems")
    if problems:
        raise typer.Exit(1)


@evidence_app.command("custody")
def custody(
    evidence_id: Annotated[str, typer.Argument()],
    db: DbOption = None,
    keystore: KeystoreOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Print the chain of custody of one evidence file."""
    with fail_on_errors(), open_store(settings(db, keystore, key_file)) as store:
        trail = evidence.custody(store, evidence_id)
    table = Table("seq", "at", "actor", "action")
    for entry in trail:
        table.add_row(str(entry["seq"]), entry["at"], entry["actor"], entry["action"])
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(evidence_app, name="evidence")
