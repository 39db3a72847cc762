"""One model JSON, two engines: DuckDB and Spark give the same clusters."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from kirok.linkage.defaults import SCALE_THRESHOLD  # noqa: E402
from kirok.linkage.model import build_settings, for_dialect  # noqa: E402
from kirok.linkage.pipeline import link_records  # noqa: E402
from kirok.linkage.scale import SCALE_BLOCKING_RULES  # noqa: E402
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


@pytest.mark.spark
@pytest.mark.slow
def test_a_large_input_on_spark_is_linked_with_the_scale_settings(spark: Any) -> None:
    import numpy as np

    from bench_support import bench_module

    bench = bench_module("bench_linkage_scale")
    data = bench.generate(2500, seed=3)
    on_spark = link_records(data.frame, engine="spark", spark=spark, scale_input=2000)
    # trained and run on Spark with the scale path's blocking union and threshold
    assert on_spark.trained and on_spark.threshold == SCALE_THRESHOLD
    rules = [r["blocking_rule"] for r in on_spark.model["blocking_rules_to_generate_predictions"]]
    assert rules == [r["blocking_rule"] for r in SCALE_BLOCKING_RULES]
    ids = data.frame["record_id"].tolist()
    at = {rid: i for i, rid in enumerate(ids)}
    roots = np.array([at[on_spark.clusters[rid]] for rid in ids])
    found = bench.cluster_metrics(data.person, roots)
    assert found["precision"] >= 0.98 and found["recall"] > 0.7, found
    # the model it trained, run on DuckDB (on the scale path too), scores and clusters every
    # pair the same
    on_duckdb = link_records(data.frame, model=on_spark.model, scale_input=2000)
    assert not on_duckdb.trained
    assert on_duckdb.model["blocking_rules_to_generate_predictions"] == [
        dict(r) for r in SCALE_BLOCKING_RULES
    ]
    assert on_duckdb.clusters == on_spark.clusters
    duck = {p.key: p for p in on_duckdb.pairs}
    sparkp = {p.key: p for p in on_spark.pairs}
    assert duck.keys() == sparkp.keys() and len(duck) > 50
    for key, pair in sparkp.items():
        assert pair.match_probability == pytest.approx(duck[key].match_probability, abs=1e-9)
        assert pair.levels == duck[key].levels and pair.weights  # each link shows why
