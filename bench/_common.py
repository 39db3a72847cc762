"""Small helpers shared by the benchmarks: timing, peak memory and throwaway databases.

Benchmarks print ratios against a baseline measured in the same run, on the same data and the
same machine; absolute rows per second depend on the machine and on whatever else runs on it,
the ratio much less so. Nothing here asserts a wall time.
"""

from __future__ import annotations

import os
import resource
import sys
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

PG_ADMIN_ENV = "KIROK_BENCH_PG_ADMIN_URL"
PG_ADMIN_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@dataclass
class Stopwatch:
    """Accumulates the wall time of many short timed sections (``with watch: ...``), and the
    CPU time this process spent in them: on a busy machine wall time includes waiting for a
    core, CPU time does not (but it leaves out the work of a database server)."""

    seconds: float = 0.0
    cpu: float = 0.0
    laps: int = 0
    _started: tuple[float, float] = field(default=(0.0, 0.0), repr=False)

    def __enter__(self) -> Stopwatch:
        self._started = (time.perf_counter(), time.process_time())
        return self

    def __exit__(self, *_exc: object) -> None:
        wall, cpu = self._started
        self.seconds += time.perf_counter() - wall
        self.cpu += time.process_time() - cpu
        self.laps += 1

    def rate(self, rows: int) -> float:
        """Rows per second over the accumulated time."""
        return rows / self.seconds if self.seconds > 0 else float("inf")


@contextmanager
def traced_peak() -> Iterator[list[int]]:
    """Peak bytes allocated by Python inside the block (``tracemalloc``), as a one-item list.

    tracemalloc slows allocation-heavy code several times over, so use it in a separate,
    untimed pass, never around the timed sections.
    """
    result = [0]
    already = tracemalloc.is_tracing()
    if not already:
        tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        yield result
    finally:
        result[0] = tracemalloc.get_traced_memory()[1]
        if not already:
            tracemalloc.stop()


def max_rss_bytes() -> int:
    """The process's peak resident set size so far (kilobytes on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def mib(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:,.1f} MiB"


def sqlite_url(directory: Path, name: str) -> str:
    return f"sqlite:///{directory / f'{name}.db'}"


def pg_admin_url() -> str:
    return os.environ.get(PG_ADMIN_ENV, PG_ADMIN_DEFAULT)


def postgres_available() -> bool:
    """Whether the PostgreSQL server named by ``KIROK_BENCH_PG_ADMIN_URL`` answers."""
    engine = sa.create_engine(pg_admin_url(), connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        return True
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


def kept_postgres(name: str) -> str:
    """The URL of a PostgreSQL database kept between runs (``--keep``), created if missing."""
    admin_url = pg_admin_url()
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.exec_driver_sql(
                "SELECT 1 FROM pg_database WHERE datname = %(name)s", {"name": name}
            ).first()
            if exists is None:
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        admin.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name


@contextmanager
def throwaway_postgres(prefix: str = "kirok_bench") -> Iterator[str]:
    """A PostgreSQL database created for the block and dropped after it, even on error."""
    admin_url = pg_admin_url()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield admin_url.rsplit("/", 1)[0] + "/" + name
        finally:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()
