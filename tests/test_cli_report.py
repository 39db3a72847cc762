"""`kirok report` end to end through the Typer app, on a small demo database."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kirok.cli import app
from kirok.domain.records import Act
from kirok.reports.model import SECTIONS, Audience
from kirok.services.context import Settings, open_keyring, open_store
from kirok.services.report import ACT_QUERIES, LiveQueries

runner = CliRunner()
YEAR = 2022
ON = "2026-01-15"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("cli-report")
    env = {
        "KIROK_DATABASE_URL": f"sqlite:///{folder / 'kirok.db'}",
        "KIROK_KEY_FILE": str(folder / "kirok.key"),
        "KIROK_KEYSTORE": str(folder / "keys.json"),
    }
    result = runner.invoke(app, ["demo", "--no-serve", "--population", "120"], env=env)
    assert result.exit_code == 0, result.output
    return env


def _settings(env: dict[str, str]) -> Settings:
    return Settings.from_env(
        db=env["KIROK_DATABASE_URL"],
        keystore=Path(env["KIROK_KEYSTORE"]),
        key_file=Path(env["KIROK_KEY_FILE"]),
    )


def _run(env: dict[str, str], out: Path, *args: str) -> list[Path]:
    result = runner.invoke(
        app,
        ["report", "--country", "KP", "--year", str(YEAR), "--out", str(out), "--date", ON, *args],
        env=env,
    )
    assert result.exit_code == 0, result.output
    return [Path(line) for line in result.output.splitlines() if line.strip()]


def _act_ids(env: dict[str, str]) -> list[str]:
    with open_store(_settings(env)) as store, store.read() as uow:
        return [r.id for r in uow.iter_kind("act") if isinstance(r, Act)]


def test_internal_report_in_html_and_markdown(env: dict[str, str], tmp_path: Path) -> None:
    paths = _run(
        env, tmp_path, "--audience", "internal", "--format", "html", "--format", "md", "--no-charts"
    )
    assert [p.name for p in paths] == [
        f"report-kp-{YEAR}-internal.html",
        f"report-kp-{YEAR}-internal.md",
    ]
    html, markdown = (p.read_text(encoding="utf-8") for p in paths)
    for title in SECTIONS.values():
        assert title in html and title in markdown
    assert (tmp_path / "fonts" / "NotoSansKR-Regular.woff").is_file()
    # The numbers in the file are the live queries' numbers.
    with open_store(_settings(env)) as store, store.read() as uow:
        live = LiveQueries(
            uow, Audience.INTERNAL, open_keyring(_settings(env)), on_date=date.fromisoformat(ON)
        )
        figures = [live.act_figure(q, YEAR) for q in ACT_QUERIES]
    cited = [c.ref for f in figures for c in f.citations]
    assert cited and all(ref in html for ref in cited)
    for figure in figures:
        row = next(line for line in markdown.splitlines() if line.startswith(f"| {figure.label} |"))
        cells = [c.strip() for c in row.split("|")]
        assert cells[2] == figure.shown and cells[3] == f"{figure.previous:,.0f}"


def test_public_report_cites_pseudonyms_never_record_ids(
    env: dict[str, str], tmp_path: Path
) -> None:
    (path,) = _run(env, tmp_path, "--audience", "public", "--no-charts")
    html = path.read_text(encoding="utf-8")
    assert path.name == f"report-kp-{YEAR}-public.html" and "PUBLIC" in html
    # The ids the internal edition cites for the same year never appear in the public one.
    with open_store(_settings(env)) as store, store.read() as uow:
        live = LiveQueries(
            uow, Audience.INTERNAL, open_keyring(_settings(env)), on_date=date.fromisoformat(ON)
        )
        internal = [c.ref for q in ACT_QUERIES for c in live.act_figure(q, YEAR).citations]
    assert internal
    assert not [i for i in internal if i in html]
    assert not [i for i in _act_ids(env) if i in html]
    assert "demo-person-" not in html and "demo-witness-" not in html


def test_unknown_country_is_one_clear_error(env: dict[str, str], tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["report", "--country", "XX", "--year", str(YEAR), "--out", str(tmp_path)], env=env
    )
    assert result.exit_code == 1
    assert "no report is defined for country 'XX'" in result.output
    assert not list(tmp_path.iterdir())


def test_public_report_refuses_secret_clearance(env: dict[str, str], tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "report",
            "--year",
            str(YEAR),
            "--out",
            str(tmp_path),
            "--audience",
            "public",
            "--clearance",
            "secret",
        ],
        env=env,
    )
    assert result.exit_code == 1
    assert "never counts secret records" in result.output
