"""An import shares the site's database: a dry run takes no write lock, writes go in batches."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir.db import session_factory
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
        factory, reviewed.rows, by=service.IMPORT_ACTOR, batch_size=10, progress=seen.append
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
