"""Engines for the two backends, with the settings each needs to keep data safe."""

from __future__ import annotations

import os
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

DEFAULT_URL = "sqlite:///kirok.db"
URL_ENV = "KIROK_DATABASE_URL"
WRITE_OPTION = "kirok_write"


def resolve_url(url: str | None = None) -> str:
    """``--db`` wins, then ``KIROK_DATABASE_URL``, then the embedded default."""
    chosen = url or os.environ.get(URL_ENV) or DEFAULT_URL
    # Accept the plain PostgreSQL scheme; psycopg 3 is the driver kirok ships with.
    if chosen.startswith("postgresql://") or chosen.startswith("postgres://"):
        chosen = "postgresql+psycopg://" + chosen.split("://", 1)[1]
    return chosen


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL: readers never block the writer; foreign keys are off in SQLite unless asked for.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # 64 MiB of page cache: the keyed search index is written at random keys, and the default
    # 2 MiB cache re-reads its pages over and over during bulk loads (bench/README.md).
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def create_engine(url: str | None = None) -> Engine:
    resolved = resolve_url(url)
    if resolved.startswith("sqlite"):
        engine = sa.create_engine(resolved)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        # Let SQLAlchemy, not pysqlite, issue BEGIN, so a unit of work is one real transaction.
        sa.event.listen(engine, "connect", _disable_pysqlite_begin)
        sa.event.listen(engine, "begin", _begin_immediate)
        return engine
    # psycopg prepares a statement on the server after five runs, and PostgreSQL may then plan
    # it once for any parameters. A search asks for tokens whose frequency ranges from a handful
    # of rows to half the table: a generic plan walked the whole index for a rare name (240 ms
    # instead of 0.4). Each run is planned for its own parameters.
    return sa.create_engine(
        resolved,
        pool_pre_ping=True,
        connect_args={"options": "-c plan_cache_mode=force_custom_plan"},
    )


def _disable_pysqlite_begin(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


def _begin_immediate(connection: sa.Connection) -> None:
    # A writing unit of work takes the write lock at its start, so two writers queue (busy_timeout)
    # instead of one failing mid-transaction when it upgrades a read lock.
    writing = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
