"""Estimation over the database: demo data → linkage → capture histories → stored estimate."""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pytest
from typer.testing import CliRunner

from kirok.cli import app
from kirok.demo.synthetic import generate
from kirok.domain.records import EstimationRun
from kirok.estimation import plots
from kirok.estimation.result import EstimationResult
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


def test_lcmcr_run_is_stored_with_its_plots(demo_store: RecordStore) -> None:
    """The stored run carries what its posterior and trace plots are drawn from, and they redraw
    from the stored record alone, the same data point for point."""
    options = {"classes": 3, "burn_in": 500, "first_block": 2000, "max_sweeps": 4000}
    (run,) = estimates.estimate_db(
        demo_store,
        "analyst",
        method="lcmcr",
        chains=2,
        seed=3,
        lcmcr_options={**options, "target_ess": 100, "processes": 1},
    )
    with demo_store.read() as uow:
        stored = uow.get(run.id, "estimation_run")
    assert isinstance(stored, EstimationRun)
    result = json.loads(json.dumps(stored.result))  # what a database row gives back
    posterior, traces = result["plots"]["posterior"], result["plots"]["traces"]
    edges, density = np.array(posterior["edges"]), np.array(posterior["density"])
    assert len(edges) == len(density) + 1 and np.all(np.diff(edges) > 0)
    assert np.sum(density * np.diff(edges)) == pytest.approx(1.0)
    # the histogram is of the draws the reported numbers come from
    below = np.cumsum(density * np.diff(edges))[np.searchsorted(edges, run.estimate) - 1]
    assert 0.4 < below < 0.6
    assert edges[0] >= run.n_observed and edges[0] <= run.ci_lower <= run.ci_upper <= edges[-1]
    chains = np.array(traces["chains"])
    sweeps = result["diagnostics"]["sweeps_per_chain"]
    assert chains.shape == (2, sweeps // traces["sweeps_between_points"])
    assert chains.min() >= run.n_observed and edges[0] <= chains.min() <= chains.max() <= edges[-1]

    drawn = plots.stored_figure(result, "posterior")
    (patch,) = drawn.axes[0].patches
    values, patch_edges, _ = patch.get_data()
    assert np.array_equal(values, density) and np.array_equal(patch_edges, edges)
    drawn = plots.stored_figure(result, "traces")
    lines = [line.get_ydata() for line in drawn.axes[0].get_lines()]
    assert all(np.array_equal(a, b) for a, b in zip(lines, chains, strict=True))
    assert plots.stored_figure(result, "sensitivity") is None


def test_loglinear_run_stores_its_sensitivity_not_draws(demo_store: RecordStore) -> None:
    (run,) = estimates.estimate_db(demo_store, "analyst")
    assert run.result["plots"] == {}
    assert plots.stored_figure(run.result, "posterior") is None
    drawn = plots.stored_figure(run.result, "sensitivity")
    rows = run.result["details"]["sensitivity"]
    assert drawn is not None and len(drawn.axes[0].get_yticklabels()) == len(rows)
    with pytest.raises(ValueError, match="no plot named"):
        plots.stored_figure(run.result, "pie")


def test_a_result_comes_back_from_its_dictionary(demo_store: RecordStore) -> None:
    (run,) = estimates.estimate_db(demo_store, "analyst")
    again = EstimationResult.from_dict(json.loads(json.dumps(run.result)))
    assert again.to_dict() == {k: v for k, v in run.result.items() if k in again.to_dict()}
