"""Feed contents as readers see them: valid documents, stable ids, languages, drafts, hostility."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir.feeds.build import cut, xml_safe
from linkdir.resources import service
from linkdir.resources.models import Resource
from tests.conftest import make_resource, make_topic
from tests.feeds.conftest import Client, assert_valid_atom, read_feed

ATOM = "{http://www.w3.org/2005/Atom}"
EDITOR = service.Actor("tests")
HOSTILE_TITLE = (
    "Tab\tbell\x07 vt\x0b ff\x0c esc\x1b c1\x85 nonchar\ufffe 😀 עברית ]]> </title><x>&amp;"
)


async def seeded(session: AsyncSession) -> dict[str, Any]:
    topic = await make_topic(
        session, slug="mik", name_sv="Medie- och informationskunnighet", name_en="Media literacy"
    )
    other = await make_topic(session, slug="annat", name_sv="Annat", name_en="Other things")
    report = await make_resource(
        session,
        title="Svenskarna och internet",
        description="Årlig rapport om svenskarnas internetvanor.",
        publisher="Internetstiftelsen",
        topics=[topic.slug],
        tags=["statistik"],
    )
    course = await make_resource(
        session, title="Källkritik för alla", topics=[other.slug], tags=["kurs"]
    )
    draft = await make_resource(
        session, title="Hemligt utkast", state="draft", topics=[topic.slug], tags=["statistik"]
    )
    return {"topic": topic, "report": report, "course": course, "draft": draft}


async def change(session: AsyncSession, resource_id: int, **fields: Any) -> Any:
    changed = await service.update_resource(session, resource_id, fields, by=EDITOR)
    await session.commit()
    return changed


ALL_FEEDS = [
    "/feeds/new.atom",
    "/feeds/new.rss",
    "/feeds/updated.atom",
    "/feeds/updated.rss",
    "/feeds/topics/mik.atom",
    "/feeds/topics/mik.rss",
    "/feeds/tags/statistik.atom",
    "/feeds/tags/statistik.rss",
]


@pytest.mark.parametrize("path", ALL_FEEDS)
@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_every_feed_parses_cleanly_in_a_real_feed_reader(
    client: Client, session: AsyncSession, path: str, lang: str
) -> None:
    data = await seeded(session)
    await change(session, data["report"].id, title="Svenskarna och internet 2025")
    feed = await read_feed(client, f"{path}?lang={lang}")
    assert feed.entries
    assert feed.feed.title.startswith("linkdir")
    links = {link.rel: link.href for link in feed.feed.links}
    assert links["self"].endswith(path + ("?lang=en" if lang == "en" else ""))
    content_type = feed.response.headers["content-type"]
    assert content_type.startswith(
        "application/atom+xml" if path.endswith("atom") else "application/rss+xml"
    )
    for entry in feed.entries:
        assert entry.id.startswith("tag:testserver.local,2026:resource/")
        assert entry.title and entry.link.startswith("https://")


@pytest.mark.parametrize("path", [p for p in ALL_FEEDS if p.endswith(".atom")])
async def test_atom_feeds_are_valid_against_the_rfc_4287_schema(
    client: Client, session: AsyncSession, atom_schema: etree.RelaxNG, path: str
) -> None:
    data = await seeded(session)
    await change(session, data["report"].id, description="Ny text.", tags=["statistik", "ny"])
    await change(session, data["course"].id, state="retired")
    response = await client.get(path)
    assert response.status_code == 200
    assert_valid_atom(atom_schema, response.content)


async def test_empty_feeds_are_valid_and_dated_by_nothing_but_the_directory(
    client: Client, atom_schema: etree.RelaxNG
) -> None:
    first = await client.get("/feeds/new.atom")
    assert_valid_atom(atom_schema, first.content)
    updated = etree.fromstring(first.content).findtext(f"{ATOM}updated")
    assert updated == "2026-01-01T00:00:00+00:00"
    again = await client.get("/feeds/new.atom")
    assert again.content == first.content


async def test_an_item_carries_title_link_summary_categories_publisher_and_times(
    client: Client, session: AsyncSession
) -> None:
    data = await seeded(session)
    feed = await read_feed(client, "/feeds/new.atom?lang=en")
    entry = next(e for e in feed.entries if e.title == "Svenskarna och internet")
    report = data["report"]
    assert entry.id == f"tag:testserver.local,2026:resource/{report.id}"
    assert entry.link == report.url
    related = [link.href for link in entry.links if link.rel == "related"]
    assert related == [f"http://testserver.local/resources/{report.id}"]
    assert entry.summary == "Årlig rapport om svenskarnas internetvanor."
    assert entry.author == "Internetstiftelsen"
    assert {(t.term, t.label) for t in entry.tags} == {
        ("mik", "Media literacy"),
        ("statistik", "#statistik"),
    }
    assert entry.published_parsed and entry.updated_parsed
    rss = await read_feed(client, "/feeds/new.rss?lang=en")
    item = next(e for e in rss.entries if e.title == "Svenskarna och internet")
    assert item.id == entry.id and item.guidislink is False
    assert item.author == "Internetstiftelsen"
    assert {t.term for t in item.tags} == {"Media literacy", "#statistik"}


async def test_the_feed_is_dated_by_its_newest_item_never_by_the_request(
    client: Client, session: AsyncSession
) -> None:
    data = await seeded(session)
    first = await client.get("/feeds/new.atom")
    root = etree.fromstring(first.content)
    newest = max(
        datetime.fromisoformat(e.findtext(f"{ATOM}updated") or "")
        for e in root.findall(f"{ATOM}entry")
    )
    assert datetime.fromisoformat(root.findtext(f"{ATOM}updated") or "") == newest
    later = await client.get("/feeds/new.atom")
    assert later.content == first.content
    assert later.headers["last-modified"] == first.headers["last-modified"]
    assert data["course"].published_at.replace(microsecond=0) <= newest


async def test_fixing_an_address_updates_the_entry_in_place_and_adds_one_updated_entry(
    client: Client, session: AsyncSession
) -> None:
    data = await seeded(session)
    report = data["report"]
    before = await read_feed(client, "/feeds/new.atom")
    ids_before = [e.id for e in before.entries]
    await change(session, report.id, url="https://internetstiftelsen.se/rapporter/2025/")
    after = await read_feed(client, "/feeds/new.atom")
    assert sorted(e.id for e in after.entries) == sorted(ids_before)
    moved = next(e for e in after.entries if e.id.endswith(f"resource/{report.id}"))
    assert moved.link == "https://internetstiftelsen.se/rapporter/2025/"
    assert moved.updated_parsed >= moved.published_parsed

    updated = await read_feed(client, "/feeds/updated.atom?lang=en")
    assert len(updated.entries) == 1
    entry = updated.entries[0]
    revisions = await service.revisions_of(session, report.id)
    assert entry.id == f"tag:testserver.local,2026:resource/{report.id}/revision/{revisions[0].id}"
    assert entry.title == "Updated: Svenskarna och internet"
    assert "New address: https://internetstiftelsen.se/rapporter/2025/" in entry.summary
    assert report.url in entry.summary  # the old address, to recognise the entry by
    swedish = await read_feed(client, "/feeds/updated.atom")
    assert swedish.entries[0].id == entry.id
    assert swedish.entries[0].title == "Uppdaterad: Svenskarna och internet"
    assert "Ny adress: https://internetstiftelsen.se/rapporter/2025/" in swedish.entries[0].summary


async def test_updated_entries_say_what_changed_and_skip_what_subscribers_do_not_see(
    client: Client, session: AsyncSession
) -> None:
    data = await seeded(session)
    report = data["report"]
    await change(session, report.id, publisher="Någon annan", review_by="2030-01-01")
    await change(
        session,
        report.id,
        title="Svenskarna och internet 2025",
        description="Ny beskrivning.",
        topics=["annat"],
        tags=["statistik", "internet"],
    )
    feed = await read_feed(client, "/feeds/updated.atom?lang=en")
    assert len(feed.entries) == 1  # the publisher and review date changes are internal
    summary = feed.entries[0].summary
    for expected in (
        "New title: Svenskarna och internet 2025",
        "New description: Ny beskrivning.",
        "Added to topics: Other things",
        "Removed from topics: Media literacy",
        "Tags added: internet",
    ):
        assert expected in summary
    assert "Någon annan" not in summary and "2030" not in summary


async def test_drafts_never_appear_in_any_public_feed(
    client: Client, session: AsyncSession
) -> None:
    data = await seeded(session)
    await change(session, data["draft"].id, title="Fortfarande hemligt", url="https://hemligt.se/")
    for path in ALL_FEEDS:
        response = await client.get(path)
        assert "hemligt" not in response.text.lower(), path
    opml = await client.get("/feeds.opml")
    assert "Hemligt" not in opml.text


async def test_a_retired_resource_leaves_one_retirement_notice_and_nothing_else(
    client: Client, session: AsyncSession
) -> None:
    data = await seeded(session)
    report = data["report"]
    await change(session, report.id, title="Svenskarna och internet 2024")
    await change(session, report.id, state="retired")
    new = await read_feed(client, "/feeds/new.atom")
    assert all(not e.id.endswith(f"resource/{report.id}") for e in new.entries)
    for path in ("/feeds/topics/mik.atom", "/feeds/tags/statistik.atom"):
        assert not (await read_feed(client, path)).entries
    updated = await read_feed(client, "/feeds/updated.atom?lang=en")
    assert [e.title for e in updated.entries] == ["Retired: Svenskarna och internet 2024"]
    assert "no longer listed" in updated.entries[0].summary
    assert not updated.entries[0].get("tags")
    # Retiring a draft that never was public leaves no trace at all.
    await change(session, data["draft"].id, state="retired")
    assert len((await read_feed(client, "/feeds/updated.atom")).entries) == 1


async def test_publishing_a_draft_is_news_in_the_new_feed_not_an_update(
    client: Client, session: AsyncSession
) -> None:
    data = await seeded(session)
    await change(session, data["draft"].id, state="published")
    new = await read_feed(client, "/feeds/new.atom")
    assert "Hemligt utkast" in [e.title for e in new.entries]
    assert not (await read_feed(client, "/feeds/updated.atom")).entries


async def test_topic_and_tag_feeds_hold_only_their_own_resources(
    client: Client, session: AsyncSession
) -> None:
    await seeded(session)
    topic = await read_feed(client, "/feeds/topics/mik.atom?lang=en")
    assert [e.title for e in topic.entries] == ["Svenskarna och internet"]
    assert topic.feed.title == "linkdir: new in Media literacy"
    tag = await read_feed(client, "/feeds/tags/kurs.rss")
    assert [e.title for e in tag.entries] == ["Källkritik för alla"]
    for missing in (
        "/feeds/topics/finns-inte.atom",
        "/feeds/tags/finns-inte.rss",
        "/feeds/topics/mik.json",
        "/feeds/old.atom",
        "/feeds/new",
    ):
        assert (await client.get(missing)).status_code == 404, missing


async def test_a_topic_with_swedish_letters_has_a_working_feed(
    client: Client, session: AsyncSession
) -> None:
    await make_topic(session, slug="källkritik", name_sv="Källkritik", name_en="Source criticism")
    await make_resource(session, title="Granska källan", topics=["källkritik"], tags=["äldre"])
    topic = await read_feed(client, "/feeds/topics/k%C3%A4llkritik.atom")
    assert [e.title for e in topic.entries] == ["Granska källan"]
    assert topic.feed.links[0].href.endswith("/feeds/topics/k%C3%A4llkritik.atom")
    tag = await read_feed(client, "/feeds/tags/%C3%A4ldre.atom")
    assert [e.title for e in tag.entries] == ["Granska källan"]


async def test_the_language_follows_the_lang_query_and_nothing_else(
    client: Client, session: AsyncSession
) -> None:
    await seeded(session)
    swedish = await read_feed(client, "/feeds/new.atom", **{"Accept-Language": "en"})
    english = await read_feed(client, "/feeds/new.atom?lang=en")
    assert swedish.feed.language == "sv" and english.feed.language == "en"
    assert swedish.feed.title == "linkdir: nya resurser"
    assert english.feed.title == "linkdir: new resources"
    labels_sv = {t.label for e in swedish.entries for t in e.tags}
    labels_en = {t.label for e in english.entries for t in e.tags}
    assert "Medie- och informationskunnighet" in labels_sv and "Media literacy" in labels_en
    assert [e.id for e in swedish.entries] == [e.id for e in english.entries]
    assert swedish.feed.id != english.feed.id
    rss = await read_feed(client, "/feeds/new.rss?lang=en")
    assert rss.feed.language == "en"
    assert "set-cookie" not in english.response.headers


async def test_hostile_field_contents_never_break_a_feed(
    client: Client, session: AsyncSession, atom_schema: etree.RelaxNG
) -> None:
    topic = await make_topic(session, slug="rtl", name_sv="عربي 🌍", name_en="Arabic \x0b🌍")
    resource = await make_resource(session, title="Placeholder", topics=[topic.slug])
    long_text = ("Ordet " * 400) + "slut"
    # Straight into the database, past the service's cleaning, as an old import might have.
    await session.execute(
        update(Resource)
        .where(Resource.id == resource.id)  # type: ignore[arg-type]
        .values(
            title=HOSTILE_TITLE,
            description=long_text,
            publisher="Förlaget \x01\x02 <b>fet</b> 🦄",
        )
    )
    await session.commit()
    for path in ("/feeds/new.atom", "/feeds/new.rss", "/feeds/topics/rtl.atom?lang=en"):
        feed = await read_feed(client, path)
        entry = feed.entries[0]
        assert entry.title == "Tab\tbell vt ff esc c1 nonchar 😀 עברית ]]> </title><x>&amp;"
        assert entry.author == "Förlaget  <b>fet</b> 🦄"
        summary = entry.summary
        assert len(summary) <= 600 and summary.endswith("Ordet…")
    atom = await client.get("/feeds/topics/rtl.atom?lang=en")
    assert_valid_atom(atom_schema, atom.content)
    assert "Arabic 🌍" in atom.text


def test_cut_stops_at_a_word_boundary_and_keeps_short_text_whole() -> None:
    assert cut("kort text", 20) == "kort text"
    assert cut("ett två tre fyra fem", 12) == "ett två tre…"
    assert cut("ett två, tre", 10) == "ett två…"
    assert cut("x" * 50, 10) == "x" * 9 + "…"
    assert len(cut("ord " * 1000)) <= 600


def test_xml_safe_keeps_emoji_and_right_to_left_text() -> None:
    assert xml_safe("a\x00b\x0bc\ud800d\ufffee\u200fשלום 😀\n\t") == "abcde\u200fשלום 😀\n\t"
