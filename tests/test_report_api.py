"""Every count of acts in the internal report equals what the JSON API returns for the same
query (act types with their narrower terms, dates overlapping the year, confidentiality up to
the report's clearance), and cites exactly the records the API lists.

The tracker's figures (years designated, consecutive years) and the escapee arrivals are
recomputed here from what the API lists. The public edition's numbers are not compared: they
also apply publication consent, which the API (a staff interface) does not;
``test_report_service`` checks them against an independent count instead, as it does the
figures derived from several queries (forcibly returned people in detention, estimates).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kirok.domain.records import Designation
from kirok.reports.model import Audience, ReportData
from kirok.services import users
from kirok.services.context import Settings, open_keyring, open_store
from kirok.services.demo import run_demo
from kirok.services.report import ACT_QUERIES, build_report
from kirok.services.reporting.refugees import ARRIVALS_SERIES
from kirok.services.reporting.religious_freedom import CPC_PROGRAM, is_cpc
from kirok.services.reporting.trafficking import TIER_PROGRAM, is_tier_3
from kirok.web.api import MAX_PAGE
from kirok.web.app import create_app

ON = date(2026, 1, 15)
LEVELS = ["public", "internal", "confidential"]  # the report's default clearance


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    folder: Path = tmp_path_factory.mktemp("report-api")
    settings = Settings(
        db_url=f"sqlite:///{folder / 'kirok.db'}",
        keystore=folder / "kirok.keys.json",
        key_file=folder / "kirok.key",
    )
    run_demo(settings, "test", population=150)
    return settings


@pytest.fixture(scope="module")
def api(demo: Settings) -> Iterator[TestClient]:
    with open_store(demo) as store:
        analyst = users.add_user(store, "analyst-api", "analyst", "long enough pass", actor="t")
        token = users.issue_token(store, analyst)
        with TestClient(create_app(demo, https=False, store=store)) as client:
            client.headers["Authorization"] = f"Bearer {token}"
            yield client


def _api_all(client: TestClient, kind: str, **filters: object) -> list[dict[str, object]]:
    """Every record of `kind` the API lists for the filters, page by page."""
    items: list[dict[str, object]] = []
    total = None
    while total is None or len(items) < total:
        params = {"confidentiality": LEVELS, "limit": MAX_PAGE, "offset": len(items), **filters}
        response = client.get(f"/api/v1/{kind}", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        total = page["total"]
        items += page["items"]
    return items


def _api_ids(client: TestClient, roots: tuple[str, ...], year: int) -> tuple[int, set[str]]:
    """The API's total and every id it lists for the query, page by page."""
    params: dict[str, object] = {
        "term": list(roots),
        "from": f"{year}-01-01",
        "to": f"{year}-12-31",
        "confidentiality": LEVELS,
        "limit": MAX_PAGE,
    }
    ids: set[str] = set()
    total = None
    offset = 0
    while total is None or offset < total:
        response = client.get("/api/v1/act", params={**params, "offset": offset})
        assert response.status_code == 200, response.text
        page = response.json()
        total = page["total"]
        ids |= {item["id"] for item in page["items"]}
        offset += MAX_PAGE
    assert len(ids) == total
    return total, ids


def _report(settings: Settings, year: int) -> ReportData:
    with open_store(settings) as store:
        return build_report(
            store,
            country="KP",
            year=year,
            audience=Audience.INTERNAL,
            pseudonyms=open_keyring(settings),
            generated_on=ON,
        )


@pytest.mark.parametrize("year", [2012, 2019])
def test_every_act_count_in_the_report_equals_the_api(
    demo: Settings, api: TestClient, year: int
) -> None:
    report = _report(demo, year)
    by_label = {f.label: f for f in report.figures()}
    compared = 0
    for query in ACT_QUERIES:
        figure = by_label[query.label]
        total, ids = _api_ids(api, query.roots, year)
        assert figure.value == total, query.key
        assert {c.ref for c in figure.citations} == ids, query.key
        previous, _ = _api_ids(api, query.roots, year - 1)
        assert figure.previous == previous, query.key
        compared += total
    assert compared > 0  # the demo has such acts in these years: the comparison means something


def _run_length(years: set[int], ending: int) -> int:
    run = 0
    while ending - run in years:
        run += 1
    return run


@pytest.mark.parametrize("year", [2012, 2019])
def test_tracker_and_arrival_figures_equal_what_the_api_lists(
    demo: Settings, api: TestClient, year: int
) -> None:
    by_label = {f.label: f for f in _report(demo, year).figures()}
    listed = [
        (item["id"], Designation.model_validate(item["data"]))
        for item in _api_all(api, "designation")
    ]
    kp = [(ident, d) for ident, d in listed if d.country.upper() == "KP"]
    programmes = (
        (CPC_PROGRAM, is_cpc, "Years designated a Country of Particular Concern",
         "Consecutive years designated a Country of Particular Concern"),
        (TIER_PROGRAM, is_tier_3, "Years ranked in the Trafficking in Persons Report",
         "Consecutive years ranked Tier 3 (the lowest) in the Trafficking in Persons Report"),
    )  # fmt: skip
    for programme, holds, years_label, run_label in programmes:
        mine = [(ident, d) for ident, d in kp if d.program == programme]
        assert mine, programme  # the demo loads the tracker's public facts
        years = by_label[years_label]
        assert years.value == len({d.year for _, d in mine if d.year <= year})
        assert years.previous == len({d.year for _, d in mine if d.year <= year - 1})
        assert {c.ref for c in years.citations} == {i for i, d in mine if d.year <= year}
        holding = {d.year for _, d in mine if holds(d)}
        run = by_label[run_label]
        assert run.value == _run_length(holding, year), programme
        assert run.previous == _run_length(holding, year - 1), programme
    statistics = [
        item
        for item in _api_all(api, "statistic")
        if item["data"]["series"] == ARRIVALS_SERIES  # type: ignore[index]
    ]
    by_period = {str(item["data"]["period"]): item for item in statistics}  # type: ignore[index]
    arrivals = by_label["Escapees arriving in South Korea"]
    assert arrivals.value == by_period[str(year)]["data"]["value"]  # type: ignore[index]
    assert arrivals.previous == by_period[str(year - 1)]["data"]["value"]  # type: ignore[index]
    assert [c.ref for c in arrivals.citations] == [by_period[str(year)]["id"]]
