"""Loading the public facts shipped in ``kirok/data/public/``: designations, UN resolutions and
their votes, escapee arrivals. Every row keeps its citation; empty cells stay empty."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from importlib import resources

from kirok.domain.records import (
    Confidentiality,
    Designation,
    Record,
    Resolution,
    Statistic,
    VoteCount,
)
from kirok.store.repository import RecordStore

SOURCE = "kirok-public-facts"

_PROGRAMS = {
    "Country of Particular Concern": "religious_freedom_cpc",
    "Trafficking in Persons": "trafficking_tier",
}
_BODIES = {
    "UN Commission on Human Rights": "CHR",
    "UN General Assembly": "UNGA",
    "UN Human Rights Council": "HRC",
}


def _rows(name: str) -> Iterator[dict[str, str]]:
    with resources.files("kirok.data.public").joinpath(name).open(encoding="utf-8") as handle:
        yield from csv.DictReader(handle)


def _int(text: str) -> int | None:
    text = text.strip().replace(",", "")
    return int(text) if text else None


def designations() -> Iterator[Designation]:
    for row in _rows("designations.csv"):
        program = next((v for k, v in _PROGRAMS.items() if k in row["program"]), row["program"])
        yield Designation(
            program=program,
            country="KP",
            year=int(row["year"]),
            status=row["status"].strip(),
            notes=row["program"],
            citation=row["source"],
            confidentiality=Confidentiality.PUBLIC,
            source=SOURCE,
            external_id=f"designation:{program}:{row['year']}",
        )


def resolutions() -> Iterator[Resolution]:
    for row in _rows("un_resolutions.csv"):
        body = next((v for k, v in _BODIES.items() if row["body"].startswith(k)), row["body"])
        counts = [_int(row[k]) for k in ("yes", "no", "abstain")]
        vote = (
            None
            if all(c is None for c in counts)
            else VoteCount(yes=counts[0], no=counts[1], abstain=counts[2])
        )
        yield Resolution(
            body=body,
            symbol=row["symbol"].strip() or None,
            title=row["title"] or None,
            adopted_on=row["date"].strip() or None,
            vote=vote,
            citation=row["source"],
            confidentiality=Confidentiality.PUBLIC,
            source=SOURCE,
            external_id=f"resolution:{body}:{row['date'].strip()}:{row['symbol'].strip()}",
        )


_YEAR_RANGE = re.compile(r"(\d{4})\s*-\s*(\d{4})")
_UP_TO = re.compile(r"up to (\d{4})")


def _period(text: str) -> str:
    """'2002' stays; '1999-2001 (combined)' → '1999/2001'; 'up to 1998 (cumulative)' → '../1998'."""
    if match := _YEAR_RANGE.search(text):
        return f"{match[1]}/{match[2]}"
    if match := _UP_TO.search(text):
        return f"../{match[1]}"
    return text.strip()


def escapee_arrivals() -> Iterator[Statistic]:
    for row in _rows("defector_arrivals.csv"):
        total = _int(row["total"])
        if total is None:
            continue
        breakdown = {k: float(v) for k in ("male", "female") if (v := _int(row[k])) is not None}
        yield Statistic(
            series="escapee_arrivals_kr",
            period=_period(row["year"]),
            value=float(total),
            breakdown=breakdown,
            label=row["year"],
            citation=row["source"],
            confidentiality=Confidentiality.PUBLIC,
            source=SOURCE,
            external_id=f"arrivals:{row['year']}",
        )


def all_facts() -> Iterator[Record]:
    yield from designations()
    yield from resolutions()
    yield from escapee_arrivals()


def load_public_facts(store: RecordStore, actor: str) -> dict[str, int]:
    """Insert or refresh every public fact in one transaction; returns counts per kind."""
    counts: dict[str, int] = {}
    with store.write(actor) as uow:
        for record in all_facts():
            uow.upsert(record)
            counts[record.kind] = counts.get(record.kind, 0) + 1
    return counts
