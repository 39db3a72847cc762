from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from argon2 import PasswordHasher

from kirok.security.passwords import (
    LockoutPolicy,
    hash_password,
    lockout_state,
    needs_rehash,
    new_totp_secret,
    password_problems,
    totp_uri,
    verify_password,
)
from kirok.security.passwords import verify_totp as check_totp

FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
T0 = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)


def test_hash_is_argon2id_salted_and_verifies() -> None:
    pw = "탈북 2009 압록강 건넘"
    h1, h2 = hash_password(pw, FAST), hash_password(pw, FAST)
    assert h1.startswith("$argon2id$") and h1 != h2 and pw not in h1
    assert verify_password(h1, pw, FAST)
    assert not verify_password(h1, pw + "!", FAST)
    assert not verify_password("not a hash", pw, FAST)


def test_password_is_nfc_normalised() -> None:
    composed = "비밀번호는 길어야 합니다"
    decomposed = "\u1107\u1175\u1106\u1175\u11af\u1107\u1165\u11ab\u1112\u1169\u1102\u1173\u11ab"
    decomposed += (
        " \u1100\u1175\u11af\u110b\u1165\u110b\u1163 \u1112\u1161\u11b8\u1102\u1175\u1103\u1161"
    )
    assert decomposed != composed
    assert verify_password(hash_password(composed, FAST), decomposed, FAST)


def test_short_passwords_are_refused() -> None:
    assert password_problems("long enough password") == []
    assert password_problems("short")
    assert password_problems(" leading space here")
    with pytest.raises(ValueError, match="at least 12"):
        hash_password("short", FAST)


def test_weaker_hash_needs_rehash() -> None:
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    h = hash_password("long enough password", FAST)
    assert needs_rehash(h, stronger)
    assert not needs_rehash(h, FAST)


POLICY = LockoutPolicy(max_failures=3, window=timedelta(minutes=10), lock_for=timedelta(minutes=30))


def test_failures_spread_out_do_not_lock() -> None:
    failures = [T0, T0 + timedelta(minutes=11), T0 + timedelta(minutes=22)]
    state = lockout_state(failures, T0 + timedelta(minutes=23), POLICY)
    assert not state.locked and state.until is None and state.recent_failures == 1


def test_n_failures_in_window_lock_until_t() -> None:
    failures = [T0, T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)]
    before = lockout_state(failures[:2], T0 + timedelta(minutes=2), POLICY)
    assert not before.locked
    state = lockout_state(failures, T0 + timedelta(minutes=3), POLICY)
    assert state.locked and state.until == T0 + timedelta(minutes=32)
    assert lockout_state(failures, T0 + timedelta(minutes=31, seconds=59), POLICY).locked
    assert not lockout_state(failures, T0 + timedelta(minutes=32), POLICY).locked


def test_failures_while_locked_extend_the_lock() -> None:
    failures = [T0 + timedelta(minutes=m) for m in (0, 1, 2, 20)]
    state = lockout_state(failures, T0 + timedelta(minutes=40), POLICY)
    assert state.locked and state.until == T0 + timedelta(minutes=50)


def test_default_policy_and_future_failures_ignored() -> None:
    failures = [T0 + timedelta(seconds=s) for s in range(5)]
    assert lockout_state(failures, T0 + timedelta(seconds=5)).locked
    assert not lockout_state(failures, T0 - timedelta(seconds=1)).locked


def test_totp_accepts_current_code_once() -> None:
    secret = new_totp_secret()
    code = pyotp.TOTP(secret).at(T0)
    first = check_totp(secret, code, T0)
    assert first.ok and first.step is not None
    replay = check_totp(secret, code, T0 + timedelta(seconds=5), last_used_step=first.step)
    assert not replay.ok and "already used" in replay.reason


def test_totp_allows_one_step_of_drift_but_not_more() -> None:
    secret = new_totp_secret()
    code = pyotp.TOTP(secret).at(T0)
    assert check_totp(secret, code, T0 + timedelta(seconds=30)).ok
    assert not check_totp(secret, code, T0 + timedelta(seconds=95)).ok
    assert not check_totp(secret, "12345", T0).ok
    assert not check_totp(secret, "abcdef", T0).ok


def test_totp_uri_names_issuer_and_user() -> None:
    uri = totp_uri(new_totp_secret(), "kim.documenter")
    assert uri.startswith("otpauth://totp/kirok:kim.documenter?") and "issuer=kirok" in uri


def test_totp_needs_an_aware_time() -> None:
    with pytest.raises(ValueError, match="timezone"):
        check_totp(new_totp_secret(), "123456", datetime(2026, 11, 28, 8, 0))
