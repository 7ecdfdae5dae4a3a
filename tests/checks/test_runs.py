"""Check runs: progress counted in the database, the runs page and API, conditional checks,
and the chart of link health over time."""

from __future__ import annotations

import asyncio
import contextlib
import re
from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from tests.checks.test_report import signed_in
from tests.conftest import PG_URL, first_dispatch_done, in_app_loop, make_resource

from linkdir.app import create_app
from linkdir.checks import jobs, runs
from linkdir.checks import service as monitoring
from linkdir.checks.models import CheckResult, CheckRun
from linkdir.checks.runner import CheckRunner
from linkdir.db import create_engine, session_factory, utcnow
from linkdir.resources.models import Resource

PAGE = b"<html><head><title>Rapport</title></head><body><main><p>Text.</p></main></body></html>"


@contextlib.asynccontextmanager
async def runtime(settings: Any) -> Any:
    """What check jobs need, as `linkdir worker` sets it up."""
    engine = create_engine(settings.database_url)
    try:
        yield CheckRunner(settings, engine, worker="test:1")
    finally:
        await engine.dispose()


async def claim_all(session: Any, settings: Any) -> tuple[list[int], Any]:
    now = utcnow()
    claim_for = jobs.claim_time(settings, 100)
    batches = await monitoring.claim_due(session, now=now, limit=100, claim_for=claim_for)
    await session.commit()
    return [c.resource_id for items in batches.values() for c in items], now + claim_for


async def test_scheduled_checks_ask_conditionally_so_an_unchanged_page_costs_a_304(
    web, session, settings
):
    def page(request: Any) -> Any:
        if request.headers.get("if-none-match") == '"v1"':
            return web.Reply(304, b"", headers=[("ETag", '"v1"')])
        return web.Reply(200, PAGE, headers=[("ETag", '"v1"')])

    site = web.site("127.0.204.2", {"/rapport": page}, ip="127.0.204.2")
    resource = await make_resource(session, url=site.url("/rapport"))
    await session.commit()
    async with runtime(settings) as runner:
        for _ in range(2):
            ids, claimed_until = await claim_all(session, settings)
            assert ids == [resource.id]
            await runner.check_batch(ids, claimed_until)
            await session.execute(
                Resource.__table__.update().values(next_check_at=utcnow() - timedelta(seconds=1))
            )
            await session.commit()
    gets = site.hits("/rapport", method="GET")
    assert [r.headers.get("if-none-match") for r in gets] == [None, '"v1"']
    session.expunge_all()
    stored = await session.get(Resource, resource.id)
    assert stored.link_status == "ok" and stored.etag == '"v1"'
    reasons = (await session.execute(select(CheckResult.reason).order_by(CheckResult.id))).all()
    assert [r[0] for r in reasons][-1] == "not_modified"


async def test_a_broken_link_is_never_asked_conditionally(web, session, settings):
    site = web.site(
        "127.0.204.3",
        {"/borta": web.Reply(404, b"nope", headers=[("ETag", '"e404"')])},
        ip="127.0.204.3",
    )
    await make_resource(session, url=site.url("/borta"))
    await session.commit()
    async with runtime(settings) as runner:
        for _ in range(2):
            ids, claimed_until = await claim_all(session, settings)
            await runner.check_batch(ids, claimed_until)
            await session.execute(
                Resource.__table__.update().values(next_check_at=utcnow() - timedelta(seconds=1))
            )
            await session.commit()
    gets = site.hits("/borta", method="GET")
    assert len(gets) == 2  # checked twice, so the second check could have asked conditionally
    assert [r.headers.get("if-none-match") for r in gets] == [None, None]


async def test_a_foreground_run_asks_links_that_were_fine_conditionally_too(web, session, settings):
    """`linkdir check` and curator-started runs are as polite as a worker's batches."""

    def page(request: Any) -> Any:
        if request.headers.get("if-none-match") == '"v1"':
            return web.Reply(304, b"", headers=[("ETag", '"v1"')])
        return web.Reply(200, PAGE, headers=[("ETag", '"v1"')])

    site = web.site(
        "127.0.204.20",
        {"/rapport": page, "/borta": web.Reply(404, b"nope", headers=[("ETag", '"e404"')])},
        ip="127.0.204.20",
    )
    fine = await make_resource(session, url=site.url("/rapport"))
    await make_resource(session, url=site.url("/borta"))
    await session.commit()
    engine = create_engine(settings.database_url)
    try:
        for _ in range(2):
            await jobs.run_cycle(session_factory(engine), settings, everything=True)
    finally:
        await engine.dispose()
    asked = {
        path: [r.headers.get("if-none-match") for r in site.hits(path, method="GET")]
        for path in ("/rapport", "/borta")
    }
    assert asked == {"/rapport": [None, '"v1"'], "/borta": [None, None]}
    session.expunge_all()
    stored = await session.get(Resource, fine.id)
    assert (stored.link_status, stored.reason) == ("ok", "not_modified")


async def test_a_scheduled_run_counts_every_check_and_fenced_links_once(web, session, settings):
    site = web.site(
        "127.0.204.4",
        {f"/s{i}": web.Reply(200, PAGE) for i in range(4)} | {"/x": web.Reply(404)},
        ip="127.0.204.4",
    )
    for path in ("/s0", "/s1", "/s2", "/s3", "/x"):
        await make_resource(session, url=site.url(path))
    await session.commit()
    async with runtime(settings) as runner:
        ids, claimed_until = await claim_all(session, settings)
        run = await runs.start_run(
            session, scope="scheduled", total=len(ids), now=utcnow(), claimed_until=claimed_until
        )
        await session.commit()
        # One link was checked by someone else since the claim: the fence skips it.
        await session.execute(
            Resource.__table__.update()
            .where(Resource.__table__.c.id == ids[0])
            .values(next_check_at=claimed_until + timedelta(days=1))
        )
        await session.commit()
        await runner.check_batch(ids, claimed_until, run.id)
        # The same job again (its worker died before APScheduler heard it finish): no
        # check is repeated and nothing is counted twice.
        await runner.check_batch(ids, claimed_until, run.id)
    view = await runs.get_run(session, run.id)
    assert view is not None
    assert (view.run.done, view.run.total) == (5, 5)
    assert view.run.finished_at is not None and not view.cut_short
    assert view.counts == {"ok": 3, "moved": 0, "broken": 1, "unverified": 0}
    assert [len(site.hits(f"/s{i}", method="GET")) for i in range(4)] == [0, 1, 1, 1]


async def test_a_run_whose_claims_expired_is_shown_cut_short(session):
    now = utcnow()
    run = await runs.start_run(
        session, scope="scheduled", total=10, now=now - timedelta(hours=1),
        claimed_until=now - timedelta(minutes=5),
    )  # fmt: skip
    await session.commit()
    assert await runs.close_cut_short(session, now=now) == 1
    await session.commit()
    view = await runs.get_run(session, run.id)
    assert view is not None and view.cut_short and not view.running


async def wait_finished(client: Any, run_id: int, headers: dict[str, str]) -> dict[str, Any]:
    for _ in range(200):
        body = (await client.get(f"/api/v1/checks/runs/{run_id}", headers=headers)).json()
        if not body["running"]:
            return dict(body)
        await asyncio.sleep(0.1)
    raise AssertionError(f"run {run_id} did not finish: {body}")


async def test_a_curator_starts_a_run_from_the_api_and_follows_its_progress(
    web, session, settings, auth_headers_factory
):
    site = web.site(
        "127.0.204.5",
        {"/a": web.Reply(200, PAGE), "/b": web.Reply(410)},
        ip="127.0.204.5",
    )
    for path in ("/a", "/b"):
        resource = await make_resource(session, url=site.url(path))
        resource.next_check_at = utcnow() + timedelta(days=3)  # not due: "all" still checks
    await session.commit()
    headers = await auth_headers_factory()
    # `linkdir serve`: the app runs the schedule in-process and hands the run to it.
    app = create_app(settings, run_scheduler=True)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        runner = app.state.check_runner  # its events belong to the app's loop: wait there
        await in_app_loop(client, asyncio.wait_for, runner.started.wait(), 10)
        # Its first dispatch would find the links due once the run makes them due, check
        # them itself and leave the run nothing to count (it did, under load).
        await in_app_loop(client, first_dispatch_done, runner)
        started = await client.post("/api/v1/checks/runs", json={"scope": "all"}, headers=headers)
        assert started.status_code == 202, started.text
        run_id = started.json()["id"]
        assert started.headers["location"] == f"/api/v1/checks/runs/{run_id}"
        body = await wait_finished(client, run_id, headers)
        listing = (await client.get("/api/v1/checks/runs", headers=headers)).json()
    assert body["scope"] == "all" and body["total"] == 2 and body["done"] == 2
    assert body["counts"] == {"ok": 1, "moved": 0, "broken": 1, "unverified": 0}
    assert listing["items"][0]["id"] == run_id and listing["running"] == 0
    assert len(site.hits("/a", method="GET")) == 1


async def test_the_runs_api_refuses_bad_input_and_strangers(client, session, auth_headers_factory):
    assert (await client.get("/api/v1/checks/runs")).status_code == 401
    assert (await client.post("/api/v1/checks/runs", json={"scope": "all"})).status_code == 401
    headers = await auth_headers_factory()
    wrong = await client.post("/api/v1/checks/runs", json={"scope": "ibland"}, headers=headers)
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "scope"
    unknown = await client.post("/api/v1/checks/runs", json={"omfang": "all"}, headers=headers)
    assert unknown.status_code == 400
    assert (await client.get("/api/v1/checks/runs/999999", headers=headers)).status_code == 404
    # A curator-started run is still going: a second one would check links twice.
    session.add(CheckRun(scope="all", started_at=utcnow(), total=10))
    await session.commit()
    again = await client.post("/api/v1/checks/runs", json={"scope": "due"}, headers=headers)
    assert again.status_code == 409
    assert "pågår fortfarande" in again.json()["errors"][0]["message"]  # Swedish by default


async def test_the_runs_page_starts_a_run_and_shows_it_finished(web, client, session, database_url):
    site = web.site("127.0.204.6", {"/sida": web.Reply(200, PAGE)}, ip="127.0.204.6")
    await make_resource(session, url=site.url("/sida"))
    await session.commit()
    csrf = await signed_in(client, session)
    page = await client.get("/manage/checks?lang=en")
    assert page.status_code == 200 and "No run is going." in page.text
    # A forged token starts nothing, on either database: sent while no run is going, so
    # the token check is all that stands between it and a new run.
    bad = await client.post(
        "/manage/checks", data={"scope": "due", "csrf_token": "forged"}, follow_redirects=False
    )
    assert bad.status_code == 403
    assert (await session.execute(select(CheckRun.id))).all() == []
    response = await client.post(
        "/manage/checks", data={"scope": "due", "csrf_token": csrf}, follow_redirects=False
    )
    assert response.status_code == 303
    assert "started=" in response.headers["location"]
    run_id = int(response.headers["location"].rsplit("=", 1)[1])
    if database_url.startswith("postgresql"):
        # A web node without a scheduler: the run waits for the next dispatch on a worker
        # (tests/checks/test_workers_scale_out.py follows one to the end).
        page = await client.get("/manage/checks?lang=en")
        assert "waiting for a worker" in page.text
        return
    for _ in range(200):
        run = await session.get(CheckRun, run_id)
        await session.refresh(run)
        if run.finished_at is not None:
            break
        await asyncio.sleep(0.1)
    page = await client.get("/manage/checks?lang=en")
    assert "1 of 1 links" in page.text and "finished" in page.text
    # A run counts checks: a failed check is not a broken link (the report's word), so the
    # columns say what the checks did, as the report's checks-per-day chart does.
    heads = re.findall(r'<th scope="col">([^<]+)</th>', page.text)
    assert {"Worked", "Failed", "Could not be verified"} <= set(heads), heads
    assert "Broken" not in heads and "Works" not in heads
    swedish = (await client.get("/manage/checks?lang=sv")).text
    assert '<th scope="col">Misslyckades</th>' in swedish
    assert 'data-label="Fungerade">1</td>' in swedish


async def test_the_report_charts_link_health_over_time_with_a_table(client, session):
    for status in ("ok", "ok", "broken", "moved"):
        resource = await make_resource(session)
        resource.link_status = status
    await session.commit()
    await runs.snapshot_health(session, today=utcnow().date())
    await session.commit()
    await signed_in(client, session)
    page = (await client.get("/manage/links?lang=en")).text
    assert "Link health, last 90 days" in page
    assert 'aria-labelledby="health-svg-title health-svg-desc"' in page
    # The table alternative has today's numbers: 2 ok, 1 moved, 0 unverified, 0 suspect, 1 broken.
    assert "<td>2</td><td>1</td><td>0</td><td>0</td><td>1</td><td>0</td>" in page


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.skipif(not PG_URL, reason="the dispatch's order is PostgreSQL's")
async def test_a_job_queued_before_its_dispatch_commits_waits_for_the_claims(
    web, session, settings
):
    """On PostgreSQL a dispatch queues its jobs before its claims commit (a dispatcher that
    dies between the two then leaves no claim without a job): a job a worker picks up at
    once must wait for the claims, not find nothing and leave them waiting for expiry."""
    site = web.site("127.0.204.9", {"/rapport": web.Reply(200, PAGE)}, ip="127.0.204.9")
    resource = await make_resource(session, url=site.url("/rapport"))
    await session.commit()
    now = utcnow()
    claim_for = jobs.claim_time(settings, 100)
    async with runtime(settings) as runner:
        # The dispatch's transaction: claimed, not yet committed.
        batches = await monitoring.claim_due(session, now=now, limit=100, claim_for=claim_for)
        assert [c.resource_id for items in batches.values() for c in items] == [resource.id]
        job = asyncio.create_task(runner.check_batch([resource.id], now + claim_for))
        await asyncio.sleep(0.5)
        assert not job.done(), "the job ran before the claims it checks were committed"
        await session.commit()
        counts = await asyncio.wait_for(job, 20)
    assert counts == {"ok": 1}
    assert len(site.hits("/rapport")) == 1
