"""One model JSON, two engines: DuckDB and Spark give the same clusters."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from kirok.linkage.model import build_settings, for_dialect  # noqa: E402
from kirok.linkage.pipeline import link_records  # noqa: E402
from test_linkage_small import _records  # noqa: E402


def test_model_sql_translates_both_ways() -> None:
    model = build_settings(100)
    spark = for_dialect(model, "spark")
    text = str(spark)
    assert "jaro_winkler(" in text and "jaro_winkler_similarity" not in text
    assert "arrays_overlap(" in text and "list_has_any(" not in text
    # a model stored before the overlap test was list_has_any still translates
    old = {"comparisons": [{"comparison_levels": [{"sql_condition": 'array_length(list_intersect("a_l", "a_r")) >= 1'}]}]}  # fmt: skip  # noqa: E501
    assert "size(array_intersect(`a_l`, `a_r`))" in str(for_dialect(old, "spark"))
    assert "array_contains(" in text and "list_contains(" not in text
    assert for_dialect(spark, "duckdb") == for_dialect(model, "duckdb")
    with pytest.raises(ValueError, match="unknown engine"):
        for_dialect(model, "oracle")


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    pytest.importorskip("pyspark")
    from kirok.linkage.engines import spark_session

    session = spark_session("local[2]", str(tmp_path_factory.mktemp("checkpoints")))
    yield session
    session.stop()


@pytest.mark.spark
@pytest.mark.slow
def test_duckdb_and_spark_give_the_same_clusters(spark: Any) -> None:
    records, _ = _records()
    on_duckdb = link_records(records)
    on_spark = link_records(records, engine="spark", model=on_duckdb.model, spark=spark)
    assert on_spark.clusters == on_duckdb.clusters
    assert {p.key for p in on_spark.review} == {p.key for p in on_duckdb.review}
    duck = {p.key: p.match_probability for p in on_duckdb.pairs}
    sparkp = {p.key: p.match_probability for p in on_spark.pairs}
    assert duck.keys() == sparkp.keys()
    assert all(abs(duck[k] - sparkp[k]) < 1e-9 for k in duck)
