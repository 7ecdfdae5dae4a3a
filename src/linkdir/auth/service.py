"""Accounts and API tokens: Argon2id password hashes, tokens stored as SHA-256 only."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from linkdir.auth.models import ApiToken, Role, User
from linkdir.db import utcnow
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
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 254:
        raise ValidationFailed([FieldError("email", N_("Enter a valid e-mail address."))])
    return email


async def find_user(session: AsyncSession, email: str) -> User | None:
    return (
        await session.execute(select(User).where(col(User.email) == email.strip().lower()))
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
