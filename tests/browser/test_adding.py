"""Adding a resource in seconds, in chromium (issue 16): the bookmarklet, "Fetch details"
with and without JavaScript, and the add form's states under axe and at 320 px.

The pages added are served by a loopback server of this module's own; ``linkdir serve``
may fetch them because the live server allows 127.0.0.0/8, as link checks do.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import signed_in_context
from tests.browser.live import LiveLinkdir
from tests.browser.looks import OVERFLOWING, assert_accessible_and_reflows

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

ARTICLE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    "<title>Reading promotion toolkit – Region Exempel</title>"
    '<meta name="description" content="Methods and materials for reading promotion.">'
    '<meta property="og:site_name" content="Region Exempel"></head>'
    '<body><main><h1>Reading promotion toolkit</h1><p id="lead">A toolkit for libraries that '
    "want more children to read.</p></main></body></html>"
)


class _Pages(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        if self.path == "/verktyg":
            body, status = ARTICLE.encode(), 200
        else:
            body, status = b"<html><title>Hittades inte</title></html>", 404
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def pages_origin() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def live(fresh_live: LiveLinkdir) -> LiveLinkdir:
    """This module adds drafts: a server of its own, not the shared look-only one."""
    return fresh_live


@pytest.fixture(scope="module")
def curator(browser: Browser, live: LiveLinkdir) -> Iterator[BrowserContext]:
    """An admin signed in on this module's own server."""
    context = signed_in_context(browser, live)
    yield context
    context.close()


@pytest.fixture(scope="module")
def no_script(browser: Browser, live: LiveLinkdir) -> Iterator[BrowserContext]:
    """A curator whose browser runs no JavaScript."""
    context = signed_in_context(browser, live, java_script_enabled=False)
    yield context
    context.close()


@pytest.fixture
def page(curator: BrowserContext) -> Iterator[Page]:
    tab = curator.new_page()
    yield tab
    tab.close()


def wait_until_filled(page: Page, name: str) -> None:
    """Wait for a field to get a value (without eval: the site's CSP forbids it)."""
    from playwright.sync_api import expect

    expect(page.locator(f"#field-{name}")).not_to_have_value("")


def bookmarklet_of(page: Page, live: LiveLinkdir) -> str:
    page.goto(live.base_url + "/manage/account?lang=en")
    href = page.locator("#bookmarklet").get_attribute("href")
    assert href is not None and href.startswith("javascript:")
    return href


def test_the_bookmarklet_opens_the_add_form_for_the_page_with_its_title_and_selection(
    page: Page, live: LiveLinkdir, pages_origin: str
) -> None:
    href = bookmarklet_of(page, live)
    page.goto(pages_origin + "/verktyg")
    page.evaluate(
        "() => { const range = document.createRange();"
        " range.selectNodeContents(document.getElementById('lead'));"
        " getSelection().removeAllRanges(); getSelection().addRange(range); }"
    )
    # Used from the bookmarks bar, the bookmarklet runs as a javascript: link on the page
    # the curator reads; this page has no CSP, like most, so clicking such a link is that.
    page.evaluate(
        "href => { const a = document.createElement('a'); a.href = href; a.id = 'bm';"
        " a.textContent = 'bm'; document.body.append(a); }",
        href,
    )
    page.locator("#bm").click()
    page.wait_for_url(lambda url: "/manage/resources/new" in url)
    assert page.locator("#field-url").input_value() == pages_origin + "/verktyg"
    assert page.locator("#field-title").input_value() == (
        "Reading promotion toolkit – Region Exempel"
    )
    assert page.locator("#field-description").input_value() == (
        "A toolkit for libraries that want more children to read."
    )
    # With JavaScript, what the page says fills the fields still empty, and nothing else.
    wait_until_filled(page, "publisher")
    assert page.locator("#field-publisher").input_value() == "Region Exempel"
    assert page.locator("#field-language").input_value() == "en"
    assert page.locator("#field-title").input_value().endswith("– Region Exempel")
    assert "Publisher" in page.locator("#lookup-status").inner_text()


def test_fetch_details_without_javascript_fills_the_title_and_keeps_what_was_typed(
    no_script: BrowserContext, live: LiveLinkdir, pages_origin: str
) -> None:
    page = no_script.new_page()
    try:
        page.goto(live.base_url + "/manage/resources/new?lang=sv")
        page.get_by_label("Adress (URL)").fill(pages_origin + "/verktyg")
        page.get_by_label("Beskrivning").fill("Min egen beskrivning.")
        page.get_by_role("button", name="Hämta uppgifter").click()
        page.locator("#lookup-done").wait_for()
        assert page.locator("#field-title").input_value() == "Reading promotion toolkit"
        assert page.locator("#field-description").input_value() == "Min egen beskrivning."
        assert page.locator("#field-language").input_value() == "en"
        assert "Titel" in page.locator("#lookup-done").inner_text()
        # A page that is not there: said on the address field, the typed text kept.
        page.get_by_label("Adress (URL)").fill(pages_origin + "/borta")
        page.get_by_role("button", name="Hämta uppgifter").click()
        assert "HTTP 404" in page.locator("#error-url").inner_text()
        assert page.locator("#field-description").input_value() == "Min egen beskrivning."
    finally:
        page.close()


def test_without_javascript_enter_in_a_field_adds_the_draft_rather_than_fetching(
    no_script: BrowserContext, live: LiveLinkdir, pages_origin: str
) -> None:
    page = no_script.new_page()
    try:
        page.goto(live.base_url + "/manage/resources/new?lang=sv")
        # An address of its own: the other tests add /verktyg, and a second draft of it
        # would be refused as a duplicate.
        page.get_by_label("Adress (URL)").fill(pages_origin + "/enter-sparar")
        page.get_by_label("Titel").fill("Läsfrämjande verktygslåda")
        page.get_by_label("Titel").press("Enter")
        page.wait_for_url(lambda url: "saved=1" in url)
        assert page.locator("#field-title").input_value() == "Läsfrämjande verktygslåda"
        assert page.locator("#lookup-done").count() == 0, "Enter fetched instead of saving"
    finally:
        page.close()


def test_fetch_details_with_javascript_fills_the_title_when_the_address_is_left(
    page: Page, live: LiveLinkdir, pages_origin: str
) -> None:
    page.goto(live.base_url + "/manage/resources/new?lang=en")
    page.get_by_label("Address (URL)").fill(pages_origin + "/verktyg")
    page.keyboard.press("Tab")
    wait_until_filled(page, "title")
    assert page.locator("#field-title").input_value() == "Reading promotion toolkit"
    assert page.url.endswith("/manage/resources/new?lang=en"), "no page load"
    status = page.locator("#lookup-status").inner_text()
    assert "Title" in status and "Check them" in status
    # Enter in a one-line field saves (it does not press "Fetch details").
    page.get_by_label("Title").press("Enter")
    page.wait_for_url(lambda url: "saved=1" in url)
    assert page.locator("#field-publisher").input_value() == "Region Exempel"


def _empty(page: Page, origin: str) -> None:
    pass


def _with_suggestions(page: Page, origin: str) -> None:
    page.locator("#field-url").fill(origin + "/verktyg")
    # The server-rendered answer, as without JavaScript (the script would fetch in place).
    page.evaluate(
        "() => document.getElementById('add-form')"
        ".requestSubmit(document.getElementById('lookup-button'))"
    )
    page.locator("#lookup-done").wait_for()


def _with_suggestions_in_place(page: Page, origin: str) -> None:
    page.locator("#field-url").fill(origin + "/verktyg")
    page.locator("#lookup-button").click()
    wait_until_filled(page, "title")


def _with_an_error(page: Page, origin: str) -> None:
    page.locator("#field-url").fill(origin + "/borta")
    page.evaluate(
        "() => document.getElementById('add-form')"
        ".requestSubmit(document.getElementById('lookup-button'))"
    )
    page.locator(".error-summary").wait_for()


STATES: dict[str, Callable[[Page, str], None]] = {
    "empty": _empty,
    "with suggestions": _with_suggestions,
    "with suggestions in place": _with_suggestions_in_place,
    "with an error": _with_an_error,
}


@pytest.fixture(scope="module")
def axe_page(curator: BrowserContext) -> Iterator[Page]:
    from axe_playwright_python.base import AXE_SCRIPT

    tab = curator.new_page()
    tab.add_init_script(AXE_SCRIPT)
    yield tab
    tab.close()


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("state", list(STATES))
def test_the_add_form_has_no_wcag_violations_and_reflows_at_320_px(
    state: str, lang: str, axe_page: Page, live: LiveLinkdir, pages_origin: str
) -> None:
    page = axe_page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live.base_url + f"/manage/resources/new?lang={lang}")
    STATES[state](page, pages_origin)
    assert page.locator("html").get_attribute("lang") == lang
    assert_accessible_and_reflows(page, f"{state}, {lang}")


def test_the_account_page_with_the_bookmarklet_reflows_at_320_px(
    page: Page, live: LiveLinkdir
) -> None:
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(live.base_url + "/manage/account?lang=sv")
    assert page.get_by_role("heading", name="Lägg till sidan du är på").is_visible()
    overflowing = page.evaluate(OVERFLOWING)
    assert not overflowing, "\n".join(overflowing[:8])


def test_a_refused_save_puts_focus_on_the_list_of_what_to_correct(
    no_script: BrowserContext, live: LiveLinkdir
) -> None:
    """After the server refuses a form, focus stood at the top of the page: a keyboard or
    screen-reader user had to find the errors. Now the error summary takes it (no script)."""
    page = no_script.new_page()
    try:
        page.goto(live.base_url + "/manage/resources/new?lang=sv")
        page.get_by_label("Adress (URL)").fill("javascript:alert(1)")
        page.get_by_label("Titel").fill("Något")
        page.get_by_label("Titel").press("Enter")
        page.locator(".error-summary").wait_for()
        focused = page.evaluate("() => document.activeElement.className")
        assert focused == "error-summary", focused
    finally:
        page.close()
