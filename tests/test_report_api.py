"""Every count of acts in the internal report equals what the JSON API returns for the same
query (act types with their narrower terms, dates overlapping the year, confidentiality up to
the report's clearance), and cites exactly the records the API lists.

The public edition's numbers are not compared: they also apply publication consent, which the
API (a staff interface) does not; ``test_report_service`` checks them against an independent
count instead. Figures derived from several queries (forcibly returned people in detention,
designation runs, estimates) are checked there too.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kirok.reports.model import Audience, ReportData
from kirok.services import users
from kirok.services.context import Settings, open_keyring, open_store
from kirok.services.demo import run_demo
from kirok.services.report import ACT_QUERIES, build_report
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
