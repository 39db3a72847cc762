"""Envelope encryption of record fields: per-record data keys, AES-256-GCM, bound to context.

Each record gets its own random 32-byte data key (DEK); the DEK is stored next to the record
only in wrapped form (`MasterKey.wrap`). Field values are sealed with the DEK::

    blob = 0x01 (format version) | nonce (12 random bytes) | AES-256-GCM ciphertext + 16-byte tag

The associated data (AAD) is the version byte plus a context string that names the entity kind,
the record id and the field (`field_aad`). GCM authenticates it, so a blob copied into another
record or another field of the same record fails to open instead of silently showing the wrong
person's data. Random 96-bit nonces are safe here because one DEK seals only one record's few
fields (far below the 2^32 messages-per-key limit for random nonces).

Rotation never re-encrypts data: `rewrap` decrypts the DEK under the old master key and wraps it
under the new one.
"""

from __future__ import annotations

import os
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kirok.security.errors import DecryptionError
from kirok.security.keys import KEY_BYTES, NONCE_BYTES

BLOB_VERSION = 1
_TAG_BYTES = 16
_MIN_BLOB = 1 + NONCE_BYTES + _TAG_BYTES


class Wrapper(Protocol):
    """Anything that wraps and unwraps data keys: a `MasterKey` or a `Keyring`."""

    def wrap(self, dek: bytes) -> bytes: ...

    def unwrap(self, wrapped: bytes) -> bytes: ...


def field_aad(entity_kind: str, record_id: str, field: str) -> str:
    """The context a field value is sealed under: ``person/8c1f…/names``.

    The store must use exactly this for every sealed field, so that blobs cannot be swapped
    between records or fields. Components may not contain "/" (ids are UUIDs or integers).
    """
    for part in (entity_kind, record_id, field):
        if not part or "/" in part:
            raise ValueError(f"invalid AAD component {part!r}")
    return f"{entity_kind}/{record_id}/{field}"


def new_data_key(master: Wrapper) -> tuple[bytes, bytes]:
    """A fresh random data key and the same key wrapped by `master`: ``(dek, wrapped)``.

    Keep `dek` in memory only; store `wrapped`.
    """
    dek = os.urandom(KEY_BYTES)
    return dek, master.wrap(dek)


def seal_bytes(dek: bytes, plaintext: bytes, aad: str) -> bytes:
    """Encrypt bytes under `dek`, bound to `aad` (see the module docstring for the format)."""
    if len(dek) != KEY_BYTES:
        raise ValueError(f"a data key is exactly {KEY_BYTES} bytes")
    header = bytes([BLOB_VERSION])
    nonce = os.urandom(NONCE_BYTES)
    return header + nonce + AESGCM(dek).encrypt(nonce, plaintext, header + aad.encode("utf-8"))


def open_bytes(dek: bytes, blob: bytes, aad: str) -> bytes:
    """Decrypt a blob from `seal_bytes`; `DecryptionError` on a wrong key, context or alteration."""
    if len(blob) < _MIN_BLOB:
        raise DecryptionError(f"sealed blob too short ({len(blob)} bytes)")
    if blob[0] != BLOB_VERSION:
        raise DecryptionError(f"unknown sealed-blob format version {blob[0]}")
    if len(dek) != KEY_BYTES:
        raise ValueError(f"a data key is exactly {KEY_BYTES} bytes")
    nonce = blob[1 : 1 + NONCE_BYTES]
    try:
        return AESGCM(dek).decrypt(nonce, blob[1 + NONCE_BYTES :], blob[:1] + aad.encode("utf-8"))
    except InvalidTag:
        raise DecryptionError(
            f"sealed value for {aad!r} failed authentication: wrong key, wrong record or "
            "field, or the value was altered"
        ) from None


def seal(dek: bytes, plaintext: str, aad: str) -> bytes:
    """Encrypt a text value (UTF-8) under `dek`, bound to `aad` (use `field_aad`)."""
    return seal_bytes(dek, plaintext.encode("utf-8"), aad)


def open_sealed(dek: bytes, blob: bytes, aad: str) -> str:
    """Decrypt a text value sealed by `seal` under the same `aad`."""
    return open_bytes(dek, blob, aad).decode("utf-8")


def rewrap(wrapped: bytes, old: Wrapper, new: Wrapper) -> bytes:
    """Re-wrap a data key from `old` to `new` master key; the sealed data is untouched."""
    return new.wrap(old.unwrap(wrapped))
