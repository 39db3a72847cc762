"""The `kirok` command line: one module per command group, each exposing ``register(app)``.

Commands parse input, call one service function and format the output; they hold no SQL and no
business rules.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="kirok",
    help="kirok (기록): document, link, estimate, report and act on human-rights violations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _root() -> None:
    """kirok (기록): document, link, estimate, report and act on human-rights violations."""


# Each module registers its own commands; listing them here keeps the command tree explicit.
_GROUPS = (
    "kirok.cli.core",
    "kirok.cli.audit",
    "kirok.cli.demo",
    "kirok.cli.estimate",
    "kirok.cli.evidence",
    "kirok.cli.io",
    "kirok.cli.keys",
    "kirok.cli.link",
    "kirok.cli.linkdb",
    "kirok.cli.publish",
    "kirok.cli.report",
    "kirok.cli.serve",
)

for _name in _GROUPS:
    importlib.import_module(_name).register(app)


def main() -> None:
    app()
