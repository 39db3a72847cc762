"""Backup of the master key as Shamir shares ("any k of n people can restore it").

pycryptodome's `Shamir` shares a 16-byte secret over GF(2^128); we split the 32-byte master key
into two halves and share each half with the same (k, n), so share *i* carries both halves'
points at x = i. Fewer than k shares reveal nothing about either half (information-theoretic),
and we use a maintained implementation instead of our own field arithmetic.

Share text (for paper, password managers or a sealed envelope)::

    KS1-AEBA-CAF7-…   ("KS1" = kirok share, format 1; groups of 4 base32 letters)

It encodes: format version, threshold k, share count n, index i, the master key's id (8 bytes),
the two 16-byte points, and a 4-byte SHA-256 checksum over all of that. The checksum catches a
mistyped share (any error is missed with probability 2^-32); the key id catches shares that are
well-formed but do not combine to the key they claim (shares of two different backups mixed, or
fewer than k shares: pycryptodome would silently return a wrong key, we raise).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from Crypto.Protocol.SecretSharing import Shamir

from kirok.security.errors import ShareError
from kirok.security.keys import KEY_BYTES, KEY_ID_BYTES, MasterKey

SHARE_PREFIX = "KS1"
_VERSION = 1
_HALF = KEY_BYTES // 2
_BODY_BYTES = 4 + KEY_ID_BYTES + 2 * _HALF
_CHECK_BYTES = 4
_LETTERS = -(-(_BODY_BYTES + _CHECK_BYTES) * 8 // 5)  # base32 without padding
# Characters outside the base32 alphabet that people type for ones inside it.
_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "8": "B"})


@dataclass(frozen=True)
class Share:
    """One decoded share."""

    threshold: int
    count: int
    index: int
    key_id: str
    points: tuple[bytes, bytes]

    def describe(self) -> str:
        return (
            f"share {self.index} of {self.count} ({self.threshold} needed) "
            f"for master key {self.key_id}"
        )


def split(master: MasterKey, *, shares: int = 3, threshold: int = 2) -> list[str]:
    """Split `master` into `shares` share texts, any `threshold` of which restore it."""
    if not 2 <= threshold <= shares <= 255:
        raise ValueError("need 2 <= threshold <= shares <= 255")
    secret = master.secret_bytes()
    first = Shamir.split(threshold, shares, secret[:_HALF])
    second = Shamir.split(threshold, shares, secret[_HALF:])
    texts = []
    for (i, a), (j, b) in zip(first, second, strict=True):
        if i != j:  # pycryptodome numbers shares 1..n in both calls
            raise ShareError("internal error: share indexes of the two halves differ")
        share = Share(threshold, shares, i, master.key_id, (a, b))
        texts.append(encode_share(share))
    return texts


def encode_share(share: Share) -> str:
    body = (
        bytes([_VERSION, share.threshold, share.count, share.index])
        + bytes.fromhex(share.key_id)
        + share.points[0]
        + share.points[1]
    )
    raw = body + _checksum(body)
    letters = base64.b32encode(raw).decode("ascii").rstrip("=")
    groups = [letters[i : i + 4] for i in range(0, len(letters), 4)]
    return "-".join([SHARE_PREFIX, *groups])


def decode_share(text: str) -> Share:
    """Parse a share text; `ShareError` if it is mistyped (bad checksum) or not a kirok share.

    Case, spaces, dashes and line breaks are ignored, and 0/1/8 are read as O/I/B.
    """
    compact = "".join(text.split()).replace("-", "").upper()
    if not compact.startswith(SHARE_PREFIX):
        raise ShareError(f"not a kirok key share (does not start with {SHARE_PREFIX}-)")
    letters = compact[len(SHARE_PREFIX) :].translate(_LOOKALIKES)
    if len(letters) != _LETTERS:
        raise ShareError(
            f"share has {len(letters)} letters, not {_LETTERS} (a group missing or doubled?)"
        )
    try:
        raw = base64.b32decode(letters + "=" * (-len(letters) % 8))
    except ValueError:
        raise ShareError("share contains characters that are not in a share") from None
    body, check = raw[:_BODY_BYTES], raw[_BODY_BYTES:]
    # The last letter carries one unused bit; a non-canonical letter there is a typo too.
    canonical = base64.b32encode(raw).decode("ascii").rstrip("=")
    if _checksum(body) != check or canonical != letters:
        raise ShareError("share checksum does not match: the share is mistyped or damaged")
    version, threshold, count, index = body[:4]
    if version != _VERSION:
        raise ShareError(f"unsupported share format {version}")
    if not (2 <= threshold <= count and 1 <= index <= count):
        raise ShareError(f"share header is inconsistent (share {index}, {threshold} of {count})")
    key_id = body[4 : 4 + KEY_ID_BYTES].hex()
    points = body[4 + KEY_ID_BYTES :]
    return Share(threshold, count, index, key_id, (points[:_HALF], points[_HALF:]))


def combine(texts: list[str]) -> MasterKey:
    """Restore the master key from at least `threshold` shares of one backup.

    Raises `ShareError` naming the problem: a mistyped share (its position in `texts`), shares
    from different backups, too few shares, or shares that do not reproduce the key.
    """
    decoded: dict[int, Share] = {}
    for position, text in enumerate(texts, start=1):
        try:
            share = decode_share(text)
        except ShareError as exc:
            raise ShareError(f"share #{position} given: {exc}") from None
        decoded.setdefault(share.index, share)
    if not decoded:
        raise ShareError("no shares given")
    shares = list(decoded.values())
    first = shares[0]
    if any(
        (s.key_id, s.threshold, s.count) != (first.key_id, first.threshold, first.count)
        for s in shares
    ):
        raise ShareError("these shares belong to different key backups")
    if len(shares) < first.threshold:
        raise ShareError(
            f"{first.threshold} different shares are needed to restore master key "
            f"{first.key_id}; {len(shares)} given"
        )
    used, extra = shares[: first.threshold], shares[first.threshold :]
    master = _combine(used)
    if master is None:
        raise ShareError(f"the shares do not reproduce master key {first.key_id}")
    # A share beyond the threshold is checked too: swapped in for one of the others, it must
    # give the same key, or it is a damaged share that would fail on the day it is needed.
    for share in extra:
        if _combine([*used[1:], share]) != master:
            raise ShareError(f"share {share.index} does not belong with the others")
    return master


def _combine(shares: list[Share]) -> MasterKey | None:
    """The key these shares give, or None if it is not the key they name."""
    secret = Shamir.combine([(s.index, s.points[0]) for s in shares]) + Shamir.combine(
        [(s.index, s.points[1]) for s in shares]
    )
    master = MasterKey(secret)
    return master if master.key_id == shares[0].key_id else None


def _checksum(body: bytes) -> bytes:
    return hashlib.sha256(b"kirok-share/" + body).digest()[:_CHECK_BYTES]
