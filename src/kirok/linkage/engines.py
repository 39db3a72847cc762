"""Splink database back ends: DuckDB (embedded, default) and Spark (local or a cluster).

Spark needs Splink's similarity jar on the session (Jaro–Winkler is a Scala UDF there) and a
checkpoint directory (u estimation breaks lineage through checkpoints).
"""

from __future__ import annotations

import tempfile
from typing import Any, Literal

Engine = Literal["duckdb", "spark"]
ENGINES: tuple[Engine, ...] = ("duckdb", "spark")


def duckdb_api() -> Any:
    """A Splink DuckDB API on a fresh in-memory database."""
    from splink import DuckDBAPI

    return DuckDBAPI()


def spark_session(master: str = "local[*]", checkpoint_dir: str | None = None) -> Any:
    """A Spark session ready for Splink: similarity jar loaded, checkpoint directory set."""
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    spark = (
        SparkSession.builder.master(master)
        .appName("kirok-linkage")
        .config("spark.jars", similarity_jar_location())
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    spark.sparkContext.setCheckpointDir(checkpoint_dir or tempfile.mkdtemp(prefix="kirok-spark-"))
    return spark


def spark_api(spark: Any) -> Any:
    """A Splink Spark API over an existing session."""
    from splink import SparkAPI

    return SparkAPI(spark_session=spark, num_partitions_on_repartition=4)  # type: ignore[no-untyped-call]


def make_api(engine: str, spark: Any | None = None) -> Any:
    """The Splink API for an engine name; a Spark session is created when none is given."""
    if engine == "duckdb":
        return duckdb_api()
    if engine == "spark":
        return spark_api(spark if spark is not None else spark_session())
    raise ValueError(f"unknown engine {engine!r}; expected one of {ENGINES}")
