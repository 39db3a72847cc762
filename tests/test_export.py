"""Exports: lossless round trip on both backends, formula neutralisation, redaction by role and
consent by scope."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from kirok.domain.records import (
    RECORD_TYPES,
    Act,
    Confidentiality,
    Consent,
    CustodyStep,
    Event,
    Information,
    NameForm,
    Person,
    Place,
    PlaceName,
    RefugeeCase,
    Resolution,
    Romanization,
    Script,
    Statistic,
    VoteCount,
    content_fields,
)
from kirok.services import catalogue
from kirok.services.context import KeyringSealer, Settings, initialise
from kirok.services.io import exporting
from kirok.services.io.importing import import_file
from kirok.services.io.mapping import identity_mapping
from kirok.store.repository import RecordStore

PG_ADMIN_URL = os.environ.get(
    "KIROK_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)

# Kinds in an order where every reference points to a kind already imported.
ORDER = [
    "place",
    "person",
    "event",
    "event_link",
    "act",
    "involvement",
    "information",
    "intervention",
    "biographic_link",
    "evidence",
    "consent",
    "designation",
    "resolution",
    "sanction_entry",
    "refugee_case",
    "statistic",
]


def _settings(url: str, root: Path) -> Settings:
    root.mkdir(parents=True, exist_ok=True)
    return Settings(db_url=url, keystore=root / "keys.json", key_file=root / "kirok.key")


@contextmanager
def _empty_database(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A second, empty database on the same backend."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'target.db'}"
        return
    name = db_url.rsplit("/", 1)[1] + "_target"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield db_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _fill(store: RecordStore) -> None:
    """Records of many kinds, with the awkward values spreadsheets mangle."""
    catalogue.load_gazetteer(store, "test")
    with store.write("test") as uow:
        camp = Place(
            id="my-site",
            place_kind="facility",
            names=[PlaceName(text='Site; "north"', script="latin")],
            parent_id="KP-NHA-MUSAN",
            lat=42.1234567,
            lon=-129.5,
        )
        uow.add(camp)
        kim = uow.add(
            Person(
                name_forms=[
                    NameForm(text="김철수", script=Script.HANGUL, system=Romanization.NONE),
                    NameForm(text="Kim Ch'ŏl-su", system=Romanization.MR),
                ],
                aliases=['=HYPERLINK("x")', "a;b", " padded "],
                sex="01000000000039",
                birth_date="1968~",
                origin_place_id="KP-NHA-HOERYONG",
                notes='line one\nline two, "quoted"',
                contact="+82 10 1234",
                source="ngo-a",
                external_id="007",
                confidentiality=Confidentiality.CONFIDENTIAL,
            )
        )
        lee = uow.add(Person(name_forms=[NameForm(text="'Lee")], aliases=["[x]"]))
        event = uow.add(Event(title="@arrest", start_date="1999-03/1999-05", place_id="my-site"))
        uow.add(Act(event_id=event.id, victim_id=kim.id, act_type="12000000000004"))
        info = uow.add(Information(person_id=kim.id, testimony="-they beat him", language="ko"))
        uow.add(
            Consent(
                person_id=kim.id,
                information_id=info.id,
                scopes=["internal", "share_un"],
                given_on=date(2020, 1, 2),
                family_at_risk=True,
            )
        )
        uow.add(Consent(person_id=lee.id, scopes=["internal"], given_on=date(2021, 5, 1)))
        uow.add(
            RefugeeCase(
                person_id=lee.id,
                status="repatriated",
                steps=[CustodyStep(stage="arrest_china", start_date="2019-11")],
            )
        )
        uow.add(
            Resolution(
                body="UNGA",
                symbol="A/RES/60/173",
                adopted_on="2005-12-16",
                vote=VoteCount(yes=88, no=21, abstain=60),
            )
        )
        uow.add(Statistic(series="arrivals", period="2002", value=1138.0, breakdown={"f": 0.5}))


def _everything(store: RecordStore) -> dict[str, dict[str, dict[str, Any]]]:
    with store.read() as uow:
        return {
            kind: {r.id: content_fields(r) for r in uow.iter_kind(kind)} for kind in RECORD_TYPES
        }


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
def test_round_trip_is_lossless(db_url: str, tmp_path: Path, fmt: str) -> None:
    with initialise(_settings(db_url, tmp_path / "a")) as source:
        _fill(source)
        files = {}
        for kind in ORDER:
            out = tmp_path / f"{kind}.{fmt}"
            report = exporting.export_file(source, kind, fmt, out)
            if report.written:
                files[kind] = out
        original = _everything(source)
    assert set(files) >= {"place", "person", "event", "act", "consent", "statistic"}
    with _empty_database(db_url, tmp_path) as target_url:
        with initialise(_settings(target_url, tmp_path / "b")) as target:
            for kind, path in files.items():
                import_file(target, path, identity_mapping(kind), "test")
            copied = _everything(target)
    for kind in RECORD_TYPES:
        assert copied[kind] == original[kind], kind


def test_spreadsheet_cells_cannot_start_a_formula(tmp_path: Path) -> None:
    with initialise(_settings(f"sqlite:///{tmp_path / 'k.db'}", tmp_path)) as store:
        _fill(store)
        exporting.export_file(store, "person", "csv", tmp_path / "p.csv")
        exporting.export_file(store, "person", "xlsx", tmp_path / "p.xlsx")
        exporting.export_file(store, "event", "xlsx", tmp_path / "e.xlsx")
    with (tmp_path / "p.csv").open(encoding="utf-8", newline="") as handle:
        cells = [c for row in csv.reader(handle) for c in row]
    workbook = load_workbook(tmp_path / "p.xlsx")
    sheet = workbook.worksheets[0]
    cells += [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    events = load_workbook(tmp_path / "e.xlsx").worksheets[0]
    cells += [c.value for row in events.iter_rows() for c in row if isinstance(c.value, str)]
    assert '\'=HYPERLINK("x"); a;b' not in cells  # ambiguous list -> JSON, then neutralised
    assert any(c.startswith("'[\"=HYPERLINK") or c.startswith('["=HYPERLINK') for c in cells)
    assert "'+82 10 1234" in cells and "'@arrest" in cells and "''Lee" not in cells
    dangerous = ("=", "+", "-", "@", "\t", "\r")
    assert not [c for c in cells if c.startswith(dangerous)]
    assert all(not any(cell.data_type == "f" for cell in row) for row in sheet.iter_rows())


def test_roles_see_what_the_policy_lets_them(tmp_path: Path) -> None:
    with initialise(_settings(f"sqlite:///{tmp_path / 'k.db'}", tmp_path)) as store:
        _fill(store)
        assert isinstance(store.sealer, KeyringSealer)
        keyring = store.sealer.keyring
        for role in ("viewer", "analyst", "documenter"):
            exporting.export_file(
                store, "person", "json", tmp_path / f"{role}.json", role=role, pseudonyms=keyring
            )
    views = {
        role: json.loads((tmp_path / f"{role}.json").read_text(encoding="utf-8"))
        for role in ("viewer", "analyst", "documenter")
    }
    # The viewer's clearance (internal) excludes the confidential record of Kim.
    assert len(views["viewer"]) == 1 and views["viewer"][0]["name_forms"] is None
    analyst = {p["external_id"]: p for p in views["analyst"]}
    assert analyst["007"]["name_forms"].startswith("P-") and analyst["007"]["contact"] is None
    documenter = {p["external_id"]: p for p in views["documenter"]}
    assert documenter["007"]["name_forms"][0]["text"] == "김철수"
    assert documenter["007"]["contact"] == "+82 10 1234"


def test_consent_scope_decides_who_leaves(tmp_path: Path) -> None:
    with initialise(_settings(f"sqlite:///{tmp_path / 'k.db'}", tmp_path)) as store:
        _fill(store)
        un, report = exporting.collect(store, "person", scope="share_un")
        public, public_report = exporting.collect(store, "person", scope="publication")
        internal, _ = exporting.collect(store, "person", scope="internal")
    assert [p["external_id"] for p in un] == ["007"]  # only Kim agreed to share with the UN
    assert sum(report.omitted.values()) == 1
    assert public == [] and any("family at risk" in r for r in public_report.omitted)
    assert len(internal) == 2


def test_esf_json_names_the_format_and_labels_terms(tmp_path: Path) -> None:
    with initialise(_settings(f"sqlite:///{tmp_path / 'k.db'}", tmp_path)) as store:
        _fill(store)
        exporting.export_file(store, "act", "esf-json", tmp_path / "acts.json")
    document = json.loads((tmp_path / "acts.json").read_text(encoding="utf-8"))
    assert document["format"] == "Act" and len(document["records"]) == 1
    act = document["records"][0]
    assert act["_terms"]["act_type"]["id"] == act["act_type"]
    assert act["_terms"]["act_type"]["en"]
