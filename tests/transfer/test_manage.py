"""/manage/import and the export downloads, as a curator uses them (no JavaScript)."""

from __future__ import annotations

import dataclasses
import re
from typing import Any
from urllib.parse import urlencode

import lxml.html
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir.resources import service as resources
from linkdir.resources.models import Resource, Revision, Topic
from tests.auth.test_sessions import account, csrf_of, sign_in
from tests.conftest import make_resource, make_topic
from tests.test_table_labels import unlabelled_cells
from tests.transfer.conftest import LinksSite, fixture_bytes

Client = AsyncTestClient[Any]
PAGE = "/utvecklingsomraden/digital-delaktighet/"


async def count(session: AsyncSession, model: Any) -> int:
    session.expunge_all()
    return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def signed_in(client: Client, session: AsyncSession) -> str:
    await account(session)
    await sign_in(client, "kurator@region.se")
    # English, so the assertions hold before and after the Swedish catalog is updated.
    client.cookies.set("lang", "en")
    page = await client.get("/manage/import")
    assert page.status_code == 200
    return csrf_of(page.text)


def form_fields(html: str) -> list[tuple[str, str]]:
    """What a browser would submit from the preview form, unchanged."""
    doc = lxml.html.fromstring(html)
    form = doc.xpath("//form[@action='/manage/import/confirm']")[0]
    return [(name, str(value)) for name, value in form.form_values()]


async def confirm(client: Client, fields: list[tuple[str, str]]) -> Any:
    """Submit the preview form as a browser does (repeated names and all)."""
    return await client.post(
        "/manage/import/confirm",
        content=urlencode(fields),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def replace(fields: list[tuple[str, str]], name: str, value: str | None) -> list[tuple[str, str]]:
    kept = [(k, v) for k, v in fields if k != name]
    return kept + ([(name, value)] if value is not None else [])


async def test_a_curator_imports_an_old_links_page_with_topics(
    client: Client, session: AsyncSession, links_site: LinksSite
) -> None:
    await make_topic(session, slug="stod", name_sv="Stöd till besökare", name_en="Support")
    await make_resource(session, url="https://www.digidel.se/natverk", title="Digidel")
    csrf = await signed_in(client, session)
    before = await count(session, Resource)
    preview = await client.post(
        "/manage/import/page", data={"csrf_token": csrf, "url": links_site.url(PAGE)}
    )
    assert preview.status_code == 200, preview.text
    doc = lxml.html.fromstring(preview.text)
    legends = [t.text_content() for t in doc.xpath("//tr[@id]//span[@class='title']")]
    assert len(legends) == 9 and "Svenskarna och internet 2025" in legends[0]
    # Every control has a label.
    for control in doc.xpath(
        "//form[@action='/manage/import/confirm']"
        "//*[self::input or self::select or self::textarea][not(@type='hidden')]"
    ):
        assert doc.xpath(f"//label[@for='{control.get('id')}']"), control.get("name")
    # The link already in the directory is not selected, and says why.
    digidel = next(i for i, text in enumerate(legends) if "Digidel" in text)
    box = doc.get_element_by_id(f"d{digidel}-import")
    assert box.get("checked") is None
    assert "already in the directory" in doc.get_element_by_id(f"d{digidel}-why").text_content()
    # Topic suggestions: a match with an existing topic, or a new topic to create.
    selects = {s.get("id"): s for s in doc.xpath("//select[contains(@id,'-topic-')]")}
    chosen = {k: s.xpath("option[@selected]/@value")[0] for k, s in selects.items()}
    assert chosen["d0-topic-0"] == "new:Rapporter och undersökningar"
    assert chosen["d6-topic-0"] == "t:stod"
    fields = form_fields(preview.text)
    fields = replace(fields, "d1-import", None)  # deselect one
    fields = replace(fields, "d0-title", "Svenskarna och internet 2025 (rapport)")
    fields = replace(fields, "d3-topic", "")  # no topic for this one
    fields = replace(fields, "d0-tags", "rapport, statistik")
    done = await confirm(client, fields)
    assert done.status_code == 200, done.text
    assert "7 resources were imported" in done.text
    assert await count(session, Resource) == before + 7
    rows = await resources.list_resources(session, states=("draft",), per_page=50)
    titles = {r.title for r in rows.items}
    assert "Svenskarna och internet 2025 (rapport)" in titles
    assert "Digitalt först med användaren i fokus" not in titles
    new_topic = (
        await session.execute(select(Topic).where(Topic.name_sv == "Rapporter och undersökningar"))
    ).scalar_one()
    in_topic = await resources.list_resources(session, topic=new_topic.slug, states=("draft",))
    assert sorted(r.title for r in in_topic.items) == [
        "Regional biblioteksplan 2024–2027 (pdf)",
        "Svenskarna och internet 2025 (rapport)",
    ]
    assert await count(session, Revision) == 1 + 7
    edit = await client.get("/manage/resources?state=draft")
    assert "Svenskarna och internet 2025 (rapport)" in edit.text


async def test_errors_in_the_preview_sit_next_to_their_fields_and_nothing_is_imported(
    client: Client, session: AsyncSession, links_site: LinksSite
) -> None:
    csrf = await signed_in(client, session)
    preview = await client.post(
        "/manage/import/page", data={"csrf_token": csrf, "url": links_site.url(PAGE)}
    )
    fields = replace(form_fields(preview.text), "d2-url", "javascript:alert(1)")
    fields = replace(fields, "d4-title", "")
    before = await count(session, Resource)
    again = await confirm(client, fields)
    assert again.status_code == 422
    doc = lxml.html.fromstring(again.text)
    url_input = doc.get_element_by_id("d2-url")
    assert url_input.get("aria-invalid") == "true"
    assert url_input.get("aria-describedby") == "d2-url-error"
    assert "javascript" in doc.get_element_by_id("d2-url-error").text_content()
    assert doc.get_element_by_id("d4-title-error") is not None
    summary = doc.xpath("//div[contains(@class,'error-summary')]//a/@href")
    assert set(summary) == {"#d2-url", "#d4-title"}
    assert doc.get_element_by_id("d2-url").get("value") == "javascript:alert(1)"  # kept
    assert await count(session, Resource) == before
    # Deselecting the broken rows lets the rest through.
    fields = replace(replace(fields, "d2-import", None), "d4-import", None)
    done = await confirm(client, fields)
    assert done.status_code == 200
    assert await count(session, Resource) == before + 7


async def test_a_private_page_and_a_bad_address_get_a_message_beside_the_field(
    client: Client, session: AsyncSession
) -> None:
    csrf = await signed_in(client, session)
    answer = await client.post(
        "/manage/import/page", data={"csrf_token": csrf, "url": "ftp://example.se/"}
    )
    assert answer.status_code == 422
    doc = lxml.html.fromstring(answer.text)
    assert doc.get_element_by_id("field-url").get("aria-invalid") == "true"
    assert "https://" in doc.get_element_by_id("error-url").text_content()


async def test_bookmark_and_excel_files_are_uploaded_reviewed_and_imported(
    client: Client, session: AsyncSession
) -> None:
    await make_topic(session, slug="digital-delaktighet", name_sv="Digital delaktighet")
    csrf = await signed_in(client, session)
    preview = await client.post(
        "/manage/import/file",
        data={"csrf_token": csrf, "format": "auto"},
        files={"file": ("bookmarks.html", fixture_bytes("chrome_bookmarks.html"), "text/html")},
    )
    assert preview.status_code == 200, preview.text
    assert "chrome://settings/" in preview.text  # reported as a row that could not be read
    fields = replace(form_fields(preview.text), "state", "published")
    done = await confirm(client, fields)
    assert done.status_code == 200
    assert "5 resources were imported" in done.text
    public = await client.get("/topics/digital-delaktighet")
    assert "Digital inkludering - DIGG" in public.text  # published, under a matched topic
    excel = await client.post(
        "/manage/import/file",
        data={"csrf_token": csrf, "format": "csv"},
        files={"file": ("lankar.csv", fixture_bytes("excel_sv_cp1252.csv"), "text/csv")},
    )
    assert excel.status_code == 200
    doc = lxml.html.fromstring(excel.text)
    assert doc.get_element_by_id("d0-title").get("value") == "Digitalt först med användaren i fokus"
    rejected = [
        row.text_content()
        for row in doc.xpath("//section[@aria-labelledby='rejected-title']//tbody/tr")
    ]
    assert len(rejected) == 1 and rejected[0].startswith("8")  # 10 fields under 8 columns
    # On a phone each cell of that row still says which column it is (data-label).
    section = doc.xpath("//section[@aria-labelledby='rejected-title']")[0]
    assert unlabelled_cells(lxml.html.tostring(section, encoding="unicode")) == (4, [])
    # Rows with bad values are in the form, not selected, with the error beside the field.
    assert "javascript" in doc.get_element_by_id("d2-url-error").text_content()
    assert doc.get_element_by_id("d2-import").get("checked") is None
    assert doc.get_element_by_id("d3-title").get("aria-describedby") == "d3-title-error"
    assert "Enter a date" in doc.get_element_by_id("d4-review_by-error").text_content()
    assert doc.get_element_by_id("d4-review_by").get("value") == "31/12/2027"
    assert doc.get_element_by_id("d5-import").get("checked") is None  # same address as line 3
    assert "already in the directory" in doc.get_element_by_id("d6-why").text_content()
    # The curator corrects the date and selects the row.
    fields = replace(form_fields(excel.text), "d4-review_by", "2027-12-31")
    done = await confirm(client, fields + [("d4-import", "1")])
    assert done.status_code == 200, done.text
    # Svensk biblioteksförening came in with the bookmarks already.
    assert "3 resources were imported" in done.text


async def test_a_file_that_cannot_be_read_changes_nothing(
    client: Client, session: AsyncSession
) -> None:
    csrf = await signed_in(client, session)
    before = await count(session, Resource)
    answer = await client.post(
        "/manage/import/file",
        data={"csrf_token": csrf, "format": "json"},
        files={"file": ("export.json", b'{"resources": [', "application/json")},
    )
    assert answer.status_code == 422
    error = lxml.html.fromstring(answer.text).get_element_by_id("error-file").text_content()
    assert "JSON" in error and "line 1" in error
    assert await count(session, Resource) == before


async def test_a_file_over_the_limit_gets_a_clear_message(
    client: Client, session: AsyncSession
) -> None:
    csrf = await signed_in(client, session)
    client.app.state.settings = dataclasses.replace(
        client.app.state.settings, import_max_bytes=1000
    )
    answer = await client.post(
        "/manage/import/file",
        data={"csrf_token": csrf, "format": "csv"},
        files={"file": ("big.csv", b"url;title\n" + b"x" * 200_000, "text/csv")},
    )
    assert answer.status_code == 413
    assert "too large" in answer.text and "0.001 MB" in answer.text


async def test_import_needs_a_signed_in_curator_and_a_csrf_token(
    client: Client, session: AsyncSession
) -> None:
    anonymous = await client.get("/manage/import", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    assert (await client.get("/manage/export.json", follow_redirects=False)).status_code == 303
    await signed_in(client, session)
    forged = await client.post("/manage/import/page", data={"url": "https://www.kb.se/"})
    assert forged.status_code == 403


async def test_export_downloads(client: Client, session: AsyncSession) -> None:
    await make_resource(session, title="Källkritikbyrån", url="https://www.kallkritikbyran.se/")
    await signed_in(client, session)
    page = await client.get("/manage/import")
    links = lxml.html.fromstring(page.text).xpath("//a[@download]/@href")
    assert links == [
        "/manage/export.json",
        "/manage/export.csv",
        "/manage/export.html",
        "/manage/export.opml",
    ]
    csv_file = await client.get("/manage/export.csv")
    assert csv_file.headers["content-type"].startswith("text/csv")
    assert re.match(
        r'attachment; filename="linkdir-\d{4}-\d\d-\d\d\.csv"',
        csv_file.headers["content-disposition"],
    )
    assert csv_file.content.startswith(b"\xef\xbb\xbfurl;title;")
    assert "Källkritikbyrån".encode() in csv_file.content
    as_json = await client.get("/manage/export.json")
    assert as_json.json()["resources"][0]["title"] == "Källkritikbyrån"
    bookmarks = await client.get("/manage/export.html")
    assert bookmarks.content.startswith(b"<!DOCTYPE NETSCAPE-Bookmark-file-1>")
    opml = await client.get("/manage/export.opml")
    assert b"<opml" in opml.content


async def test_the_preview_applies_changes_to_the_selection_and_flags_near_duplicates(
    client: Client, session: AsyncSession, links_site: LinksSite
) -> None:
    # Working pages: the preview checks every link in the background, and a broken one is
    # unselected when its check lands (on a machine without DNS that raced the clicks).
    for path in ("/natverk/", "/a", "/b"):
        body = f"<title>Sida {path}</title><main><p>{'Om digital delaktighet. ' * 40}</p></main>"
        links_site.pages[path] = (200, "text/html; charset=utf-8", body.encode())
    await make_topic(session, slug="kallkritik", name_sv="Källkritik", name_en="Source criticism")
    await make_resource(session, url=links_site.url("/natverk"), title="Digidelnätverket")
    csrf = await signed_in(client, session)
    csv = (
        b"url;title\r\n"
        + links_site.url("/natverk/?utm_source=nyhetsbrev").encode()
        + b";Digidel\r\n"
        + links_site.url("/a").encode()
        + b";A\r\n"
        + links_site.url("/b").encode()
        + b";B\r\n"
    )
    preview = await client.post(
        "/manage/import/file",
        data={"csrf_token": csrf, "format": "csv"},
        files={"file": ("l.csv", csv, "text/csv")},
    )
    assert preview.status_code == 200, preview.text
    doc = lxml.html.fromstring(preview.text)
    near = doc.get_element_by_id("d0-why").text_content()
    assert "Probably already in the directory" in near and "Digidelnätverket" in near
    assert doc.get_element_by_id("d0-import").get("checked") is None
    assert not doc.xpath("//div[@class='error-summary']")  # information, not an error
    fields = form_fields(preview.text)
    everything = await confirm(client, fields + [("do", "select_all")])
    doc = lxml.html.fromstring(everything.text)
    assert all(doc.get_element_by_id(f"d{i}-import").get("checked") is not None for i in range(3))
    fields = [(k, v) for k, v in form_fields(everything.text) if k != "d0-import"]
    fields = replace(fields, "bulk-topic", "t:kallkritik")
    fields = replace(fields, "bulk-tags", "mik, skola")
    fields = replace(fields, "bulk-language", "en")
    applied = await confirm(client, fields + [("do", "apply")])
    assert applied.status_code == 200, applied.text
    assert "Applied to 2 selected links." in applied.text
    doc = lxml.html.fromstring(applied.text)
    assert doc.get_element_by_id("d1-tags").get("value") == "mik, skola"
    assert doc.get_element_by_id("d0-tags").get("value") == ""  # not selected: unchanged
    done = await confirm(client, form_fields(applied.text))
    assert "2 resources were imported" in done.text
    session.expunge_all()
    imported = (
        (
            await session.execute(
                select(Resource).where(
                    Resource.url.in_([links_site.url("/a"), links_site.url("/b")])
                )
            )  # type: ignore[attr-defined]
        )
        .scalars()
        .all()
    )
    assert {r.language for r in imported} == {"en"}
    topics = await resources.topics_of(session, [r.id for r in imported])
    assert all([t.slug for t in topics[r.id]] == ["kallkritik"] for r in imported)


async def test_apply_without_a_selection_or_with_a_forged_value_says_why(
    client: Client, session: AsyncSession
) -> None:
    csrf = await signed_in(client, session)
    preview = await client.post(
        "/manage/import/file",
        data={"csrf_token": csrf, "format": "csv"},
        files={"file": ("l.csv", b"url;title\r\nhttps://exempel.se/a;A\r\n", "text/csv")},
    )
    fields = replace(form_fields(preview.text), "bulk-resource_type", "javascript")
    answer = await confirm(client, fields + [("do", "apply")])
    assert answer.status_code == 422
    doc = lxml.html.fromstring(answer.text)
    assert (
        "Choose one of the options"
        in doc.get_element_by_id("bulk-resource_type-error").text_content()
    )
    assert doc.get_element_by_id("d0-title").get("value") == "A"  # nothing typed is lost
