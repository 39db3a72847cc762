"""`kirok keys`: create, back up, restore and rotate the master key."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

from kirok.cli.common import DbOption, KeyFileOption, KeystoreOption, fail_on_errors, settings
from kirok.cli.core import cli_actor
from kirok.security.keystore import KeyFile, Passphrase, Secret, write_key_file
from kirok.services import keys

keys_app = typer.Typer(help="The master key: create, back up as shares, restore, rotate.")
console = Console()


@keys_app.command("init")
def init(
    db: DbOption = None, keystore: KeystoreOption = None, key_file: KeyFileOption = None
) -> None:
    """Create the key store, unlocked by KIROK_PASSPHRASE or by a (new) key file."""
    with fail_on_errors():
        fingerprint = keys.init_keys(settings(db, keystore, key_file))
    console.print(f"[green]master key created[/green]: fingerprint {fingerprint}")


@keys_app.command("backup")
def backup(
    shares: Annotated[int, typer.Option(min=2, max=255)] = 3,
    threshold: Annotated[int, typer.Option(min=2, max=255)] = 2,
    out: Annotated[
        Path | None, typer.Option(help="Write share-N.txt files into this folder.")
    ] = None,
    db: DbOption = None,
    keystore: KeystoreOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Split the master key into SHARES shares, any THRESHOLD of which restore it."""
    with fail_on_errors():
        texts = keys.backup(settings(db, keystore, key_file), cli_actor(), shares, threshold)
    for number, text in enumerate(texts, start=1):
        if out is None:
            typer.echo(text)
        else:
            out.mkdir(parents=True, exist_ok=True)
            (out / f"share-{number}.txt").write_text(text + "\n", encoding="ascii")
    if out is not None:
        console.print(f"{len(texts)} shares written to {out}: give each to a different person")


@keys_app.command("restore")
def restore(
    shares: Annotated[list[str], typer.Argument(help="Share texts, or files holding one each.")],
    keystore: Annotated[Path, typer.Option(help="The new key store to write.")],
    key_file: Annotated[
        Path | None,
        typer.Option(help="Unlock the new key store with a new key file (default: passphrase)."),
    ] = None,
    passphrase_env: Annotated[
        str, typer.Option(help="Variable holding the new passphrase.")
    ] = "KIROK_PASSPHRASE",
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="The database the key seals: keeps its pseudonyms as they were, even after "
            "key rotations.",
        ),
    ] = None,
) -> None:
    """Rebuild the master key from shares into a new key store."""
    texts = [
        Path(s).read_text(encoding="ascii").strip() if Path(s).is_file() else s for s in shares
    ]
    with fail_on_errors():
        secret: Secret
        if key_file is not None:
            write_key_file(key_file)
            secret = KeyFile(key_file)
        else:
            passphrase = os.environ.get(passphrase_env) or typer.prompt(
                "new passphrase", hide_input=True, confirmation_prompt=True
            )
            secret = Passphrase(passphrase)
        master = keys.restore(texts, secret, keystore, db)
    console.print(
        f"[green]master key restored[/green] into {keystore}: fingerprint {master.fingerprint}"
    )


@keys_app.command("rotate")
def rotate(
    db: DbOption = None,
    keystore: KeystoreOption = None,
    key_file: KeyFileOption = None,
    batch: Annotated[int, typer.Option(min=1)] = 500,
    new_pseudonyms: Annotated[
        bool,
        typer.Option(
            "--new-pseudonyms",
            help="Replace the pseudonym key too (it may have leaked with the old master key); "
            "pseudonyms written down before no longer match.",
        ),
    ] = False,
) -> None:
    """Make a new master key current and re-wrap every data key; run again to resume.

    Pseudonyms stay the same unless --new-pseudonyms is given.
    """
    with fail_on_errors(), Progress(console=console) as bar:
        task = bar.add_task("re-wrapping data keys", total=None)
        result = keys.rotate(
            settings(db, keystore, key_file),
            cli_actor(),
            batch=batch,
            progress=lambda done: bar.update(task, completed=done),
            new_pseudonyms=new_pseudonyms,
        )
    console.print(
        f"[green]rotated[/green] {result.old_key} → {result.new_key} ({result.records} records)"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
