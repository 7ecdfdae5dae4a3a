"""Check cycles: claim due resources, check them with the engine, record the results.

Called by ``linkdir check`` in the foreground and, later, by the scheduler's jobs; the
rules live in :mod:`linkdir.checks.service`, the HTTP in :mod:`linkdir.checks.engine`.
"""

from __future__ import annotations

import os
import socket
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from linkdir.checks import service
from linkdir.checks.engine import Checker, EngineConfig
from linkdir.checks.models import CheckRun
from linkdir.config import Settings
from linkdir.db import metadata, utcnow
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
