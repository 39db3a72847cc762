"""Exporting records to CSV, XLSX, JSON and ESF-structured JSON, after the policy has spoken.

What leaves is decided by ``kirok.security.policy``: with a role, each record is redacted for that
role (records above its clearance are left out, identity fields may become pseudonyms); with a
consent scope (share_un, courts, publication…), persons and information without a consent
covering that scope on the export date are left out. Without a role or scope the export is the
operator's complete copy (a backup, or the input of a round trip), as sensitive as the database.

Spreadsheet cells are neutralised against formula injection: text beginning with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return (and, so that the escape is reversible, ``'``) gets a
leading apostrophe; kirok's importer removes it again (``formula_escape`` in a mapping).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from kirok.domain.records import Consent, Record, record_type
from kirok.security import policy
from kirok.security.errors import PermissionDenied
from kirok.services.io.convert import FORMULA_STARTS, field_shape
from kirok.store.repository import RecordStore

FORMATS = ("csv", "xlsx", "json", "esf-json")
SEPARATOR = ";"

# ESF format names (HURIDOCS Events Standard Formats, 2001) for kirok's record kinds.
ESF_FORMATS = {
    "event": "Event",
    "person": "Person",
    "act": "Act",
    "involvement": "Involvement",
    "information": "Information",
    "intervention": "Intervention",
    "event_link": "Chain of Events",
    "biographic_link": "Biographic Details",
}


@dataclass
class ExportReport:
    kind: str
    written: int = 0
    omitted: dict[str, int] = field(default_factory=dict)  # reason -> records left out


@dataclass(frozen=True)
class _Exporter:
    """The identity the policy judges an export by."""

    role: policy.Role

    @property
    def id(self) -> str:
        return "export"

    @property
    def username(self) -> str:
        return "export"

    @property
    def clearance(self) -> int:
        return int(policy.Confidentiality.SECRET)


def collect(
    store: RecordStore,
    kind: str,
    *,
    role: str | None = None,
    scope: str | None = None,
    on_date: date | None = None,
    pseudonyms: policy.PseudonymSource | None = None,
) -> tuple[list[dict[str, Any]], ExportReport]:
    """The rows an export of ``kind`` may contain, as plain JSON-able dicts."""
    record_type(kind)  # unknown kinds fail here, with the list of known ones
    report = ExportReport(kind=kind)
    exporter = None if role is None else _Exporter(policy.Role(role))
    if exporter is not None and kind not in set(policy.EntityKind):
        raise ValueError(f"the policy has no rules for {kind} records: export them without --role")
    if exporter is not None and pseudonyms is None:
        raise ValueError("a role export needs the key ring for pseudonyms")
    wanted_scope = None if scope is None else policy.ConsentScope(scope)
    when = on_date or datetime.now(UTC).date()
    rows = []
    with store.read() as uow:
        consents = _consents(uow.iter_kind("consent")) if wanted_scope else {}
        for record in uow.iter_kind(kind):
            row = record_row(record)
            if wanted_scope is not None and kind in ("person", "information"):
                decision = policy.may_leave(consents.get(record.id, []), wanted_scope, when)
                if not decision:
                    _count(report, decision.reason)
                    continue
            if exporter is not None and pseudonyms is not None:
                try:
                    row = policy.redact(kind, row, exporter, pseudonyms=pseudonyms)
                except PermissionDenied:
                    _count(report, f"above the clearance of role {exporter.role}")
                    continue
            rows.append(row)
    report.written = len(rows)
    return rows, report


def record_row(record: Record) -> dict[str, Any]:
    """A record's id and content (no store bookkeeping), JSON-able."""
    row = {"id": record.id}
    row.update(
        record.model_dump(
            mode="json",
            exclude={"id", "version", "created_by", "created_at", "updated_by", "updated_at"},
        )
    )
    return row


def export_file(
    store: RecordStore,
    kind: str,
    fmt: str,
    out: Path,
    *,
    role: str | None = None,
    scope: str | None = None,
    pseudonyms: policy.PseudonymSource | None = None,
    actor: str | None = None,
) -> ExportReport:
    """Write the export; with an ``actor``, the audit log records who exported what."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; known: {', '.join(FORMATS)}")
    rows, report = collect(store, kind, role=role, scope=scope, pseudonyms=pseudonyms)
    columns = _columns(kind, rows)
    if fmt == "csv":
        write_csv(out, kind, columns, rows)
    elif fmt == "xlsx":
        write_xlsx(out, kind, columns, rows)
    elif fmt == "json":
        write_json(out, rows)
    else:
        write_esf_json(out, kind, rows, report)
    if actor is not None:
        with store.write(actor) as uow:
            details = {"format": fmt, "role": role, "scope": scope, "records": report.written}
            uow.audit("export", kind, None, details)
    return report


def neutralise(text: str) -> str:
    """Text a spreadsheet will show as text, never evaluate as a formula."""
    if text.startswith(FORMULA_STARTS) or text.startswith("'"):
        return "'" + text
    return text


def cell(kind: str, name: str, value: Any) -> str | int | float | bool | None:
    """One field as a spreadsheet cell: lists ``;``-joined (JSON if that would be ambiguous),
    structured values as JSON, text neutralised."""
    if value is None:
        return None
    if isinstance(value, bool | int | float):
        return value
    shape = field_shape(record_type(kind).model_fields[name].annotation) if name != "id" else "text"
    if isinstance(value, list) and shape == "list":
        joined = f"{SEPARATOR} ".join(value)
        ambiguous = joined.startswith("[") or any(
            SEPARATOR in item or item != item.strip() or not item for item in value
        )
        text = json.dumps(value, ensure_ascii=False) if ambiguous else joined
    elif isinstance(value, list | dict):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    return neutralise(text)


def write_csv(out: Path, kind: str, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> None:
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if (v := _cell(kind, c, row)) is None else v for c in columns])


def write_xlsx(
    out: Path, kind: str, columns: Sequence[str], rows: Iterable[dict[str, Any]]
) -> None:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(kind)
    sheet.append(list(columns))
    for row in rows:
        values = [_cell(kind, c, row) for c in columns]
        for column, value in zip(columns, values, strict=True):
            if isinstance(value, str) and (
                ILLEGAL_CHARACTERS_RE.search(value) or len(value) > 32_767
            ):
                raise ValueError(
                    f"{kind} {row.get('id')}, field {column!r}: holds control characters or more "
                    "than 32,767 characters, which XLSX cannot store; export as JSON or CSV"
                )
        sheet.append(values)
    workbook.save(out)


def write_json(out: Path, rows: Sequence[dict[str, Any]]) -> None:
    out.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")


def write_esf_json(
    out: Path, kind: str, rows: Sequence[dict[str, Any]], report: ExportReport
) -> None:
    """JSON laid out after the ESF: the format's name, its records, and vocabulary labels next
    to term ids so a reader without kirok's vocabularies can read them."""
    from kirok.domain.vocabulary import get_term

    labelled = []
    for row in rows:
        item = dict(row)
        terms = {}
        for name, value in row.items():
            if isinstance(value, str) and value.isdigit() and len(value) == 14:
                try:
                    term = get_term(value)
                except LookupError:
                    continue
                terms[name] = {"id": value, "en": term.label("en"), "ko": term.label("ko")}
        if terms:
            item["_terms"] = terms
        labelled.append(item)
    document = {
        "standard": "HURIDOCS Events Standard Formats (ESF)",
        "format": ESF_FORMATS.get(kind, kind),
        "kind": kind,
        "exported_at": datetime.now(UTC).isoformat(),
        "omitted": report.omitted,
        "records": labelled,
    }
    out.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")


def _cell(kind: str, column: str, row: dict[str, Any]) -> str | int | float | bool | None:
    if column.startswith("_"):
        value = row.get(column)
        return None if value is None else neutralise(f"{SEPARATOR} ".join(value))
    return cell(kind, column, row.get(column))


def _columns(kind: str, rows: Sequence[dict[str, Any]]) -> list[str]:
    model = record_type(kind)
    store_fields = {"version", "created_by", "created_at", "updated_by", "updated_at"}
    columns = ["id", *(n for n in model.model_fields if n not in store_fields and n != "id")]
    extras = sorted({k for row in rows for k in row if k.startswith("_")})
    return columns + extras


def _consents(records: Iterable[Record]) -> dict[str, list[policy.Consent]]:
    """Policy consents by the id of the person or information they cover."""
    out: dict[str, list[policy.Consent]] = {}
    for record in records:
        if not isinstance(record, Consent) or record.given_on is None:
            continue  # a consent without a date it was given covers nothing
        scopes = frozenset(
            policy.ConsentScope(s) for s in record.scopes if s in set(policy.ConsentScope)
        )
        try:
            consent = policy.Consent(
                scopes=scopes,
                given=record.given_on,
                revoked=record.revoked_on,
                family_at_risk=record.family_at_risk,
            )
        except ValueError:
            continue
        for target in (record.person_id, record.information_id):
            if target:
                out.setdefault(target, []).append(consent)
    return out


def _count(report: ExportReport, reason: str) -> None:
    report.omitted[reason] = report.omitted.get(reason, 0) + 1
