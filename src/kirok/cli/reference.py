"""Generates docs/reference/cli.md from the command tree, so the reference cannot drift.

``python -m kirok.cli.reference > docs/reference/cli.md``; a test checks the file is current.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from kirok.cli import app


def _walk(command: Any, path: list[str]) -> list[tuple[list[str], Any]]:
    found = [(path, command)]
    if hasattr(command, "commands"):
        for name in sorted(command.commands):
            found.extend(_walk(command.commands[name], [*path, name]))
    return found


def render() -> str:
    root = typer.main.get_command(app)
    lines = [
        "# CLI reference",
        "",
        "Generated from the command tree by `python -m kirok.cli.reference`; do not edit by hand.",
        "Every command also answers `--help`.",
        "",
    ]
    for path, command in _walk(root, ["kirok"]):
        if len(path) == 1:
            continue
        lines.append(f"{'#' * min(len(path), 4)} `{' '.join(path)}`")
        lines.append("")
        lines.append((command.help or "").strip().split("\n\n")[0])
        lines.append("")
        params = [p for p in command.params if p.name != "help"]
        if params:
            for param in params:
                if param.param_type_name == "argument":
                    lines.append(f"- `{param.name.upper() if param.name else ''}` (argument)")
                else:
                    names = ", ".join(f"`{opt}`" for opt in param.opts)
                    text = getattr(param, "help", None) or ""
                    lines.append(f"- {names}: {text}".rstrip(": "))
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
