"""Passwords (Argon2id), lockout after repeated failures, and optional TOTP second factor.

All pure: the store keeps the hash, the failure timestamps and the last TOTP step; these
functions decide.
"""

from __future__ import annotations

import hmac
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024


@lru_cache(maxsize=1)
def default_hasher() -> PasswordHasher:
    """Argon2id with argon2-cffi's defaults (RFC 9106 low-memory: t=3, 64 MiB, p=4)."""
    return PasswordHasher()


def _prepare(password: str) -> str:
    # NFC so that the same Hangul password typed on two systems hashes alike (RFC 8265 does too).
    return unicodedata.normalize("NFC", password)


def password_problems(password: str) -> list[str]:
    """Why a new password is unacceptable (empty list: acceptable).

    Length is the rule that matters (NIST SP 800-63B); no composition rules.
    """
    text = _prepare(password)
    problems = []
    if len(text) < MIN_PASSWORD_CHARS:
        problems.append(f"use at least {MIN_PASSWORD_CHARS} characters")
    if len(text) > MAX_PASSWORD_CHARS:
        problems.append(f"use at most {MAX_PASSWORD_CHARS} characters")
    if text.strip() != text:
        problems.append("no spaces at the start or end")
    return problems


def hash_password(password: str, hasher: PasswordHasher | None = None) -> str:
    """An Argon2id hash string (PHC format, with its own salt and parameters)."""
    problems = password_problems(password)
    if problems:
        raise ValueError("; ".join(problems))
    return (hasher or default_hasher()).hash(_prepare(password))


def verify_password(stored: str, password: str, hasher: PasswordHasher | None = None) -> bool:
    """True if `password` matches `stored`; False on mismatch or an unreadable hash."""
    try:
        return (hasher or default_hasher()).verify(stored, _prepare(password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str, hasher: PasswordHasher | None = None) -> bool:
    """True if `stored` was made with weaker parameters than the current ones (rehash at login)."""
    return (hasher or default_hasher()).check_needs_rehash(stored)


# -- lockout ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LockoutPolicy:
    """`max_failures` failed logins within `window` lock the account for `lock_for`."""

    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    lock_for: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class LockState:
    locked: bool
    until: datetime | None
    recent_failures: int


def lockout_state(
    failures: Iterable[datetime], now: datetime, policy: LockoutPolicy | None = None
) -> LockState:
    """Whether an account is locked at `now`, given its failed-login times since its last
    successful login.

    Any `max_failures` consecutive failures no further apart than `window` lock the account
    until `lock_for` after the last of them. A failure while locked (the caller still records
    refused attempts) restarts the lock, so a guesser who keeps trying keeps it locked.
    Failures after `now` are ignored.
    """
    policy = policy or LockoutPolicy()
    times = sorted(t for t in failures if t <= now)
    until: datetime | None = None
    n = policy.max_failures
    for i, t in enumerate(times):
        if until is not None and t < until:
            until = max(until, t + policy.lock_for)  # tried again while locked
        elif i >= n - 1 and t - times[i - n + 1] <= policy.window:
            until = t + policy.lock_for
    recent = sum(1 for t in times if now - t <= policy.window)
    if until is not None and now < until:
        return LockState(True, until, recent)
    return LockState(False, None, recent)


# -- TOTP (RFC 6238) --------------------------------------------------------------------------


def new_totp_secret() -> str:
    """A random base32 TOTP secret (160 bits), to be stored encrypted (a sensitive field)."""
    return pyotp.random_base32(32)


def totp_uri(secret: str, username: str, issuer: str = "kirok") -> str:
    """The otpauth:// URI an authenticator app scans."""
    return str(pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer))


@dataclass(frozen=True)
class TotpResult:
    ok: bool
    step: int | None = None
    reason: str = ""


def verify_totp(
    secret: str,
    code: str,
    at: datetime,
    *,
    last_used_step: int | None = None,
    valid_window: int = 1,
) -> TotpResult:
    """Check a 6-digit code at time `at`, allowing `valid_window` steps of clock drift.

    A code is accepted at most once: pass the step returned by the last successful check as
    `last_used_step`, and store the new `step` on success (RFC 6238 §5.2, replay).
    """
    if at.tzinfo is None:
        raise ValueError("TOTP checks need a timezone-aware time")
    digits = "".join(code.split())
    if not digits.isdigit() or len(digits) != 6:
        return TotpResult(False, None, "a code is 6 digits")
    totp = pyotp.TOTP(secret)
    now_step = int(totp.timecode(at))
    for offset in range(-valid_window, valid_window + 1):
        expected = str(totp.at(at, counter_offset=offset))
        if hmac.compare_digest(expected, digits):
            step = now_step + offset
            if last_used_step is not None and step <= last_used_step:
                return TotpResult(False, step, "this code was already used")
            return TotpResult(True, step)
    return TotpResult(False, None, "wrong or expired code")
