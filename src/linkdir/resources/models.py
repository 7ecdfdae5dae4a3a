"""Directory entries, topics, tags and revisions."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Text, event
from sqlmodel import Field, SQLModel

from linkdir.db import UTCDateTime, utcnow
from linkdir.urls import host_of


class ResourceState(StrEnum):
    draft = "draft"
    published = "published"
    retired = "retired"


class ResourceType(StrEnum):
    report = "report"
    course = "course"
    guide = "guide"
    tool = "tool"
    organisation = "organisation"
    network = "network"
    project = "project"
    other = "other"


class LinkStatus(StrEnum):
    unchecked = "unchecked"
    ok = "ok"
    moved = "moved"
    broken = "broken"
    unverified = "unverified"


LANGUAGES = ("sv", "en", "fi", "se", "no", "da", "de", "fr", "es", "ar", "so", "other")


def _ts(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


class ResourceTopic(SQLModel, table=True):
    __tablename__ = "resource_topic"
    # Covering: a topic page reads resource ids without touching the table.
    __table_args__ = (Index("ix_resource_topic_topic_id", "topic_id", "resource_id"),)

    resource_id: int = Field(
        sa_column=Column(Integer, ForeignKey("resource.id", ondelete="CASCADE"), primary_key=True)
    )
    topic_id: int = Field(
        sa_column=Column(Integer, ForeignKey("topic.id", ondelete="CASCADE"), primary_key=True)
    )
    # Curators pin a few resources to the top of a topic, 1 first (issue 16); None: unpinned.
    pin_position: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))


class ResourceTag(SQLModel, table=True):
    __tablename__ = "resource_tag"
    __table_args__ = (Index("ix_resource_tag_tag_id", "tag_id", "resource_id"),)

    resource_id: int = Field(
        sa_column=Column(Integer, ForeignKey("resource.id", ondelete="CASCADE"), primary_key=True)
    )
    tag_id: int = Field(
        sa_column=Column(Integer, ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True)
    )


class Topic(SQLModel, table=True):
    __tablename__ = "topic"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(sa_column=Column(String(80), unique=True, nullable=False))
    name_sv: str = Field(sa_column=Column(String(120), nullable=False))
    name_en: str = Field(sa_column=Column(String(120), nullable=False))
    description_sv: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    description_en: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_sv

    def description(self, locale: str) -> str:
        return self.description_en if locale == "en" else self.description_sv


class Tag(SQLModel, table=True):
    __tablename__ = "tag"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(sa_column=Column(String(80), unique=True, nullable=False))


class TagAlias(SQLModel, table=True):
    """An earlier slug of a tag (renamed or merged away): its addresses redirect for ever."""

    __tablename__ = "tag_alias"

    slug: str = Field(sa_column=Column(String(80), primary_key=True))
    tag_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("tag.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def _stored_host(url: str | None) -> str:
    """What ``Resource.host`` holds for ``url``."""
    return host_of(url or "")[:255]


def _host_default(context: Any) -> str:
    """``host`` for bulk inserts that give only the URL."""
    return _stored_host(context.get_current_parameters().get("url"))


class Resource(SQLModel, table=True):
    __tablename__ = "resource"
    __table_args__ = (
        # Newest-first listings of published resources read this index in order.
        Index("ix_resource_state_published_at", "state", "published_at", "id"),
        Index("ix_resource_next_check_at", "next_check_at"),
        # The link report counts each tab in a range of one of these (bench/monitoring).
        Index("ix_resource_link_status_state", "link_status", "state"),
        Index("ix_resource_review_by_state", "review_by", "state"),
        Index("ix_resource_modified_on_state", "modified_on", "state"),
        # The Suspect tab and its count: the few links with failing checks (issue 13).
        Index("ix_resource_failures_state", "consecutive_failures", "state", "link_status"),
        # The report's host filter, and the dispatch's one-batch-per-host rule.
        Index("ix_resource_host", "host"),
    )

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(sa_column=Column(String(2048), unique=True, nullable=False))
    # The URL's host name, kept from ``url`` on every write (see below); never set by hand.
    host: str = Field(
        default="",
        sa_column=Column(String(255), nullable=False, default=_host_default, server_default=""),
    )
    title: str = Field(sa_column=Column(String(300), nullable=False))
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    language: str = Field(default="sv", sa_column=Column(String(8), nullable=False))
    resource_type: str = Field(
        default=ResourceType.other.value, sa_column=Column(String(20), nullable=False)
    )
    publisher: str = Field(default="", sa_column=Column(String(200), nullable=False))
    state: str = Field(
        default=ResourceState.draft.value, sa_column=Column(String(12), nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    published_at: datetime | None = _ts()
    review_by: date | None = Field(default=None)

    # Link health, written by the checker (DESIGN §2-3).
    link_status: str = Field(
        default=LinkStatus.unchecked.value,
        sa_column=Column(String(12), nullable=False),
    )
    status_since: datetime | None = _ts()
    last_checked_at: datetime | None = _ts()
    next_check_at: datetime | None = _ts()
    consecutive_failures: int = Field(default=0)
    http_status: int | None = Field(default=None)
    final_url: str | None = Field(default=None, sa_column=Column(String(2048)))
    moved_to: str | None = Field(default=None, sa_column=Column(String(2048)))
    reason: str | None = Field(default=None, sa_column=Column(String(64)))
    etag: str | None = Field(default=None, sa_column=Column(String(512)))
    last_modified: str | None = Field(default=None, sa_column=Column(String(128)))
    content_hash: str | None = Field(default=None, sa_column=Column(String(64)))
    content_changed_at: datetime | None = _ts()
    modified_on: date | None = Field(default=None)
    archive_url: str | None = Field(default=None, sa_column=Column(String(2048)))

    # Stemmed words for full-text search, kept up to date by the service layer.
    search_title: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    search_body: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


@event.listens_for(Resource, "before_insert")
@event.listens_for(Resource, "before_update")
def _keep_host(_mapper: Any, _connection: Any, target: Resource) -> None:
    target.host = _stored_host(target.url)


class Revision(SQLModel, table=True):
    """One change to a resource: who, when, which fields, old and new values."""

    __tablename__ = "revision"

    id: int | None = Field(default=None, primary_key=True)
    # Revisions outlive a deleted resource: the audit trail keeps its url and title.
    resource_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("resource.id", ondelete="SET NULL"), index=True),
    )
    user_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("user_account.id", ondelete="SET NULL"), index=True),
    )
    actor: str = Field(sa_column=Column(String(254), nullable=False))
    action: str = Field(sa_column=Column(String(32), nullable=False))
    resource_url: str = Field(sa_column=Column(String(2048), nullable=False))
    resource_title: str = Field(sa_column=Column(String(300), nullable=False))
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True
    )
    # The change batch this revision was written in (a bulk edit, a retire): what undo undoes.
    batch: str | None = Field(
        default=None,
        sa_column=Column(
            String(32), ForeignKey("change_batch.id", ondelete="SET NULL"), index=True
        ),
    )


class ChangeBatch(SQLModel, table=True):
    """Revisions written together by one action, undoable until ``expires_at`` (issue 16)."""

    __tablename__ = "change_batch"

    id: str = Field(sa_column=Column(String(32), primary_key=True))
    user_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("user_account.id", ondelete="SET NULL"), index=True),
    )
    actor: str = Field(sa_column=Column(String(254), nullable=False))
    action: str = Field(sa_column=Column(String(32), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    undone_at: datetime | None = _ts()
