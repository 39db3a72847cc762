"""The public facts shipped with kirok (``kirok/data/public/*.csv``) as records.

These tables hold sourced public facts (UN votes, US designations, camp locations, arrivals in
South Korea); see ``data/public/SOURCES.md``. They are public, so the records are marked so.
Blank vote cells stay None ("not verified"), never 0.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from importlib import resources
from typing import Final

from kirok.domain.records import Confidentiality, Designation, Resolution, VoteCount
from kirok.reports.model import Camp

__all__ = ["arrivals", "camps", "designations", "resolutions"]

_BODIES: Final = {
    "UN General Assembly": "UNGA",
    "UN Human Rights Council": "HRC",
    "UN Commission on Human Rights": "CHR",
}
_PROGRAMS: Final = {
    "US IRFA Country of Particular Concern (CPC)": "religious_freedom_cpc",
    "US Trafficking in Persons Report tier": "trafficking_tier",
}


def _rows(name: str) -> Iterator[dict[str, str]]:
    text = resources.files("kirok.data.public").joinpath(name).read_text(encoding="utf-8")
    yield from csv.DictReader(text.splitlines())


def _int(text: str) -> int | None:
    text = text.strip().replace(",", "")
    return int(text) if text.isdigit() else None


def resolutions() -> list[Resolution]:
    result = []
    for i, row in enumerate(_rows("un_resolutions.csv")):
        counts = [_int(row[k]) for k in ("yes", "no", "abstain")]
        # Blank cells: the tally was not verified (some of these were adopted without a
        # vote); an empty VoteCount says "unknown", which None ("without a vote") would not.
        vote = VoteCount(yes=counts[0], no=counts[1], abstain=counts[2])
        symbol = row["symbol"].strip() or None
        result.append(
            Resolution(
                id=f"public-resolution-{i + 1}",
                body=_BODIES.get(row["body"], row["body"]),
                symbol=symbol,
                title=row["title"],
                adopted_on=row["date"],
                vote=vote,
                notes=None if any(c is not None for c in counts) else "vote tally not verified",
                confidentiality=Confidentiality.PUBLIC,
                source="public-csv",
            )
        )
    return result


def designations() -> list[Designation]:
    result = []
    for i, row in enumerate(_rows("designations.csv")):
        status = row["status"]
        if row["program"].startswith("US Trafficking"):
            status = status.split(" (")[0]
        else:
            status = "CPC" if status.startswith(("designated", "in_effect")) else status
        result.append(
            Designation(
                id=f"public-designation-{i + 1}",
                program=_PROGRAMS.get(row["program"], row["program"]),
                country="KP",
                year=int(row["year"]),
                status=status,
                confidentiality=Confidentiality.PUBLIC,
                source="public-csv",
            )
        )
    return result


def camps() -> list[Camp]:
    result = []
    for row in _rows("camps.csv"):
        lat, lon = row["lat"].strip(), row["lon"].strip()
        number = f" (No. {row['number']})" if row["number"].strip() else ""
        if "No." in row["name"]:
            number = ""
        result.append(
            Camp(
                name=re.sub(r" political prison camp| re-education camp", "", row["name"]) + number,
                kind=row["type"].split(" (")[0],
                lat=float(lat) if lat else None,
                lon=float(lon) if lon else None,
                status=row["status"],
            )
        )
    return result


def arrivals() -> dict[int, int]:
    """Escapees arriving in South Korea per single year (combined rows are left out)."""
    return {
        int(r["year"]): int(r["total"])
        for r in _rows("defector_arrivals.csv")
        if r["year"].isdigit()
    }
