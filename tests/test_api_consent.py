"""Consent on the staff JSON API: every read path asks ``policy.internal_use`` through ``redact``.

Names are chosen so that each appears in exactly one record; a name withheld by consent must not
appear anywhere in a response (lists, one record, search, history) for roles below the consent
keepers', and must appear once consent allows it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from kirok.domain.records import Event
from kirok.security import passwords, policy
from kirok.services import users
from kirok.services.context import Settings, initialise
from kirok.store.repository import RecordStore
from kirok.web.app import create_app

PASSWORD = "correct horse battery staple"
TODAY = datetime.now(UTC).date()
LAST_YEAR = (TODAY - timedelta(days=365)).isoformat()
YESTERDAY = (TODAY - timedelta(days=1)).isoformat()

# person key -> (Hangul name, consent on file or None)
PEOPLE: dict[str, tuple[str, dict[str, Any] | None]] = {
    "none": ("박무동의", None),
    "given": ("최동의함", {"scopes": ["internal"], "given_on": LAST_YEAR}),
    "revoked": (
        "김철회됨",
        {"scopes": ["internal", "share_un"], "given_on": LAST_YEAR, "revoked_on": YESTERDAY},
    ),
    "family": (
        "이가족위험",
        {"scopes": ["internal"], "given_on": LAST_YEAR, "family_at_risk": True},
    ),
    "other_scope": ("정공개만", {"scopes": ["publication"], "given_on": LAST_YEAR}),
}
VISIBLE = {"none", "given"}
TESTIMONY = "보위부 구류장에서 매일 밤 구타를 당했다"


@dataclass
class Api:
    store: RecordStore
    clients: dict[str, TestClient]
    ids: dict[str, str]

    def __getitem__(self, role: str) -> TestClient:
        return self.clients[role]


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture
def api(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "default_hasher", lambda: cheap)
    settings = Settings(
        db_url=db_url, keystore=tmp_path / "keys.json", key_file=tmp_path / "kirok.key"
    )
    store = initialise(settings)
    app = create_app(settings, https=False, store=store)
    clients = {}
    for role in policy.Role:
        user = users.add_user(store, role.value, role.value, PASSWORD, actor="test")
        client = TestClient(app, follow_redirects=False)
        client.headers["Authorization"] = f"Bearer {users.issue_token(store, user)}"
        clients[role.value] = client
    doc = clients["documenter"]
    ids: dict[str, str] = {}
    for key, (name, consent) in PEOPLE.items():
        person = {
            "name_forms": [{"text": name, "script": "hangul"}],
            "confidentiality": "internal",
        }
        ids[key] = _ok(doc.post("/api/v1/person", json=person), 201)["id"]
        if consent is not None:
            body = {**consent, "person_id": ids[key], "confidentiality": "internal"}
            ids[f"consent-{key}"] = _ok(doc.post("/api/v1/consent", json=body), 201)["id"]
    # A testimony whose source revoked consent.
    info = {
        "source_person_id": ids["revoked"],
        "testimony": TESTIMONY,
        "confidentiality": "internal",
    }
    ids["info"] = _ok(doc.post("/api/v1/information", json=info), 201)["id"]
    try:
        yield Api(store, clients, ids)
    finally:
        store.close()


def _withheld(key: str) -> bool:
    return key not in VISIBLE


def test_get_withholds_identity_without_internal_consent(api: Api) -> None:
    for key, (name, _) in PEOPLE.items():
        seen = _ok(api["reviewer"].get(f"/api/v1/person/{api.ids[key]}"))
        if _withheld(key):
            assert name not in str(seen), key
            assert seen["data"]["name_forms"] is None and "name_forms" in seen["redacted"]
        else:
            assert seen["data"]["name_forms"][0]["text"] == name, key
        # Consent keepers see every name: they must be able to honour the consent.
        for keeper in ("documenter", "admin"):
            kept = _ok(api[keeper].get(f"/api/v1/person/{api.ids[key]}"))
            assert kept["data"]["name_forms"][0]["text"] == name
    # Withheld means withheld: an analyst gets no pseudonym in its place.
    analyst = _ok(api["analyst"].get(f"/api/v1/person/{api.ids['family']}"))
    assert analyst["data"]["name_forms"] is None and analyst["pseudonymized"] == []
    shown = _ok(api["analyst"].get(f"/api/v1/person/{api.ids['given']}"))
    assert "name_forms" in shown["pseudonymized"]
    assert str(shown["data"]["name_forms"]).startswith("P-")


def test_information_follows_the_consent_of_its_source(api: Api) -> None:
    url = f"/api/v1/information/{api.ids['info']}"
    assert TESTIMONY not in str(_ok(api["reviewer"].get(url)))
    assert _ok(api["documenter"].get(url))["data"]["testimony"] == TESTIMONY
    # The source consents again, after the revocation: the reviewer reads the testimony.
    again = {
        "person_id": api.ids["revoked"],
        "scopes": ["internal"],
        "given_on": TODAY.isoformat(),
        "confidentiality": "internal",
    }
    _ok(api["documenter"].post("/api/v1/consent", json=again), 201)
    assert _ok(api["reviewer"].get(url))["data"]["testimony"] == TESTIMONY


def test_list_withholds_and_totals_count_records_not_identities(api: Api) -> None:
    page = _ok(api["reviewer"].get("/api/v1/person", params={"limit": 200}))
    text = str(page)
    for key, (name, _) in PEOPLE.items():
        assert (name in text) is (not _withheld(key)), key
    kept = _ok(api["documenter"].get("/api/v1/person", params={"limit": 200}))
    assert all(name in str(kept) for name, _ in PEOPLE.values())
    # The same records are counted for both: the total says how many, never who.
    assert page["total"] == kept["total"] == len(page["items"]) == len(PEOPLE)
    counts = _ok(api["reviewer"].get("/api/v1/counts"))
    assert counts["person"] == len(PEOPLE)


def test_search_never_matches_withheld_text(api: Api) -> None:
    for key, (name, _) in PEOPLE.items():
        found = _ok(api["reviewer"].get("/api/v1/search", params={"q": name}))["items"]
        assert [i["id"] for i in found] == ([] if _withheld(key) else [api.ids[key]]), key
        kept = _ok(api["documenter"].get("/api/v1/search", params={"q": name}))["items"]
        assert [i["id"] for i in kept] == [api.ids[key]]
    # A word of the withheld testimony finds nothing for the reviewer either.
    assert _ok(api["reviewer"].get("/api/v1/search", params={"q": "구류장"}))["items"] == []
    assert [
        i["id"]
        for i in _ok(api["documenter"].get("/api/v1/search", params={"q": "구류장"}))["items"]
    ] == [api.ids["info"]]


def test_history_withholds_every_version_and_a_revocation_covers_the_past(api: Api) -> None:
    doc, reviewer = api["documenter"], api["reviewer"]
    pid = api.ids["given"]
    name = PEOPLE["given"][0]
    person = _ok(doc.get(f"/api/v1/person/{pid}"))["data"]
    _ok(doc.put(f"/api/v1/person/{pid}", json={**person, "sex": "female"}))
    history = _ok(reviewer.get(f"/api/v1/person/{pid}/history"))
    assert len(history) == 2 and all(name in str(v["record"]) for v in history)

    # Revoke through the API: from now on no version shows the name to the reviewer.
    consent_id = api.ids["consent-given"]
    consent = _ok(doc.get(f"/api/v1/consent/{consent_id}"))["data"]
    revoked = {**consent, "revoked_on": TODAY.isoformat()}
    _ok(doc.put(f"/api/v1/consent/{consent_id}", json=revoked))
    history = _ok(reviewer.get(f"/api/v1/person/{pid}/history"))
    assert len(history) == 2 and name not in str(history)
    assert all(v["record"]["data"]["name_forms"] is None for v in history)
    assert name not in str(_ok(reviewer.get(f"/api/v1/person/{pid}")))
    assert _ok(reviewer.get("/api/v1/search", params={"q": name}))["items"] == []
    kept = _ok(doc.get(f"/api/v1/person/{pid}/history"))
    assert all(name in str(v["record"]) for v in kept)


def test_search_looks_past_candidates_the_role_cannot_match(api: Api) -> None:
    """An analyst sees names as pseudonyms: persons named 홍길동 are candidates for the store but
    not hits for the analyst, and must not crowd out the event that names him in its title."""
    doc = api["documenter"]
    for _ in range(6):  # more than the first quota (limit 2: 3), fewer than four pages (8)
        person = {"name_forms": [{"text": "홍길동"}], "confidentiality": "internal"}
        _ok(doc.post("/api/v1/person", json=person), 201)
    with api.store.write("documenter") as uow:
        # The store returns candidates in id order: this event comes after every person.
        uow.add(Event(id="zz-event", title="홍길동 요덕 구금", confidentiality="internal"))
    found = _ok(api["analyst"].get("/api/v1/search", params={"q": "홍길동", "limit": 2}))
    assert [i["id"] for i in found["items"]] == ["zz-event"]
    everyone = _ok(api["documenter"].get("/api/v1/search", params={"q": "홍길동", "limit": 2}))
    assert len(everyone["items"]) == 2


def test_refugee_case_path_follows_the_consent_of_its_person(api: Api) -> None:
    note = "투먼 변방구류소에서 보위부로 넘겨짐"
    ids = {}
    for key in ("given", "family"):
        case = {
            "person_id": api.ids[key],
            "status": "detained_china",
            "steps": [{"stage": "detention_china", "start_date": "2024-03", "notes": note}],
            "confidentiality": "internal",
        }
        ids[key] = _ok(api["documenter"].post("/api/v1/refugee_case", json=case), 201)["id"]
    for role in ("reviewer", "analyst"):
        shown = _ok(api[role].get(f"/api/v1/refugee_case/{ids['given']}"))
        assert note in str(shown["data"]["steps"]), role
        withheld = _ok(api[role].get(f"/api/v1/refugee_case/{ids['family']}"))
        assert note not in str(withheld) and withheld["data"]["steps"] is None, role
        # The case itself is still counted: consent hides the path, not the case.
        assert withheld["data"]["status"] == "detained_china"
    kept = _ok(api["documenter"].get(f"/api/v1/refugee_case/{ids['family']}"))
    assert kept["data"]["steps"][0]["notes"] == note
