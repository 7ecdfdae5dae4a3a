"""The link report shows reference rot in words and takes its fixes with one click."""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

from tests.checks import rot_pages as rp
from tests.checks.test_drift import (
    CONFIRMING,
    T0,
    agenda_site,
    check,  # noqa: F401  (the fixture: one and batch recording)
)
from tests.checks.test_report import signed_in

from linkdir.checks.drift_models import LinkSuggestion


def row_of(page: str, resource_id: int) -> str:
    """The report row of one resource (up to the next row)."""
    start = page.index(f'id="select-{resource_id}"')
    end = page.find("<tr>", start)
    return page[start : end if end != -1 else len(page)]


def words(fragment: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


async def test_a_replaced_page_is_explained_and_its_new_content_accepted(
    client: Any,
    session: Any,
    settings: Any,
    web: Any,
    check: Any,  # noqa: F811
) -> None:
    site, resource = await agenda_site(web, session)
    await check(web, session, resource, T0, settings)
    site.routes["/digital-agenda"] = web.html(rp.page(rp.CASINO_TITLE, rp.CASINO))
    for at in CONFIRMING:
        await check(web, session, resource, at, settings)
    session.add(
        LinkSuggestion(
            resource_id=resource.id, url="https://www.regionvasterbotten.se/agenda-2030",
            source="sitemap", score=0.92, found_at=T0,
        )
    )  # fmt: skip
    await session.commit()
    csrf = await signed_in(client, session)

    page = (await client.get("/manage/links?tab=broken")).text
    row = words(row_of(page, resource.id))
    # Swedish by default; the evidence in words, not codes or bare numbers.
    assert f"När sidan valdes hette den ”{rp.AGENDA_TITLE}”" in row
    assert f"nu heter den ”{rp.CASINO_TITLE}”" in row
    assert "Ungefär 0 % av det sidan innehöll när den valdes finns kvar." in row
    assert "Sidan handlar nu om spel om pengar." in row
    assert "Vart den kan ha flyttat" in row
    assert "Finns i webbplatsens sitemap, med samma titel och text · säker träff" in row
    assert "Godkänn det nya innehållet" in row
    english = words(
        row_of((await client.get("/manage/links?tab=broken&lang=en")).text, resource.id)
    )
    assert "About 0 % of what the page said when it was chosen is left." in english, english

    accepted = await client.post(
        f"/manage/links/{resource.id}/fix",
        data={"action": "accept_content", "csrf_token": csrf, "back": "/manage/links?tab=broken"},
        follow_redirects=False,
    )
    assert accepted.status_code == 303
    await session.refresh(resource)
    assert (resource.link_status, resource.reason) == ("ok", "ok")


async def test_a_suggestion_is_accepted_from_the_report_row(
    client: Any, session: Any, settings: Any, web: Any
) -> None:
    site, resource = await agenda_site(web, session)
    resource.link_status = "broken"
    new = site.url("/om-regionen/digital-agenda")
    session.add(
        LinkSuggestion(
            resource_id=resource.id, url=new, source="identifier", score=0.9, found_at=T0
        )
    )
    await session.commit()
    csrf = await signed_in(client, session)
    row = row_of((await client.get("/manage/links?tab=broken")).text, resource.id)
    assert f'<input type="hidden" name="url" value="{new}">' in row
    assert "Använd den här adressen" in words(row)
    response = await client.post(
        f"/manage/links/{resource.id}/fix",
        data={"action": "accept_suggestion", "url": new, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303
    await session.refresh(resource)
    assert (resource.url, resource.link_status) == (new, "unchecked")
    refused = await client.post(
        f"/manage/links/{resource.id}/fix",
        data={
            "action": "accept_suggestion",
            "url": "https://annan.example.se/",
            "csrf_token": csrf,
        },
    )
    assert "Välj en av de föreslagna adresserna" in refused.text
