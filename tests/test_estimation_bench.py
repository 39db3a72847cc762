"""The estimation benchmark still runs and prints its ratios (tiny sizes, no time asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FAKE_REFERENCE = """\
import sys
_, csv, k, seed, burn_in, sweeps, thin, out = sys.argv
with open(out, "w") as f:
    for i in range(int(sweeps) // int(thin)):
        f.write(f"{10000 + (i * 7919 + int(seed)) % 997}\\n")
print(f"n=4400 K={k} us_per_sweep=12.500 sampling_wall_s=0.030")
"""


@pytest.mark.slow
def test_estimation_bench_prints_its_ratios(tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    reference.write_text(f"#!{sys.executable}\n{FAKE_REFERENCE}")
    reference.chmod(0o755)
    completed = subprocess.run(
        [
            sys.executable,
            "-W",
            "error",
            str(ROOT / "bench" / "bench_estimation.py"),
            "--sweeps",
            "2000",
            "--timing-sweeps",
            "1000",
            "--cpp",
            str(reference),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    out = completed.stdout
    assert completed.returncode == 0, out + completed.stderr
    for k in (5, 10):
        sweep = re.search(
            rf"K=\s*{k} sweep: numba\s+([0-9.]+) CPU µs .* C\+\+ 12\.5 µs measured", out
        )
        assert sweep is not None, out
        assert float(sweep.group(1)) > 0
        assert re.search(rf"K=\s*{k} ESS: \d+ chains x 2,000 sweeps .* bulk ESS \d+", out), out
        assert re.search(rf"K=\s*{k} C\+\+ chains: 2 x 2,000 sweeps .* tail ESS \d+", out), out
        rates = re.search(
            rf"K=\s*{k} ESS/s: kirok .* ratio bulk ([0-9.e+-]+)x, tail ([0-9.e+-]+)x .* per CPU "
            r"second",
            out,
        )
        assert rates is not None, out
        assert float(rates.group(1)) > 0 and float(rates.group(2)) > 0
    assert re.search(r"all 113 log-linear models: [0-9.]+ ms", out), out
