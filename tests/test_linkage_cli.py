"""`kirok link dedupe FILE.csv --out CLUSTERS.csv` honours the file contract."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from kirok.cli import app

ROWS = [
    ("r1", "김정일", "", "1942-02-16", "M"),
    ("r2", "Kim Jong-il", "", "1942", "male"),
    ("r3", "KIM Chŏng-il", "", "1942-02-16", "M"),
    ("r4", "리설주", "", "1989", "F"),
    ("r5", "Lee Seol-ju", "이설주", "1989", "여"),
    ("r6", "박근혜", "", "1952", "F"),
    ("r7", "Choe Ryong Hae", "", "1950", "M"),
]


def _write(tmp_path: Path) -> Path:
    path = tmp_path / "people.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["record_id", "full_name", "aliases", "birth_date", "sex"])
        writer.writerows(ROWS)
    return path


def _clusters(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["record_id", "cluster_id"]
    return {r["record_id"]: r["cluster_id"] for r in rows}


def test_dedupe_writes_a_cluster_for_every_record(tmp_path: Path) -> None:
    source = _write(tmp_path)
    out, pairs, model = tmp_path / "clusters.csv", tmp_path / "pairs.csv", tmp_path / "m.json"
    result = CliRunner().invoke(
        app,
        ["link", "dedupe", str(source), "--out", str(out), "--pairs", str(pairs),
         "--save-model", str(model)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    clusters = _clusters(out)
    assert list(clusters) == [r[0] for r in ROWS]
    assert clusters["r1"] == clusters["r2"] == clusters["r3"]
    assert clusters["r4"] == clusters["r5"]
    assert len({clusters["r1"], clusters["r4"], clusters["r6"], clusters["r7"]}) == 4
    assert "7 records" in result.output
    with pairs.open(encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert "mw_given" in header and "level_surname" in header
    assert json.loads(model.read_text(encoding="utf-8"))["comparisons"]
    assert "fixed priors" in result.output  # seven records: not trained
    again = CliRunner().invoke(
        app, ["link", "dedupe", str(source), "--out", str(out), "--model", str(model)]
    )
    assert again.exit_code == 0, again.output
    assert _clusters(out) == clusters
    assert "fixed priors" not in again.output  # the model given is what scored them


def test_decisions_file_is_honoured(tmp_path: Path) -> None:
    source = _write(tmp_path)
    decisions = tmp_path / "decisions.csv"
    decisions.write_text("record_id_l,record_id_r,decision\nr2,r1,different\nr1,r3,different\n"
                         "r6,r7,same\n", encoding="utf-8")  # fmt: skip
    out = tmp_path / "clusters.csv"
    result = CliRunner().invoke(
        app, ["link", "dedupe", str(source), "--out", str(out), "--decisions", str(decisions)]
    )
    assert result.exit_code == 0, result.output
    clusters = _clusters(out)
    assert clusters["r1"] != clusters["r2"]
    assert clusters["r1"] != clusters["r3"]
    assert clusters["r6"] == clusters["r7"]


def test_bad_input_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("name\nKim\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["link", "dedupe", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "record_id" in result.output
