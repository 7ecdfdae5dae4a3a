"""Shared fixtures: real databases (SQLite always, PostgreSQL when configured), apps, factories.

Every test that asks for ``database_url`` (directly or through ``session``, ``app`` or
``client``) runs once on SQLite and once more on PostgreSQL when
``LINKDIR_TEST_DATABASE_URL`` is set. Under ``CI=true`` a missing PostgreSQL is an error,
not a skip. The schema always comes from the Alembic migrations.
"""

from __future__ import annotations

import asyncio
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
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir.app import create_app
from linkdir.auth.service import create_token, create_user
from linkdir.config import Settings
from linkdir.db import create_engine, session_factory, upgrade
from linkdir.resources import service

PG_URL = os.environ.get("LINKDIR_TEST_DATABASE_URL", "")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
TEST_SECRET = "test-secret-" + secrets.token_urlsafe(32)

if IN_CI and not PG_URL:
    raise pytest.UsageError("CI=true needs LINKDIR_TEST_DATABASE_URL (PostgreSQL); see .ci/run")

DATABASES = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating each time is slow)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


_pg_migrated = False


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
    finally:
        await engine.dispose()


async def _pg_drop_everything() -> None:
    engine = create_engine(PG_URL)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("DROP SCHEMA IF EXISTS linkdir_scheduler CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated, empty database of each kind."""
    global _pg_migrated
    if request.param == "sqlite":
        path = tmp_path / "linkdir.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite+aiosqlite:///{path}"
    if not _pg_migrated:
        asyncio.run(_pg_drop_everything())
        upgrade(PG_URL)
        _pg_migrated = True
    else:
        asyncio.run(_pg_reset())
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


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient[Any]]:
    app = create_app(settings)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
        yield test_client


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
