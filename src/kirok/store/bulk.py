"""Many rows into one table through the driver's executemany, with SQLAlchemy's value conversions.

``connection.execute(insert(table), rows)`` compiles the statement once but then processes every
row's parameters in several layers of Python; for a bulk load of 100,000 records that overhead
costs about as much as SQLite's own work. Here each column's bind processor (the dialect's own:
JSON serialisation, SQLite's date and timestamp strings, PostgreSQL's JSON wrapper) is looked up
once and applied in one pass, and the rows go to the driver as plain tuples. What reaches the
database is exactly what the Core insert would have sent. On PostgreSQL the rows go through
``COPY … FROM STDIN`` (psycopg adapts each value as it would for a parameter), which spares the
server a statement per row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

if TYPE_CHECKING:
    import psycopg


def insert_rows(connection: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT ``rows`` (dicts with the same keys) into ``table`` in one executemany."""
    if not rows:
        return
    dialect = connection.dialect
    names = list(rows[0])
    processors: list[Callable[[Any], Any] | None] = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    ]
    if any(processors):
        pairs = [
            (n, None if p is None else _remembering(p))
            for n, p in zip(names, processors, strict=True)
        ]
        parameters = [tuple(row[n] if p is None else p(row[n]) for n, p in pairs) for row in rows]
    else:
        parameters = [tuple(row[n] for n in names) for row in rows]
    insert_tuples(connection, table.name, names, parameters)


def insert_tuples(
    connection: Connection, table: str, names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """INSERT driver-ready tuples: COPY on PostgreSQL, one executemany elsewhere."""
    if not rows:
        return
    columns = ", ".join(names)
    if connection.dialect.name == "postgresql":
        raw = cast("psycopg.Connection[Any]", connection.connection.dbapi_connection)
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    statement = f"INSERT INTO {table} ({columns}) VALUES ({', '.join([mark] * len(names))})"
    connection.exec_driver_sql(statement, list(rows))


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
