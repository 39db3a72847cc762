"""Options and error handling shared by every command."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from kirok.domain.errors import KirokError
from kirok.security.errors import SecurityError
from kirok.services.context import Settings

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: KIROK_DATABASE_URL or sqlite:///kirok.db)."),
]
KeystoreOption = Annotated[
    Path | None,
    typer.Option(help="Key store file (default: KIROK_KEYSTORE or beside the database)."),
]
KeyFileOption = Annotated[
    Path | None,
    typer.Option(
        help="Key file unlocking the key store (default: KIROK_KEY_FILE, or a passphrase "
        "from KIROK_PASSPHRASE, or kirok.key beside the database)."
    ),
]

_errors = Console(stderr=True)


def settings(db: str | None, keystore: Path | None, key_file: Path | None) -> Settings:
    return Settings.from_env(db=db, keystore=keystore, key_file=key_file)


@contextmanager
def fail_on_errors() -> Iterator[None]:
    """Turn kirok's own errors into one clear line on stderr and exit status 1 (no traceback)."""
    try:
        yield
    except (KirokError, SecurityError, LookupError, ValueError) as error:
        _errors.print(f"[red]error:[/red] {error}", highlight=False)
        raise typer.Exit(1) from None
