"""Visitors can say a link is wrong: no account, no spam, curators see it, status unchanged."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import lxml.html
from tests.auth.test_sessions import account, csrf_of, sign_in
from tests.checks.test_report import _token, fresh
from tests.conftest import make_resource, make_topic

from linkdir.checks.visitors import COMMENT_MAX, REPORTS_PER_ADDRESS
from linkdir.db import utcnow
from linkdir.resources import service


async def open_form(client: Any, resource_id: int) -> dict[str, str]:
    """The resource page's report form fields, as a visitor's browser sees them."""
    page = await client.get(f"/resources/{resource_id}")
    assert page.status_code == 200
    form = lxml.html.fromstring(page.text).xpath("//section[@id='report']//form")[0]
    assert form.get("action") == f"/resources/{resource_id}/report"
    return {el.get("name"): el.get("value") or "" for el in form.xpath(".//input")}


async def send(client: Any, resource_id: int, **fields: str) -> Any:
    data = {**(await open_form(client, resource_id)), **fields}
    return await client.post(f"/resources/{resource_id}/report", data=data, follow_redirects=False)


async def published(session: Any, **overrides: Any) -> Any:
    resource = await make_resource(session, state="published", **overrides)
    resource.link_status = "ok"
    resource.next_check_at = utcnow() + timedelta(days=30)
    await session.commit()
    return resource


async def test_a_report_is_stored_rechecked_soon_and_shown_to_curators(client, session):
    resource = await published(session, title="Läsfrämjande rapport")
    answer = await send(client, resource.id, comment="Sidan visar bara en felsida.")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/resources/{resource.id}?reported=1#report"
    thanks = await client.get(answer.headers["location"].split("#")[0] + "&lang=en")
    assert "Thank you! The link will be checked again within a few minutes" in thanks.text

    stored = await fresh(session, resource.id)
    assert stored.link_status == "ok"  # a report never changes the status by itself
    assert stored.next_check_at <= utcnow() + timedelta(minutes=3)

    await account(session)
    await sign_in(client, "kurator@region.se")
    tab = (await client.get("/manage/links?tab=reported&lang=en")).text
    assert "Reported by visitors (1)" in tab
    row = lxml.html.fromstring(tab).xpath(f"//tr[@id='resource-{resource.id}']")[0]
    assert "Sidan visar bara en felsida." in row.text_content()
    assert "1 visitor reported a problem" in row.text_content()
    assert row.xpath(".//button[@value='close_reports']")

    _, token = await _token(session)
    api = (await client.get("/api/v1/reports/links?status=reported",
                            headers={"Authorization": f"Bearer {token}"})).json()  # fmt: skip
    assert api["status"] == "reported" and api["total"] == 1
    assert api["items"][0]["visitor_reports"][0]["comment"] == "Sidan visar bara en felsida."

    csrf = csrf_of(tab)
    await client.post(
        f"/manage/links/{resource.id}/fix", data={"action": "close_reports", "csrf_token": csrf}
    )
    assert "Reported by visitors (0)" in (await client.get("/manage/links?lang=en")).text
    assert (await fresh(session, resource.id)).link_status == "ok"


async def test_a_comment_is_optional(client, session):
    resource = await published(session)
    assert (await send(client, resource.id)).status_code == 303
    _, token = await _token(session)
    api = (await client.get("/api/v1/reports/links?status=reported",
                            headers={"Authorization": f"Bearer {token}"})).json()  # fmt: skip
    assert api["items"][0]["visitor_reports"][0]["comment"] == ""


async def test_without_the_form_token_nothing_is_stored_and_the_visitor_may_resend(client, session):
    resource = await published(session)
    fields = await open_form(client, resource.id)
    forged = await client.post(
        f"/resources/{resource.id}/report",
        data={**fields, "csrf_token": "forged", "comment": "Min text"},
        headers={"Accept-Language": "en"},
    )
    assert forged.status_code == 403
    assert "The form had expired. Your report was not sent" in forged.text
    assert ">Min text</textarea>" in forged.text  # the visitor's words are kept
    assert "Reported by visitors (0)" in await curator_tab(client, session)


async def curator_tab(client: Any, session: Any) -> str:
    await account(session)
    await sign_in(client, "kurator@region.se")
    return (await client.get("/manage/links?tab=reported&lang=en")).text


async def test_the_honeypot_stores_nothing_but_looks_like_success(client, session):
    resource = await published(session)
    answer = await send(client, resource.id, website="https://spam.example.com/", comment="köp")
    assert answer.status_code == 303 and "reported=1" in answer.headers["location"]
    assert (await fresh(session, resource.id)).next_check_at > utcnow() + timedelta(days=1)
    assert "Reported by visitors (0)" in await curator_tab(client, session)


async def test_a_comment_over_the_size_cap_is_refused_beside_the_form(client, session):
    resource = await published(session)
    answer = await send(client, resource.id, comment="x" * (COMMENT_MAX + 1))
    assert answer.status_code == 422
    page = lxml.html.fromstring(answer.text)
    error = page.xpath("//p[@id='report-error']")[0]
    assert "1000" in error.text_content().replace("\u00a0", "").replace(" ", "")
    assert "report-error" in page.xpath("//textarea[@id='report-comment']/@aria-describedby")[0]


async def test_one_address_may_only_report_so_often(client, session):
    resources = [await published(session) for _ in range(REPORTS_PER_ADDRESS + 1)]
    for resource in resources[:REPORTS_PER_ADDRESS]:
        assert (await send(client, resource.id)).status_code == 303
    limited = await send(client, resources[-1].id)
    assert limited.status_code == 429
    assert "Många rapporter" in limited.text or "Many reports" in limited.text
    tab = await curator_tab(client, session)
    assert f"Reported by visitors ({REPORTS_PER_ADDRESS})" in tab


async def test_a_fix_closes_the_reports_of_its_link(client, session):
    resource = await published(session)
    await send(client, resource.id, comment="Trasig")
    await account(session)
    await sign_in(client, "kurator@region.se")
    csrf = csrf_of((await client.get("/manage/links")).text)
    await client.post(
        f"/manage/links/{resource.id}/fix", data={"action": "retire", "csrf_token": csrf}
    )
    assert "Reported by visitors (0)" in (await client.get("/manage/links?lang=en")).text


async def test_a_retired_resource_answers_a_friendly_410_that_links_to_its_topic(client, session):
    topic = await make_topic(session, slug="lasframjande", name_sv="Läsfrämjande")
    resource = await make_resource(session, topics=[topic.slug], title="Gammal")  # public
    await service.update_resource(
        session, resource.id, {"state": "retired"}, by=service.Actor("tests")
    )
    await session.commit()
    answer = await client.get(f"/resources/{resource.id}")
    assert answer.status_code == 410
    page = lxml.html.fromstring(answer.text)
    assert len(page.xpath("//h1")) == 1
    assert page.xpath("//a[@href='/topics/lasframjande']")
    assert "Gammal" in page.text_content()
    refused = await client.post(f"/resources/{resource.id}/report", data={"comment": "x"})
    assert refused.status_code in {403, 404, 410}
    # A draft retired before it was ever published was never public: its title is not shown.
    never = await make_resource(session, state="draft", title="Hemligt utkast")
    await service.update_resource(session, never.id, {"state": "retired"}, by=service.Actor("t"))
    await session.commit()
    hidden = await client.get(f"/resources/{never.id}")
    assert hidden.status_code == 404 and "Hemligt utkast" not in hidden.text
