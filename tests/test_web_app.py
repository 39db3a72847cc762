"""The web application: authentication, roles, CSRF, escaping, the JSON API, languages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from kirok.domain.records import Act, Confidentiality, Event, NameForm, Person, Script
from kirok.security import passwords, policy
from kirok.services import users
from kirok.services.context import Settings, initialise
from kirok.store import migrate
from kirok.store.engine import create_engine
from kirok.store.repository import ListQuery, RecordStore
from kirok.web.app import create_app

PASSWORD = "correct horse battery staple"
# Act types: a parent and one of its narrower terms (ESF types of acts).
KILLING_PARENT = "01000000000004"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_PUBLIC_PATHS = {"/login"}


@dataclass
class Web:
    app: FastAPI
    store: RecordStore
    users: dict[str, users.WebUser]
    tokens: dict[str, str]

    def client(self) -> TestClient:
        return TestClient(self.app, follow_redirects=False)

    def as_role(self, role: str) -> TestClient:
        client = self.client()
        client.headers["Authorization"] = f"Bearer {self.tokens[role]}"
        return client

    def signed_in(self, role: str) -> tuple[TestClient, str]:
        """A browser-like client with a session; returns it and its CSRF token."""
        client = self.client()
        token = csrf_of(client.get("/login").text)
        response = client.post(
            "/login",
            data={"username": role, "password": PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 303, response.text
        return client, csrf_of(client.get("/").text)


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match is not None, "page has no CSRF field"
    return match.group(1)


def _build(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Web]:
    # Argon2id at its production cost takes ~0.1-1 s per hash; the tests log in often.
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "default_hasher", lambda: cheap)
    settings = Settings(
        db_url=db_url, keystore=tmp_path / "keys.json", key_file=tmp_path / "kirok.key"
    )
    store = initialise(settings)
    accounts = {
        role.value: users.add_user(store, role.value, role.value, PASSWORD, actor="test")
        for role in policy.Role
    }
    tokens = {name: users.issue_token(store, user) for name, user in accounts.items()}
    app = create_app(settings, https=False, store=store)
    try:
        yield Web(app, store, accounts, tokens)
    finally:
        store.close()


@pytest.fixture
def web(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Web]:
    yield from _build(sqlite_url, tmp_path, monkeypatch)


@pytest.fixture
def web_any(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Web]:
    """The same, once per backend."""
    yield from _build(db_url, tmp_path, monkeypatch)


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "0123456789abcdef", path)


def _routes(app: FastAPI) -> list[tuple[str, str, str]]:
    """(method, path, name) of every route the application serves, except static files."""
    out = []
    for route in app.routes:
        path = getattr(route, "path", "")
        methods = getattr(route, "methods", None)
        if not methods or path.startswith("/static"):
            continue
        for method in sorted(methods - {"HEAD"}):
            out.append((method, path, str(getattr(route, "name", ""))))
    return out


# -- authentication ------------------------------------------------------------------------------


def test_every_route_refuses_anonymous_callers(web: Web) -> None:
    client = web.client()
    routes = [r for r in _routes(web.app) if r[1] not in _PUBLIC_PATHS]
    assert len(routes) > 60  # every kind's five API routes, search, pages, the schema
    for method, path, _name in routes:
        response = client.request(method, _concrete(path), json={})
        if path.startswith("/api/") or path == "/openapi.json":
            assert response.status_code == 401, (method, path, response.status_code)
            assert response.headers["www-authenticate"] == "Bearer"
        else:
            assert response.status_code == 303, (method, path, response.status_code)
            assert response.headers["location"] == "/login"


def test_a_bad_or_expired_token_is_refused(web: Web) -> None:
    client = web.client()
    client.headers["Authorization"] = "Bearer kirok_not-a-real-token"
    assert client.get("/api/v1/event").status_code == 401
    expired = users.issue_token(web.store, web.users["admin"], lifetime=timedelta(seconds=-1))
    client.headers["Authorization"] = f"Bearer {expired}"
    assert client.get("/api/v1/event").status_code == 401
    client.headers["Authorization"] = f"Bearer {web.tokens['admin']}"
    assert client.get("/api/v1/event").status_code == 200


def test_every_api_route_refuses_the_roles_the_policy_refuses(web: Web) -> None:
    operations = {
        "list": policy.Action.READ,
        "get": policy.Action.READ,
        "history": policy.Action.READ,
        "create": policy.Action.CREATE,
        "update": policy.Action.UPDATE,
    }
    checked = refused = 0
    for role in policy.Role:
        client = web.as_role(role.value)
        for method, path, name in _routes(web.app):
            op, _, kind = name.partition("_")
            if op not in operations or not path.startswith("/api/v1/"):
                continue
            allowed = operations[op] in policy.PERMISSIONS[role][policy.EntityKind(kind)]
            response = client.request(method, _concrete(path), json={})
            checked += 1
            if allowed:
                assert response.status_code != 403, (role, method, path)
            else:
                refused += 1
                assert response.status_code == 403, (role, method, path, response.status_code)
    assert checked > 300 and refused > 50


def test_pages_refuse_roles_that_may_not_create(web: Web) -> None:
    client, token = web.signed_in("viewer")
    assert client.get("/intake").status_code == 403
    response = client.post(
        "/intake",
        data={
            "csrf_token": token,
            "event_title": "x",
            "act_type": KILLING_PARENT,
            "victim_name": "y",
        },
    )
    assert response.status_code == 403
    with web.store.read() as uow:
        assert uow.counts_by_kind().get("event", 0) == 0
    documenter, _ = web.signed_in("documenter")
    assert documenter.get("/intake").status_code == 200


def test_wrong_password_then_lockout(web: Web) -> None:
    client = web.client()
    token = csrf_of(client.get("/login").text)
    for _ in range(5):
        response = client.post(
            "/login", data={"username": "viewer", "password": "wrong guess!!", "csrf_token": token}
        )
        assert response.status_code == 401
    # The right password no longer opens a locked account, and the page says nothing more.
    response = client.post(
        "/login", data={"username": "viewer", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 401
    assert "kirok_session" not in response.headers.get("set-cookie", "") or "uid" not in str(
        client.cookies
    )
    later = datetime.now(UTC) + timedelta(minutes=31)
    assert users.authenticate(web.store, "viewer", PASSWORD, now=later).user is not None
    with web.store.read() as uow:
        actions = [
            row.action
            for row in uow.connection.execute(sa.text("SELECT action FROM audit_log ORDER BY seq"))
        ]
    assert actions.count("login_failed") == 4 and actions.count("locked_out") >= 2
    assert actions[-1] == "login"


def test_session_cookie_flags(sqlite_url: str, tmp_path: Path) -> None:
    for https, secure in ((False, False), (True, True)):
        settings = Settings(
            db_url=sqlite_url, keystore=tmp_path / "keys.json", key_file=tmp_path / "kirok.key"
        )
        store = initialise(settings)
        try:
            app = create_app(settings, https=https, store=store)
            response = TestClient(app, base_url="https://testserver").get("/login")
            cookie = response.headers["set-cookie"].lower()
            assert "httponly" in cookie and "samesite=lax" in cookie
            assert ("secure" in cookie) is secure
            assert "script-src 'self'" in response.headers["content-security-policy"]
        finally:
            store.close()


def test_every_response_carries_the_security_headers(web: Web) -> None:
    client = TestClient(web.app)  # type: ignore[arg-type]
    token = {"Authorization": f"Bearer {web.tokens['admin']}"}
    answers = {
        "page": client.get("/login"),
        "api": client.get("/api/v1/event", headers=token),
        "refused": client.get("/api/v1/event"),
        "asset": client.get("/static/kirok.css"),
    }
    for name, response in answers.items():
        assert response.headers["x-content-type-options"] == "nosniff", name
        assert response.headers["x-frame-options"] == "DENY", name
        assert response.headers["referrer-policy"] == "no-referrer", name
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], name
    assert answers["refused"].status_code == 401
    for name in ("page", "api", "refused"):  # they hold records: never cached
        assert answers[name].headers["cache-control"] == "no-store", name
    assert answers["asset"].status_code == 200 and "cache-control" not in answers["asset"].headers


def test_login_replaces_the_session(web: Web) -> None:
    client = web.client()
    before = csrf_of(client.get("/login").text)
    client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": before})
    after = csrf_of(client.get("/").text)
    assert after != before


# -- CSRF ----------------------------------------------------------------------------------------


def test_csrf_is_enforced_on_every_form(web: Web) -> None:
    posts = [
        path for method, path, _ in _routes(web.app) if method == "POST" and "/api/" not in path
    ]
    assert set(posts) >= {"/login", "/logout", "/lang", "/intake"}
    for path in posts:
        for token in (None, "forged-token-forged-token-forged-token"):
            client, _real = web.signed_in("admin")
            data: dict[str, Any] = {"lang": "ko", "username": "admin", "password": PASSWORD}
            if token is not None:
                data["csrf_token"] = token
            response = client.post(path, data=data)
            assert response.status_code == 403, (path, token, response.status_code)
    # The API accepts a session only with the token in a header.
    client, real = web.signed_in("admin")
    body = {"title": "csrf check"}
    assert client.post("/api/v1/event", json=body).status_code == 403
    assert (
        client.post("/api/v1/event", json=body, headers={"X-CSRF-Token": real}).status_code == 201
    )


# -- escaping ------------------------------------------------------------------------------------

PAYLOADS = (
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg onload=alert(1)>",
)


def test_script_payloads_render_inert(web: Web) -> None:
    client, token = web.signed_in("documenter")
    for payload in PAYLOADS:
        response = client.post(
            "/intake",
            data={
                "csrf_token": token,
                "source_name": f"증언자 {payload}",
                "testimony": payload,
                "event_title": f"잠입 {payload}",
                "event_description": payload,
                "victim_name": f"박영희 {payload}",
                "start_date": "2014-03",
                "act_type": KILLING_PARENT,
            },
        )
        assert response.status_code == 303, response.text
        pages = [client.get(response.headers["location"]).text]
        pages.append(client.get("/search", params={"q": "잠입"}).text)
        pages.append(client.get("/search", params={"q": payload}).text)
        with web.store.read() as uow:
            person_id = uow.search("박영희", kinds=["person"])[0].id
        pages.append(client.get(f"/records/{person_id}").text)
        for html in pages:
            assert payload not in html
            for live in ("<script>alert", "<img src=x", "<svg onload"):
                assert live not in html
        assert "&lt;" in pages[0]
    # A bad date comes back as a form problem, with the values escaped too.
    response = client.post(
        "/intake",
        data={
            "csrf_token": token,
            "source_name": "x",
            "event_title": PAYLOADS[0],
            "victim_name": "x",
            "start_date": "not a date",
            "act_type": KILLING_PARENT,
        },
    )
    assert response.status_code == 422 and PAYLOADS[0] not in response.text


# -- the JSON API --------------------------------------------------------------------------------


def _seed(store: RecordStore) -> dict[str, str]:
    from kirok.domain.vocabulary import load_vocabularies

    acts = load_vocabularies()["types_of_acts"]
    child = acts.children(KILLING_PARENT)[0].id
    event = Event(
        title="함경북도 공개처형", start_date="2009-03", confidentiality=Confidentiality.INTERNAL
    )
    secret = Event(
        title="Secret transfer to Yodok", start_date="2012", confidentiality=Confidentiality.SECRET
    )
    victim = Person(
        name_forms=[NameForm(text="리영호", script=Script.HANGUL)],
        confidentiality=Confidentiality.INTERNAL,
    )
    act = Act(
        event_id=event.id,
        victim_id=victim.id,
        act_type=child,
        start_date="2009-03-12",
        confidentiality=Confidentiality.INTERNAL,
    )
    with store.write("seed") as uow:
        for record in (event, secret, victim, act):
            uow.add(record)
    return {
        "event": event.id,
        "secret": secret.id,
        "person": victim.id,
        "act": act.id,
        "child": child,
    }


def test_api_round_trip(web_any: Web) -> None:
    web = web_any
    ids = _seed(web.store)
    doc = web.as_role("documenter")
    created = doc.post(
        "/api/v1/event",
        json={
            "title": "Forced repatriation at Sinuiju",
            "start_date": "2019-11",
            "confidentiality": "confidential",
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["kind"] == "event" and body["version"] == 1
    event_id = body["id"]
    fetched = doc.get(f"/api/v1/event/{event_id}").json()
    assert fetched["data"]["title"] == "Forced repatriation at Sinuiju"
    changed = {**fetched["data"], "title": "Forced repatriation at Sinuiju (2 witnesses)"}
    updated = doc.put(f"/api/v1/event/{event_id}", json=changed, params={"expected_version": 1})
    assert updated.status_code == 200 and updated.json()["version"] == 2
    stale = doc.put(f"/api/v1/event/{event_id}", json=changed, params={"expected_version": 1})
    assert stale.status_code == 409
    history = doc.get(f"/api/v1/event/{event_id}/history").json()
    assert [v["action"] for v in history] == ["create", "update"]
    assert history[0]["record"]["data"]["title"] == "Forced repatriation at Sinuiju"

    # Korean search, and the writes are in the audit log under the user's name.
    found = doc.get("/api/v1/search", params={"q": "공개처형"}).json()["items"]
    assert [item["id"] for item in found] == [ids["event"]]
    with web.store.read() as uow:
        audited = uow.connection.execute(
            sa.text("SELECT action FROM audit_log WHERE actor = 'documenter' AND record_id = :r"),
            {"r": event_id},
        ).all()
    assert [row.action for row in audited] == ["create", "update"]

    # Filters: a parent term finds acts of its narrower terms; dates overlap; confidentiality.
    acts = doc.get("/api/v1/act", params={"term": KILLING_PARENT}).json()
    assert [a["id"] for a in acts["items"]] == [ids["act"]]
    other = "02000000000004"
    assert doc.get("/api/v1/act", params={"term": other}).json()["total"] == 0
    in_2009 = doc.get("/api/v1/event", params={"from": "2009-03-31", "to": "2009-04-30"}).json()
    assert [e["id"] for e in in_2009["items"]] == [ids["event"]]
    secret_only = doc.get("/api/v1/event", params={"confidentiality": "secret"}).json()
    assert [e["id"] for e in secret_only["items"]] == [ids["secret"]]
    page = doc.get("/api/v1/event", params={"limit": 1, "offset": 1}).json()
    assert page["total"] == 3 and len(page["items"]) == 1

    # A viewer (clearance internal) never sees the secret event: not in lists, not by id.
    viewer = web.as_role("viewer")
    seen = viewer.get("/api/v1/event").json()
    assert ids["secret"] not in {e["id"] for e in seen["items"]} and seen["total"] == 1
    assert viewer.get(f"/api/v1/event/{ids['secret']}").status_code == 404
    assert viewer.get("/api/v1/search", params={"q": "Yodok"}).json()["items"] == []
    # An analyst sees the victim's name as a pseudonym; a viewer not at all.
    analyst = web.as_role("analyst").get(f"/api/v1/person/{ids['person']}").json()
    assert "name_forms" in analyst["pseudonymized"]
    assert str(analyst["data"]["name_forms"]).startswith("P-")
    assert (
        web.as_role("analyst").get("/api/v1/search", params={"q": "리영호"}).json()["items"] == []
    )
    hidden = viewer.get(f"/api/v1/person/{ids['person']}").json()
    assert hidden["data"]["name_forms"] is None and "name_forms" in hidden["redacted"]


def test_openapi_document_describes_every_kind(web: Web) -> None:
    schema = web.as_role("viewer").get("/openapi.json").json()
    paths = schema["paths"]
    assert "/api/v1/search" in paths
    for kind in ("event", "person", "act", "place", "refugee_case"):
        assert {"get", "post"} <= set(paths[f"/api/v1/{kind}"])
        body = paths[f"/api/v1/{kind}"]["post"]["requestBody"]["content"]["application/json"]
        assert body["schema"]["$ref"].endswith("/" + kind.title().replace("_", ""))
    assert "HTTPBearer" in schema["components"]["securitySchemes"]
    assert schema["components"]["schemas"]["RecordOut"]["examples"]


# -- pages and languages -------------------------------------------------------------------------


def test_dashboard_search_and_language_switch(web: Web) -> None:
    ids = _seed(web.store)
    client, token = web.signed_in("reviewer")
    dashboard = client.get("/").text
    assert "Dashboard" in dashboard and 'data-kind="event"' in dashboard
    results = client.get("/search", params={"q": "공개처형"}).text
    assert f"/records/{ids['event']}" in results
    partial = client.get("/search", params={"q": "공개처형"}, headers={"HX-Request": "true"})
    assert "<html" not in partial.text and ids["event"] in partial.text
    switched = client.post("/lang", data={"csrf_token": token, "lang": "ko", "next": "/search"})
    assert switched.status_code == 303 and switched.headers["location"] == "/search"
    korean = client.get("/").text
    assert "대시보드" in korean and 'lang="ko"' in korean
    act_page = client.get(f"/records/{ids['act']}").text
    from kirok.domain.vocabulary import get_term

    assert get_term(ids["child"]).label("ko") in act_page
    assert "행위 유형" in act_page and "<dt>act_type</dt>" not in act_page
    # The switch never redirects off the site.
    away = client.post("/lang", data={"csrf_token": token, "lang": "en", "next": "//evil.example/"})
    assert away.headers["location"] == "/"


def test_intake_creates_event_act_and_victim(web_any: Web) -> None:
    client, token = web_any.signed_in("documenter")
    response = client.post(
        "/intake",
        data={
            "csrf_token": token,
            "source_name": "증언자 가",
            "event_title": "온성 집결소 구타",
            "event_description": "Beaten during interrogation",
            "victim_name": "최은정",
            "start_date": "2016-05",
            "act_type": KILLING_PARENT,
            "confidentiality": "confidential",
        },
    )
    assert response.status_code == 303
    event_id = response.headers["location"].rsplit("/", 1)[1]
    with web_any.store.read() as uow:
        acts = uow.list(ListQuery(kind="act", refers_to=event_id))
        assert len(acts) == 1
        victim = uow.get(acts[0].victim_id)  # type: ignore[attr-defined]
    assert victim.display_name == "최은정"  # type: ignore[attr-defined]
    assert victim.confidentiality.value == "confidential"
    page = client.get(f"/records/{event_id}").text
    assert "온성 집결소 구타" in page and "create" in page


# -- schema --------------------------------------------------------------------------------------


def test_users_migration_up_and_down(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        migrate.upgrade(engine)
        assert {"users", "api_tokens"} <= set(sa.inspect(engine).get_table_names())
        migrate.downgrade(engine, "0001")
        tables = set(sa.inspect(engine).get_table_names())
        assert "users" not in tables and "api_tokens" not in tables and "records" in tables
        migrate.upgrade(engine)
        assert "users" in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_accounts_are_stored_with_argon2id(sqlite_url: str, tmp_path: Path) -> None:
    settings = Settings(
        db_url=sqlite_url, keystore=tmp_path / "keys.json", key_file=tmp_path / "kirok.key"
    )
    with initialise(settings) as store:
        users.add_user(store, "kim", "reviewer", PASSWORD, actor="test")
        with store.read() as uow:
            stored = uow.connection.execute(sa.text("SELECT password_hash FROM users")).scalar()
        assert str(stored).startswith("$argon2id$") and PASSWORD not in str(stored)
        assert users.authenticate(store, "kim", PASSWORD).user is not None
        assert users.authenticate(store, "kim", PASSWORD + "x").user is None
        assert users.authenticate(store, "nobody", PASSWORD).user is None
        with pytest.raises(users.UserProblem):
            users.add_user(store, "kim", "viewer", PASSWORD, actor="test")


def test_korean_covers_every_interface_string() -> None:
    from kirok.web import i18n

    english, korean = i18n.catalogue("en"), i18n.catalogue("ko")
    assert set(korean) == set(english)
    assert all(korean[k] for k in korean)
    assert i18n.translate("ko", "nav.search") == "검색"
    assert i18n.translate("xx", "nav.search") == "Search"  # unknown language: English


def test_writes_never_erase_what_the_writer_cannot_see(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = web.as_role("admin")
    created = admin.post(
        "/api/v1/intervention",
        json={"intervention_type": "urgent_appeal", "request": "source met in Yanji, 2019"},
    )
    assert created.status_code == 201, created.text
    first = created.json()
    # A caller cannot choose an id, so cannot collide with (or probe) records it cannot see.
    again = admin.post(
        "/api/v1/intervention", json={"id": first["id"], "intervention_type": "urgent_appeal"}
    )
    assert again.status_code == 201 and again.json()["id"] != first["id"]

    # Suppose the policy hid an intervention's request from analysts (who may update
    # interventions): writing back a redacted read must keep the stored value.
    real = policy.field_visibility

    def hidden_notes(kind: Any, field: str, user: Any) -> policy.Visibility:
        if kind == "intervention" and field == "request" and user.role == "analyst":
            return policy.Visibility.HIDDEN
        return real(kind, field, user)

    monkeypatch.setattr(policy, "field_visibility", hidden_notes)
    analyst = web.as_role("analyst")
    seen = analyst.get(f"/api/v1/intervention/{first['id']}").json()
    changed = {**seen["data"], "status": "closed", "request": None}  # as a redacted read shows
    assert analyst.put(f"/api/v1/intervention/{first['id']}", json=changed).status_code == 200
    stored = admin.get(f"/api/v1/intervention/{first['id']}").json()["data"]
    assert stored["request"] == "source met in Yanji, 2019" and stored["status"] == "closed"


def test_every_record_kind_has_a_label_in_both_languages() -> None:
    import json
    from importlib import resources

    from kirok.domain.records import RECORD_TYPES

    for lang in ("en", "ko"):
        text = resources.files("kirok.web").joinpath(f"locales/{lang}.json").read_text("utf-8")
        labels = json.loads(text)
        missing = [kind for kind in RECORD_TYPES if f"kind.{kind}" not in labels]
        assert missing == [], (lang, missing)
