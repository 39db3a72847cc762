"""`kirok estimate FILE.csv` prints the DESIGN.md JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kirok.cli import app

KOSOVO = Path(__file__).parent / "data" / "kosovo.csv"


def test_estimate_loglinear_prints_design_json() -> None:
    result = CliRunner().invoke(app, ["estimate", str(KOSOVO)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in ("method", "model", "n_observed", "estimate", "ci_lower", "ci_upper"):
        assert key in data
    assert data["method"] == "loglinear"
    assert data["model"] == "[123,14,34]"
    assert data["n_observed"] == 4400
    assert data["estimate"] == pytest.approx(10356.5, abs=0.1)
    assert len(data["data_sha256"]) == 64
    assert "choice of model" in result.stderr


def test_estimate_with_named_model_and_ranking() -> None:
    result = CliRunner().invoke(app, ["estimate", str(KOSOVO), "--model", "[123,134]", "--ranking"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["model"] == "[123,134]"
    assert len(data["details"]["ranking"]) == 113


def test_bad_input_fails_with_the_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("a,b,count\n1,0,5\n1,yes,2\n")
    result = CliRunner().invoke(app, ["estimate", str(path)])
    assert result.exit_code == 2
    assert "line 3, column 'b'" in result.stderr


def test_bad_model_name_fails_cleanly() -> None:
    result = CliRunner().invoke(app, ["estimate", str(KOSOVO), "--model", "[1234]"])
    assert result.exit_code == 2
    assert "unidentified" in result.stderr


def test_estimate_lcmcr_short_run_with_plots(tmp_path: Path) -> None:
    args = ["estimate", str(KOSOVO), "--method", "lcmcr", "-K", "3", "--chains", "2"]
    args += ["--processes", "1", "--seed", "7", "--max-sweeps", "2000", "--target-ess", "100"]
    result = CliRunner().invoke(app, [*args, "--plots", str(tmp_path)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["method"] == "lcmcr" and data["seed"] == 7
    assert data["ci_lower"] < data["estimate"] < data["ci_upper"]
    assert data["diagnostics"]["sweeps_per_chain"] <= 2000
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["lcmcr-posterior.png", "lcmcr-traces.png"]
    again = CliRunner().invoke(app, args)
    assert json.loads(again.stdout)["estimate"] == data["estimate"]


def test_loglinear_sensitivity_plot(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["estimate", str(KOSOVO), "--plots", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "loglinear-sensitivity.png").stat().st_size > 1000
