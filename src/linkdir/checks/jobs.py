"""Check cycles: claim due resources, check them with the engine, record the results.

Called by ``linkdir check`` in the foreground and, later, by the scheduler's jobs; the
rules live in :mod:`linkdir.checks.service`, the HTTP in :mod:`linkdir.checker.engine`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlmodel import col

from linkdir.checker import Checker, EngineConfig
from linkdir.checks import runs, service
from linkdir.checks.models import CheckResult, CheckRun
from linkdir.checks.suggest import SitemapCache, suggestion_loop
from linkdir.config import Settings
from linkdir.db import metadata, session_factory, utcnow
from linkdir.resources.models import Resource, ResourceState

VERDICTS = runs.VERDICTS
CLAIM_BATCH = 200

Progress = Callable[[int, int], None]


def worker_name() -> str:
    """Host and process id: names the worker in each check result."""
    return f"{socket.gethostname()}:{os.getpid()}"


def claim_time(settings: Settings, batch: int) -> timedelta:
    """How long a claim lasts: long enough for the batch, short enough to recover soon."""
    per_host_rounds = max(1, batch // max(1, settings.checker_per_host))
    least = settings.check_claim.total_seconds()
    return timedelta(seconds=max(least, settings.checker_timeout * per_host_rounds))


async def _count_checkable(session: AsyncSession) -> int:
    statement = (
        select(func.count())
        .select_from(Resource)
        .where(col(Resource.state) != ResourceState.retired.value)
    )
    return int((await session.execute(statement)).scalar_one())


LEASE_POLL = 0.5  # seconds a foreground run waits for a host another batch is checking


async def _check_claimed(
    checker: Checker, batches: dict[str, list[service.Claimed]]
) -> AsyncIterator[tuple[service.Claimed, Any]]:
    claimed = {c.url: c for items in batches.values() for c in items}
    async for result in checker.check_many(list(claimed)):
        yield claimed[result.url], result


async def _record(
    factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    resource_id: int,
    result: Any,
    worker: str,
    run_id: int | None,
    *,
    finish_at_total: bool = True,
) -> None:
    """Record one check and count it into its run, in one transaction."""
    async with factory() as session:
        resource = await session.get(Resource, resource_id)
        if resource is not None:
            await service.record_check(
                session,
                resource,
                result,
                now=utcnow(),
                settings=settings,
                worker=worker,
                run_id=run_id,
            )
        if run_id is not None:
            await runs.count_done(
                session, run_id, checked=1, now=utcnow(), finish_at_total=finish_at_total
            )
        await session.commit()


async def run_cycle(
    factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    everything: bool = False,
    progress: Progress | None = None,
    engine_config: EngineConfig | None = None,
    worker: str | None = None,
    batch: int = CLAIM_BATCH,
    run_id: int | None = None,
) -> CheckRun:
    """Check every due resource (or every resource) once; returns the finished CheckRun.

    ``run_id`` continues a run already recorded (one started from the API).
    """
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
        if run_id is None:
            scope = "all" if everything else "due"
            run = await runs.start_run(
                session, scope=scope, total=total, now=started, worker=worker
            )
            assert run.id is not None
            run_id = run.id
        else:
            await session.execute(
                update(CheckRun)
                .where(col(CheckRun.id) == run_id)
                .values(total=total, started_at=started, worker=worker[:200])
            )
        await session.commit()

    counts: Counter[str] = Counter({verdict: 0 for verdict in VERDICTS})
    done = 0
    if progress:
        progress(done, total)
    async with Checker(config) as checker:
        while True:
            claimed_at = utcnow()
            claim_for = claim_time(settings, batch)
            async with factory() as session:
                batches = await service.claim_due(
                    session, now=claimed_at, limit=batch, claim_for=claim_for, worker=worker
                )
                waiting = not batches and await service.due_on_leased_hosts(session, now=claimed_at)
                await session.commit()
            if waiting:  # the rest is on hosts a worker is checking now: their turn comes
                await asyncio.sleep(LEASE_POLL)
                continue
            if not batches:
                break
            try:
                async for item, result in _check_claimed(checker, batches):
                    await _record(
                        factory,
                        settings,
                        item.resource_id,
                        result,
                        worker,
                        run_id,
                        finish_at_total=False,
                    )
                    counts[result.status] += 1
                    done += 1
                    if progress:
                        progress(done, max(total, done))
            finally:
                async with factory() as session:
                    await service.release_hosts(session, batches, until=claimed_at + claim_for)
                    await session.commit()

    async with factory() as session:
        now = utcnow()
        await session.execute(
            update(CheckRun)
            .where(col(CheckRun.id) == run_id)
            .values(total=max(total, done), done=done)
        )
        await runs.finish_run(session, run_id, now=now, counts=dict(counts))
        await session.commit()
        finished = await session.get(CheckRun, run_id)
        assert finished is not None
        return finished


# Scheduling (DESIGN §5): a dispatch schedule and one check job per host batch -------------

DISPATCH_SCHEDULE = "linkdir-dispatch"
APSCHEDULER_SCHEMA = "apscheduler"
START_LOCK = 0x6C696E6B  # pg_advisory_lock key held while a worker sets up the data store


@dataclass
class Runtime:
    """What jobs need in this process; set by :func:`run_scheduler` (jobs get only ids)."""

    settings: Settings
    factory: async_sessionmaker[AsyncSession]
    engine_config: EngineConfig
    worker: str
    sitemaps: SitemapCache = field(default_factory=SitemapCache)  # suggestions (#14)


_runtime: Runtime | None = None


def _current() -> Runtime:
    if _runtime is None:
        raise RuntimeError("check jobs run inside `linkdir worker` or `linkdir serve`")
    return _runtime


async def dispatch() -> int:
    """Claim due resources and add one check job per host; returns the jobs added.

    Each dispatch that claims anything is one ``scheduled`` check run: its jobs, on
    whichever workers take them, count their checks into it.
    """
    from apscheduler import current_async_scheduler

    runtime = _current()
    scheduler = current_async_scheduler.get()
    assert scheduler is not None
    now = utcnow()
    limit = runtime.settings.dispatch_batch
    claim_for = claim_time(runtime.settings, limit)
    claimed_until = now + claim_for
    run_id: int | None = None
    async with runtime.factory() as session:
        await runs.close_cut_short(session, now=now)
        batches = await service.claim_due(
            session, now=now, limit=limit, claim_for=claim_for, worker=runtime.worker
        )
        if batches:
            run = await runs.start_run(
                session,
                scope="scheduled",
                total=sum(len(items) for items in batches.values()),
                now=now,
                worker=runtime.worker,
                claimed_until=claimed_until,
            )
            run_id = run.id
        await runs.snapshot_health(session, today=now.date())
        requested = await _take_requested_runs(session, runtime.worker)
        await session.commit()
    for requested_id, everything in requested:
        await scheduler.add_job(manual_run, args=[requested_id, everything])
    for host, items in batches.items():
        ids = [item.resource_id for item in items]
        await scheduler.add_job(check_batch, args=[ids, claimed_until, run_id, host])
    return len(batches)


async def _checked_in_run(session: AsyncSession, run_id: int, resource_ids: list[int]) -> set[int]:
    statement = select(col(CheckResult.resource_id)).where(
        col(CheckResult.run_id) == run_id, col(CheckResult.resource_id).in_(resource_ids)
    )
    return set((await session.execute(statement)).scalars())


async def check_batch(
    resource_ids: list[int],
    claimed_until: datetime,
    run_id: int | None = None,
    host: str | None = None,
) -> dict[str, int]:
    """Check claimed resources of one host, record the results, give the host back.

    ``claimed_until`` fences the claim: a resource whose ``next_check_at`` is no longer
    that moment was checked or claimed again since (a job that ran late, or again after
    its worker died). Links that were fine last time are asked conditionally (ETag,
    Last-Modified), so an unchanged page costs the server a 304. ``host``'s lease, taken
    with the claims, ends with the batch, so the next dispatch may claim the host again.
    """
    runtime = _current()
    try:
        return await _check_batch(runtime, resource_ids, claimed_until, run_id)
    finally:
        async with runtime.factory() as session:
            if host is None:  # a job queued by an older version: its links' host
                hosts = select(col(Resource.host)).where(col(Resource.id).in_(resource_ids))
                leased = set((await session.execute(hosts)).scalars())
            else:
                leased = {host}
            await service.release_hosts(session, leased, until=claimed_until)
            await session.commit()


async def _check_batch(
    runtime: Runtime, resource_ids: list[int], claimed_until: datetime, run_id: int | None
) -> dict[str, int]:
    urls: dict[str, int] = {}
    conditions: dict[str, tuple[str | None, str | None]] = {}
    async with runtime.factory() as session:
        if run_id is not None and await session.get(CheckRun, run_id) is None:
            run_id = None  # the run was deleted meanwhile: check, but count nowhere
        for resource_id in resource_ids:
            resource = await session.get(Resource, resource_id)
            if resource is None or resource.next_check_at != claimed_until:
                continue
            urls[resource.url] = resource_id
            if resource.link_status == "ok" and not resource.consecutive_failures:
                conditions[resource.url] = (resource.etag, resource.last_modified)
        if run_id is not None and len(urls) < len(resource_ids):
            # Fenced links count as done, unless this run already checked them itself.
            fenced = set(resource_ids) - set(urls.values())
            fenced -= await _checked_in_run(session, run_id, list(fenced))
            await runs.count_skipped(session, run_id, sorted(fenced), now=utcnow())
            await session.commit()
    counts: Counter[str] = Counter()
    async with Checker(runtime.engine_config) as checker:
        async for result in checker.check_many(list(urls), conditions=conditions):
            await _record(
                runtime.factory,
                runtime.settings,
                urls[result.url],
                result,
                runtime.worker,
                run_id,
            )
            counts[result.status] += 1
    return dict(counts)


async def manual_run(run_id: int, everything: bool) -> dict[str, int]:
    """A run a curator started (API or report): one foreground-style cycle on a worker."""
    runtime = _current()
    async with runtime.factory() as session:
        recorded = await session.get(CheckRun, run_id)
        if recorded is None or recorded.finished_at is not None:
            return {}  # deleted, or given up on and finished meanwhile
    run = await run_cycle(
        runtime.factory,
        runtime.settings,
        everything=everything,
        engine_config=runtime.engine_config,
        worker=runtime.worker,
        run_id=run_id,
    )
    return dict(run.counts)


# A started run still unfinished after this long is taken to be lost (its worker died).
MANUAL_RUN_TIMEOUT = timedelta(hours=6)
MANUAL_SCOPES = ("due", "all")
_background: set[asyncio.Task[Any]] = set()


class RunAlreadyGoing(Exception):
    """A curator-started run has not finished yet; starting another would check twice."""

    def __init__(self, run_id: int) -> None:
        super().__init__(run_id)
        self.run_id = run_id


async def start_manual_run(
    settings: Settings, db_engine: AsyncEngine, *, everything: bool
) -> CheckRun:
    """Record a curator-started run and hand it to whoever runs check jobs.

    This process's scheduler if it runs one (``linkdir serve``); otherwise, on
    PostgreSQL, the run waits with no worker named until the next dispatch on any worker
    takes it (within ``--dispatch-every``); otherwise (SQLite without a scheduler) a task
    in this process runs it.
    """
    factory = session_factory(db_engine)
    now = utcnow()
    here = _scheduler is not None and _runtime is not None
    handed_to_workers = not here and not settings.is_sqlite
    worker = "" if handed_to_workers else (_runtime.worker if here and _runtime else worker_name())
    async with factory() as session:
        going = (
            await session.execute(
                select(col(CheckRun.id))
                .where(
                    col(CheckRun.scope).in_(MANUAL_SCOPES),
                    col(CheckRun.finished_at).is_(None),
                    col(CheckRun.started_at) > now - MANUAL_RUN_TIMEOUT,
                )
                .limit(1)
            )
        ).scalar()
        if going is not None:
            raise RunAlreadyGoing(going)
        run = await runs.start_run(
            session, scope="all" if everything else "due", total=0, now=now, worker=worker
        )
        await session.commit()
        await session.refresh(run)
    assert run.id is not None
    if here:
        await _scheduler.add_job(manual_run, args=[run.id, everything])
    elif not handed_to_workers:
        task = asyncio.create_task(
            run_cycle(factory, settings, everything=everything, run_id=run.id, worker=worker)
        )
        _background.add(task)
        task.add_done_callback(_background.discard)
    return run


async def _take_requested_runs(session: AsyncSession, worker: str) -> list[tuple[int, bool]]:
    """Runs curators started on web nodes, taken by this worker (each by one worker only)."""
    waiting = (
        await session.execute(
            select(col(CheckRun.id), col(CheckRun.scope)).where(
                col(CheckRun.scope).in_(MANUAL_SCOPES),
                col(CheckRun.finished_at).is_(None),
                col(CheckRun.worker) == "",
            )
        )
    ).all()
    taken = []
    for run_id, scope in waiting:
        claimed = await session.execute(
            update(CheckRun)
            .where(col(CheckRun.id) == run_id, col(CheckRun.worker) == "")
            .values(worker=worker[:200])
            .returning(col(CheckRun.id))
        )
        if claimed.first() is not None and run_id is not None:
            taken.append((run_id, scope == "all"))
    return taken


async def stop_background_runs() -> None:
    """Cancel runs this process started as tasks (at shutdown); their claims expire."""
    for task in list(_background):
        task.cancel()
    for task in list(_background):
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


_scheduler: Any = None


JOB_POLL_SECONDS = 5.0


async def _poll_jobs(scheduler: Any, every: float) -> None:
    """Make the scheduler look for jobs in the shared store every ``every`` seconds.

    Workers wake on each other's jobs through NOTIFY, but a notice can be missed (a
    reconnect, a worker that started a moment later); a local nudge bounds how long a
    job waits for a free worker, and takes over a dead worker's jobs once their leases
    expire.
    """
    from uuid import uuid4

    from apscheduler import JobAdded

    while True:
        await asyncio.sleep(every)
        nudge = JobAdded(job_id=uuid4(), task_id="linkdir-poll", schedule_id=None)
        await scheduler.event_broker.publish_local(nudge)


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


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
    from apscheduler import AsyncScheduler, ConflictPolicy, TaskDefaults
    from apscheduler.datastores.memory import MemoryDataStore
    from apscheduler.datastores.sqlalchemy import SQLAlchemyDataStore
    from apscheduler.eventbrokers.local import LocalEventBroker
    from apscheduler.triggers.interval import IntervalTrigger

    from linkdir.checks.broker import ListeningAsyncpgEventBroker

    global _runtime
    metadata()
    _runtime = Runtime(
        settings,
        session_factory(db_engine),
        engine_config or EngineConfig.from_settings(settings),
        worker_name(),
    )
    # A worker takes no more host batches than its connections can serve at once, so the
    # rest wait in the shared data store for the other workers.
    max_jobs = max(1, settings.checker_concurrency // max(1, settings.checker_per_host))
    # APScheduler 4 runs one job of a task at a time across all workers unless told
    # otherwise (and a dead worker's job holds that slot until clean-up). Claims (SKIP
    # LOCKED) already keep concurrent dispatches and batches apart.
    unlimited = TaskDefaults(max_running_jobs=None)
    if settings.is_sqlite:
        scheduler = AsyncScheduler(
            MemoryDataStore(),
            LocalEventBroker(),
            max_concurrent_jobs=max_jobs,
            task_defaults=unlimited,
        )
    else:
        # Workers hear of each other's jobs through PostgreSQL LISTEN/NOTIFY.
        scheduler = AsyncScheduler(
            SQLAlchemyDataStore(db_engine, schema=APSCHEDULER_SCHEMA),
            ListeningAsyncpgEventBroker.from_async_sqla_engine(db_engine),
            max_concurrent_jobs=max_jobs,
            task_defaults=unlimited,
        )

    async def add_dispatch() -> None:
        await scheduler.add_schedule(
            dispatch,
            IntervalTrigger(seconds=dispatch_every.total_seconds()),
            id=DISPATCH_SCHEDULE,
            conflict_policy=ConflictPolicy.replace,
        )

    global _scheduler
    async with contextlib.AsyncExitStack() as stack:
        if settings.is_sqlite:
            await stack.enter_async_context(scheduler)
        else:
            # Workers started together would race to create APScheduler's tables and
            # types (one dies with a duplicate key): start one at a time.
            async with db_engine.connect() as connection:
                await connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": START_LOCK})
                try:
                    schema = f"CREATE SCHEMA IF NOT EXISTS {APSCHEDULER_SCHEMA}"
                    await connection.execute(text(schema))
                    await connection.commit()
                    await stack.enter_async_context(scheduler)
                    await add_dispatch()
                finally:
                    await connection.execute(
                        text("SELECT pg_advisory_unlock(:key)"), {"key": START_LOCK}
                    )
                    await connection.commit()
        _scheduler = scheduler
        # Where moved links went (issue 14): a loop beside the scheduler, not a schedule.
        stack.push_async_callback(_cancel, asyncio.create_task(suggestion_loop(_runtime)))
        if settings.is_sqlite:
            await add_dispatch()
        else:
            poll = min(dispatch_every.total_seconds(), JOB_POLL_SECONDS)
            stack.push_async_callback(_cancel, asyncio.create_task(_poll_jobs(scheduler, poll)))
        try:
            await scheduler.run_until_stopped()
        finally:
            _scheduler = None
