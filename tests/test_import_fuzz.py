"""Malformed input of every kind: a clear problem naming file/row/column, an unchanged database,
never a traceback."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from typer.testing import CliRunner

from kirok.cli import app
from kirok.services import catalogue
from kirok.services.context import Settings, initialise
from kirok.services.io.importing import ImportRefused, import_file
from kirok.services.io.mapping import Mapping, load_mapping, parse_mapping
from kirok.services.io.readers import MAX_CELL
from kirok.store.repository import RecordStore

DATA = Path(__file__).parent / "data" / "import"
FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
HEADER = "Case No,이름,Name,Sex,Born,Hometown,Aliases,Notes"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecordStore]:
    root = tmp_path_factory.mktemp("fuzz")
    config = Settings(
        db_url=f"sqlite:///{root / 'kirok.db'}",
        keystore=root / "keys.json",
        key_file=root / "kirok.key",
    )
    with initialise(config) as opened:
        catalogue.load_gazetteer(opened, "test")
        yield opened


@pytest.fixture(scope="module")
def mapping() -> Mapping:
    return load_mapping(DATA / "persons.yaml")


def _snapshot(store: RecordStore) -> dict[str, int]:
    with store.read() as uow:
        return uow.counts_by_kind()


def _refused_or_imported(store: RecordStore, path: Path, mapping: Mapping) -> str:
    """Import; a refusal must leave the database as it was and explain itself."""
    before = _snapshot(store)
    try:
        import_file(store, path, mapping, "fuzz", source="fuzz")
    except ImportRefused as refused:
        assert refused.problems
        assert all(p.file == path.name and p.reason for p in refused.problems)
        assert _snapshot(store) == before
        return "refused"
    return "imported"


@FUZZ
@given(data=st.binary(max_size=400))
def test_random_bytes_never_raise_anything_but_a_refusal(
    store: RecordStore, mapping: Mapping, tmp_path: Path, data: bytes
) -> None:
    for suffix in (".csv", ".json", ".xlsx"):
        path = tmp_path / f"input{suffix}"
        path.write_bytes(data)
        _refused_or_imported(store, path, mapping)


CELL = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12)


@FUZZ
@given(
    rows=st.lists(st.lists(CELL, min_size=0, max_size=10), max_size=5),
    bom=st.booleans(),
    encoding=st.sampled_from(["utf-8", "cp949", "utf-16"]),
)
def test_ragged_rows_odd_encodings_and_boms(
    store: RecordStore,
    mapping: Mapping,
    tmp_path: Path,
    rows: list[list[str]],
    bom: bool,
    encoding: str,
) -> None:
    buffer = io.StringIO()
    buffer.write(HEADER + "\n")
    for row in rows:
        buffer.write(",".join('"' + c.replace('"', '""') + '"' for c in row) + "\n")
    try:
        data = buffer.getvalue().encode(encoding)
    except UnicodeEncodeError:
        data = buffer.getvalue().encode("utf-8", errors="replace")
    path = tmp_path / "rows.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    _refused_or_imported(store, path, mapping)


@FUZZ
@given(
    document=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | CELL,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(CELL, inner, max_size=4),
        max_leaves=20,
    )
)
def test_json_of_any_shape(
    store: RecordStore, mapping: Mapping, tmp_path: Path, document: object
) -> None:
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    _refused_or_imported(store, path, mapping)


def _workbook_bytes(tmp_path: Path) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER.split(","))
    sheet.append(["X-1", "김", "Kim", "Male", 1970, "Musan", "", ""])
    path = tmp_path / "base.xlsx"
    workbook.save(path)
    return path.read_bytes()


def test_a_workbook_that_expands_past_the_limit_is_refused_before_it_is_read(
    store: RecordStore, mapping: Mapping, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kirok.services.io import readers

    data = _workbook_bytes(tmp_path)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        expanded = sum(info.file_size for info in archive.infolist())
    path = tmp_path / "list.xlsx"
    path.write_bytes(data)
    monkeypatch.setattr(readers, "MAX_XLSX_EXPANDED", expanded - 1)
    import openpyxl

    load_workbook = openpyxl.load_workbook
    opened: list[object] = []
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: opened.append(a))
    before = _snapshot(store)
    with pytest.raises(ImportRefused) as refused:
        import_file(store, path, mapping, "fuzz")
    first = refused.value.problems[0]
    assert first.row is None and f"expands to {expanded:,} bytes" in first.reason
    assert opened == []  # refused from the archive's directory alone
    assert _snapshot(store) == before
    # one byte more room and the same file imports
    monkeypatch.setattr(openpyxl, "load_workbook", load_workbook)
    monkeypatch.setattr(readers, "MAX_XLSX_EXPANDED", expanded)
    import_file(store, path, mapping, "fuzz")
    assert _snapshot(store) != before


def test_a_workbook_with_a_damaged_zip_directory_is_one_clear_error(
    store: RecordStore, mapping: Mapping, tmp_path: Path
) -> None:
    data = bytearray(_workbook_bytes(tmp_path))
    entry = data.index(b"PK\x01\x02")  # the first central directory entry
    data[entry + 6 : entry + 8] = (235).to_bytes(2, "little")  # "needs zip version 23.5"
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(bytes(data))
    before = _snapshot(store)
    with pytest.raises(ImportRefused) as refused:
        import_file(store, path, mapping, "fuzz")
    assert "not a readable XLSX workbook" in refused.value.problems[0].reason
    assert _snapshot(store) == before


@FUZZ
@given(cut=st.integers(min_value=0, max_value=10_000), flips=st.lists(st.integers(0, 10_000)))
def test_damaged_workbooks(
    store: RecordStore, mapping: Mapping, tmp_path: Path, cut: int, flips: list[int]
) -> None:
    data = bytearray(_workbook_bytes(tmp_path))
    for position in flips:
        data[position % len(data)] ^= 0xFF
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(bytes(data[: max(cut, 1)] if cut < len(data) else data))
    _refused_or_imported(store, path, mapping)


@pytest.mark.parametrize(
    ("content", "row", "column", "words"),
    [
        (b"Case No,Name,Name\nA,b,c\n", 1, "Name", "duplicate"),
        (b"Case No,,Name\nA,b,c\n", 1, None, "no header"),
        ("Case No,Name\nA,김\n".encode("cp949"), 2, None, "cp949"),
        (b"\xff\xfeC\x00", None, None, "UTF-16"),
        (b"", None, None, "empty"),
        (b"Case No,Name\nA,b,c,d\n", 2, None, "cells but only 2 headers"),
        (f"Case No,Notes\nA,{'x' * (MAX_CELL + 1)}\n".encode(), 2, "Notes", "longer than"),
        (b'Case No,Name\nA,"unclosed\n', 2, None, "malformed CSV"),
    ],
)
def test_each_malformation_is_named_with_its_place(
    store: RecordStore,
    tmp_path: Path,
    content: bytes,
    row: int | None,
    column: str | None,
    words: str,
) -> None:
    small = parse_mapping(
        {"source": "x", "columns": {"Case No": "external_id", "Name": "name_forms"}}, "person"
    )
    if b"Notes" in content:
        small = parse_mapping({"source": "x", "columns": {"Notes": "notes"}}, "person")
    path = tmp_path / "in.csv"
    path.write_bytes(content)
    before = _snapshot(store)
    with pytest.raises(ImportRefused) as refused:
        import_file(store, path, small, "fuzz")
    first = refused.value.problems[0]
    assert (first.row, first.column) == (row, column), str(first)
    assert words in first.reason
    assert _snapshot(store) == before


def test_broken_inputs_through_the_cli_give_one_clear_error(tmp_path: Path) -> None:
    env = {
        "KIROK_DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}",
        "KIROK_KEY_FILE": str(tmp_path / "kirok.key"),
        "KIROK_KEYSTORE": str(tmp_path / "keys.json"),
    }
    runner = CliRunner()
    assert runner.invoke(app, ["init"], env=env).exit_code == 0
    for name, content in [("x.json", b"[{"), ("x.xlsx", b"PK\x03\x04junk"), ("x.csv", b"\x00\xff")]:
        path = tmp_path / name
        path.write_bytes(content)
        result = runner.invoke(
            app, ["import", str(path), "--mapping", str(DATA / "persons.yaml")], env=env
        )
        assert result.exit_code == 1, result.output
        assert name in result.output and "nothing was imported" in result.output
        assert "Traceback" not in result.output
