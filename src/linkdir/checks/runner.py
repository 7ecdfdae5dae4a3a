"""The link-check scheduler of one process (DESIGN §5): :class:`CheckRunner`.

Built by ``linkdir worker`` or by the app's lifespan (``linkdir serve``) and handed to
whoever needs it; nothing lives in module globals. APScheduler 4 stores its jobs in
JSON (:class:`PlainJSONSerializer`), never pickle: job arguments are plain ids and
strings, so whoever can write the job table can at most ask for a check, not run code.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import anyio
from apscheduler.serializers.json import JSONSerializer
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlmodel import col

from linkdir.checker import EngineConfig
from linkdir.checks import heartbeat, runs, service
from linkdir.checks.chunks import RECORD_CHUNK, RECORD_EVERY, in_chunks
from linkdir.checks.engine_process import Engine, EngineProcesses, open_engine
from linkdir.checks.models import CheckRun
from linkdir.config import Settings
from linkdir.db import is_postgresql, metadata, session_factory, utcnow
from linkdir.resources.models import Resource

log = logging.getLogger("linkdir.worker")
T = TypeVar("T")

# Our own schema: the one APScheduler used before (``apscheduler``) holds pickles, which
# this version never reads. Drop it after upgrading (README, Operations).
SCHEDULER_SCHEMA = "linkdir_scheduler"
SUGGEST_SCHEDULE = "linkdir-suggestions"  # checks.suggest
DISPATCH_SCHEDULE = "linkdir-dispatch"
TASK_DISPATCH = "linkdir.dispatch"
TASK_CHECK_BATCH = "linkdir.check_batch"
TASK_MANUAL_RUN = "linkdir.manual_run"
START_LOCK = 0x6C696E6B  # pg_advisory_lock key held while a worker sets up the data store
JOB_POLL_SECONDS = 5.0
DISPATCH_SOON = 0.05  # seconds a job's call for the next dispatch waits for others' calls
# After the grace period, batches still running are told to stop; this long is left for
# them to give their links back before the scheduler cancels what remains.
RELEASE_SECONDS = 10.0


class PlainJSONSerializer(JSONSerializer):
    """APScheduler's JSON serializer, limited to plain values and APScheduler's triggers.

    Anything else (a pickle, a reference to some other class) is refused in both
    directions, so the job table cannot name code to run.
    """

    TRUSTED = ("apscheduler.triggers.",)

    def _default_hook(self, obj: Any) -> Any:
        if isinstance(obj, date | timedelta):
            return super()._default_hook(obj)  # type: ignore[no-untyped-call]
        if type(obj).__module__.startswith(self.TRUSTED) or _is_timezone(obj):
            return super()._default_hook(obj)  # type: ignore[no-untyped-call]
        raise TypeError(f"{type(obj).__name__} is not a plain value for a job argument")

    def _object_hook(self, obj_state: dict[str, Any]) -> Any:
        if self.magic_key in obj_state:
            ref = obj_state[self.magic_key][0]
            if not (isinstance(ref, str) and ref.startswith(self.TRUSTED)):
                raise ValueError(f"refusing to rebuild {ref!r} from the job store")
        return super()._object_hook(obj_state)


def _is_timezone(obj: Any) -> bool:
    from datetime import tzinfo

    return isinstance(obj, tzinfo)


JobFunction = Callable[["CheckRunner"], Awaitable[Any]]


@dataclass(frozen=True)
class ScheduleEntry:
    """A recurring job: ``job(runner)`` runs on whichever worker takes it."""

    id: str
    job: JobFunction
    trigger: Any  # an apscheduler.triggers object


@dataclass(frozen=True)
class LoopEntry:
    """Housekeeping every process runs for itself: ``job(runner)`` every ``every``."""

    id: str
    job: JobFunction
    every: timedelta


def add_schedules(runner: CheckRunner) -> None:
    """Every recurring job besides the dispatch, registered for every runner.

    Called for every runner (``linkdir worker`` and ``linkdir serve``) before it starts.
    A job is ``async def job(runner: CheckRunner) -> Any``, reading ``runner.settings``,
    ``runner.factory`` and ``runner.worker``. ``runner.add_schedule`` puts it in the shared
    APScheduler store (one run per trigger across all workers); ``runner.add_loop`` runs
    it in every process, for work whose own claims keep workers apart.

    The suggestion search and the mail outbox are loops: both claim their work in the
    database (host leases; digest periods and outbox rows), and as shared schedules the
    survivor of a killed worker waited on them before it took over the dead worker's
    check batches (issue 14 and 15 notes).
    """
    from linkdir.checks.suggest import SuggestionJob
    from linkdir.mail.jobs import MAIL_EVERY, MAIL_SCHEDULE, mail_job

    # Where broken and replaced links went (issue 14): politely, in the workers only.
    runner.add_loop(SUGGEST_SCHEDULE, SuggestionJob(), timedelta(minutes=15))
    # Digests into the outbox, the outbox drained (issue 15); claims keep it once.
    runner.add_loop(MAIL_SCHEDULE, mail_job, MAIL_EVERY)


def moment(value: datetime | str) -> datetime:
    """A job argument's moment (ISO 8601 in the job store) as an aware datetime."""
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


async def until_set(results: AsyncIterator[T], stop: asyncio.Event) -> AsyncIterator[T]:
    """Items of ``results`` until ``stop`` is set, even while one is being waited for.

    Cancels only the wait for the next item, never the caller's own work (a database
    write in progress is finished, not torn).
    """
    stopped = asyncio.ensure_future(stop.wait())
    try:
        while not stop.is_set():
            following = asyncio.ensure_future(anext(results))
            await asyncio.wait({following, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if not following.done():
                following.cancel()
                with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                    await following
                return
            try:
                item = following.result()
            except StopAsyncIteration:
                return
            yield item
    finally:
        stopped.cancel()


# One check job takes the batches of up to this many hosts (issue 18): a job's scheduler
# bookkeeping (its row, its acquisition, its result, two notices) costs about as much CPU
# as checking and recording 20 links, so a job per host batch spent most of a worker's time.
HOSTS_PER_JOB = 10


def job_hosts(settings: Settings) -> tuple[int, int]:
    """Hosts per check job, and jobs a worker runs at once: host batches within its connections.

    A worker checks at most ``concurrency // per_host`` host batches at once, as it did with
    one job per host, so a job of ``n`` hosts leaves room for that many fewer jobs.
    """
    slots = max(1, settings.checker_concurrency // max(1, settings.checker_per_host))
    per_job = min(HOSTS_PER_JOB, slots)
    return per_job, max(1, slots // per_job)


def job_groups(
    batches: dict[str, list[service.Claimed]], per_job: int
) -> Iterator[tuple[list[str], list[int]]]:
    """A dispatch's host batches, ``per_job`` hosts to a job: (hosts, resource ids) each."""
    hosts = list(batches)
    for start in range(0, len(hosts), per_job):
        group = hosts[start : start + per_job]
        yield group, [item.resource_id for host in group for item in batches[host]]


class CheckRunner:
    """Dispatch schedule, host-batch check jobs and clean shutdown for one process.

    PostgreSQL: APScheduler's data store (schema ``linkdir_scheduler``) is shared, so any
    number of workers split the jobs. SQLite: in memory, one process.

    Other schedules (mail digests, suggestions) register with :meth:`add_schedule`
    before :meth:`run`; their job gets this runner (settings, session factory, worker).
    """

    def __init__(
        self,
        settings: Settings,
        db_engine: AsyncEngine,
        *,
        dispatch_every: timedelta = timedelta(minutes=1),
        engine_config: EngineConfig | None = None,
        worker: str | None = None,
        role: str = "worker",
        record_chunk: int = RECORD_CHUNK,
        record_every: float = RECORD_EVERY,
        engine_processes: int = 0,
    ) -> None:
        from linkdir.checks.jobs import worker_name

        metadata()
        self.settings = settings
        self.db_engine = db_engine
        self.factory: async_sessionmaker[AsyncSession] = session_factory(db_engine)
        self.engine_config = engine_config or EngineConfig.from_settings(settings)
        self.worker = worker or worker_name()
        self.role = role
        self.dispatch_every = dispatch_every
        # Checks of a batch written per transaction, and how long one waits at most.
        self.record_chunk = record_chunk
        self.record_every = record_every
        # Links are checked in ``engine_processes`` processes of their own (0: in this one),
        # started once and kept while the runner runs (issue 18). Their checker serves every
        # job, but a host's idle connections close with its last link of a job: its next
        # batch may go to another worker, and the host must not see this one's idle
        # connections beside it (one checker kept across jobs without that: 4 open at once
        # in the scale-out test).
        self.engine_processes = engine_processes
        self._engine: EngineProcesses | None = None
        self._engine_lock = asyncio.Lock()
        self.scheduler: Any = None
        self.started = asyncio.Event()
        self.last_beat: datetime | None = None
        # Set once a heartbeat has been written (what readiness waits for; tests too).
        self.beaten = asyncio.Event()
        self._stopping = asyncio.Event()
        self._abort = asyncio.Event()
        self._active = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._schedules: list[ScheduleEntry] = []
        self._loops: list[LoopEntry] = []
        self._stopped = asyncio.Event()
        self._dispatch_soon = asyncio.Event()  # a job asks for the next dispatch now

    # -- registration ----------------------------------------------------------------------

    def add_loop(self, id: str, job: JobFunction, every: timedelta) -> None:
        """Run ``job(runner)`` in this process every ``every`` while it runs (see above)."""
        if any(entry.id == id for entry in self._loops):
            raise ValueError(f"loop {id!r} is already registered")
        self._loops.append(LoopEntry(id, job, every))

    def add_schedule(self, id: str, job: JobFunction, trigger: Any) -> None:
        """Run ``job(runner)`` on ``trigger`` (an APScheduler trigger); call before run().

        ``id`` names the schedule and its task in the shared store (one per deployment,
        replaced when a worker starts with a different trigger).
        """
        if any(entry.id == id for entry in self._schedules):
            return  # registered already (a runner started again)
        self._schedules.append(ScheduleEntry(id, job, trigger))

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    # -- lifecycle -------------------------------------------------------------------------

    def request_stop(self) -> None:
        """Begin a clean stop (SIGTERM, SIGINT, app shutdown); safe from a signal handler."""
        if self._stopping.is_set():  # asked twice (Ctrl-C again): no more grace
            log.info("stopping now: running batches give their links back")
            self._abort.set()
            return
        log.info(
            "stopping: no new jobs; running batches get %ss, then give their links back",
            self.settings.shutdown_grace.total_seconds(),
        )
        self._stopping.set()

    async def stop(self) -> None:
        """Stop cleanly and wait for :meth:`run` to return."""
        if not self.stopping:
            self.request_stop()
        if self.scheduler is not None:
            await self._stopped.wait()

    def _build_scheduler(self) -> Any:
        from apscheduler import AsyncScheduler, TaskDefaults
        from apscheduler.datastores.memory import MemoryDataStore
        from apscheduler.datastores.sqlalchemy import SQLAlchemyDataStore
        from apscheduler.eventbrokers.local import LocalEventBroker

        from linkdir.checks.broker import ListeningAsyncpgEventBroker

        settings = self.settings
        # A worker takes no more host batches than its connections can serve at once, so
        # the rest wait in the shared data store for the other workers.
        _per_job, max_jobs = job_hosts(settings)
        # APScheduler 4 runs one job of a task at a time across all workers unless told
        # otherwise (and a dead worker's job holds that slot until clean-up). Claims (SKIP
        # LOCKED) already keep concurrent dispatches and batches apart.
        unlimited = TaskDefaults(max_running_jobs=None)
        if settings.is_sqlite:
            return AsyncScheduler(
                MemoryDataStore(),
                LocalEventBroker(),
                identity=self.worker,
                max_concurrent_jobs=max_jobs,
                task_defaults=unlimited,
            )
        serializer = PlainJSONSerializer()
        # Workers hear of each other's jobs through PostgreSQL LISTEN/NOTIFY.
        return AsyncScheduler(
            SQLAlchemyDataStore(self.db_engine, schema=SCHEDULER_SCHEMA, serializer=serializer),
            ListeningAsyncpgEventBroker.from_async_sqla_engine(self.db_engine),
            identity=self.worker,
            max_concurrent_jobs=max_jobs,
            task_defaults=unlimited,
            lease_duration=settings.job_lease,
        )

    async def _configure(self, scheduler: Any) -> None:
        from apscheduler import ConflictPolicy
        from apscheduler.triggers.interval import IntervalTrigger

        add_schedules(self)

        await scheduler.configure_task(TASK_DISPATCH, func=self.dispatch)
        await scheduler.configure_task(TASK_CHECK_BATCH, func=self.check_batch)
        await scheduler.configure_task(TASK_MANUAL_RUN, func=self.manual_run)
        every = IntervalTrigger(seconds=self.dispatch_every.total_seconds())
        entries = [ScheduleEntry(DISPATCH_SCHEDULE, _dispatch_job, every), *self._schedules]
        for entry in entries:
            if entry.id != DISPATCH_SCHEDULE:
                await scheduler.configure_task(
                    entry.id, func=functools.partial(self._scheduled, entry.job)
                )
            task = TASK_DISPATCH if entry.id == DISPATCH_SCHEDULE else entry.id
            await scheduler.add_schedule(
                task, entry.trigger, id=entry.id, conflict_policy=ConflictPolicy.replace
            )

    async def run(self) -> None:
        """Run the schedules and jobs until :meth:`request_stop`, then stop cleanly."""
        scheduler = self._build_scheduler()
        self._stopped.clear()
        try:
            async with contextlib.AsyncExitStack() as stack:
                stack.push_async_callback(self._close_engine)
                if self.settings.is_sqlite:
                    await stack.enter_async_context(scheduler)
                    await self._configure(scheduler)
                else:
                    await self._enter_shared(stack, scheduler)
                self.scheduler = scheduler
                if self.engine_processes > 0:
                    # Started now, not by the first job: they import the engine (~0.4 s)
                    # while the worker is idle, not while the first links wait.
                    await self._start_engine()
                await scheduler.start_in_background()
                beating = asyncio.create_task(self._heartbeat())
                stack.push_async_callback(_cancel, beating)
                if not self.settings.is_sqlite:
                    poll = min(self.dispatch_every.total_seconds(), JOB_POLL_SECONDS)
                    stack.push_async_callback(_cancel, asyncio.create_task(self._poll_store(poll)))
                for loop in self._loops:
                    stack.push_async_callback(_cancel, asyncio.create_task(self._loop(loop)))
                soon = asyncio.create_task(self._dispatch_when_asked())
                stack.push_async_callback(_cancel, soon)
                if not self.settings.is_sqlite:
                    listening = asyncio.create_task(self._listen_for_dispatch())
                    stack.push_async_callback(_cancel, listening)
                self.started.set()
                await self._stopping.wait()
                await self._drain(scheduler)
                await scheduler.stop()
                await scheduler.wait_until_stopped()
        finally:
            if self.scheduler is not None and not self.settings.is_sqlite:
                await self._release_schedules()  # its processing has ended with the stack
            self.scheduler = None
            with anyio.CancelScope(shield=True), anyio.move_on_after(5):
                await self._forget_heartbeat()
            self._stopped.set()

    @contextlib.asynccontextmanager
    async def _job_engine(self) -> AsyncIterator[Engine]:
        """The engine for a job: the runner's checking processes while it runs (started
        again if one died), else a checker in this process."""
        if self.scheduler is None or self.engine_processes <= 0:
            async with open_engine(self.engine_config, 0) as engine:
                yield engine
            return
        yield await self._start_engine()

    async def _start_engine(self) -> EngineProcesses:
        """The runner's checking processes, started (again, if one died) when needed."""
        async with self._engine_lock:
            if self._engine is not None and self._engine.died is not None:
                log.warning("%s: starting the checking processes again", self._engine.died)
                await self._close_engine()
            if self._engine is None:
                engine = EngineProcesses(
                    self.engine_config, self.engine_processes, per_request=True
                )
                await engine.__aenter__()
                self._engine = engine
            return self._engine

    async def _close_engine(self) -> None:
        engine, self._engine = self._engine, None
        if engine is not None:
            await engine.__aexit__(None, None, None)

    async def _enter_shared(self, stack: contextlib.AsyncExitStack, scheduler: Any) -> None:
        # Workers started together would race to create APScheduler's tables and types
        # (one dies with a duplicate key): start one at a time.
        async with self.db_engine.connect() as connection:
            await connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": START_LOCK})
            try:
                await connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEDULER_SCHEMA}"))
                await connection.commit()
                await stack.enter_async_context(scheduler)
                await self._configure(scheduler)
            finally:
                await connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": START_LOCK}
                )
                await connection.commit()

    async def _drain(self, scheduler: Any) -> None:
        # No new jobs from now on (APScheduler reads this before each acquisition); the
        # ones queued wait in the shared store for other workers.
        scheduler.max_concurrent_jobs = 0
        grace = self.settings.shutdown_grace.total_seconds()
        with anyio.move_on_after(grace):
            await self._idle.wait()
        if self._active:
            log.warning("%d job(s) still running after %ss: links given back", self._active, grace)
        self._abort.set()
        with anyio.move_on_after(RELEASE_SECONDS):
            await self._idle.wait()
            # Our functions returned; APScheduler still has to mark their jobs done, and
            # stopping it now would cancel that (the job would wait for its lease to end).
            while await self._jobs_held(scheduler):
                await asyncio.sleep(0.05)

    async def _jobs_held(self, scheduler: Any) -> int:
        return sum(1 for job in await scheduler.get_jobs() if job.acquired_by == self.worker)

    @contextlib.contextmanager
    def _job(self) -> Iterator[None]:
        self._active += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._active -= 1
            if not self._active:
                self._idle.set()

    async def _scheduled(self, job: JobFunction) -> Any:
        if self.stopping:
            return None
        with self._job():
            return await job(self)

    async def _loop(self, entry: LoopEntry) -> None:
        while not self.stopping:
            try:
                with self._job():
                    await entry.job(self)
            except Exception:  # one failed round must not end the next ones
                log.exception("%s failed", entry.id)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), entry.every.total_seconds())

    async def _dispatch_when_asked(self) -> None:
        """Dispatch as soon as a job asks (its dispatch left due links behind and its hosts
        are free again), not only on the schedule: a backlog drains at the engine's pace,
        not ``LINKDIR_DISPATCH_BATCH`` links per ``--dispatch-every``."""
        while not self.stopping:
            await self._dispatch_soon.wait()
            await asyncio.sleep(DISPATCH_SOON)  # jobs that end together ask once
            self._dispatch_soon.clear()
            try:
                await self.dispatch()
            except Exception:  # a database hiccup: the schedule's dispatch tries again
                log.exception("a dispatch a job asked for failed")

    async def _listen_for_dispatch(self) -> None:
        """PostgreSQL: dispatch as soon as a web node hands over a curator-started run
        (``NOTIFY linkdir_dispatch``), not at the next scheduled dispatch. On one connection
        of the pool, taken again if it is lost; the schedule still dispatches meanwhile.
        Ends when the runner cancels it at shutdown."""
        while not self.stopping:
            try:
                await self._listen_until_lost()
            except Exception:  # the database went away: the schedule dispatches meanwhile
                log.warning("not listening for dispatch requests; trying again", exc_info=True)
            await asyncio.sleep(JOB_POLL_SECONDS)

    async def _listen_until_lost(self) -> None:
        from linkdir.checks.jobs import DISPATCH_CHANNEL

        lost = asyncio.Event()

        def heard(*_notice: Any) -> None:
            self._dispatch_soon.set()

        def ended(_connection: Any) -> None:
            lost.set()

        async with self.db_engine.connect() as connection:
            listener = (await connection.get_raw_connection()).driver_connection
            assert listener is not None
            await listener.add_listener(DISPATCH_CHANNEL, heard)
            listener.add_termination_listener(ended)
            try:
                await lost.wait()
            finally:
                listener.remove_termination_listener(ended)
                if not listener.is_closed():
                    with contextlib.suppress(Exception):
                        await listener.remove_listener(DISPATCH_CHANNEL, heard)

    async def _heartbeat(self) -> None:
        while True:
            now = utcnow()
            try:
                async with self.factory() as session:
                    await heartbeat.beat(
                        session, self.worker, role=self.role, now=now, jobs=self._active
                    )
                    await session.commit()
                self.last_beat = now
                self.beaten.set()
            except Exception:  # a database hiccup: the next beat tries again
                log.exception("could not write the worker heartbeat")
            await asyncio.sleep(heartbeat.BEAT_EVERY.total_seconds())

    async def _forget_heartbeat(self) -> None:
        try:
            async with self.factory() as session:
                await heartbeat.forget(session, self.worker)
                await session.commit()
        except Exception:
            log.exception("could not remove the worker heartbeat")

    async def _poll_store(self, every: float) -> None:
        """Make the scheduler look for jobs and due schedules in the shared store every
        ``every`` seconds.

        Workers wake on each other's jobs through NOTIFY, but a notice can be missed (a
        reconnect, a worker that started a moment later); a local nudge bounds how long a
        job waits for a free worker, and takes over a dead worker's jobs once their leases
        expire. Schedules need the same: APScheduler 4.0.0a6 sleeps until the next fire
        time of the schedules *nobody holds*, so while another worker holds the dispatch
        schedule (for a moment, or for good when it was killed or stopped holding it) it
        has no time to wake at and waits for a notice that never comes; its every later
        dispatch would be lost. The nudge makes it try again, and it takes the schedule
        over once the holder's lease has expired.
        """
        from uuid import uuid4

        from apscheduler import JobAdded, ScheduleUpdated

        while True:
            await asyncio.sleep(every)
            broker = self.scheduler.event_broker
            await broker.publish_local(
                JobAdded(job_id=uuid4(), task_id="linkdir-poll", schedule_id=None)
            )
            await broker.publish_local(
                ScheduleUpdated(
                    schedule_id="linkdir-poll", task_id="linkdir-poll", next_fire_time=utcnow()
                )
            )

    async def _release_schedules(self) -> None:
        """Give back the schedules this worker holds as it stops (APScheduler cancels its
        schedule processing between taking a schedule and giving it back, e.g. when a
        worker started beside it replaces the schedules and wakes it while it drains), so
        the other workers fire them at once instead of after the lease."""
        with anyio.CancelScope(shield=True), anyio.move_on_after(RELEASE_SECONDS):
            try:
                async with self.db_engine.begin() as connection:
                    await connection.execute(
                        text(
                            f"UPDATE {SCHEDULER_SCHEMA}.schedules"
                            " SET acquired_by = NULL, acquired_until = NULL"
                            " WHERE acquired_by = :me"
                        ),
                        {"me": self.worker},
                    )
            except Exception:  # the others take it over once the lease has expired
                log.warning("could not give the schedules back", exc_info=True)

    async def add_job(self, task: str, args: list[Any]) -> None:
        """Queue one job of ``task`` with plain ``args`` (ids, strings, numbers)."""
        if self.scheduler is None:
            raise RuntimeError("the check runner is not running")
        await self.scheduler.add_job(task, args=args)

    # -- jobs ------------------------------------------------------------------------------

    async def dispatch(self) -> int:
        """Claim due resources and add check jobs of a few hosts each; returns the jobs added.

        Each dispatch that claims anything is one ``scheduled`` check run: its jobs, on
        whichever workers take them, count their checks into it.
        """
        from linkdir.checks.jobs import claim_time, take_requested_runs

        if self.stopping:
            return 0
        with self._job():
            now = utcnow()
            limit = self.settings.dispatch_batch
            claim_for = claim_time(self.settings, limit)
            claimed_until = now + claim_for
            until = claimed_until.isoformat()
            run_id: int | None = None
            more = False
            added = 0
            async with self.factory() as session:
                await runs.close_cut_short(session, now=now)
                batches = await service.claim_due(
                    session, now=now, limit=limit, claim_for=claim_for, worker=self.worker
                )
                if batches:
                    claimed = sum(len(items) for items in batches.values())
                    # Links left due (over the limit, or more of a host just leased): each
                    # job dispatches again when its hosts are free (see check_batch).
                    more = claimed >= limit or await service.due_on_leased_hosts(session, now=now)
                    run = await runs.start_run(
                        session,
                        scope="scheduled",
                        total=claimed,
                        now=now,
                        worker=self.worker,
                        claimed_until=claimed_until,
                    )
                    run_id = run.id
                await runs.snapshot_health(session, today=now.date())
                requested = await take_requested_runs(session, self.worker)
                if not self.settings.is_sqlite:
                    # Queued before the claims commit, so a dispatcher that dies between the
                    # two leaves no claim without its job: its transaction rolls back, and
                    # jobs already queued find nothing claimed. A job waits for the claim's
                    # transaction to end first (the claim lock; _check_batch).
                    added = await self._add_batches(batches, until, run_id, more)
                await session.commit()
            if self.settings.is_sqlite:  # one process: its jobs die with it in any case
                added = await self._add_batches(batches, until, run_id, more)
            for requested_id, everything in requested:
                await self.add_job(TASK_MANUAL_RUN, [requested_id, everything])
            return added

    async def _add_batches(
        self,
        batches: dict[str, list[service.Claimed]],
        until: str,
        run_id: int | None,
        more: bool,
    ) -> int:
        """Queue a dispatch's host batches as jobs of a few hosts each; the jobs added."""
        per_job, _jobs = job_hosts(self.settings)
        added = 0
        for hosts, ids in job_groups(batches, per_job):
            await self.add_job(TASK_CHECK_BATCH, [ids, until, run_id, hosts, more])
            added += 1
        return added

    async def check_batch(
        self,
        resource_ids: list[int],
        claimed_until: datetime | str,
        run_id: int | None = None,
        host: str | list[str] | None = None,
        more: bool = False,
    ) -> dict[str, int]:
        """Check claimed resources of a few hosts, record the results, give the hosts back.

        ``claimed_until`` fences the claim: a resource whose ``next_check_at`` is no longer
        that moment was checked or claimed again since (a job that ran late, or again after
        its worker died). Links that were fine last time are asked conditionally (ETag,
        Last-Modified), so an unchanged page costs the server a 304. ``host`` names the
        hosts (one, as jobs queued by earlier versions do, or a list); each host's lease,
        taken with the claims, ends when its last link is recorded, so the next dispatch may
        claim it again while the job's slower hosts are still checked. Links left unchecked
        (the worker is stopping) are due again at once. ``more``: the dispatch left due
        links behind, so this job's end (its hosts free again) asks for the next dispatch
        at once instead of at the next scheduled one.
        """
        until = moment(claimed_until)
        with self._job():
            try:
                if self.stopping:
                    return {}
                return await self._check_batch(resource_ids, until, run_id)
            finally:
                # Shielded: a job cancelled at shutdown still gives its links and host back.
                with anyio.CancelScope(shield=True), anyio.move_on_after(RELEASE_SECONDS):
                    async with self.factory() as session:
                        released = await service.release_claims(
                            session, resource_ids, claimed_until=until, now=utcnow()
                        )
                        if run_id is not None and released:
                            await _count_released(session, run_id, released)
                        if host is None:
                            hosts = select(col(Resource.host)).where(
                                col(Resource.id).in_(resource_ids)
                            )
                            leased = set((await session.execute(hosts)).scalars())
                        else:
                            leased = {host} if isinstance(host, str) else set(host)
                        await service.release_hosts(session, leased, until=until)
                        await session.commit()
                    if released:
                        log.info("gave back %d unchecked link(s) of %s", len(released), host)
                if more and not self.stopping:
                    self._dispatch_soon.set()

    async def _check_batch(
        self, resource_ids: list[int], claimed_until: datetime, run_id: int | None
    ) -> dict[str, int]:
        from linkdir.checks.jobs import HostsLeft, record_chunk

        urls: dict[str, int] = {}
        host_of: dict[int, str] = {}

        claims = select(
            col(Resource.id), col(Resource.host), col(Resource.url), *service.KNOWN_COLUMNS
        ).where(col(Resource.id).in_(resource_ids), col(Resource.next_check_at) == claimed_until)
        async with self.factory() as session:
            rows = (await session.execute(claims)).all()
            if len(rows) < len(resource_ids) and is_postgresql(session):
                # Its dispatch queues it before the claims commit (see dispatch): wait for
                # that transaction to end (it holds the claim lock), then read again. Only
                # then: waiting every time held each job up behind any dispatch going on,
                # a whole wave of jobs behind the one their ends asked for.
                await session.execute(select(func.pg_advisory_xact_lock_shared(service.CLAIM_LOCK)))
                rows = (await session.execute(claims)).all()
            if run_id is not None and await session.get(CheckRun, run_id) is None:
                run_id = None  # the run was deleted meanwhile: check, but count nowhere
            answers = await service.known_answers(session, [(r[0], *r[2:]) for r in rows])
            for resource_id, host, url, *_ in rows:
                assert resource_id is not None
                urls[url] = resource_id
                host_of[resource_id] = host
            conditions = {url: answers[id_] for url, id_ in urls.items() if id_ in answers}
            if run_id is not None and len(urls) < len(resource_ids):
                fenced = set(resource_ids) - set(urls.values())
                await runs.count_fenced(session, run_id, sorted(fenced), now=utcnow())
                await session.commit()
        counts: Counter[str] = Counter()
        left = HostsLeft(host_of)
        async with self._job_engine() as checker:
            results = checker.check_many(list(urls), conditions=conditions)
            chunks = in_chunks(
                results, self._abort, size=self.record_chunk, every=self.record_every
            )
            async for chunk in chunks:
                recorded = await record_chunk(
                    self.factory,
                    self.settings,
                    [service.Checked(urls[result.url], result, at) for result, at in chunk],
                    worker=self.worker,
                    run_id=run_id,
                    claimed_until=claimed_until,
                    release=left.finish(urls[result.url] for result, _at in chunk),
                )
                counts.update(
                    result.status for result, _at in chunk if urls[result.url] in recorded.hosts
                )
        return dict(counts)

    async def manual_run(self, run_id: int, everything: bool) -> dict[str, int]:
        """A run a curator started (API or report): one foreground-style cycle here."""
        from linkdir.checks.jobs import hand_back_run, run_cycle

        if self.stopping:
            async with self.factory() as session:  # give it back to the next dispatch
                await hand_back_run(session, run_id)
                await session.commit()
            return {}
        with self._job():
            async with self.factory() as session:
                recorded = await session.get(CheckRun, run_id)
                if recorded is None or recorded.finished_at is not None:
                    return {}  # deleted, or given up on and finished meanwhile
            # The runner's own checking process (one concurrency bound with its jobs, and
            # no second process to start), or a checker here when it has none.
            async with self._job_engine() as checker:
                run = await run_cycle(
                    self.factory,
                    self.settings,
                    everything=everything,
                    engine_config=self.engine_config,
                    worker=self.worker,
                    run_id=run_id,
                    stop=self._abort,
                    engine=checker,
                )
            return dict(run.counts)


async def _dispatch_job(runner: CheckRunner) -> int:
    return await runner.dispatch()


async def _count_released(session: AsyncSession, run_id: int, released: list[int]) -> None:
    # Handed to a later dispatch: this run is done with them (counted once, like a skip).
    if await session.get(CheckRun, run_id) is not None:
        await runs.count_skipped(session, run_id, released, now=utcnow())


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
