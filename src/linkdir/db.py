"""Database engine and sessions; imports every domain's models so Alembic sees them."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# Deterministic constraint names, so migrations can drop and alter them on both databases.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Search structures that live outside the ORM metadata (DESIGN §1; see resources/search.py).
SEARCH_OBJECTS = frozenset({"resource_fts", "ix_resource_search", "search_vector"})


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (the only kind of time we store)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use linkdir.db.utcnow()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def metadata() -> Any:
    """SQLModel metadata with every domain's tables registered."""
    import linkdir.auth.models
    import linkdir.checks.drift_models
    import linkdir.checks.models
    import linkdir.feeds.models
    import linkdir.mail.models
    import linkdir.resources.models
    import linkdir.transfer.models  # noqa: F401

    return SQLModel.metadata


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic filter: FTS5 tables and the PostgreSQL search index are managed by hand."""
    if name is None:
        return True
    return not any(name == obj or name.startswith(obj + "_") for obj in SEARCH_OBJECTS)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers go on while the scheduler writes; foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    # Search joins thousands of rows by id; a larger page cache and memory-mapped reads
    # keep those lookups off the file system (numbers in bench/README.md).
    cursor.execute("PRAGMA cache_size=-32768")
    cursor.execute("PRAGMA mmap_size=268435456")
    cursor.close()


def create_engine(database_url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine; SQLite gets WAL mode and foreign keys on every connection."""
    if database_url.startswith("sqlite"):
        engine = create_async_engine(database_url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    # Planner costs for SSD storage (PostgreSQL's default assumes spinning disks and then
    # prefers a sequential scan over the search index for broad queries).
    kwargs.setdefault("connect_args", {"server_settings": {"random_page_cost": "1.1"}})
    return create_async_engine(database_url, **kwargs)


def is_postgresql(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"


def upsert_into(session: AsyncSession, table: Any) -> Any:
    """The dialect's ``INSERT`` for ``table``, which has ``on_conflict_do_…``.

    Only the dialect in use is imported: the other one is ~0.07 s of CPU that a
    ``linkdir check`` on SQLite would pay for nothing (issue 18).
    """
    if is_postgresql(session):
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def session_scope(
    factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session committed on success and rolled back on error."""
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


async def ping(engine: AsyncEngine) -> bool:
    """True when the database answers a trivial query."""
    return await unanswered(engine) is None


async def unanswered(engine: AsyncEngine) -> str | None:
    """Why the database does not answer a trivial query, in the driver's own words (its
    first line: no SQL, no parameters, no password); None when it answers."""
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as error:
        cause = getattr(error, "orig", None) or error
        said = str(cause).strip()
        return said.splitlines()[0] if said else type(cause).__name__
    return None


def alembic_config(database_url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


# A migration script's ``revision = "0014"`` / ``down_revision = "0013"`` (or a tuple of
# them, for a merge), as Alembic's script template writes them.
_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+)$", re.MULTILINE)


def _script_revisions() -> tuple[frozenset[str], frozenset[str]]:
    """Every migration script's revision, and every revision some script follows."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (MIGRATIONS_DIR / "versions").glob("*.py"):
        lines = dict(_REVISION_LINE.findall(script.read_text(encoding="utf-8")))
        revisions.update(re.findall(r"[\"']([^\"']+)[\"']", lines.get("revision", "")))
        parents.update(re.findall(r"[\"']([^\"']+)[\"']", lines.get("down_revision", "")))
    return frozenset(revisions), frozenset(parents)


def known_revisions() -> frozenset[str]:
    """Every revision this linkdir's migration scripts know."""
    return _script_revisions()[0]


def head_revisions() -> frozenset[str]:
    """The migration scripts' heads: what Alembic's ``ScriptDirectory.get_heads()`` gives,
    read from each script's ``revision``/``down_revision`` lines instead of importing
    Alembic and executing every script (a test holds the two equal)."""
    revisions, parents = _script_revisions()
    return revisions - parents


async def applied_revisions(engine: AsyncEngine) -> set[str]:
    """The revisions the database is at (``alembic_version``; empty when it was never
    migrated)."""
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
        return {str(row[0]) for row in rows}


async def current_revisions(database_url: str) -> frozenset[str] | None:
    """:func:`applied_revisions` of the database at ``database_url``; None when it has no
    such table or cannot be read (then Alembic is asked, and says why)."""
    engine = create_engine(database_url)
    try:
        return frozenset(await applied_revisions(engine))
    except Exception:
        return None
    finally:
        await engine.dispose()


def shown_url(database_url: str) -> str:
    """The database address for a message: its password never printed."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(database_url).render_as_string(hide_password=True)
    except Exception:
        return "(LINKDIR_DATABASE_URL)"


@dataclass(frozen=True, slots=True)
class SchemaProblem:
    """Why this linkdir cannot work with a database: ``kind`` is ``unreachable``, ``empty``
    (never migrated), ``behind`` or ``ahead`` (a newer linkdir migrated it); ``message``
    says it to a person, with what to do."""

    kind: str
    message: str


async def schema_problem(database_url: str) -> SchemaProblem | None:
    """What keeps this linkdir from the database at ``database_url`` (it does not answer,
    it was never migrated, it is behind this version's migrations or ahead of them); None
    when it answers and is at this version's head."""
    shown = shown_url(database_url)
    engine = create_engine(database_url)
    try:
        why = await unanswered(engine)
        if why is not None:
            return SchemaProblem("unreachable", f"the database at {shown} does not answer: {why}")
        try:
            applied = frozenset(await applied_revisions(engine))
        except Exception:
            applied = frozenset()
    finally:
        await engine.dispose()
    heads = head_revisions()
    if applied == heads:
        return None
    if not applied:
        return SchemaProblem(
            "empty",
            f"the database at {shown} has no linkdir tables yet: run `linkdir db upgrade` "
            "first (`linkdir serve` does it as it starts on SQLite, or with --migrate)",
        )
    known = known_revisions()
    at, needs = ", ".join(sorted(applied)), ", ".join(sorted(heads))
    if applied <= known:
        return SchemaProblem(
            "behind",
            f"the database is at migration {at} and this linkdir needs {needs}: run "
            "`linkdir db upgrade`",
        )
    return SchemaProblem(
        "ahead",
        f"the database is at migration {at}, which this linkdir does not know (a newer "
        f"linkdir migrated it; this one needs {needs}): run that version or a newer one",
    )


def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply Alembic migrations (synchronously; the env runs its own event loop).

    To "head" on a database already there, nothing is imported or run: Alembic and its
    scripts cost ~0.3 s of CPU, paid by every ``linkdir serve`` start otherwise.
    """
    if revision == "head":
        import asyncio

        current = asyncio.run(current_revisions(database_url))
        if current and current == head_revisions():
            return
    from alembic import command

    command.upgrade(alembic_config(database_url), revision)


async def upgrade_async(database_url: str, revision: str = "head") -> None:
    """Apply migrations from async code (Alembic's async env needs a thread of its own)."""
    import asyncio

    await asyncio.to_thread(upgrade, database_url, revision)
