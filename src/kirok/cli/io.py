"""`kirok import` and `kirok export`: bulk data in and out, through the policy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from kirok.cli.common import DbOption, KeyFileOption, KeystoreOption, fail_on_errors, settings
from kirok.cli.core import cli_actor
from kirok.services.context import KeyringSealer, open_store
from kirok.services.io import exporting
from kirok.services.io.importing import ImportRefused, import_file
from kirok.services.io.mapping import identity_mapping, load_mapping

console = Console()
_errors = Console(stderr=True)


def import_command(
    file: Annotated[Path, typer.Argument(help="CSV, XLSX or JSON file to import.")],
    kind: Annotated[str | None, typer.Option(help="Record kind (else the mapping's).")] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(help="Mapping YAML (column -> field). Without one, columns are field names."),
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="Source name: with the external id, the upsert key.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List every problem; write nothing.")
    ] = False,
    batch: Annotated[
        int | None,
        typer.Option(min=1, help="Commit in checkpointed batches of N rows (large files)."),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue an interrupted batched import.")
    ] = False,
    db: DbOption = None,
    keystore: KeystoreOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Import a spreadsheet or JSON file: every row is checked before anything is written."""
    with fail_on_errors():
        if mapping is not None:
            chosen = load_mapping(mapping, kind)
        elif kind is not None:
            chosen = identity_mapping(kind)
        else:
            raise ValueError("give --mapping or --kind")
        store = open_store(settings(db, keystore, key_file))
        try:
            with _progress() as bar:
                task = bar.add_task(file.name, total=None)
                try:
                    report = import_file(
                        store,
                        file,
                        chosen,
                        cli_actor(),
                        source=source,
                        dry_run=dry_run,
                        batch=batch,
                        resume=resume,
                        progress=lambda done, total: bar.update(task, completed=done, total=total),
                    )
                except ImportRefused as refused:
                    bar.stop()
                    for problem in refused.problems:
                        _errors.print(str(problem), highlight=False, markup=False)
                    _errors.print(
                        f"[red]{len(refused.problems)} problem(s); nothing was imported[/red]"
                    )
                    raise typer.Exit(1) from None
        finally:
            store.close()
    if dry_run:
        for problem in report.problems:
            console.print(str(problem), highlight=False, markup=False)
        verdict = "[green]ready to import[/green]" if report.ok else "[red]would be refused[/red]"
        console.print(
            f"dry run of {report.file}: {report.rows} rows ok, {len(report.problems)} "
            f"problem(s); {verdict}; nothing written"
        )
        if not report.ok:
            raise typer.Exit(1)
        return
    resumed = f" (resumed after {report.resumed_at} rows)" if report.resumed_at else ""
    console.print(
        f"[green]imported[/green] {report.file}{resumed}: {report.created} created, "
        f"{report.updated} updated, {report.unchanged} unchanged"
    )


def export_command(
    kind: Annotated[str, typer.Option(help="Record kind to export.")],
    out: Annotated[Path, typer.Option(help="File to write.")],
    fmt: Annotated[str, typer.Option("--format", help="csv, xlsx, json or esf-json.")] = "csv",
    role: Annotated[
        str | None, typer.Option(help="Redact for this role (admin, analyst, viewer...).")
    ] = None,
    scope: Annotated[
        str | None,
        typer.Option(
            help="Consent scope the data leaves under: internal, share_un, courts, publication."
        ),
    ] = None,
    db: DbOption = None,
    keystore: KeystoreOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Export one kind of record, redacted for a role and filtered by consent."""
    with fail_on_errors():
        store = open_store(settings(db, keystore, key_file))
        try:
            sealer = store.sealer
            keyring = sealer.keyring if isinstance(sealer, KeyringSealer) else None
            report = exporting.export_file(
                store, kind, fmt, out, role=role, scope=scope, pseudonyms=keyring, actor=cli_actor()
            )
        finally:
            store.close()
    console.print(f"[green]exported[/green] {report.written} {kind} record(s) to {out}")
    for reason, count in sorted(report.omitted.items()):
        console.print(f"  left out {count}: {reason}", highlight=False)


class _RowsPerSecond(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} rows/s")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        _RowsPerSecond(),
        TimeElapsedColumn(),
        console=_errors,
        transient=True,
    )


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)
    app.command("export")(export_command)
