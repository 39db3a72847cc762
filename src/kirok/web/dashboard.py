"""The dashboard: counts and charts, drawn on the server as inline SVG.

The charts are SVG written by the templates from geometry computed here, not images: labels
are text in the page's language and font (Korean included, with no font needed on the server),
every bar carries a ``<title>`` read out by screen readers and shown on hover, and each chart
has its numbers in a table beside it. Nothing runs in the browser (the CSP forbids inline
script), and the acts chart, which reads every act the user may see, is loaded by HTMX after the
page so the counts show at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse

from kirok.domain.vocabulary import UnknownTermError, get_term
from kirok.services import geo, records_api
from kirok.services.users import WebUser
from kirok.web import dashboard_data as data
from kirok.web import i18n
from kirok.web.auth import PageUser, page_form_csrf, page_user, store_of
from kirok.web.pages import lang_of, render

# Okabe-Ito: told apart by readers with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999")
WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 10, 28


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str
    title: str


def nice_max(value: int) -> int:
    """A round axis maximum at or above `value` (1, 2, 5 × 10^k)."""
    if value <= 0:
        return 1
    power = int(10 ** math.floor(math.log10(value)))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _type_label(term_id: str, lang: str) -> str:
    if term_id == "other":
        return i18n.translate(lang, "dashboard.other_types")
    try:
        return get_term(term_id).label(lang)
    except UnknownTermError:
        return term_id


def acts_chart(figures: data.ActsByYear, lang: str) -> dict[str, Any]:
    """Stacked columns: one per year, one colour per broad act type."""
    colours = {t: PALETTE[min(i, len(PALETTE) - 1)] for i, t in enumerate(figures.types)}
    if "other" in colours:
        colours["other"] = PALETTE[-1]
    top = nice_max(max((figures.year_total(y) for y in figures.years), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(figures.years), 1)
    rects: list[Rect] = []
    for i, year in enumerate(figures.years):
        base = 0
        for term in figures.types:
            n = figures.counts.get((year, term), 0)
            if not n:
                continue
            h = plot_h * n / top
            y = TOP + plot_h - plot_h * (base + n) / top
            title = f"{year} · {_type_label(term, lang)}: {n}"
            rects.append(Rect(LEFT + i * step + 1, y, max(step - 2, 1), h, colours[term], title))
            base += n
    every = max(1, math.ceil(len(figures.years) / 12))
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "rects": rects,
        "x_labels": [
            (LEFT + i * step + step / 2, str(year))
            for i, year in enumerate(figures.years)
            if i % every == 0
        ],
        "y_ticks": [(TOP + plot_h - plot_h * v / top, v) for v in (0, top // 2, top)],
        "legend": [(colours[t], _type_label(t, lang)) for t in figures.types],
        "plot": {"left": LEFT, "right": WIDTH - RIGHT, "bottom": TOP + plot_h},
        "table": [
            (year, [figures.counts.get((year, t), 0) for t in figures.types])
            for year in figures.years
            if figures.year_total(year)
        ],
        "figures": figures,
    }


def province_chart(figures: data.ByProvince, lang: str) -> dict[str, Any]:
    """Horizontal bars: events per province, largest first."""
    row_h, label_w, width = 22, 170, WIDTH
    top = nice_max(max((n for _, n in figures.rows), default=0))
    bars = []
    for i, (place_id, n) in enumerate(figures.rows):
        name = geo.place_name(figures.names[place_id], lang)
        w = (width - label_w - 60) * n / top
        bars.append({"y": i * row_h, "w": w, "n": n, "name": name, "id": place_id})
    return {
        "width": width,
        "height": max(len(bars), 1) * row_h,
        "label_w": label_w,
        "bars": bars,
        "elsewhere": figures.elsewhere,
    }


def estimate_chart(run: Any) -> dict[str, Any]:
    """The estimate as a point on its interval, with the number observed marked."""
    width, left, right = WIDTH, 20, 40
    values = [v for v in (run.estimate, run.ci_lower, run.ci_upper, run.n_observed) if v]
    top = nice_max(math.ceil(max(values, default=1) * 1.05))

    def x(value: float) -> float:
        return left + (width - left - right) * value / top

    return {
        "width": width,
        "run": run,
        "x_est": x(run.estimate),
        "x_obs": x(run.n_observed),
        "x_lo": x(run.ci_lower) if run.ci_lower is not None else None,
        "x_hi": x(run.ci_upper) if run.ci_upper is not None else width - right,
        "open_upper": run.ci_upper is None,
        "ticks": [(x(v), v) for v in (0, top // 2, top)],
    }


def _context(request: Request, user: WebUser) -> dict[str, Any]:
    store = store_of(request)
    lang = lang_of(request)
    provinces = data.events_by_province(store, user)
    run = data.latest_estimate(store, user)
    return {
        "counts": records_api.counts(store, user),
        "provinces": province_chart(provinces, lang) if provinces and provinces.rows else None,
        "backlog": data.review_backlog(store, user),
        "estimate": estimate_chart(run) if run is not None else None,
        "acts_allowed": data.may_read(user, "act"),
    }


def build_router() -> APIRouter:
    protected = APIRouter(
        include_in_schema=False, dependencies=[Depends(page_user), Depends(page_form_csrf)]
    )

    @protected.get("/", response_class=HTMLResponse, name="dashboard")
    def dashboard(request: Request, user: PageUser) -> Response:
        return render(request, "dashboard.html", _context(request, user), user=user)

    @protected.get("/dashboard/acts-by-year", response_class=HTMLResponse, name="dashboard_acts")
    def dashboard_acts(request: Request, user: PageUser) -> Response:
        figures = data.acts_by_year(store_of(request), user)
        chart = acts_chart(figures, lang_of(request)) if figures and figures.total else None
        context = {"chart": chart, "allowed": figures is not None}
        if request.headers.get("HX-Request"):
            return render(request, "dashboard_acts.html", context, user=user)
        return render(request, "dashboard_acts_page.html", context, user=user)

    return protected
