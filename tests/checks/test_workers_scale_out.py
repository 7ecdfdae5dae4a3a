"""Scale-out on PostgreSQL (DESIGN §5): two `linkdir worker` processes share one cycle of
200 links on 10 loopback hosts, keep per-host politeness across both, and lose nothing
when one of them is killed with SIGKILL in the middle of a cycle."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, update
from tests.conftest import PG_URL, make_resource, make_settings
from tests.test_cli import LINKDIR, base_env

from linkdir.app import create_app
from linkdir.checks.models import CheckResult, CheckRun
from linkdir.db import utcnow
from linkdir.resources.models import Resource

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not PG_URL, reason="scale-out needs PostgreSQL (LINKDIR_TEST_DATABASE_URL)"),
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]

HOSTS = 10
PER_HOST = 20
PAGE = (
    b"<html><head><title>Sida</title></head>"
    b"<body><main><p>Om l\xc3\xa4sning.</p></main></body></html>"
)


def start_worker(database_url: str) -> subprocess.Popen[str]:
    env = base_env(
        database_url,
        LINKDIR_CHECKER_PER_HOST="2",
        # 10 connections, 2 per host: each worker takes at most 5 host batches at once,
        # so the 10 batches of a cycle must be shared.
        LINKDIR_CHECKER_CONCURRENCY="10",
        # A cycle takes five dispatches, each claiming four links of every host: a host
        # must still see one batch at a time (its lease) across dispatches and workers.
        LINKDIR_DISPATCH_BATCH="40",
        # The killed worker's jobs are taken over when their lease ends: 4 s, not 30 s
        # (a live worker renews its leases every half of that).
        LINKDIR_JOB_LEASE="4",
        LINKDIR_LOG_LEVEL="warning",
    )
    return subprocess.Popen(
        [LINKDIR, "worker", "--dispatch-every", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(process: subprocess.Popen[str]) -> str:
    """Stop a worker as an operator would (SIGINT); its stderr."""
    try:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        return process.communicate(timeout=30)[1] or ""
    except (subprocess.TimeoutExpired, ValueError):
        return "worker did not stop on SIGINT within 30 s"
    finally:
        if process.poll() is None:  # never leave a worker behind to take the next test's jobs
            process.kill()
            process.wait(timeout=10)


async def history_since(session: Any, since: Any) -> list[tuple[int, str]]:
    session.expunge_all()
    rows = await session.execute(
        select(CheckResult.resource_id, CheckResult.worker).where(CheckResult.checked_at >= since)
    )
    await session.commit()
    return [(int(r[0]), str(r[1])) for r in rows.all()]


async def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


async def scheduler_state(session: Any) -> str:
    """APScheduler's jobs, for a failure message."""
    from sqlalchemy import text

    rows = await session.execute(
        text(
            "SELECT task_id, acquired_by, acquired_until FROM linkdir_scheduler.jobs"
            " ORDER BY created_at"
        )
    )
    await session.commit()
    return "\n".join(str(tuple(row)) for row in rows)


async def test_two_workers_share_a_cycle_politely_and_survive_a_kill(web, session, database_url):
    delay = {"value": 0.1}  # a host batch takes over a second

    def page(request: Any) -> Any:
        return web.Reply(200, PAGE, delay=delay["value"])

    sites = [
        web.site(ip, {f"/sida{i}": page for i in range(PER_HOST)}, ip=ip)
        for ip in (f"127.0.205.{n}" for n in range(2, 2 + HOSTS))
    ]
    ids = []
    for i in range(PER_HOST):  # round-robin over the hosts, as claims take them in id order
        for site in sites:
            ids.append((await make_resource(session, url=site.url(f"/sida{i}"))).id)
    await session.commit()
    total = HOSTS * PER_HOST

    def resource_hits() -> Counter[str]:
        return Counter(
            f"{site.ip}{r.path}"
            for site in sites
            for r in site.requests
            if r.path.startswith("/sida")
        )

    workers = [start_worker(database_url), start_worker(database_url)]
    names = {f"{os.uname().nodename}:{w.pid}" for w in workers}
    errors: list[str] = []
    try:
        # Cycle 1: both workers, nothing killed.
        cycle_one = utcnow() - timedelta(seconds=1)

        async def all_checked() -> bool:
            return len(await history_since(session, cycle_one)) >= total

        try:
            await wait_for(all_checked, 120, "the first cycle")
        except AssertionError:
            for process in workers:
                process.send_signal(signal.SIGINT)
            raise AssertionError(
                await scheduler_state(session)
                + "".join(p.communicate(timeout=30)[1][-3000:] for p in workers)
            ) from None
        await asyncio.sleep(2)  # later dispatches find nothing due
        history = await history_since(session, cycle_one)
        assert len(history) == total and len({rid for rid, _ in history}) == total
        hits = resource_hits()
        assert len(hits) == total and set(hits.values()) == {1}, "each link fetched once"
        if {worker for _, worker in history} != names:
            for process in workers:
                process.send_signal(signal.SIGUSR1)
            await asyncio.sleep(2)
            for process in workers:
                process.send_signal(signal.SIGINT)
            raise AssertionError("".join(p.communicate(timeout=30)[1][-20000:] for p in workers))
        for site in sites:
            assert site.counter.max_open <= 2, f"{site.ip}: {site.counter.max_open} at once"

        # Cycle 2: every link due again, slower answers; one worker is killed midway.
        for site in sites:
            site.requests.clear()
            site.counter.max_open = 0
        delay["value"] = 0.25
        cycle_two = utcnow()
        await session.execute(update(Resource).values(next_check_at=cycle_two))
        await session.commit()
        by_name = {f"{os.uname().nodename}:{w.pid}": w for w in workers}

        async def some_checked() -> bool:
            return len(await history_since(session, cycle_two)) >= 40

        await wait_for(some_checked, 60, "the second cycle to start")
        busiest = Counter(w for _, w in await history_since(session, cycle_two)).most_common(1)
        victim = by_name[busiest[0][0]]
        survivor = next(w for w in workers if w is not victim)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        killed_at = len(await history_since(session, cycle_two))
        assert killed_at < total, "the kill came mid-cycle"

        async def cycle_two_done() -> bool:
            return len({rid for rid, _ in await history_since(session, cycle_two)}) >= total

        # The dead worker's host batches are taken over once their job leases expire.
        try:
            await wait_for(cycle_two_done, 150, "the survivor to finish the cycle")
        except AssertionError:
            survivor.send_signal(signal.SIGUSR1)
            await asyncio.sleep(2)
            survivor.send_signal(signal.SIGINT)
            raise AssertionError(
                await scheduler_state(session)
                + f"\nchecked {len(await history_since(session, cycle_two))}\n"
                + survivor.communicate(timeout=30)[1][-30000:]
            ) from None
        await asyncio.sleep(2)
        history = await history_since(session, cycle_two)
        per_resource = Counter(rid for rid, _ in history)
        assert set(per_resource) == set(ids), "no link lost"
        assert set(per_resource.values()) == {1}, "no duplicate history rows"
        hits = resource_hits()
        assert len(hits) == total
        # A link whose answer the victim had not yet recorded is fetched again; no more: the
        # requests in flight (2 per host) and the results waiting in its unwritten chunk.
        from linkdir.checks.runner import RECORD_CHUNK

        assert sum(hits.values()) - total <= 5 * 2 + RECORD_CHUNK
        for site in sites:
            assert site.counter.max_open <= 2, f"{site.ip}: {site.counter.max_open} at once"
        session.expunge_all()
        scheduled = (
            (
                await session.execute(
                    select(CheckRun).where(
                        CheckRun.scope == "scheduled", CheckRun.started_at >= cycle_two
                    )
                )
            )
            .scalars()
            .all()
        )
        await session.commit()
        assert sum(run.total for run in scheduled) == total
        assert all(run.finished_at is not None and run.done == run.total for run in scheduled)

        # A run a curator starts on a web node (no scheduler there) is taken by a worker.
        settings = make_settings(database_url)
        async with AsyncTestClient(app=create_app(settings)) as client:
            from tests.conftest import make_editor

            _user, token = await make_editor(session)
            headers = {"Authorization": f"Bearer {token}"}
            started = await client.post(
                "/api/v1/checks/runs", json={"scope": "due"}, headers=headers
            )
            assert started.status_code == 202, started.text
            run_id = started.json()["id"]
            # Not this web node: nobody yet, or (told at once through NOTIFY) the survivor.
            taker = f"{os.uname().nodename}:{survivor.pid}"
            assert started.json()["worker"] in ("", taker), started.json()

            async def taken_and_finished() -> bool:
                body = (await client.get(f"/api/v1/checks/runs/{run_id}", headers=headers)).json()
                return bool(body["worker"]) and not body["running"]

            await wait_for(taken_and_finished, 30, "a worker to take the requested run")
            body = (await client.get(f"/api/v1/checks/runs/{run_id}", headers=headers)).json()
            assert body["worker"] == taker, body
    finally:
        for process in workers:
            errors.append(stop(process))
    for text in errors:
        assert "Traceback" not in text, text
    survivor_count = await session.execute(select(func.count()).select_from(CheckResult))
    assert survivor_count.scalar_one() == 2 * total
