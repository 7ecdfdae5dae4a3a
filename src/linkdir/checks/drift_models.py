"""Reference rot: content baselines of resources and suggested new homes (issue 14)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Float, ForeignKey, Index, Integer, String
from sqlmodel import Field, SQLModel

from linkdir.db import UTCDateTime, utcnow


def _fingerprint() -> Any:
    # SQL NULL, not JSON null, for "no fingerprint": "IS NOT NULL" then means one is there.
    return Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))


class ContentBaseline(SQLModel, table=True):
    """What a resource's page was about when a curator chose it, and how it compares now.

    Fingerprints are :meth:`linkdir.checker.fingerprint.Fingerprint.to_json` dicts.
    ``recent`` is the last page judged to be the resource when it differs from the
    baseline (gradual edits are carried by it; NULL while the page is unchanged);
    ``replacing`` the page shown while it is judged replaced, which "accept the new
    content" makes the baseline.
    """

    __tablename__ = "content_baseline"

    resource_id: int = Field(
        sa_column=Column(Integer, ForeignKey("resource.id", ondelete="CASCADE"), primary_key=True)
    )
    url: str = Field(sa_column=Column(String(2048), nullable=False))
    baseline: dict[str, Any] | None = _fingerprint()
    recent: dict[str, Any] | None = _fingerprint()
    replacing: dict[str, Any] | None = _fingerprint()
    similarity: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    # The resource's updated_at the baseline belongs to: a later curation re-baselines.
    curated_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    baseline_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    suggested_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class LinkSuggestion(SQLModel, table=True):
    """A possible new home of a broken or replaced link, with where it was found."""

    __tablename__ = "link_suggestion"
    __table_args__ = (Index("ix_link_suggestion_resource_url", "resource_id", "url", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    resource_id: int = Field(
        sa_column=Column(Integer, ForeignKey("resource.id", ondelete="CASCADE"), nullable=False)
    )
    url: str = Field(sa_column=Column(String(2048), nullable=False))
    # sitemap | site | identifier | archive
    source: str = Field(sa_column=Column(String(12), nullable=False))
    score: float = Field(default=0.0, sa_column=Column(Float, nullable=False))
    found_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
