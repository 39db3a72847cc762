"""Analysis pages: the linkage review queue, stored estimates and the policy tracker.

They read through the services (``kirok.services.linkage``) and the repository's record
iterators, never SQL, and apply ``kirok.security.policy`` to everything they show:

* ``/review`` needs the right to *review* link decisions (admin, reviewer). A pair is shown only
  when the reviewer may read both person records, and then only as ``policy.redact`` allows
  (names hidden or pseudonymised for roles that may not see identities). A decision may only be
  posted for a pair the latest linkage run put up for review, so the form cannot be used to
  write decisions about arbitrary records.
* ``/estimates`` and ``/tracker`` show only records the user may read at their level.

Charts are separate SVG responses shown with ``<img>``: matplotlib's SVG carries inline styles,
which the pages' Content-Security-Policy (no inline style) would block inside the page, while
an image document cannot run script whatever it contains.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from kirok.domain.errors import NotFound
from kirok.domain.records import (
    Designation,
    EstimationRun,
    LinkageRun,
    Place,
    Record,
    Resolution,
    SanctionEntry,
)
from kirok.domain.tracker import (
    InForce,
    designation_timeline,
    designations_in_force,
    sanction_in_force,
    vote_series,
)
from kirok.linkage.decisions import pair_key
from kirok.security import policy
from kirok.security.errors import PermissionDenied
from kirok.services import linkage, records_api
from kirok.services.users import WebUser
from kirok.store.repository import RecordStore
from kirok.web import i18n
from kirok.web.auth import PageUser, page_form_csrf, page_user, store_of
from kirok.web.pages import lang_of, render

DECISIONS = ("same", "different", "unsure")
_QUEUE_LIMIT = 50
# Images are documents of their own: matplotlib's SVG needs its inline styles, nothing else.
_SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'"
_PERSON_FIELDS = ("name_forms", "aliases", "sex", "birth_date", "birth_place_id", "source")


# -- review queue --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """One comparison's contribution to a pair's match weight, ready to be put in words."""

    comparison: str
    level: str
    weight: float

    @property
    def direction(self) -> str:
        if self.weight > 0.05:
            return "for"
        if self.weight < -0.05:
            return "against"
        return "neutral"


@dataclass(frozen=True)
class ShownPair:
    record_a: str
    record_b: str
    probability: float
    weight: float
    evidence: list[Evidence]
    left: dict[str, Any]
    right: dict[str, Any]


def _require_review(user: WebUser) -> None:
    policy.can(
        user, policy.Action.REVIEW, policy.EntityKind.LINK_DECISION, policy.Confidentiality.PUBLIC
    ).require()


def _shown(store: RecordStore, user: WebUser, item: linkage.ReviewItem) -> ShownPair | None:
    """The pair as `user` may see it, or None when either record is above their clearance."""
    try:
        left = records_api.redacted(store, user, item.left)
        right = records_api.redacted(store, user, item.right)
    except PermissionDenied:
        return None
    pair = item.pair
    evidence = [
        Evidence(name, pair.levels.get(name, ""), float(weight))
        for name, weight in sorted(pair.weights.items(), key=lambda kv: -abs(kv[1]))
    ]
    return ShownPair(
        pair.record_a, pair.record_b, pair.probability, pair.weight, evidence, left, right
    )


def _queue(store: RecordStore, user: WebUser) -> tuple[list[ShownPair], int]:
    """Visible undecided pairs and how many others are above the user's clearance."""
    try:
        items = linkage.review_queue(store, limit=_QUEUE_LIMIT)
    except linkage.NoLinkageRun:
        return [], 0
    shown = [_shown(store, user, item) for item in items]
    visible = [s for s in shown if s is not None]
    return visible, len(shown) - len(visible)


def _in_review(run: LinkageRun, a: str, b: str) -> bool:
    wanted = pair_key(a, b)
    return any(pair_key(p.record_a, p.record_b) == wanted for p in run.review)


def _names(document: dict[str, Any]) -> str | None:
    forms = document.get("name_forms")
    if isinstance(forms, list):
        return " · ".join(str(f.get("text", "")) for f in forms if isinstance(f, dict))
    return None if forms is None else str(forms)  # a pseudonym


def _place_names(
    store: RecordStore, user: WebUser, documents: Sequence[dict[str, Any]], lang: str
) -> dict[str, str]:
    """Place id -> its name in `lang` (Hangul for Korean), for the places the user may read."""
    ids = {d.get("birth_place_id") for d in documents} - {None, ""}
    names: dict[str, str] = {}
    with store.read() as uow:
        for place_id in ids:
            try:
                place = uow.get(str(place_id), "place")
            except NotFound:
                continue
            if not isinstance(place, Place) or not policy.can(
                user, policy.Action.READ, "place", place.confidentiality.value
            ):
                continue
            wanted = "hangul" if lang == "ko" else "latin"
            chosen = next((n.text for n in place.names if n.script == wanted), None)
            names[place.id] = chosen or place.display_name
    return names


def _person_rows(
    document: dict[str, Any], places: dict[str, str] | None = None
) -> list[tuple[str, Any, str]]:
    """(field, value, state) rows; state is "plain", "hidden" or "pseudonym"."""
    hidden = set(document.get("_redacted", []))
    pseudo = set(document.get("_pseudonymized", []))
    rows: list[tuple[str, Any, str]] = []
    for name in _PERSON_FIELDS:
        value: Any = _names(document) if name == "name_forms" else document.get(name)
        if name == "birth_place_id" and value:
            value = (places or {}).get(str(value), value)
        if name == "aliases" and isinstance(value, list):
            value = " · ".join(str(v) for v in value) or None
        state = "hidden" if name in hidden else "pseudonym" if name in pseudo else "plain"
        rows.append((name, value, state))
    return rows


def _review_response(
    request: Request, user: WebUser, *, saved: str | None = None, status: int = 200
) -> Response:
    store = store_of(request)
    pairs, above = _queue(store, user)
    lang = lang_of(request)
    catalogue = i18n.catalogue(lang)
    english = i18n.catalogue(i18n.DEFAULT_LANGUAGE)

    def level_text(level: str) -> str:
        key = f"review.level.{level}"
        return catalogue.get(key) or english.get(key) or level

    def comparison_text(name: str) -> str:
        key = f"review.cmp.{name}"
        return catalogue.get(key) or english.get(key) or name

    pair = pairs[0] if pairs else None
    places = _place_names(store, user, [pair.left, pair.right], lang) if pair else {}
    context = {
        "pair": pair,
        "places": places,
        "remaining": len(pairs),
        "above": above,
        "saved": saved,
        "decisions": DECISIONS,
        "person_rows": _person_rows,
        "level_text": level_text,
        "comparison_text": comparison_text,
        "has_run": _has_run(store),
    }
    partial = bool(request.headers.get("HX-Request"))
    name = "review_pair.html" if partial else "review.html"
    return render(request, name, context, user=user, status=status)


def _has_run(store: RecordStore) -> bool:
    try:
        linkage.latest_run(store)
    except linkage.NoLinkageRun:
        return False
    return True


# -- estimates and tracker helpers ---------------------------------------------------------------


def _readable(store: RecordStore, user: WebUser, kind: str) -> Iterator[Record]:
    """Every stored record of `kind` that `user` may read at its confidentiality."""
    policy.can(user, policy.Action.READ, kind, policy.Confidentiality.PUBLIC).require()
    with store.read() as uow:
        records = list(uow.iter_kind(kind))
    for record in records:
        if policy.can(user, policy.Action.READ, kind, record.confidentiality.value):
            yield record


def _estimation_runs(store: RecordStore, user: WebUser) -> list[EstimationRun]:
    runs = [r for r in _readable(store, user, "estimation_run") if isinstance(r, EstimationRun)]
    return sorted(runs, key=lambda r: (r.created_at is not None, r.created_at), reverse=True)


def _designations(store: RecordStore, user: WebUser) -> list[Designation]:
    return [d for d in _readable(store, user, "designation") if isinstance(d, Designation)]


def _resolutions(store: RecordStore, user: WebUser) -> list[Resolution]:
    return [r for r in _readable(store, user, "resolution") if isinstance(r, Resolution)]


def _sanctions_on(
    store: RecordStore, user: WebUser, day: date
) -> list[tuple[SanctionEntry, InForce]]:
    """Entries surely or possibly in force on `day` (partial dates make some uncertain)."""
    entries = [e for e in _readable(store, user, "sanction_entry") if isinstance(e, SanctionEntry)]
    judged = [(e, sanction_in_force(e, day)) for e in entries]
    shown = [(e, v) for e, v in judged if v is not InForce.NO]
    return sorted(
        shown, key=lambda ev: (ev[1] is not InForce.YES, ev[0].program, ev[0].listed_name)
    )


def _svg(data: bytes) -> Response:
    return Response(data, media_type="image/svg+xml", headers={"Content-Security-Policy": _SVG_CSP})


def _diagnostics(run: EstimationRun) -> list[tuple[str, float]]:
    """R-hat, ESS and Monte-Carlo errors when the method has them (LCMCR)."""
    found = run.result.get("diagnostics") or {}
    wanted = ("rhat", "ess_bulk", "ess_tail", "mcse_mean", "alpha_rhat", "sweeps_per_chain")
    return [(k, float(found[k])) for k in wanted if isinstance(found.get(k), int | float)]


def _chain_medians(run: EstimationRun) -> list[float]:
    """LCMCR: each chain's median of N; chains that disagree show here before R-hat does."""
    details = run.result.get("details") or {}
    values = details.get("chain_medians") or []
    return [float(v) for v in values if isinstance(v, int | float)]


def _sensitivity(run: EstimationRun) -> list[dict[str, Any]]:
    details = run.result.get("details") or {}
    rows = details.get("sensitivity") or []
    criterion = str(details.get("criterion") or "bic")

    def number(value: object) -> float | None:
        return float(value) if isinstance(value, int | float) else None

    return [
        {
            "model": str(r.get("model", "")),
            "estimate": number(r.get("estimate")),
            "ci_lower": number(r.get("ci_lower")),
            "ci_upper": number(r.get("ci_upper")),
            "delta": number(r.get(f"delta_{criterion}")),
            "criterion": criterion.upper(),
        }
        for r in rows
        if isinstance(r, dict)
    ]


def _parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _stored_plots(run: EstimationRun) -> list[str]:
    """The posterior and trace plots an LCMCR run was stored with (older runs have none)."""
    stored = run.result.get("plots")
    return [name for name in ("posterior", "traces") if isinstance(stored, dict) and name in stored]


def _plot_svg(run: EstimationRun, name: str) -> bytes | None:
    """The estimator's own plot, redrawn from what the run stored; None if it has none."""
    from kirok.estimation.plots import stored_figure
    from kirok.reports.charts import render as render_chart

    figure = stored_figure(
        {
            **run.result,
            "method": run.method,
            "model": run.model,
            "n_observed": run.n_observed,
            "estimate": run.estimate,
            "ci_lower": run.ci_lower,
            "ci_upper": run.ci_upper,
        },
        name,
    )
    return None if figure is None else render_chart(figure, "svg")


def _intervals_svg(runs: Sequence[EstimationRun]) -> bytes:
    """Every stored estimate as a point with its interval, against the number observed."""
    import matplotlib

    from kirok.reports.charts import render as render_chart

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 0.45 * max(len(runs), 1) + 1.4))
    finite = [v for r in runs for v in (r.estimate, r.ci_lower, r.ci_upper) if v is not None]
    edge = 1.15 * max(finite, default=1.0)
    for i, run in enumerate(runs):
        y = len(runs) - i
        if run.ci_lower is not None:
            # No finite upper bound: the line runs off the frame with an arrow, not to a number.
            upper = run.ci_upper if run.ci_upper is not None else edge
            ax.plot([run.ci_lower, upper], [y, y], color="gray", linewidth=2)
            if run.ci_upper is None:
                ax.plot(edge, y, ">", color="gray")
        ax.plot(run.estimate, y, "o", color="#1f4e79")
        ax.plot(run.n_observed, y, "|", color="#c44e52", markersize=12)
    labels = [f"{r.method} {r.model} {r.stratum or ''}".strip() for r in runs]
    ax.set_yticks(range(len(runs), 0, -1), labels, fontsize=8)
    ax.set_xlabel("N (point and interval); red tick: people observed")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return render_chart(fig, "svg")


# -- routes --------------------------------------------------------------------------------------


def build_router() -> APIRouter:
    protected = APIRouter(
        include_in_schema=False, dependencies=[Depends(page_user), Depends(page_form_csrf)]
    )

    @protected.get("/review", response_class=HTMLResponse, name="review_page")
    def review_page(request: Request, user: PageUser) -> Response:
        _require_review(user)
        return _review_response(request, user)

    @protected.post("/review/decide", response_class=HTMLResponse, name="review_decide")
    def review_decide(
        request: Request,
        user: PageUser,
        record_a: Annotated[str, Form(max_length=64)],
        record_b: Annotated[str, Form(max_length=64)],
        decision: Annotated[str, Form(max_length=16)],
        note: Annotated[str, Form(max_length=2000)] = "",
    ) -> Response:
        _require_review(user)
        store = store_of(request)
        if decision not in DECISIONS:
            raise records_api.BadRequest(f"decision must be one of {', '.join(DECISIONS)}")
        if not _has_run(store) or not _in_review(linkage.latest_run(store), record_a, record_b):
            raise records_api.BadRequest("this pair is not in the review queue")
        with store.read() as uow:
            left, right = uow.get(record_a, "person"), uow.get(record_b, "person")
        for record in (left, right):  # the reviewer must be able to see what they decide
            records_api.redacted(store, user, record)
        linkage.decide(store, user.username, record_a, record_b, decision, note.strip() or None)
        if request.headers.get("HX-Request"):
            return _review_response(request, user, saved=decision)
        return RedirectResponse("/review", status_code=303)

    @protected.get("/estimates", response_class=HTMLResponse, name="estimates_page")
    def estimates_page(request: Request, user: PageUser) -> Response:
        runs = _estimation_runs(store_of(request), user)
        shown = [
            {
                "run": run,
                "result": run.result,
                "diagnostics": _diagnostics(run),
                "sensitivity": _sensitivity(run),
                "chain_medians": _chain_medians(run),
                "plots": _stored_plots(run),
                "warnings": [str(w) for w in run.result.get("warnings") or []],
            }
            for run in runs
        ]
        return render(request, "estimates.html", {"runs": shown}, user=user)

    @protected.get("/estimates/intervals.svg", name="estimates_chart")
    def estimates_chart(request: Request, user: PageUser) -> Response:
        return _svg(_intervals_svg(_estimation_runs(store_of(request), user)))

    @protected.get("/estimates/{run_id}/{plot}.svg", name="estimate_plot")
    def estimate_plot(request: Request, user: PageUser, run_id: str, plot: str) -> Response:
        """A stored run's sensitivity (log-linear), posterior or traces (LCMCR) plot."""
        if plot not in ("sensitivity", "posterior", "traces"):
            raise NotFound(run_id, "estimation_run")
        store = store_of(request)
        record = records_api.get_record(store, user, "estimation_run", run_id)
        svg = _plot_svg(record, plot) if isinstance(record, EstimationRun) else None
        if svg is None:
            raise NotFound(run_id, "estimation_run")
        return _svg(svg)

    @protected.get("/tracker", response_class=HTMLResponse, name="tracker_page")
    def tracker_page(
        request: Request,
        user: PageUser,
        on: Annotated[str, Query(max_length=10)] = "",
    ) -> Response:
        store = store_of(request)
        designations = _designations(store, user)
        resolutions = _resolutions(store, user)
        day = _parse_day(on)
        in_force = designations_in_force(designations, day) if day else []
        sanctions = _sanctions_on(store, user, day) if day else []
        return render(
            request,
            "tracker.html",
            {
                "timeline": designation_timeline(designations),
                "votes": vote_series(resolutions),
                "on": on,
                "day": day,
                "bad_day": bool(on) and day is None,
                "in_force": in_force,
                "sanctions": sanctions,
            },
            user=user,
        )

    @protected.get("/tracker/designations.svg", name="tracker_designations_chart")
    def tracker_designations_chart(request: Request, user: PageUser) -> Response:
        from kirok.reports import charts

        figure = charts.designation_chart(_designations(store_of(request), user))
        return _svg(charts.render(figure, "svg"))

    @protected.get("/tracker/votes.svg", name="tracker_votes_chart")
    def tracker_votes_chart(request: Request, user: PageUser) -> Response:
        from kirok.reports import charts

        figure = charts.vote_chart(_resolutions(store_of(request), user))
        return _svg(charts.render(figure, "svg"))

    return protected


__all__: Sequence[str] = ("build_router",)
