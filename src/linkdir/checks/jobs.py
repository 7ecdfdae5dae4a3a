"""Check cycles: claim due resources, check them with the engine, record the results.

Called by ``linkdir check`` in the foreground and, later, by the scheduler's jobs; the
rules live in :mod:`linkdir.checks.service`, the HTTP in :mod:`linkdir.checker.engine`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import anyio
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlmodel import col

from linkdir import changes
from linkdir.checker import EngineConfig
from linkdir.checks import runs, service
from linkdir.checks.chunks import in_chunks
from linkdir.checks.engine_process import Engine, open_engine
from linkdir.checks.models import CheckRun
from linkdir.config import Settings
from linkdir.db import metadata, session_factory, utcnow
from linkdir.resources.models import Resource, ResourceState

if TYPE_CHECKING:
    from linkdir.checks.runner import CheckRunner

log = logging.getLogger("linkdir.checks")
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


class Queued:
    """How many of a run's claimed links the engine has not answered yet; ``low`` is set
    while they are at most ``enough`` (time to claim more)."""

    def __init__(self, enough: int) -> None:
        self.enough = enough
        self.count = 0
        self.low = asyncio.Event()
        self.low.set()

    def add(self, links: int) -> None:
        self.count += links
        if self.count <= self.enough:
            self.low.set()
        else:
            self.low.clear()


async def _check_claimed(
    checker: Engine, batches: dict[str, list[service.Claimed]], queued: Queued | None = None
) -> AsyncIterator[tuple[service.Claimed, Any]]:
    """The claimed links' results; ``queued`` counted them in when they were claimed."""
    claimed = {c.url: c for items in batches.values() for c in items}
    # Links that were fine last time are asked conditionally, as a worker asks them.
    known = {c.url: c.known for c in claimed.values() if c.known is not None}
    try:
        async for result in checker.check_many(list(claimed), conditions=known):
            if queued is not None:
                queued.add(-1)
            yield claimed.pop(result.url), result
    finally:
        if queued is not None:  # not checked after all (the run stops): not queued either
            queued.add(-len(claimed))


async def record_chunk(
    factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    checks: list[service.Checked],
    *,
    worker: str,
    run_id: int | None,
    claimed_until: datetime | None,
    finish_at_total: bool = True,
    release: Iterable[str] = (),
    holder: str | None = None,
) -> service.Recorded:
    """Record a chunk of checks and count them into their run, in one transaction.

    Fenced checks (their claim was lost or had expired) write nothing but count as done
    for the run: another check has them, or the next dispatch will. ``release`` names
    hosts whose last claimed link is in this chunk: their leases (ending at
    ``claimed_until``, or held by ``holder`` when given) end in the same transaction, so
    the next claim may take them.
    """
    metadata()  # every domain's tables mapped: revisions point at user accounts
    async with factory() as session:
        now = utcnow()
        recorded = await service.record_checks(
            session,
            checks,
            claimed_until=claimed_until,
            now=now,
            settings=settings,
            worker=worker,
            run_id=run_id,
        )
        if run_id is not None:
            if recorded.hosts:
                await runs.count_done(
                    session,
                    run_id,
                    checked=len(recorded.hosts),
                    now=now,
                    finish_at_total=finish_at_total,
                )
            await runs.count_fenced(session, run_id, recorded.fenced, now=now)
        if claimed_until is not None:
            await service.release_hosts(session, release, until=claimed_until, holder=holder)
        await session.commit()
        await changes.announce(settings, factory, changes.take(session))
    for check in checks:
        host = recorded.hosts.get(check.resource_id)
        if host is None:
            continue
        result = check.result
        # Problems at INFO, working links at DEBUG: a log a person can read at 100/s.
        log.log(
            logging.DEBUG if result.status == "ok" else logging.INFO,
            "checked a link on %s: %s (%s)",
            host,
            result.status,
            result.reason,
            extra={
                "host": host,
                "verdict": result.status,
                "reason": result.reason,
                "http_status": result.http_status,
                "resource_id": check.resource_id,
            },
        )
    if recorded.fenced:
        log.info("%d check(s) not recorded: their claim was lost or expired", len(recorded.fenced))
    return recorded


# PostgreSQL: a web node that hands a curator-started run to the workers says so on this
# channel (NOTIFY, sent with the run's commit); each worker dispatches at once on hearing it
# instead of at its next ``--dispatch-every`` (a minute by default).
DISPATCH_CHANNEL = "linkdir_dispatch"

# A foreground run claims the next batch once the engine has at most (PIPELINE - 1)
# batches of its links left to answer: a batch is always queued behind the one checked.
PIPELINE = 3


def prepare_recording() -> None:
    """Import what recording needs beyond a claim: every domain's tables (revisions point
    at user accounts), the fingerprints (drift) and the report (a run's health snapshot).

    A run calls it once its first claims are with the engine, so the imports overlap the
    first checks instead of delaying them (issue 18); :func:`record_chunk` maps the tables
    itself in any case.
    """
    metadata()
    import linkdir.checker.fingerprint  # noqa: F401
    import linkdir.checks.report  # noqa: F401


class _Tally:
    """What a run's claims checked so far, and its progress line."""

    def __init__(self, total: int, progress: Progress | None) -> None:
        self.total = total
        self.progress = progress
        self.counts: Counter[str] = Counter({verdict: 0 for verdict in VERDICTS})
        self.done = 0
        if progress:
            progress(0, total)

    def add(self, verdicts: Iterable[str | None]) -> None:
        for verdict in verdicts:
            if verdict is not None:
                self.counts[verdict] += 1
            self.done += 1
            if self.progress:
                self.progress(self.done, max(self.total, self.done))


class HostsLeft:
    """The hosts with links still to record; a host is done with its last link.

    A host's lease ends in the transaction that records its last link, not with the whole
    claim, so a slow host does not keep the others from the next claim. A foreground run
    keeps one for all its claims (:meth:`add`): a host whose next links a later claim took
    while the first were being checked is given back only after the last of them.
    """

    def __init__(self, host_of: dict[int, str] | None = None) -> None:
        self._host_of: dict[int, str] = {}
        self._left: Counter[str] = Counter()
        self.add(host_of or {})

    def add(self, host_of: dict[int, str]) -> None:
        """More links to record (a link already here counts once)."""
        for resource_id, host in host_of.items():
            if resource_id not in self._host_of:
                self._host_of[resource_id] = host
                self._left[host] += 1

    def __len__(self) -> int:
        """Links still to record."""
        return len(self._host_of)

    def finish(self, resource_ids: Iterable[int]) -> list[str]:
        """Mark these links recorded; the hosts that have none left (once each)."""
        done = []
        for resource_id in resource_ids:
            host = self._host_of.pop(resource_id, None)
            if host is None:
                continue
            self._left[host] -= 1
            if not self._left[host]:
                del self._left[host]
                done.append(host)
        return done


async def _check_claim(
    factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    checker: Engine,
    batches: dict[str, list[service.Claimed]],
    tally: _Tally,
    left: HostsLeft,
    queued: Queued,
    *,
    claimed_until: datetime,
    worker: str,
    holder: str,
    run_id: int | None,
    stop: asyncio.Event,
    progressed: asyncio.Event,
) -> None:
    """Check and record one claim of a foreground run; its hosts go back as they finish.

    ``left`` is the run's: a host goes back (its lease held by ``holder``) once none of
    the run's claims has a link of it still to record.
    """
    left.add({c.resource_id: host for host, items in batches.items() for c in items})
    try:
        async for chunk in in_chunks(_check_claimed(checker, batches, queued), stop):
            done_hosts = left.finish(item.resource_id for (item, _result), _at in chunk)
            recorded = await record_chunk(
                factory,
                settings,
                [service.Checked(item.resource_id, result, at) for (item, result), at in chunk],
                worker=worker,
                run_id=run_id,
                claimed_until=claimed_until,
                finish_at_total=False,
                release=done_hosts,
                holder=holder,
            )
            progressed.set()
            tally.add(
                result.status if item.resource_id in recorded.hosts else None
                for (item, result), _at in chunk
            )
    finally:
        # Shielded: a run cancelled mid-claim still gives its links and hosts back.
        with anyio.CancelScope(shield=True):
            async with factory() as session:
                claimed_ids = [c.resource_id for items in batches.values() for c in items]
                await service.release_claims(
                    session, claimed_ids, claimed_until=claimed_until, now=utcnow()
                )
                await service.release_hosts(
                    session, left.finish(claimed_ids), until=claimed_until, holder=holder
                )
                await session.commit()
        progressed.set()


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
    stop: asyncio.Event | None = None,
    engine: Engine | None = None,
    engine_processes: int = 0,
) -> CheckRun:
    """Check every due resource (or every resource) once; returns the finished CheckRun.

    ``run_id`` continues a run already recorded (one started from the API). When ``stop``
    is set (the worker is shutting down) the run ends early: links claimed and not yet
    checked are due again at once. The links are checked by ``engine`` (one already open)
    or else in ``engine_processes`` processes of their own (0: in this one; see
    :mod:`linkdir.checks.engine_process`).
    """
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

    tally = _Tally(total, progress)
    # The run's own name on its leases: its later claims may take its hosts again (one
    # engine checks them all, so the per-host limit holds), nobody else's claims may.
    holder = f"{worker} run {run_id}"
    left = HostsLeft()
    queued = Queued((PIPELINE - 1) * batch)
    stop = stop or asyncio.Event()
    progressed = asyncio.Event()  # a claim recorded a chunk or gave a host back
    in_flight: set[asyncio.Task[None]] = set()
    prepared = False
    # A later claim's links may wait behind every link queued before them on their host.
    claim_for = claim_time(settings, PIPELINE * batch)
    async with contextlib.AsyncExitStack() as stack:
        checker: Engine = (
            engine
            if engine is not None
            else await stack.enter_async_context(open_engine(config, engine_processes))
        )
        try:
            while not stop.is_set():
                progressed.clear()
                waiting = bool(in_flight)
                if queued.low.is_set():
                    claimed_at = utcnow()
                    async with factory() as session:
                        batches = await service.claim_due(
                            session, now=claimed_at, limit=batch, claim_for=claim_for,
                            worker=holder, own_leases=True, known=True,
                        )  # fmt: skip
                        if not batches and not in_flight:
                            # Links still due are on hosts a worker is checking now (their
                            # turn comes), or claimable since the claim looked (a lease
                            # given back meanwhile): wait, and claim again.
                            waiting = await service.any_due(session, now=claimed_at)
                        await session.commit()
                    if batches:
                        queued.add(sum(len(items) for items in batches.values()))
                        claim = _check_claim(
                            factory, settings, checker, batches, tally, left, queued,
                            claimed_until=claimed_at + claim_for, worker=worker,
                            holder=holder, run_id=run_id, stop=stop, progressed=progressed,
                        )  # fmt: skip
                        in_flight.add(asyncio.create_task(claim))
                        continue
                    if not waiting:
                        break
                if not prepared:  # the first claims are being checked meanwhile
                    prepared = True
                    prepare_recording()
                # Wait for a claim to record or end (or, with nothing in flight, for
                # another worker's batch on the hosts still due).
                waits: set[asyncio.Future[Any]] = {
                    *in_flight,
                    asyncio.ensure_future(progressed.wait()),
                }
                if not queued.low.is_set():  # woken when it may claim again
                    waits.add(asyncio.ensure_future(queued.low.wait()))
                stopping = asyncio.ensure_future(stop.wait())
                try:
                    timeout = None if in_flight else LEASE_POLL
                    await asyncio.wait(
                        {*waits, stopping}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                    )
                finally:
                    for future in (*waits, stopping):
                        if future not in in_flight:
                            future.cancel()
                for task in [task for task in in_flight if task.done()]:
                    in_flight.discard(task)
                    task.result()  # a failed claim ends the run (its finally gave links back)
        finally:
            if in_flight:  # stopping, or a claim failed: the others end and give links back
                if not stop.is_set():
                    for task in in_flight:
                        task.cancel()
                await asyncio.gather(*in_flight, return_exceptions=True)

    counts, done = tally.counts, tally.done
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


# Curator-started runs ----------------------------------------------------------------------

# A started run still unfinished after this long is taken to be lost (its worker died).
MANUAL_RUN_TIMEOUT = timedelta(hours=6)
MANUAL_SCOPES = ("due", "all")


class RunAlreadyGoing(Exception):
    """A curator-started run has not finished yet; starting another would check twice."""

    def __init__(self, run_id: int) -> None:
        super().__init__(run_id)
        self.run_id = run_id


class BackgroundRuns:
    """Runs a web process without a scheduler checks itself (SQLite), as tasks it owns."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def start(self, work: Coroutine[Any, Any, Any]) -> None:
        """Run ``work`` in the background until it ends or :meth:`stop`."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        """Cancel the runs still going (at shutdown); their claims expire."""
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def start_manual_run(
    settings: Settings,
    db_engine: AsyncEngine,
    *,
    everything: bool,
    runner: CheckRunner | None = None,
    background: BackgroundRuns | None = None,
) -> CheckRun:
    """Record a curator-started run and hand it to whoever runs check jobs.

    ``runner``, this process's scheduler, if it runs one (``linkdir serve``); otherwise,
    on PostgreSQL, the run waits with no worker named until the next dispatch on any
    worker takes it (within ``--dispatch-every``); otherwise (SQLite without a scheduler)
    ``background`` runs it in this process.
    """
    factory = session_factory(db_engine)
    now = utcnow()
    here = runner is not None and runner.scheduler is not None
    handed_to_workers = not here and not settings.is_sqlite
    worker = "" if handed_to_workers else (runner.worker if here and runner else worker_name())
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
        if handed_to_workers:  # delivered with the commit: the run is there to be taken
            await session.execute(select(func.pg_notify(DISPATCH_CHANNEL, "")))
        await session.commit()
        await session.refresh(run)
    assert run.id is not None
    if here and runner is not None:
        from linkdir.checks.runner import TASK_MANUAL_RUN

        await runner.add_job(TASK_MANUAL_RUN, [run.id, everything])
    elif not handed_to_workers:
        work = run_cycle(factory, settings, everything=everything, run_id=run.id, worker=worker)
        if background is None:
            background = BackgroundRuns()
        background.start(work)
    return run


async def take_requested_runs(session: AsyncSession, worker: str) -> list[tuple[int, bool]]:
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


async def hand_back_run(session: AsyncSession, run_id: int) -> None:
    """A requested run a stopping worker took: the next dispatch anywhere takes it."""
    await session.execute(
        update(CheckRun)
        .where(col(CheckRun.id) == run_id, col(CheckRun.finished_at).is_(None))
        .values(worker="")
    )
