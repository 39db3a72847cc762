"""The on-disk key store: master keys wrapped under a passphrase (Argon2id) or a key file.

A key store is a small JSON file::

    {"format": "kirok-keystore", "version": 1,
     "unlock": {"method": "passphrase", "check": "<base64>",
                "kdf": {"name": "argon2id", "version": 19, "time_cost": 3,
                        "memory_cost_kib": 65536, "parallelism": 4, "salt": "<base64>"}},
     "keys": [{"key_id": "3f2a9c0177be4d10", "status": "current",
               "created": "2026-11-28T08:00:00Z", "wrapped": "<base64>"}],
     "pseudonym_key": "<base64>"}

Each master key is wrapped with AES-256-GCM under a key-encryption key (KEK) derived from the
operator's secret: Argon2id of the passphrase with the stored parameters and random salt, or HKDF
of a 32-byte key file. The key-check value (``"check"``, 16 bytes of HMAC-SHA256 under the KEK)
tells a wrong secret (`WrongPassphrase`) apart from an altered entry (`KeyStoreError`: its GCM
tag fails, or the unwrapped key does not reproduce its key id); both are raised before any key
is returned, so nothing can be written with a wrong key. The check value lets an attacker who
has the file test passphrase guesses, but so does the wrapped key itself; Argon2id is what
makes each guess expensive.

Because the master key is random and only *wrapped* by the secret, changing the passphrase
rewrites one small file, and a master key restored from Shamir shares can be given a new
passphrase without touching the data (ADR 0003).

``"pseudonym_key"`` (optional) is the key pseudonyms derive from, wrapped under the current master
key (`MasterKey.wrap` format, purpose ``pseudonym-key/``). Absent, it is the one the current
master key starts a key store with; a rotation writes it, re-wrapped, so it never changes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import unicodedata
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kirok.security.errors import (
    DecryptionError,
    KeyStoreError,
    KeyStoreExists,
    MissingKey,
    WeakPassphrase,
    WrongPassphrase,
)
from kirok.security.keys import (
    KEY_BYTES,
    NONCE_BYTES,
    PSEUDONYM_PURPOSE,
    Keyring,
    MasterKey,
    PseudonymKey,
    b64decode,
    b64encode,
    wrapped_key_id,
)

FORMAT = "kirok-keystore"
VERSION = 1
KEY_FILE_HEADER = "kirok-key-file v1"
MIN_PASSPHRASE_CHARS = 12
_SALT_BYTES = 16
_AAD = b"kirok/v1/keystore-master-key/"


@dataclass(frozen=True)
class Argon2Params:
    """Argon2id cost parameters. Defaults: RFC 9106's second recommended option (64 MiB, t=3,
    p=4): 1.3 s per unlock on the shared 2-core development machine under load; tests pass
    cheaper ones."""

    time_cost: int = 3
    memory_cost_kib: int = 65536
    parallelism: int = 4

    def __post_init__(self) -> None:
        if (
            self.time_cost < 1
            or self.parallelism < 1
            or self.memory_cost_kib < 8 * self.parallelism
        ):
            raise KeyStoreError(f"invalid Argon2id parameters: {self}")


@dataclass(frozen=True)
class Passphrase:
    """Unlock with a passphrase (normalised to NFC, so Korean input methods agree)."""

    text: str


@dataclass(frozen=True)
class KeyFile:
    """Unlock with a key file (32 random bytes, base64, written by `write_key_file`)."""

    path: Path


Secret = Passphrase | KeyFile


@dataclass(frozen=True)
class KeyEntry:
    key_id: str
    status: Literal["current", "retired"]
    created: str
    wrapped: bytes


@dataclass(frozen=True)
class KeyStore:
    """An immutable view of a key store; methods return a new `KeyStore` to be `save`d."""

    method: Literal["passphrase", "key-file"]
    kdf: Argon2Params | None
    salt: bytes | None
    check: bytes
    entries: tuple[KeyEntry, ...]
    pseudonym_key: bytes | None = None  # wrapped under a master key in `entries`

    # -- construction -----------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        secret: Secret,
        master: MasterKey | None = None,
        *,
        kdf: Argon2Params | None = None,
        now: datetime | None = None,
        pseudonyms: PseudonymKey | None = None,
    ) -> tuple[KeyStore, MasterKey]:
        """A new key store holding `master` (a fresh random key if None) as the current key.

        `pseudonyms` keeps the pseudonym key of an earlier key store (a restore after a
        rotation); without it the store uses the one `master` starts with.
        """
        master = master or MasterKey.generate()
        empty = cls._empty_for(secret, kdf)
        kek = empty._kek(secret, verify=False)
        entry = _wrap_entry(kek, master, "current", now)
        wrapped = None
        if pseudonyms is not None and pseudonyms != master.pseudonyms:
            wrapped = master.wrap(pseudonyms.secret_bytes(), purpose=PSEUDONYM_PURPOSE)
        store = replace(empty, check=_check_value(kek), entries=(entry,), pseudonym_key=wrapped)
        return store, master

    @classmethod
    def _empty_for(cls, secret: Secret, kdf: Argon2Params | None) -> KeyStore:
        if isinstance(secret, Passphrase):
            if len(_nfc(secret.text)) < MIN_PASSPHRASE_CHARS:
                raise WeakPassphrase(
                    f"a passphrase needs at least {MIN_PASSPHRASE_CHARS} characters"
                )
            return cls("passphrase", kdf or Argon2Params(), os.urandom(_SALT_BYTES), b"", ())
        return cls("key-file", None, None, b"", ())

    # -- use --------------------------------------------------------------------------------

    def unlock(self, secret: Secret) -> Keyring:
        """All master keys as a `Keyring`; `WrongPassphrase` if `secret` does not fit."""
        kek = self._kek(secret)
        current: MasterKey | None = None
        retired: list[MasterKey] = []
        for entry in self.entries:
            key = _unwrap_entry(kek, entry)
            if entry.status == "current":
                current = key
            else:
                retired.append(key)
        if current is None:
            raise KeyStoreError("the key store has no current master key")
        keyring = Keyring(current, retired)
        if self.pseudonym_key is None:
            return keyring
        try:
            owner = keyring.get(wrapped_key_id(self.pseudonym_key))
            root = owner.unwrap(self.pseudonym_key, purpose=PSEUDONYM_PURPOSE)
        except (MissingKey, DecryptionError) as error:
            raise KeyStoreError(f"the pseudonym key cannot be opened: {error}") from None
        return Keyring(current, retired, PseudonymKey(root))

    def with_new_current(
        self,
        secret: Secret,
        new: MasterKey,
        *,
        now: datetime | None = None,
        pseudonyms: PseudonymKey | None = None,
    ) -> KeyStore:
        """Start a rotation: `new` becomes current, the old current key is kept as retired.

        The pseudonym key is kept and re-wrapped under `new`, so pseudonyms do not change;
        pass `pseudonyms` to replace it (when it may have leaked with the old master key).
        """
        kek = self._kek(secret)
        keyring = self.unlock(secret)  # proves the secret before anything changes
        if new.key_id in keyring.key_ids:
            raise KeyStoreError(f"master key {new.key_id} is already in the key store")
        kept = tuple(replace(e, status="retired") for e in self.entries)
        keep = pseudonyms or keyring.pseudonyms
        wrapped = new.wrap(keep.secret_bytes(), purpose=PSEUDONYM_PURPOSE)
        return replace(
            self, entries=(_wrap_entry(kek, new, "current", now), *kept), pseudonym_key=wrapped
        )

    def without_key(self, key_id: str) -> KeyStore:
        """Finish a rotation: drop a retired key once no data key is wrapped by it any more."""
        match = [e for e in self.entries if e.key_id == key_id]
        if not match:
            raise MissingKey(f"master key {key_id} is not in the key store")
        if match[0].status == "current":
            raise KeyStoreError("the current master key cannot be removed")
        if self.pseudonym_key is not None and wrapped_key_id(self.pseudonym_key) == key_id:
            raise KeyStoreError(f"master key {key_id} still wraps the pseudonym key")
        return replace(self, entries=tuple(e for e in self.entries if e.key_id != key_id))

    def with_secret(self, old: Secret, new: Secret, *, kdf: Argon2Params | None = None) -> KeyStore:
        """Change the passphrase or key file (or switch between them); the master keys stay."""
        keyring = self.unlock(old)
        fresh = self._empty_for(new, kdf)
        kek = fresh._kek(new, verify=False)
        entries = []
        for entry in self.entries:
            key = keyring.get(entry.key_id)
            rewrapped = _wrap_entry(kek, key, entry.status, None)
            entries.append(replace(rewrapped, created=entry.created))
        return replace(
            fresh,
            check=_check_value(kek),
            entries=tuple(entries),
            pseudonym_key=self.pseudonym_key,  # wrapped under a master key, not the secret
        )

    @property
    def current_key_id(self) -> str:
        return next(e.key_id for e in self.entries if e.status == "current")

    # -- KEK ----------------------------------------------------------------------------------

    def _kek(self, secret: Secret, *, verify: bool = True) -> bytes:
        kek = self._derive_kek(secret)
        if verify and not hmac.compare_digest(_check_value(kek), self.check):
            raise WrongPassphrase(
                "the passphrase or key file does not unlock this key store; nothing was changed"
            )
        return kek

    def _derive_kek(self, secret: Secret) -> bytes:
        if self.method == "passphrase":
            if not isinstance(secret, Passphrase):
                raise KeyStoreError("this key store is unlocked with a passphrase, not a key file")
            if self.kdf is None or self.salt is None:
                raise KeyStoreError("the key store lacks its Argon2id parameters")
            return hash_secret_raw(
                secret=_nfc(secret.text).encode("utf-8"),
                salt=self.salt,
                time_cost=self.kdf.time_cost,
                memory_cost=self.kdf.memory_cost_kib,
                parallelism=self.kdf.parallelism,
                hash_len=KEY_BYTES,
                type=Type.ID,
            )
        if not isinstance(secret, KeyFile):
            raise KeyStoreError("this key store is unlocked with a key file, not a passphrase")
        material = read_key_file(secret.path)
        hkdf = HKDF(hashes.SHA256(), KEY_BYTES, salt=None, info=b"kirok/v1/keystore-kek")
        return hkdf.derive(material)

    # -- serialisation ----------------------------------------------------------------------

    def to_json(self) -> str:
        unlock: dict[str, Any] = {"method": self.method, "check": b64encode(self.check)}
        if self.kdf is not None and self.salt is not None:
            unlock["kdf"] = {
                "name": "argon2id",
                "version": 19,
                "time_cost": self.kdf.time_cost,
                "memory_cost_kib": self.kdf.memory_cost_kib,
                "parallelism": self.kdf.parallelism,
                "salt": b64encode(self.salt),
            }
        keys = [
            {
                "key_id": e.key_id,
                "status": e.status,
                "created": e.created,
                "wrapped": b64encode(e.wrapped),
            }
            for e in self.entries
        ]
        doc: dict[str, Any] = {"format": FORMAT, "version": VERSION, "unlock": unlock, "keys": keys}
        if self.pseudonym_key is not None:
            doc["pseudonym_key"] = b64encode(self.pseudonym_key)
        return json.dumps(doc, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> KeyStore:
        try:
            doc = json.loads(text)
            if doc.get("format") != FORMAT:
                raise KeyStoreError("not a kirok key store")
            if doc.get("version") != VERSION:
                raise KeyStoreError(f"unsupported key store version {doc.get('version')!r}")
            unlock = doc["unlock"]
            method = unlock["method"]
            kdf = salt = None
            if method == "passphrase":
                k = unlock["kdf"]
                if k["name"] != "argon2id" or k["version"] != 19:
                    raise KeyStoreError(f"unsupported KDF {k['name']!r} v{k['version']!r}")
                kdf = Argon2Params(
                    int(k["time_cost"]), int(k["memory_cost_kib"]), int(k["parallelism"])
                )
                salt = b64decode(k["salt"], "the KDF salt")
            elif method != "key-file":
                raise KeyStoreError(f"unknown unlock method {method!r}")
            check = b64decode(unlock["check"], "the key-check value")
            entries = tuple(
                KeyEntry(
                    key_id=str(e["key_id"]),
                    status=_status(e["status"]),
                    created=str(e["created"]),
                    wrapped=b64decode(e["wrapped"], "a wrapped master key"),
                )
                for e in doc["keys"]
            )
            pseudonym_key = (
                None
                if doc.get("pseudonym_key") is None
                else b64decode(doc["pseudonym_key"], "the wrapped pseudonym key")
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            if isinstance(exc, KeyStoreError):
                raise
            raise KeyStoreError(f"malformed key store: {exc!r}") from None
        if sum(e.status == "current" for e in entries) != 1:
            raise KeyStoreError("a key store has exactly one current master key")
        return cls(method, kdf, salt, check, entries, pseudonym_key)

    def save(self, path: Path, *, overwrite: bool = False) -> None:
        """Write atomically with mode 0600; refuse to replace a file unless `overwrite`."""
        _write_private(path, self.to_json(), overwrite=overwrite)

    @classmethod
    def load(cls, path: Path) -> KeyStore:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise MissingKey(f"no key store at {path} (run `kirok init` first)") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise KeyStoreError(f"cannot read the key store at {path}: {exc}") from None
        return cls.from_json(text)


def _status(value: object) -> Literal["current", "retired"]:
    if value == "current":
        return "current"
    if value == "retired":
        return "retired"
    raise KeyStoreError(f"unknown key status {value!r}")


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _timestamp(now: datetime | None) -> str:
    return (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _check_value(kek: bytes) -> bytes:
    return hmac.new(kek, b"kirok/v1/keystore-check", hashlib.sha256).digest()[:16]


def _wrap_entry(
    kek: bytes, key: MasterKey, status: Literal["current", "retired"], now: datetime | None
) -> KeyEntry:
    nonce = os.urandom(NONCE_BYTES)
    aad = _AAD + key.key_id.encode("ascii")
    wrapped = nonce + AESGCM(kek).encrypt(nonce, key.secret_bytes(), aad)
    return KeyEntry(key.key_id, status, _timestamp(now), wrapped)


def _unwrap_entry(kek: bytes, entry: KeyEntry) -> MasterKey:
    nonce, body = entry.wrapped[:NONCE_BYTES], entry.wrapped[NONCE_BYTES:]
    try:
        raw = AESGCM(kek).decrypt(nonce, body, _AAD + entry.key_id.encode("ascii"))
    except InvalidTag:
        raise KeyStoreError(
            f"key store entry {entry.key_id} was altered or damaged (the key-check value "
            "matched, so the passphrase is right); restore the key store from a backup"
        ) from None
    key = MasterKey(raw)
    if key.key_id != entry.key_id:
        raise KeyStoreError(f"key store entry {entry.key_id} holds a different key")
    return key


# -- key files ------------------------------------------------------------------------------


def write_key_file(path: Path) -> None:
    """Create a new key file of 32 random bytes (mode 0600); refuse to overwrite one."""
    material = os.urandom(KEY_BYTES)
    _write_private(path, f"{KEY_FILE_HEADER}\n{b64encode(material)}\n", overwrite=False)


def read_key_file(path: Path) -> bytes:
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise MissingKey(f"no key file at {path}") from None
    except UnicodeDecodeError:
        raise KeyStoreError(f"{path} is not a kirok key file") from None
    except OSError as exc:
        raise KeyStoreError(f"cannot read the key file at {path}: {exc}") from None
    lines = text.split()
    if len(lines) < 3 or " ".join(lines[:2]) != KEY_FILE_HEADER:
        raise KeyStoreError(f"{path} is not a kirok key file")
    material = b64decode(lines[2], "the key file")
    if len(material) != KEY_BYTES:
        raise KeyStoreError(f"{path} does not hold a {KEY_BYTES}-byte key")
    return material


def _write_private(path: Path, text: str, *, overwrite: bool) -> None:
    if path.exists() and not overwrite:
        raise KeyStoreExists(f"{path} already exists; refusing to overwrite it")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # fails if `path` appeared meanwhile: no silent overwrite
            except FileExistsError:
                raise KeyStoreExists(f"{path} already exists; refusing to overwrite it") from None
            finally:
                tmp.unlink(missing_ok=True)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
