"""An import shares the site's database: a dry run takes no write lock, writes go in batches."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir.db import create_engine, session_factory
from linkdir.resources.models import Resource, Revision
from linkdir.transfer import service
from linkdir.transfer.csvio import parse_csv
from tests.test_cli import base_env, run


def rows_csv(count: int) -> str:
    lines = ["url;title;tags"]
    lines += [
        f"https://site{i % 7}.bibliotek.se/r/{i};Resurs {i};tagg{i % 3}" for i in range(count)
    ]
    return "\r\n".join(lines) + "\r\n"


async def test_a_dry_run_finishes_while_the_site_holds_the_write_lock(
    sqlite_template: Path, tmp_path: Path
) -> None:
    # SQLite only: its database-wide write lock is the one a long import used to hold.
    shutil.copy(sqlite_template, tmp_path / "linkdir.db")
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'linkdir.db'}"
    source = tmp_path / "rows.csv"
    source.write_text(rows_csv(300), encoding="utf-8")
    # Another process (the site) is in the middle of a write transaction.
    site = sqlite3.connect(database_url.split("///", 1)[1], timeout=1)
    site.execute("BEGIN IMMEDIATE")
    site.execute("INSERT INTO tag (slug) VALUES ('sitens-skrivning')")
    try:
        result = run(
            ["import", str(source), "--dry-run"],
            base_env(database_url),
        )
    finally:
        site.rollback()
        site.close()
    assert result.returncode == 0, result.stderr
    assert "would import 300 of 300 csv rows" in result.stdout
    assert "locked" not in result.stderr


async def test_batches_commit_on_their_own_and_every_row_gets_its_revision(
    session: AsyncSession,
) -> None:
    parsed = parse_csv(rows_csv(25))
    reviewed = await service.review(session, parsed)
    await session.rollback()
    assert session.bind is not None
    factory = session_factory(session.bind)  # type: ignore[arg-type]
    seen: list[int] = []
    report = await service.import_in_batches(
        factory,
        reviewed.rows,
        by=service.IMPORT_ACTOR,
        batch_size=10,
        adapt=False,
        progress=seen.append,
    )
    assert seen == [10, 10, 5]
    assert len(report.created) == 25 and not report.problems
    session.expunge_all()
    assert (await session.execute(select(func.count()).select_from(Resource))).scalar_one() == 25
    revisions = (await session.execute(select(Revision))).scalars().all()
    assert sorted(r.resource_title for r in revisions) == sorted(f"Resurs {i}" for i in range(25))
    stored = (
        await session.execute(
            select(Resource).where(Resource.url == "https://site3.bibliotek.se/r/3")
        )
    ).scalar_one()
    assert stored.host == "site3.bibliotek.se" and stored.search_title


async def test_the_site_can_write_between_two_batches_without_waiting(
    sqlite_template: Path, tmp_path: Path
) -> None:
    # SQLite only: the importer must let go of the write lock after every batch. The
    # "site" here writes with no busy timeout at all, so it fails if the lock is held.
    shutil.copy(sqlite_template, tmp_path / "linkdir.db")
    path = tmp_path / "linkdir.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    factory = session_factory(engine)
    site = sqlite3.connect(path, timeout=0, isolation_level=None)
    written: list[int] = []

    def site_writes(count: int) -> None:
        site.execute("BEGIN IMMEDIATE")  # "database is locked" at once if the import holds it
        site.execute("INSERT INTO tag (slug) VALUES (?)", (f"sitens-{len(written)}",))
        site.execute("COMMIT")
        written.append(count)

    try:
        async with factory() as session:
            reviewed = await service.review(session, parse_csv(rows_csv(60)))
            await session.rollback()
        report = await service.import_in_batches(
            factory,
            reviewed.rows,
            by=service.IMPORT_ACTOR,
            batch_size=20,
            adapt=False,
            pause=0,
            progress=site_writes,
        )
    finally:
        site.close()
        await engine.dispose()
    assert written == [20, 20, 20]
    assert len(report.created) == 60


def test_batches_are_sized_to_hold_the_lock_about_the_target_time() -> None:
    target = service.LOCK_TARGET
    # Twice as slow as the target: half the rows next time; never below the floor.
    assert service.next_batch_size(400, 2 * target) == 200
    assert service.next_batch_size(service.MIN_BATCH, 10 * target) == service.MIN_BATCH
    # Much faster than the target: at most doubled per batch, never above the ceiling.
    assert service.next_batch_size(300, target / 10) == 600
    assert service.next_batch_size(service.MAX_BATCH, target / 10) == service.MAX_BATCH
    assert service.next_batch_size(300, target) == 300
