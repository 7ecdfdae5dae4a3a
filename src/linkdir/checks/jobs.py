"""Check cycles: claim due resources, check them with the engine, record the results.

Called by ``linkdir check`` in the foreground and, later, by the scheduler's jobs; the
rules live in :mod:`linkdir.checks.service`, the HTTP in :mod:`linkdir.checks.engine`.
"""

from __future__ import annotations

import os
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlmodel import col

from linkdir.checks import service
from linkdir.checks.engine import Checker, EngineConfig
from linkdir.checks.models import CheckRun
from linkdir.config import Settings
from linkdir.db import metadata, session_factory, utcnow
from linkdir.resources.models import Resource, ResourceState

VERDICTS = ("ok", "moved", "broken", "unverified")
CLAIM_BATCH = 200

Progress = Callable[[int, int], None]


def worker_name() -> str:
    """Host and process id: names the worker in each check result."""
    return f"{socket.gethostname()}:{os.getpid()}"


def claim_time(settings: Settings, batch: int) -> timedelta:
    """How long a claim lasts: long enough for the batch, short enough to recover soon."""
    per_host_rounds = max(1, batch // max(1, settings.checker_per_host))
    return timedelta(seconds=max(300.0, settings.checker_timeout * per_host_rounds))


async def _count_checkable(session: AsyncSession) -> int:
    statement = (
        select(func.count())
        .select_from(Resource)
        .where(col(Resource.state) != ResourceState.retired.value)
    )
    return int((await session.execute(statement)).scalar_one())


async def run_cycle(
    factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    everything: bool = False,
    progress: Progress | None = None,
    engine_config: EngineConfig | None = None,
    worker: str | None = None,
    batch: int = CLAIM_BATCH,
) -> CheckRun:
    """Check every due resource (or every resource) once; returns the finished CheckRun."""
    metadata()  # every domain's tables mapped: revisions point at user accounts
    worker = worker or worker_name()
    config = engine_config or EngineConfig.from_settings(settings)
    started = utcnow()
    async with factory() as session:
        if everything:
            await session.execute(
                update(Resource)
                .where(col(Resource.state) != ResourceState.retired.value)
                .values(next_check_at=started)
                .execution_options(synchronize_session=False)
            )
            total = await _count_checkable(session)
        else:
            total = await service.count_due(session, now=started)
        run = CheckRun(scope="all" if everything else "due", started_at=started, total=total)
        session.add(run)
        await session.commit()

    counts: Counter[str] = Counter({verdict: 0 for verdict in VERDICTS})
    done = 0
    if progress:
        progress(done, total)
    async with Checker(config) as checker:
        while True:
            async with factory() as session:
                batches = await service.claim_due(
                    session,
                    now=started,
                    limit=batch,
                    claim_for=claim_time(settings, batch),
                    worker=worker,
                )
                await session.commit()
            if not batches:
                break
            claimed = {c.url: c for items in batches.values() for c in items}
            async for result in checker.check_many(list(claimed)):
                item = claimed[result.url]
                async with factory() as session:
                    resource = await session.get(Resource, item.resource_id)
                    if resource is not None:
                        await service.record_check(
                            session,
                            resource,
                            result,
                            now=utcnow(),
                            settings=settings,
                            worker=worker,
                        )
                    await session.commit()
                counts[result.status] += 1
                done += 1
                if progress:
                    progress(done, max(total, done))
            async with factory() as session:
                await _save_progress(session, run, counts, done, total)

    async with factory() as session:
        return await _save_progress(session, run, counts, done, max(total, done), finished=True)


async def _save_progress(
    session: AsyncSession,
    run: CheckRun,
    counts: Counter[str],
    done: int,
    total: int,
    *,
    finished: bool = False,
) -> CheckRun:
    values: dict[str, Any] = {"counts": dict(counts), "done": done, "total": total}
    if finished:
        values["finished_at"] = utcnow()
    await session.execute(update(CheckRun).where(col(CheckRun.id) == run.id).values(**values))
    await session.commit()
    for name, value in values.items():
        setattr(run, name, value)
    return run


# Scheduling (DESIGN §5): a dispatch schedule and one check job per host batch -------------

DISPATCH_SCHEDULE = "linkdir-dispatch"
DISPATCH_BATCH = 1000
APSCHEDULER_SCHEMA = "apscheduler"


@dataclass
class Runtime:
    """What jobs need in this process; set by :func:`run_scheduler` (jobs get only ids)."""

    settings: Settings
    factory: async_sessionmaker[AsyncSession]
    engine_config: EngineConfig
    worker: str


_runtime: Runtime | None = None


def _current() -> Runtime:
    if _runtime is None:
        raise RuntimeError("check jobs run inside `linkdir worker` or `linkdir serve`")
    return _runtime


async def dispatch() -> int:
    """Claim due resources and add one check job per host; returns the jobs added."""
    from apscheduler import current_async_scheduler

    runtime = _current()
    scheduler = current_async_scheduler.get()
    assert scheduler is not None
    now = utcnow()
    claim_for = claim_time(runtime.settings, DISPATCH_BATCH)
    async with runtime.factory() as session:
        batches = await service.claim_due(
            session, now=now, limit=DISPATCH_BATCH, claim_for=claim_for, worker=runtime.worker
        )
        await session.commit()
    for items in batches.values():
        ids = [item.resource_id for item in items]
        await scheduler.add_job(check_batch, args=[ids, now + claim_for])
    return len(batches)


async def check_batch(resource_ids: list[int], claimed_until: datetime) -> dict[str, int]:
    """Check claimed resources of one host and record the results.

    ``claimed_until`` fences the claim: a resource whose ``next_check_at`` is no longer
    that moment was checked or claimed again since (a job that ran late or twice).
    """
    runtime = _current()
    urls: dict[str, int] = {}
    async with runtime.factory() as session:
        for resource_id in resource_ids:
            resource = await session.get(Resource, resource_id)
            if resource is not None and resource.next_check_at == claimed_until:
                urls[resource.url] = resource_id
    counts: Counter[str] = Counter()
    async with Checker(runtime.engine_config) as checker:
        async for result in checker.check_many(list(urls)):
            async with runtime.factory() as session:
                resource = await session.get(Resource, urls[result.url])
                if resource is not None:
                    await service.record_check(
                        session,
                        resource,
                        result,
                        now=utcnow(),
                        settings=runtime.settings,
                        worker=runtime.worker,
                    )
                await session.commit()
            counts[result.status] += 1
    return dict(counts)


async def run_scheduler(
    settings: Settings,
    db_engine: AsyncEngine,
    *,
    dispatch_every: timedelta = timedelta(minutes=1),
    engine_config: EngineConfig | None = None,
) -> None:
    """Run the dispatch schedule and check jobs until cancelled.

    PostgreSQL: APScheduler's data store (schema ``apscheduler``) is shared, so any number
    of workers split the jobs. SQLite: in memory, one process.
    """
    from apscheduler import AsyncScheduler, ConflictPolicy
    from apscheduler.datastores.memory import MemoryDataStore
    from apscheduler.datastores.sqlalchemy import SQLAlchemyDataStore
    from apscheduler.eventbrokers.local import LocalEventBroker
    from apscheduler.triggers.interval import IntervalTrigger

    global _runtime
    metadata()
    _runtime = Runtime(
        settings,
        session_factory(db_engine),
        engine_config or EngineConfig.from_settings(settings),
        worker_name(),
    )
    if settings.is_sqlite:
        scheduler = AsyncScheduler(MemoryDataStore(), LocalEventBroker())
    else:
        async with db_engine.begin() as connection:
            await connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {APSCHEDULER_SCHEMA}"))
        # APScheduler 4.0.0a6's asyncpg event broker fails under anyio >= 4.10 (its LISTEN
        # callback spawns tasks outside the event loop's task context), so workers share
        # the PostgreSQL data store and each wakes on its own events and job leases.
        scheduler = AsyncScheduler(
            SQLAlchemyDataStore(db_engine, schema=APSCHEDULER_SCHEMA), LocalEventBroker()
        )
    async with scheduler:
        await scheduler.add_schedule(
            dispatch,
            IntervalTrigger(seconds=dispatch_every.total_seconds()),
            id=DISPATCH_SCHEDULE,
            conflict_policy=ConflictPolicy.replace,
        )
        await scheduler.run_until_stopped()
