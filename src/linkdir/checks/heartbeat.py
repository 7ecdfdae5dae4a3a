"""Worker heartbeats: each process running check jobs says it is alive, in the database."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from linkdir.checks.models import WorkerHeartbeat
from linkdir.db import upsert_into

BEAT_EVERY = timedelta(seconds=10)
# Three missed beats (and some slack for a busy database): the process is hung or gone.
STALE_AFTER = timedelta(seconds=45)
# A killed worker's row is shown stale this long (metrics, healthcheck), then removed.
FORGET_AFTER = timedelta(days=1)


async def beat(session: AsyncSession, worker: str, *, role: str, now: datetime, jobs: int) -> None:
    """Record that ``worker`` is alive at ``now``, running ``jobs`` jobs."""
    statement = upsert_into(session, WorkerHeartbeat).values(
        worker=worker[:200], role=role, started_at=now, beat_at=now, jobs=jobs
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[col(WorkerHeartbeat.worker)],
            set_={"beat_at": statement.excluded.beat_at, "jobs": statement.excluded.jobs},
        )
    )
    await session.execute(
        delete(WorkerHeartbeat).where(col(WorkerHeartbeat.beat_at) < now - FORGET_AFTER)
    )


async def forget(session: AsyncSession, worker: str) -> None:
    """Remove ``worker``'s heartbeat (it stopped cleanly: not a hung worker)."""
    await session.execute(
        delete(WorkerHeartbeat).where(col(WorkerHeartbeat.worker) == worker[:200])
    )


async def heartbeats(session: AsyncSession, *, prefix: str = "") -> list[WorkerHeartbeat]:
    """Heartbeats of workers whose name starts with ``prefix`` (``host:`` for one machine)."""
    statement = select(WorkerHeartbeat).order_by(col(WorkerHeartbeat.worker))
    if prefix:
        statement = statement.where(col(WorkerHeartbeat.worker).startswith(prefix))
    return list((await session.execute(statement)).scalars())


def is_fresh(heartbeat: WorkerHeartbeat, *, now: datetime) -> bool:
    """Whether the beat is recent enough for a live worker."""
    return now - heartbeat.beat_at <= STALE_AFTER
