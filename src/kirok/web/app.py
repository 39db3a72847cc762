"""The FastAPI application factory. Nothing is built at import time: call ``create_app``."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from importlib import resources

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.formparsers import MultiPartParser
from starlette.middleware.sessions import SessionMiddleware

import kirok
from kirok.domain.errors import ConcurrentUpdate, NotFound, RecordProblem
from kirok.security.errors import PermissionDenied
from kirok.services import intake as intake_service
from kirok.services.context import Settings, open_store
from kirok.services.records_api import BadRequest
from kirok.store.repository import RecordStore
from kirok.web import analysis, api, dashboard, intake, maps, pages
from kirok.web.auth import ApiUser, CsrfFailure, LoginRequired, Unauthorized
from kirok.web.headers import SecurityHeaders

SESSION_COOKIE = "kirok_session"
SESSION_LIFETIME = timedelta(hours=8)

HTTPS_ENV = "KIROK_HTTPS"
#: Room for a form's own fields beside its files, in bytes.
FORM_FIELDS_BYTES = 1024 * 1024


def create_app_from_environment() -> FastAPI:
    """The application of one uvicorn worker process (``kirok serve --workers N``).

    Settings come from the environment as ``Settings.from_env`` reads it (``KIROK_DATABASE_URL``,
    ``KIROK_KEYSTORE``, ``KIROK_KEY_FILE`` or ``KIROK_PASSPHRASE``); ``KIROK_HTTPS=0`` leaves the
    session cookie without Secure, as ``create_app(..., https=False)`` does.
    """
    return create_app(Settings.from_env(), https=os.environ.get(HTTPS_ENV, "1") != "0")


def create_app(
    settings: Settings, *, https: bool = True, store: RecordStore | None = None
) -> FastAPI:
    """The web application over the store `settings` name.

    `https` marks the session cookie Secure; pass False only when serving plain HTTP on the
    loopback interface (tests, a single-user laptop).
    """
    opened = store if store is not None else open_store(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if store is None:
            opened.close()

    app = FastAPI(
        title="kirok",
        version=getattr(kirok, "__version__", "0"),
        description=(
            "Records of human-rights violations in North Korea. Every route needs a session or "
            "an API token; every read is redacted for the caller's role."
        ),
        lifespan=lifespan,
        # The schema and docs need a signed-in caller too (see the route below).
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        max_body_size=_keep_uploads_in_memory(),
    )
    app.state.store = opened
    # The signing key is derived from the master key: sessions survive a restart, and a copy of
    # the code or the database alone cannot forge one.
    secret = opened.sealer.blind_index("kirok-web", "session-signing-key")
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie=SESSION_COOKIE,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        same_site="lax",
        https_only=https,
    )

    app.add_middleware(SecurityHeaders, cache_control=_cache_control)

    static = resources.files("kirok.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    # Routes are added flat (not as included routers) so that `app.routes` lists every route:
    # the security tests walk it to prove each one refuses anonymous and wrong-role callers.
    for router in (
        api.build_router(),
        *pages.build_routers(),
        intake.build_router(settings),
        dashboard.build_router(),
        *maps.build_routers(),
        analysis.build_router(),
    ):
        app.router.routes.extend(router.routes)
    _error_handlers(app)

    @app.get("/openapi.json", include_in_schema=False, name="openapi")
    def openapi(_user: ApiUser) -> JSONResponse:
        return JSONResponse(app.openapi())

    return app


def _keep_uploads_in_memory() -> int:
    """The largest request body accepted (413 above it), in bytes.

    While it reads a form, Starlette writes every file part over 1 MiB to a temporary file, in
    plaintext. Evidence is read whole into memory and sealed anyway (``MAX_EVIDENCE_BYTES``),
    so requests are capped at that plus room for the fields, and file parts up to the cap stay
    in memory: no upload reaches the disk unencrypted. ``spool_max_size`` is a class setting,
    shared by every app of the process, so it is only ever raised."""
    limit = intake_service.MAX_EVIDENCE_BYTES + FORM_FIELDS_BYTES
    MultiPartParser.spool_max_size = max(MultiPartParser.spool_max_size, limit)
    return limit


def _cache_control(path: str) -> str | None:
    # pages and API answers hold records: never cached; vendored assets keep StaticFiles' own
    return None if path.startswith("/static/") else "no-store"


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


def _error_handlers(app: FastAPI) -> None:
    def problem(request: Request, status: int, detail: str) -> Response:
        if _wants_json(request):
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            return JSONResponse({"detail": detail}, status_code=status, headers=headers)
        return pages.error_page(request, status, detail)

    async def login_required(request: Request, _exc: Exception) -> Response:
        return RedirectResponse("/login", status_code=303)

    async def unauthorized(request: Request, _exc: Exception) -> Response:
        return problem(request, 401, "sign in or send an API token")

    async def csrf(request: Request, _exc: Exception) -> Response:
        return problem(request, 403, "missing or wrong CSRF token")

    async def denied(request: Request, exc: Exception) -> Response:
        return problem(request, 403, str(exc) or "not allowed")

    async def not_found(request: Request, _exc: Exception) -> Response:
        return problem(request, 404, "no such record")

    async def invalid(request: Request, exc: Exception) -> Response:
        return problem(request, 422, str(exc))

    async def conflict(request: Request, exc: Exception) -> Response:
        return problem(request, 409, str(exc))

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(Unauthorized, unauthorized)
    app.add_exception_handler(CsrfFailure, csrf)
    app.add_exception_handler(PermissionDenied, denied)
    app.add_exception_handler(NotFound, not_found)
    app.add_exception_handler(BadRequest, invalid)
    app.add_exception_handler(RecordProblem, invalid)
    app.add_exception_handler(ConcurrentUpdate, conflict)
