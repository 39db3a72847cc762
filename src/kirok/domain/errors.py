"""Errors that name what was wrong, where: a record, a field, a row."""

from __future__ import annotations


class KirokError(Exception):
    """Base of kirok's own errors: each carries a message fit to show a person."""


class RecordProblem(KirokError):
    """A record (or an input row) that cannot be stored as given."""

    def __init__(self, kind: str, record_id: str | None, field: str | None, reason: str) -> None:
        self.kind = kind
        self.record_id = record_id
        self.field = field
        self.reason = reason
        where = f"{kind} {record_id}" if record_id else kind
        if field:
            where += f", field {field!r}"
        super().__init__(f"{where}: {reason}")


class NotFound(KirokError):
    def __init__(self, record_id: str, kind: str | None = None) -> None:
        self.record_id = record_id
        super().__init__(f"no {kind or 'record'} with id {record_id!r}")


class ConcurrentUpdate(KirokError):
    """The record changed since it was read; the caller must re-read and retry."""
