"""Link checks of import previews, shared by every web process (issue 16).

A :class:`PreviewCheckJob` is one preview's checks: its curator, the addresses the preview
shows now, when it expires, and a lease (``lease_owner``/``lease_until``) naming the
process that checks its unfinished addresses. :class:`PreviewCheckVerdict` rows are the
verdicts in the order they arrived (``id``), which is what a poll's ``since`` counts.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, Integer, String, Text
from sqlmodel import Field, SQLModel

from linkdir.db import UTCDateTime


class PreviewCheckJob(SQLModel, table=True):
    __tablename__ = "preview_check_job"

    token: str = Field(sa_column=Column(String(64), primary_key=True))
    owner_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    urls: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Raised whenever ``urls`` changes: a lease is given back only if nothing was added.
    revision: int = Field(default=0, nullable=False)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    lease_owner: str | None = Field(default=None, sa_column=Column(String(200)))
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PreviewCheckVerdict(SQLModel, table=True):
    __tablename__ = "preview_check_verdict"

    id: int | None = Field(default=None, primary_key=True)
    job_token: str = Field(
        sa_column=Column(
            String(64),
            ForeignKey("preview_check_job.token", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    url: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(sa_column=Column(String(12), nullable=False))
    reason: str = Field(sa_column=Column(String(64), nullable=False))
    http_status: int | None = Field(default=None)
    final_url: str | None = Field(default=None, sa_column=Column(Text))
    checked_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
