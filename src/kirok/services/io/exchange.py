"""Exchange packages: a chosen subset of records for the UN or a partner NGO, sealed and signed.

A package is a zip of three members:

- ``manifest.json``: format, sender's Ed25519 public key, the ephemeral X25519 public key, the
  SHA-256 of the encrypted payload and of every file inside it, and the custody record (who
  made the package, when, under which role and consent scope);
- ``manifest.sig``: the sender's Ed25519 signature over the manifest bytes;
- ``payload.bin``: a zip of one JSON export per record kind plus ``custody.json``, encrypted with
  AES-256-GCM under a key agreed by X25519 between a fresh ephemeral key and the recipient's
  public key (HKDF-SHA256), the manifest's hash bound as associated data.

Only the recipient's private key opens it; anyone with the sender's public key can check who made
it. ``read_package`` verifies the signature, the payload hash, decrypts, and checks every inner
file's hash *before* returning anything, so a tampered package writes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kirok.domain.errors import KirokError
from kirok.services.io import exporting
from kirok.services.io.importing import ImportReport, import_file
from kirok.services.io.mapping import identity_mapping
from kirok.store.repository import RecordStore

FORMAT = "kirok-exchange/1"
_INFO = b"kirok exchange package v1"

# Kinds in an order where references point to kinds already imported.
KIND_ORDER = (
    "place", "person", "event", "event_link", "act", "involvement", "information",
    "intervention", "biographic_link", "evidence", "consent", "designation", "resolution",
    "sanction_entry", "refugee_case", "statistic",
)  # fmt: skip


class PackageRejected(KirokError):
    """The package is damaged, tampered with, not for us, or not from whom it claims."""


@dataclass(frozen=True)
class OpenedPackage:
    manifest: dict[str, Any]
    files: dict[str, bytes]  # kind -> JSON export, verified


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient, info=_INFO
    ).derive(shared)


def raw_public(key: X25519PublicKey | Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def create_package(
    store: RecordStore,
    out: Path,
    *,
    kinds: Sequence[str],
    recipient: X25519PublicKey,
    signer: Ed25519PrivateKey,
    actor: str,
    role: str | None = None,
    scope: str | None = None,
    pseudonyms: Any = None,
) -> dict[str, int]:
    """Write a package of ``kinds`` (redacted for ``role``, filtered by consent ``scope``)."""
    inner: dict[str, bytes] = {}
    counts: dict[str, int] = {}
    for kind in kinds:
        rows, report = exporting.collect(store, kind, role=role, scope=scope, pseudonyms=pseudonyms)
        inner[f"{kind}.json"] = json.dumps(rows, ensure_ascii=False).encode("utf-8")
        counts[kind] = report.written
    custody = {
        "created_by": actor,
        "created_at": datetime.now(UTC).isoformat(),
        "role": role,
        "scope": scope,
        "records": counts,
    }
    inner["custody.json"] = json.dumps(custody, ensure_ascii=False).encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in inner.items():
            archive.writestr(name, data)
    plaintext = buffer.getvalue()

    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = raw_public(ephemeral.public_key())
    recipient_public = raw_public(recipient)
    key = _key(ephemeral.exchange(recipient), ephemeral_public, recipient_public)
    nonce = os.urandom(12)
    header = {
        "format": FORMAT,
        "sender": _b64(raw_public(signer.public_key())),
        "recipient": _b64(recipient_public),
        "ephemeral": _b64(ephemeral_public),
        "nonce": _b64(nonce),
        "files": {name: _sha(data) for name, data in inner.items()},
        "custody": custody,
    }
    aad = json.dumps(header, sort_keys=True).encode("utf-8")
    payload = AESGCM(key).encrypt(nonce, plaintext, aad)
    manifest = dict(header, payload_sha256=_sha(payload))
    manifest_bytes = json.dumps(manifest, sort_keys=True, indent=1).encode("utf-8")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("manifest.json", manifest_bytes)
        archive.writestr("manifest.sig", signer.sign(manifest_bytes))
        archive.writestr("payload.bin", payload)
    with store.write(actor) as uow:
        uow.audit("export", None, None, {"package": out.name, "records": counts, "scope": scope})
    return counts


def read_package(
    path: Path, recipient: X25519PrivateKey, trusted_sender: Ed25519PublicKey | None = None
) -> OpenedPackage:
    """Verify and open a package; raises ``PackageRejected`` on any inconsistency."""
    try:
        with zipfile.ZipFile(path) as archive:
            manifest_bytes = archive.read("manifest.json")
            signature = archive.read("manifest.sig")
            payload = archive.read("payload.bin")
    except (OSError, zipfile.BadZipFile, KeyError) as error:
        raise PackageRejected(f"{path.name}: not a readable package ({error})") from None
    try:
        manifest = json.loads(manifest_bytes)
        sender_raw = base64.b64decode(manifest["sender"])
        sender = Ed25519PublicKey.from_public_bytes(sender_raw)
    except (ValueError, KeyError, TypeError) as error:
        raise PackageRejected(f"{path.name}: damaged manifest ({error})") from None
    if trusted_sender is not None and raw_public(trusted_sender) != sender_raw:
        raise PackageRejected(f"{path.name}: signed by another key than the trusted sender's")
    try:
        sender.verify(signature, manifest_bytes)
    except InvalidSignature:
        raise PackageRejected(f"{path.name}: the signature does not match the manifest") from None
    if manifest.get("format") != FORMAT:
        raise PackageRejected(f"{path.name}: unknown package format {manifest.get('format')!r}")
    if _sha(payload) != manifest.get("payload_sha256"):
        raise PackageRejected(f"{path.name}: the payload's SHA-256 differs from the manifest")
    recipient_public = raw_public(recipient.public_key())
    if base64.b64decode(manifest["recipient"]) != recipient_public:
        raise PackageRejected(f"{path.name}: the package is encrypted for another recipient")
    header = {k: v for k, v in manifest.items() if k != "payload_sha256"}
    try:
        ephemeral_public = base64.b64decode(manifest["ephemeral"])
        shared = recipient.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
        key = _key(shared, ephemeral_public, recipient_public)
        plaintext = AESGCM(key).decrypt(
            base64.b64decode(manifest["nonce"]),
            payload,
            json.dumps(header, sort_keys=True).encode("utf-8"),
        )
        with zipfile.ZipFile(io.BytesIO(plaintext)) as archive:
            files = {name: archive.read(name) for name in archive.namelist()}
    except (InvalidTag, ValueError, KeyError, zipfile.BadZipFile) as error:
        raise PackageRejected(f"{path.name}: the payload does not decrypt ({error})") from None
    expected = manifest.get("files", {})
    if set(files) != set(expected):
        raise PackageRejected(f"{path.name}: the payload's files differ from the manifest")
    for name, data in files.items():
        if _sha(data) != expected[name]:
            raise PackageRejected(f"{path.name}: {name} differs from its SHA-256 in the manifest")
    kinds = {name.removesuffix(".json"): data for name, data in files.items()}
    kinds.pop("custody", None)
    return OpenedPackage(manifest=manifest, files=kinds)


def import_package(
    store: RecordStore,
    path: Path,
    recipient: X25519PrivateKey,
    actor: str,
    *,
    trusted_sender: Ed25519PublicKey | None = None,
    source: str | None = None,
) -> list[ImportReport]:
    """Verify the whole package, then import its kinds in reference order (each atomically)."""
    opened = read_package(path, recipient, trusted_sender)
    reports = []
    with tempfile.TemporaryDirectory() as scratch:
        for kind in [k for k in KIND_ORDER if k in opened.files]:
            file = Path(scratch) / f"{kind}.json"
            file.write_bytes(opened.files[kind])
            if json.loads(opened.files[kind]) == []:
                continue
            reports.append(import_file(store, file, identity_mapping(kind, source), actor))
    return reports


def save_private_key(key: X25519PrivateKey | Ed25519PrivateKey, path: Path) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def save_public_key(key: X25519PublicKey | Ed25519PublicKey, path: Path) -> None:
    path.write_bytes(
        key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def load_private_key(path: Path) -> Any:
    try:
        return serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as error:
        raise PackageRejected(f"{path.name}: not a private key ({error})") from None


def load_public_key(path: Path) -> Any:
    try:
        return serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as error:
        raise PackageRejected(f"{path.name}: not a public key ({error})") from None
