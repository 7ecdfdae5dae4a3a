"""The schema comes from Alembic, and the models and migrations agree."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from linkdir.db import create_engine, include_name, metadata


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
