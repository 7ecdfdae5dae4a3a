"""The schema comes from Alembic, and the models and migrations agree."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from linkdir.db import create_engine, include_name, metadata, utcnow
from tests.linkdir_cli import imported_by


async def test_autogenerate_finds_no_drift(database_url: str) -> None:
    engine = create_engine(database_url)

    def diff(connection: Any) -> list[Any]:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": include_name,
                "target_metadata": metadata(),
            },
        )
        return compare_metadata(context, metadata())

    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(diff)
    finally:
        await engine.dispose()
    assert differences == []


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(
    tmp_path: Any, sqlite_template: Any
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{sqlite_template}")
    try:
        async with engine.connect() as connection:
            journal = (await connection.execute(text("PRAGMA journal_mode"))).scalar()
            foreign_keys = (await connection.execute(text("PRAGMA foreign_keys"))).scalar()
    finally:
        await engine.dispose()
    assert journal == "wal"
    assert foreign_keys == 1


async def test_hosts_of_existing_resources_are_filled_in_by_the_upgrade(database_url: str) -> None:
    """Migration 0007 computes each resource's host from its URL, as the application does."""
    from alembic import command

    from linkdir.db import alembic_config, upgrade

    await asyncio.to_thread(command.downgrade, alembic_config(database_url), "0006")
    engine = create_engine(database_url)
    urls = [
        "https://www.regionvasterbotten.se/digital-agenda",
        "http://BIBLIOTEK.example.se:8080/mik?sida=2",
        "https://xn--lnsbibliotek-fcb.se/",
    ]
    try:
        async with engine.begin() as connection:
            for number, url in enumerate(urls):
                await connection.execute(
                    text(
                        "INSERT INTO resource (url, title, description, language, resource_type,"
                        " publisher, state, created_at, updated_at, link_status,"
                        " consecutive_failures, search_title, search_body) VALUES (:url, :title,"
                        " '', 'sv', 'other', '', 'published', :now, :now, 'unchecked', 0, '', '')"
                    ),
                    {"url": url, "title": f"Resurs {number}", "now": utcnow()},
                )
        await asyncio.to_thread(upgrade, database_url)
        async with engine.connect() as connection:
            rows = (await connection.execute(text("SELECT url, host FROM resource"))).all()
            if database_url.startswith("sqlite"):
                # Down and up again without rebuilding `resource`, which would drop these.
                triggers = await connection.execute(
                    text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
                )
                assert {name for (name,) in triggers} >= {
                    "resource_fts_ai",
                    "resource_fts_ad",
                    "resource_fts_au",
                }
    finally:
        await engine.dispose()
    assert {url: host for url, host in rows} == {
        urls[0]: "www.regionvasterbotten.se",
        urls[1]: "bibliotek.example.se",
        urls[2]: "xn--lnsbibliotek-fcb.se",
    }


def test_the_heads_read_from_the_scripts_are_alembics() -> None:
    from alembic.script import ScriptDirectory

    from linkdir.db import alembic_config, head_revisions

    scripts = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite://"))
    assert head_revisions() == set(scripts.get_heads())
    assert len(head_revisions()) == 1, "one line of migrations"


def test_a_start_on_a_current_database_runs_no_migration_and_a_new_one_is_migrated(
    sqlite_template: Path, tmp_path: Path
) -> None:
    """`linkdir serve` migrates at every start: on a database at head that is one query,
    not Alembic (~0.3 s of CPU); an empty or older database is migrated by Alembic."""
    from linkdir.db import current_revisions, head_revisions

    current = tmp_path / "current.db"
    shutil.copy(sqlite_template, current)
    new = tmp_path / "new.db"
    code = (
        "import sys\n"
        "from linkdir.db import upgrade\n"
        f"upgrade('sqlite+aiosqlite:///{current}')\n"
        "print('at head:', 'alembic' in sys.modules)\n"
        f"upgrade('sqlite+aiosqlite:///{new}')\n"
    )
    loaded, printed = imported_by(code, {"alembic"}, packages=True)
    assert "at head: False" in printed, printed
    assert loaded == ["alembic"], "the new database was migrated by Alembic"
    assert asyncio.run(current_revisions(f"sqlite+aiosqlite:///{new}")) == head_revisions()
