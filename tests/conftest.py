"""Shared fixtures: real databases (SQLite always, PostgreSQL when configured), apps, factories.

Every test that asks for ``database_url`` (directly or through ``session``, ``app`` or
``client``) runs on SQLite, and once more on PostgreSQL when ``LINKDIR_TEST_DATABASE_URL``
is set and the database matters to it: the modules in ``POSTGRES_AREAS`` (search, claims,
monitoring, runs, reports, migrations, import, fuzz, scale-out, sign-in throttling) or a
test marked ``both_databases``. Under ``CI=true`` a missing PostgreSQL is an error, not a
skip. The schema always comes from the Alembic migrations.

Under pytest-xdist each worker has a PostgreSQL database of its own, cloned with
``CREATE DATABASE ... TEMPLATE`` from one migrated template that the controller builds
before the workers start; their names are the configured database's name plus ``_tpl``
and ``_gw0``, ``_gw1``, ... (``_main`` without xdist). The controller drops them all at
the end (``.ci/run`` drops them too). ``LINKDIR_TEST_DATABASE_URL`` is rewritten to the
worker's own database, so ``linkdir`` processes a test starts use it as well.
"""

from __future__ import annotations

import asyncio
import functools
import os
import secrets
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir.app import create_app
from linkdir.auth.service import create_token, create_user
from linkdir.config import Settings
from linkdir.db import create_engine, session_factory, upgrade
from linkdir.resources import service

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
TEST_SECRET = "test-secret-" + secrets.token_urlsafe(32)
# The database CI (or you) configured; each process works in a clone of its template.
BASE_PG_URL = os.environ.get("LINKDIR_TEST_BASE_DATABASE_URL") or os.environ.get(
    "LINKDIR_TEST_DATABASE_URL", ""
)
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


def _sibling(url: str, suffix: str) -> str:
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{suffix}").render_as_string(hide_password=False)


TEMPLATE_PG_URL = _sibling(BASE_PG_URL, "tpl") if BASE_PG_URL else ""
PG_URL = _sibling(BASE_PG_URL, WORKER) if BASE_PG_URL else ""
if PG_URL:
    # Remembered for nested runs (a test that starts pytest or linkdir inherits this).
    os.environ["LINKDIR_TEST_BASE_DATABASE_URL"] = BASE_PG_URL
    os.environ["LINKDIR_TEST_DATABASE_URL"] = PG_URL

if IN_CI and not PG_URL:
    raise pytest.UsageError("CI=true needs LINKDIR_TEST_DATABASE_URL (PostgreSQL); see .ci/run")

DATABASES = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]

# Test modules (paths under tests/, or name fragments) whose tests also run on PostgreSQL:
# where SQL differs between the two (full-text search, SKIP LOCKED claims, LISTEN/NOTIFY,
# the shared job store, reports' date arithmetic, migrations, imports in bulk).
POSTGRES_AREAS = (
    "search",
    "checks/",
    "claim",
    "monitoring",
    "runs",
    "report",
    "migrations",
    "import",
    "fuzz",
    "scale_out",
    "worker",
    "lockout",
    "transfer/",
    "auth/test_sessions.py",
)


def wants_postgres(item: pytest.Item) -> bool:
    path = str(item.path).replace(os.sep, "/").split("/tests/", 1)[-1]
    if item.get_closest_marker("both_databases") or item.get_closest_marker("postgres"):
        return True
    return any(area in path for area in POSTGRES_AREAS)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Drop the PostgreSQL run of tests where the database does not matter; then order the
    rest: the browser tests first (tests/browser/conftest.py, which runs before this), the
    tests marked ``slow`` next, so xdist hands the longest ones out early instead of ending
    the run with one worker busy on one of them and the others idle."""
    if PG_URL:
        kept: list[pytest.Item] = []
        dropped: list[pytest.Item] = []
        for item in items:
            callspec = getattr(item, "callspec", None)
            on_pg = callspec is not None and callspec.params.get("database_url") == "postgresql"
            (dropped if on_pg and not wants_postgres(item) else kept).append(item)
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = kept
    items.sort(  # stable: collection order within each
        key=lambda item: (
            0 if item.get_closest_marker("browser") else 1 if item.get_closest_marker("slow") else 2
        )
    )


def _admin_url(url: str) -> str:
    return make_url(url).set(database="postgres").render_as_string(hide_password=False)


async def _admin(*statements: str) -> None:
    """Run statements outside a transaction (CREATE/DROP DATABASE) on the server."""
    import asyncpg

    parsed = make_url(BASE_PG_URL)
    connection = await asyncpg.connect(
        host=parsed.host, port=parsed.port or 5432, user=parsed.username,
        password=parsed.password, database="postgres",
    )  # fmt: skip
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def _name(url: str) -> str:
    return str(make_url(url).database)


def _clone_worker_database() -> None:
    asyncio.run(
        _admin(
            f'DROP DATABASE IF EXISTS "{_name(PG_URL)}" WITH (FORCE)',
            f'CREATE DATABASE "{_name(PG_URL)}" TEMPLATE "{_name(TEMPLATE_PG_URL)}"',
        )
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "both_databases: runs on PostgreSQL too, outside the POSTGRES_AREAS modules"
    )
    config.addinivalue_line("markers", "real_argon2: hashes passwords at the production cost")
    if not PG_URL:
        return
    if not hasattr(config, "workerinput"):
        # The controller (or a run without xdist): one migrated template for every worker.
        asyncio.run(
            _admin(f'DROP DATABASE IF EXISTS "{_name(TEMPLATE_PG_URL)}" WITH (FORCE)',
                   f'CREATE DATABASE "{_name(TEMPLATE_PG_URL)}"')
        )  # fmt: skip
        upgrade(TEMPLATE_PG_URL)
    if WORKER == "main" or hasattr(config, "workerinput"):
        _clone_worker_database()


def pytest_unconfigure(config: pytest.Config) -> None:
    if not PG_URL:
        return
    if hasattr(config, "workerinput"):
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{_name(PG_URL)}" WITH (FORCE)'))
        return
    asyncio.run(_drop_clones())


async def _drop_clones() -> None:
    """The template and every worker's clone of this run (names: base + _tpl/_main/_gwN)."""
    import asyncpg

    parsed = make_url(BASE_PG_URL)
    connection = await asyncpg.connect(
        host=parsed.host, port=parsed.port or 5432, user=parsed.username,
        password=parsed.password, database="postgres",
    )  # fmt: skip
    try:
        base = str(parsed.database)
        rows = await connection.fetch("SELECT datname FROM pg_database")
        for row in rows:
            name = str(row["datname"])
            suffix = name[len(base) + 1 :] if name.startswith(base + "_") else ""
            if suffix in {"tpl", "main"} or (suffix.startswith("gw") and suffix[2:].isdigit()):
                await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture(autouse=True)
def cheap_argon2(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id at its lowest cost in-process, so ~100 sign-ins do not take minutes.

    A test marked ``real_argon2`` keeps the production cost (tests/auth/test_sessions.py
    has one). ``linkdir`` processes a test starts always use the production cost.
    """
    if request.node.get_closest_marker("real_argon2"):
        return
    from argon2 import PasswordHasher

    from linkdir.auth import service as auth_service

    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    # Unknown accounts are verified against a hash made by this hasher: the same cost.
    monkeypatch.setattr(auth_service, "_hasher", cheap)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating each time is slow)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


def _pg_tables() -> list[str]:
    from linkdir.db import metadata

    return [table.name for table in metadata().sorted_tables]


async def _pg_reset() -> None:
    engine = create_engine(PG_URL)
    try:
        async with engine.begin() as connection:
            tables = ", ".join(f'"{name}"' for name in _pg_tables())
            await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            # APScheduler's shared data store: jobs left by one test must not run in the next.
            await connection.execute(text("DROP SCHEMA IF EXISTS linkdir_scheduler CASCADE"))
            # A test that migrated down and failed leaves an older schema behind.
            version = await connection.execute(text("SELECT version_num FROM alembic_version"))
            if version.scalar_one_or_none() != _pg_head():
                raise RuntimeError("not at the head revision")
    finally:
        await engine.dispose()


@functools.cache
def _pg_head() -> str:
    from alembic.script import ScriptDirectory

    from linkdir.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config(PG_URL)).get_current_head()
    return str(head)


async def _pg_drop_everything() -> None:
    engine = create_engine(PG_URL)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("DROP SCHEMA IF EXISTS linkdir_scheduler CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sqlite")


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, sqlite_home: Path, sqlite_template: Path) -> str:
    """A migrated, empty database of each kind, at one URL per worker and kind.

    The same URL test after test (PostgreSQL: this worker's own database, emptied; SQLite:
    one file, replaced by a fresh copy of the template) makes the same settings, so the
    app of those settings is built once per worker (``shared_app``).
    """
    if request.param == "sqlite":
        path = sqlite_home / "linkdir.db"
        fresh = sqlite_home / "fresh.db"
        shutil.copy(sqlite_template, fresh)
        for leftover in ("-wal", "-shm", "-journal"):
            path.with_name(path.name + leftover).unlink(missing_ok=True)
        # A new file, not the old one rewritten: a connection a test left open keeps the
        # old file and cannot scribble on this test's database.
        os.replace(fresh, path)
        return f"sqlite+aiosqlite:///{path}"
    try:
        asyncio.run(_pg_reset())
    except Exception:
        # Dropped, downgraded or half-migrated by an earlier test: a fresh clone.
        _clone_worker_database()
    return PG_URL


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "env": "production",
        "database_url": database_url,
        "secret_key": TEST_SECRET,
        "base_url": "http://testserver.local",
        "checker_allow_networks": ("127.0.0.0/8",),
    }
    values.update(overrides)
    return Settings(**values).validated()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
async def session(settings: Settings) -> AsyncIterator[AsyncSession]:
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as db_session:
            yield db_session
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def shared_apps() -> dict[tuple[Settings, int], Any]:
    return {}


@pytest.fixture
def shared_app(shared_apps: dict[tuple[Settings, int], Any]) -> Any:
    """``create_app(settings)``, built once per worker for equal settings.

    Building the app (Litestar parsing ~100 handlers' signatures) costs ~0.3 s of CPU; a
    test runs a full lifespan of it, which starts from fresh state (``app.start_state``).
    Apps a test runs at the same time (an admin's and an editor's browser) need apps of
    their own: ``shared_app(settings, 1)``, ``shared_app(settings, 2)``; the ``client``
    fixture's is ``shared_app(settings)`` (slot 0).
    """

    def get(settings: Settings, slot: int = 0) -> Any:
        app = shared_apps.get((settings, slot))
        if app is None:
            app = shared_apps[settings, slot] = create_app(settings)
        return app

    return get


@pytest.fixture
async def client(settings: Settings, shared_app: Any) -> AsyncIterator[AsyncTestClient[Any]]:
    app = shared_app(settings)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
        yield test_client


async def in_app_loop(client: AsyncTestClient[Any], wait: Any, *args: Any) -> Any:
    """Await ``wait(*args)`` in the loop the app runs in (the test client's portal thread).

    An ``asyncio.Event`` of the app (``check_runner.started``) belongs to that loop: awaited
    from the test's own loop, its ``set()`` wakes nobody and the wait ends at its timeout.
    """
    return await asyncio.to_thread(client.blocking_portal.call, wait, *args)


async def first_dispatch_done(runner: Any) -> None:
    """A CheckRunner's dispatch fires once as it starts (then at its interval): wait
    until that one is over, so it cannot claim a link the test claims or checks itself (it
    did, under load). From an app's runner, call it in the app's loop (:func:`in_app_loop`)."""
    from linkdir.checks.runner import DISPATCH_SCHEDULE, TASK_DISPATCH
    from linkdir.db import utcnow

    # Fired (its next time is ahead) and its job gone: the first dispatch is over.
    for _ in range(1500):  # 30 s
        schedule = await runner.scheduler.get_schedule(DISPATCH_SCHEDULE)
        jobs = await runner.scheduler.get_jobs()
        if schedule.next_fire_time > utcnow() and not [
            job for job in jobs if job.task_id == TASK_DISPATCH
        ]:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the runner's first dispatch did not end")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# Factories ------------------------------------------------------------------------------


def random_word(prefix: str = "") -> str:
    return prefix + uuid.uuid4().hex[:8]


async def make_topic(session: AsyncSession, **overrides: Any) -> Any:
    slug = overrides.pop("slug", random_word("topic-"))
    data = {
        "slug": slug,
        "name_sv": overrides.pop("name_sv", f"Ämne {slug}"),
        "name_en": overrides.pop("name_en", f"Topic {slug}"),
        **overrides,
    }
    topic = await service.create_topic(session, data)
    await session.commit()
    return topic


async def make_resource(session: AsyncSession, **overrides: Any) -> Any:
    data = {
        "url": overrides.pop("url", f"https://{random_word('site')}.se/{random_word('page-')}"),
        "title": overrides.pop("title", f"Resurs {random_word()}"),
        "description": overrides.pop("description", "En beskrivning."),
        "language": overrides.pop("language", "sv"),
        "resource_type": overrides.pop("resource_type", "report"),
        "publisher": overrides.pop("publisher", f"Utgivare {random_word()}"),
        "state": overrides.pop("state", "published"),
        **overrides,
    }
    resource = await service.create_resource(
        session, data, by=service.Actor("tests"), allow_networks=("127.0.0.0/8",)
    )
    await session.commit()
    return resource


async def make_editor(session: AsyncSession, role: str = "editor") -> tuple[Any, str]:
    """An account and a live API token for it."""
    email = f"{random_word('curator')}@bibliotek.example.se"
    user = await create_user(session, email, "korrekt häst batteri häfta", role)
    new = await create_token(session, email, "tests")
    await session.commit()
    return user, new.token


@pytest.fixture
def auth_headers_factory(session: AsyncSession) -> Any:
    async def factory(role: str = "editor") -> dict[str, str]:
        _, token = await make_editor(session, role)
        return {"Authorization": f"Bearer {token}"}

    return factory


@pytest.fixture
def refused_port() -> Iterator[int]:
    """A loopback port where a connection is refused, guaranteed while the test runs.

    The socket is bound (so nobody else gets the port) and never listens: the kernel
    answers a SYN with a reset. Not "port 9 is surely closed", not a port freed for a race.
    """
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        yield int(holder.getsockname()[1])


@pytest.fixture
def repo_root() -> Iterator[Path]:
    yield Path(__file__).resolve().parent.parent


async def database_snapshot(session: AsyncSession) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (schema from the models), to show a request wrote nothing."""
    from linkdir.db import metadata

    session.expunge_all()
    snapshot: dict[str, list[tuple[Any, ...]]] = {}
    for table in metadata().sorted_tables:
        rows = (await session.execute(table.select())).all()
        snapshot[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return snapshot
