"""Embedding: /embed pages framable only by LINKDIR_EMBED_ORIGINS, JSON with CORS for the
same origins, the curators' "Bädda in" code, print lists with QR codes, OpenSearch."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import lxml.etree
import lxml.html
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir.config import Settings, SettingsError
from tests.auth.test_sessions import account, sign_in
from tests.conftest import make_resource, make_settings, make_topic

Client = AsyncTestClient[Any]
LIBRARY = "https://www.bibliotek.example.se"


@pytest.fixture
async def embed_client(database_url: str, shared_app: Any) -> AsyncIterator[Client]:
    settings = make_settings(database_url, embed_origins=(LIBRARY, "http://127.0.0.2:8080"))
    async with AsyncTestClient(app=shared_app(settings), base_url="http://testserver.local") as c:
        yield c


async def seeded(session: AsyncSession) -> dict[str, Any]:
    topic = await make_topic(
        session,
        slug="mik",
        name_sv="Medie- och informationskunnighet",
        name_en="Media and information literacy",
        description_sv="Att kunna värdera källor.",
    )
    ok = await make_resource(
        session,
        title="Kurs i källkritik",
        description="En <b>webbkurs</b>.",
        url="https://www.statensmedierad.example.se/kurs",
        topics=["mik"],
        tags=["kurs"],
    )
    await make_resource(session, title="Utkast om AI", topics=["mik"], state="draft")
    return {"topic": topic, "ok": ok}


def parse(html: str) -> Any:
    return lxml.html.fromstring(html)


async def test_embed_page_is_framable_by_the_listed_origins_only(
    embed_client: Client, session: AsyncSession
) -> None:
    await seeded(session)
    response = await embed_client.get("/embed/topics/mik")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert policy.endswith(f"frame-ancestors {LIBRARY} http://127.0.0.2:8080")
    assert "x-frame-options" not in response.headers
    page = parse(response.text)
    assert page.xpath("string(//h1)") == "Medie- och informationskunnighet"
    assert page.xpath("//a[@class='linkdir-title']/text()") == ["Kurs i källkritik"]
    assert "Utkast" not in response.text, "drafts are never shown"
    assert page.xpath("//a[@class='linkdir-title']/@target") == ["_top"]
    assert "Länk: Inte kontrollerad än" in page.text_content()
    assert "<b>" not in response.text, "descriptions are escaped"
    # Every other page stays unframable.
    other = await embed_client.get("/topics/mik")
    assert other.headers["x-frame-options"] == "DENY"
    assert other.headers["content-security-policy"].endswith("frame-ancestors 'none'")


async def test_without_origins_no_one_may_frame_the_embed_page(
    client: Client, session: AsyncSession
) -> None:
    await seeded(session)
    response = await client.get("/embed/tags/kurs?lang=en")
    assert response.status_code == 200
    assert response.headers["content-security-policy"].endswith("frame-ancestors 'none'")
    assert parse(response.text).xpath("string(//h1)") == "Tag: kurs"
    assert "See all 1 resource in the directory" in response.text


@pytest.mark.parametrize("slug", ["finns-inte", "%00", "x" * 3000, "%C3%A5%C3%A4%C3%B6", "..%2F.."])
async def test_unknown_topic_or_tag_is_a_clear_404(embed_client: Client, slug: str) -> None:
    page = await embed_client.get(f"/embed/topics/{slug}")
    assert page.status_code == 404
    assert "Sidan finns inte" in page.text
    api = await embed_client.get(f"/api/v1/embed/tags/{slug}?lang=en")
    assert api.status_code == 404
    assert api.headers["content-type"].startswith("application/problem+json")
    assert (await embed_client.get(f"/topics/{slug}/print")).status_code == 404
    assert (await embed_client.get(f"/topics/{slug}")).status_code == 404
    assert (await embed_client.get(f"/tags/{slug}")).status_code == 404


async def test_json_answers_allowed_origins_with_cors_and_others_without(
    embed_client: Client, session: AsyncSession
) -> None:
    ids = await seeded(session)
    allowed = await embed_client.get(
        "/api/v1/embed/topics/mik?lang=en", headers={"Origin": LIBRARY}
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == LIBRARY
    assert "Origin" in allowed.headers["vary"]
    body = allowed.json()
    assert body["title"] == "Media and information literacy"
    assert body["url"] == "http://testserver.local/topics/mik"
    assert body["total"] == 1
    [item] = body["items"]
    assert item["url"] == "https://www.statensmedierad.example.se/kurs"
    assert item["link_status"] == "unchecked"
    assert item["link_status_label"] == "Not checked yet"
    assert item["html_url"] == f"http://testserver.local/resources/{ids['ok'].id}"
    refused = await embed_client.get(
        "/api/v1/embed/topics/mik", headers={"Origin": "https://evil.example"}
    )
    assert refused.status_code == 200
    assert "access-control-allow-origin" not in refused.headers


async def test_curators_get_the_embed_code_on_the_topic_page(
    embed_client: Client, session: AsyncSession
) -> None:
    await seeded(session)
    anonymous = parse((await embed_client.get("/topics/mik")).text)
    assert not anonymous.xpath("//section[@class='embed-code']"), "visitors see no embed code"
    assert anonymous.xpath("//a[@href='/topics/mik/print']"), "everyone may print"
    await account(session, "webbredaktor@bibliotek.se")
    await sign_in(embed_client, "webbredaktor@bibliotek.se")
    page = parse((await embed_client.get("/topics/mik")).text)
    [section] = page.xpath("//section[@class='embed-code']")
    assert section.xpath("string(.//h2)") == "Bädda in"
    iframe_code = section.xpath("string(.//textarea[@id='embed-iframe'])")
    frame = lxml.html.fragment_fromstring(iframe_code)
    assert frame.get("src") == "http://testserver.local/embed/topics/mik"
    assert frame.get("title") == "Medie- och informationskunnighet"
    snippet = lxml.html.fragment_fromstring(
        section.xpath("string(.//textarea[@id='embed-snippet'])")
    )
    assert not snippet.xpath("//script | //*[@style] | //iframe"), "plain HTML, no script"
    links = snippet.xpath(".//a/@href")
    assert "https://www.statensmedierad.example.se/kurs" in links
    assert "http://testserver.local/topics/mik" in links, "see all in the directory"
    assert LIBRARY in section.text_content(), "says which sites may show the frame"


async def test_print_list_has_addresses_and_qr_codes(client: Client, session: AsyncSession) -> None:
    await seeded(session)
    response = await client.get("/topics/mik/print")
    assert response.status_code == 200
    page = parse(response.text)
    assert "https://www.statensmedierad.example.se/kurs" in page.xpath("string(//ol)")
    codes = page.xpath("//img[@class='qr']")
    assert len(codes) == 2, "one for the topic, one per resource"
    assert all(img.get("src").startswith("data:image/svg+xml") for img in codes)
    assert all(img.get("alt") for img in codes)
    assert "Utskriven" in page.text_content()
    assert (await client.get("/tags/kurs/print")).status_code == 200
    assert (await client.get("/tags/finns-inte/print")).status_code == 404


async def test_opensearch_description_points_at_the_search_page(client: Client) -> None:
    home = parse((await client.get("/")).text)
    assert home.xpath("//link[@rel='search']/@href") == ["/opensearch.xml"]
    response = await client.get("/opensearch.xml?lang=en")
    assert response.headers["content-type"].startswith("application/opensearchdescription+xml")
    document = lxml.etree.fromstring(response.content)
    ns = {"os": "http://a9.com/-/spec/opensearch/1.1/"}
    [url] = document.xpath("//os:Url[@type='text/html']/@template", namespaces=ns)
    assert url == "http://testserver.local/search?q={searchTerms}&lang=en"


def test_embed_origins_must_be_origins() -> None:
    settings = Settings.from_env(
        {"LINKDIR_EMBED_ORIGINS": "https://www.bibliotek.se/, http://127.0.0.1:8001"},
        env="development",
    )
    assert settings.embed_origins == ("https://www.bibliotek.se", "http://127.0.0.1:8001")
    with pytest.raises(SettingsError, match="LINKDIR_EMBED_ORIGINS.*not an origin"):
        Settings.from_env({"LINKDIR_EMBED_ORIGINS": "https://www.bibliotek.se/lankar"})
