"""`kirok audit`: check the tamper-evident log."""

from __future__ import annotations

import typer
from rich.console import Console

from kirok.cli.common import DbOption, KeyFileOption, KeystoreOption, fail_on_errors, settings
from kirok.cli.core import cli_actor
from kirok.services.audit import verify_chain
from kirok.services.context import open_store

audit_app = typer.Typer(help="The append-only, hash-chained audit log.")
console = Console()


@audit_app.command("verify")
def verify(
    db: DbOption = None, keystore: KeystoreOption = None, key_file: KeyFileOption = None
) -> None:
    """Re-hash every entry; exit 1 naming the first broken entry if any was altered."""
    with fail_on_errors(), open_store(settings(db, keystore, key_file)) as store:
        result = verify_chain(store, cli_actor())
    if result.ok:
        console.print(
            f"[green]{result.checked} entries, chain intact[/green] (head {result.head_hash[:16]}…)"
        )
        return
    console.print(
        f"[red]audit chain broken at entry {result.first_broken_seq}[/red]: {result.reason} "
        f"({result.checked} entries before it are intact)",
        highlight=False,
    )
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
