"""Importing a file: check every row first, then write all of it or nothing.

An import never half-applies. The whole file is read and converted before anything is written; if
any cell is wrong, the report lists every problem (file, row, column, reason) and the database is
untouched. A clean file is written in one unit of work (one transaction). A file too large for
one transaction is written in batches (``batch``): each batch commits together with a checkpoint
in ``kirok_meta``, so after a crash ``resume`` continues after the last committed batch, and the
database never holds a batch in part. Records upsert on (kind, source, external id): re-importing
a corrected file updates records instead of duplicating them, and an identical re-import changes
nothing.
"""

from __future__ import annotations

import gc
import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from kirok.domain.errors import KirokError, RecordProblem
from kirok.domain.records import Place, Record, content_fields
from kirok.services.io.convert import Converter, Known, PlaceIndex
from kirok.services.io.mapping import Mapping
from kirok.services.io.readers import FatalInput, InputProblem, detect_format, read_rows
from kirok.store.repository import RecordStore, UnitOfWork
from kirok.store.schema import meta, records

Progress = Callable[[int, int], None]  # (rows written so far, rows in total)
_PART = 5000  # new records per bulk insert within a unit of work


class ImportRefused(KirokError):
    """The file has problems (all of them listed) and nothing was written."""

    def __init__(self, problems: list[InputProblem]) -> None:
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[:20])
        more = f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} problem(s); nothing was imported:\n{shown}{more}")


class InterruptedImport(KirokError):
    """A batched import left a checkpoint: resume it with --resume."""


@dataclass
class ImportReport:
    file: str
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    resumed_at: int = 0
    dry_run: bool = False
    problems: list[InputProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_file(
    store: RecordStore, path: Path, mapping: Mapping, source: str | None = None
) -> tuple[list[tuple[int, Record]], list[InputProblem]]:
    """Every record the file would write, with its row number, and every problem found."""
    chosen_source = source or mapping.source
    with store.read() as uow:
        places = _place_index(uow)
        known = _known(uow)
    if mapping.kind == "place":
        # Places refer to places (parent_id): the file's own ids are known before its rows.
        try:
            for row in read_rows(path, mapping.format, mapping.encoding):
                if isinstance(row.cells.get("id"), str):
                    places.ids.add(row.cells["id"])
        except FatalInput:
            pass  # reported by the pass below
    converter = Converter(mapping, path.name, places, known)
    out: list[tuple[int, Record]] = []
    problems: list[InputProblem] = []
    seen_external: dict[tuple[str, str], int] = {}
    seen_ids: dict[str, int] = {}
    # JSON objects may leave keys out; a spreadsheet missing a mapped column is a mistake.
    headers_checked = detect_format(path, mapping.format) == "json"
    any_rows = False
    try:
        for row in read_rows(path, mapping.format, mapping.encoding):
            any_rows = True
            if not headers_checked:
                headers_checked = True
                header_problems = converter.check_headers(row.cells)
                if header_problems:
                    return [], header_problems
            record, row_problems = converter.convert(row, chosen_source)
            problems.extend(row_problems)
            if record is None:
                continue
            if record.source and record.external_id:
                key = (record.source, record.external_id)
                if key in seen_external:
                    problems.append(
                        InputProblem(
                            path.name,
                            row.number,
                            None,
                            f"external id {record.external_id!r} also on row {seen_external[key]}",
                        )
                    )
                    continue
                seen_external[key] = row.number
                existing = known.external.get((record.kind, record.source, record.external_id))
                known.external[(record.kind, record.source, record.external_id)] = (
                    existing or record.id
                )
            elif "id" in row.cells:
                if record.id in seen_ids:
                    problems.append(
                        InputProblem(
                            path.name, row.number, "id", f"id also on row {seen_ids[record.id]}"
                        )
                    )
                    continue
                seen_ids[record.id] = row.number
            known.ids[record.id] = record.kind
            if isinstance(record, Place):
                places.add(record.id, [n.text for n in record.names])
            out.append((row.number, record))
    except FatalInput as fatal:
        problems.append(fatal.problem)
    if not any_rows and not problems:
        problems.append(InputProblem(path.name, None, None, "no rows to import"))
    return out, problems


def import_file(
    store: RecordStore,
    path: Path,
    mapping: Mapping,
    actor: str,
    *,
    source: str | None = None,
    dry_run: bool = False,
    batch: int | None = None,
    resume: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import ``path``; raises ``ImportRefused`` (nothing written) if any row has a problem."""
    with _cyclic_gc_paused():
        return _import_file(store, path, mapping, actor, source, dry_run, batch, resume, progress)


def _import_file(
    store: RecordStore,
    path: Path,
    mapping: Mapping,
    actor: str,
    source: str | None,
    dry_run: bool,
    batch: int | None,
    resume: bool,
    progress: Progress | None,
) -> ImportReport:
    report = ImportReport(file=path.name, kind=mapping.kind, dry_run=dry_run)
    rows, problems = check_file(store, path, mapping, source)
    rows = _targets_first(rows)
    report.rows = len(rows)
    report.problems = problems
    if dry_run:
        return report
    if problems:
        raise ImportRefused(problems)
    key = _checkpoint_key(path, mapping, source)
    start = _checkpoint(store, key)
    if start is not None and not resume:
        raise InterruptedImport(
            f"{path.name}: an earlier import of this file stopped after {start} rows; "
            "run the same command with --resume to finish it"
        )
    start = start or 0
    report.resumed_at = start
    size = batch if batch and batch > 0 else max(len(rows), 1)
    done = start
    for first in range(start, len(rows), size):
        chunk = rows[first : first + size]
        last = first + size >= len(rows)
        with store.write(actor) as uow:
            _write_chunk(uow, chunk, report, path.name, mapping)
            if batch:
                _set_checkpoint(uow, key, None if last else first + len(chunk))
        done = first + len(chunk)
        if progress is not None:
            progress(done, len(rows))
    return report


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Python's cycle collector off for the length of an import, one full collection after.

    An import holds every row's record in memory before it writes (nothing is written unless
    every row is good), and CPython runs a collection of its oldest generation each time the
    number of live objects has grown by a quarter: with 100,000 records that walks millions of
    objects again and again, about a fifth of the import's CPU time (bench/README.md). Records
    form no reference cycles, so nothing accumulates while the collector waits.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
            gc.collect()


def _write_chunk(
    uow: UnitOfWork,
    chunk: list[tuple[int, Record]],
    report: ImportReport,
    file: str,
    mapping: Mapping,
) -> None:
    """New records in bulk inserts of ``_PART`` rows (references in reference order); existing
    ones updated one by one, or left alone when nothing changed. All in the caller's unit of work:
    the parts only bound the memory the rows being written take."""
    existing = _existing(uow, [record for _, record in chunk])
    new = [(n, r) for n, r in chunk if r.id not in existing and _key(r) not in existing]
    try:
        for start in range(0, len(new), _PART):
            uow.add_many([record for _, record in new[start : start + _PART]])
            uow.flush()  # the part's audit entries
    except RecordProblem as problem:
        rows = {record.id: number for number, record in new}
        column = next(
            (rule.column for rule in mapping.rules if rule.field == problem.field), problem.field
        )
        raise ImportRefused(
            [InputProblem(file, rows.get(problem.record_id or ""), column, problem.reason)]
        ) from None
    report.created += len(new)
    for number, record in chunk:
        if record.id in existing or _key(record) in existing:
            _save(uow, record, report, file, number, mapping)


def _key(record: Record) -> str:
    return (
        f"\0{record.source}\0{record.external_id}" if record.source and record.external_id else ""
    )


def _existing(uow: UnitOfWork, chunk: list[Record]) -> set[str]:
    """Ids of the chunk's records already stored, and upsert keys already stored."""
    found: set[str] = set()
    kind = chunk[0].kind if chunk else ""
    for start in range(0, len(chunk), 500):
        part = chunk[start : start + 500]
        ids = [r.id for r in part]
        externals = [r.external_id for r in part if r.source and r.external_id]
        rows = uow.connection.execute(
            sa.select(records.c.id).where(records.c.id.in_(ids), records.c.deleted_at.is_(None))
        )
        found.update(str(row.id) for row in rows)
        if externals:
            rows = uow.connection.execute(
                sa.select(records.c.source, records.c.external_id).where(
                    records.c.kind == kind,
                    records.c.external_id.in_(externals),
                    records.c.deleted_at.is_(None),
                )
            )
            found.update(f"\0{row.source}\0{row.external_id}" for row in rows)
    found.discard("")
    return found


def _save(
    uow: UnitOfWork, record: Record, report: ImportReport, file: str, number: int, mapping: Mapping
) -> None:
    try:
        existing_id: str | None = None
        if record.source and record.external_id:
            existing_id = uow.find_external(record.kind, record.source, record.external_id)
        elif uow.exists(record.id):
            existing_id = record.id
        if existing_id is None:
            uow.add(record)
            report.created += 1
            return
        candidate = record.model_copy(update={"id": existing_id})
        if content_fields(uow.get(existing_id)) == content_fields(candidate):
            report.unchanged += 1  # re-importing the same data changes nothing
            return
        uow.update(candidate)
        report.updated += 1
    except RecordProblem as problem:
        column = next(
            (rule.column for rule in mapping.rules if rule.field == problem.field), problem.field
        )
        raise ImportRefused([InputProblem(file, number, column, problem.reason)]) from None


def _targets_first(rows: list[tuple[int, Record]]) -> list[tuple[int, Record]]:
    """The rows reordered so a record referred to by another row of the file is written first
    (a place before the places inside it); otherwise file order is kept."""
    by_id = {record.id: (number, record) for number, record in rows}
    if not any(
        target in by_id for _, record in rows for target in record.referenced_ids().values()
    ):
        return rows  # nothing in the file refers to another of its rows (most files)
    ordered: list[tuple[int, Record]] = []
    state: dict[str, int] = {}  # 1 = being visited, 2 = written
    for number, record in rows:
        if record.id in state:
            continue
        # Iterative post-order depth-first walk over references to rows of this file.
        stack: list[tuple[tuple[int, Record], bool]] = [((number, record), False)]
        while stack:
            item, expanded = stack.pop()
            record_id = item[1].id
            if expanded:
                state[record_id] = 2
                ordered.append(item)
                continue
            if record_id in state:
                continue  # already written, or a cycle (the store will report it)
            state[record_id] = 1
            stack.append((item, True))
            for target in item[1].referenced_ids().values():
                if target in by_id and target not in state:
                    stack.append((by_id[target], False))
    return ordered


def _place_index(uow: UnitOfWork) -> PlaceIndex:
    index = PlaceIndex()
    for place in uow.iter_kind("place"):
        if isinstance(place, Place):
            index.add(place.id, [name.text for name in place.names])
    return index


def _known(uow: UnitOfWork) -> Known:
    known = Known()
    rows = uow.connection.execute(
        sa.select(records.c.id, records.c.kind, records.c.source, records.c.external_id).where(
            records.c.deleted_at.is_(None)
        )
    )
    for row in rows:
        known.ids[row.id] = row.kind
        if row.source is not None and row.external_id is not None:
            known.external[(row.kind, row.source, row.external_id)] = row.id
    return known


def _checkpoint_key(path: Path, mapping: Mapping, source: str | None) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    digest.update(f"\0{mapping.kind}\0{source or mapping.source or ''}".encode())
    return "import:" + digest.hexdigest()[:56]


def _checkpoint(store: RecordStore, key: str) -> int | None:
    with store.read() as uow:
        row = uow.connection.execute(sa.select(meta.c.value).where(meta.c.key == key)).first()
    return None if row is None else int(json.loads(row.value)["done"])


def _set_checkpoint(uow: UnitOfWork, key: str, done: int | None) -> None:
    uow.connection.execute(sa.delete(meta).where(meta.c.key == key))
    if done is not None:
        uow.connection.execute(sa.insert(meta).values(key=key, value=json.dumps({"done": done})))
