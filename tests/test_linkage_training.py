"""EM sessions that cannot run leave the model as it was (kirok.linkage.pipeline.run_em_session)."""

from __future__ import annotations

import logging

import pandas as pd
import pytest
from splink import DuckDBAPI, Linker, block_on

from kirok.linkage.bulk import prepare_bulk
from kirok.linkage.engines import duckdb_connection
from kirok.linkage.model import build_settings, for_dialect
from kirok.linkage.pipeline import run_em_session


def _linker() -> Linker:
    records = pd.DataFrame(
        {
            "record_id": [f"r{i}" for i in range(6)],
            "full_name": ["김정일", "Kim Jong-il", "이설주", "Ri Sol-ju", "박영수", "Pak Yong-su"],
            "family_name": [""] * 6,
            "given_name": [""] * 6,
            "aliases": [""] * 6,
            "birth_date": ["1942-02-16", "1942-02-16", "1989-09-28", "1989", "1950", ""],
            "sex": ["M", "M", "F", "F", "M", "M"],
            "birth_place": ["", "", "", "", "", ""],
            "source": ["a", "b", "a", "b", "a", "b"],
        }
    )
    prepared = prepare_bulk(records)
    settings = for_dialect(build_settings(len(prepared)), "duckdb")
    api = DuckDBAPI(duckdb_connection())
    return Linker(api.register(prepared), settings, log_level=logging.WARNING)


def _comparisons(linker: Linker) -> list[str]:
    model = linker.misc.save_model_to_json()
    return [c["output_column_name"] for c in model["comparisons"]]


def test_a_session_that_cannot_run_keeps_every_comparison(caplog: pytest.LogCaptureFixture) -> None:
    linker = _linker()
    before = linker.misc.save_model_to_json()
    # no two records share a record number: the session has no pairs and Splink raises
    ran = run_em_session(linker, block_on("unique_id", "surname_cls"))
    assert ran is False
    assert "could not run" in caplog.text
    # the names were taken out of the model for the session; they are back, with their priors
    assert _comparisons(linker) == [c["output_column_name"] for c in before["comparisons"]]
    assert linker.misc.save_model_to_json()["comparisons"] == before["comparisons"]


def test_a_session_that_runs_trains_the_other_comparisons() -> None:
    linker = _linker()
    before = linker.misc.save_model_to_json()
    assert run_em_session(linker, block_on("surname_cls"), max_pairs=1_000.0) is True
    after = linker.misc.save_model_to_json()
    assert _comparisons(linker) == [c["output_column_name"] for c in before["comparisons"]]
    assert after["comparisons"] != before["comparisons"]  # something was trained
