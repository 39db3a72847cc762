"""The import benchmark still runs and checks what it imported (tiny sizes, no wall time)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-W", "error", str(ROOT / "bench" / "bench_import.py"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def _check(out: str, backend: str, rows: int) -> None:
    for step in ("plain inserts", "kirok import --dry-run", "kirok import (sealed"):
        line = next((line for line in out.splitlines() if step in line), None)
        assert line is not None, out
        rate, wall, cpu, per_cpu = line.split()[-4:]
        assert float(rate.replace(",", "")) > 0 and float(wall) >= 0 and float(cpu) >= 0, line
    assert f"check: {rows:,} persons stored once, all sealed" in out, out
    found = re.search(r"found ([\d,]+) of ([\d,]+) expected", out)
    assert found is not None and found.group(1) == found.group(2) != "0", out
    assert re.search(rf"RATIO {backend} import/plain = \d+\.\d{{4}}", out), out


def test_import_bench_sqlite() -> None:
    out = _run("--rows", "300", "--backend", "sqlite")
    _check(out, "sqlite", 300)
    assert re.search(r"TARGET sqlite: [\d,]+ rows/s \(target >= 5,000 rows/s: (met|NOT met)\)", out)


def test_import_bench_batches_sqlite() -> None:
    out = _run("--rows", "250", "--batch", "100", "--backend", "sqlite")
    assert "batches of 100" in out
    _check(out, "sqlite", 250)


@pytest.mark.postgres
def test_import_bench_postgres() -> None:
    out = _run("--rows", "200", "--backend", "postgres")
    _check(out, "postgres", 200)
    assert "IMPORT postgres:" in out
