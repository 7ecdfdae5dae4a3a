"""One-time account links: invitations, password resets and the first-run setup.

Each link carries a random token; only its SHA-256 is stored, and a token works once.
An invitation lasts 72 hours, a reset one hour, a setup address a day (a new one is
logged at every start while no account exists).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from linkdir.auth.models import AccountToken, LoginThrottle, Role, User
from linkdir.auth.service import (
    check_password,
    create_user,
    end_all_sessions,
    find_user,
    hash_password,
    normalise_email,
    token_digest,
    verify_password,
)
from linkdir.db import utcnow
from linkdir.errors import N_, Conflict, FieldError, ValidationFailed

INVITE_VALID = timedelta(hours=72)
RESET_VALID = timedelta(hours=1)
SETUP_VALID = timedelta(hours=24)
# Reset mails: at most this many an hour to one account, and from one client address.
RESETS_PER_ACCOUNT = 3
RESETS_PER_ADDRESS = 10
RESET_WINDOW = timedelta(hours=1)

INVITE, RESET, SETUP = "invite", "reset", "setup"


def _new_token() -> str:
    return secrets.token_urlsafe(32)


async def _issue(session: AsyncSession, purpose: str, valid: timedelta, **values: object) -> str:
    token = _new_token()
    now = utcnow()
    session.add(
        AccountToken(
            purpose=purpose,
            token_hash=token_digest(token),
            created_at=now,
            expires_at=now + valid,
            **values,  # type: ignore[arg-type]
        )
    )
    await session.flush()
    return token


async def live_token(session: AsyncSession, purpose: str, token: str) -> AccountToken | None:
    """The unused, unexpired record of ``token`` for ``purpose``, or None."""
    if not token or len(token) > 200:
        return None
    record = (
        await session.execute(
            select(AccountToken).where(
                col(AccountToken.token_hash) == token_digest(token),
                col(AccountToken.purpose) == purpose,
            )
        )
    ).scalar_one_or_none()
    if record is None or record.used_at is not None or record.expires_at <= utcnow():
        return None
    return record


async def _use(session: AsyncSession, record: AccountToken) -> None:
    # A conditional update: two submits of one link cannot both succeed.
    result = await session.execute(
        update(AccountToken)
        .where(col(AccountToken.id) == record.id, col(AccountToken.used_at).is_(None))
        .values(used_at=utcnow())
    )
    if not getattr(result, "rowcount", 0):
        raise ValidationFailed([FieldError("token", N_("This link has already been used."))])


# Invitations -----------------------------------------------------------------------------


async def invite(session: AsyncSession, email: str, role: str, *, by: User) -> str:
    """An invitation for ``email`` (earlier open ones for it stop working); the token."""
    email = normalise_email(email)
    if role not in {r.value for r in Role}:
        raise ValidationFailed([FieldError("role", N_("Choose admin or editor."))])
    if await find_user(session, email):
        raise Conflict(FieldError("email", N_("An account with this e-mail address exists.")))
    await session.execute(
        update(AccountToken)
        .where(
            col(AccountToken.purpose) == INVITE,
            col(AccountToken.email) == email,
            col(AccountToken.used_at).is_(None),
        )
        .values(used_at=utcnow())
    )
    return await _issue(session, INVITE, INVITE_VALID, email=email, role=role, created_by=by.id)


async def accept_invitation(session: AsyncSession, token: str, password: str) -> User:
    """The invitee's new account, with the password they chose."""
    record = await live_token(session, INVITE, token)
    if record is None:
        raise ValidationFailed([FieldError("token", N_("This link is not valid any more."))])
    check_password(password)
    await _use(session, record)
    return await create_user(session, record.email, password, record.role)


# Forgotten passwords ---------------------------------------------------------------------


async def _count_request(session: AsyncSession, key: str, limit: int) -> bool:
    """Count one request under ``key``; False once ``limit`` were made within the window."""
    now = utcnow()
    record = await session.get(LoginThrottle, key)
    if record is None:
        record = LoginThrottle(key=key, failures=0, window_started_at=now)
        session.add(record)
    elif record.window_started_at + RESET_WINDOW < now:
        record.failures = 0
        record.window_started_at = now
    record.failures += 1
    await session.flush()
    return record.failures <= limit


async def request_reset(
    session: AsyncSession, email: str, *, address: str
) -> tuple[User, str] | None:
    """A reset token for the account of ``email``, or None (unknown, disabled, too many).

    The caller answers the same either way, so the answer tells nobody who has an account.
    """
    email = email.strip().lower()[:254]
    by_address = await _count_request(session, "reset-address:" + address[:64], RESETS_PER_ADDRESS)
    by_account = await _count_request(session, "reset:" + email, RESETS_PER_ACCOUNT)
    user = await find_user(session, email)
    if user is None or not user.is_active or not (by_address and by_account):
        return None
    return user, await _issue(session, RESET, RESET_VALID, email=user.email, user_id=user.id)


async def reset_password(session: AsyncSession, token: str, password: str) -> User:
    """Set the password a reset link was for; every session of the account ends."""
    record = await live_token(session, RESET, token)
    user = await session.get(User, record.user_id) if record and record.user_id else None
    if record is None or user is None or not user.is_active:
        raise ValidationFailed([FieldError("token", N_("This link is not valid any more."))])
    check_password(password)
    await _use(session, record)
    user.password_hash = hash_password(password)
    assert user.id is not None
    await end_all_sessions(session, user.id)
    return user


# First run -------------------------------------------------------------------------------


async def has_accounts(session: AsyncSession) -> bool:
    return bool((await session.execute(select(func.count()).select_from(User))).scalar_one())


async def setup_token(session: AsyncSession) -> str | None:
    """A new one-time setup token while no account exists; None once one does."""
    if await has_accounts(session):
        return None
    return await _issue(session, SETUP, SETUP_VALID)


async def complete_setup(session: AsyncSession, token: str, email: str, password: str) -> User:
    """The first admin, made with a setup token; NotFound-like None once accounts exist."""
    record = await live_token(session, SETUP, token)
    if record is None:
        raise ValidationFailed([FieldError("token", N_("This link is not valid any more."))])
    user = await create_user(session, email, password, Role.admin.value)
    await _use(session, record)
    # Every other setup address dies with the first account.
    await session.execute(
        update(AccountToken)
        .where(col(AccountToken.purpose) == SETUP, col(AccountToken.used_at).is_(None))
        .values(used_at=utcnow())
    )
    return user


# The account page ------------------------------------------------------------------------


async def change_password(session: AsyncSession, user: User, current: str, new: str) -> None:
    """Change one's own password (the current one proves it is you)."""
    if not verify_password(user.password_hash, current):
        raise ValidationFailed(
            [FieldError("current_password", N_("The current password is wrong."))]
        )
    check_password(new)
    user.password_hash = hash_password(new)


async def change_email(session: AsyncSession, user: User, email: str, current: str) -> None:
    """Change one's own e-mail address (sign-in name and where mail goes)."""
    if not verify_password(user.password_hash, current):
        raise ValidationFailed(
            [FieldError("current_password", N_("The current password is wrong."))]
        )
    email = normalise_email(email)
    found = await find_user(session, email)
    if found is not None and found.id != user.id:
        raise Conflict(FieldError("email", N_("An account with this e-mail address exists.")))
    user.email = email
