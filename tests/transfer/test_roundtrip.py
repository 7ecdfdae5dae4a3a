"""Export everything, import into an empty database, export again: the same bytes."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir.config import Settings
from linkdir.resources import service as resources
from linkdir.resources.models import Resource
from linkdir.transfer import service
from tests.conftest import make_resource, make_topic
from tests.test_cli import base_env, run
from tests.transfer.conftest import fixture_bytes


async def rich_directory(session: AsyncSession) -> None:
    """Topics (one unused), resources in every state, tags, dates and link health."""
    await make_topic(
        session,
        slug="digital-delaktighet",
        name_sv="Digital delaktighet",
        name_en="Digital inclusion",
        description_sv="Allt om digital delaktighet.\nTvå rader.",
        description_en="All about digital inclusion.",
    )
    await make_topic(session, slug="mik", name_sv="Medie- och informationskunnighet", name_en="MIL")
    await make_topic(session, slug="tomt-amne", name_sv="Tomt ämne", name_en="Empty topic")
    published = await make_resource(
        session,
        url="https://www.kb.se/digitalt-forst",
        title='Digitalt först – "citat" & <tecken>',
        description="Rad ett.\nRad två med å, ä, ö och emoji 📚.",
        topics=["digital-delaktighet", "mik"],
        tags=["rapport", "källkritik"],
        review_by="2027-06-30",
        publisher="Kungliga biblioteket",
        resource_type="project",
        language="sv",
    )
    await make_resource(session, state="draft", title="Ett utkast", topics=["mik"], tags=[])
    retired = await make_resource(session, title="Arkiverad", language="en", resource_type="tool")
    await resources.update_resource(
        session, retired.id, {"state": "retired"}, by=resources.Actor("tests")
    )
    stored = await session.get(Resource, published.id)
    assert stored is not None
    stored.link_status = "moved"
    stored.status_since = datetime(2026, 3, 1, 12, 0, 5, 123456, tzinfo=UTC)
    stored.last_checked_at = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
    stored.http_status = 301
    stored.final_url = "https://www.kb.se/digitalt-forst-ny"
    stored.moved_to = "https://www.kb.se/digitalt-forst-ny"
    stored.reason = "moved_permanently"
    stored.modified_on = date(2025, 10, 26)
    stored.archive_url = "https://web.archive.org/web/2025/https://www.kb.se/digitalt-forst"
    await session.commit()


async def wipe(session: AsyncSession) -> None:
    """Leave the database empty of directory content (same schema)."""
    for table in ("resource_topic", "resource_tag", "revision", "resource", "topic", "tag"):
        await session.execute(text(f"DELETE FROM {table}"))
    await session.commit()
    session.expunge_all()


async def test_json_export_import_export_is_identical(session: AsyncSession) -> None:
    await rich_directory(session)
    first = await service.export_json(session)
    await wipe(session)
    assert await resources.count_resources(session) == 0
    parsed = service.read_source(first, "json", max_bytes=10**7)
    review = await service.review(session, parsed)
    report = await service.import_rows(
        session, review.rows, by=service.IMPORT_ACTOR, definitions=review.definitions
    )
    await session.commit()
    session.expunge_all()
    assert len(report.created) == 3 and not report.problems and not report.notes
    second = await service.export_json(session)
    assert second == first
    document = json.loads(first)
    assert [t["slug"] for t in document["topics"]] == ["digital-delaktighet", "mik", "tomt-amne"]
    entry = next(r for r in document["resources"] if r["url"].endswith("digitalt-forst"))
    assert entry["topics"] == ["digital-delaktighet", "mik"]
    assert entry["link"]["archive_url"].startswith("https://web.archive.org/")
    assert entry["review_by"] == "2027-06-30" and entry["state"] == "published"
    assert {r["state"] for r in document["resources"]} == {"published", "draft", "retired"}
    assert "id" not in entry and "html_url" not in entry


async def test_the_cli_round_trip_gives_the_same_bytes(
    session: AsyncSession, database_url: str, tmp_path: Path
) -> None:
    await rich_directory(session)
    env = base_env(database_url)
    first = tmp_path / "first.json"
    exported = run(["export", "--format", "json", "-o", str(first)], env)
    assert exported.returncode == 0, exported.stderr
    await wipe(session)
    imported = run(["import", str(first)], env)
    assert imported.returncode == 0, imported.stderr
    assert "imported 3 of 3 json rows" in imported.stdout
    second = run(["export", "--format", "json"], env)
    assert second.stdout.encode() == first.read_bytes()


async def test_csv_export_opens_in_swedish_excel_and_reads_back(
    session: AsyncSession, settings: Settings
) -> None:
    await rich_directory(session)
    data = await service.export_csv(session)
    assert data.startswith(b"\xef\xbb\xbf")
    body = data[3:].decode("utf-8")
    assert body.splitlines()[0].startswith("url;title;description;publisher")
    assert "\r\n" in body
    rows = list(csv.DictReader(io.StringIO(body, newline=""), delimiter=";"))
    kb = next(r for r in rows if r["url"].endswith("digitalt-forst"))
    assert kb["topics"] == "Digital delaktighet, Medie- och informationskunnighet"
    assert kb["tags"] == "källkritik, rapport"
    assert kb["description"] == "Rad ett.\nRad två med å, ä, ö och emoji 📚."
    # Read back by our own importer: same rows, nothing rejected.
    parsed = service.read_source(data, "csv", max_bytes=10**7)
    assert not parsed.problems and len(parsed.drafts) == 3
    again = next(d for d in parsed.drafts if d.url.endswith("digitalt-forst"))
    assert again.title == 'Digitalt först – "citat" & <tecken>'
    assert again.topics == ["Digital delaktighet", "Medie- och informationskunnighet"]


async def test_bookmark_export_reimports_with_folders_as_topics(session: AsyncSession) -> None:
    await rich_directory(session)
    data = await service.export_bookmarks(session)
    assert data.startswith(b"<!DOCTYPE NETSCAPE-Bookmark-file-1>")
    assert b"Arkiverad" not in data  # retired resources are left out
    parsed = service.read_source(data, "bookmarks", max_bytes=10**7)
    drafts = {d.url: d for d in parsed.drafts}
    kb = drafts["https://www.kb.se/digitalt-forst"]
    assert kb.title == 'Digitalt först – "citat" & <tecken>'
    assert kb.topics == ["Digital delaktighet"]
    assert sorted(kb.tags) == ["källkritik", "rapport"]
    assert kb.added is not None
    review = await service.review(session, parsed)
    assert all(row.duplicate is not None for row in review.rows)  # all known already
    assert review.rows[0].topics[0].slug in {"digital-delaktighet", "mik"}


async def test_opml_export_lists_the_feeds(session: AsyncSession, settings: Settings) -> None:
    await rich_directory(session)
    data = await service.export(session, "opml", settings)
    assert data.startswith(b"<?xml") and b"<opml" in data and b"/feeds/new.atom" in data


def test_fixture_files_exist() -> None:
    assert fixture_bytes("excel_sv_cp1252.csv").decode("cp1252").startswith("Adress;Titel")
