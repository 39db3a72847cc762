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
from kirok.services.io import exchange, exporting
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


package_app = typer.Typer(help="Exchange packages: encrypted to a recipient, signed, verified.")


@package_app.command("keygen")
def package_keygen(
    prefix: Annotated[Path, typer.Argument(help="Writes PREFIX.x25519(.pub) and .ed25519(.pub).")],
) -> None:
    """Make an encryption key pair (to receive) and a signing key pair (to send)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    with fail_on_errors():
        for suffix, key in (
            ("x25519", X25519PrivateKey.generate()),
            ("ed25519", Ed25519PrivateKey.generate()),
        ):
            exchange.save_private_key(key, Path(f"{prefix}.{suffix}"))
            exchange.save_public_key(key.public_key(), Path(f"{prefix}.{suffix}.pub"))
    console.print(f"keys written: {prefix}.x25519[.pub], {prefix}.ed25519[.pub]")


@package_app.command("create")
def package_create(
    out: Annotated[Path, typer.Option(help="Package file to write.")],
    recipient: Annotated[Path, typer.Option(help="Recipient's X25519 public key (PEM).")],
    signing_key: Annotated[Path, typer.Option(help="Your Ed25519 private key (PEM).")],
    kind: Annotated[list[str], typer.Option(help="Record kinds to include (repeat).")],
    role: Annotated[str | None, typer.Option(help="Redact for this role.")] = None,
    scope: Annotated[str | None, typer.Option(help="Consent scope, e.g. share_un.")] = None,
    db: DbOption = None,
    keystore: KeystoreOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Package records for a partner: encrypted to their key, signed with yours."""
    with fail_on_errors():
        store = open_store(settings(db, keystore, key_file))
        try:
            sealer = store.sealer
            counts = exchange.create_package(
                store,
                out,
                kinds=kind,
                recipient=exchange.load_public_key(recipient),
                signer=exchange.load_private_key(signing_key),
                actor=cli_actor(),
                role=role,
                scope=scope,
                pseudonyms=sealer.keyring if isinstance(sealer, KeyringSealer) else None,
            )
        finally:
            store.close()
    summary = ", ".join(f"{n} {k}" for k, n in counts.items())
    console.print(f"[green]package written[/green]: {out} ({summary})")


@package_app.command("import")
def package_import(
    file: Annotated[Path, typer.Argument(help="Package to import.")],
    key: Annotated[Path, typer.Option(help="Your X25519 private key (PEM).")],
    sender: Annotated[
        Path | None, typer.Option(help="The sender's Ed25519 public key to trust (PEM).")
    ] = None,
    db: DbOption = None,
    keystore: KeystoreOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Verify a package's signature and hashes, then import it."""
    with fail_on_errors():
        store = open_store(settings(db, keystore, key_file))
        try:
            reports = exchange.import_package(
                store,
                file,
                exchange.load_private_key(key),
                cli_actor(),
                trusted_sender=None if sender is None else exchange.load_public_key(sender),
            )
        finally:
            store.close()
    for report in reports:
        console.print(
            f"{report.kind}: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged"
        )


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
    app.add_typer(package_app, name="package")
