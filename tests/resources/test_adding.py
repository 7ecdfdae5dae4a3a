"""Adding a resource in seconds: prefill, "Fetch details", completed addresses, the API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import lxml.html
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir.resources.models import Resource
from tests.auth.test_sessions import account, csrf_of, sign_in
from tests.conftest import make_resource
from tests.transfer.conftest import LinksSite

Client = AsyncTestClient[Any]

PAGE = (
    '<!doctype html><html lang="en"><head><title>Library strategy – Region Exempel</title>'
    '<meta name="description" content="How the region\'s libraries work &lt;together&gt;.">'
    '<meta property="og:site_name" content="Region Exempel"></head><body></body></html>'
)


@pytest.fixture
def page_site() -> Iterator[LinksSite]:
    site = LinksSite()
    site.pages["/strategi"] = (200, "text/html; charset=utf-8", PAGE.encode())
    site.pages["/plan.pdf"] = (200, "application/pdf", b"%PDF-1.7")
    site.thread.start()
    try:
        yield site
    finally:
        site.server.shutdown()
        site.server.server_close()


async def signed_in(client: Client, session: AsyncSession) -> str:
    await account(session)
    await sign_in(client, "kurator@region.se")
    return csrf_of((await client.get("/manage/resources/new")).text)


def form_of(html: str) -> Any:
    return lxml.html.fromstring(html)


def value(page: Any, name: str) -> str:
    element = page.get_element_by_id(f"field-{name}")
    if element.tag == "textarea":
        return str(element.text_content())
    if element.tag == "select":
        chosen = element.xpath("option[@selected]")
        return str(chosen[0].get("value")) if chosen else ""
    return str(element.get("value"))


async def test_the_add_form_is_prefilled_from_its_address_and_escaped(
    client: Client, session: AsyncSession
) -> None:
    await signed_in(client, session)
    response = await client.get(
        "/manage/resources/new",
        params={
            "url": "www.kb.se/bibliotek",
            "title": 'Bibliotek <script>alert("x")</script>',
            "description": "Markerad text\u0007 från sidan.",
        },
    )
    assert response.status_code == 200
    assert "<script>alert" not in response.text
    page = form_of(response.text)
    assert value(page, "url") == "https://www.kb.se/bibliotek"
    assert value(page, "title") == 'Bibliotek <script>alert("x")</script>'
    assert value(page, "description") == "Markerad text från sidan."
    # Nothing chosen for the curator: the type and the language start empty.
    assert value(page, "resource_type") == "" and value(page, "language") == ""
    assert page.xpath("//select[@id='field-resource_type']/option[1]")[0].text == "Välj typ"


async def test_a_prefilled_address_that_cannot_be_listed_is_kept_with_its_error(
    client: Client, session: AsyncSession
) -> None:
    await signed_in(client, session)
    response = await client.get(
        "/manage/resources/new", params={"url": "file:///C:/Users/rapport.html"}
    )
    assert response.status_code == 200
    page = form_of(response.text)
    assert value(page, "url") == "file:///C:/Users/rapport.html"
    assert "http" in page.get_element_by_id("error-url").text_content()


async def test_fetch_details_fills_the_empty_fields_and_keeps_what_was_typed(
    client: Client, session: AsyncSession, page_site: LinksSite
) -> None:
    csrf = await signed_in(client, session)
    typed = {
        "csrf_token": csrf,
        "url": page_site.url("/strategi"),
        "title": "Min egen titel",
        "description": "",
        "publisher": "",
        "language": "",
        "resource_type": "guide",
        "tags": "strategi",
        "review_by": "2027-06-30",
    }
    response = await client.post("/manage/resources/new/lookup", data=typed)
    assert response.status_code == 200
    page = form_of(response.text)
    assert value(page, "title") == "Min egen titel"
    assert value(page, "description") == "How the region's libraries work <together>."
    assert value(page, "publisher") == "Region Exempel"
    assert value(page, "language") == "en"
    assert value(page, "resource_type") == "guide"
    assert value(page, "tags") == "strategi" and value(page, "review_by") == "2027-06-30"
    notice = page.get_element_by_id("lookup-done").text_content()
    assert "Beskrivning" in notice and "Utgivare" in notice and "Titel" not in notice
    assert "&lt;together&gt;" in response.text  # escaped on the way back out
    assert (await session.execute(select(Resource))).first() is None  # nothing saved


async def test_fetch_details_failures_are_explained_on_the_form(
    client: Client, session: AsyncSession, page_site: LinksSite
) -> None:
    csrf = await signed_in(client, session)
    base = {"csrf_token": csrf, "title": "Behålls", "language": "", "resource_type": ""}
    missing = await client.post(
        "/manage/resources/new/lookup", data={**base, "url": page_site.url("/finns-inte")}
    )
    assert missing.status_code == 200
    page = form_of(missing.text)
    assert "HTTP 404" in page.get_element_by_id("error-url").text_content()
    assert "Ingen sida" in page.get_element_by_id("error-url").text_content()
    assert value(page, "title") == "Behålls"
    private = await client.post(
        "/manage/resources/new/lookup",
        data={**base, "url": "http://10.1.2.3/intranat"},
        headers={"Accept-Language": "en"},
    )
    assert "private" in form_of(private.text).get_element_by_id("error-url").text_content()
    pdf = await client.post(
        "/manage/resources/new/lookup", data={**base, "url": page_site.url("/plan.pdf")}
    )
    page = form_of(pdf.text)
    assert not page.xpath("//*[@id='error-url']")  # a PDF is fine to list
    assert "application/pdf" in page.get_element_by_id("lookup-done").text_content()


async def test_a_bare_address_and_no_chosen_type_are_saved_with_defaults(
    client: Client, session: AsyncSession
) -> None:
    csrf = await signed_in(client, session)
    created = await client.post(
        "/manage/resources/new",
        data={
            "csrf_token": csrf,
            "url": "www.kb.se/bibliotek",
            "title": "Bibliotek",
            "language": "",
            "resource_type": "",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    stored = (await session.execute(select(Resource))).scalar_one()
    assert stored.url == "https://www.kb.se/bibliotek"
    assert (stored.resource_type, stored.language) == ("other", "sv")


async def test_the_add_form_suggests_existing_tags(client: Client, session: AsyncSession) -> None:
    await make_resource(session, tags=["statistik", "rapport"])
    await make_resource(session, tags=["rapport"])
    await signed_in(client, session)
    page = form_of((await client.get("/manage/resources/new")).text)
    assert page.get_element_by_id("field-tags").get("list") == "known-tags"
    options = [o.get("value") for o in page.xpath("//datalist[@id='known-tags']/option")]
    assert options == ["rapport", "statistik"]  # most used first


async def test_the_account_page_offers_the_bookmarklet(
    client: Client, session: AsyncSession
) -> None:
    await signed_in(client, session)
    page = form_of((await client.get("/manage/account")).text)
    href = page.get_element_by_id("bookmarklet").get("href")
    assert href.startswith("javascript:")
    assert "http://testserver.local/manage/resources/new?url=" in href
    assert "bokmärkesfältet" in page.text_content()


# The API -----------------------------------------------------------------------------------


async def test_the_lookup_api_answers_curators_with_suggestions(
    client: Client, auth_headers_factory: Any, page_site: LinksSite
) -> None:
    headers = await auth_headers_factory()
    response = await client.get(
        "/api/v1/resources/lookup", params={"url": page_site.url("/strategi")}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "url": page_site.url("/strategi"),
        "final_url": page_site.url("/strategi"),
        "title": "Library strategy",
        "description": "How the region's libraries work <together>.",
        "language": "en",
        "publisher": "Region Exempel",
    }
    anonymous = await client.get("/api/v1/resources/lookup", params={"url": "kb.se"})
    assert anonymous.status_code == 401


async def test_lookup_api_failures_are_problem_json_in_the_readers_language(
    client: Client, auth_headers_factory: Any, page_site: LinksSite
) -> None:
    headers = {**await auth_headers_factory(), "Accept-Language": "en"}
    for url, reason, words in (
        (page_site.url("/finns-inte"), "http_404", "HTTP 404"),
        ("http://169.254.169.254/latest/meta-data/", "invalid_url", "private"),
        ("javascript:alert(1)", "invalid_url", "javascript"),
        (page_site.url("/plan.pdf"), "not_html", "application/pdf"),
    ):
        response = await client.get(
            "/api/v1/resources/lookup", params={"url": url}, headers=headers
        )
        assert response.status_code == 422, (url, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        body = response.json()
        assert body["reason"] == reason
        assert body["errors"][0]["field"] == "url"
        assert words in body["errors"][0]["message"]


async def test_the_lookup_api_is_in_the_openapi_schema(client: Client) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    operation = schema["paths"]["/api/v1/resources/lookup"]["get"]
    assert "422" in operation["responses"]
    assert any(p["name"] == "url" for p in operation["parameters"])


async def test_the_api_completes_a_www_address_on_create(
    client: Client, session: AsyncSession, auth_headers_factory: Any
) -> None:
    headers = await auth_headers_factory()
    response = await client.post(
        "/api/v1/resources", json={"url": "www.kb.se/bibliotek", "title": "KB"}, headers=headers
    )
    assert response.status_code == 201, response.text
    assert response.json()["url"] == "https://www.kb.se/bibliotek"


async def test_a_topic_typed_by_name_is_added_and_an_unknown_one_is_explained(
    client: Client, session: AsyncSession
) -> None:
    from tests.conftest import make_topic

    await make_topic(session, slug="mik", name_sv="Medie- och informationskunnighet")
    await make_topic(session, slug="lasfram", name_sv="Läsfrämjande", name_en="Reading")
    csrf = await signed_in(client, session)
    form = form_of((await client.get("/manage/resources/new")).text)
    names = [o.get("value") for o in form.xpath("//datalist[@id='known-topics']/option")]
    assert set(names) == {"Medie- och informationskunnighet", "Läsfrämjande"}
    data = {"csrf_token": csrf, "url": "https://www.mik.se/", "title": "MIK", "topics": ["mik"]}
    unknown = await client.post("/manage/resources/new", data={**data, "topic_name": "Läsning"})
    assert unknown.status_code == 422
    page = form_of(unknown.text)
    assert "Läsning" in page.get_element_by_id("error-topic_name").text_content()
    assert value(page, "topic_name") == "Läsning"
    created = await client.post(
        "/manage/resources/new", data={**data, "topic_name": "läsfrämjande"}, follow_redirects=False
    )
    assert created.status_code == 303
    resource_id = int(created.headers["location"].split("?")[0].rsplit("/", 1)[1])
    from linkdir.resources import service

    topics = await service.topics_of(session, [resource_id])
    assert sorted(t.slug for t in topics[resource_id]) == ["lasfram", "mik"]
