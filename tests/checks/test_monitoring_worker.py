"""`linkdir worker`: the APScheduler 4 dispatch schedule and host-batch check jobs."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time

import pytest
from sqlalchemy import func, select
from tests.conftest import make_resource
from tests.test_cli import LINKDIR, base_env

from linkdir.checks.models import CheckResult, CheckRun
from linkdir.resources.models import Resource

PAGE = (
    b"<html><head><title>Rapport</title></head>"
    b"<body><main><p>Om bibliotek och l\xc3\xa4sning.</p></main></body></html>"
)


def start_worker(database_url: str, *, every: int, batch: int) -> subprocess.Popen[str]:
    """`linkdir worker` with one connection per host and ``batch`` links per dispatch."""
    return subprocess.Popen(
        [LINKDIR, "worker", "--dispatch-every", str(every)],
        env=base_env(database_url, LINKDIR_DISPATCH_BATCH=str(batch), LINKDIR_CHECKER_PER_HOST="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop_worker(process: subprocess.Popen[str]) -> str:
    """Stop it as Ctrl-C does (killed if it hangs); what it wrote to stderr."""
    process.send_signal(signal.SIGINT)
    try:
        _out, errors = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        _out, errors = process.communicate(timeout=5)
    return errors


async def count_until(session, statement, wanted: int, *, seconds: float) -> int:
    """Poll ``statement`` (a count) every 0.5 s until it reaches ``wanted`` or time is up."""
    deadline = time.monotonic() + seconds
    counted = 0
    while time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        session.expunge_all()
        counted = (await session.execute(statement)).scalar_one()
        await session.commit()
        if counted >= wanted:
            break
    return counted


@pytest.mark.slow
async def test_a_worker_dispatches_due_links_by_host_and_checks_each_once(
    web, session, database_url
):
    sites = [
        web.site(f"127.0.203.{n}", {f"/sida{i}": web.Reply(200, PAGE) for i in range(3)},
                 ip=f"127.0.203.{n}")
        for n in (2, 3)
    ]  # fmt: skip
    for site in sites:
        for i in range(3):
            await make_resource(session, url=site.url(f"/sida{i}"))
    await session.commit()
    # Two links per dispatch: a host's third link waits for its first batch to end.
    process = start_worker(database_url, every=1, batch=2)
    try:
        statement = (
            select(func.count()).select_from(Resource).where(Resource.last_checked_at.is_not(None))
        )
        checked = await count_until(session, statement, 6, seconds=60)
        if checked == 6:
            await asyncio.sleep(2)  # two more dispatch runs find nothing due
    finally:
        errors = stop_worker(process)
    assert checked == 6, f"checked {checked} of 6: {errors}"
    assert "Traceback" not in errors, errors
    for site in sites:
        for i in range(3):
            assert len(site.hits(f"/sida{i}")) == 1
        assert site.counter.max_open == 1, "one connection per host, across batches"
    history = await session.execute(select(func.count()).select_from(CheckResult))
    assert history.scalar_one() == 6
    statuses = (await session.execute(select(Resource.link_status))).scalars().all()
    assert set(statuses) == {"ok"}


@pytest.mark.slow
async def test_a_backlog_drains_without_waiting_for_the_next_scheduled_dispatch(
    web, session, database_url
):
    """More due links than one dispatch may claim: when a job's hosts are free again it
    asks for the next dispatch at once, so the rest are checked in seconds, not one
    dispatch batch per minute (the schedule's interval here)."""
    sites = [
        web.site(f"127.0.203.{n}", {f"/sida{i}": web.Reply(200, PAGE) for i in range(6)},
                 ip=f"127.0.203.{n}")
        for n in (4, 5)
    ]  # fmt: skip
    for site in sites:
        for i in range(6):
            await make_resource(session, url=site.url(f"/sida{i}"))
    await session.commit()
    # Four links per dispatch: 12 need three dispatches, and the schedule has one (after
    # 60 s; the test gives up at 40).
    process = start_worker(database_url, every=60, batch=4)
    try:
        statement = select(func.count()).select_from(CheckResult)
        checked = await count_until(session, statement, 12, seconds=40)
    finally:
        errors = stop_worker(process)
    assert checked == 12, f"checked {checked} of 12 before the next scheduled dispatch: {errors}"
    assert "Traceback" not in errors, errors
    for site in sites:
        assert all(len(site.hits(f"/sida{i}")) == 1 for i in range(6)), "each link once"
        assert site.counter.max_open == 1, "one connection per host, across dispatches"
    runs = (
        (await session.execute(select(CheckRun.total).where(CheckRun.scope == "scheduled")))
        .scalars()
        .all()
    )
    assert sum(runs) == 12 and len(runs) >= 3, runs  # each link in exactly one dispatch
