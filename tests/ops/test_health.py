"""Health endpoints and `linkdir healthcheck --worker`: what a load balancer, an
orchestrator and a container runtime ask of linkdir."""

from __future__ import annotations

import asyncio
import socket
from datetime import timedelta

from litestar.testing import AsyncTestClient
from sqlalchemy import text

from linkdir.app import create_app
from linkdir.checks.models import WorkerHeartbeat
from linkdir.db import utcnow
from tests.conftest import in_app_loop, make_settings
from tests.test_cli import base_env, run


async def test_live_and_ready_answer_when_the_database_is_migrated(client):
    live = await client.get("/health/live")
    assert live.status_code == 200 and live.json()["status"] == "ok"
    ready = await client.get("/health/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ok", "database": "ok", "migrations": "ok"}
    assert ready.headers["cache-control"] == "no-store"
    old = await client.get("/health")  # kept for compatibility
    assert old.status_code == 200 and old.json()["database"] is True


async def test_ready_says_503_while_the_database_lags_behind_the_code(client, session):
    (head,) = (await session.execute(text("SELECT version_num FROM alembic_version"))).one()
    await session.execute(text("UPDATE alembic_version SET version_num = '0006'"))
    await session.commit()
    try:
        ready = await client.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json()["migrations"] == "behind"
        assert (await client.get("/health/live")).status_code == 200
    finally:
        await session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
        await session.commit()


async def test_ready_says_a_database_that_was_never_migrated_answers_but_is_behind(tmp_path):
    # It answers: the load balancer's operator should look at the migrations, not the
    # database server (this said "database: unavailable" before).
    app = create_app(make_settings(f"sqlite+aiosqlite:///{tmp_path}/empty.db"))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        ready = await client.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json() == {"status": "unavailable", "database": "ok", "migrations": "behind"}


async def test_ready_includes_the_in_process_schedulers_heartbeat(settings):
    app = create_app(settings, run_scheduler=True)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        runner = app.state.check_runner
        # The runner's events belong to the app's loop (the client's portal): wait there.
        await in_app_loop(client, asyncio.wait_for, runner.beaten.wait(), 20)
        ready = await client.get("/health/ready")
        assert ready.status_code == 200, ready.text
        assert ready.json()["scheduler"] == "ok"
        # A scheduler whose last beat is old is hung: not ready.
        # (A beat that was still being written under load may land in between: set it again.)
        for _ in range(5):
            runner.last_beat = utcnow() - timedelta(minutes=5)
            stale = await client.get("/health/ready")
            if stale.status_code == 503:
                break
        assert stale.status_code == 503 and stale.json()["scheduler"] == "stale"


async def test_healthcheck_worker_fails_when_this_machines_worker_beat_is_stale(
    session, database_url
):
    env = base_env(database_url)
    none_yet = run(["healthcheck", "--worker"], env)
    assert none_yet.returncode == 1 and "no worker" in none_yet.stderr
    assert run(["healthcheck"], env).returncode == 0, "without --worker the database suffices"
    name = f"{socket.gethostname()}:4242"
    now = utcnow()
    session.add(
        WorkerHeartbeat(worker=name, started_at=now - timedelta(hours=1),
                        beat_at=now - timedelta(minutes=2))
    )  # fmt: skip
    await session.commit()
    stale = run(["healthcheck", "--worker"], env)
    assert stale.returncode == 1
    assert f"worker {name} last beat" in stale.stderr and "hung" in stale.stderr
    beat = await session.get(WorkerHeartbeat, name)
    beat.beat_at = utcnow()
    await session.commit()
    fresh = run(["healthcheck", "--worker"], env)
    assert fresh.returncode == 0, fresh.stderr
    # Another machine's worker says nothing about this one.
    beat.worker = "elsewhere:1"
    await session.commit()
    assert run(["healthcheck", "--worker"], env).returncode == 1


async def test_health_says_503_when_the_database_does_not_answer(refused_port):
    # A database address where connections are refused for sure (a port held, not listening).
    settings = make_settings(f"postgresql+asyncpg://postgres@127.0.0.1:{refused_port}/none")
    app = create_app(settings)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        old = await client.get("/health")
        assert old.status_code == 503, old.text
        assert old.json()["database"] is False and old.json()["status"] == "unavailable"
        assert old.headers["cache-control"] == "no-store"
        ready = await client.get("/health/ready")
        assert ready.status_code == 503 and ready.json()["database"] != "ok"
        # The process itself is alive: restarting it would not bring the database back.
        assert (await client.get("/health/live")).status_code == 200
