"""The year-over-year comparison with the previous report as published: the numbers it gave
then, the same queries run today, and what was documented in between."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from kirok.reports.render import render_html, render_markdown
from kirok.security.keys import Keyring
from kirok.services import publishing
from kirok.services.context import Settings, initialise, open_keyring
from kirok.store.repository import RecordStore
from test_report_sections import _Builder

ON = date(2026, 1, 15)
LABEL = "Forced repatriations (refoulement) documented"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[RecordStore, Keyring]]:
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'kirok.db'}",
        keystore=tmp_path / "keys.json",
        key_file=tmp_path / "kirok.key",
    )
    opened = initialise(settings)
    try:
        yield opened, open_keyring(settings)
    finally:
        opened.close()


def _add(store: RecordStore, builder: _Builder) -> None:
    with store.write("test") as uow:
        uow.add_many(builder.records)


def test_the_report_compares_with_the_previous_report_as_published(
    store: tuple[RecordStore, Keyring], tmp_path: Path
) -> None:
    db, keyring = store
    first = _Builder()
    first.victim("a", [("L4-FORCED-REPATRIATION", "2023-04")], publishable=True)
    _add(db, first)
    assert publishing.previous_report(db, "KP", 2024) is None  # nothing published yet
    publishing.publish(db, keyring, "KP", 2023, actor="test", on=ON)

    later = _Builder()  # documented after the 2023 report was published
    later.victim("b", [("L4-FORCED-REPATRIATION", "2023-09")], publishable=True)
    later.victim("c", [("L4-FORCED-REPATRIATION", "2023-10")], publishable=False)
    _add(db, later)

    previous = publishing.previous_report(db, "kp", 2024)
    assert previous is not None and previous.year == 2023
    assert previous.values[LABEL] == 1
    report = publishing.public_report(db, keyring, "KP", 2024, on=ON)
    compared = {f.label: (then, f.previous) for f, then in report.compared_with_previous_report()}
    assert compared[LABEL] == (1, 2)  # the unpublishable third one is not counted
    html = render_html(report, with_charts=False)
    assert "Compared with the 2023 report" in html and "+1" in html
    markdown = render_markdown(report, tmp_path, with_charts=False)
    assert f"| {LABEL} | 1 | 2 | +1 |" in markdown

    publishing.withdraw(db, "KP", 2023, actor="test")
    assert publishing.previous_report(db, "KP", 2024) is None
    again = publishing.public_report(db, keyring, "KP", 2024, on=ON)
    assert again.compared_with_previous_report() == []
    assert "Compared with the" not in render_html(again, with_charts=False)
