"""The benchmarks still run and still say what they measure (tiny sizes; no wall time asserted).

Each bench script runs in a subprocess, as a user would run it, and must print its ratio lines
and its own correctness check. Figures are not compared with anything: on a shared machine a
wall time means little, and a benchmark that fails on a slow day is worse than none.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
RATIO = (
    r"RATIO {backend} {phase} encrypted/plaintext = (\d+\.\d\d)x \(target <= 1\.5x: (met|NOT met)\)"
)


def _run(script: str, *args: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-W", "error", str(BENCH / script), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def _check_encryption_output(out: str, backend: str, n: int) -> None:
    for phase in ("insert", "read"):
        match = re.search(RATIO.format(backend=backend, phase=phase), out)
        assert match is not None, out
        assert float(match.group(1)) > 0
    assert re.search(rf"TARGET {backend}: (met|NOT met)", out), out
    # The bench's own check: every variant returned exactly what was written, and only the
    # encrypted store sealed anything.
    assert f"{n:,} persons read back from every variant identical to what was written" in out
    assert f"rows with sealed fields: encrypted {n:,}, plaintext 0, bare 0" in out
    assert "peak resident set size" in out


@pytest.mark.slow
def test_encryption_bench_sqlite() -> None:
    out = _run("bench_encryption.py", "--n", "30", "--batch", "10", "--backend", "sqlite")
    _check_encryption_output(out, "sqlite", 30)
    assert "backend postgres" not in out


@pytest.mark.slow
def test_encryption_bench_per_record_inserts() -> None:
    out = _run(
        "bench_encryption.py", "--n", "12", "--batch", "5", "--backend", "sqlite", "--per-record"
    )
    assert "insert through UnitOfWork.add," in out
    _check_encryption_output(out, "sqlite", 12)


@pytest.mark.slow
@pytest.mark.postgres
def test_encryption_bench_postgres() -> None:
    out = _run("bench_encryption.py", "--n", "20", "--batch", "10", "--backend", "postgres")
    _check_encryption_output(out, "postgres", 20)


def _bench_module() -> ModuleType:
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location(
            "bench_encryption", BENCH / "bench_encryption.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up while defined
        spec.loader.exec_module(module)
        return module
    finally:
        sys.modules.pop("bench_encryption", None)
        sys.path.remove(str(BENCH))


def test_bench_data_is_reproducible_and_mixes_scripts() -> None:
    """Every variant must get the same persons: the generator depends on the seed only."""
    bench = _bench_module()
    first = bench.make_batch(7, 0, 200)
    again = bench.make_batch(7, 0, 200)
    other = bench.make_batch(8, 0, 200)
    assert [p.model_dump() for p in first] == [p.model_dump() for p in again]
    assert [p.id for p in first] != [p.id for p in other]
    assert len({p.id for p in first}) == 200
    hangul = re.compile(r"[\uac00-\ud7a3]")
    assert all(hangul.search(p.name_forms[0].text) for p in first)
    latin = [p.name_forms[1].text for p in first]
    assert all(re.fullmatch(r"[A-Z][\w']* [A-ZŎŬ][\w'-]*", t) for t in latin), latin
    assert not any(hangul.search(t) for t in latin)
    # Aliases, contacts, addresses and notes appear, but not on everyone.
    for field in ("aliases", "contact", "address", "notes"):
        filled = sum(bool(getattr(p, field)) for p in first)
        assert 0 < filled < 200, field


# -- bench_web.py: the web application and JSON API under load (issue #7) -------------------------

WEB_RATIO = (
    r"RATIO {backend} search p95/target = (\d+\.\d\d)x \(p95 (\d+\.\d) ms at (\d+) clients, "
    r"(\d[\d,]*) events; target < 100 ms: (met|NOT met)\)"
)


def _check_web_output(out: str, backend: str) -> None:
    match = re.search(WEB_RATIO.format(backend=backend), out)
    assert match is not None, out
    assert float(match.group(1)) > 0 and int(match.group(3)) == 3
    events = int(match.group(4).replace(",", ""))
    assert events >= 30
    for phase in ("sequential", "c=3"):
        for kind in ("search", "list"):
            assert re.search(rf"{phase}\s+{kind}\s+\d+\s+\d+\.\d\s+\d+\.\d", out), (phase, out)
        assert re.search(rf"{phase}\s+all\s+\d+\s+\d+\.\d req/s\s+server cpu", out), out
    assert f"check: {events:,} events listed, search finds a victim's event" in out


@pytest.mark.slow
def test_web_bench_sqlite() -> None:
    out = _run(
        "bench_web.py",
        *("--events", "30", "--backend", "sqlite", "--requests", "12", "--sequential", "6"),
        *("--concurrency", "3", "--profile", "--profile-requests", "4"),
    )
    _check_web_output(out, "sqlite")
    assert "profile of 4 in-process requests" in out
    assert "backend postgres" not in out


@pytest.mark.slow
@pytest.mark.postgres
def test_web_bench_postgres() -> None:
    out = _run(
        "bench_web.py",
        *("--events", "30", "--backend", "postgres", "--requests", "12", "--sequential", "6"),
        *("--concurrency", "3", "--plans", "--plans-rounds", "2"),
    )
    _check_web_output(out, "postgres")
    ratio = re.search(r"RATIO postgres search cpu walk/planner = (\d+\.\d\d)x", out)
    assert ratio is not None and float(ratio.group(1)) > 0, out
    assert "check: the same records in the same order" in out


def _web_module() -> ModuleType:
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("bench_web", BENCH / "bench_web.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        return module
    finally:
        sys.modules.pop("bench_web", None)
        sys.path.remove(str(BENCH))


def test_web_bench_chunks_are_unique_and_consistent() -> None:
    """Chunks of the demo data get ids of their own, and every reference still resolves."""
    bench = _web_module()
    chunks = list(bench.demo_chunks(7, 8000))  # a chunk is 3,000 people: ~3,700 events
    assert len(chunks) >= 2
    made = sum(n for _, n in chunks)
    assert 8000 <= made < 8000 * 1.1
    records = [r for batch, _ in chunks for r in batch]
    ids = [r.id for r in records]
    assert len(ids) == len(set(ids))
    known = set(ids)
    for record in records:
        for name, target in record.references.items():
            value = getattr(record, name)
            if value and target != "place":
                assert value in known, (record.kind, name, value)
    hangul = re.compile(r"[\uac00-\ud7a3]")
    titles = [r.title for r in records if r.kind == "event"]
    assert any(hangul.search(t) for t in titles) and any(t.isascii() for t in titles)
