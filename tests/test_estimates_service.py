"""Estimation over the database: demo data → linkage → capture histories → stored estimate."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from kirok.cli import app
from kirok.demo.synthetic import generate
from kirok.domain.records import EstimationRun
from kirok.services import estimates, linkage
from kirok.services.context import Settings, open_store
from kirok.services.demo import run_demo
from kirok.store.repository import RecordStore

POPULATION = 400


@pytest.fixture(scope="module")
def demo_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    folder = tmp_path_factory.mktemp("demo")
    settings = Settings(
        db_url=f"sqlite:///{folder / 'k.db'}",
        keystore=folder / "keys.json",
        key_file=folder / "kirok.key",
    )
    run_demo(settings, "test", population=POPULATION, seed=11)
    return settings


@pytest.fixture(scope="module")
def demo_store(demo_settings: Settings) -> Iterator[RecordStore]:
    with open_store(demo_settings) as store:
        linkage.run_linkage(store, "analyst")
        yield store


def test_histories_from_linked_clusters_match_the_truth(demo_store: RecordStore) -> None:
    dataset = generate(seed=11, population=POPULATION)
    true_documented = int(dataset.captures.any(axis=1).sum())
    _, rows = estimates.capture_records(demo_store)
    clusters = {cluster for cluster, _, _ in rows}
    victims = len(dataset.rows)
    # Linkage is tuned against false merges: it may leave duplicates apart, rarely joins two
    # people. So the clusters lie between the true number and the number of records, and most
    # true duplicates are joined.
    assert true_documented * 0.97 <= len(clusters) < victims
    assert victims - len(clusters) >= 0.5 * (victims - true_documented)
    assert {source for _, source, _ in rows} == {ngo.label for ngo in dataset.ngos}


def test_estimate_is_stored_with_its_provenance(demo_store: RecordStore) -> None:
    (run,) = estimates.estimate_db(demo_store, "analyst")
    assert run.method == "loglinear" and run.stratum is None
    assert run.ci_lower is not None and run.ci_upper is not None
    assert run.ci_lower <= run.estimate <= run.ci_upper
    assert run.estimate >= run.n_observed
    assert run.result["data_sha256"] and run.result["settings"]
    with demo_store.read() as uow:
        stored = uow.get(run.id, "estimation_run")
    assert isinstance(stored, EstimationRun) and stored.linkage_run_id is not None


def test_strata_and_act_filter(demo_store: RecordStore) -> None:
    runs = estimates.estimate_db(demo_store, "analyst", by="year", min_observed=30)
    assert runs and all(r.stratum and (r.stratum.isdigit() or r.stratum == "unknown") for r in runs)
    with pytest.raises(ValueError, match="--by"):
        estimates.estimate_db(demo_store, "analyst", by="colour")


def test_cli_estimate_db_prints_and_stores(
    demo_store: RecordStore, demo_settings: Settings
) -> None:
    args = ["estimate", "db", "--db", demo_settings.db_url]
    args += ["--keystore", str(demo_settings.keystore), "--key-file", str(demo_settings.key_file)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    (line,) = [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]
    assert line["method"] == "loglinear" and line["stratum"] is None
    with demo_store.read() as uow:
        stored = uow.get(line["id"], "estimation_run")
    assert isinstance(stored, EstimationRun) and stored.estimate == line["estimate"]
