"""Link-check history, check runs and silenced false alarms (DESIGN §2, §5)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String
from sqlmodel import Field, SQLModel

from linkdir.db import UTCDateTime, utcnow


class CheckResult(SQLModel, table=True):
    """One check of one resource, as the engine saw it (bounded per resource)."""

    __tablename__ = "check_result"
    # The history of one resource, newest first, reads this index in order.
    __table_args__ = (Index("ix_check_result_resource_checked", "resource_id", "checked_at"),)

    id: int | None = Field(default=None, primary_key=True)
    resource_id: int = Field(
        sa_column=Column(Integer, ForeignKey("resource.id", ondelete="CASCADE"), nullable=False)
    )
    checked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    verdict: str = Field(sa_column=Column(String(12), nullable=False))
    http_status: int | None = Field(default=None)
    reason: str | None = Field(default=None, sa_column=Column(String(64)))
    final_url: str | None = Field(default=None, sa_column=Column(String(2048)))
    redirects: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    elapsed_ms: int = Field(default=0)
    worker: str = Field(default="", sa_column=Column(String(200), nullable=False, default=""))


class CheckRun(SQLModel, table=True):
    """One cycle of checks (scheduled, `linkdir check` or the report's button)."""

    __tablename__ = "check_run"

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(default="due", sa_column=Column(String(12), nullable=False))
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    counts: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    total: int = Field(default=0)
    done: int = Field(default=0)


class CheckSilence(SQLModel, table=True):
    """A false alarm a curator dismissed (``mark_ok``): quiet until the answer changes."""

    __tablename__ = "check_silence"

    resource_id: int = Field(
        sa_column=Column(Integer, ForeignKey("resource.id", ondelete="CASCADE"), primary_key=True)
    )
    verdict: str = Field(sa_column=Column(String(12), nullable=False))
    http_status: int | None = Field(default=None)
    reason: str | None = Field(default=None, sa_column=Column(String(64)))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
