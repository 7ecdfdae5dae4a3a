"""`linkdir worker`: the APScheduler 4 dispatch schedule and host-batch check jobs."""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import subprocess
import time
from datetime import timedelta

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
    process = subprocess.Popen(
        [LINKDIR, "worker", "--dispatch-every", "1"],
        # Two links per dispatch: a host's third link waits for its first batch to end.
        env=base_env(database_url, LINKDIR_DISPATCH_BATCH="2", LINKDIR_CHECKER_PER_HOST="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        checked = 0
        while time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            session.expunge_all()
            statement = (
                select(func.count())
                .select_from(Resource)
                .where(Resource.last_checked_at.is_not(None))
            )
            checked = (await session.execute(statement)).scalar_one()
            await session.commit()
            if checked == 6:
                break
        if checked != 6:
            process.kill()
            raise AssertionError(f"checked {checked} of 6: {process.communicate(timeout=5)[1]}")
        await asyncio.sleep(2)  # two more dispatch runs find nothing due
    finally:
        process.send_signal(signal.SIGINT)
        try:
            _out, errors = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            _out, errors = process.communicate(timeout=5)
    assert "Traceback" not in errors, errors
    for site in sites:
        for i in range(3):
            assert len(site.hits(f"/sida{i}")) == 1
        assert site.counter.max_open == 1, "one connection per host, across batches"
    history = await session.execute(select(func.count()).select_from(CheckResult))
    assert history.scalar_one() == 6
    statuses = (await session.execute(select(Resource.link_status))).scalars().all()
    assert set(statuses) == {"ok"}


async def test_a_backlog_larger_than_a_dispatch_drains_without_waiting_for_the_next_one(
    web, session, settings
):
    """One dispatch claims two links and the next is an hour away: each check job claims
    the next due links as it ends (issue 18), until none are left, all in one run."""
    from linkdir.checks.runner import CheckRunner
    from linkdir.db import create_engine

    sites = [
        web.site(ip, {f"/s{i}": web.Reply(200, PAGE) for i in range(3)}, ip=ip)
        for ip in ("127.0.211.2", "127.0.211.3")
    ]
    for site in sites:
        for i in range(3):
            await make_resource(session, url=site.url(f"/s{i}"))
    await session.commit()
    settings = dataclasses.replace(settings, dispatch_batch=2, checker_per_host=1)
    engine = create_engine(settings.database_url)
    runner = CheckRunner(settings, engine, dispatch_every=timedelta(hours=1))
    running = asyncio.create_task(runner.run())
    history = select(func.count()).select_from(CheckResult)
    try:
        for _ in range(300):
            session.expunge_all()
            checked = (await session.execute(history)).scalar_one()
            await session.commit()
            if checked == 6:
                break
            await asyncio.sleep(0.1)
    finally:
        await runner.stop()
        await asyncio.wait_for(running, 30)
        await engine.dispose()
    assert checked == 6, "the links after the first dispatch's two waited for the next one"
    for site in sites:
        assert [len(site.hits(f"/s{i}")) for i in range(3)] == [1, 1, 1]
        assert site.counter.max_open == 1, "one connection per host, across follow-ups"
    session.expunge_all()
    scheduled = (await session.execute(select(CheckRun))).scalars().all()
    assert [(run.scope, run.total, run.done) for run in scheduled] == [("scheduled", 6, 6)]
    assert scheduled[0].finished_at is not None
    assert scheduled[0].counts == {"ok": 6, "moved": 0, "broken": 0, "unverified": 0}
