"""Bookmarks, CSV and JSON: rows in, row problems reported, one transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir.resources import service as resources
from linkdir.resources.models import Resource, Revision, Topic
from linkdir.transfer import service
from linkdir.transfer.drafts import ParseFailed
from tests.conftest import make_resource, make_topic
from tests.transfer.conftest import fixture_bytes

LIMIT = 20_000_000
NETS = ("127.0.0.0/8",)


async def count(session: AsyncSession, model: Any) -> int:
    session.expunge_all()
    return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def run_import(
    session: AsyncSession, data: bytes, fmt: str, **options: Any
) -> service.ImportReport:
    parsed = service.read_source(data, fmt, max_bytes=LIMIT)
    review = await service.review(session, parsed, allow_networks=NETS)
    report = await service.import_rows(
        session, review.rows, by=service.IMPORT_ACTOR, definitions=review.definitions, **options
    )
    report.problems[:0] = review.rejected
    await session.commit()
    return report


def test_firefox_folders_become_topics_and_tags_and_dates_are_kept() -> None:
    parsed = service.read_source(
        fixture_bytes("firefox_bookmarks.html"), "bookmarks", max_bytes=LIMIT
    )
    drafts = {d.title: d for d in parsed.drafts}
    report = drafts["Svenskarna och internet 2025"]
    assert report.topics == ["Digital delaktighet"]
    assert report.tags == ["rapport", "statistik"]
    assert report.added == datetime.fromtimestamp(1700000100, UTC)
    assert report.description.startswith("Internetstiftelsens årliga undersökning")
    nested = drafts["Källkritik – Statens medieråd"]
    assert nested.topics == ["Källkritik"]  # the innermost folder
    assert nested.description == "Lärarmaterial om källkritik & medie- och informationskunnighet."
    assert drafts["Kungliga biblioteket"].topics == []  # straight in the toolbar: no topic
    assert drafts["Digidel – nätverket för digital delaktighet"].url == (
        "https://www.digidel.se/om-digidel?ref=bokmarke&lang=sv"
    )
    rejected = {(p.line, p.url.split(":")[0]) for p in parsed.problems}
    assert rejected == {(19, "place"), (33, "javascript")}


def test_chrome_bookmarks_read_with_their_folders() -> None:
    parsed = service.read_source(
        fixture_bytes("chrome_bookmarks.html"), "bookmarks", max_bytes=LIMIT
    )
    topics = {d.title: d.topics for d in parsed.drafts}
    assert topics == {
        "Källkritikbyrån": ["Medie- och informationskunnighet"],
        "Media and information literacy | UNESCO": ["Medie- och informationskunnighet"],
        "Digidel": [],
        "Digital inkludering - DIGG": ["Digital Delaktighet"],
        "Svensk biblioteksförening": [],
    }
    assert [(p.line, p.field) for p in parsed.problems] == [(20, "url")]


async def test_bookmarks_import_reports_duplicates_and_maps_folders_to_topics(
    session: AsyncSession,
) -> None:
    await make_topic(session, slug="digital-delaktighet", name_sv="Digital delaktighet")
    await make_resource(session, url="https://www.kb.se/", title="KB")
    report = await run_import(session, fixture_bytes("firefox_bookmarks.html"), "bookmarks")
    titles = sorted(r.title for r in report.created)
    assert "Svenskarna och internet 2025" in titles
    assert "Svenskarna och internet (kopia)" not in titles
    reasons = sorted((p.line, p.render(str)) for p in report.duplicates)
    assert reasons[0][0] == 31 and "already in the directory: “KB”" in reasons[0][1]
    assert reasons[1] == (36, "The same address as line 22 of this file.")
    # Without create_topics, folders that match no topic are left off and noted.
    assert {n.params["name"] for n in report.notes} == {"Källkritik", "Mozilla Firefox"}
    assert await count(session, Topic) == 1
    report_row = next(r for r in report.created if r.title == "Svenskarna och internet 2025")
    stored = await session.get(Resource, report_row.id)
    assert stored is not None and stored.state == "draft"
    assert stored.created_at == datetime.fromtimestamp(1700000100, UTC)
    topics = (await resources.topics_of(session, [stored.id or 0]))[stored.id or 0]
    assert [t.slug for t in topics] == ["digital-delaktighet"]
    # Every imported resource has its "create" revision, by the importer.
    revisions = (
        (await session.execute(select(Revision).where(Revision.actor == "import"))).scalars().all()
    )
    assert len(revisions) == len(report.created) == 5


async def test_create_topics_makes_a_topic_per_new_folder(session: AsyncSession) -> None:
    report = await run_import(
        session, fixture_bytes("chrome_bookmarks.html"), "bookmarks", create_topics=True
    )
    assert sorted(t.name_sv for t in report.topics_created) == [
        "Digital Delaktighet",
        "Medie- och informationskunnighet",
    ]
    assert len(report.created) == 5


@pytest.mark.parametrize(
    "name",
    ["excel_sv_cp1252.csv", "excel_sv_utf8_bom.csv", "sheets_utf8.csv", "utf-16-le", "utf-16-be"],
)
async def test_csv_in_every_encoding_keeps_swedish_letters_and_reports_broken_rows(
    session: AsyncSession, name: str
) -> None:
    await make_topic(session, slug="digital-delaktighet", name_sv="Digital delaktighet")
    before = await count(session, Resource)
    if name.startswith("utf-16"):
        # What Excel's "Unicode text" and some exports write: UTF-16 with its BOM.
        text = fixture_bytes("sheets_utf8.csv").decode("utf-8")
        bom = "\ufeff".encode(name)
        data = bom + text.encode(name)
    else:
        data = fixture_bytes(name)
    report = await run_import(session, data, "csv", default_state="published")
    created = {r.title: r for r in report.created}
    assert sorted(created) == [
        "Digitalt först med användaren i fokus",
        "Myndigheten för digital förvaltning",
        "Svensk biblioteksförening",
    ]
    first = created["Digitalt först med användaren i fokus"]
    assert first.description.endswith("digital kompetens på folkbiblioteken.")
    assert first.resource_type == "project" and first.language == "sv"
    assert first.state == "published" and str(first.review_by) == "2027-06-30"
    assert created["Svensk biblioteksförening"].description.endswith("å, ä och ö")
    problems = sorted((p.line, p.field) for p in report.problems)
    assert problems == [(4, "url"), (5, "title"), (6, "review_by"), (8, "row")]
    assert "javascript" in next(p for p in report.problems if p.line == 4).render(str)
    assert [(d.line, d.params) for d in report.duplicates] == [(7, {"line": 3})]
    assert {n.params["name"] for n in report.notes} == {"Nätverk för bibliotek"}
    assert await count(session, Resource) == before + 3
    ids = [r.id for r in report.created if r.id]
    tags = await resources.tags_of(session, ids)
    assert tags[first.id] == ["folkbibliotek", "kompetens"]


def test_csv_without_a_url_column_cannot_be_read_at_all() -> None:
    with pytest.raises(ParseFailed) as failed:
        service.read_source(b"namn;telefon\nAnna;123\n", "csv", max_bytes=LIMIT)
    assert "url" in str(failed.value)


def test_a_file_over_the_limit_is_refused_with_the_sizes() -> None:
    with pytest.raises(ParseFailed) as failed:
        service.read_source(b"x" * 2_500_000, "csv", max_bytes=2_000_000)
    assert "2.5 MB" in str(failed.value) and "2 MB" in str(failed.value)


@pytest.mark.parametrize(
    "text",
    ['{"resources": [', '{"hello": 1}', "", '{"resources": [], "topics": 3}'],
)
def test_broken_json_fails_as_a_whole(text: str) -> None:
    with pytest.raises(ParseFailed):
        service.read_source(text.encode(), "json", max_bytes=LIMIT)


@pytest.mark.parametrize(
    ("text", "swedish"),
    [
        ('{"items": [', "ett värde saknas på rad 1, kolumn 12"),
        ("{items: []}", "ett namn inom dubbla citattecken saknas på rad 1, kolumn 2"),
        ('[{"url": "a"} {"url": "b"}]', "ett kommatecken saknas på rad 1, kolumn 15"),
        ('{"url" "a"}', "ett kolon saknas på rad 1, kolumn 8"),
        ('["abc', "en text inom citattecken avslutas inte, från rad 1, kolumn 2"),
        ("[]\n[]", "det kommer mer efter datan på rad 2, kolumn 1"),
    ],
)
def test_broken_json_says_where_and_why_in_the_readers_language(text: str, swedish: str) -> None:
    """The parser's English ("Expecting value") read inside the Swedish sentence."""
    from linkdir.i18n import gettext, set_locale

    with pytest.raises(ParseFailed) as failed:
        service.read_source(text.encode(), "json", max_bytes=LIMIT)
    set_locale("sv")
    assert failed.value.render(gettext) == f"Filen är inte giltig JSON: {swedish}."


async def test_json_rows_report_their_line_and_valid_rows_go_through(
    session: AsyncSession,
) -> None:
    text = """[
  {"url": "https://www.kb.se/", "title": "Kungliga biblioteket", "topics": ["kb"]},
  {"url": "https://www.digg.se/", "title": 42},
  "not an object",
  {"url": "https://www.bibliotek.se/", "title": "Bibliotek.se", "language": "xx"}
]"""
    report = await run_import(session, text.encode(), "json")
    assert [r.title for r in report.created] == ["Kungliga biblioteket"]
    assert sorted((p.line, p.field) for p in report.problems) == [
        (3, "title"),
        (4, "row"),
        (5, "language"),
    ]


def test_guessing_the_format() -> None:
    assert service.guess_format("x.csv", b"") == "csv"
    assert service.guess_format("bookmarks_2025.html", b"") == "bookmarks"
    assert service.guess_format("-", b'  {"resources": []}') == "json"
    assert service.guess_format("-", fixture_bytes("chrome_bookmarks.html")) == "bookmarks"
    assert service.guess_format("-", b"url;title\n") == "csv"


def test_numbers_in_imported_titles_are_indexed_as_themselves() -> None:
    # Imports skip stemming numbers (issue 20, throughput); a search for one must still hit.
    from linkdir.resources.search import index_text, parse_query

    indexed = index_text("Svenskarna och internet 2025", "Rapport nr 0042").split()
    for term in parse_query("2025 0042"):
        assert set(term.stems) <= set(indexed)
    assert "internet" in indexed
