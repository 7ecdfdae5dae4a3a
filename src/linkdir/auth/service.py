"""Accounts and API tokens: Argon2id password hashes, tokens stored as SHA-256 only."""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import and_, case, delete, literal, not_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from linkdir.auth.models import ApiToken, LoginThrottle, Role, User, UserSession
from linkdir.db import UTCDateTime, upsert_into, utcnow
from linkdir.errors import N_, Conflict, FieldError, NotFound, ValidationFailed

MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "ldt_"
_hasher = PasswordHasher()  # argon2-cffi's default type is Argon2id
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
# The most common passwords that pass the length rule (from public breach lists).
_COMMON_PASSWORDS = frozenset(
    {
        "1234567890",
        "12345678910",
        "0123456789",
        "qwertyuiop",
        "password1!",
        "password123",
        "lösenord123",
        "losenord123",
        "sommar2024!",
        "sommar2025!",
        "sommar2026!",
        "qwerty12345",
        "1q2w3e4r5t",
        "iloveyou123",
        "abc1234567",
        "1111111111",
        "0000000000",
        "administrator",
        "bibliotek123",
        "linkdir123",
        "welcome123",
        "changeme123",
    }
)


def check_password(password: str) -> None:
    """Raise ValidationFailed when ``password`` is too short or too common."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            [
                FieldError(
                    "password",
                    N_("The password must be at least %(min)d characters long."),
                    {"min": MIN_PASSWORD_LENGTH},
                )
            ]
        )
    if password.casefold() in _COMMON_PASSWORDS or len(set(password)) < 4:
        raise ValidationFailed(
            [FieldError("password", N_("This password is too common; choose another."))]
        )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def normalise_email(email: str) -> str:
    email = unicodedata.normalize("NFC", email.strip()).lower()
    # Control and format characters (NUL, right-to-left marks, zero-width spaces) are
    # invisible: an address stored with one cannot be typed at sign-in, and one that
    # shows reversed misleads the admin who reads the list of accounts.
    if any(unicodedata.category(char)[0] == "C" for char in email):
        raise ValidationFailed(
            [
                FieldError(
                    "email",
                    N_("The e-mail address contains an invisible or control character."),
                )
            ]
        )
    if not _EMAIL.match(email) or len(email) > 254:
        raise ValidationFailed([FieldError("email", N_("Enter a valid e-mail address."))])
    return email


async def find_user(session: AsyncSession, email: str) -> User | None:
    return (
        await session.execute(
            select(User).where(
                col(User.email) == unicodedata.normalize("NFC", email.strip()).lower()
            )
        )
    ).scalar_one_or_none()


async def create_user(session: AsyncSession, email: str, password: str, role: str) -> User:
    """A new account; the password is checked and stored as an Argon2id hash."""
    email = normalise_email(email)
    if role not in {r.value for r in Role}:
        raise ValidationFailed([FieldError("role", N_("Choose admin or editor."))])
    check_password(password)
    if await find_user(session, email):
        raise Conflict(FieldError("email", N_("An account with this e-mail address exists.")))
    user = User(email=email, password_hash=hash_password(password), role=role)
    session.add(user)
    await session.flush()
    return user


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class NewToken:
    token: str  # shown once; never stored
    record: ApiToken


async def create_token(session: AsyncSession, email: str, name: str = "") -> NewToken:
    user = await find_user(session, email)
    if user is None or not user.is_active:
        raise NotFound(email)
    assert user.id is not None
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(
        user_id=user.id, name=name[:100], token_hash=token_digest(token), prefix=token[:12]
    )
    session.add(record)
    await session.flush()
    return NewToken(token, record)


async def user_for_token(session: AsyncSession, token: str) -> User | None:
    """The active user a live token belongs to, or None; marks the token used."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = (
        await session.execute(
            select(ApiToken, User)
            .join(User, col(User.id) == col(ApiToken.user_id))
            .where(col(ApiToken.token_hash) == token_digest(token))
        )
    ).first()
    if row is None:
        return None
    record, user = row
    if record.revoked_at is not None or not user.is_active:
        return None
    now = utcnow()
    # Write at most once a minute so a busy API client does not turn reads into writes.
    if record.last_used_at is None or (now - record.last_used_at).total_seconds() > 60:
        record.last_used_at = now
    return user


async def revoke_token(session: AsyncSession, token_id: int) -> None:
    record = await session.get(ApiToken, token_id)
    if record is None:
        raise NotFound(token_id)
    record.revoked_at = record.revoked_at or utcnow()


# Browser sessions ------------------------------------------------------------------------

SESSION_TOUCH_INTERVAL = 60  # seconds between last_seen_at writes


async def start_session(
    session: AsyncSession, user: User, *, max_age: timedelta, replacing: str | None = None
) -> str:
    """A new session for ``user``; the cookie value is returned, its hash stored.

    A fresh id at every sign-in (and the old one dropped) defeats session fixation.
    """
    if replacing:
        await end_session(session, replacing)
    assert user.id is not None
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        UserSession(
            id=token_digest(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + max_age,
        )
    )
    user.last_login_at = now
    await session.flush()
    return token


async def session_user(
    session: AsyncSession, token: str, *, idle: timedelta
) -> tuple[User, UserSession] | None:
    """The active user of a live session, or None when expired, idle too long or unknown."""
    if not token or len(token) > 200:
        return None
    row = (
        await session.execute(
            select(UserSession, User)
            .join(User, col(User.id) == col(UserSession.user_id))
            .where(col(UserSession.id) == token_digest(token))
        )
    ).first()
    if row is None:
        return None
    record, user = row
    now = utcnow()
    if record.expires_at <= now or record.last_seen_at + idle <= now or not user.is_active:
        await session.delete(record)
        return None
    if (now - record.last_seen_at).total_seconds() > SESSION_TOUCH_INTERVAL:
        record.last_seen_at = now
    return user, record


async def end_session(session: AsyncSession, token: str) -> None:
    await session.execute(delete(UserSession).where(col(UserSession.id) == token_digest(token)))


async def end_all_sessions(session: AsyncSession, user_id: int) -> None:
    await session.execute(delete(UserSession).where(col(UserSession.user_id) == user_id))


# Sign-in with throttling -----------------------------------------------------------------


class LoginRefused(Exception):
    """Sign-in failed; ``locked_for`` is set when the account or address is locked."""

    def __init__(self, locked_for: timedelta | None = None) -> None:
        super().__init__("locked" if locked_for else "invalid")
        self.locked_for = locked_for


@functools.cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    """A hash at ``hasher``'s cost of a password nobody knows: an unknown or disabled
    account is verified against it, so its sign-in takes as long as a real one's. Made on
    first use (~0.13 s of CPU at the production cost), not at import, so the CLI, workers
    and every other process that signs nobody in do not pay for it; the web app makes it
    at start-up (:func:`prepare_sign_in`), so not even the first sign-in is slower."""
    return hasher.hash(secrets.token_urlsafe(24))


def prepare_sign_in() -> None:
    _dummy_hash(_hasher)


WINDOW = timedelta(hours=1)


async def _reserve_attempt(
    session: AsyncSession, key: str, *, limit: int, lockout: timedelta, now: datetime
) -> timedelta | None:
    """Count one attempt for ``key`` in a single atomic upsert; the lock left, if refused.

    ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` on SQLite and PostgreSQL alike: thirty
    sign-ins at once each get their own number, so exactly ``limit`` of them may try a
    password before the rest are locked out (a read-then-write let a burst past the limit
    and raced on the primary key). The attempt counts until a right password clears it.
    """
    table = LoginThrottle.__table__  # type: ignore[attr-defined]
    c = table.c

    def when(value: datetime) -> Any:
        return literal(value, type_=UTCDateTime())

    locked = and_(c.locked_until.is_not(None), c.locked_until > now)
    lock_expired = and_(c.locked_until.is_not(None), c.locked_until <= now)
    window_over = c.window_started_at < now - WINDOW
    failures = case(
        (locked, c.failures + 1),
        (window_over, 1),
        # After a lock runs out one more try is allowed before it closes again.
        (lock_expired, limit),
        else_=c.failures + 1,
    )
    statement = (
        upsert_into(session, table)
        .values(key=key, failures=1, window_started_at=now, locked_until=None)
        .on_conflict_do_update(
            index_elements=[c.key],
            set_={
                "failures": failures,
                "window_started_at": case(
                    (and_(window_over, not_(locked)), when(now)), else_=c.window_started_at
                ),
                "locked_until": case(
                    (locked, c.locked_until),
                    (and_(not_(window_over), failures >= limit), when(now + lockout)),
                    (lock_expired, None),
                    else_=None,
                ),
            },
        )
        .returning(c.failures, c.locked_until)
    )
    count, locked_until = (await session.execute(statement)).one()
    if count >= limit and locked_until is None:
        # The first attempt of a window that reaches the limit (limit 1) locks too.
        locked_until = now + lockout
        await session.execute(update(table).where(c.key == key).values(locked_until=locked_until))
    if count > limit:
        until = locked_until if locked_until is not None else now + lockout
        if until.tzinfo is None:
            until = until.replace(tzinfo=UTC)
        return max(until - now, timedelta(seconds=1))
    return None


async def login(
    session: AsyncSession,
    email: str,
    password: str,
    *,
    address: str,
    max_failures: int,
    lockout: timedelta,
    now: datetime | None = None,
) -> User:
    """The user if ``password`` is right; LoginRefused otherwise, with the same message
    for unknown accounts and wrong passwords. Failures are counted per account and per
    client address; the caller delays its answer by ``failure_delay``.

    The attempt is counted *before* the password is checked and committed at once, so
    concurrent sign-ins see each other's attempts (and the slow hash holds no lock).
    """
    account_key = "account:" + email.strip().lower()[:254]
    address_key = "address:" + address[:64]
    # ``now`` is for tests: a lock-out's expiry without waiting for it.
    now = now or utcnow()
    locked = [
        await _reserve_attempt(session, key, limit=limit, lockout=lockout, now=now)
        for key, limit in ((account_key, max_failures), (address_key, max_failures * 4))
    ]
    await session.commit()
    refusals = [left for left in locked if left is not None]
    if refusals:
        raise LoginRefused(max(refusals))
    user = await find_user(session, email)
    if user is None or not user.is_active:
        verify_password(_dummy_hash(_hasher), password)  # same work, so timing tells nothing
        valid = False
    else:
        valid = verify_password(user.password_hash, password)
    if valid and user is not None:
        await session.execute(
            delete(LoginThrottle).where(col(LoginThrottle.key).in_([account_key, address_key]))
        )
        await session.flush()
        return user
    raise LoginRefused()


def failure_delay(failures: int) -> float:
    """Seconds to wait before answering a failed sign-in (grows, capped)."""
    return float(min(0.2 * 2 ** max(0, failures - 1), 3.0))


async def failures_of(session: AsyncSession, email: str) -> int:
    record = await session.get(LoginThrottle, "account:" + email.strip().lower()[:254])
    return record.failures if record else 0


# Accounts -------------------------------------------------------------------------------


async def list_users(session: AsyncSession) -> list[User]:
    return list((await session.execute(select(User).order_by(col(User.email)))).scalars())


async def set_password(session: AsyncSession, email: str, password: str) -> User:
    user = await find_user(session, email)
    if user is None:
        raise NotFound(email)
    check_password(password)
    user.password_hash = hash_password(password)
    assert user.id is not None
    await end_all_sessions(session, user.id)
    return user


async def set_active(session: AsyncSession, email: str, active: bool) -> User:
    """Enable or disable an account; disabling ends its sessions and tokens at once."""
    user = await find_user(session, email)
    if user is None:
        raise NotFound(email)
    user.is_active = active
    assert user.id is not None
    if not active:
        await end_all_sessions(session, user.id)
    return user


async def tokens_of(session: AsyncSession, user_id: int | None = None) -> list[ApiToken]:
    stmt = select(ApiToken).order_by(col(ApiToken.created_at).desc())
    if user_id is not None:
        stmt = stmt.where(col(ApiToken.user_id) == user_id)
    return list((await session.execute(stmt)).scalars())
