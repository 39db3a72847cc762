"""The web estimates page shows the plots a run was stored with, drawn from the stored record."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kirok.domain.records import EstimationRun
from kirok.estimation.estimate import estimate_lcmcr
from kirok.estimation.histories import histories_from_csv
from kirok.estimation.plots import plot_data
from kirok.services import users
from kirok.store.repository import RecordStore
from kirok.web.app import create_app
from store_support import new_store

KOSOVO = Path(__file__).parent / "data" / "kosovo.csv"
PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
Site = tuple[RecordStore, TestClient]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    settings, store = new_store(
        f"sqlite:///{tmp_path / 'k.db'}", tmp_path, monkeypatch, gazetteer=False
    )
    users.add_user(store, "analyst", "analyst", PASSWORD, actor="test")
    client = TestClient(create_app(settings, https=False, store=store), follow_redirects=False)
    match = _CSRF.search(client.get("/login").text)
    assert match is not None
    form = {"username": "analyst", "password": PASSWORD, "csrf_token": match.group(1)}
    assert client.post("/login", data=form).status_code == 303
    try:
        yield store, client
    finally:
        store.close()


def _stored_lcmcr(store: RecordStore, with_plots: bool) -> EstimationRun:
    result = estimate_lcmcr(
        histories_from_csv(KOSOVO),
        classes=3,
        chains=2,
        seed=5,
        burn_in=500,
        first_block=2000,
        max_sweeps=2000,
        target_ess=100,
        processes=1,
    )
    data = result.to_dict()
    if with_plots:
        data["plots"] = plot_data(result)
    with store.write("analyst") as uow:
        run = uow.add(
            EstimationRun(
                method=result.method,
                model=result.model,
                n_observed=result.n_observed,
                estimate=result.estimate,
                ci_lower=result.ci_lower,
                ci_upper=result.ci_upper,
                result=data,
            )
        )
    assert isinstance(run, EstimationRun)
    return run


def test_stored_posterior_and_traces_are_shown(site: Site) -> None:
    store, client = site
    new, old = _stored_lcmcr(store, True), _stored_lcmcr(store, False)
    html = client.get("/estimates").text
    article = html.split(f'id="run-{new.id}"')[1].split("</article>")[0]
    for name in ("posterior", "traces"):
        assert f'src="/estimates/{new.id}/{name}.svg"' in article
        chart = client.get(f"/estimates/{new.id}/{name}.svg")
        assert chart.status_code == 200 and chart.headers["content-type"] == "image/svg+xml"
        assert b"<svg" in chart.content and b"<script" not in chart.content
        # a run stored before plots were stored says how to get them, and has none to serve
        assert client.get(f"/estimates/{old.id}/{name}.svg").status_code == 404
    old_article = html.split(f'id="run-{old.id}"')[1].split("</article>")[0]
    assert "posterior draws are not stored" in old_article and ".svg" not in old_article
    assert "posterior draws are not stored" not in article
    assert client.get(f"/estimates/{new.id}/sensitivity.svg").status_code == 404
    assert client.get(f"/estimates/{new.id}/pie.svg").status_code == 404
