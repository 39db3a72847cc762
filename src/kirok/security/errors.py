"""Exceptions raised by `kirok.security`.

They are ours (not `cryptography`'s or `argon2`'s) so that callers, the CLI and the web layer can
give a clear message without knowing which library sits underneath, and so that a failure is
always raised *before* anything is written.
"""

from __future__ import annotations


class SecurityError(Exception):
    """Base class for every error raised by `kirok.security`."""


class KeyStoreError(SecurityError):
    """The key store or key file is malformed, of an unknown version, or used the wrong way."""


class KeyStoreExists(KeyStoreError):
    """Refusing to overwrite an existing key store or key file."""


class WrongPassphrase(KeyStoreError):
    """The passphrase or key file does not unlock this key store."""


class MissingKey(KeyStoreError, LookupError):
    """A key store, key file or master key (by key id) that is needed is not there."""

    def __str__(self) -> str:  # LookupError would quote the message like a dict key
        return str(self.args[0]) if self.args else "missing key"


class WeakPassphrase(KeyStoreError, ValueError):
    """A new passphrase is too short to protect the master key."""


class DecryptionError(SecurityError):
    """A ciphertext or wrapped key failed authentication: wrong key, wrong context, or altered."""


class ShareError(SecurityError):
    """A key-backup share is mistyped or corrupt, or the shares given cannot restore the key."""


class PermissionDenied(SecurityError):
    """The policy refused an action; the message says why."""
