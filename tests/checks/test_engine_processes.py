"""The engine in processes of its own (issue 18): `linkdir check --engine-processes N`
checks in N child processes and records in the parent, over real loopback servers."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.conftest import PG_URL, first_dispatch_done, make_resource
from tests.linkdir_cli import base_env, run, started

from linkdir.checker import Checker, EngineConfig
from linkdir.checks.engine_process import EngineDied, EngineProcesses
from linkdir.checks.models import CheckLease, CheckResult, CheckRun
from linkdir.checks.runner import CheckRunner
from linkdir.db import create_engine, utcnow
from linkdir.resources.models import Resource

PAGE = (
    "<html><head><title>Läsfrämjande</title></head><body><main>"
    "<p>En rapport om läsfrämjande arbete på folkbibliotek i hela landet, med siffror.</p>"
    "</main></body></html>"
)


def pages(count: int, delay: float) -> dict[str, Any]:
    from tests.checks.conftest import Reply

    return {f"/sida-{n}": Reply(200, PAGE.encode(), delay=delay) for n in range(count)}


async def history(session: Any) -> Counter[int]:
    session.expire_all()
    rows = await session.execute(select(CheckResult.resource_id))
    return Counter(rows.scalars())


async def test_check_all_with_two_engine_processes_records_every_link_once(
    web, session, database_url
):
    sites = [
        web.site(
            f"127.0.231.{n}",
            pages(8, delay=0.02),
            ip=f"127.0.231.{n}",
            fallback=web.html("Sidan finns inte", status=404),
        )  # fmt: skip
        for n in range(2, 8)
    ]
    ids = []
    for site in sites:
        for page in range(8):
            ids.append((await make_resource(session, url=site.url(f"/sida-{page}"))).id)
        ids.append((await make_resource(session, url=site.url("/borta"))).id)
    await session.commit()

    done = run(
        ["check", "--all", "--engine-processes", "2"],
        base_env(database_url, LINKDIR_CHECKER_PER_HOST="2"),
    )
    assert done.returncode == 0, done.stderr
    assert "checked 54 links: ok 48, moved 0, broken 6, unverified 0" in done.stdout
    assert await history(session) == Counter(dict.fromkeys(ids, 1))
    for site in sites:  # a host's links all went to one process: two connections at most
        assert 1 <= site.counter.max_open <= 2
        assert len(site.hits("/borta")) == 1
    [cycle] = (await session.execute(select(CheckRun))).scalars()
    assert (cycle.scope, cycle.total, cycle.done) == ("all", 54, 54)
    assert cycle.finished_at is not None
    statuses = Counter((await session.execute(select(Resource.link_status))).scalars())
    assert statuses == {"ok": 48, "unchecked": 6}  # a 404 is a suspect after one failure
    assert (await session.execute(select(func.count()).select_from(CheckLease))).scalar_one() == 0


async def test_the_check_command_ends_with_its_summary_told_and_its_checking_process_gone(
    web, session, database_url
):
    # The real console script: `linkdir check` ends without Python's teardown (issue 18),
    # so what it printed must still reach a pipe, and its child must be gone before it.
    site = web.site("127.0.233.2", pages(12, delay=0.05), ip="127.0.233.2")
    ids = [(await make_resource(session, url=site.url(f"/sida-{n}"))).id for n in range(12)]
    await session.commit()
    children: list[int] = []
    with started(["check", "--all", "--engine-processes", "1"], base_env(database_url)) as process:
        deadline = time.monotonic() + 30
        while not children and process.poll() is None and time.monotonic() < deadline:
            children = _children(process.pid)
            time.sleep(0.01)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert out.strip().splitlines()[-1] == (
        "checked 12 links: ok 12, moved 0, broken 0, unverified 0"
    )
    assert "checked 12/12" in err  # the progress lines on stderr too
    [child] = children
    assert not Path(f"/proc/{child}").exists()  # ended and reaped, not left behind
    assert await history(session) == Counter(dict.fromkeys(ids, 1))


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


@pytest.mark.slow
async def test_a_killed_engine_process_fails_the_run_loudly_and_loses_no_link(
    web, session, database_url
):
    site = web.site("127.0.232.2", pages(40, delay=0.15), ip="127.0.232.2")
    ids = [(await make_resource(session, url=site.url(f"/sida-{n}"))).id for n in range(40)]
    await session.commit()
    env = base_env(database_url, LINKDIR_CHECKER_PER_HOST="1", LINKDIR_LOG_LEVEL="warning")
    with started(["check", "--all", "--engine-processes", "1"], env) as process:
        deadline = time.monotonic() + 60
        while not sum((await history(session)).values()):  # some links recorded
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "nothing was recorded in 60 s"
            await session.commit()
            await asyncio.sleep(0.1)
        [child] = _children(process.pid)
        os.kill(child, signal.SIGKILL)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 1, (out, err)
    assert "a checking process ended" in err and "due again" in err
    await session.commit()

    checked = await history(session)
    assert 0 < len(checked) < len(ids) and set(checked.values()) == {1}
    now = utcnow()
    session.expire_all()
    rows = (await session.execute(select(Resource.id, Resource.next_check_at))).all()
    unchecked = [resource_id for resource_id, _ in rows if resource_id not in checked]
    # What the killed process had not checked is due again at once, its host given back.
    assert all(due <= now for resource_id, due in rows if resource_id in unchecked)
    assert all(
        due > now + timedelta(hours=1) for resource_id, due in rows if resource_id in checked
    )
    assert (await session.execute(select(func.count()).select_from(CheckLease))).scalar_one() == 0
    await session.commit()

    again = run(["check", "--engine-processes", "1"], env)
    assert again.returncode == 0, again.stderr
    assert f"checked {len(unchecked)} links" in again.stdout
    assert await history(session) == Counter(dict.fromkeys(ids, 1))


async def test_results_from_an_engine_process_are_the_engine_s_own(web):
    def page(request: Any) -> Any:
        return web.Reply(
            200,
            PAGE.encode(),
            headers=[("ETag", '"v7"'), ("Last-Modified", "Tue, 01 Dec 2026 10:00:00 GMT")],
        )

    site = web.site(
        "127.0.233.2",
        {"/sida": page, "/flyttad": web.redirect("/sida", 301), "/borta": web.html("x", 410)},
        ip="127.0.233.2",
    )
    urls = [site.url("/sida"), site.url("/flyttad"), site.url("/borta"), "http://[::1"]
    config = EngineConfig(allow_networks=("127.0.0.0/8",), timeout=6.0, probe_soft_404=False)
    async with Checker(config) as checker:
        here = {r.url: r async for r in checker.check_many(urls)}
    async with EngineProcesses(config, 2) as engine:
        there = {r.url: r async for r in engine.check_many(urls)}

    def same(result: Any) -> Any:
        return dataclasses.replace(result, elapsed_ms=0, checked_at=here[urls[0]].checked_at)

    assert set(there) == set(urls)
    assert {url: same(r) for url, r in there.items()} == {url: same(r) for url, r in here.items()}
    assert there[urls[0]].fingerprint is not None and there[urls[0]].etag == '"v7"'
    assert there[urls[1]].status == "moved" and there[urls[2]].status == "broken"


async def _all_closed(site: Any, *, within: float) -> bool:
    """Whether the server has seen every connection to ``site`` closed within ``within`` s."""
    deadline = time.monotonic() + within
    while site.counter.open and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    return site.counter.open == 0


async def test_a_job_s_host_is_left_with_no_connection_as_soon_as_its_links_are_done(web):
    """A worker's checking process (issue 18): a host's idle connections close with its last
    link of a job, before the results say it is done (recording them ends the host's lease)
    and while the job's slower hosts are still checked; the process's soft-404 probe of the
    host serves its next job too (one made-up path asked, not one a job)."""
    quick = web.site(
        "127.0.236.2", pages(4, 0.0), ip="127.0.236.2",
        fallback=web.html("Sidan finns inte", status=404),
    )  # fmt: skip
    slow = web.site("127.0.236.3", pages(1, 3.0), ip="127.0.236.3")
    config = EngineConfig(allow_networks=("127.0.0.0/8",), timeout=10.0)
    async with EngineProcesses(config, 1, per_request=True) as engine:
        first = [quick.url("/sida-0"), quick.url("/sida-1"), slow.url("/sida-0")]
        results = engine.check_many(first)
        got = [await anext(results), await anext(results)]
        assert {r.url for r in got} == set(first[:2])
        # The server sees our end of the socket shortly after; the slow host takes 3 s.
        assert await _all_closed(quick, within=2), "the quick host's connections outlived its links"
        assert (await anext(results)).url == first[2]
        later = [r.status async for r in engine.check_many([quick.url("/sida-2")])]
        assert later == ["ok"]
        assert await _all_closed(quick, within=2)
    probes = [r for r in quick.requests if "linkdir-probe" in r.path]
    assert len(probes) == 1, [r.path for r in probes]
    assert [len(quick.hits(f"/sida-{n}")) for n in range(3)] == [1, 1, 1]


async def test_a_long_lived_checker_asks_a_host_s_made_up_path_again_after_a_while(
    web, monkeypatch
):
    from linkdir.checker import probe

    site = web.site(
        "127.0.236.4", pages(3, 0.0), ip="127.0.236.4",
        fallback=web.html("Sidan finns inte", status=404),
    )  # fmt: skip
    config = EngineConfig(allow_networks=("127.0.0.0/8",), timeout=10.0)

    def probes() -> int:
        return sum("linkdir-probe" in r.path for r in site.requests)

    async with Checker(config) as checker:
        for n in range(2):
            assert (await checker.check(site.url(f"/sida-{n}"))).status == "ok"
        assert probes() == 1, "one made-up path per host and directory"
        monkeypatch.setattr(probe, "PROBE_TTL", 0.0)
        await asyncio.sleep(0.01)
        assert (await checker.check(site.url("/sida-2"))).status == "ok"
        assert probes() == 2, "an old answer about made-up paths is not trusted forever"


async def test_checks_in_flight_fail_when_the_engine_process_dies(web):
    site = web.site("127.0.234.2", ip="127.0.234.2", fallback=web.html(PAGE, delay=1.0))
    config = EngineConfig(allow_networks=("127.0.0.0/8",), timeout=10.0)
    async with EngineProcesses(config, 1) as engine:
        results = engine.check_many([site.url("/sida")])
        waiting = asyncio.ensure_future(anext(results))
        while not site.hits():
            await asyncio.sleep(0.02)
        os.kill(engine.pids[0], signal.SIGKILL)
        try:
            await asyncio.wait_for(waiting, 10)
        except EngineDied as error:
            assert "exit status -9" in str(error)
        else:
            raise AssertionError("a dead engine process gave a result")
        try:
            await anext(engine.check_many([site.url("/annan")]))
        except EngineDied:
            pass
        else:
            raise AssertionError("a dead engine process took new checks")
    await asyncio.sleep(1.2)  # the server's answer goes out (to nobody) before it closes


async def test_a_running_worker_s_jobs_leave_no_connection_open_behind_them(web, session, settings):
    """A host's next batch may go to another worker: a job's connections end with it, though
    the checking process lives on (issue 18; one checker kept across jobs left them open)."""
    site = web.site(
        "127.0.235.2", {"/sida": web.html(PAGE)}, ip="127.0.235.2",
        fallback=web.html("Sidan finns inte", status=404),
    )  # fmt: skip
    resource = await make_resource(session, url=site.url("/sida"))
    # Not due until the test says so: the runner's own first dispatch must find nothing.
    await session.execute(
        Resource.__table__.update().values(next_check_at=utcnow() + timedelta(days=30))  # type: ignore[attr-defined]
    )
    await session.commit()
    from tests.checks.test_runs import claim_all

    async with worker_runner(settings, "test:1") as runner:
        await first_dispatch_done(runner)
        for _ in range(2):
            await session.execute(
                Resource.__table__.update().values(next_check_at=utcnow())  # type: ignore[attr-defined]
            )
            await session.commit()
            ids, claimed_until = await claim_all(session, settings)
            assert ids == [resource.id]
            assert await runner.check_batch(ids, claimed_until) == {"ok": 1}
            assert await _all_closed(site, within=5)
            # A checking process that dies between jobs is started again for the next one.
            [child] = _checking_processes()
            os.kill(child, signal.SIGKILL)
            while Path(f"/proc/{child}/cmdline").exists() and _children(os.getpid()).count(child):
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.2)
    assert len(site.hits("/sida")) == 2


@contextlib.asynccontextmanager
async def worker_runner(settings: Any, name: str) -> AsyncIterator[CheckRunner]:
    """A running worker's runner with one checking process (dispatches an hour apart)."""
    engine = create_engine(settings.database_url)
    runner = CheckRunner(
        settings, engine, worker=name, dispatch_every=timedelta(hours=1), engine_processes=1
    )
    running = asyncio.create_task(runner.run())
    try:
        await asyncio.wait_for(runner.started.wait(), 30)
        yield runner
    finally:
        await runner.stop()
        await running
        await engine.dispose()


async def links_not_due(session: Any, site: Any, count: int) -> None:
    """``count`` links of ``site`` (``/sida-N``), none of them due for a month."""
    for n in range(count):
        await make_resource(session, url=site.url(f"/sida-{n}"))
    await session.execute(
        Resource.__table__.update().values(next_check_at=utcnow() + timedelta(days=30))  # type: ignore[attr-defined]
    )
    await session.commit()


async def run_finished(
    session: Any, run: CheckRun, seconds: float, meanwhile: Any = None
) -> CheckRun:
    """``run`` as recorded once it has finished (``meanwhile()`` called while it goes);
    fails when it has not within ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        if meanwhile is not None:
            meanwhile()
        session.expunge_all()
        done = await session.get(CheckRun, run.id)
        await session.commit()
        if done is not None and done.finished_at is not None:
            return done
        assert time.monotonic() < deadline, f"run {run.id} not finished in {seconds} s"
        await asyncio.sleep(0.05)


def _checking_processes() -> list[int]:
    return [
        pid
        for pid in _children(os.getpid())
        if b"linkdir.checks.engine_process" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]


async def test_a_curator_started_run_on_a_worker_uses_the_worker_s_checking_process(
    web, session, settings
):
    """One process and one concurrency bound for the worker's jobs and a run it takes."""
    from linkdir.checks import jobs

    site = web.site("127.0.235.3", pages(6, delay=0.3), ip="127.0.235.3")
    await links_not_due(session, site, 6)
    seen: set[int] = set()
    async with worker_runner(settings, "test:3") as runner:
        await first_dispatch_done(runner)
        run = await jobs.start_manual_run(
            settings, runner.db_engine, everything=True, runner=runner
        )
        # While the run is checking (six links, 0.3 s each, two at a time).
        done = await run_finished(
            session, run, 60, meanwhile=lambda: seen.update(_checking_processes())
        )
    assert done.done == 6 and done.counts == {"ok": 6, "moved": 0, "broken": 0, "unverified": 0}
    assert len(seen) == 1, f"checking processes seen during the run: {sorted(seen)}"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.skipif(not PG_URL, reason="web nodes hand runs to workers on PostgreSQL")
async def test_a_run_a_web_node_hands_to_the_workers_starts_at_once(web, session, settings):
    """A curator starts a run on a web node (no scheduler there): a worker takes it within
    moments, not at its next scheduled dispatch (an hour away here; a minute by default)."""
    from linkdir.checks import jobs

    site = web.site("127.0.235.4", pages(3, delay=0.05), ip="127.0.235.4")
    await links_not_due(session, site, 3)
    web_node = create_engine(settings.database_url)
    try:
        async with worker_runner(settings, "test:4") as runner:
            await first_dispatch_done(runner)
            run = await jobs.start_manual_run(settings, web_node, everything=True)
            assert run.worker == "", "waiting for a worker to take it"
            done = await run_finished(session, run, 15)  # not the dispatch an hour away
    finally:
        await web_node.dispose()
    assert (done.worker, done.done) == ("test:4", 3)
    assert all(len(site.hits(f"/sida-{n}")) == 1 for n in range(3))


async def test_a_worker_starts_its_checking_process_before_its_first_job(settings):
    """It imports the engine while the worker waits for work, not while due links wait;
    and it ends with the worker."""
    async with worker_runner(settings, "test:2"):
        assert len(_checking_processes()) == 1, "no checking process before the first job"
    deadline = time.monotonic() + 10
    while _checking_processes() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert _checking_processes() == []
