"""The outbox, digest settings per curator and the record of each digest period sent."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from linkdir.db import UTCDateTime, utcnow


class Frequency(StrEnum):
    daily = "daily"
    weekly = "weekly"
    never = "never"


class OutboxMail(SQLModel, table=True):
    """A mail waiting to go out (or gone): written by any process, sent by the scheduler."""

    __tablename__ = "mail_outbox"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_column=Column(String(20), nullable=False))
    recipient: str = Field(sa_column=Column(String(254), nullable=False))
    subject: str = Field(sa_column=Column(String(300), nullable=False))
    message: str = Field(sa_column=Column(Text, nullable=False))  # the whole RFC 5322 message
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    next_attempt_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True
    )
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = Field(default=0)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    last_error: str | None = Field(default=None, sa_column=Column(String(500)))


class DigestSettings(SQLModel, table=True):
    """How a curator wants to be told: how often, about which topics, in which language."""

    __tablename__ = "digest_settings"

    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
        )
    )
    frequency: str = Field(
        default=Frequency.weekly.value, sa_column=Column(String(10), nullable=False)
    )
    # Topic slugs the curator looks after; empty: the whole directory.
    topics: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    language: str = Field(default="sv", sa_column=Column(String(5), nullable=False))
    # Changes up to this moment have been told (or there were none to tell).
    covered_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DigestPeriod(SQLModel, table=True):
    """One curator's digest of one period: the unique key is the claim between workers."""

    __tablename__ = "digest_period"
    __table_args__ = (UniqueConstraint("user_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False)
    )
    period: str = Field(sa_column=Column(String(16), nullable=False))  # 2026-12-01, 2026-W49
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    mail_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("mail_outbox.id", ondelete="SET NULL")),
    )
    counts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
