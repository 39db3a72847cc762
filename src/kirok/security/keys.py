"""Master keys: key wrapping, keyed derivations (blind indexes, pseudonyms) and rotation.

The master key is 32 random bytes. It never encrypts data itself: it wraps per-record data keys
(envelope encryption, see `kirok.security.envelope`) and, through HKDF, yields purpose-bound
subkeys for blind indexes and pseudonyms. How the master key is kept on disk is in
`kirok.security.keystore`; the reasons for this layout are in docs/adr/0003.

Wrapped data-key format (version 1, 69 bytes)::

    0x01 | key_id (8 bytes) | nonce (12 bytes) | AES-256-GCM(dek) (32 bytes + 16-byte tag)

The version byte and key id are authenticated as associated data. The key id lets a store tell,
without decrypting, which master key wrapped a row; that is what makes rotation resumable and
lets a `Keyring` hold the old and new key while rows are being re-wrapped.

Pseudonyms come from a `PseudonymKey`, not from the master key itself, so that rotating the
master key does not change the pseudonyms analysts have written down: the key store keeps the
pseudonym key wrapped under the current master key and re-wraps it on rotation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import unicodedata
from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kirok.security.errors import DecryptionError, KeyStoreError, MissingKey

KEY_BYTES = 32
KEY_ID_BYTES = 8
NONCE_BYTES = 12
WRAP_VERSION = 1
_WRAP_HEADER = 1 + KEY_ID_BYTES
WRAPPED_BYTES = _WRAP_HEADER + NONCE_BYTES + KEY_BYTES + 16
_WRAP_AAD = b"kirok/v1/wrapped-data-key"
_INFO_PREFIX = b"kirok/v1/"


def normalise_for_index(value: str) -> str:
    """The form a value takes before it is blind-indexed: case-folded, NFC, spaces collapsed.

    Unicode's canonical caseless matching (NFD, then case folding) followed by NFC, so that a
    Hangul syllable typed as one code point and as conjoining jamo index alike, and folding is
    stable (folding an already folded value changes nothing). `casefold` rather than `lower` so
    that e.g. German "ß" and "SS" match. Outer whitespace is stripped and inner whitespace
    collapsed to one space, because the same name pasted from two lists differs there most often.
    """
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFD", value).casefold())
    return " ".join(folded.split())


class MasterKey:
    """A 32-byte master key. Holds the key material; never prints it."""

    __slots__ = ("_key", "_aead", "_key_id", "_macs", "_pseudonyms")

    def __init__(self, key: bytes) -> None:
        if not isinstance(key, bytes) or len(key) != KEY_BYTES:
            raise KeyStoreError(f"a master key is exactly {KEY_BYTES} bytes")
        self._key = key
        self._aead = AESGCM(key)
        self._key_id = self._derive(b"key-id", KEY_ID_BYTES)
        # HMAC states keyed with each purpose's subkey: HKDF per call would cost ~60 µs, and
        # the store computes a blind index for every name and every search gram.
        self._macs: dict[str, hmac.HMAC] = {}
        self._pseudonyms: PseudonymKey | None = None

    @classmethod
    def generate(cls) -> MasterKey:
        """A new master key from the operating system's CSPRNG."""
        return cls(os.urandom(KEY_BYTES))

    # -- identity ---------------------------------------------------------------------------

    @property
    def key_id(self) -> str:
        """16 hex digits that name this key (an HKDF output: reveals nothing about the key)."""
        return self._key_id.hex()

    @property
    def fingerprint(self) -> str:
        """The key id grouped for reading aloud or comparing on paper: ``3F2A-9C01-77BE-4D10``."""
        text = self._key_id.hex().upper()
        return "-".join(text[i : i + 4] for i in range(0, len(text), 4))

    def secret_bytes(self) -> bytes:
        """The raw key material, for wrapping into a key store or splitting into shares only."""
        return self._key

    def __repr__(self) -> str:
        return f"MasterKey(key_id={self.key_id!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MasterKey):
            return NotImplemented
        return hmac.compare_digest(self._key, other._key)

    def __hash__(self) -> int:
        return hash(self._key_id)

    # -- derivation -------------------------------------------------------------------------

    def _derive(self, purpose: bytes, length: int = KEY_BYTES) -> bytes:
        hkdf = HKDF(
            algorithm=hashes.SHA256(), length=length, salt=None, info=_INFO_PREFIX + purpose
        )
        return hkdf.derive(self._key)

    def subkey(self, purpose: str) -> bytes:
        """A 32-byte key bound to `purpose` (HKDF-SHA256); distinct purposes give unrelated keys."""
        if not purpose:
            raise ValueError("a subkey needs a purpose")
        return self._derive(b"subkey/" + purpose.encode("utf-8"))

    def _mac(self, purpose: str, data: bytes) -> bytes:
        base = self._macs.get(purpose)
        if base is None:
            base = self._macs[purpose] = hmac.new(self.subkey(purpose), digestmod=hashlib.sha256)
        mac = base.copy()
        mac.update(data)
        return mac.digest()

    def blind_index(self, field: str, value: str) -> str:
        """A keyed, deterministic token for exact lookups of `value` in `field` without plaintext.

        HMAC-SHA256 under a per-field subkey, so equal values in two different fields give
        unrelated tokens (a name column cannot be joined to an alias column by an attacker who
        only has the database). The value is normalised first (`normalise_for_index`). The token
        is 32 hex digits (128 bits): collisions are negligible at any realistic table size.

        A blind index reveals which rows share a value; declare one only on fields where exact
        lookup is needed. It changes when the master key is rotated.
        """
        data = normalise_for_index(value).encode("utf-8")
        return self._mac(f"blind-index/{field}", data)[:16].hex()

    @property
    def pseudonyms(self) -> PseudonymKey:
        """The pseudonym key a key store created with this master key starts with."""
        if self._pseudonyms is None:
            self._pseudonyms = PseudonymKey(self.subkey("pseudonym-root"))
        return self._pseudonyms

    def pseudonym(self, entity_kind: str, record_id: str) -> str:
        """`self.pseudonyms.pseudonym(...)`: a key ring keeps these across rotations."""
        return self.pseudonyms.pseudonym(entity_kind, record_id)

    # -- wrapping ---------------------------------------------------------------------------

    def wrap(self, dek: bytes, *, purpose: bytes = b"") -> bytes:
        """Encrypt a 32-byte data key under this master key (format in the module docstring).

        `purpose` (authenticated, not stored) keeps keys of different uses apart: a key wrapped
        for one purpose does not unwrap as another.
        """
        if len(dek) != KEY_BYTES:
            raise ValueError(f"a data key is exactly {KEY_BYTES} bytes")
        header = bytes([WRAP_VERSION]) + self._key_id
        nonce = os.urandom(NONCE_BYTES)
        return header + nonce + self._aead.encrypt(nonce, dek, _WRAP_AAD + purpose + header)

    def unwrap(self, wrapped: bytes, *, purpose: bytes = b"") -> bytes:
        """Decrypt a wrapped data key; `MissingKey` if another master key wrapped it."""
        key_id = wrapped_key_id(wrapped)
        if key_id != self.key_id:
            raise MissingKey(
                f"this data key was wrapped by master key {key_id}, not by {self.key_id}"
            )
        header = wrapped[:_WRAP_HEADER]
        nonce = wrapped[_WRAP_HEADER : _WRAP_HEADER + NONCE_BYTES]
        try:
            return self._aead.decrypt(
                nonce, wrapped[_WRAP_HEADER + NONCE_BYTES :], _WRAP_AAD + purpose + header
            )
        except InvalidTag:
            raise DecryptionError("wrapped data key failed authentication (altered?)") from None


PSEUDONYM_PURPOSE = b"pseudonym-key/"


class PseudonymKey:
    """The 32-byte secret stable pseudonyms are derived from; it outlives master keys.

    A key store created from a master key starts with `master.subkey("pseudonym-root")`, so a
    master key restored from shares before any rotation gives the same pseudonyms; a rotation
    keeps the pseudonym key and only re-wraps it under the new master key.
    """

    __slots__ = ("_root", "_macs")

    def __init__(self, root: bytes) -> None:
        if not isinstance(root, bytes) or len(root) != KEY_BYTES:
            raise KeyStoreError(f"a pseudonym key is exactly {KEY_BYTES} bytes")
        self._root = root
        self._macs: dict[str, hmac.HMAC] = {}

    def __repr__(self) -> str:
        return "PseudonymKey(…)"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PseudonymKey):
            return NotImplemented
        return hmac.compare_digest(self._root, other._root)

    def __hash__(self) -> int:
        return hash(self.pseudonym("key", "id"))

    def secret_bytes(self) -> bytes:
        """The raw key, for wrapping under a master key only."""
        return self._root

    def pseudonym(self, entity_kind: str, record_id: str) -> str:
        """A stable pseudonym for a record, e.g. ``P-7F3A9C21B4E0`` for a person.

        HMAC of the record id under a per-kind subkey of the pseudonym key: stable across
        master-key rotations, unlinkable to the id without the key, different in every
        database (each key store has its own). 48 bits, so two of 100,000 people share one
        with probability below 2 %; the prefix names the entity kind.
        """
        base = self._macs.get(entity_kind)
        if base is None:
            hkdf = HKDF(
                algorithm=hashes.SHA256(),
                length=KEY_BYTES,
                salt=None,
                info=_INFO_PREFIX + b"pseudonym/" + entity_kind.encode("utf-8"),
            )
            base = self._macs[entity_kind] = hmac.new(
                hkdf.derive(self._root), digestmod=hashlib.sha256
            )
        mac = base.copy()
        mac.update(record_id.encode("utf-8"))
        prefix = _PSEUDONYM_PREFIX.get(entity_kind, entity_kind[:1].upper() or "X")
        return f"{prefix}-{mac.digest()[:6].hex().upper()}"


_PSEUDONYM_PREFIX = {"person": "P", "information": "S", "evidence": "E", "event": "V", "user": "U"}


def wrapped_key_id(wrapped: bytes) -> str:
    """The id of the master key that wrapped `wrapped` (read from its header, no key needed)."""
    if len(wrapped) != WRAPPED_BYTES:
        raise DecryptionError(f"a wrapped data key is {WRAPPED_BYTES} bytes, got {len(wrapped)}")
    if wrapped[0] != WRAP_VERSION:
        raise DecryptionError(f"unknown wrapped-key format version {wrapped[0]}")
    return wrapped[1:_WRAP_HEADER].hex()


class Keyring:
    """The current master key plus retired ones still needed to read rows not yet re-wrapped.

    New data keys are always wrapped by `current`; `unwrap` picks the key named in the wrapped
    key's header. Blind indexes come from `current` only; pseudonyms from the key store's
    pseudonym key (by default the one `current` starts a key store with).
    """

    __slots__ = ("current", "_by_id", "pseudonyms")

    def __init__(
        self,
        current: MasterKey,
        retired: Iterable[MasterKey] = (),
        pseudonyms: PseudonymKey | None = None,
    ) -> None:
        self.current = current
        self._by_id = {k.key_id: k for k in retired}
        self._by_id[current.key_id] = current
        self.pseudonyms = pseudonyms or current.pseudonyms

    def __repr__(self) -> str:
        return f"Keyring(current={self.current.key_id!r}, keys={sorted(self._by_id)!r})"

    @property
    def key_ids(self) -> frozenset[str]:
        return frozenset(self._by_id)

    def get(self, key_id: str) -> MasterKey:
        try:
            return self._by_id[key_id]
        except KeyError:
            raise MissingKey(f"master key {key_id} is not in the key store") from None

    def wrap(self, dek: bytes) -> bytes:
        return self.current.wrap(dek)

    def unwrap(self, wrapped: bytes) -> bytes:
        return self.get(wrapped_key_id(wrapped)).unwrap(wrapped)

    def blind_index(self, field: str, value: str) -> str:
        return self.current.blind_index(field, value)

    def pseudonym(self, entity_kind: str, record_id: str) -> str:
        return self.pseudonyms.pseudonym(entity_kind, record_id)


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        raise KeyStoreError(f"{what} is not valid base64") from None
