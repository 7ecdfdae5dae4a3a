"""Feed secrets: per-user, read-only, revocable keys for the private link-problems feed.

Not API tokens (those can write): a feed address travels through feed readers, browser
histories and proxy logs, so what it carries opens that one feed and nothing else.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from linkdir.auth.models import User
from linkdir.auth.service import find_user, token_digest
from linkdir.config import Settings
from linkdir.db import utcnow
from linkdir.errors import NotFound
from linkdir.feeds.models import FeedSecret

FEED_SECRET_PREFIX = "ldf_"


def secret_digest(secret: str) -> str:
    """Feed secrets are hashed like API tokens (SHA-256 of a high-entropy secret)."""
    return token_digest(secret)


async def create_feed_secret(session: AsyncSession, email: str) -> str:
    """A new feed secret for the account ``email``; the previous ones stop working."""
    user = await find_user(session, email)
    if user is None or not user.is_active or user.id is None:
        raise NotFound(email)
    await revoke_feed_secrets(session, user.id)
    secret = FEED_SECRET_PREFIX + secrets.token_urlsafe(32)
    session.add(FeedSecret(user_id=user.id, secret_hash=secret_digest(secret)))
    await session.flush()
    return secret


async def revoke_feed_secrets(session: AsyncSession, user_id: int) -> None:
    await session.execute(
        update(FeedSecret)
        .where(col(FeedSecret.user_id) == user_id, col(FeedSecret.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )


async def user_for_feed_secret(session: AsyncSession, secret: str) -> User | None:
    """The active account a live feed secret belongs to, or None."""
    if not secret.startswith(FEED_SECRET_PREFIX) or len(secret) > 200:
        return None
    row = (
        await session.execute(
            select(FeedSecret, User)
            .join(User, col(User.id) == col(FeedSecret.user_id))
            .where(col(FeedSecret.secret_hash) == secret_digest(secret))
        )
    ).first()
    if row is None:
        return None
    record, user = row
    if record.revoked_at is not None or not user.is_active:
        return None
    now = utcnow()
    # Feed readers poll often; note the use at most once an hour.
    if record.last_used_at is None or (now - record.last_used_at).total_seconds() > 3600:
        record.last_used_at = now
        await session.commit()
    return user


def link_problems_url(settings: Settings, secret: str) -> str:
    return f"{settings.base_url.rstrip('/')}/feeds/link-problems.atom?token={secret}"
