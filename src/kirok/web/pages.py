"""Server-rendered pages (Jinja2, autoescaped; HTMX for partial updates).

Pages call the same services as the API; every page needs a signed-in user and every form posts
the session's CSRF token (``auth.page_form_csrf``).
"""

from __future__ import annotations

from importlib import resources
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from kirok.domain.records import record_type
from kirok.domain.vocabulary import UnknownTermError, get_term
from kirok.services import records_api, users
from kirok.services.users import WebUser
from kirok.web import i18n, search_facets
from kirok.web.auth import (
    CSRF_FIELD,
    PageUser,
    check_csrf,
    csrf_token,
    end_session,
    page_form_csrf,
    page_user,
    start_session,
    store_of,
)

_TEMPLATES: list[Jinja2Templates] = []


def templates() -> Jinja2Templates:
    """The template set, built on first use (never at import time)."""
    if not _TEMPLATES:
        folder = str(resources.files("kirok.web").joinpath("templates"))
        env = Environment(
            loader=FileSystemLoader(folder),
            autoescape=select_autoescape(["html"], default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        _TEMPLATES.append(Jinja2Templates(env=env))
    return _TEMPLATES[0]


def lang_of(request: Request) -> str:
    return i18n.language(request.session.get("lang"))


def term_label(term_id: object, lang: str) -> str:
    """A vocabulary term's label in `lang`; the raw value if it is not a known term."""
    if not isinstance(term_id, str) or not term_id:
        return "" if term_id is None else str(term_id)
    try:
        return get_term(term_id).label(lang)
    except UnknownTermError:
        return term_id


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    user: WebUser | None = None,
    status: int = 200,
) -> HTMLResponse:
    lang = lang_of(request)
    base = {
        "lang": lang,
        "t": lambda key: i18n.translate(lang, key),
        "term": lambda term_id: term_label(term_id, lang),
        "field": lambda name: i18n.field_label(lang, name),
        "csrf_field": CSRF_FIELD,
        "csrf": csrf_token(request),
        "user": user,
        "path": request.url.path,
    }
    return templates().TemplateResponse(request, name, {**base, **context}, status_code=status)


def error_page(request: Request, status: int, detail: str) -> Response:
    lang = lang_of(request)
    key = {403: "error.forbidden", 404: "error.not_found"}.get(status, "error.invalid")
    return render(
        request,
        "error.html",
        {"message": i18n.translate(lang, key), "detail": detail},
        status=status,
    )


def _safe_next(target: str | None) -> str:
    """Only local paths: the language switch must not become an open redirect."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def build_routers() -> list[APIRouter]:
    """The public login routes and the protected pages."""
    router = APIRouter(include_in_schema=False)
    protected = APIRouter(
        include_in_schema=False, dependencies=[Depends(page_user), Depends(page_form_csrf)]
    )

    @router.get("/login", response_class=HTMLResponse, name="login_form")
    def login_form(request: Request, lang: str | None = None) -> Response:
        if lang is not None:
            request.session["lang"] = i18n.language(lang)
        return render(request, "login.html", {"failed": False})

    @router.post("/login", response_class=HTMLResponse, name="login")
    def login(
        request: Request,
        username: Annotated[str, Form(max_length=100)],
        password: Annotated[str, Form(max_length=1024)],
        csrf_token_: Annotated[str, Form(alias=CSRF_FIELD)] = "",
        totp: Annotated[str, Form(max_length=12)] = "",
    ) -> Response:
        check_csrf(request, csrf_token_)
        result = users.authenticate(store_of(request), username, password, totp_code=totp or None)
        if result.user is None:
            return render(request, "login.html", {"failed": True}, status=401)
        start_session(request, result.user)
        return RedirectResponse("/", status_code=303)

    @protected.post("/logout", name="logout")
    def logout(request: Request, user: PageUser) -> Response:
        end_session(request)
        return RedirectResponse("/login", status_code=303)

    @protected.post("/lang", name="switch_language")
    def switch_language(
        request: Request,
        user: PageUser,
        lang: Annotated[str, Form()],
        next_: Annotated[str | None, Form(alias="next")] = None,
    ) -> Response:
        request.session["lang"] = i18n.language(lang)
        return RedirectResponse(_safe_next(next_), status_code=303)

    @protected.get("/search", response_class=HTMLResponse, name="search_page")
    def search_page(
        request: Request,
        user: PageUser,
        q: Annotated[str, Query(max_length=200)] = "",
        kind: Annotated[str, Query(max_length=40)] = "",
        act_type: Annotated[str, Query(max_length=64)] = "",
        year: Annotated[str, Query(max_length=4)] = "",
        province: Annotated[str, Query(max_length=64)] = "",
    ) -> Response:
        filters = search_facets.Filters(kind, act_type, year, province)
        found = search_facets.faceted_search(
            store_of(request), user, q, filters, lang=lang_of(request)
        )
        rows = [
            {"id": d["id"], "kind": d["kind"], "summary": _summary(d), "term": _term_of(d)}
            for d in found.rows
        ]

        def link(name: str, value: str) -> str:
            chosen = dict(filters.active())
            if chosen.get(name) == value:
                chosen.pop(name)  # a second click on a chosen value removes it
            else:
                chosen[name] = value
            return "/search?" + urlencode([("q", q), *chosen.items()])

        context = {
            "q": q,
            "rows": rows,
            "searched": bool(q.strip()),
            "found": found,
            "filters": filters.active(),
            "link": link,
        }
        name = "search_results.html" if request.headers.get("HX-Request") else "search.html"
        return render(request, name, context, user=user)

    @protected.get("/records/{record_id}", response_class=HTMLResponse, name="record_page")
    def record_page(
        request: Request,
        user: PageUser,
        record_id: str,
    ) -> Response:
        store = store_of(request)
        record = records_api.get_record(store, user, None, record_id)
        document = records_api.redacted(store, user, record)
        versions = records_api.history(store, user, record_id)
        fields = [
            (name, value)
            for name, value in document.items()
            if not name.startswith("_") and name != "kind"
        ]
        return render(
            request,
            "record.html",
            {
                "record": document,
                "kind": record.kind,
                "title": _summary(document),
                "fields": fields,
                "hidden": set(document.get("_redacted", [])),
                "term_field": record.term_field,
                "refs": set(type(record).references),
                "versions": versions,
            },
            user=user,
        )

    return [router, protected]


def _summary(document: dict[str, Any]) -> str:
    line = records_api.summary(document)
    testimony = document.get("testimony")
    if line == document.get("kind") and isinstance(testimony, str) and testimony:
        # An information record is known by its testimony (when the role may read it).
        return testimony if len(testimony) <= 80 else testimony[:77] + "…"
    return line


def _term_of(document: dict[str, Any]) -> str | None:
    kind = document.get("kind")
    if not isinstance(kind, str):
        return None
    field = record_type(kind).term_field
    value = document.get(field) if field else None
    return value if isinstance(value, str) else None
