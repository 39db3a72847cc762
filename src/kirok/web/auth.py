"""Who is asking: session login for pages, bearer tokens for the API, and CSRF protection.

- Sessions are signed cookies (Starlette's ``SessionMiddleware``): HttpOnly, SameSite=Lax, Secure
  when served over HTTPS. The session holds only the user id, the CSRF token and the language;
  the user's role is re-read from the database on every request, so a role change or a removed
  account takes effect at once.
- CSRF: every session carries a random token. Every form posts it back (``csrf_token``), and a
  browser calling the API with its session cookie sends it in ``X-CSRF-Token``. Bearer-token
  requests carry no cookie and need no CSRF token.
- Every route depends on ``page_user`` or ``api_user``; only the login page and static files
  do not. Role decisions are made by ``kirok.security.policy`` in the services, never here.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kirok.services import users
from kirok.services.users import WebUser
from kirok.store.repository import RecordStore

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

bearer = HTTPBearer(auto_error=False, description="An API token from `kirok users token`.")


class LoginRequired(Exception):
    """A page was asked for without a session: the app redirects to the login page."""


class Unauthorized(Exception):
    """An API call without valid credentials (401)."""


class CsrfFailure(Exception):
    """A state-changing request without the session's CSRF token (403)."""


def store_of(request: Request) -> RecordStore:
    store: RecordStore = request.app.state.store
    return store


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    session: dict[str, Any] = request.session
    token = session.get("csrf")
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get("csrf")
    if (
        not isinstance(expected, str)
        or not submitted
        or not secrets.compare_digest(expected.encode(), submitted.encode())
    ):
        raise CsrfFailure()


def start_session(request: Request, user: WebUser) -> None:
    """A fresh session for a user who just logged in (defeats session fixation)."""
    lang = request.session.get("lang")
    request.session.clear()
    request.session["uid"] = user.id
    request.session["csrf"] = secrets.token_urlsafe(32)
    if lang:
        request.session["lang"] = lang


def end_session(request: Request) -> None:
    request.session.clear()


def _session_user(request: Request) -> WebUser | None:
    uid = request.session.get("uid")
    if not isinstance(uid, str):
        return None
    user = users.get_user(store_of(request), uid)
    if user is None:
        request.session.clear()
    return user


def page_user(request: Request) -> WebUser:
    """The signed-in user of a page request, or a redirect to the login page."""
    user = _session_user(request)
    if user is None:
        raise LoginRequired()
    return user


async def page_form_csrf(request: Request) -> None:
    """Every state-changing page request must post the session's CSRF token."""
    if request.method in _SAFE_METHODS:
        return
    form = await request.form()
    value = form.get(CSRF_FIELD)
    check_csrf(request, value if isinstance(value, str) else None)


def api_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> WebUser:
    """The caller of an API request: a bearer token, or a session plus its CSRF header."""
    store = store_of(request)
    if credentials is not None:
        user = users.user_for_token(store, credentials.credentials)
        if user is None:
            raise Unauthorized()
        return user
    user = _session_user(request)
    if user is None:
        raise Unauthorized()
    if request.method not in _SAFE_METHODS:
        check_csrf(request, request.headers.get(CSRF_HEADER))
    return user


PageUser = Annotated[WebUser, Depends(page_user)]
ApiUser = Annotated[WebUser, Depends(api_user)]
