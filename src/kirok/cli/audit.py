"""`kirok audit`: check the tamper-evident log and anchor its head outside the database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from kirok.cli.common import DbOption, KeyFileOption, KeystoreOption, fail_on_errors, settings
from kirok.cli.core import cli_actor
from kirok.security.audit import read_anchors
from kirok.services.audit import anchor as take_anchor
from kirok.services.audit import verify_chain
from kirok.services.context import open_store

audit_app = typer.Typer(help="The append-only, hash-chained audit log.")
console = Console()

AnchorOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--anchor",
        help="An anchor file from `kirok audit anchor` (repeatable): the chain must still "
        "contain each anchored hash.",
        exists=True,
        dir_okay=False,
    ),
]


@audit_app.command("verify")
def verify(
    anchor: AnchorOption = None,
    db: DbOption = None,
    keystore: KeystoreOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Re-hash every entry; exit 1 naming the first broken entry if any was altered.

    With --anchor, also exit 1 if an anchored entry's hash changed: a chain rebuilt by someone
    who can write the database verifies on its own, but not against an anchor kept elsewhere.
    """
    with fail_on_errors():
        anchors: dict[int, str] = {}
        for path in anchor or []:
            for seq, digest in read_anchors(path.read_text(encoding="utf-8")).items():
                if anchors.get(seq, digest) != digest:
                    raise ValueError(f"two different anchors for entry {seq}")
                anchors[seq] = digest
        with open_store(settings(db, keystore, key_file)) as store:
            result = verify_chain(store, cli_actor(), anchors)
    if result.ok:
        matched = f", {len(anchors)} anchor(s) matched" if anchors else ""
        console.print(
            f"[green]{result.checked} entries, chain intact{matched}[/green] "
            f"(head {result.head_hash[:16]}…)",
            highlight=False,
        )
        return
    console.print(
        f"[red]audit chain broken at entry {result.first_broken_seq}[/red]: {result.reason} "
        f"({result.checked} entries before it are intact)",
        highlight=False,
    )
    raise typer.Exit(1)


@audit_app.command("anchor")
def anchor(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Append the anchor to this file (one JSON line per anchor) instead of "
            "printing it.",
            dir_okay=False,
        ),
    ] = None,
    db: DbOption = None,
    keystore: KeystoreOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Write down the head of the chain (seq and hash) to keep outside the database.

    Print it, mail it to a trustee or hand it to a partner organisation: `kirok audit verify
    --anchor FILE` then catches a chain rebuilt from scratch.
    """
    with fail_on_errors(), open_store(settings(db, keystore, key_file)) as store:
        taken = take_anchor(store, cli_actor())
    line = taken.to_json()
    if out is None:
        typer.echo(line)
        return
    with out.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
    console.print(f"anchored entry {taken.seq} (hash {taken.hash}) in {out}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
