"""A fresh store for tests that sign people in: keys, evidence folder, a fast password hasher."""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import PasswordHasher

from kirok.security import passwords
from kirok.services import catalogue
from kirok.services.context import Settings, initialise
from kirok.store.repository import RecordStore


def new_store(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, gazetteer: bool = True
) -> tuple[Settings, RecordStore]:
    """A new database with its keys and evidence folder under `tmp_path`, the gazetteer loaded
    unless asked not to. Passwords are hashed cheaply: these tests log in, they do not measure
    Argon2."""
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "default_hasher", lambda: cheap)
    settings = Settings(
        db_url=db_url,
        keystore=tmp_path / "keys.json",
        key_file=tmp_path / "kirok.key",
        evidence_dir=tmp_path / "evidence",
    )
    store = initialise(settings)
    if gazetteer:
        catalogue.load_gazetteer(store, "test")
    return settings, store
