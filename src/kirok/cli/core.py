"""Core commands: database set-up, search, records, vocabularies, places, demo."""

from __future__ import annotations

import typer

from kirok import __version__


def version() -> None:
    """Print kirok's version."""
    typer.echo(__version__)


def register(app: typer.Typer) -> None:
    app.command("version")(version)
