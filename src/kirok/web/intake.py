"""The interview intake wizard: source and consent → event → acts and victims → perpetrators →
places with uncertainty → evidence files, then one save.

``GET /intake`` opens the first step. ``POST /intake/step`` checks the current step and shows
the next (or the previous, or the same with one more row); with HTMX only the wizard is swapped.
``POST /intake`` checks every step again and stores the interview and its files in one unit of
work (``kirok.services.intake``): a file that cannot be stored stores nothing, and the evidence
step says why. Problems are shown next to the field that caused them, on the step that holds
it. See ``intake_form`` for why nothing is kept on the server between steps.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from kirok.domain.records import Confidentiality, Place
from kirok.domain.vocabulary import load_vocabularies
from kirok.security import policy
from kirok.security.errors import PermissionDenied
from kirok.services import evidence, geo, intake, records_api
from kirok.services.context import Settings
from kirok.services.users import WebUser
from kirok.web import i18n
from kirok.web.auth import PageUser, page_form_csrf, page_user, store_of
from kirok.web.intake_form import (
    CONSENT_SCOPES,
    LANGUAGES,
    PERPETRATOR_KINDS,
    STEPS,
    UNCERTAINTY_KM,
    IntakeForm,
)
from kirok.web.pages import lang_of, render

_CORE_KINDS = ("event", "person", "act", "information", "consent")
#: Recorded units offered as perpetrators (a select, so kept to a readable number).
MAX_UNITS = 500


def require_intake(user: WebUser) -> None:
    """The wizard is for roles that may create an interview's core records."""
    for kind in _CORE_KINDS:
        policy.can(user, policy.Action.CREATE, kind, policy.Confidentiality.PUBLIC).require()


def _levels(user: WebUser) -> list[str]:
    return [
        c.value
        for c in Confidentiality
        if all(policy.can(user, policy.Action.CREATE, k, c.value) for k in _CORE_KINDS)
    ]


def _terms(list_name: str, lang: str) -> list[tuple[str, str]]:
    vocab = load_vocabularies()[list_name]
    base = min((t.level for t in vocab), default=0)
    return [(t.id, "\u00a0\u00a0" * (t.level - base) + t.label(lang)) for t in vocab]


def _place_options(places: dict[str, Place], lang: str) -> list[tuple[str, str]]:
    """Gazetteer places in tree order (country › province › county › facility), indented."""
    chosen = {k: p for k, p in places.items() if p.place_kind != intake.APPROXIMATE_PLACE_KIND}
    children: dict[str | None, list[Place]] = {}
    for place in chosen.values():
        parent = place.parent_id if place.parent_id in chosen else None
        children.setdefault(parent, []).append(place)
    out: list[tuple[str, str]] = []

    def walk(parent: str | None, depth: int) -> None:
        for place in sorted(children.get(parent, []), key=lambda p: geo.place_name(p, lang)):
            out.append((place.id, "\u00a0\u00a0" * depth + geo.place_name(place, lang)))
            walk(place.id, depth + 1)

    walk(None, 0)
    return out


def _readable_places(request: Request, user: WebUser) -> dict[str, Place]:
    return geo.readable_places(store_of(request), user)


def _known_units(request: Request, user: WebUser, lang: str) -> list[tuple[str, str]]:
    """Perpetrator units already recorded (MSS and MPS offices, camp guards…) the user may read.

    Choosing one links the new acts to it instead of recording the same unit again."""
    if not policy.can(user, policy.Action.READ, "person", policy.Confidentiality.PUBLIC):
        return []
    page = records_api.list_records(
        store_of(request),
        user,
        "person",
        terms=[intake.COUNTING_UNIT_GROUP],
        limit=MAX_UNITS,
    )
    named = [(str(d["id"]), records_api.summary(d)) for d in page.items]
    return sorted(named, key=lambda pair: pair[1])


def _unit_checker(request: Request, user: WebUser) -> Callable[[str], bool]:
    known: list[set[str]] = []

    def exists(person_id: str) -> bool:
        if not known:
            known.append({i for i, _ in _known_units(request, user, lang_of(request))})
        return person_id in known[0]

    return exists


def _wizard(
    request: Request,
    user: WebUser,
    form: IntakeForm,
    step: str,
    errors: dict[str, str],
    *,
    status: int = 200,
    notice: str | None = None,
) -> HTMLResponse:
    lang = lang_of(request)
    places = _readable_places(request, user)
    units = _known_units(request, user, lang) if step == "perpetrators" else []

    def label(key: str) -> str:
        return i18n.translate(lang, key)

    victim_options = [("all", label("intake.all_victims"))] + [
        (str(i), form.rows["victim_name"][i] or f"{label('intake.victim')} {i + 1}")
        for i in form.victim_rows()
    ]
    context: dict[str, Any] = {
        "form": form,
        "step": step,
        "steps": STEPS,
        "index": STEPS.index(step),
        "errors": errors,
        "hidden": form.hidden_pairs(step),
        "level_options": [(v, label(f"conf.{v}")) for v in _levels(user)],
        "scopes": CONSENT_SCOPES,
        "language_options": [(v, label(f"intake.lang.{v}")) for v in LANGUAGES],
        "perp_kind_options": [(v, label(f"intake.perp_kind.{v}")) for v in PERPETRATOR_KINDS],
        "victim_options": victim_options,
        "radii": UNCERTAINTY_KM,
        "places": _place_options(places, lang),
        "units": units,
        "notice": notice,
        "vocab": {
            "connection": _terms("source_connection_to_information", lang),
            "reliability": _terms("reliability", lang),
            "sex": _terms("sex", lang),
            "act_type": _terms("types_of_acts", lang),
            "perp_type": _terms("types_of_perpetrators", lang),
            "degree": _terms("degrees_of_involvement", lang),
        },
    }
    partial = bool(request.headers.get("HX-Request"))
    name = "intake_step.html" if partial else "intake.html"
    # HTMX swaps only 2xx answers: a step with problems is sent as 200 to HTMX, 422 otherwise.
    return render(request, name, context, user=user, status=200 if partial else status)


def _new_form() -> IntakeForm:
    return IntakeForm.parse(_Empty())


class _Empty:
    def getlist(self, key: str) -> Sequence[object]:
        return ()


async def _uploads(request: Request) -> tuple[list[intake.Upload], bool]:
    """The files posted with the last step; the flag says they were too large.

    Each file is read into memory (the evidence service hashes and seals it whole), so both
    each file and all of them together are capped at ``MAX_EVIDENCE_BYTES``, before anything
    is written."""
    out: list[intake.Upload] = []
    room = intake.MAX_EVIDENCE_BYTES
    data = await request.form()
    for item in data.getlist("evidence_file")[:20]:
        if not isinstance(item, UploadFile) or not item.filename:
            continue
        content = await item.read(room + 1)
        room -= len(content)
        if room < 0:
            return [], True
        if content:
            out.append(intake.Upload(item.filename, content, item.content_type))
    return out, False


async def _close_files(request: Request) -> None:
    """Close uploaded files (spooled to disk when large) once the request is answered."""
    data = await request.form()
    for _name, value in data.multi_items():
        if isinstance(value, UploadFile):
            await value.close()


def _refusal(cause: Exception) -> str:
    """The interface string saying why a file (and so the interview) was not stored."""
    if isinstance(cause, evidence.DuplicateEvidence):
        return "intake.err.duplicate_file"
    if isinstance(cause, evidence.EvidenceTooLarge):
        return "intake.err.too_large"
    return "intake.err.file_not_stored"


def build_router(settings: Settings | None = None) -> APIRouter:
    vault = (
        evidence.Vault(settings.evidence_dir)
        if settings is not None and settings.evidence_dir is not None
        else None
    )
    protected = APIRouter(
        include_in_schema=False, dependencies=[Depends(page_user), Depends(page_form_csrf)]
    )

    @protected.get("/intake", response_class=HTMLResponse, name="intake_form")
    def intake_form(request: Request, user: PageUser) -> Response:
        require_intake(user)
        return _wizard(request, user, _new_form(), STEPS[0], {})

    @protected.post("/intake/step", response_class=HTMLResponse, name="intake_step")
    async def intake_step(request: Request, user: PageUser) -> Response:
        try:
            require_intake(user)
            return await _step(request, user)
        finally:
            await _close_files(request)

    async def _step(request: Request, user: WebUser) -> Response:
        data = await request.form()
        form = IntakeForm.parse(data)
        raw_step, go = data.get("step"), data.get("go")
        step = raw_step if isinstance(raw_step, str) and raw_step in STEPS else STEPS[0]
        action = go if isinstance(go, str) else "next"
        index = STEPS.index(step)
        if action == "back":
            return _wizard(request, user, form, STEPS[max(index - 1, 0)], {})
        if action.startswith("goto:") and action[5:] in STEPS[:index]:
            return _wizard(request, user, form, action[5:], {})
        if action == "add_row":
            form.add_row(step)
            return _wizard(request, user, form, step, {})
        places = _readable_places(request, user)
        problems = form.problems(
            step,
            place_exists=places.__contains__,
            levels=_levels(user),
            perpetrator_exists=_unit_checker(request, user),
        )
        if problems:
            return _wizard(request, user, form, step, problems, status=422)
        return _wizard(request, user, form, STEPS[min(index + 1, len(STEPS) - 1)], {})

    @protected.post("/intake", response_class=HTMLResponse, name="intake")
    async def intake_save(request: Request, user: PageUser) -> Response:
        try:
            require_intake(user)
            return await _save(request, user)
        finally:
            await _close_files(request)

    async def _save(request: Request, user: WebUser) -> Response:
        form = IntakeForm.parse(await request.form())
        places = _readable_places(request, user)
        step, problems = form.all_problems(
            place_exists=places.__contains__,
            levels=_levels(user),
            perpetrator_exists=_unit_checker(request, user),
        )
        if step is not None:
            return _wizard(request, user, form, step, problems, status=422)
        uploads, too_large = await _uploads(request)
        if too_large:
            return _wizard(
                request,
                user,
                form,
                "evidence",
                {"evidence_file": "intake.err.too_large"},
                status=422,
            )
        if uploads and vault is None:
            errors = {"evidence_file": "intake.err.no_vault"}
            return _wizard(request, user, form, "evidence", errors, status=422)
        try:
            stored = await run_in_threadpool(
                intake.record,
                store_of(request),
                user,
                form.to_interview(),
                places,
                uploads,
                vault,
            )
        except intake.FileRefused as refused:
            errors = {"evidence_file": _refusal(refused.cause)}
            status = 422 if isinstance(refused.cause, evidence.EvidenceError) else 500
            return _wizard(request, user, form, "evidence", errors, status=status)
        except PermissionDenied:
            errors = {"confidentiality": "intake.err.level"}
            return _wizard(request, user, form, "source", errors, status=403)
        return RedirectResponse(f"/records/{stored.event_id}", status_code=303)

    return protected
