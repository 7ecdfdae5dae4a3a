"""Visitors see a confirmed-broken link for what it is, and the archived copy comes first."""

from __future__ import annotations

from typing import Any

import lxml.html

from tests.conftest import make_resource, make_topic

ARCHIVE = "https://web.archive.org/web/20180314000000/https://gone.example.se/rapport"


async def seeded(session: Any) -> dict[str, Any]:
    topic = await make_topic(session, slug="lasframjande")
    made = {}
    for key, status, archive in (
        ("working", "ok", None),
        ("broken", "broken", None),
        ("archived", "broken", ARCHIVE),
        ("suspect", "ok", None),
    ):
        made[key] = await make_resource(
            session,
            url=f"https://{key}.example.se/rapport",
            title=f"Bokcirkel {key}",
            topics=[topic.slug],
            tags=["bokcirkel"],
        )
        made[key].link_status, made[key].archive_url = status, archive
    made["suspect"].consecutive_failures = 1  # not confirmed: visitors are not warned yet
    await session.commit()
    return made


def item_of(html: str, resource: Any) -> Any:
    page = lxml.html.fromstring(html)
    found = page.xpath(f"//li[contains(@class,'resource')][.//a[@href='/resources/{resource.id}']]")
    return found[0] if found else page


async def test_listings_mark_broken_links_in_words_and_lead_with_the_archived_copy(client, session):
    made = await seeded(session)
    for path in ("/topics/lasframjande", "/tags/bokcirkel", "/search?q=bokcirkel"):
        html = (await client.get(path + ("&" if "?" in path else "?") + "lang=en")).text
        working = item_of(html, made["working"])
        assert "Broken link" not in working.text_content(), path
        assert working.xpath(f".//a[@href='{made['working'].url}']")
        broken = item_of(html, made["broken"])
        assert "Broken link:" in broken.text_content(), path
        archived = item_of(html, made["archived"])
        links = archived.xpath(
            ".//p[contains(@class,'visit') or contains(@class,'link-warning')]//a"
        )
        assert links[0].get("href") == ARCHIVE, path  # the archived copy is the primary link
        assert "Archived copy from 2018" in links[0].text_content()
        assert links[1].get("href") == made["archived"].url
        assert "no longer works" in archived.text_content()
        suspect = item_of(html, made["suspect"])
        assert "Broken link" not in suspect.text_content(), path


async def test_the_resource_page_marks_a_broken_link_in_both_languages(client, session):
    made = await seeded(session)
    page = lxml.html.fromstring((await client.get(f"/resources/{made['archived'].id}")).text)
    primary = page.xpath("//p[contains(@class,'visit')]/a")[0]
    assert primary.get("href") == ARCHIVE and "2018" in primary.text_content()
    assert "Arkiverad kopia från 2018" in primary.text_content()
    broken = (await client.get(f"/resources/{made['broken'].id}?lang=en")).text
    assert "Broken link:" in broken and made["broken"].url in broken
    working = (await client.get(f"/resources/{made['working'].id}?lang=en")).text
    assert "Broken link" not in working and "Go to the resource" in working
