"""Many rows into one table through the driver's executemany, with SQLAlchemy's value conversions.

``connection.execute(insert(table), rows)`` compiles the statement once but then processes every
row's parameters in several layers of Python; for a bulk load of 100,000 records that overhead
costs about as much as SQLite's own work. Here each column's bind processor (the dialect's own:
JSON serialisation, SQLite's date and timestamp strings, PostgreSQL's JSON wrapper) is looked up
once and applied in one pass, and the rows go to the driver as plain tuples. What reaches the
database is exactly what the Core insert would have sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def insert_rows(connection: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT ``rows`` (dicts with the same keys) into ``table`` in one executemany."""
    if not rows:
        return
    dialect = connection.dialect
    names = list(rows[0])
    processors: list[Callable[[Any], Any] | None] = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    ]
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    statement = (
        f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join([mark] * len(names))})"
    )
    if any(processors):
        pairs = [
            (n, None if p is None else _remembering(p))
            for n, p in zip(names, processors, strict=True)
        ]
        parameters = [tuple(row[n] if p is None else p(row[n]) for n, p in pairs) for row in rows]
    else:
        parameters = [tuple(row[n] for n in names) for row in rows]
    connection.exec_driver_sql(statement, parameters)


def _remembering(processor: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The processor, reusing its last result while it is handed the same object again (a
    batch shares one timestamp object across all its rows). Processors are pure functions."""
    last_in: Any = _NOTHING
    last_out: Any = None

    def process(value: Any) -> Any:
        nonlocal last_in, last_out
        if value is not last_in:
            last_in, last_out = value, processor(value)
        return last_out

    return process


_NOTHING = object()
