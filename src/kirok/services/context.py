"""Opening kirok: settings, the key ring, the migrated database and the record store.

Nothing here runs at import time: the CLI and ``create_app`` build a ``Settings`` and call
``open_store``; tests do the same with their own paths.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from kirok.domain.errors import KirokError
from kirok.security import envelope
from kirok.security.keys import Keyring
from kirok.security.keystore import KeyFile, KeyStore, Passphrase, Secret, write_key_file
from kirok.security.policy import SENSITIVE_FIELDS
from kirok.store import migrate
from kirok.store.engine import create_engine, resolve_url
from kirok.store.repository import RecordStore
from kirok.store.schema import meta

KEYSTORE_ENV = "KIROK_KEYSTORE"
KEY_FILE_ENV = "KIROK_KEY_FILE"
PASSPHRASE_ENV = "KIROK_PASSPHRASE"


class NotInitialised(KirokError):
    """No key store or an outdated schema: `kirok init` is needed first."""


class KeyMismatch(KirokError):
    """The database is sealed under another master key than the key store's."""


@dataclass(frozen=True)
class Settings:
    """Where the database and keys are. Secrets come from a key file or a passphrase."""

    db_url: str
    keystore: Path
    key_file: Path | None = None
    passphrase: str | None = None
    evidence_dir: Path | None = None

    @classmethod
    def from_env(
        cls,
        db: str | None = None,
        keystore: Path | None = None,
        key_file: Path | None = None,
    ) -> Settings:
        url = resolve_url(db)
        default_dir = _default_dir(url)
        passphrase = os.environ.get(PASSPHRASE_ENV)
        chosen_key_file = key_file or _env_path(KEY_FILE_ENV)
        if chosen_key_file is None and passphrase is None:
            chosen_key_file = default_dir / "kirok.key"
        return cls(
            db_url=url,
            keystore=keystore or _env_path(KEYSTORE_ENV) or default_dir / "kirok.keys.json",
            key_file=chosen_key_file,
            passphrase=passphrase,
            evidence_dir=default_dir / "evidence",
        )

    @property
    def secret(self) -> Secret:
        if self.key_file is not None:
            return KeyFile(self.key_file)
        if self.passphrase is not None:
            return Passphrase(self.passphrase)
        raise NotInitialised(f"no key: set {KEY_FILE_ENV} or {PASSPHRASE_ENV}")


class KeyringSealer:
    """The store's ``Sealer`` port over a key ring: AES-256-GCM data keys, master-key wrapped."""

    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring

    def new_data_key(self) -> tuple[bytes, bytes]:
        return envelope.new_data_key(self.keyring)

    def unwrap(self, wrapped: bytes) -> bytes:
        return self.keyring.unwrap(wrapped)

    def rewrap(self, wrapped: bytes) -> bytes:
        return envelope.rewrap(wrapped, self.keyring, self.keyring)

    def seal(self, dek: bytes, plaintext: str, aad: str) -> bytes:
        return envelope.seal(dek, plaintext, aad)

    def open(self, dek: bytes, blob: bytes, aad: str) -> str:
        return envelope.open_sealed(dek, blob, aad)

    def blind_index(self, field: str, value: str) -> str:
        return self.keyring.blind_index(field, value)


def ensure_keys(settings: Settings) -> Keyring:
    """Unlock the key store, creating it (and a key file, if that is the secret) when absent."""
    if not settings.keystore.exists():
        if settings.key_file is not None and not settings.key_file.exists():
            settings.key_file.parent.mkdir(parents=True, exist_ok=True)
            write_key_file(settings.key_file)
        store, _ = KeyStore.create(settings.secret)
        settings.keystore.parent.mkdir(parents=True, exist_ok=True)
        store.save(settings.keystore)
    return open_keyring(settings)


def open_keyring(settings: Settings) -> Keyring:
    if not settings.keystore.exists():
        raise NotInitialised(f"no key store at {settings.keystore}: run `kirok init` first")
    return KeyStore.load(settings.keystore).unlock(settings.secret)


def initialise(settings: Settings) -> RecordStore:
    """Create or upgrade the database and the keys; idempotent."""
    keyring = ensure_keys(settings)
    engine = create_engine(settings.db_url)
    try:
        migrate.upgrade(engine)
        _bind_key(engine, keyring)
    except BaseException:
        engine.dispose()
        raise
    return RecordStore(engine, KeyringSealer(keyring), SENSITIVE_FIELDS)


def open_store(settings: Settings, *, rotating: bool = False) -> RecordStore:
    """The store of an initialised database, refusing a database sealed under another key."""
    keyring = open_keyring(settings)
    engine = create_engine(settings.db_url)
    try:
        if migrate.current_revision(engine) != migrate.head_revision():
            raise NotInitialised(
                f"the database at {settings.db_url} is not at the current schema: run `kirok init`"
            )
        _bind_key(engine, keyring, rotating=rotating)
    except BaseException:
        engine.dispose()
        raise
    return RecordStore(engine, KeyringSealer(keyring), SENSITIVE_FIELDS)


def key_check(keyring: Keyring) -> str:
    """A value naming the current master key, stored in the database it seals."""
    return keyring.blind_index("kirok-database", "key-check")


def _bind_key(engine: sa.Engine, keyring: Keyring, *, rotating: bool = False) -> None:
    """Record which master key seals this database; refuse to mix keys across databases.

    During a key rotation the key store's current key is already the new one while the
    database still names the old one: only the rotation itself may open it then.
    """
    fingerprint = key_check(keyring)
    with engine.begin() as connection:
        row = connection.execute(sa.select(meta.c.value).where(meta.c.key == "key_check")).first()
        if row is None:
            connection.execute(sa.insert(meta).values(key="key_check", value=fingerprint))
        elif row.value != fingerprint and not (rotating and _matches_retired(row.value, keyring)):
            if _matches_retired(row.value, keyring):
                raise KeyMismatch(
                    "a key rotation is unfinished: run `kirok keys rotate` again to complete it"
                )
            raise KeyMismatch(
                "this database was sealed with another master key than the key store's "
                "current one: check --keystore / KIROK_KEYSTORE"
            )


def _matches_retired(value: str, keyring: Keyring) -> bool:
    return any(
        keyring.get(key_id).blind_index("kirok-database", "key-check") == value
        for key_id in keyring.key_ids
    )


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value) if value else None


def _default_dir(url: str) -> Path:
    """Keys live beside a SQLite file by default, else in the working directory."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        return Path(url.removeprefix("sqlite:///")).resolve().parent
    return Path.cwd()
