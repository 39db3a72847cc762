"""Reading spreadsheets and JSON into numbered rows, refusing malformed input with its location.

NGO files arrive from Excel, LibreOffice, Google Sheets and hand-written scripts. Whatever is wrong
with one (not UTF-8, a byte-order mark, duplicate or empty headers, rows longer than the header,
cells of megabytes, a truncated workbook, broken JSON) is reported as an ``InputProblem`` naming
the file, the row and the column, never as a traceback. A problem that makes the rest of the file
unreadable stops the reading (``fatal``); others concern one row and reading goes on, so that a
dry run can list every one of them.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

#: Longest cell accepted, in characters. Testimony can be long; 100,000 characters is ~60 pages.
MAX_CELL = 100_000

#: Most bytes an XLSX workbook may expand to. It is a zip of XML; openpyxl holds its shared
#: strings in memory, so a small file crafted to expand to gigabytes (a zip bomb) would exhaust
#: memory. A 100,000-row list expands to about 100 MB.
MAX_XLSX_EXPANDED = 512 * 1024 * 1024

FORMATS = ("csv", "xlsx", "json")


@dataclass(frozen=True)
class InputProblem:
    """One thing wrong with the input, where it is and why. Row 1 is the header row of a
    spreadsheet; for JSON, row N is the N-th record of the list."""

    file: str
    row: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column!r}"
        return f"{where}: {self.reason}"


class FatalInput(Exception):
    """The file cannot be read past this point."""

    def __init__(self, problem: InputProblem) -> None:
        self.problem = problem
        super().__init__(str(problem))


@dataclass(frozen=True)
class Row:
    """One record of input: its row number and its cells by column name. ``problems`` holds
    what is wrong with the row as a whole (e.g. more cells than headers)."""

    number: int
    cells: dict[str, Any]
    problems: tuple[InputProblem, ...] = ()


def detect_format(path: Path, wanted: str | None = None) -> str:
    if wanted is not None:
        if wanted not in FORMATS:
            raise ValueError(f"unknown input format {wanted!r}; known: {', '.join(FORMATS)}")
        return wanted
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("xlsx", "xlsm"):
        return "xlsx"
    if suffix in ("json", "jsonl"):
        return "json"
    return "csv"


def read_rows(path: Path, fmt: str | None = None, encoding: str = "utf-8") -> Iterator[Row]:
    """The rows of ``path``; raises ``FatalInput`` when the file cannot be read further."""
    chosen = detect_format(path, fmt)
    if chosen == "xlsx":
        return _xlsx_rows(path)
    data = _read_bytes(path)
    if chosen == "json":
        return _json_rows(path.name, _decode(path.name, data, encoding))
    return _csv_rows(path.name, _decode(path.name, data, encoding))


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise FatalInput(InputProblem(path.name, None, None, f"cannot read: {error}")) from None


def _decode(name: str, data: bytes, encoding: str) -> str:
    """Text of the file; a UTF-8 byte-order mark (Excel writes one) is dropped."""
    if data.startswith(b"\xef\xbb\xbf") and encoding.replace("_", "-").lower() in ("utf-8", "utf8"):
        data = data[3:]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) and not encoding.lower().startswith("utf-16"):
        raise FatalInput(InputProblem(name, None, None, "the file is UTF-16; save it as UTF-8 CSV"))
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        row = data[: error.start].count(b"\n") + 1
        raise FatalInput(
            InputProblem(
                name,
                row,
                None,
                f"not valid {encoding} (byte 0x{data[error.start]:02x}); save the file as "
                f"UTF-8 or give its encoding in the mapping (encoding: cp949 for Korean Windows)",
            )
        ) from None
    except LookupError:
        raise FatalInput(InputProblem(name, None, None, f"unknown encoding {encoding!r}")) from None


def _check_headers(name: str, headers: list[str]) -> list[str]:
    cleaned = [h.strip() for h in headers]
    if not cleaned or all(not h for h in cleaned):
        raise FatalInput(InputProblem(name, 1, None, "no header row"))
    seen: set[str] = set()
    for position, header in enumerate(cleaned, start=1):
        if not header:
            raise FatalInput(InputProblem(name, 1, None, f"column {position} has no header"))
        if len(header) > 200:
            raise FatalInput(InputProblem(name, 1, None, f"header of column {position} too long"))
        if header in seen:
            raise FatalInput(InputProblem(name, 1, header, "duplicate column header"))
        seen.add(header)
    return cleaned


def _csv_rows(name: str, text: str) -> Iterator[Row]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    old_limit = csv.field_size_limit()
    csv.field_size_limit(MAX_CELL * 4 + 1)  # characters; the per-cell check below is exact
    try:
        try:
            first = next(reader, None)
        except csv.Error as error:
            raise FatalInput(InputProblem(name, 1, None, f"malformed CSV: {error}")) from None
        if first is None:
            raise FatalInput(InputProblem(name, None, None, "the file is empty"))
        headers = _check_headers(name, first)
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise FatalInput(
                    InputProblem(name, reader.line_num, None, f"malformed CSV: {error}")
                ) from None
            number = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue  # blank line
            yield _row(name, number, headers, cells)
    finally:
        csv.field_size_limit(old_limit)


def _row(name: str, number: int, headers: list[str], cells: list[Any]) -> Row:
    problems: list[InputProblem] = []
    if len(cells) > len(headers):
        extra = [c for c in cells[len(headers) :] if c not in (None, "")]
        if extra:
            problems.append(
                InputProblem(
                    name,
                    number,
                    None,
                    f"{len(cells)} cells but only {len(headers)} headers: "
                    "a cell holds an unquoted separator, or a header is missing",
                )
            )
    # Short rows (trailing empty cells left out, as many tools do) read as empty cells.
    values: dict[str, Any] = dict.fromkeys(headers)
    for header, cell in zip(headers, cells, strict=False):
        if isinstance(cell, str) and len(cell) > MAX_CELL:
            problems.append(
                InputProblem(name, number, header, f"cell longer than {MAX_CELL} characters")
            )
            continue
        values[header] = cell
    return Row(number, values, tuple(problems))


def _xlsx_rows(path: Path) -> Iterator[Row]:
    # openpyxl is imported here: it is slow to import and only XLSX needs it.
    from openpyxl import load_workbook

    name = path.name
    _check_expansion(name, path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - openpyxl raises many kinds on damaged files
        raise _unreadable_workbook(name, error) from None
    return _sheet_rows(name, workbook)


def _unreadable_workbook(name: str, error: Exception) -> FatalInput:
    return FatalInput(InputProblem(name, None, None, f"not a readable XLSX workbook ({error})"))


def _check_expansion(name: str, path: Path) -> None:
    """Refuse a workbook whose parts say they expand past ``MAX_XLSX_EXPANDED``. The sizes
    are the archive's own, but binding: Python's zip reader never returns more bytes than a
    part declares (a part that holds more fails its checksum)."""
    try:
        with zipfile.ZipFile(path) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
    # a damaged archive raises many kinds (NotImplementedError for a bad version field)
    except Exception as error:  # noqa: BLE001
        raise _unreadable_workbook(name, error) from None
    if expanded > MAX_XLSX_EXPANDED:
        raise FatalInput(
            InputProblem(
                name,
                None,
                None,
                f"the workbook expands to {expanded:,} bytes, more than the "
                f"{MAX_XLSX_EXPANDED:,} accepted: split it, or save it as CSV",
            )
        )


def _sheet_rows(name: str, workbook: Any) -> Iterator[Row]:
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        try:
            first = next(rows, None)
            if first is None:
                raise FatalInput(InputProblem(name, None, None, "the first sheet is empty"))
            headers = _check_headers(name, ["" if h is None else str(h) for h in first])
            for number, cells in enumerate(rows, start=2):
                values = [_xlsx_value(c) for c in cells]
                if all(v in (None, "") for v in values):
                    continue
                yield _row(name, number, headers, values)
        except FatalInput:
            raise
        except Exception as error:  # noqa: BLE001 - a damaged sheet fails lazily, mid-read
            raise FatalInput(
                InputProblem(name, None, None, f"damaged XLSX sheet ({error})")
            ) from None
    finally:
        workbook.close()


def _xlsx_value(value: Any) -> Any:
    """Excel dates become ISO text (EDTF days); whole floats become ints."""
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _json_rows(name: str, text: str) -> Iterator[Row]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise FatalInput(
            InputProblem(
                name,
                None,
                None,
                f"broken JSON at line {error.lineno}, column {error.colno}: {error.msg}",
            )
        ) from None
    except RecursionError:
        raise FatalInput(InputProblem(name, None, None, "JSON nested too deeply")) from None
    if isinstance(document, dict) and isinstance(document.get("records"), list):
        document = document["records"]
    if not isinstance(document, list):
        raise FatalInput(
            InputProblem(name, None, None, 'expected a list of objects, or {"records": [...]}')
        )
    return _json_items(name, document)


def _json_items(name: str, items: list[Any]) -> Iterator[Row]:
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            yield Row(
                number,
                {},
                (InputProblem(name, number, None, f"expected an object, got {_json_type(item)}"),),
            )
            continue
        problems = tuple(
            InputProblem(name, number, str(key), f"value longer than {MAX_CELL} characters")
            for key, value in item.items()
            if isinstance(value, str) and len(value) > MAX_CELL
        )
        yield Row(number, {str(k): v for k, v in item.items()}, problems)


def _json_type(value: object) -> str:
    return {list: "a list", str: "text", bool: "true/false", type(None): "null"}.get(
        type(value), "a number"
    )
