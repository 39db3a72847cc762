"""The core commands end to end, through the Typer app, on a real database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kirok.cli import app
from kirok.cli.reference import render
from kirok.domain.records import Event
from kirok.services import public_facts
from kirok.services.context import Settings, open_store

runner = CliRunner()


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "KIROK_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "KIROK_KEY_FILE": str(tmp_path / "kirok.key"),
        "KIROK_KEYSTORE": str(tmp_path / "keys.json"),
    }


@pytest.fixture
def demo_env(tmp_path: Path) -> dict[str, str]:
    env = _env(tmp_path)
    result = runner.invoke(
        app, ["demo", "--no-serve", "--no-analyse", "--population", "40"], env=env
    )
    assert result.exit_code == 0, result.output
    return env


def _store_settings(env: dict[str, str]) -> Settings:
    return Settings.from_env(
        db=env["KIROK_DATABASE_URL"],
        keystore=Path(env["KIROK_KEYSTORE"]),
        key_file=Path(env["KIROK_KEY_FILE"]),
    )


def test_demo_loads_every_public_fact(demo_env: dict[str, str]) -> None:
    with open_store(_store_settings(demo_env)) as store, store.read() as uow:
        counts = uow.counts_by_kind()
    assert counts["designation"] == len(list(public_facts.designations())) == 46
    assert counts["resolution"] == len(list(public_facts.resolutions()))
    assert counts["statistic"] == len(list(public_facts.escapee_arrivals()))
    # Loading again changes nothing: the facts upsert on their external ids.
    again = runner.invoke(
        app, ["demo", "--no-serve", "--no-analyse", "--population", "40"], env=demo_env
    )
    assert again.exit_code == 0, again.output
    with open_store(_store_settings(demo_env)) as store, store.read() as uow:
        assert uow.counts_by_kind() == counts


def test_show_prints_record_and_history(demo_env: dict[str, str]) -> None:
    hits = runner.invoke(app, ["search", "E/CN.4/RES/2003/10", "--json"], env=demo_env)
    assert hits.exit_code == 0
    found = [json.loads(line) for line in hits.stdout.splitlines()]
    assert [hit["kind"] for hit in found] == ["resolution"]
    record_id = found[0]["id"]
    shown = runner.invoke(app, ["show", record_id, "--history"], env=demo_env)
    document = json.loads(shown.stdout)
    assert document["kind"] == "resolution"
    assert document["vote"] == {"yes": 28, "no": 10, "abstain": 14}
    assert [v["action"] for v in document["history"]] == ["create"]


def test_search_finds_korean_in_korean_text(demo_env: dict[str, str], tmp_path: Path) -> None:
    with open_store(_store_settings(demo_env)) as store, store.write("test") as uow:
        uow.add(Event(title="증언", description="함경북도 정치범수용소에서 공개처형을 목격했다"))
    result = runner.invoke(app, ["search", "공개처형"], env=demo_env)
    assert result.exit_code == 0 and "1 found" in result.output


def test_errors_are_one_clear_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["search", "x"], env=_env(tmp_path))
    assert result.exit_code == 1
    assert "kirok init" in result.output and "Traceback" not in result.output


def test_public_facts_keep_sources_and_empty_cells() -> None:
    by_symbol = {r.symbol: r for r in public_facts.resolutions()}
    assert by_symbol["E/CN.4/RES/2004/13"].vote is not None
    assert by_symbol["E/CN.4/RES/2004/13"].vote.no is None  # not confirmed: stays empty
    assert all(r.citation for r in by_symbol.values())
    periods = {s.label: s.period for s in public_facts.escapee_arrivals()}
    assert periods["up to 1998 (cumulative)"] == "../1998"
    assert periods["1999-2001 (combined)"] == "1999/2001"


def test_vocab_commands() -> None:
    listed = runner.invoke(app, ["vocab", "list"])
    assert listed.exit_code == 0 and "types_of_acts" in listed.output
    shown = runner.invoke(app, ["vocab", "show", "고문"])
    assert shown.exit_code == 0
    terms = json.loads(shown.stdout)
    acts = [t for t in terms if t["list"] == "types_of_acts"]
    assert acts and acts[0]["labels"]["en"] == "Torture" and acts[0]["labels"]["ko"] == "고문"
    missing = runner.invoke(app, ["vocab", "show", "no such term at all"])
    assert missing.exit_code == 1 and "no term" in missing.output


def test_cli_reference_is_current() -> None:
    committed = Path(__file__).parents[1] / "docs" / "reference" / "cli.md"
    assert committed.read_text(encoding="utf-8") == render(), (
        "docs/reference/cli.md is stale: python -m kirok.cli.reference > docs/reference/cli.md"
    )


@pytest.mark.parametrize("spelling", ["Yodok", "요덕", "Yodŏk", "yodeok"])
def test_places_find_camp_15_by_any_spelling(spelling: str) -> None:
    result = runner.invoke(app, ["places", "find", spelling])
    assert result.exit_code == 0
    assert "CAMP-15" in result.output


@pytest.mark.slow
def test_demo_links_estimates_and_reports(tmp_path: Path) -> None:
    env = _env(tmp_path)
    out = tmp_path / "reports"
    args = ["demo", "--no-serve", "--population", "150", "--reports", str(out)]
    result = runner.invoke(app, [*args, "--report-format", "html"], env=env)
    assert result.exit_code == 0, result.output
    assert "linkage:" in result.output and "estimate (loglinear" in result.output
    internal = (out / "internal" / "report-kp-2024-internal.html").read_text(encoding="utf-8")
    public = (out / "public" / "report-kp-2024-public.html").read_text(encoding="utf-8")
    assert "Arbitrary" in internal and "Arbitrary" in public
    with open_store(_store_settings(env)) as store, store.read() as uow:
        counts = uow.counts_by_kind()
    assert counts["linkage_run"] == 1 and counts["estimation_run"] == 1
