"""Discovery: alternate links on pages, the /feeds page in both languages, OPML, the CLI."""

from __future__ import annotations

from typing import Any

import lxml.html
import pytest
from lxml import etree
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import make_resource, make_topic
from tests.feeds.conftest import Client
from tests.test_cli import base_env, run


async def seed(session: AsyncSession) -> None:
    await make_topic(session, slug="mik", name_sv="MIK", name_en="Media literacy")
    await make_resource(session, title="Källkritik", topics=["mik"], tags=["kurs"])


@pytest.mark.parametrize(
    ("page", "feeds"),
    [
        ("/", ["/feeds/new.atom", "/feeds/new.rss", "/feeds/updated.atom", "/feeds/updated.rss"]),
        ("/topics/mik", ["/feeds/topics/mik.atom", "/feeds/topics/mik.rss"]),
        ("/tags/kurs", ["/feeds/tags/kurs.atom", "/feeds/tags/kurs.rss"]),
    ],
)
async def test_pages_announce_their_feeds(
    client: Client, session: AsyncSession, page: str, feeds: list[str]
) -> None:
    await seed(session)
    for lang, suffix in (("sv", ""), ("en", "?lang=en")):
        html = lxml.html.fromstring((await client.get(f"{page}?lang={lang}")).text)
        alternates = html.xpath("//head/link[@rel='alternate']")
        assert [link.get("href") for link in alternates] == [f + suffix for f in feeds]
        assert all(link.get("title") and "xml" in link.get("type") for link in alternates)
        for feed in feeds:
            assert (await client.get(feed + suffix)).status_code == 200
        assert html.xpath("//footer//a[@href='/feeds']")


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_the_feeds_page_explains_each_feed_with_labelled_addresses(
    client: Client, session: AsyncSession, lang: str
) -> None:
    await seed(session)
    response = await client.get(f"/feeds?lang={lang}")
    assert response.status_code == 200
    page = lxml.html.fromstring(response.text)
    assert page.get("lang") == lang
    assert len(page.xpath("//h1")) == 1
    assert page.xpath("//h1")[0].text_content() == ("Flöden" if lang == "sv" else "Feeds")
    fields = page.xpath("//input[@readonly]")
    assert len(fields) == 5
    suffix = "?lang=en" if lang == "en" else ""
    values = {field.get("value") for field in fields}
    assert f"http://testserver.local/feeds/new.atom{suffix}" in values
    assert f"http://testserver.local/feeds.opml{suffix}" in values
    for field in fields:
        labels = page.xpath(f"//label[@for='{field.get('id')}']")
        assert labels and labels[0].text_content().strip()
    hrefs = page.xpath("//a/@href")
    assert f"http://testserver.local/feeds/topics/mik.rss{suffix}" in hrefs
    assert f"http://testserver.local/feeds/tags/kurs.atom{suffix}" in hrefs


async def test_opml_lists_every_public_feed(client: Client, session: AsyncSession) -> None:
    await seed(session)
    response = await client.get("/feeds.opml?lang=en")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/x-opml")
    root = etree.fromstring(response.content)
    assert root.get("version") == "2.0"
    urls = {o.get("xmlUrl"): o.get("text") for o in root.iter("outline") if o.get("xmlUrl")}
    assert urls == {
        "http://testserver.local/feeds/new.atom?lang=en": "linkdir: new resources",
        "http://testserver.local/feeds/updated.atom?lang=en": "linkdir: updated resources",
        "http://testserver.local/feeds/topics/mik.atom?lang=en": "Media literacy",
        "http://testserver.local/feeds/tags/kurs.atom?lang=en": "#kurs",
    }
    for url in urls:
        assert (await client.get(url.removeprefix("http://testserver.local"))).status_code == 200


def test_token_feed_prints_a_feed_address_and_revokes_the_previous_one(database_url: str) -> None:
    env = base_env(database_url, LINKDIR_BASE_URL="https://lankar.example.se")
    run(["user", "add", "red@region.se", "--password-stdin"], env, "ett-långt-lösenord-2026\n")
    first = run(["token", "feed", "red@region.se"], env)
    assert first.returncode == 0, first.stderr
    url = first.stdout.strip()
    assert url.startswith("https://lankar.example.se/feeds/link-problems.atom?token=ldf_")
    second = run(["token", "feed", "red@region.se"], env)
    assert second.stdout.strip() != url and "revoked" in second.stderr
    unknown = run(["token", "feed", "nobody@region.se"], env)
    assert unknown.returncode == 1 and "user add" in unknown.stderr
    _check_secrets(database_url, url, second.stdout.strip())


def _check_secrets(database_url: str, revoked_url: str, live_url: str) -> None:
    import asyncio

    from linkdir.db import create_engine, session_factory
    from linkdir.feeds.service import user_for_feed_secret

    async def check() -> tuple[Any, Any]:
        engine = create_engine(database_url)
        try:
            async with session_factory(engine)() as session:
                old = await user_for_feed_secret(session, revoked_url.split("token=")[1])
                new = await user_for_feed_secret(session, live_url.split("token=")[1])
                return old, new
        finally:
            await engine.dispose()

    old, new = asyncio.run(check())
    assert old is None and new is not None and new.email == "red@region.se"
