"""Public pages: structure a screen reader relies on, both languages, paging, escaping, drafts."""

from __future__ import annotations

from typing import Any

import lxml.html
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import make_resource, make_topic

Client = AsyncTestClient[Any]


def parse(html: str) -> Any:
    return lxml.html.fromstring(html)


def text_of(page: Any, xpath: str) -> list[str]:
    return [" ".join(node.text_content().split()) for node in page.xpath(xpath)]


async def seeded(session: AsyncSession) -> dict[str, Any]:
    topic = await make_topic(
        session,
        slug="digital-delaktighet",
        name_sv="Digital delaktighet",
        name_en="Digital participation",
        description_sv="Alla ska kunna vara med.",
        description_en="Everyone should be able to take part.",
    )
    resource = await make_resource(
        session,
        title="Svenskarna och internet 2018",
        publisher="Internetstiftelsen",
        topics=[topic.slug],
        tags=["statistik"],
    )
    draft = await make_resource(
        session, title="Hemligt utkast", topics=[topic.slug], tags=["statistik"]
    )
    await make_resource(session, title="Dolt utkast", state="draft", topics=[topic.slug])
    return {"topic": topic, "resource": resource, "other": draft}


PAGES = [
    "/",
    "/topics",
    "/tags",
    "/topics/digital-delaktighet",
    "/tags/statistik",
    "/search?q=internet",
    "/resources/{id}",
    "/about/accessibility",
]


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_has_the_structure_assistive_technology_needs(
    client: Client, session: AsyncSession, path: str
) -> None:
    data = await seeded(session)
    response = await client.get(path.format(id=data["resource"].id))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = parse(response.text)
    assert page.get("lang") == "sv"
    assert len(page.xpath("//h1")) == 1
    first_link = page.xpath("//body//a")[0]
    assert first_link.get("href") == "#main" and first_link.get("class") == "skip-link"
    assert page.xpath("//main[@id='main']")
    assert page.xpath("//header") and page.xpath("//footer") and page.xpath("//nav[@aria-label]")
    assert page.xpath("//title")[0].text_content().strip()
    # Every form control has a label.
    for control in page.xpath("//input[not(@type='hidden')]|//select|//textarea"):
        assert page.xpath(f"//label[@for='{control.get('id')}']"), lxml.html.tostring(control)


async def test_home_lists_topics_with_counts_and_newest_published(
    client: Client, session: AsyncSession
) -> None:
    await seeded(session)
    page = parse((await client.get("/")).text)
    topics = text_of(page, "//section[@aria-labelledby='topics-heading']//li")
    assert topics == ["Digital delaktighet 2 resurser"]
    newest = text_of(page, "//ol[contains(@class,'resources')]//h3")
    assert newest == ["Hemligt utkast", "Svenskarna och internet 2018"]
    assert "Dolt utkast" not in (await client.get("/")).text


async def test_english_by_query_then_cookie_then_accept_language(
    client: Client, session: AsyncSession
) -> None:
    await seeded(session)
    english = await client.get("/?lang=en")
    page = parse(english.text)
    assert page.get("lang") == "en"
    assert text_of(page, "//section[@aria-labelledby='topics-heading']//li") == [
        "Digital participation 2 resources"
    ]
    assert english.cookies.get("lang") == "en"
    assert "httponly" in english.headers["set-cookie"].lower()
    # The cookie is remembered on the next page.
    again = await client.get("/topics/digital-delaktighet")
    assert parse(again.text).get("lang") == "en"
    assert "Everyone should be able to take part." in again.text
    client.cookies.clear()
    by_header = await client.get("/", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert parse(by_header.text).get("lang") == "en"
    by_default = await client.get("/", headers={"Accept-Language": "de-DE"})
    assert parse(by_default.text).get("lang") == "sv"
    bad = await client.get("/?lang=xx")
    assert parse(bad.text).get("lang") == "sv"


async def test_language_switch_keeps_the_page_and_query(
    client: Client, session: AsyncSession
) -> None:
    await seeded(session)
    page = parse((await client.get("/search?q=internet")).text)
    switch = page.xpath("//nav[contains(@class,'language')]//a[@hreflang='en']")[0]
    assert switch.get("href") == "/search?q=internet&lang=en"
    current = page.xpath("//nav[contains(@class,'language')]//a[@aria-current]")[0]
    assert current.get("hreflang") == "sv"


async def test_the_topics_and_tags_indexes_lead_to_every_topic_and_followable_tag(
    client: Client, session: AsyncSession
) -> None:
    """A visitor who shortens /topics/mik to /topics (or follows the breadcrumbs or the
    main menu) finds every topic and tag instead of a 404 page."""
    empty_topics = parse((await client.get("/topics")).text)
    assert text_of(empty_topics, "//main//p[not(ancestor::nav)]")[0] == "Det finns inga ämnen än."
    empty_tags = parse((await client.get("/tags?lang=en")).text)
    assert "No published resource carries a tag yet." in text_of(empty_tags, "//main//p")
    client.cookies.clear()  # back to Swedish

    await seeded(session)
    await make_topic(session, slug="mik", name_sv="Medie- och informationskunnighet")
    for tag in ("ökad-tillgång", "ålder", "äldre", "zon", "abc"):
        await make_resource(session, title=f"Om {tag}", topics=["mik"], tags=[tag])
    await make_resource(session, title="Bara utkast", state="draft", tags=["utkasttagg"])
    # Written beside the site, not through it: the topic counts show within 30 s (the
    # page cache, as on the home page); a test does not wait.
    client.app.state.page_cache.clear()

    topics = parse((await client.get("/topics")).text)
    assert text_of(topics, "//main//li/h2") == [
        "Digital delaktighet",
        "Medie- och informationskunnighet",
    ]
    assert text_of(topics, "//main//li/p[@class='count']") == ["2 resurser", "5 resurser"]
    assert "Alla ska kunna vara med." in text_of(topics, "//main//li/p")
    assert topics.xpath("//main//li/h2/a/@href") == ["/topics/digital-delaktighet", "/topics/mik"]
    assert topics.xpath("//nav[@aria-label]//a[@href='/topics'][@aria-current='page']")
    english = parse((await client.get("/topics?lang=en")).text)
    assert text_of(english, "//h1") == ["Topics"]
    assert text_of(english, "//main//li/h2")[0] == "Digital participation"
    assert "Everyone should be able to take part." in text_of(english, "//main//li/p")
    client.cookies.clear()

    tag_index = parse((await client.get("/tags")).text)
    # Only tags a visitor can follow (a draft's tag is not shown), A to Ö the Swedish way.
    assert text_of(tag_index, "//ul[contains(@class,'tag-index')]/li") == [
        "#abc (1 resurs)",
        "#statistik (2 resurser)",
        "#zon (1 resurs)",
        "#ålder (1 resurs)",
        "#äldre (1 resurs)",
        "#ökad-tillgång (1 resurs)",
    ]
    assert "/tags/%C3%B6kad-tillg%C3%A5ng" in tag_index.xpath("//main//li/a/@href")
    assert "utkasttagg" not in (await client.get("/tags")).text

    # The breadcrumbs of a topic and of a tag lead back to the indexes.
    topic_page = parse((await client.get("/topics/mik")).text)
    assert text_of(topic_page, "//nav[contains(@class,'breadcrumbs')]//a") == [
        "Startsida",
        "Ämnen",
        "Medie- och informationskunnighet",
    ]
    assert topic_page.xpath("//nav[contains(@class,'breadcrumbs')]//a[@href='/topics']")
    tag_page = parse((await client.get("/tags/statistik")).text)
    assert tag_page.xpath("//nav[contains(@class,'breadcrumbs')]//a[@href='/tags']")
    # A topic or tag that is not there: its not-found page leads to the index.
    gone = await client.get("/topics/finns-inte")
    assert gone.status_code == 404
    assert parse(gone.text).xpath("//main//a[@href='/topics']")[0].text_content() == (
        "Se alla ämnen"
    )
    gone_tag = await client.get("/tags/finns-inte?lang=en")
    assert gone_tag.status_code == 404
    assert parse(gone_tag.text).xpath("//main//a[@href='/tags']")[0].text_content() == (
        "See every tag"
    )
    assert not parse((await client.get("/finns/inte")).text).xpath("//main//a[@href='/tags']")


async def test_topic_and_tag_pages_are_paginated(client: Client, session: AsyncSession) -> None:
    await make_topic(session, slug="mik")
    for number in range(23):
        await make_resource(
            session, title=f"MIK-material {number:02d}", topics=["mik"], tags=["mik"]
        )
    first = parse((await client.get("/topics/mik")).text)
    assert len(first.xpath("//ol[contains(@class,'resources')]/li")) == 20
    assert text_of(first, "//nav[contains(@class,'pagination')]//span") == ["Sida 1 av 2"]
    next_link = first.xpath("//a[@rel='next']")[0].get("href")
    second = parse((await client.get(next_link)).text)
    assert len(second.xpath("//ol[contains(@class,'resources')]/li")) == 3
    assert second.xpath("//a[@rel='prev']")
    tag_page = parse((await client.get("/tags/mik?page=2")).text)
    assert len(tag_page.xpath("//ol[contains(@class,'resources')]/li")) == 3
    assert (await client.get("/topics/mik?page=abc")).status_code == 200


async def test_search_page_finds_word_forms_and_offers_facets(
    client: Client, session: AsyncSession
) -> None:
    await seeded(session)
    response = await client.get("/search", params={"q": "internets"})
    page = parse(response.text)
    assert text_of(page, "//section[contains(@class,'results')]//h3") == [
        "Svenskarna och internet 2018"
    ]
    facet_links = page.xpath("//*[contains(@class,'facets')]//a")
    assert any("topic=digital-delaktighet" in a.get("href") for a in facet_links)
    narrowed = await client.get("/search", params={"q": "internets", "type": "course"})
    assert "Svenskarna och internet 2018" not in narrowed.text


@pytest.mark.parametrize("query", ["!!!???", "x" * 5000, "<script>", "'; DROP TABLE resource; --"])
async def test_search_page_survives_odd_queries(
    client: Client, session: AsyncSession, query: str
) -> None:
    await seeded(session)
    response = await client.get("/search", params={"q": query})
    assert response.status_code == 200
    assert "<script>" not in response.text.split("<main", 1)[1]


async def test_resource_page_shows_the_facts(client: Client, session: AsyncSession) -> None:
    data = await seeded(session)
    page = parse((await client.get(f"/resources/{data['resource'].id}")).text)
    assert text_of(page, "//h1") == ["Svenskarna och internet 2018"]
    facts = dict(zip(text_of(page, "//dl/dt"), text_of(page, "//dl/dd"), strict=True))
    assert facts["Utgivare"] == "Internetstiftelsen"
    assert facts["Språk"] == "svenska"
    assert "Digital delaktighet" in facts["Ämnen"]


async def test_drafts_and_unknown_things_are_404_pages(
    client: Client, session: AsyncSession
) -> None:
    draft = await make_resource(session, title="Utkast", state="draft")
    for path in (
        f"/resources/{draft.id}",
        "/resources/999999",
        "/topics/nope",
        "/tags/nope",
        "/finns-inte",
    ):
        response = await client.get(path)
        assert response.status_code == 404, path
        page = parse(response.text)
        assert len(page.xpath("//h1")) == 1 and page.get("lang") == "sv"


async def test_user_text_is_escaped_everywhere(client: Client, session: AsyncSession) -> None:
    payload = "<script>alert(1)</script>"
    await make_topic(session, slug="x", name_sv=payload, name_en=payload, description_sv=payload)
    resource = await make_resource(
        session,
        title=payload,
        description=payload,
        publisher=payload,
        topics=["x"],
        tags=["scriptalert1script"],
    )
    for path in (
        "/",
        "/topics/x",
        f"/resources/{resource.id}",
        "/search?q=alert",
        "/tags/scriptalert1script",
    ):
        body = (await client.get(path)).text
        assert "<script>alert(1)</script>" not in body, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body, path


async def test_health_answers_with_the_database(client: Client) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json()["database"] is True


async def test_static_stylesheet_is_served(client: Client) -> None:
    response = await client.get("/static/site.css")
    assert response.status_code == 200
    assert ":focus-visible" in response.text
