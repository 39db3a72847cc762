"""`kirok users add` and `kirok users token`, through the Typer app."""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from kirok.cli import app
from kirok.security import passwords
from kirok.services import users
from kirok.services.context import Settings, initialise, open_store

PASSWORD = "correct horse battery staple"


def test_users_add_and_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "default_hasher", lambda: cheap)
    env = {
        "KIROK_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "KIROK_KEY_FILE": str(tmp_path / "kirok.key"),
        "KIROK_KEYSTORE": str(tmp_path / "keys.json"),
    }
    settings = Settings.from_env(
        db=env["KIROK_DATABASE_URL"],
        keystore=Path(env["KIROK_KEYSTORE"]),
        key_file=Path(env["KIROK_KEY_FILE"]),
    )
    initialise(settings).close()
    runner = CliRunner()
    added = runner.invoke(
        app,
        ["users", "add", "kim", "--role", "reviewer"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
        env=env,
    )
    assert added.exit_code == 0, added.output
    assert PASSWORD not in added.output and "created kim (reviewer)" in added.output
    short = runner.invoke(
        app, ["users", "add", "lee", "--role", "viewer"], input="short\nshort\n", env=env
    )
    assert short.exit_code == 1 and "12 characters" in short.output
    again = runner.invoke(
        app,
        ["users", "add", "kim", "--role", "viewer"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
        env=env,
    )
    assert again.exit_code == 1 and "taken" in again.output
    issued = runner.invoke(app, ["users", "token", "kim", "--days", "2"], env=env)
    assert issued.exit_code == 0, issued.output
    token = issued.output.strip().splitlines()[-1]
    with open_store(settings) as store:
        user = users.user_for_token(store, token)
        assert user is not None and user.username == "kim" and user.role == "reviewer"
        assert users.authenticate(store, "kim", PASSWORD).user == user
    assert runner.invoke(app, ["users", "token", "nobody"], env=env).exit_code == 1
