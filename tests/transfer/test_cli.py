"""``linkdir import`` and ``linkdir export`` as an operator runs them."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir.resources.models import Resource, Revision, Topic
from tests.auth.test_sessions import account
from tests.test_cli import base_env, run
from tests.transfer.conftest import FIXTURES, LinksSite


async def count(session: AsyncSession, model: type) -> int:
    session.expunge_all()
    return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_import_reports_each_rejected_row_and_imports_the_rest(
    database_url: str, session: AsyncSession
) -> None:
    env = base_env(database_url)
    result = run(["import", str(FIXTURES / "excel_sv_cp1252.csv")], env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert (
        "line 4: rejected: url: Only http and https addresses can be listed, not javascript:."
        " (javascript:alert(1))"
    ) in lines
    assert any(line.startswith("line 5: rejected: title:") for line in lines)
    assert any(line.startswith("line 6: rejected: review_by:") for line in lines)
    assert any(
        line.startswith("line 7: skipped: url: The same address as line 3") for line in lines
    )
    assert any(line.startswith("line 8: rejected: row: The line has 10 fields") for line in lines)
    assert lines[-1] == "imported 3 of 8 csv rows; 1 duplicates skipped, 4 rejected"
    assert await count(session, Resource) == 3
    assert await count(session, Topic) == 0  # no --create-topics: noted, not created
    again = run(
        ["import", "-", "--format", "csv"], env, stdin=(FIXTURES / "sheets_utf8.csv").read_text()
    )
    # Nothing new, and rows rejected: a script should notice.
    assert again.returncode == 1, again.stderr
    assert "imported 0 of 8 csv rows; 4 duplicates skipped, 4 rejected" in again.stdout
    assert await count(session, Resource) == 3


async def test_a_file_that_cannot_be_parsed_changes_nothing_and_fails(
    database_url: str, session: AsyncSession, tmp_path: Path
) -> None:
    env = base_env(database_url)
    broken = tmp_path / "export.json"
    broken.write_text('{"resources": [{"url": "https://www.kb.se/", "title": "KB"}', "utf-8")
    result = run(["import", str(broken)], env)
    assert result.returncode == 1
    assert "nothing imported" in result.stderr and "line 1" in result.stderr
    assert await count(session, Resource) == 0
    big = run(
        ["import", str(FIXTURES / "firefox_bookmarks.html")],
        {**env, "LINKDIR_IMPORT_MAX_BYTES": "100"},
    )
    assert big.returncode == 1 and "too large" in big.stderr
    rejected_only = tmp_path / "bad.csv"
    rejected_only.write_text("url;title\nftp://example.se/;FTP\n", "utf-8")
    failed = run(["import", str(rejected_only)], env)
    assert failed.returncode == 1 and "line 2: rejected: url" in failed.stdout


async def test_bookmarks_with_create_topics_as_a_curator_and_published(
    database_url: str, session: AsyncSession
) -> None:
    await account(session, "kurator@region.se")
    env = base_env(database_url)
    result = run(
        [
            "import",
            str(FIXTURES / "chrome_bookmarks.html"),
            "--create-topics",
            "--publish",
            "--as",
            "kurator@region.se",
        ],
        env,
    )
    assert result.returncode == 0, result.stderr
    assert "new topics: Medie- och informationskunnighet, Digital Delaktighet" in result.stdout
    session.expunge_all()
    states = set((await session.execute(select(Resource.state))).scalars())
    assert states == {"published"}
    actors = set((await session.execute(select(Revision.actor))).scalars())
    assert actors == {"kurator@region.se"}
    unknown = run(["import", str(FIXTURES / "chrome_bookmarks.html"), "--as", "ingen@x.se"], env)
    assert unknown.returncode == 1 and "no active account" in unknown.stderr


async def test_a_topic_name_with_nothing_to_make_an_address_from_is_noted_not_a_traceback(
    database_url: str, session: AsyncSession, tmp_path: Path
) -> None:
    listing = tmp_path / "amnen.csv"
    listing.write_text(
        "url,title,topics\n"
        "https://www.kb.se/a,Sida A,#\n"
        "https://www.kb.se/b,Sida B,Сербия\n"
        "https://www.kb.se/c,Sida C,Läsning\n",
        "utf-8",
    )
    env = base_env(database_url)
    for args in (["--dry-run"], []):
        done = run(["import", str(listing), "--format", "csv", "--create-topics", *args], env)
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
        assert "line 2: note: topics: No topic can be made from “#”" in done.stdout
        assert "line 3: note: topics: No topic can be made from “Сербия”" in done.stdout
        assert "3 of 3 csv rows" in done.stdout and "new topics: Läsning" in done.stdout
    session.expunge_all()
    assert list((await session.execute(select(Topic.slug))).scalars()) == ["läsning"]
    assert await count(session, Resource) == 3


async def test_dry_run_and_a_links_page_from_a_server(
    database_url: str, session: AsyncSession, links_site: LinksSite
) -> None:
    env = base_env(database_url)
    url = links_site.url("/utvecklingsomraden/digital-delaktighet/")
    dry = run(["import", url, "--dry-run", "--create-topics"], env)
    assert dry.returncode == 0, dry.stderr
    assert "would import 9 of 10 page rows" in dry.stdout
    assert await count(session, Resource) == 0 and await count(session, Topic) == 0
    real = run(["import", url, "--create-topics"], env)
    assert "imported 9 of 10 page rows" in real.stdout
    assert await count(session, Topic) == 4
    closed = run(["import", url], {**env, "LINKDIR_CHECKER_ALLOW_NETWORKS": ""})
    assert closed.returncode == 1 and "private or local network" in closed.stderr


async def test_export_formats_to_stdout_and_file(database_url: str, tmp_path: Path) -> None:
    env = base_env(database_url)
    run(["import", str(FIXTURES / "firefox_bookmarks.html")], env)
    target = tmp_path / "katalog.csv"
    written = run(["export", "--format", "csv", "-o", str(target)], env)
    assert written.returncode == 0, written.stderr
    assert target.read_bytes().startswith(b"\xef\xbb\xbfurl;title;")
    bookmarks = run(["export", "--format", "bookmarks"], env)
    assert "Svenskarna och internet 2025" in bookmarks.stdout
    opml = run(["export", "--format", "opml"], env)
    assert "<opml" in opml.stdout
    wrong = run(["export", "--format", "xml"], env)
    assert wrong.returncode == 2


async def test_export_to_a_link_a_pipe_or_a_missing_folder_does_what_a_sysadmin_means(
    database_url: str, tmp_path: Path
) -> None:
    """-o follows a symbolic link (a backup script's "latest.json"), writes into a pipe
    instead of replacing it with a file, keeps a file's permissions, and a folder that is
    not there is a message, not a traceback."""
    import stat
    import threading

    env = base_env(database_url)
    run(["import", str(FIXTURES / "firefox_bookmarks.html")], env)
    real = tmp_path / "katalog-2026-12-08.json"
    real.write_text("gammal")
    real.chmod(0o600)
    link = tmp_path / "senaste.json"
    link.symlink_to(real.name)
    assert run(["export", "-o", str(link)], env).returncode == 0
    assert link.is_symlink() and "Svenskarna och internet 2025" in real.read_text()
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert not list(tmp_path.glob("*.partial"))

    pipe = tmp_path / "till-backup"
    os.mkfifo(pipe)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()))
    reader.start()
    assert run(["export", "-o", str(pipe)], env).returncode == 0
    reader.join(10)
    assert stat.S_ISFIFO(pipe.stat().st_mode) and b"Svenskarna" in received[0]

    missing = run(["export", "-o", str(tmp_path / "finns-inte" / "k.json")], env)
    assert missing.returncode == 1
    assert missing.stderr.startswith("linkdir: cannot write ") and "No such file" in missing.stderr
