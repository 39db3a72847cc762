"""Benchmarks as tests use them: a bench module's functions, or the script run small."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def bench_module(name: str) -> ModuleType:
    """``bench/<name>.py`` imported as a module (bench/ is not a package)."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.pop(0)


def run_bench(script: str, *args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    """``bench/<script>`` in a fresh interpreter with warnings as errors; never raises on a
    non-zero exit, so the test can show the output."""
    return subprocess.run(
        [sys.executable, "-W", "error", str(ROOT / "bench" / script), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
