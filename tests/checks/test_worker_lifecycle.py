"""A worker's life: JSON (never pickle) in the job store, NOTIFY between workers, a clean
stop on SIGTERM that gives leases back at once, and heartbeats for health checks."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import subprocess
import time
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from tests.conftest import PG_URL, make_resource
from tests.test_cli import LINKDIR, base_env

from linkdir.checks.models import CheckLease, CheckResult, WorkerHeartbeat
from linkdir.checks.runner import PlainJSONSerializer
from linkdir.db import utcnow
from linkdir.resources.models import Resource

PAGE = b"<html><head><title>Sida</title></head><body><main><p>Text.</p></main></body></html>"
needs_postgresql = [
    pytest.mark.skipif(not PG_URL, reason="the shared job store is PostgreSQL's"),
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]


def start_worker(database_url: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [LINKDIR, "worker", "--dispatch-every", "1"],
        env=base_env(database_url, LINKDIR_LOG_LEVEL="info", **env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def worker_name(process: subprocess.Popen[str]) -> str:
    return f"{os.uname().nodename}:{process.pid}"


async def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


async def scalar(session: Any, statement: Any) -> Any:
    session.expunge_all()
    value = (await session.execute(statement)).scalar()
    await session.commit()
    return value


def kill(process: subprocess.Popen[str]) -> str:
    if process.poll() is None:
        process.kill()
    return process.communicate(timeout=10)[1] or ""


async def slow_links(web: Any, session: Any, hosts: int, per_host: int, delay: float) -> list[int]:
    ids = []
    for n in range(hosts):
        ip = f"127.0.207.{n + 2}"
        site = web.site(ip, {f"/s{i}": web.Reply(200, PAGE, delay=delay) for i in range(per_host)},
                        ip=ip)  # fmt: skip
        for i in range(per_host):
            ids.append((await make_resource(session, url=site.url(f"/s{i}"))).id)
    await session.commit()
    return ids


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.skipif(not PG_URL, reason="the shared job store is PostgreSQL's")
async def test_the_job_store_holds_plain_json_and_never_a_pickle(web, session, database_url):
    # One job at a time (2 connections, 2 per host): the second host's batch waits in the
    # table long enough to be read.
    await slow_links(web, session, hosts=2, per_host=3, delay=1.0)
    process = start_worker(
        database_url, LINKDIR_CHECKER_CONCURRENCY="2", LINKDIR_CHECKER_PER_HOST="2"
    )
    try:

        async def jobs_stored() -> bool:
            with contextlib.suppress(Exception):
                count = "SELECT count(*) FROM linkdir_scheduler.jobs WHERE task_id = :task"
                return bool(
                    await scalar(session, text(count).bindparams(task="linkdir.check_batch"))
                )
            await session.rollback()
            return False

        await wait_for(jobs_stored, 30, "check jobs in the job store")
        rows = (
            await session.execute(text("SELECT task_id, args, kwargs FROM linkdir_scheduler.jobs"))
        ).all()
        schedules = (
            await session.execute(text("SELECT id, trigger, args FROM linkdir_scheduler.schedules"))
        ).all()
        await session.commit()
    finally:
        kill(process)
    for task_id, args, kwargs in rows:
        assert not bytes(args).startswith(b"\x80"), "a pickle in the job table"
        decoded = json.loads(bytes(args))
        if task_id == "linkdir.check_batch":
            ids, claimed_until, _run_id, hosts, more = decoded  # a job holds a few hosts (#18)
            assert all(isinstance(i, int) for i in ids)
            assert isinstance(more, bool)
            assert isinstance(claimed_until, str)
            assert hosts and all(host.startswith("127.0.207.") for host in hosts)
        assert "_apscheduler_json" not in bytes(args).decode(), "only plain values as arguments"
        assert json.loads(bytes(kwargs)) == {}
    # Only the dispatch is shared; suggestions and mail are each process's loops.
    assert [row[0] for row in schedules] == ["linkdir-dispatch"]
    for _id, trigger, _args in schedules:
        assert not bytes(trigger).startswith(b"\x80"), "a pickle in the schedule table"
        kind = json.loads(bytes(trigger))["_apscheduler_json"][0]
        assert kind == "apscheduler.triggers.interval:IntervalTrigger"


class Tripwire:
    """Stands for code someone who can write the job table would like a worker to run."""

    ran: list[Any] = []

    def __setstate__(self, state: Any) -> None:
        Tripwire.ran.append(state)


def test_the_serializer_refuses_to_rebuild_anything_but_apscheduler_triggers():
    serializer = PlainJSONSerializer()
    from apscheduler import DeserializationError, SerializationError

    ref = f"{__name__}:Tripwire"
    hostile = json.dumps([[1], {"_apscheduler_json": [ref, {"cmd": "id"}]}])
    with pytest.raises(DeserializationError):
        serializer.deserialize(hostile.encode())
    assert Tripwire.ran == []
    with pytest.raises(SerializationError):
        serializer.serialize([logging.getLogger("x")])
    assert serializer.deserialize(serializer.serialize([[1, 2], "2026-12-01T10:00:00+00:00"])) == [
        [1, 2],
        "2026-12-01T10:00:00+00:00",
    ]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.skipif(not PG_URL, reason="LISTEN/NOTIFY is PostgreSQL's")
async def test_a_job_one_worker_adds_is_heard_by_another_through_notify(database_url):
    """Fails when the broker drops notifications (APScheduler 4.0.0a6 with anyio >= 4.10)."""
    from uuid import uuid4

    from apscheduler import JobAdded

    from linkdir.checks.broker import ListeningAsyncpgEventBroker
    from linkdir.db import create_engine

    engine = create_engine(database_url)
    heard: list[Any] = []
    got = asyncio.Event()

    async def receive(event: Any) -> None:
        heard.append(event)
        got.set()

    try:
        async with contextlib.AsyncExitStack() as stack:
            sender = ListeningAsyncpgEventBroker.from_async_sqla_engine(engine)
            listener = ListeningAsyncpgEventBroker.from_async_sqla_engine(engine)
            await sender.start(stack, logging.getLogger("test.sender"))
            await listener.start(stack, logging.getLogger("test.listener"))
            listener.subscribe(receive, {JobAdded})
            job_id = uuid4()
            # Sent from this process to itself through PostgreSQL: the listener's only way
            # to hear it is the notification.
            await sender.publish(JobAdded(job_id=job_id, task_id="t", schedule_id=None))
            await asyncio.wait_for(got.wait(), 15)
    finally:
        await engine.dispose()
    assert any(getattr(event, "job_id", None) == job_id for event in heard)


@pytest.mark.slow
async def test_sigterm_mid_batch_gives_leases_back_at_once_and_loses_nothing(
    web, session, database_url
):
    # Two hosts, ten slow links each, one connection per host: a batch takes ~4 s, far
    # longer than the 1 s grace period (the stop comes after its first checks).
    ids = await slow_links(web, session, hosts=2, per_host=10, delay=0.4)
    started = utcnow() - timedelta(seconds=1)
    env = {
        "LINKDIR_CHECKER_PER_HOST": "1",
        "LINKDIR_SHUTDOWN_GRACE": "1",
    }
    first = start_worker(database_url, **env)
    checked = select(func.count()).select_from(CheckResult)
    try:
        await wait_for(lambda: _at_least(session, checked, 2), 60, "the first checks")
        first.send_signal(signal.SIGTERM)
        _out, errors = first.communicate(timeout=40)
    finally:
        errors_if_killed = kill(first) if first.poll() is None else ""
    assert first.returncode == 0, errors + errors_if_killed
    assert "Traceback" not in errors, errors
    assert "gave back" in errors
    # At once: no lease left, every unchecked link due now (not after its claim expires).
    now = utcnow()
    assert await scalar(session, select(func.count()).select_from(CheckLease)) == 0
    done_by_first = await scalar(session, checked)
    assert done_by_first < len(ids), "the stop came mid-batch"
    later = (
        select(func.count())
        .select_from(Resource)
        .where(Resource.last_checked_at.is_(None), Resource.next_check_at > now)
    )
    assert await scalar(session, later) == 0, "unchecked links still claimed"
    gone = select(func.count()).select_from(WorkerHeartbeat)
    assert await scalar(session, gone) == 0, "a cleanly stopped worker leaves no heartbeat"
    if database_url.startswith("postgresql"):
        held = text("SELECT task_id, args FROM linkdir_scheduler.jobs WHERE acquired_by = :me")
        jobs_held = (await session.execute(held.bindparams(me=worker_name(first)))).all()
        await session.commit()
        assert jobs_held == [], errors

    # Nothing lost: another worker checks the rest, each link exactly once in all.
    second = start_worker(database_url, LINKDIR_CHECKER_PER_HOST="2")
    try:
        await wait_for(lambda: _at_least(session, checked, len(ids)), 90, "the rest")
        await asyncio.sleep(1.5)
    finally:
        second.send_signal(signal.SIGINT)
        try:
            second.communicate(timeout=40)
        finally:
            kill(second)
    session.expunge_all()
    rows = await session.execute(
        select(CheckResult.resource_id).where(CheckResult.checked_at >= started)
    )
    per_link = Counter(int(r[0]) for r in rows.all())
    assert set(per_link) == set(ids) and set(per_link.values()) == {1}


async def _at_least(session: Any, statement: Any, count: int) -> bool:
    return int(await scalar(session, statement) or 0) >= count


async def test_another_domain_registers_a_schedule_and_its_job_gets_the_runner(session, settings):
    from apscheduler.triggers.interval import IntervalTrigger

    from linkdir.checks.runner import CheckRunner
    from linkdir.db import create_engine

    engine = create_engine(settings.database_url)
    seen: list[Any] = []
    ran = asyncio.Event()

    async def digest(runner: Any) -> None:
        async with runner.factory() as job_session:  # what a digest job would do
            await job_session.execute(text("SELECT 1"))
        seen.append(runner)
        ran.set()

    runner = CheckRunner(settings, engine, dispatch_every=timedelta(hours=1))
    runner.add_schedule("test-digest", digest, IntervalTrigger(seconds=0.5))
    running = asyncio.create_task(runner.run())
    try:
        await asyncio.wait_for(ran.wait(), 30)
        # The heartbeat and the job start together; under load the job may come first.
        await asyncio.wait_for(runner.beaten.wait(), 30)
        beat = select(func.count()).select_from(WorkerHeartbeat)
        assert await scalar(session, beat) == 1
    finally:
        await runner.stop()
        await asyncio.wait_for(running, 30)
        await engine.dispose()
    assert seen[0] is runner
    assert await scalar(session, select(func.count()).select_from(WorkerHeartbeat)) == 0


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.skipif(not PG_URL, reason="the shared job store is PostgreSQL's")
async def test_the_job_lease_setting_is_the_schedulers_lease(database_url: str) -> None:
    """LINKDIR_JOB_LEASE: how long a killed worker's jobs wait before another takes them
    (tests/checks/test_workers_scale_out.py kills one with a 4 s lease)."""
    from tests.conftest import make_settings

    from linkdir.checks.runner import CheckRunner
    from linkdir.db import create_engine

    engine = create_engine(database_url)
    try:
        settings = make_settings(database_url, job_lease=timedelta(seconds=7))
        scheduler = CheckRunner(settings, engine)._build_scheduler()
        assert scheduler.lease_duration == timedelta(seconds=7)
        default = CheckRunner(make_settings(database_url), engine)._build_scheduler()
        assert default.lease_duration == timedelta(seconds=30)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.skipif(not PG_URL, reason="the shared job store is PostgreSQL's")
async def test_workers_go_on_dispatching_when_one_dies_or_stops_holding_the_dispatch(
    web, session, database_url
):
    """A worker killed (or stopped) while it held the dispatch schedule: the others take it
    over once its lease is over, and a worker that stops gives what it holds back at once.
    (APScheduler 4.0.0a6 alone waits for good: it sleeps until the next fire time of the
    schedules nobody holds, and there is none; found when a worker started beside a
    stopping one never dispatched.)"""
    from tests.conftest import make_settings

    from linkdir.checks.runner import DISPATCH_SCHEDULE, CheckRunner
    from linkdir.db import create_engine

    schedule = text(
        "SELECT acquired_by FROM linkdir_scheduler.schedules WHERE id = :id"
    ).bindparams(id=DISPATCH_SCHEDULE)
    hold = text(
        "UPDATE linkdir_scheduler.schedules SET acquired_by = :holder,"
        " acquired_until = now() + make_interval(secs => :lease),"
        " next_fire_time = now() + make_interval(secs => :fires) WHERE id = :id"
    )
    checked = select(func.count()).select_from(CheckResult)
    engine = create_engine(database_url)
    settings = make_settings(database_url)
    runner = CheckRunner(
        settings, engine, worker="test:alive", dispatch_every=timedelta(seconds=0.5)
    )
    running = asyncio.create_task(runner.run())
    try:
        await asyncio.wait_for(runner.started.wait(), 30)
        # A worker that died holding it, due now, its lease 2 s more: the live one looks,
        # finds it held, and has nothing left to wake up for.
        await session.execute(
            hold.bindparams(holder="test:killed", lease=2.0, fires=0.0, id=DISPATCH_SCHEDULE)
        )
        await session.commit()
        await asyncio.sleep(1.0)
        await slow_links(web, session, hosts=1, per_host=2, delay=0)
        await wait_for(lambda: _at_least(session, checked, 2), 20, "the live worker's dispatch")
        # It holds the schedule as it stops (its next fire an hour away): given back.
        await session.execute(
            hold.bindparams(holder="test:alive", lease=3600.0, fires=3600.0, id=DISPATCH_SCHEDULE)
        )
        await session.commit()
    finally:
        await runner.stop()
        await asyncio.wait_for(running, 30)
        await engine.dispose()
    assert await scalar(session, schedule) is None


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.skipif(not PG_URL, reason="the claim lock is PostgreSQL's")
async def test_a_job_waits_for_its_own_dispatch_to_commit_and_for_no_other(
    web, session, database_url
):
    """A dispatch queues its jobs before its claims commit: a job that starts first waits
    for that transaction, then checks what it claimed. A job whose claims are committed
    does not wait behind another dispatch holding the claim lock (it did: each wave of jobs
    waited for the dispatch that the ends of the wave before had asked for)."""
    from sqlalchemy import update
    from tests.conftest import make_settings

    from linkdir.checks import service
    from linkdir.checks.runner import CheckRunner
    from linkdir.db import create_engine, session_factory

    ip = "127.0.207.40"
    site = web.site(ip, {f"/s{i}": web.Reply(200, PAGE) for i in range(4)}, ip=ip)
    ids = [(await make_resource(session, url=site.url(f"/s{i}"))).id for i in range(4)]
    later = utcnow() + timedelta(days=1)
    await session.execute(update(Resource).values(next_check_at=later))
    await session.commit()
    engine = create_engine(database_url)
    factory = session_factory(engine)
    runner = CheckRunner(make_settings(database_url), engine, worker="test:jobs")
    claim_for = timedelta(minutes=5)

    async def claim(dispatcher: Any, some: list[int]) -> tuple[list[int], Any, list[str]]:
        now = utcnow()
        due = update(Resource).where(Resource.id.in_(some)).values(next_check_at=now)  # type: ignore[attr-defined]
        await dispatcher.execute(due)
        batches = await service.claim_due(
            dispatcher, now=now, limit=10, claim_for=claim_for, worker="test:jobs"
        )
        claimed = [item.resource_id for items in batches.values() for item in items]
        return claimed, now + claim_for, list(batches)

    try:
        async with factory() as dispatcher:  # its own dispatch, not committed yet
            claimed, until, hosts = await claim(dispatcher, ids[:2])
            job = asyncio.create_task(runner.check_batch(claimed, until, None, hosts))
            await asyncio.sleep(0.5)
            assert not job.done() and site.hits() == [], "it waits for the claims"
            await dispatcher.commit()
        assert sum((await asyncio.wait_for(job, 20)).values()) == 2
        async with factory() as dispatcher:
            claimed, until, hosts = await claim(dispatcher, ids[2:])
            await dispatcher.commit()
        async with factory() as other:  # another dispatch going on meanwhile
            await other.execute(select(func.pg_advisory_xact_lock(service.CLAIM_LOCK)))
            counts = await asyncio.wait_for(runner.check_batch(claimed, until, None, hosts), 10)
            await other.rollback()
        assert sum(counts.values()) == 2
    finally:
        await engine.dispose()
    checked = select(func.count()).select_from(CheckResult)
    assert await scalar(session, checked) == 4
