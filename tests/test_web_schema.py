"""schemathesis against the API's own OpenAPI document: no 5xx, responses match their schemas."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from argon2 import PasswordHasher
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from kirok.security import passwords
from kirok.services import users
from kirok.services.context import Settings, initialise
from kirok.web.app import create_app

PASSWORD = "correct horse battery staple"
_TOKEN: dict[str, str] = {}


@pytest.fixture
def api_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "default_hasher", lambda: cheap)
    config = Settings(
        db_url=f"sqlite:///{tmp_path / 'kirok.db'}",
        keystore=tmp_path / "keys.json",
        key_file=tmp_path / "kirok.key",
    )
    store = initialise(config)
    admin = users.add_user(store, "admin", "admin", PASSWORD, actor="test")
    _TOKEN["admin"] = users.issue_token(store, admin)
    app = create_app(config, https=False, store=store)
    try:
        yield schemathesis.openapi.from_asgi(
            "/openapi.json", app, headers={"Authorization": f"Bearer {_TOKEN['admin']}"}
        )
    finally:
        store.close()


@pytest.mark.slow
def test_api_conforms_to_its_schema(api_schema: Any) -> None:
    """Every operation, a few generated requests each (the suite must stay fast)."""
    headers = {"Authorization": f"Bearer {_TOKEN['admin']}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 60
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=3,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case: Any) -> None:
            # Schema-valid is not always acceptable: a reference to a record that does not exist
            # or an impossible EDTF date is refused with 422, by design.
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        check()
