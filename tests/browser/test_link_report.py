"""The link report worked through in a real browser, and what visitors see and send.

A server of this module's own: confirmation needs two failing checks (so one check makes
a *suspect*), 120 more links are already broken (pagination, select all), and the
Internet Archive is a local fake whose answer each test chooses (a copy, none, down).
axe-core checks every new page and state in both languages.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import re
import shutil
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest

from linkdir.db import create_engine, session_factory, utcnow
from linkdir.resources import service
from linkdir.resources.models import Resource
from tests.browser.conftest import new_context, sign_in
from tests.browser.live import LiveLinkdir, SeededDatabase, check_all
from tests.browser.looks import axe_violations, describe

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

EXTRA_BROKEN = 120


class WaybackFake(http.server.ThreadingHTTPServer):
    """The availability API (archive.org/wayback/available); ``mode`` says how it answers."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _WaybackHandler)
        self.mode = "copy"  # copy | none | down

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/wayback/available"


class _WaybackHandler(http.server.BaseHTTPRequestHandler):
    server: WaybackFake

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        if self.server.mode == "down":
            self._send(503, b"<h1>Service Unavailable</h1>", "text/html")
            return
        url = parse_qs(urlsplit(self.path).query).get("url", [""])[0]
        closest = {"available": True, "status": "200", "timestamp": "20200101000000",
                   "url": f"http://web.archive.org/web/20200101000000/{url}"}  # fmt: skip
        snapshots = {"closest": closest} if self.server.mode == "copy" else {}
        self._send(200, json.dumps({"archived_snapshots": snapshots}).encode(), "application/json")

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class ReportLinkdir(LiveLinkdir):
    """The seeded server, with confirmation after two checks and 120 more broken links."""

    def __init__(self, workdir: Path, seeded: SeededDatabase | None = None) -> None:
        super().__init__(workdir, seeded=seeded)
        self.wayback = WaybackFake()
        threading.Thread(target=self.wayback.serve_forever, args=(0.05,), daemon=True).start()
        self.extra: list[int] = []
        self.axe_judged: set[str] = set()  # skeletons axe found nothing on (no_violations)

    def env(self) -> dict[str, str]:
        env = super().env()
        env.update(LINKDIR_CONFIRM_CHECKS="2", LINKDIR_WAYBACK_API_URL=self.wayback.url)
        return env

    def _prepare(self) -> dict[str, int]:
        ids = super()._prepare()
        self.extra = asyncio.run(self._add_broken())
        return ids

    def _from_copy(self) -> None:
        # The seed before its check: this server's own check (two to confirm) comes after
        # the 120 broken links are in, as `linkdir check --all` would.
        assert self.seeded is not None
        shutil.copy(self.seeded.unchecked, self.database_url.split("///", 1)[1])
        self.extra = asyncio.run(self._add_broken())
        asyncio.run(check_all(self.env()))

    async def _add_broken(self) -> list[int]:
        engine = create_engine(self.database_url)
        made = []
        try:
            async with session_factory(engine)() as session:
                for n in range(EXTRA_BROKEN):
                    resource = await service.create_resource(
                        session,
                        {"url": f"{self.site.origin}/borttagen-{n:03}", "state": "published",
                         "title": f"Borttagen rapport {n:03}"},
                        by=service.Actor("tests"), allow_networks=("127.0.0.0/8",),
                    )  # fmt: skip
                    stored = await session.get(Resource, resource.id)
                    assert stored is not None and resource.id is not None
                    stored.link_status, stored.reason, stored.http_status = (
                        "broken",
                        "http_404",
                        404,
                    )
                    stored.consecutive_failures = 2
                    stored.status_since = utcnow() - timedelta(days=3)
                    made.append(resource.id)
                await session.commit()
        finally:
            await engine.dispose()
        return made

    def stop(self) -> None:
        super().stop()
        self.wayback.shutdown()
        self.wayback.server_close()


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, seeded_database: SeededDatabase
) -> Iterator[ReportLinkdir]:
    live = ReportLinkdir(tmp_path_factory.mktemp("report"), seeded_database).start()
    try:
        yield live
    finally:
        live.stop()
    assert "Traceback" not in live.log(), live.log()


@pytest.fixture(scope="module")
def curator_page(browser: Browser, server: ReportLinkdir) -> Iterator[Page]:
    from axe_playwright_python.base import AXE_SCRIPT

    context = new_context(browser)
    context.add_init_script(AXE_SCRIPT)
    page = context.new_page()
    sign_in(page, server)
    yield page
    context.close()


@pytest.fixture(scope="module")
def visitor(browser: Browser) -> Iterator[BrowserContext]:
    from axe_playwright_python.base import AXE_SCRIPT

    context = new_context(browser)
    context.add_init_script(AXE_SCRIPT)
    yield context
    context.close()


def no_violations(page: Page, judged: set[str]) -> None:
    """axe finds nothing on the page as it is, unless a document of the same skeleton
    (:data:`SKELETON`) was judged already in this module (``judged``: the server's)."""
    assert page.locator("h1").count() == 1
    skeleton = str(page.evaluate(SKELETON))
    if skeleton in judged:
        return
    violations = axe_violations(page)
    assert not violations, f"{page.url}\n{describe(violations)}"
    judged.add(skeleton)


# The document's skeleton, made in the page: its markup with each run of text reduced to
# whether there is any, digits folded, attribute values longer than 24 characters (CSRF
# tokens, addresses, titles) reduced to "L", then its SHA-256 (the markup of a 50-row
# report is too big to fetch into Python). What axe judges — elements, roles, attributes
# and ids, the styles that classes give, whether an element has text, the language — is
# in it; which words a row holds and how many links a count says are not. So a report
# reloaded after an action, with other rows in the same places, is not judged again: the
# states an action brings (a notice, an alert in a row, a confirmation page) and each
# language still are, once each.
SKELETON = """async () => {
  const markup = document.documentElement.outerHTML
    .replace(/>([^<]*)</g, (_, text) => text.trim() ? '>T<' : '><')
    .replace(/="([^"]*)"/g, (_, value) => value.length > 24 ? '="L"' : `="${value}"`)
    .replace(/[0-9]+/g, '#');
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(markup));
  return [...new Uint8Array(digest)].map(b => b.toString(16).padStart(2, '0')).join('');
}"""


def in_both_languages(page: Page, judged: set[str]) -> None:
    """axe on the page as it is, then on the same address in each language (each judged
    unless its skeleton was, :func:`no_violations`)."""
    no_violations(page, judged)
    url = page.url.split("#")[0]
    for lang in ("en", "sv"):
        page.goto(
            re.sub(r"([?&])lang=\w+", r"\1", url) + ("&" if "?" in url else "?") + f"lang={lang}"
        )
        no_violations(page, judged)


def tab_count(page: Page, name: str) -> int:
    link = page.locator("nav.tabs a", has_text=re.compile(rf"^{name} \("))
    match = re.search(r"\((\d+)\)", link.inner_text())
    assert match is not None
    return int(match.group(1))


def report(page: Page, server: ReportLinkdir, query: str) -> None:
    page.goto(server.base_url + "/manage/links?" + query)


def test_a_404_is_suspect_after_one_check_and_confirm_now_makes_it_broken(
    curator_page: Page, server: ReportLinkdir
) -> None:
    page = curator_page
    course = server.ids["broken"]
    report(page, server, "tab=suspect&lang=en")
    row = page.locator(f"#resource-{course}")
    assert "Suspect" in row.inner_text() and "Works" not in row.inner_text()
    assert "The page does not exist (HTTP 404)" in row.inner_text()
    assert "1 failing check in a row" in row.inner_text()
    in_both_languages(page, server.axe_judged)

    report(page, server, "tab=suspect&lang=en")
    broken_before = tab_count(page, "Broken")
    page.locator(f"#resource-{course}").get_by_role(
        "button", name=re.compile("^Mark as broken")
    ).click()
    assert page.url.endswith(f"#resource-{course}")
    assert tab_count(page, "Broken") == broken_before + 1
    assert _somewhere_in_broken(page, server, course)


def _somewhere_in_broken(page: Page, server: ReportLinkdir, resource_id: int) -> bool:
    for number in (1, 2, 3):
        report(page, server, f"tab=broken&page={number}")
        if page.locator(f"#resource-{resource_id}").count():
            return True
    return False


def test_a_second_failing_check_confirms_a_suspect_and_visitors_get_the_archived_copy(
    curator_page: Page, visitor: BrowserContext, server: ReportLinkdir
) -> None:
    study = server.ids["archived"]  # a 404 with a snapshot (use_archive at start-up)
    report(curator_page, server, "tab=suspect")
    assert curator_page.locator(f"#resource-{study}").count() == 1
    server.check(everything=True)  # `linkdir check --all`
    report(curator_page, server, "tab=suspect")
    assert curator_page.locator(f"#resource-{study}").count() == 0
    assert _somewhere_in_broken(curator_page, server, study)

    page = visitor.new_page()
    try:
        page.goto(server.base_url + f"/resources/{study}?lang=sv")
        primary = page.locator("p.visit a")
        assert primary.inner_text() == "Arkiverad kopia från 2020"
        assert primary.get_attribute("href", timeout=5000).startswith(
            "https://web.archive.org/web/2020"
        )
        warning = page.locator("p.link-warning")
        assert "Den ursprungliga adressen fungerar inte längre" in warning.inner_text()
        assert warning.locator("a").get_attribute("href") == server.site.origin + "/studie"
        in_both_languages(page, server.axe_judged)
        page.goto(server.base_url + "/topics/digital-delaktighet?lang=sv")
        item = page.locator("li.resource", has_text="Studie om äldres internetvanor")
        assert item.locator("a", has_text="Arkiverad kopia från 2020").count() == 1
        in_both_languages(page, server.axe_judged)
    finally:
        page.close()


def test_use_archive_without_a_copy_or_with_the_archive_down_returns_to_the_row(
    curator_page: Page, server: ReportLinkdir
) -> None:
    page = curator_page
    victim = server.extra[0]
    for mode, words in (
        ("none", "The Internet Archive has no copy of this page."),
        ("down", "The Internet Archive could not be reached or did not answer in time."),
    ):
        server.wayback.mode = mode
        report(page, server, "tab=broken&lang=en")
        row = page.locator(f"#resource-{victim}")
        row.get_by_role("button", name=re.compile("^Use an archived copy")).click()
        assert page.url.endswith(f"#resource-{victim}") and "/manage/links?" in page.url
        assert words in page.locator(f"#resource-{victim}").inner_text()
        assert page.locator(f"#refusal-{victim}").get_attribute("role") == "alert"
        in_both_languages(page, server.axe_judged)
    server.wayback.mode = "copy"


def test_a_visitor_report_reaches_the_curators_and_makes_the_link_due(
    curator_page: Page, visitor: BrowserContext, server: ReportLinkdir
) -> None:
    working = server.ids["ok"]
    page = visitor.new_page()
    try:
        page.goto(server.base_url + f"/resources/{working}?lang=sv")
        form = page.locator("#report")
        assert form.get_by_role("heading").inner_text() == "Rapportera ett problem med länken"
        no_violations(page, server.axe_judged)
        page.get_by_label("Vad är fel? (frivilligt)").fill("Länken leder till en tom sida.")
        page.get_by_role("button", name="Skicka rapporten").click()
        assert "reported=1" in page.url
        assert "Tack!" in page.locator("#report").inner_text()
        in_both_languages(page, server.axe_judged)
    finally:
        page.close()

    report(curator_page, server, "tab=reported&lang=en")
    assert tab_count(curator_page, "Reported by visitors") == 1
    row = curator_page.locator(f"#resource-{working}")
    assert "Länken leder till en tom sida." in row.inner_text()
    assert "Works" in row.inner_text()  # the report did not change the status
    in_both_languages(curator_page, server.axe_judged)

    def last_checked() -> str:
        answer = server.api("GET", "/api/v1/reports/links?status=reported").json()
        item = next(i for i in answer["items"] if i["id"] == working)
        return str(item["last_checked_at"])

    before = last_checked()
    server.check(everything=False)  # `linkdir check --due`: what the schedule does each minute
    assert last_checked() != before, "a reported link is due for a recheck at once"


def test_120_broken_links_paginate_and_select_all_retire_asks_first(
    curator_page: Page, server: ReportLinkdir
) -> None:
    page = curator_page
    report(page, server, "tab=broken&lang=en")
    total = tab_count(page, "Broken")
    assert total >= EXTRA_BROKEN
    assert page.locator("table.link-report tbody tr").count() == 50
    assert "Page 1 of 3" in page.locator("nav.pagination").inner_text()
    # No bulk action is chosen for the curator.
    assert page.locator("#bulk-action").input_value() == ""
    page.get_by_role("link", name="Next page").click()
    # Counted once the second page has loaded (the click does not wait for it, and rows
    # of a page still being parsed were counted: 43 once under load).
    page.wait_for_url(re.compile(r"[?&]page=2(&|$)"))  # and its load event
    assert page.locator("table.link-report tbody tr").count() == 50

    for lang, apply, heading in (
        ("sv", "Gäller alla", "Bekräfta: "),
        ("en", "Apply to all", "Confirm: Retire"),
    ):
        report(page, server, f"tab=broken&lang={lang}")
        page.get_by_label(re.compile(rf"^{apply} {total} ")).check()
        page.locator("#bulk-action").select_option("retire")
        page.locator("#bulk button[type=submit]").click()
        assert page.get_by_role("heading", level=1).inner_text().startswith(heading)
        assert page.locator("main table tbody tr").count() == total
        no_violations(page, server.axe_judged)
    assert server.api("GET", "/api/v1/reports/links?status=broken").json()["total"] == total
    page.get_by_role("button", name=re.compile(rf"all {total} links")).click()
    assert f"{total} links fixed." in page.get_by_role("status").first.inner_text()
    assert server.api("GET", "/api/v1/reports/links?status=broken").json()["total"] == 0
    still = server.api("GET", f"/api/v1/resources/{server.ids['ok']}").json()
    assert still["state"] == "published"

    retired = page.context.new_page()
    try:
        answer = retired.goto(server.base_url + f"/resources/{server.extra[5]}?lang=sv")
        assert answer is not None and answer.status == 410
        assert retired.get_by_role("heading", level=1).inner_text() == "Borttagen ur katalogen"
        no_violations(retired, server.axe_judged)
        retired.goto(server.base_url + f"/resources/{server.extra[5]}?lang=en")
        no_violations(retired, server.axe_judged)
    finally:
        retired.close()


# Each one-word cell matching a selector, with the number of lines its text takes.
WORD_LINES = """(selector) => Array.from(document.querySelectorAll(selector))
  .filter(cell => /^\\S{2,}$/.test(cell.innerText.trim()))
  .map(cell => { const r = document.createRange(); r.selectNodeContents(cell);
                 const tops = new Set(Array.from(r.getClientRects()).map(b => Math.round(b.top)));
                 return [cell.innerText.trim(), tops.size]; })"""


@pytest.mark.parametrize("lang", ["en", "sv"])
def test_the_runs_table_keeps_its_headers_whole_on_a_wide_screen(
    curator_page: Page, server: ReportLinkdir, lang: str
) -> None:
    """At 1280 px the runs table's short columns were squeezed by the progress column until
    their headers broke inside the word ("Work|ed", "Fail|ed")."""
    page = curator_page
    page.goto(server.base_url + f"/manage/checks?lang={lang}")
    assert page.locator("tbody tr").count() >= 1, "the server's own check is a run"
    headers = page.evaluate(WORD_LINES, "thead th")
    assert headers, "one-word headers"
    assert all(lines == 1 for _text, lines in headers), headers


@pytest.mark.parametrize("lang", ["en", "sv"])
def test_the_resource_list_keeps_its_cells_words_whole_on_a_wide_screen(
    curator_page: Page, server: ReportLinkdir, lang: str
) -> None:
    """At 1280 px the curators' resource list read "Public|erad", "Utkas|t" and
    "2026-12-|07": every cell could break anywhere, and the title column squeezed them."""
    page = curator_page
    page.goto(server.base_url + f"/manage/resources?lang={lang}")
    cells = page.evaluate(WORD_LINES, "tbody td")
    assert len(cells) >= 4, cells
    assert all(lines == 1 for _text, lines in cells), [c for c in cells if c[1] > 1]
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
