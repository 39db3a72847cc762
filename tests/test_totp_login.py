"""A second factor at login: required once enabled, accepted once per code, sealed at rest."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
import sqlalchemy as sa

from kirok.services import users
from kirok.services.context import Settings, initialise
from kirok.store.repository import RecordStore
from kirok.store.schema import users as users_table

PASSWORD = "a long enough password 1"


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Iterator[RecordStore]:
    settings = Settings(db_url=db_url, keystore=tmp_path / "keys.json", key_file=tmp_path / "k.key")
    with initialise(settings) as opened:
        users.add_user(opened, "reviewer1", "reviewer", PASSWORD, actor="admin")
        yield opened


def test_second_factor_is_required_once_enabled(store: RecordStore) -> None:
    assert users.authenticate(store, "reviewer1", PASSWORD).user is not None
    secret, uri = users.enable_totp(store, "reviewer1", actor="admin")
    assert uri.startswith("otpauth://totp/") and "reviewer1" in uri
    now = datetime.now(UTC)
    assert users.authenticate(store, "reviewer1", PASSWORD, now=now).user is None
    code = pyotp.TOTP(secret).at(now)
    wrong = "000000" if code != "000000" else "111111"
    assert users.authenticate(store, "reviewer1", PASSWORD, totp_code=wrong, now=now).user is None
    ok = users.authenticate(store, "reviewer1", PASSWORD, totp_code=code, now=now)
    assert ok.user is not None and ok.user.username == "reviewer1"
    # The same code is not accepted twice (replay); the next one is.
    again = users.authenticate(store, "reviewer1", PASSWORD, totp_code=code, now=now)
    assert again.user is None
    later = now + timedelta(seconds=30)
    following = pyotp.TOTP(secret).at(later)
    assert users.authenticate(store, "reviewer1", PASSWORD, totp_code=following, now=later).user


def test_secret_is_sealed_at_rest(store: RecordStore) -> None:
    secret, _ = users.enable_totp(store, "reviewer1", actor="admin")
    with store.engine.connect() as connection:
        stored = connection.execute(sa.select(users_table.c.totp_secret)).scalar_one()
    assert secret not in stored
