"""Link checks during the import preview (issue 16): every link checked by the engine,
verdicts in words, broken links unselected by default; and a preview past 1,000 rows."""

from __future__ import annotations

import asyncio
from typing import Any

import lxml.html
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir.checker import EngineConfig
from linkdir.config import Settings
from linkdir.i18n import set_locale
from linkdir.resources.models import Resource
from linkdir.transfer.linkcheck import check_links
from tests.auth.test_sessions import account, sign_in
from tests.transfer.conftest import LinksSite
from tests.transfer.test_manage import confirm, count, form_fields, replace, signed_in

Client = AsyncTestClient[Any]


def site_csv(site: LinksSite) -> bytes:
    return (
        "url;title\r\n"
        f"{site.url('/fungerar')};Fungerande sida\r\n"
        f"{site.url('/borta')};Borttagen sida\r\n"
    ).encode()


async def upload(client: Client, csrf: str, data: bytes, name: str = "l.csv") -> Any:
    return await client.post(
        "/manage/import/file",
        data={"csrf_token": csrf, "format": "csv"},
        files={"file": (name, data, "text/csv")},
    )


def token_of(html: str) -> str:
    doc = lxml.html.fromstring(html)
    return str(doc.xpath("//input[@name='check']/@value")[0])


async def finished(client: Client, token: str) -> dict[str, Any]:
    """Poll the checks' JSON as the page's script does, until every link is checked."""
    for _ in range(600):
        answer = await client.get(f"/manage/import/checks/{token}")
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        if body["finished"]:
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"the checks of {token} did not finish: {body}")


async def test_the_service_checks_each_address_once_and_says_it_in_words(
    settings: Settings, links_site: LinksSite
) -> None:
    links_site.pages["/fungerar"] = (200, "text/html; charset=utf-8", b"<h1>Hej</h1>" * 50)
    ok, gone = links_site.url("/fungerar"), links_site.url("/borta")
    verdicts = await check_links([ok, gone, ok, " "], EngineConfig.from_settings(settings))
    assert set(verdicts) == {ok, gone}
    assert (verdicts[ok].status, verdicts[ok].broken) == ("ok", False)
    assert (verdicts[gone].status, verdicts[gone].reason) == ("broken", "http_404")
    assert verdicts[gone].broken and verdicts[gone].http_status == 404
    set_locale("sv")
    assert verdicts[gone].label == "Trasig"
    assert verdicts[gone].text == "Sidan finns inte (HTTP 404)"
    set_locale("en")
    item = verdicts[gone].to_json()
    assert item["reason"] == "http_404" and item["text"] == "The page does not exist (HTTP 404)"


async def test_the_preview_checks_every_link_and_unselects_the_broken_one(
    client: Client, session: AsyncSession, links_site: LinksSite
) -> None:
    links_site.pages["/fungerar"] = (200, "text/html; charset=utf-8", b"<h1>Hej</h1>" * 50)
    csrf = await signed_in(client, session)
    preview = await upload(client, csrf, site_csv(links_site))
    assert preview.status_code == 200, preview.text
    doc = lxml.html.fromstring(preview.text)
    # Both are selected until a verdict says otherwise; the form is usable meanwhile.
    assert doc.get_element_by_id("link-checks") is not None
    token = token_of(preview.text)
    body = await finished(client, token)
    assert (body["total"], body["done"], body["next"]) == (2, 2, 2)
    by_url = {item["url"]: item for item in body["verdicts"]}
    assert by_url[links_site.url("/borta")]["text"] == "The page does not exist (HTTP 404)"
    assert by_url[links_site.url("/fungerar")]["label"] == "Works"
    assert "1 is broken and not selected" in body["summary"]
    # A poll asks only for what arrived since its last answer.
    since = (await client.get(f"/manage/import/checks/{token}?since=2")).json()
    assert since["verdicts"] == [] and since["finished"]
    # Without JavaScript: "Update the link checks" shows the verdicts and unselects.
    fields = form_fields(preview.text)
    shown = await confirm(client, fields + [("do", "refresh")])
    assert shown.status_code == 200, shown.text
    assert "http_404" not in shown.text  # the code is never shown
    doc = lxml.html.fromstring(shown.text)
    assert doc.get_element_by_id("d0-import").get("checked") is not None
    assert doc.get_element_by_id("d1-import").get("checked") is None
    verdict = doc.get_element_by_id("d1-verdict")
    assert verdict.text_content() == "Broken: The page does not exist (HTTP 404)"
    assert "d1-verdict" in doc.get_element_by_id("d1-import").get("aria-describedby")
    assert not doc.xpath("//*[@id='check-refresh']")  # done: nothing to update
    # The curator selects it again: a verdict already shown does not unselect it again.
    fields = form_fields(shown.text) + [("d1-import", "1")]
    again = await confirm(client, fields + [("do", "refresh")])
    doc = lxml.html.fromstring(again.text)
    assert doc.get_element_by_id("d1-import").get("checked") is not None
    before = await count(session, Resource)
    done = await confirm(client, form_fields(again.text))
    assert "2 resources were imported" in done.text
    assert await count(session, Resource) == before + 2


async def test_an_address_with_a_password_is_never_asked(
    client: Client, session: AsyncSession, links_site: LinksSite
) -> None:
    """A spreadsheet row with https://user:password@host/ is refused (the row says why)
    and not checked: the check would send the password to that host."""
    links_site.pages["/fungerar"] = (200, "text/html; charset=utf-8", b"<h1>Hej</h1>" * 50)
    secret = links_site.url("/hemlig").replace("http://", "http://anna:hemligt@")
    csv = f"url;title\r\n{links_site.url('/fungerar')};Fungerar\r\n{secret};Hemlig\r\n"
    csrf = await signed_in(client, session)
    preview = await upload(client, csrf, csv.encode())
    assert preview.status_code == 200, preview.text
    body = await finished(client, token_of(preview.text))
    assert [item["url"] for item in body["verdicts"]] == [links_site.url("/fungerar")]
    assert (body["total"], body["done"]) == (1, 1)
    assert "/hemlig" not in links_site.hits
    doc = lxml.html.fromstring(preview.text)
    assert "user name or password" in doc.get_element_by_id("d1-url-error").text_content()
    assert doc.get_element_by_id("d1-verdict").text_content() == (
        "Not checked: the address cannot be used as it is (see below)."
    )


async def test_the_verdicts_are_in_swedish_for_a_swedish_curator(
    client: Client, session: AsyncSession, links_site: LinksSite
) -> None:
    csrf = await signed_in(client, session)
    client.cookies.set("lang", "sv")
    preview = await upload(client, csrf, site_csv(links_site))
    await finished(client, token_of(preview.text))
    shown = await confirm(client, form_fields(preview.text) + [("do", "refresh")])
    doc = lxml.html.fromstring(shown.text)
    assert doc.get_element_by_id("d1-verdict").text_content() == (
        "Trasig: Sidan finns inte (HTTP 404)"
    )
    assert "Länkkontrollerna uppdaterades." in shown.text


async def test_a_broken_link_checked_before_the_page_is_shown_starts_unselected(
    client: Client, session: AsyncSession, links_site: LinksSite
) -> None:
    csrf = await signed_in(client, session)
    preview = await upload(client, csrf, site_csv(links_site))
    await finished(client, token_of(preview.text))
    # Select all, then a change of the selection: verdicts already shown count as seen.
    everything = await confirm(client, form_fields(preview.text) + [("do", "select_all")])
    doc = lxml.html.fromstring(everything.text)
    assert doc.get_element_by_id("d1-import").get("checked") is not None
    assert doc.get_element_by_id("d1-verdict").text_content().startswith("Broken")


async def test_checks_belong_to_their_curator_and_unknown_ones_start_again(
    client: Client, session: AsyncSession, links_site: LinksSite
) -> None:
    csrf = await signed_in(client, session)
    preview = await upload(client, csrf, site_csv(links_site))
    token = token_of(preview.text)
    unknown = await client.get("/manage/import/checks/finns-inte")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")
    assert "Update the link checks" in unknown.json()["title"]
    bad = await client.get(f"/manage/import/checks/{token}?since=x")
    assert bad.status_code == 400
    # Another process (or an expired job): the refresh starts the checks again here.
    fields = replace(form_fields(preview.text), "check", "fran-en-annan-process")
    shown = await confirm(client, fields + [("do", "refresh")])
    assert shown.status_code == 200
    fresh = token_of(shown.text)
    assert fresh not in ("fran-en-annan-process", "")
    assert (await finished(client, fresh))["total"] == 2
    # Another curator cannot read them.
    await account(session, email="annan@region.se")
    client.cookies.clear()
    await sign_in(client, "annan@region.se")
    assert (await client.get(f"/manage/import/checks/{fresh}")).status_code == 404


async def test_a_preview_of_more_than_1000_rows_renders_and_imports(
    client: Client, session: AsyncSession, refused_port: int
) -> None:
    csrf = await signed_in(client, session)
    # 1,000 links (the most one preview shows) and 20 rows that cannot be read; the links
    # point at a port held closed (refused_port), so their checks end at once (refused).
    lines = ["url;title"]
    for i in range(1020):
        if i % 51 == 50:
            lines.append("för;många;fält;här")
        else:
            lines.append(f"http://127.0.0.1:{refused_port}/sida-{i};Sida {i}")
    preview = await upload(client, csrf, "\r\n".join(lines).encode())
    assert preview.status_code == 200, preview.text[:2000]
    doc = lxml.html.fromstring(preview.text)
    rows = doc.xpath("//table[contains(@class,'import-rows')]/tbody/tr")
    assert len(rows) == 1000
    rejected = doc.xpath("//section[@aria-labelledby='rejected-title']//tbody/tr")
    assert len(rejected) == 20
    assert (
        doc.get_element_by_id("d999-title").get("value") == "Sida 1018"
    )  # line 1020 is unreadable
    before = await count(session, Resource)
    done = await confirm(client, form_fields(preview.text))
    assert done.status_code == 200, done.text[:2000]
    assert "1000 resources were imported" in done.text
    assert await count(session, Resource) == before + 1000
    # One link more than a preview shows is refused with the reason, not cut short.
    lines = ["url;title"] + [f"http://127.0.0.1:{refused_port}/x-{i};X {i}" for i in range(1001)]
    too_many = await upload(client, csrf, "\n".join(lines).encode())
    assert too_many.status_code == 422
    assert "1001 links, more than the 1000" in too_many.text
