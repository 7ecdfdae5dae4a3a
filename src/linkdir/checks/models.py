"""Link-check history, check runs and silenced false alarms (DESIGN §2, §5)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Date, ForeignKey, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

from linkdir.db import UTCDateTime, utcnow


class CheckResult(SQLModel, table=True):
    """One check of one resource, as the engine saw it (bounded per resource)."""

    __tablename__ = "check_result"
    # The history of one resource, newest first, reads this index in order.
    __table_args__ = (
        Index("ix_check_result_resource_checked", "resource_id", "checked_at"),
        # A run's progress and counts are read from its results.
        Index("ix_check_result_run", "run_id"),
        # The report's checks-per-day chart counts ranges of this index (bench/monitoring).
        Index("ix_check_result_verdict_checked", "verdict", "checked_at"),
    )

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
    run_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("check_run.id", ondelete="SET NULL"), nullable=True),
    )


class CheckRun(SQLModel, table=True):
    """One cycle of checks: scheduled (one dispatch), `linkdir check`, or started by a curator.

    Scopes: ``scheduled`` (a dispatch of the schedule), ``due`` and ``all`` (a cycle run in
    the foreground or from the API). ``done`` counts claimed links that were checked or
    found already handled; a run whose ``claimed_until`` passed before it was done was
    cut short (a worker died) and its links were dispatched again.
    """

    __tablename__ = "check_run"

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(default="due", sa_column=Column(String(12), nullable=False))
    worker: str = Field(default="", sa_column=Column(String(200), nullable=False, default=""))
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
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


class LinkHealthDay(SQLModel, table=True):
    """How many links had each status on one day (the report's chart of health over time).

    Written by every dispatch and check run (the day's row is overwritten), so the chart
    needs no scan of the history and survives its pruning.
    """

    __tablename__ = "link_health_day"

    day: date = Field(sa_column=Column(Date, primary_key=True))
    status: str = Field(sa_column=Column(String(12), primary_key=True))
    count: int = Field(default=0)


class CheckRunSkip(SQLModel, table=True):
    """A claimed link a run's job found already checked elsewhere (counted once as done)."""

    __tablename__ = "check_run_skip"

    run_id: int = Field(
        sa_column=Column(Integer, ForeignKey("check_run.id", ondelete="CASCADE"), primary_key=True)
    )
    resource_id: int = Field(sa_column=Column(Integer, primary_key=True))


class CheckLease(SQLModel, table=True):
    """A host whose links are being checked: no other batch for it until the lease ends.

    Taken with the claims (one dispatch, or one chunk of a foreground run) and given back
    when its batch is done; a dead worker's lease ends with its claims. So a host sees at
    most ``LINKDIR_CHECKER_PER_HOST`` connections however many workers run.
    """

    __tablename__ = "check_lease"

    host: str = Field(sa_column=Column(String(255), primary_key=True))
    until: datetime = Field(sa_type=UTCDateTime, nullable=False)
    holder: str = Field(default="", sa_column=Column(String(200), nullable=False))


class WorkerHeartbeat(SQLModel, table=True):
    """A process that runs check jobs, and when it last said it was alive.

    Written every few seconds by each ``linkdir worker`` (and ``linkdir serve`` with its
    scheduler), removed when it stops cleanly; ``linkdir healthcheck --worker`` and
    ``/health/ready`` call a process whose beat is old hung.
    """

    __tablename__ = "worker_heartbeat"

    worker: str = Field(sa_column=Column(String(200), primary_key=True))
    role: str = Field(default="worker", sa_column=Column(String(20), nullable=False))
    started_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    beat_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    jobs: int = Field(default=0)


class VisitorReport(SQLModel, table=True):
    """A visitor's "something is wrong with this link" (never changes the status itself).

    ``address_hash`` is a keyed hash of the visitor's address, kept only to limit how
    often one address may report; the address itself is never stored. A report stays
    open until a curator acts on the resource (any fix, or "close the reports").
    """

    __tablename__ = "visitor_report"
    __table_args__ = (
        # The "Reported by visitors" tab and its count read the open reports of resources.
        Index("ix_visitor_report_open", "closed_at", "resource_id"),
        # The rate limit counts one address's recent reports.
        Index("ix_visitor_report_address", "address_hash", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    resource_id: int = Field(
        sa_column=Column(Integer, ForeignKey("resource.id", ondelete="CASCADE"), nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    address_hash: str = Field(sa_column=Column(String(64), nullable=False))
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
