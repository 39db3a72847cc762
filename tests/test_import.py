"""Importing through a mapping: labels to terms, EDTF dates, gazetteer places, upserts, atomicity,
batches with checkpoints and resume."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from kirok.cli import app
from kirok.domain.records import Person
from kirok.services import catalogue
from kirok.services.context import Settings, initialise
from kirok.services.io.importing import ImportRefused, InterruptedImport, import_file
from kirok.services.io.mapping import identity_mapping, load_mapping, parse_mapping
from kirok.store.repository import RecordStore

DATA = Path(__file__).parent / "data" / "import"
MALE, FEMALE, UNKNOWN = "01000000000039", "02000000000039", "99000000000039"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RecordStore]:
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'kirok.db'}",
        keystore=tmp_path / "keys.json",
        key_file=tmp_path / "kirok.key",
    )
    with initialise(settings) as opened:
        catalogue.load_gazetteer(opened, "test")
        yield opened


def _persons(store: RecordStore) -> dict[str, Person]:
    with store.read() as uow:
        found = {p.external_id or p.id: p for p in uow.iter_kind("person")}
    return {k: v for k, v in found.items() if isinstance(v, Person)}


def _counts(store: RecordStore) -> dict[str, int]:
    with store.read() as uow:
        return uow.counts_by_kind()


def test_mapping_turns_labels_dates_places_and_lists_into_a_record(store: RecordStore) -> None:
    mapping = load_mapping(DATA / "persons.yaml")
    report = import_file(store, DATA / "persons.csv", mapping, "test")
    assert (report.created, report.updated, report.problems) == (3, 0, [])
    people = _persons(store)
    kim = people["A-001"]
    assert [f.text for f in kim.name_forms] == ["김철수", "Kim Ch'ŏl-su"]
    assert [f.script.value for f in kim.name_forms] == ["hangul", "latin"]
    assert kim.name_forms[1].system.value == "mr"
    assert kim.sex == MALE and kim.birth_date == "1968"
    assert kim.origin_place_id == "KP-NHA-HOERYONG"  # "Hoeryŏng", with its breve
    assert kim.aliases == ["Chol-su", "Old Kim"]
    assert kim.confidentiality.value == "confidential" and kim.source == "ngo-a"
    ri = people["A-002"]
    assert ri.sex == FEMALE  # given as the Korean label 여성
    assert ri.origin_place_id == "KP-NHA-MUSAN" and ri.aliases == [] and ri.notes is None
    assert people["A-003"].sex == UNKNOWN and people["A-003"].birth_date == "1959~"
    # Text that looks like a formula is data on the way in; only exports neutralise it.
    assert people["A-003"].notes == "=cmd|' /C calc'!A0"


def test_dry_run_lists_every_problem_and_writes_nothing(store: RecordStore) -> None:
    before = _counts(store)
    mapping = load_mapping(DATA / "persons.yaml")
    report = import_file(store, DATA / "persons_bad.csv", mapping, "test", dry_run=True)
    found = {(p.row, p.column) for p in report.problems}
    assert found == {
        (3, "Sex"),  # "Femme fatale" is no term of the sex list
        (3, "Born"),  # 1975-13
        (3, "Hometown"),  # Atlantis
        (4, "Born"),  # "sometime"
        (4, "Hometown"),  # Yoduk: the county and the camp are both called so
        (5, None),  # B-001 again
    }
    reasons = " ".join(p.reason for p in report.problems)
    assert "Atlantis" in reasons and "ambiguous" in reasons and "row 2" in reasons
    assert all(p.file == "persons_bad.csv" for p in report.problems)
    assert _counts(store) == before


def test_a_real_run_with_one_bad_row_writes_nothing(store: RecordStore) -> None:
    before = _counts(store)
    with pytest.raises(ImportRefused) as refused:
        import_file(store, DATA / "persons_bad.csv", load_mapping(DATA / "persons.yaml"), "t")
    assert len(refused.value.problems) == 6
    assert _counts(store) == before


def test_reimporting_a_corrected_file_updates_and_an_identical_one_changes_nothing(
    store: RecordStore, tmp_path: Path
) -> None:
    mapping = load_mapping(DATA / "persons.yaml")
    import_file(store, DATA / "persons.csv", mapping, "test")
    same = import_file(store, DATA / "persons.csv", mapping, "test")
    assert (same.created, same.updated, same.unchanged) == (0, 0, 3)
    corrected = tmp_path / "persons.csv"
    corrected.write_text(
        (DATA / "persons.csv").read_text(encoding="utf-8").replace("1975-03", "1975-04"),
        encoding="utf-8",
    )
    again = import_file(store, corrected, mapping, "test")
    assert (again.created, again.updated, again.unchanged) == (0, 1, 2)
    people = _persons(store)
    assert len(people) == 3 and people["A-002"].birth_date == "1975-04"
    assert people["A-002"].version == 2


def test_xlsx_and_json_inputs(store: RecordStore, tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Case No", "이름", "Name", "Sex", "Born", "Hometown", "Aliases", "Notes"])
    sheet.append([17, None, "Kim Yong", "남성", 1970, "Musan"])
    workbook.save(tmp_path / "list.xlsx")
    mapping = load_mapping(DATA / "persons.yaml")
    import_file(store, tmp_path / "list.xlsx", mapping, "test")
    (tmp_path / "list.json").write_text(
        json.dumps([{"Case No": "J1", "Name": "Choe Un", "Aliases": "a; b", "Born": "1980?"}]),
        encoding="utf-8",
    )
    import_file(store, tmp_path / "list.json", mapping, "test")
    people = _persons(store)
    assert people["17"].birth_date == "1970" and people["17"].sex == MALE
    assert people["J1"].aliases == ["a", "b"] and people["J1"].birth_date == "1980?"


SMALL = parse_mapping(
    {
        "source": "ngo-b",
        "columns": {"Case No": "external_id", "Name": "name_forms", "Born": "birth_date"},
    },
    "person",
)


def _big_file(tmp_path: Path, rows: int) -> Path:
    lines = ["Case No,Name,Born"] + [f"C-{i:05d},Person {i},19{50 + i % 40}" for i in range(rows)]
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_batches_checkpoint_and_resume_after_an_interruption(
    store: RecordStore, tmp_path: Path
) -> None:
    path = _big_file(tmp_path, 25)
    mapping = SMALL

    def crash(done: int, _total: int) -> None:
        if done >= 20:
            raise KeyboardInterrupt  # the process dies after two committed batches

    with pytest.raises(KeyboardInterrupt):
        import_file(store, path, mapping, "test", batch=10, progress=crash)
    assert len(_persons(store)) == 20  # whole batches only
    with pytest.raises(InterruptedImport, match="--resume"):
        import_file(store, path, mapping, "test", batch=10)
    report = import_file(store, path, mapping, "test", batch=10, resume=True)
    assert report.resumed_at == 20 and report.created == 5
    people = _persons(store)
    assert sorted(people) == [f"C-{i:05d}" for i in range(25)]
    # The checkpoint is gone: the same file now imports as a fresh, unchanged run.
    assert import_file(store, path, mapping, "test", batch=10).unchanged == 25


def test_identity_mapping_takes_field_names(store: RecordStore, tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text(
        "id,name_forms,aliases,sex,confidentiality\n"
        'p1,"[{""text"": ""김영""}]","x; y",01000000000039,secret\n',
        encoding="utf-8",
    )
    import_file(store, path, identity_mapping("person"), "test")
    person = _persons(store)["p1"]
    assert person.name_forms[0].text == "김영" and person.aliases == ["x", "y"]
    assert person.confidentiality.value == "secret"


def test_cli_dry_run_and_import(store: RecordStore, tmp_path: Path) -> None:
    engine_url = str(store.engine.url)
    env = {
        "KIROK_DATABASE_URL": engine_url,
        "KIROK_KEY_FILE": str(tmp_path / "kirok.key"),
        "KIROK_KEYSTORE": str(tmp_path / "keys.json"),
    }
    runner = CliRunner()
    bad = tmp_path / "bad.csv"
    shutil.copy(DATA / "persons_bad.csv", bad)
    args = ["import", str(bad), "--mapping", str(DATA / "persons.yaml")]
    result = runner.invoke(app, [*args, "--dry-run"], env=env)
    assert result.exit_code == 1
    assert "bad.csv, row 3, column 'Hometown'" in result.output
    assert "nothing written" in result.output
    good = ["import", str(DATA / "persons.csv"), "--mapping", str(DATA / "persons.yaml")]
    result = runner.invoke(app, good, env=env)
    assert result.exit_code == 0, result.output
    assert "3 created" in result.output
    assert len(_persons(store)) == 3
