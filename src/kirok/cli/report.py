"""`kirok report`: the annual country report from the live database, for one audience."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from kirok.cli.common import DbOption, KeyFileOption, KeystoreOption, fail_on_errors, settings
from kirok.domain.records import Confidentiality
from kirok.reports.model import Audience
from kirok.services.context import open_keyring, open_store


class OutputFormat(StrEnum):
    html = "html"
    pdf = "pdf"
    md = "md"


def report(
    year: Annotated[int, typer.Option(min=1900, max=2100, help="The year the report covers.")],
    out: Annotated[Path, typer.Option(help="Folder to write the report into.")],
    country: Annotated[str, typer.Option(help="Country code (ISO 3166-1 alpha-2).")] = "KP",
    audience: Annotated[
        Audience,
        typer.Option(
            help="internal: every record up to the clearance, cited by id. public: only what "
            "consent allows to be published, cited by pseudonym."
        ),
    ] = Audience.INTERNAL,
    output_format: Annotated[
        list[OutputFormat] | None,
        typer.Option("--format", help="html, pdf or md; repeat for several (default: html)."),
    ] = None,
    clearance: Annotated[
        Confidentiality,
        typer.Option(
            help="Highest confidentiality of records counted (public reports: at most "
            "confidential)."
        ),
    ] = Confidentiality.CONFIDENTIAL,
    on: Annotated[
        str | None,
        typer.Option(
            "--date",
            help="Date of the report, on which consents are judged (YYYY-MM-DD; default today).",
        ),
    ] = None,
    charts: Annotated[bool, typer.Option(help="Draw the charts and the camp map.")] = True,
    db: DbOption = None,
    keystore: KeystoreOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Write the annual country report; every number is a query run now on the database."""
    from kirok.reports.render import write_report
    from kirok.services.publishing import previous_report
    from kirok.services.report import build_report

    formats = output_format or [OutputFormat.html]
    with fail_on_errors():
        generated_on = date.fromisoformat(on) if on else date.today()
        config = settings(db, keystore, key_file)
        keyring = open_keyring(config)
        with open_store(config) as store:
            # Public editions are compared with the previous year's report as published.
            public = audience is Audience.PUBLIC
            published = previous_report(store, country, year) if public else None
            data = build_report(
                store,
                country=country,
                year=year,
                audience=audience,
                pseudonyms=keyring,
                generated_on=generated_on,
                clearance=clearance,
                previous_report=published,
            )
        for fmt in formats:
            path = write_report(data, fmt.value, out, with_charts=charts)
            typer.echo(str(path))


def register(app: typer.Typer) -> None:
    """Add this group's commands to the main app."""
    app.command("report")(report)
