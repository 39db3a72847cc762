"""The public read-only site: published reports, their Atom feed, and the mailing list.

A separate application from the staff app (``create_app``), so that no staff route is ever
reachable through it and the staff app keeps refusing every anonymous caller. It reads only:

* the publications recorded by ``kirok publish report`` (``services.publishing``);
* each published report, built again from the live records for the public audience with the
  same consent rules as ``kirok report --audience public`` and refused if anything in it is not
  cleared (``check_publishable``). A built page is served again only while nothing has been
  written since (``publishing.data_version``) and on the same day, so a consent withdrawn now
  takes the record off the next page served;
* the mailing list, through the database subscriber store.

**Forms and CSRF.** The subscribe and confirm forms carry the session's CSRF token. Confirming
is a POST from a page the link opens (a GET never changes anything: mail scanners open links).
Unsubscribing follows RFC 8058: a POST to the ``List-Unsubscribe`` URL with
``List-Unsubscribe=One-Click`` comes from the mail client without any session, so it is
authorised by the signed token bound to the address, not by a CSRF token; the unsubscribe page
posts the same form.

The security headers are the staff app's: a strict Content-Security-Policy (no inline script or
style, no third-party origin), ``nosniff``, no referrer, no framing.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any, Final
from urllib.parse import urlencode

from fastapi import FastAPI, Form, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.middleware.sessions import SessionMiddleware

from kirok.reports.model import NotPublishable, ReportData
from kirok.reports.publishing import InvalidToken, atom_feed
from kirok.reports.render import FONT_FILE, render_html, stylesheet_text
from kirok.security.keys import Keyring
from kirok.services import publishing
from kirok.services.context import Settings, open_keyring, open_store
from kirok.services.publishing import ListSettings, Publication
from kirok.store.repository import RecordStore
from kirok.web.headers import CSP, SecurityHeaders

__all__ = ["PUBLIC_CSP", "create_public_app"]


def _cache_control(path: str) -> str:
    return "public, max-age=3600" if path.endswith((".css", ".woff")) else "no-store"


SESSION_COOKIE: Final = "kirok_public"
ACTOR: Final = "web:public"
CSRF_FIELD: Final = "csrf_token"

#: The staff app's policy, unchanged: no inline script or style, no third-party origin.
PUBLIC_CSP: Final = CSP

_TEXT: Final[dict[str, dict[str, str]]] = {
    "en": {
        "site": "kirok — published reports",
        "reports": "Published reports",
        "none": "No report is published yet.",
        "published": "published",
        "feed": "Atom feed",
        "subscribe": "Subscribe",
        "subscribe_intro": "Receive an e-mail when a report is published. You will first get "
        "a message with a link to confirm.",
        "email": "E-mail address",
        "check_mail": "If the address can receive mail, a confirmation link is on its way. "
        "Nothing else is sent until you confirm.",
        "bad_email": "That is not a valid e-mail address.",
        "confirm": "Confirm the subscription",
        "confirm_intro": "Confirm that this address should receive announcements of "
        "published reports.",
        "confirmed": "Subscription confirmed.",
        "unsubscribe": "Unsubscribe",
        "unsubscribe_intro": "Stop announcements of published reports to this address.",
        "unsubscribed": "You are unsubscribed. No further announcement will be sent.",
        "bad_link": "This link is not valid (altered, expired, or already used).",
        "bad_form": "The form expired; open the page again.",
        "unavailable": "This report is not available now.",
        "language": "한국어",
        "mail_failed": "The confirmation message could not be sent; try again later.",
    },
    "ko": {
        "site": "기록(kirok) — 공개 보고서",
        "reports": "공개된 보고서",
        "none": "아직 공개된 보고서가 없습니다.",
        "published": "공개",
        "feed": "Atom 피드",
        "subscribe": "구독",
        "subscribe_intro": "보고서가 공개되면 전자우편으로 알려 드립니다. 먼저 확인 링크가 담긴 "
        "메일을 받게 됩니다.",
        "email": "전자우편 주소",
        "check_mail": "메일을 받을 수 있는 주소라면 확인 링크를 보냈습니다. 확인하기 전에는 "
        "다른 메일을 보내지 않습니다.",
        "bad_email": "올바른 전자우편 주소가 아닙니다.",
        "confirm": "구독 확인",
        "confirm_intro": "이 주소로 보고서 공개 소식을 받으시겠습니까?",
        "confirmed": "구독이 확인되었습니다.",
        "unsubscribe": "구독 해지",
        "unsubscribe_intro": "이 주소로 보고서 공개 소식을 더 받지 않습니다.",
        "unsubscribed": "구독이 해지되었습니다. 더 이상 알림을 보내지 않습니다.",
        "bad_link": "유효하지 않은 링크입니다(변경되었거나 만료되었거나 이미 사용됨).",
        "bad_form": "양식이 만료되었습니다. 페이지를 다시 여십시오.",
        "unavailable": "지금은 이 보고서를 볼 수 없습니다.",
        "language": "English",
        "mail_failed": "확인 메일을 보내지 못했습니다. 잠시 후 다시 시도하십시오.",
    },
}


@dataclass(frozen=True)
class _Cached:
    version: int
    day: date
    report: ReportData
    html: str


class _Reports:
    """Public reports built on demand, kept while no write happened and the day is the same
    (consents are judged on the day)."""

    def __init__(self, store: RecordStore, keyring: Keyring, today: Callable[[], date]) -> None:
        self.store = store
        self.keyring = keyring
        self.today = today
        self._cache: dict[str, _Cached] = {}
        self._lock = threading.Lock()
        self.builds = 0

    def get(self, publication: Publication) -> _Cached:
        day = self.today()
        with self._lock:
            version = publishing.data_version(self.store)
            found = self._cache.get(publication.slug)
            if found is not None and (found.version, found.day) == (version, day):
                return found
            report = publishing.public_report(
                self.store, self.keyring, publication.country, publication.year, on=day
            )
            html = render_html(report, stylesheet="/reports/report.css")
            built = _Cached(version, day, report, html)
            self._cache[publication.slug] = built
            self.builds += 1
            return built


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("kirok.web", "templates/public"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def create_public_app(
    settings: Settings,
    *,
    mail: ListSettings | None = None,
    https: bool = True,
    store: RecordStore | None = None,
    today: Callable[[], date] = date.today,
) -> FastAPI:
    """The public site over the store ``settings`` name.

    ``mail``: where links point and how the list mails; without it the subscribe form is not
    offered (confirm and unsubscribe links still work). ``https`` marks the session cookie
    Secure; pass False only on the loopback interface.
    """
    opened = store if store is not None else open_store(settings)
    keyring = open_keyring(settings)
    reports = _Reports(opened, keyring, today)
    env = _environment()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if store is None:
            opened.close()

    app = FastAPI(
        title="kirok public reports",
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.store = opened
    app.state.reports = reports
    app.add_middleware(
        SessionMiddleware,
        secret_key=opened.sealer.blind_index("kirok-public-web", "session-signing-key"),
        session_cookie=SESSION_COOKIE,
        max_age=2 * 3600,
        same_site="strict",
        https_only=https,
    )

    app.add_middleware(SecurityHeaders, cache_control=_cache_control)

    def lang_of(request: Request) -> str:
        asked = request.query_params.get("lang")
        if asked in _TEXT:
            request.session["lang"] = asked
        chosen = request.session.get("lang")
        return chosen if isinstance(chosen, str) and chosen in _TEXT else "en"

    def csrf_token(request: Request) -> str:
        token = request.session.get("csrf")
        if not isinstance(token, str):
            token = secrets.token_urlsafe(32)
            request.session["csrf"] = token
        return token

    def check_csrf(request: Request, submitted: str) -> bool:
        expected = request.session.get("csrf")
        return isinstance(expected, str) and secrets.compare_digest(expected, submitted)

    def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        lang = lang_of(request)
        other = "ko" if lang == "en" else "en"
        query = {**request.query_params, "lang": other}
        html = env.get_template(name).render(
            t=_TEXT[lang],
            lang=lang,
            other=other,
            switch=f"{request.url.path}?{urlencode(query)}",
            csrf=csrf_token(request),
            can_subscribe=mail is not None,
            **context,
        )
        return HTMLResponse(html, status_code=status)

    def message(request: Request, key: str, status: int = 200) -> HTMLResponse:
        return page(request, "message.html", status, text=_TEXT[lang_of(request)][key])

    def find(slug: str) -> Publication:
        for publication in publishing.publications(opened):
            if publication.slug == slug:
                return publication
        raise HTTPException(status_code=404)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        return PlainTextResponse(str(exc.detail), status_code=exc.status_code)

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request) -> HTMLResponse:
        return page(request, "index.html", publications=publishing.publications(opened))

    @app.get("/reports/report.css")
    def report_css() -> Response:
        return Response(stylesheet_text(), media_type="text/css")

    @app.get("/public.css")
    def site_css() -> Response:
        text = resources.files("kirok.web").joinpath("templates/public/public.css")
        return Response(text.read_text("utf-8"), media_type="text/css")

    @app.get("/reports/fonts/" + FONT_FILE)
    def font() -> Response:
        data = resources.files("kirok.reports").joinpath("fonts", FONT_FILE).read_bytes()
        return Response(data, media_type="font/woff")

    @app.get("/reports/{slug}", response_class=HTMLResponse)
    def report(request: Request, slug: str) -> HTMLResponse:
        publication = find(slug)
        try:
            return HTMLResponse(reports.get(publication).html)
        except NotPublishable:
            return message(request, "unavailable", 503)

    @app.get("/feed.atom")
    def feed(request: Request) -> Response:
        base = str(request.base_url).rstrip("/") if mail is None else mail.base_url
        entries = []
        for publication in publishing.publications(opened):
            try:
                built = reports.get(publication)
            except NotPublishable:
                continue
            entries.append(publishing.entry(built.report, publication, base))
        xml = atom_feed(
            entries, feed_url=f"{base}/feed.atom", site_url=f"{base}/", title=_TEXT["en"]["site"]
        )
        return Response(xml, media_type="application/atom+xml")

    @app.post("/subscribe", response_class=HTMLResponse)
    def subscribe(
        request: Request, email: str = Form(""), csrf_token: str = Form("")
    ) -> HTMLResponse:
        if not check_csrf(request, csrf_token):
            return message(request, "bad_form", 403)
        if mail is None:
            raise HTTPException(status_code=404)
        try:
            publishing.subscribe(opened, email, actor=ACTOR, settings=mail)
        except ValueError:
            return message(request, "bad_email", 422)
        except OSError:
            return message(request, "mail_failed", 503)
        # The same answer whether the address was new, pending or confirmed: the page does not
        # tell anyone who is subscribed.
        return message(request, "check_mail")

    @app.get("/list/confirm", response_class=HTMLResponse)
    def confirm_page(request: Request, token: str = "") -> HTMLResponse:
        return page(request, "token_form.html", action="/list/confirm", token=token, kind="confirm")

    @app.post("/list/confirm", response_class=HTMLResponse)
    def confirm(
        request: Request, token: str = Form(""), csrf_token: str = Form("")
    ) -> HTMLResponse:
        if not check_csrf(request, csrf_token):
            return message(request, "bad_form", 403)
        try:
            publishing.confirm(opened, token, actor=ACTOR)
        except InvalidToken:
            return message(request, "bad_link", 400)
        return message(request, "confirmed")

    @app.get("/list/unsubscribe", response_class=HTMLResponse)
    def unsubscribe_page(request: Request, token: str = "") -> HTMLResponse:
        return page(
            request,
            "token_form.html",
            action="/list/unsubscribe?" + urlencode({"token": token}),
            token=token,
            kind="unsubscribe",
        )

    @app.post("/list/unsubscribe", response_class=HTMLResponse)
    def unsubscribe(request: Request, token: str) -> HTMLResponse:
        """RFC 8058 one-click: the body is ``List-Unsubscribe=One-Click``; the signed token in
        the URL is the authorisation (see the module docstring)."""
        try:
            publishing.unsubscribe(opened, token, actor=ACTOR)
        except InvalidToken:
            return message(request, "bad_link", 400)
        return message(request, "unsubscribed")

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status_code=204)  # no icon; browsers ask for one anyway

    @app.get("/reports")
    def reports_index() -> RedirectResponse:
        return RedirectResponse("/", status_code=307)

    return app
