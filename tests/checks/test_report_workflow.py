"""From "a check failed" to "the link is fixed": suspects, confirm now, pages, bulk, new addresses.

Checks run against real loopback sites; the report is read through the app as a curator
reads it, and the API beside it.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import lxml.html
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from tests.auth.test_sessions import account, csrf_of, sign_in
from tests.checks.test_report import _token, fresh, revisions
from tests.conftest import make_resource, make_settings

from linkdir.app import create_app
from linkdir.checker import EngineConfig
from linkdir.checks import report, runs
from linkdir.checks.models import CheckResult
from linkdir.checks.service import record_check
from linkdir.db import utcnow
from linkdir.resources.models import Resource


@pytest.fixture
def link_site(web: Any) -> Any:
    """A site with a working page, a removed PDF and a page that moved."""
    page = "<html><title>{0}</title><main><h1>{0}</h1><p>{1}</p></main></html>"
    return web.site(
        "127.0.214.2",
        {
            "/rapport": web.html(page.format("Rapport", "Om läsfrämjande arbete i Sverige.")),
            "/ny-rapport": web.html(page.format("Ny rapport", "Rapporten på sin nya plats.")),
        },
        ip="127.0.214.2",
    )


async def check_once(session: Any, settings: Any, resource: Resource, web: Any) -> None:
    config = EngineConfig.from_settings(settings, resolver=web.resolver, probe_soft_404=False)
    from linkdir.checker import Checker

    async with Checker(config) as checker:
        result = await checker.check(resource.url)
    await record_check(session, resource, result, now=utcnow(), settings=settings)
    await runs.snapshot_health(session, today=utcnow().date())
    await session.commit()


async def curator(client: Any, session: Any) -> str:
    await account(session)
    assert (await sign_in(client, "kurator@region.se")).status_code == 303
    return csrf_of((await client.get("/manage/links")).text)


def row(html: str, resource_id: int) -> Any:
    found = lxml.html.fromstring(html).xpath(f"//tr[@id='resource-{resource_id}']")
    return found[0] if found else None


async def test_a_404_is_suspect_after_one_check_and_counts_agree_with_the_tab(
    client, session, settings, web, link_site
):
    gone = await make_resource(
        session, url=link_site.url("/rapport-2018.pdf"), title="Rapport 2018"
    )
    await check_once(session, settings, gone, web)
    await curator(client, session)

    broken_tab = (await client.get("/manage/links?tab=broken&lang=en")).text
    assert "Broken (0)" in broken_tab and "Suspect (1)" in broken_tab
    suspect_tab = (await client.get("/manage/links?tab=suspect&lang=en")).text
    suspect = row(suspect_tab, gone.id)
    assert suspect is not None
    evidence = suspect.text_content()
    # The status never contradicts its own evidence: failing checks say "suspect".
    assert "Suspect" in evidence and "Works" not in evidence
    assert "1 failing check in a row" in evidence and "first failed" in evidence
    assert "Next check" in evidence
    assert "The page does not exist (HTTP 404)" in evidence and "http_404" not in evidence
    # The status table and the health chart's table read the same definition as the tabs.
    page = lxml.html.fromstring(suspect_tab)
    heads = [th.text_content() for th in page.xpath("//table[@class='counts']//th")]
    cells = [td.text_content() for td in page.xpath("//table[@class='counts']//td")]
    counts = dict(zip(heads, cells, strict=True))
    assert counts["Suspect"] == "1" and counts["Broken"] == "0" and counts["Works"] == "0"
    health = page.xpath("//section[@aria-labelledby='health-title']//details//thead//th")
    health_row = page.xpath("//section[@aria-labelledby='health-title']//details//tbody/tr[1]/td")
    by_status = dict(zip([th.text_content() for th in health[1:]],
                         [td.text_content() for td in health_row], strict=True))  # fmt: skip
    assert by_status.get("Suspect") == "1" and by_status.get("Broken") == "0", by_status

    _, token = await _token(session)
    api = await client.get(
        "/api/v1/reports/links?status=suspect", headers={"Authorization": f"Bearer {token}"}
    )
    body = api.json()
    assert body["status"] == "suspect" and body["total"] == 1 and body["counts"]["broken"] == 0
    item = body["items"][0]
    assert (item["link_status"], item["shown_status"], item["reason"]) == (
        "unchecked",
        "suspect",
        "http_404",
    )
    assert item["consecutive_failures"] == 1 and item["first_failure_at"] and item["next_check_at"]
    assert "confirm_broken" in item["fixes"]


async def test_confirm_now_moves_a_suspect_to_broken_and_is_in_the_history_in_words(
    client, session, settings, web, link_site
):
    gone = await make_resource(session, url=link_site.url("/borta"), title="Borta")
    await check_once(session, settings, gone, web)
    csrf = await curator(client, session)
    answer = await client.post(
        f"/manage/links/{gone.id}/fix",
        data={"action": "confirm_broken", "csrf_token": csrf, "back": "/manage/links?tab=suspect"},
        follow_redirects=False,
    )
    assert answer.headers["location"].endswith(f"#resource-{gone.id}")
    stored = await fresh(session, gone.id)
    assert stored.link_status == "broken"
    # From now on it is rechecked like a broken link (in days, not the suspect's hour).
    assert stored.next_check_at > utcnow() + timedelta(days=5)
    last = (await revisions(session, gone.id))[-1]
    assert last.action == "fix" and last.changes["fix"] == [None, "confirm_broken"]
    tabs = (await client.get("/manage/links?tab=broken&lang=en")).text
    assert "Broken (1)" in tabs and "Suspect (0)" in tabs and row(tabs, gone.id) is not None

    history = (await client.get(f"/manage/resources/{gone.id}/history?lang=en")).text
    for words in ("Fixed", "Link status", "Mark as broken", "Broken", "Not checked yet"):
        assert words in history, words
    for code in ("confirm_broken", "link_status", ">broken<", "unchecked"):
        assert code not in history, code

    again = await client.post(
        f"/manage/links/{gone.id}/fix",
        data={"action": "confirm_broken", "csrf_token": csrf, "back": "/manage/links?tab=broken"},
        follow_redirects=False,
    )
    # Not a suspect any more: back to the same row with the reason, never an error page.
    assert again.status_code == 303 and "why=not_suspect" in again.headers["location"]
    page = (await client.get(again.headers["location"].split("#")[0] + "&lang=en")).text
    assert "Only a link whose last check failed can be confirmed as broken." in page


async def many_broken(session: Any, count: int) -> list[int]:
    ids = []
    for n in range(count):
        resource = await make_resource(
            session, url=f"https://trasig{n:03}.example.se/", title=f"Trasig {n:03}"
        )
        resource.link_status, resource.reason, resource.http_status = "broken", "http_404", 404
        resource.status_since = utcnow() - timedelta(days=count - n)
        ids.append(resource.id)
    await session.commit()
    return ids


async def test_120_broken_links_come_in_pages_of_50(client, session):
    ids = await many_broken(session, 120)
    await curator(client, session)
    first = lxml.html.fromstring((await client.get("/manage/links?tab=broken&lang=en")).text)
    assert len(first.xpath("//table[contains(@class,'link-report')]/tbody/tr")) == 50
    assert "Page 1 of 3" in first.text_content()
    assert first.xpath("//a[@rel='next']/@href")
    last = lxml.html.fromstring((await client.get("/manage/links?tab=broken&page=3")).text)
    rows = last.xpath("//table[contains(@class,'link-report')]/tbody/tr/@id")
    assert rows == [f"resource-{i}" for i in ids[100:]]
    _, token = await _token(session)
    api = (await client.get("/api/v1/reports/links?status=broken&page=2&per_page=50",
                            headers={"Authorization": f"Bearer {token}"})).json()  # fmt: skip
    assert [item["id"] for item in api["items"]] == ids[50:100] and api["total"] == 120


async def test_no_bulk_action_is_chosen_for_the_curator(client, session):
    ids = await many_broken(session, 3)
    csrf = await curator(client, session)
    page = lxml.html.fromstring((await client.get("/manage/links?tab=broken")).text)
    options = page.xpath("//select[@id='bulk-action']/option")
    assert options[0].get("value") == "" and options[0].get("selected") is not None
    assert all(option.get("selected") is None for option in options[1:])
    answer = await client.post(
        "/manage/links/bulk",
        data={"csrf_token": csrf, "ids": [str(i) for i in ids], "back": "/manage/links?tab=broken"},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and "bulk_error=choose" in answer.headers["location"]
    for resource_id in ids:
        assert (await fresh(session, resource_id)).link_status == "broken"
    said = (await client.get(answer.headers["location"] + "&lang=en")).text
    assert "Choose a fix for the selected links first. Nothing was changed." in said


async def test_select_all_in_the_tab_and_retire_asks_first_then_retires_exactly_those(
    client, session
):
    ids = await many_broken(session, 120)
    healthy = await make_resource(session, url="https://fungerar.example.se/")
    healthy.link_status = "ok"
    await session.commit()
    csrf = await curator(client, session)
    selected_page = lxml.html.fromstring(
        (await client.get("/manage/links?tab=broken&select=page")).text
    )
    assert len(selected_page.xpath("//input[@name='ids'][@checked]")) == 50
    form = {"csrf_token": csrf, "action": "retire", "scope": "tab", "tab": "broken",
            "back": "/manage/links?tab=broken"}  # fmt: skip
    asked = await client.post("/manage/links/bulk", data={**form, "lang": "en"})
    assert asked.status_code == 200
    confirm = lxml.html.fromstring(asked.text)
    listed = [int(value) for value in confirm.xpath("//form//input[@name='ids']/@value")]
    assert sorted(listed) == sorted(ids)
    assert (await fresh(session, ids[0])).state == "published"  # nothing changed yet
    confirm_fields = {
        el.get("name"): el.get("value") for el in confirm.xpath("//form//input[@type='hidden']")
    }
    assert confirm_fields["confirmed"] == "yes"
    done = await client.post(
        "/manage/links/bulk",
        data={
            **{k: v for k, v in confirm_fields.items() if k != "ids"},
            "ids": [str(i) for i in listed],
        },
        follow_redirects=False,
    )
    assert done.status_code == 303 and "bulk=120" in done.headers["location"]
    session.expunge_all()
    retired = (
        await session.execute(
            select(func.count()).select_from(Resource).where(Resource.state == "retired")
        )
    ).scalar_one()
    assert retired == 120
    assert (await fresh(session, healthy.id)).state == "published"


async def test_change_address_is_validated_checked_at_once_and_recorded(
    client, session, settings, web, link_site
):
    gone = await make_resource(session, url=link_site.url("/gammal-rapport"), title="Rapport")
    await check_once(session, settings, gone, web)
    csrf = await curator(client, session)
    back = "/manage/links?tab=suspect"
    bad = await client.post(
        f"/manage/links/{gone.id}/fix",
        data={
            "action": "change_address",
            "url": "javascript:alert(1)",
            "csrf_token": csrf,
            "back": back,
        },
        follow_redirects=False,
    )
    assert bad.status_code == 303 and "why=invalid_address" in bad.headers["location"]
    page = (await client.get(bad.headers["location"].split("#")[0] + "&lang=en")).text
    # The URL rule's own reason, and what was typed back in its field.
    assert "Only http and https addresses can be listed, not javascript:." in page
    assert row(page, gone.id).xpath(".//details[@open]")  # the address field stays open
    typed = row(page, gone.id).xpath(f".//input[@id='new-url-{gone.id}']/@value")
    assert typed == ["javascript:alert(1)"]
    assert (await fresh(session, gone.id)).url == link_site.url("/gammal-rapport")
    private = await client.post(
        f"/manage/links/{gone.id}/fix",
        data={
            "action": "change_address",
            "url": "http://169.254.169.254/latest",
            "csrf_token": csrf,
            "back": back + "&lang=en",
        },
    )  # it starts with http://: "write the whole address, beginning with https://" was wrong
    assert "private or local network" in row(private.text, gone.id).text_content()
    assert "beginning with https://" not in private.text
    api = await client.post(
        f"/api/v1/resources/{gone.id}/fix",
        json={"action": "change_address"},
        headers={"X-CSRF-Token": csrf},
    )
    assert api.status_code == 422 and api.json()["errors"][0]["field"] == "url"

    new_url = link_site.url("/ny-rapport")
    good = await client.post(
        f"/manage/links/{gone.id}/fix",
        data={"action": "change_address", "url": new_url, "csrf_token": csrf, "back": back},
        follow_redirects=False,
    )
    assert good.status_code == 303 and f"fixed={gone.id}" in good.headers["location"]
    stored = await fresh(session, gone.id)
    assert stored.url == new_url
    # Checked at once: the new address works, and that check is in its history.
    assert (stored.link_status, stored.consecutive_failures) == ("ok", 0)
    newest = (
        (
            await session.execute(
                select(CheckResult)
                .where(CheckResult.resource_id == gone.id)
                .order_by(CheckResult.id.desc())
            )
        )
        .scalars()
        .first()
    )
    assert newest.verdict == "ok" and newest.final_url == new_url
    last = [r for r in await revisions(session, gone.id) if r.action == "fix"][-1]
    assert last.changes["url"][1] == new_url and last.changes["fix"] == [None, "change_address"]


async def test_the_csv_has_the_reason_in_words_beside_its_code(client, session):
    await many_broken(session, 1)
    await curator(client, session)

    def parsed(answer: Any) -> list[dict[str, str]]:
        text = answer.content.decode("utf-8-sig")
        return list(csv.DictReader(io.StringIO(text), delimiter=";"))

    rows = parsed(await client.get("/manage/links.csv?tab=broken&lang=en"))
    assert rows[0]["reason"] == "http_404"
    assert rows[0]["reason_label"] == "The page does not exist (HTTP 404)"
    assert rows[0]["shown_status_label"] == "Broken"
    swedish = parsed(await client.get("/manage/links.csv?tab=broken&lang=sv"))
    assert swedish[0]["reason_label"] != rows[0]["reason_label"]


async def test_every_tab_empty_says_what_it_means(client, session, database_url):
    settings = make_settings(database_url)
    async with AsyncTestClient(app=create_app(settings), base_url="http://testserver.local") as ui:
        await curator(ui, session)
        for tab in report.TABS:
            page = await ui.get(f"/manage/links?tab={tab}&lang=en")
            assert page.status_code == 200
            assert "Nothing to fix here." not in page.text
        suspect = (await ui.get("/manage/links?tab=suspect&lang=en")).text
        assert "No suspect links: no link has failed a check that is not yet confirmed." in suspect
        reported = (await ui.get("/manage/links?tab=reported&lang=en")).text
        assert "No open reports from visitors." in reported
