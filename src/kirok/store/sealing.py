"""What the store needs from the key management: the port it seals sensitive fields through."""

from __future__ import annotations

from typing import Protocol


class Sealer(Protocol):
    """Envelope encryption as the store sees it: per-record data keys wrapped by the master key."""

    def new_data_key(self) -> tuple[bytes, bytes]:
        """A fresh data key and the same key wrapped by the master key."""
        ...

    def unwrap(self, wrapped: bytes) -> bytes: ...

    def rewrap(self, wrapped: bytes) -> bytes:
        """The same data key, wrapped by the current master key."""
        ...

    def seal(self, dek: bytes, plaintext: str, aad: str) -> bytes: ...

    def open(self, dek: bytes, blob: bytes, aad: str) -> str: ...

    def blind_index(self, field: str, value: str) -> str:
        """A keyed digest allowing exact lookups without plaintext."""
        ...
