"""Feed secrets: per-user, read-only, revocable keys for the private maintainer feed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel

from linkdir.db import UTCDateTime, utcnow


class FeedSecret(SQLModel, table=True):
    """A secret that opens ``/feeds/link-problems.atom`` for one user and nothing else.

    Not an API token: feed URLs end up in feed readers, browser histories and proxy logs,
    so the secret can only read one feed. Only its SHA-256 is stored.
    """

    __tablename__ = "feed_secret"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    secret_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
