"""Web users: accounts, password login with lockout, and API tokens.

The rules (Argon2id, lockout, role clearance) live in ``kirok.security``; this module stores their
state and writes the audit entries. Every login attempt, successful or not, is audited in the same
transaction that records its effect on the account.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from kirok.domain.errors import KirokError
from kirok.security import passwords
from kirok.security.audit import AuditAction
from kirok.security.policy import ROLE_CLEARANCE, Confidentiality, Role
from kirok.store.repository import RecordStore
from kirok.store.schema import api_tokens, users

TOKEN_LIFETIME = timedelta(days=30)
# Verified against when the username is unknown, so that a login takes as long either way and
# does not reveal which usernames exist.
_DUMMY_HASH_INPUT = "kirok-no-such-user-0000"


class UserProblem(KirokError):
    """An account operation that cannot be done as asked (name taken, no such user)."""


@dataclass(frozen=True)
class WebUser:
    """A signed-in user; satisfies ``kirok.security.policy.Principal``."""

    id: str
    username: str
    role: str
    clearance: int


@dataclass(frozen=True)
class LoginResult:
    user: WebUser | None
    reason: str  # shown to the user; never says whether the username exists


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _web_user(row: sa.Row[Any]) -> WebUser:
    return WebUser(
        id=str(row.id), username=str(row.username), role=str(row.role), clearance=int(row.clearance)
    )


def add_user(
    store: RecordStore,
    username: str,
    role: str,
    password: str,
    *,
    actor: str,
    clearance: Confidentiality | None = None,
) -> WebUser:
    """Create an account. The clearance defaults to the role's ceiling (and can only be lower)."""
    chosen = Role(role)
    name = username.strip()
    if not name or len(name) > 100:
        raise UserProblem("a username has 1 to 100 characters")
    ceiling = ROLE_CLEARANCE[chosen]
    level = ceiling if clearance is None else Confidentiality(min(clearance, ceiling))
    password_hash = passwords.hash_password(password)
    user_id = uuid.uuid4().hex
    with store.write(actor) as uow:
        taken = uow.connection.execute(
            sa.select(users.c.id).where(users.c.username == name)
        ).first()
        if taken is not None:
            raise UserProblem(f"the username {name!r} is taken")
        uow.connection.execute(
            sa.insert(users).values(
                id=user_id,
                username=name,
                role=chosen.value,
                clearance=int(level),
                password_hash=password_hash,
                totp_secret=None,
                failed_logins="[]",
                locked_until=None,
                created_at=_now(),
            )
        )
        uow.audit(
            AuditAction.USER_CHANGE,
            "user",
            user_id,
            {"change": "created", "username": name, "role": chosen.value},
        )
    return WebUser(user_id, name, chosen.value, int(level))


def get_user(store: RecordStore, user_id: str) -> WebUser | None:
    with store.read() as uow:
        row = uow.connection.execute(sa.select(users).where(users.c.id == user_id)).first()
    return None if row is None else _web_user(row)


def authenticate(
    store: RecordStore,
    username: str,
    password: str,
    *,
    totp_code: str | None = None,
    now: datetime | None = None,
    policy: passwords.LockoutPolicy | None = None,
) -> LoginResult:
    """Check a password (and the one-time code, for accounts with a second factor), applying
    lockout; audit the attempt either way. A wrong code counts as a failed attempt."""
    moment = now or _now()
    refused = LoginResult(None, "wrong username or password, or the account is locked")
    with store.write("web-login") as uow:
        row = uow.connection.execute(
            sa.select(users).where(users.c.username == username.strip())
        ).first()
        if row is None:
            passwords.verify_password(_dummy_hash(), password)
            uow.audit(AuditAction.LOGIN_FAILED, "user", None, {"reason": "unknown user"})
            return refused
        failures = [datetime.fromisoformat(t) for t in json.loads(row.failed_logins)]
        state = passwords.lockout_state(failures, moment, policy)
        if state.locked:
            failures.append(moment)
            _save_failures(uow.connection, row.id, failures, moment, policy)
            uow.audit(AuditAction.LOCKED_OUT, "user", row.id, {"failures": len(failures)})
            return refused
        second: passwords.TotpResult | None = None
        password_ok = passwords.verify_password(row.password_hash, password)
        if password_ok and row.totp_secret is not None:
            secret = _open_totp_secret(store, row.id, row.totp_secret)
            second = passwords.verify_totp(
                secret, totp_code or "", moment, last_used_step=row.totp_last_step
            )
        if not password_ok or (second is not None and not second.ok):
            failures.append(moment)
            locked = _save_failures(uow.connection, row.id, failures, moment, policy)
            action = AuditAction.LOCKED_OUT if locked else AuditAction.LOGIN_FAILED
            reason = "password" if not password_ok else "second factor"
            uow.audit(action, "user", row.id, {"failures": len(failures), "failed": reason})
            return refused
        values: dict[str, Any] = {"failed_logins": "[]", "locked_until": None}
        if second is not None:
            values["totp_last_step"] = second.step
        if passwords.needs_rehash(row.password_hash):
            values["password_hash"] = passwords.hash_password(password)
        uow.connection.execute(sa.update(users).where(users.c.id == row.id).values(**values))
        uow.audit(AuditAction.LOGIN, "user", row.id, {"second_factor": second is not None})
        return LoginResult(_web_user(row), "")


def _totp_aad(user_id: str) -> str:
    return f"kirok:user-totp:{user_id}"


def _open_totp_secret(store: RecordStore, user_id: str, stored: str) -> str:
    wrapped, blob = (base64.b64decode(part) for part in stored.split("."))
    sealer = store.sealer
    return sealer.open(sealer.unwrap(wrapped), blob, _totp_aad(user_id))


def enable_totp(store: RecordStore, username: str, *, actor: str) -> tuple[str, str]:
    """Give an account a second factor; returns the secret and its otpauth:// URI, shown once.

    The secret is sealed (AES-256-GCM) under a data key of its own, like any sensitive field.
    """
    user = find_user(store, username)
    if user is None:
        raise UserProblem(f"no user {username!r}")
    secret = passwords.new_totp_secret()
    dek, wrapped = store.sealer.new_data_key()
    blob = store.sealer.seal(dek, secret, _totp_aad(user.id))
    stored = f"{base64.b64encode(wrapped).decode()}.{base64.b64encode(blob).decode()}"
    with store.write(actor) as uow:
        uow.connection.execute(
            sa.update(users)
            .where(users.c.id == user.id)
            .values(totp_secret=stored, totp_last_step=None)
        )
        uow.audit(AuditAction.USER_CHANGE, "user", user.id, {"change": "second factor enabled"})
    return secret, passwords.totp_uri(secret, user.username)


def _save_failures(
    connection: sa.Connection,
    user_id: str,
    failures: list[datetime],
    moment: datetime,
    policy: passwords.LockoutPolicy | None,
) -> bool:
    state = passwords.lockout_state(failures, moment, policy)
    connection.execute(
        sa.update(users)
        .where(users.c.id == user_id)
        .values(
            failed_logins=json.dumps([t.isoformat() for t in failures[-50:]]),
            locked_until=state.until,
        )
    )
    return state.locked


_dummy: list[str] = []


def _dummy_hash() -> str:
    if not _dummy:
        _dummy.append(passwords.hash_password(_DUMMY_HASH_INPUT))
    return _dummy[0]


# -- API tokens --------------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(store: RecordStore, user: WebUser, *, lifetime: timedelta = TOKEN_LIFETIME) -> str:
    """A new bearer token for `user`; only its SHA-256 digest is stored. Shown once."""
    token = "kirok_" + secrets.token_urlsafe(32)
    moment = _now()
    with store.write(user.username) as uow:
        uow.connection.execute(
            sa.insert(api_tokens).values(
                token_hash=_digest(token),
                user_id=user.id,
                created_at=moment,
                expires_at=moment + lifetime,
            )
        )
        uow.audit(
            AuditAction.USER_CHANGE,
            "user",
            user.id,
            {"change": "api token issued", "expires_days": lifetime.days},
        )
    return token


def user_for_token(
    store: RecordStore, token: str, *, now: datetime | None = None
) -> WebUser | None:
    """The user a bearer token belongs to, if it exists and has not expired."""
    moment = now or _now()
    with store.read() as uow:
        row = uow.connection.execute(
            sa.select(users, api_tokens.c.expires_at)
            .join(api_tokens, api_tokens.c.user_id == users.c.id)
            .where(api_tokens.c.token_hash == _digest(token))
        ).first()
    if row is None:
        return None
    expires = _utc(row.expires_at)
    if expires is None or expires <= moment:
        return None
    return _web_user(row)


def find_user(store: RecordStore, username: str) -> WebUser | None:
    with store.read() as uow:
        row = uow.connection.execute(
            sa.select(users).where(users.c.username == username.strip())
        ).first()
    return None if row is None else _web_user(row)


def set_password(store: RecordStore, username: str, password: str, *, actor: str) -> WebUser:
    """Replace an account's password (and clear its lockout)."""
    user = find_user(store, username)
    if user is None:
        raise UserProblem(f"no user {username!r}")
    password_hash = passwords.hash_password(password)
    with store.write(actor) as uow:
        uow.connection.execute(
            sa.update(users)
            .where(users.c.id == user.id)
            .values(password_hash=password_hash, failed_logins="[]", locked_until=None)
        )
        uow.audit(AuditAction.USER_CHANGE, "user", user.id, {"change": "password"})
    return user
