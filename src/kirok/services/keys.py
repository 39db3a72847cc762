"""Key operations: create, back up as Shamir shares, restore, rotate. Each is audited."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from kirok.security.audit import AuditAction
from kirok.security.errors import DecryptionError, KeyStoreError, KeyStoreExists, MissingKey
from kirok.security.keys import (
    KEY_BYTES,
    PSEUDONYM_PURPOSE,
    MasterKey,
    PseudonymKey,
    b64decode,
    b64encode,
)
from kirok.security.keystore import KeyStore, Secret
from kirok.security.shamir import combine, split
from kirok.services.context import Settings, ensure_keys, key_check, open_keyring, open_store
from kirok.store.engine import create_engine
from kirok.store.schema import meta

Progress = Callable[[int], None]
_CURSOR = "rotation_cursor"
# A copy of the key store's wrapped pseudonym key, kept in the database it belongs to, so that
# a key store rebuilt from shares after a rotation keeps the same pseudonyms (`restore`).
_PSEUDONYM_KEY = "pseudonym_key"


def init_keys(settings: Settings) -> str:
    """Create the key store (and key file) if absent; returns the master key's fingerprint."""
    if settings.keystore.exists():
        raise KeyStoreExists(f"a key store already exists at {settings.keystore}")
    return ensure_keys(settings).current.fingerprint


def backup(settings: Settings, actor: str, shares: int, threshold: int) -> list[str]:
    """Split the current master key into share texts, any ``threshold`` of which restore it."""
    keyring = open_keyring(settings)
    texts = split(keyring.current, shares=shares, threshold=threshold)
    _audit(settings, actor, AuditAction.KEY_BACKUP, {"shares": shares, "threshold": threshold})
    return texts


def restore(
    share_texts: list[str], secret: Secret, keystore: Path, db_url: str | None = None
) -> MasterKey:
    """Rebuild the master key from shares into a new key store unlocked by ``secret``.

    With ``db_url``, the pseudonym key is taken from that database (where `rotate` keeps a
    copy wrapped under the master key), so pseudonyms stay as they were even after rotations.
    """
    master = combine(share_texts)
    pseudonyms = None if db_url is None else _stored_pseudonyms(db_url, master)
    store, _ = KeyStore.create(secret, master, pseudonyms=pseudonyms)
    store.save(keystore)
    return master


def _stored_pseudonyms(db_url: str, master: MasterKey) -> PseudonymKey | None:
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            row = connection.execute(
                sa.select(meta.c.value).where(meta.c.key == _PSEUDONYM_KEY)
            ).first()
    finally:
        engine.dispose()
    if row is None:
        return None  # never rotated: the master key's own pseudonym key is the one in use
    try:
        wrapped = b64decode(str(row.value), "the database's pseudonym key")
        return PseudonymKey(master.unwrap(wrapped, purpose=PSEUDONYM_PURPOSE))
    except (MissingKey, DecryptionError) as error:
        raise KeyStoreError(
            f"the database's pseudonym key is not wrapped by the restored master key: {error}"
        ) from None


@dataclass(frozen=True)
class Rotation:
    old_key: str
    new_key: str
    records: int


def rotate(
    settings: Settings,
    actor: str,
    batch: int = 500,
    progress: Progress = lambda _: None,
    *,
    new_pseudonyms: bool = False,
) -> Rotation:
    """Make a new master key current and re-wrap every data key under it.

    Resumable: the key store keeps the old key (retired) until every record is done, and the
    database keeps a cursor; running ``rotate`` again after a crash continues from the cursor.
    Sealed fields are not re-encrypted (their data keys are unchanged); the keyed search and
    name indexes are rebuilt, since they are keyed by the current master key. Pseudonyms do not
    change: the pseudonym key is re-wrapped, not replaced, and a copy wrapped under the new
    master key is kept in the database for `restore`. ``new_pseudonyms`` replaces the pseudonym
    key too (when it may have leaked with the old master key); pseudonyms written down before
    then no longer match.
    """
    keystore = KeyStore.load(settings.keystore)
    keyring = keystore.unlock(settings.secret)
    old_id = keyring.current.key_id
    with open_store(settings, rotating=True) as store:
        resuming = _cursor(store.engine) is not None
        if not resuming:
            keystore = keystore.with_new_current(
                settings.secret,
                MasterKey.generate(),
                pseudonyms=PseudonymKey(os.urandom(KEY_BYTES)) if new_pseudonyms else None,
            )
            keystore.save(settings.keystore, overwrite=True)
            keyring = keystore.unlock(settings.secret)
            _set_cursor(store.engine, "")
        else:
            old_id = next(k for k in keyring.key_ids if k != keyring.current.key_id)
    done = 0
    with open_store(settings, rotating=True) as store:
        cursor = _cursor(store.engine) or ""
        while True:
            with store.write(actor) as uow:
                ids = uow.record_ids(after=cursor, limit=batch)
                for record_id in ids:
                    uow.rekey(record_id)
                if ids:
                    cursor = ids[-1]
                    uow.connection.execute(
                        sa.update(meta).where(meta.c.key == _CURSOR).values(value=cursor)
                    )
            done += len(ids)
            progress(done)
            if len(ids) < batch:
                break
        with store.write(actor) as uow:
            uow.connection.execute(
                sa.update(meta).where(meta.c.key == "key_check").values(value=key_check(keyring))
            )
            uow.connection.execute(sa.delete(meta).where(meta.c.key == _CURSOR))
            uow.mark_index_complete()  # every record was re-indexed as the current code does
            uow.connection.execute(sa.delete(meta).where(meta.c.key == _PSEUDONYM_KEY))
            if keystore.pseudonym_key is not None:
                uow.connection.execute(
                    sa.insert(meta).values(
                        key=_PSEUDONYM_KEY, value=b64encode(keystore.pseudonym_key)
                    )
                )
            uow.audit(
                AuditAction.KEY_ROTATE,
                "key",
                None,
                {
                    "from": old_id,
                    "to": keyring.current.key_id,
                    "records": done,
                    "new_pseudonyms": new_pseudonyms,
                },
            )
    retired = [k for k in keyring.key_ids if k != keyring.current.key_id]
    for key_id in retired:
        keystore = keystore.without_key(key_id)
    keystore.save(settings.keystore, overwrite=True)
    return Rotation(old_id, keyring.current.key_id, done)


def _cursor(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        row = connection.execute(sa.select(meta.c.value).where(meta.c.key == _CURSOR)).first()
    return None if row is None else str(row.value)


def _set_cursor(engine: sa.Engine, value: str) -> None:
    with engine.begin() as connection:
        connection.execute(sa.delete(meta).where(meta.c.key == _CURSOR))
        connection.execute(sa.insert(meta).values(key=_CURSOR, value=value))


def _audit(settings: Settings, actor: str, action: str, details: dict[str, int]) -> None:
    with open_store(settings) as store, store.write(actor) as uow:
        uow.audit(action, "key", None, details)
