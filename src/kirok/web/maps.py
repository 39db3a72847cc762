"""The map of places and events, and the refugee case pages with their custody path.

Pages render the frame; the map data comes from the GeoJSON routes under ``/api/v1/geo`` (the
page's script fetches them with the session cookie). The Content-Security-Policy forbids inline
scripts, so ``static/kirok-map.js`` reads the URLs and labels from ``data-`` attributes.
The basemap is a static file (``static/basemap/``): no tile server is ever contacted.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse

from kirok.domain import refugee
from kirok.domain.records import RefugeeCase
from kirok.services import geo
from kirok.web import i18n
from kirok.web.api import Problem
from kirok.web.auth import ApiUser, PageUser, api_user, page_form_csrf, page_user, store_of
from kirok.web.pages import lang_of, render

BASEMAP = "/static/basemap/ne-asia.geojson"
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No valid token or session."},
    403: {"model": Problem, "description": "The policy refuses this to your role."},
    404: {"model": Problem, "description": "No such record (or not visible to you)."},
}


def _today() -> date:
    return datetime.now(UTC).date()


def _labels(lang: str, keys: list[str]) -> dict[str, str]:
    return {key.rsplit(".", 1)[-1]: i18n.translate(lang, key) for key in keys}


def _case_row(document: dict[str, Any]) -> dict[str, Any]:
    """A list row: the case's status, its current stage and whether it needs an appeal now."""
    fields = {k: v for k, v in document.items() if not k.startswith("_") and k != "kind"}
    row: dict[str, Any] = {
        "id": document["id"],
        "person_id": document.get("person_id"),
        "status": document.get("status"),
        "stage": None,
        "alert": None,
    }
    if fields.get("steps") is None:  # hidden from this role: say nothing about the path
        return row
    case, _problems = geo.orderable(RefugeeCase.model_validate(fields))
    now = refugee.current_step(case)
    alert = refugee.assess_risk(case, _today())
    row["stage"] = now.stage if now is not None else None
    row["alert"] = alert.reason if alert is not None else None
    return row


def build_routers() -> list[APIRouter]:
    """The map and refugee pages, and their GeoJSON routes."""
    pages = APIRouter(
        include_in_schema=False, dependencies=[Depends(page_user), Depends(page_form_csrf)]
    )
    api = APIRouter(
        prefix="/api/v1/geo", dependencies=[Depends(api_user)], tags=["geo"], responses=_ERRORS
    )

    @pages.get("/map", response_class=HTMLResponse, name="map_page")
    def map_page(request: Request, user: PageUser) -> Response:
        lang = lang_of(request)
        labels = _labels(
            lang, ["map.events", "map.precision", "map.open", "map.more", "map.truncated"]
        )
        return render(request, "map.html", {"basemap": BASEMAP, "labels": labels}, user=user)

    @pages.get("/refugee-cases", response_class=HTMLResponse, name="refugee_cases_page")
    def refugee_cases_page(request: Request, user: PageUser) -> Response:
        found = geo.list_cases(store_of(request), user)
        rows = [_case_row(d) for d in found.items]
        return render(
            request, "refugee_cases.html", {"rows": rows, "total": found.total}, user=user
        )

    @pages.get("/refugee-cases/{case_id}", response_class=HTMLResponse, name="refugee_case_page")
    def refugee_case_page(request: Request, user: PageUser, case_id: str) -> Response:
        lang = lang_of(request)
        path = geo.custody_path(store_of(request), user, case_id, today=_today(), lang=lang)
        labels = _labels(lang, ["map.precision", "map.open", "refugee.current"])
        return render(
            request,
            "refugee_case.html",
            {
                "case": path.document,
                "path": path,
                "basemap": BASEMAP,
                "geo_url": f"/api/v1/geo/refugee-cases/{case_id}",
                "labels": labels,
            },
            user=user,
        )

    @api.get("/places", name="geo_places", summary="Located places with their event counts")
    def geo_places(request: Request, user: ApiUser) -> dict[str, Any]:
        return geo.places_geojson(store_of(request), user, lang_of(request))

    @api.get("/events", name="geo_events", summary="Readable events counted per located place")
    def geo_events(request: Request, user: ApiUser) -> dict[str, Any]:
        return geo.events_geojson(store_of(request), user, lang_of(request))

    @api.get(
        "/places/{place_id}/events",
        name="geo_place_events",
        summary="The first few readable events at a place (sub-places included) and their count",
    )
    def geo_place_events(request: Request, user: ApiUser, place_id: str) -> dict[str, Any]:
        return geo.place_events(store_of(request), user, place_id)

    @api.get(
        "/refugee-cases/{case_id}",
        name="geo_refugee_case",
        summary="A refugee case's custody path (roles that see custody steps only)",
    )
    def geo_refugee_case(request: Request, user: ApiUser, case_id: str) -> dict[str, Any]:
        lang = lang_of(request)
        data = geo.path_geojson(store_of(request), user, case_id, today=_today(), lang=lang)
        for item in [f["properties"] for f in data["features"]] + data["unlocated"]:
            if "stage" in item:
                item["stage_label"] = i18n.translate(lang, f"stage.{item['stage']}")
        return data

    return [pages, api]
