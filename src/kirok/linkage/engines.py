"""Splink database back ends: DuckDB (embedded, default) and Spark (local or a cluster).

Spark needs Splink's similarity jar on the session (Jaro–Winkler is a Scala UDF there) and a
checkpoint directory (u estimation breaks lineage through checkpoints).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Literal

import pandas as pd

Engine = Literal["duckdb", "spark"]
ENGINES: tuple[Engine, ...] = ("duckdb", "spark")


def duckdb_connection() -> Any:
    """A fresh in-memory DuckDB database that spills to the system's temporary directory.

    DuckDB's default spill folder for an in-memory database is ``.tmp`` in the working
    directory: large runs would leave hundreds of MiB of pair tables in the user's checkout.
    """
    import duckdb

    connection = duckdb.connect()
    # one shared folder: DuckDB names its spill files by process, and removes them on close
    spill = Path(tempfile.gettempdir()) / "kirok-duckdb"
    connection.execute("SET temp_directory = ?", [str(spill)])
    return connection


def duckdb_api() -> Any:
    """A Splink DuckDB API on a fresh in-memory database."""
    from splink import DuckDBAPI

    return DuckDBAPI(duckdb_connection())


def spark_session(master: str = "local[*]", checkpoint_dir: str | None = None) -> Any:
    """A Spark session ready for Splink: similarity jar loaded, checkpoint directory set."""
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    spark = (
        SparkSession.builder.master(master)
        .appName("kirok-linkage")
        .config("spark.jars", similarity_jar_location())
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    spark.sparkContext.setCheckpointDir(checkpoint_dir or tempfile.mkdtemp(prefix="kirok-spark-"))
    return spark


def spark_api(spark: Any) -> Any:
    """A Splink Spark API over an existing session."""
    from splink import SparkAPI

    api: Any = SparkAPI(  # type: ignore[no-untyped-call]
        spark_session=spark, num_partitions_on_repartition=2, break_lineage_method="persist"
    )
    return api


# Columns that list numbers: the pairs a record belongs to (kirok.linkage.scale's explainer).
_NUMBER_LISTS = ("pair_no",)


def to_spark_frame(spark: Any, frame: pd.DataFrame) -> Any:
    """A prepared pandas frame as a Spark DataFrame with an explicit schema.

    Registering pandas directly makes Splink fill nulls in a way pandas deprecates; an explicit
    schema also keeps ``name_keys`` an array and ``birth_year`` an integer.
    """
    from pyspark.sql import types as T

    fields = []
    whole: set[str] = set()  # integer columns (birth_year; record numbers on the scale path)
    for name in frame.columns:
        if name in ("name_keys", "name_prefixes", "given_keys"):
            kind: Any = T.ArrayType(T.StringType())
        elif name in _NUMBER_LISTS:
            kind = T.ArrayType(T.LongType())
        elif name == "birth_year" or pd.api.types.is_integer_dtype(frame[name]):
            kind = T.LongType()
            whole.add(name)
        else:
            kind = T.StringType()
        fields.append(T.StructField(name, kind, True))
    rows = [
        tuple(None if _missing(v) else (int(v) if c in whole else v) for c, v in
              zip(frame.columns, row, strict=True))
        for row in frame.itertuples(index=False, name=None)
    ]  # fmt: skip
    return spark.createDataFrame(rows, T.StructType(fields))


def _missing(value: Any) -> bool:
    if isinstance(value, list):
        return False
    return value is None or bool(pd.isna(value))


def make_api(engine: str, spark: Any | None = None) -> Any:
    """The Splink API for an engine name; a Spark session is created when none is given."""
    if engine == "duckdb":
        return duckdb_api()
    if engine == "spark":
        return spark_api(spark if spark is not None else spark_session())
    raise ValueError(f"unknown engine {engine!r}; expected one of {ENGINES}")
