"""Core commands: set-up, search, records, vocabularies, places."""

from __future__ import annotations

import getpass
import json
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from kirok import __version__
from kirok.cli.common import DbOption, KeyFileOption, KeystoreOption, fail_on_errors, settings
from kirok.services import catalogue, search_index
from kirok.services.context import initialise, open_store

console = Console()

vocab_app = typer.Typer(help="Browse the vocabularies (ESF micro-thesauri and local terms).")
places_app = typer.Typer(help="Look places up in the gazetteer, in any script or spelling.")


def cli_actor() -> str:
    """Audit name of the person at the terminal."""
    return f"cli:{getpass.getuser()}"


def version() -> None:
    """Print kirok's version."""
    typer.echo(__version__)


def init(
    db: DbOption = None, keystore: KeystoreOption = None, key_file: KeyFileOption = None
) -> None:
    """Create (or upgrade) the database and its keys, and load the gazetteer."""
    with fail_on_errors():
        config = settings(db, keystore, key_file)
        with initialise(config) as store:
            places = catalogue.load_gazetteer(store, cli_actor())
    console.print(f"[green]ready[/green]: {config.db_url} ({places} places in the gazetteer)")
    console.print(f"keys: {config.keystore}")


def search(
    text: Annotated[str, typer.Argument(help="Words to find, in Korean or English.")],
    kind: Annotated[list[str] | None, typer.Option(help="Only these record kinds.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON lines instead of a table.")
    ] = False,
    db: DbOption = None,
    keystore: KeystoreOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Full-text search over titles, descriptions, testimony and names."""
    with fail_on_errors():
        with open_store(settings(db, keystore, key_file)) as store:
            hits = catalogue.search(store, text, kinds=kind, limit=limit)
    if as_json:
        for hit in hits:
            line = {"id": hit.id, "kind": hit.kind, "summary": catalogue.summary(hit)}
            typer.echo(json.dumps(line, ensure_ascii=False))
        return
    table = Table("id", "kind", "summary")
    for hit in hits:
        table.add_row(hit.id, hit.kind, catalogue.summary(hit))
    console.print(table)
    console.print(f"{len(hits)} found")


def reindex(
    db: DbOption = None, keystore: KeystoreOption = None, key_file: KeyFileOption = None
) -> None:
    """Rebuild the search index, e.g. after an upgrade (searches work throughout; until it
    completes they use the grams every record already has)."""
    with fail_on_errors(), Progress(console=console) as bar:
        task = bar.add_task("reindex", total=None)
        with open_store(settings(db, keystore, key_file)) as store:
            done = search_index.rebuild(
                store,
                cli_actor(),
                progress=lambda n, total: bar.update(task, completed=n, total=total),
            )
    console.print(f"[green]search index rebuilt[/green]: {done} records")


def show(
    record_id: Annotated[str, typer.Argument(help="The record's id.")],
    history: Annotated[bool, typer.Option(help="Also print every earlier version.")] = False,
    db: DbOption = None,
    keystore: KeystoreOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Print one record as JSON."""
    with fail_on_errors():
        with open_store(settings(db, keystore, key_file)) as store:
            record, versions = catalogue.show(store, record_id, with_history=history)
    document = {"kind": record.kind, **record.model_dump(mode="json")}
    if history:
        document["history"] = [
            {
                "version": v.version,
                "action": v.action,
                "changed_by": v.changed_by,
                "changed_at": v.changed_at.isoformat(),
                "record": v.record.model_dump(mode="json"),
            }
            for v in versions
        ]
    typer.echo(json.dumps(document, ensure_ascii=False, indent=2))


@vocab_app.command("list")
def vocab_list(
    name: Annotated[
        str | None, typer.Argument(help="A list name or number; none: all lists.")
    ] = None,
    lang: Annotated[str, typer.Option(help="Label language: en, ko, fr, es.")] = "en",
) -> None:
    """List the vocabularies, or the terms of one as a tree."""
    with fail_on_errors():
        if name is None:
            table = Table("number", "name", "terms", "ko labels")
            for row in catalogue.vocabulary_lists():
                table.add_row(str(row.number), row.name, str(row.terms), str(row.korean_labels))
            console.print(table)
            return
        for depth, term_id, label in catalogue.vocabulary_tree(name, lang):
            typer.echo(f"{'  ' * depth}{term_id}  {label}")


@vocab_app.command("show")
def vocab_show(
    term: Annotated[str, typer.Argument(help="A term id, or a label in any language.")],
) -> None:
    """Show the matching terms: their labels, broader terms and narrower ones."""
    with fail_on_errors():
        info = catalogue.vocabulary_terms(term)
    typer.echo(json.dumps(info, ensure_ascii=False, indent=2))


@places_app.command("find")
def places_find(
    name: Annotated[str, typer.Argument(help="Any spelling: 요덕, Yodok, Yodŏk, Yodeok…")],
) -> None:
    """Find places by any of their names."""
    with fail_on_errors():
        found = catalogue.find_places(name)
    table = Table("id", "kind", "names", "parent", "lat, lon")
    for place in found:
        coords = f"{place.lat:.4f}, {place.lon:.4f}" if place.lat is not None else ""
        table.add_row(place.id, place.kind, place.names, place.parent or "", coords)
    console.print(table)
    if not found:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("version")(version)
    app.command("init")(init)
    app.command("search")(search)
    app.command("reindex")(reindex)
    app.command("show")(show)
    app.add_typer(vocab_app, name="vocab")
    app.add_typer(places_app, name="places")
