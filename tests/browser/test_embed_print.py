"""Seen in chromium: "did you mean", the directory inside a library's own page (an iframe
from an allowed origin, refused from any other), print views, and axe on all of them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import new_context
from tests.browser.live import LiveLinkdir
from tests.browser.looks import Looks, axe_violations, describe, open_page
from tests.browser.pages import EMBED_PAGES, PageType

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


@pytest.fixture(scope="module")
def page(browser: Browser) -> Iterator[Page]:
    from axe_playwright_python.base import AXE_SCRIPT

    context = new_context(browser)
    context.add_init_script(AXE_SCRIPT)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.mark.parametrize(
    ("lang", "query", "meant", "said"),
    [
        ("sv", "kallkritik", "källkritik", "Menade du:"),
        ("en", "kallkritik", "källkritik", "Did you mean:"),
        ("sv", "aldre", "äldre", "Menade du:"),
        ("en", "digital delaktihet", "digital delaktighet", "Did you mean:"),
    ],
)
def test_misspelt_and_diacritic_less_queries_get_the_right_suggestion(
    page: Page, live: LiveLinkdir, lang: str, query: str, meant: str, said: str
) -> None:
    page.goto(f"{live.base_url}/search?lang={lang}")
    page.locator("#q").fill(query)
    page.locator("#q").press("Enter")
    suggestion = page.locator(".suggestion")
    assert said in suggestion.inner_text()
    # Nothing matched the query itself, so the page already shows the suggestion's hits.
    assert page.locator(".results .resource").count() >= 1
    page.locator(".suggestion").get_by_role("link", name=meant, exact=True).click()
    assert page.locator("#q").input_value() == meant
    assert page.locator(".results .resource").count() >= 1
    assert page.locator(".suggestion").count() == 0, "the corrected query needs no correction"


def _library_page(live: LiveLinkdir, origin: str, embedded: str) -> str:
    """A library's own page, served from ``origin``, with the directory in an iframe."""
    path = f"/bibliotek{len(live.site.pages)}"
    live.site.pages[path] = (
        "Bibliotekets länktips",
        f'<iframe src="{live.base_url}{embedded}" title="Länktips" width="600" height="400">'
        "</iframe>",
    )
    return origin + path


def _framed_heading(page: Page, url: str) -> str | None:
    page.goto(url)
    page.wait_for_load_state("load")
    frame = page.frames[1]
    if not frame.url.startswith("http"):
        return None  # chromium replaced the refused page with its error page
    heading = frame.locator("h1")
    return heading.inner_text() if heading.count() else None


def test_embed_loads_in_an_iframe_from_an_allowed_origin_only(
    page: Page, live: LiveLinkdir
) -> None:
    allowed = live.site.origin  # LINKDIR_EMBED_ORIGINS in live.env()
    other = allowed.replace("127.0.0.1", "localhost")  # the same server, another origin
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text))
    heading = _framed_heading(page, _library_page(live, allowed, "/embed/topics/mik?lang=sv"))
    assert heading == "Medie- och informationskunnighet"
    frame = page.frames[1]
    assert frame.get_by_role("link", name="Kurs i källkritik").count() == 1
    see_all = frame.locator(".linkdir-all a")
    assert see_all.get_attribute("target") == "_top"
    assert not any("frame-ancestors" in text for text in refused)

    assert _framed_heading(page, _library_page(live, other, "/embed/topics/mik?lang=sv")) is None
    assert any("frame-ancestors" in text for text in refused), refused
    # Every other page stays unframable, even for the allowed origin.
    assert _framed_heading(page, _library_page(live, allowed, "/topics/mik")) is None


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("page_type", EMBED_PAGES, ids=[p.name for p in EMBED_PAGES])
def test_embed_pages_have_no_wcag_violations(page_type: PageType, lang: str, looks: Looks) -> None:
    # Loaded once for this and the reflow test (tests/browser/looks.py).
    look = looks.of(page_type, False, lang)
    assert not look.violations, f"{look.url}\n{describe(look.violations)}"
    assert look.h1_count == 1


PRINTED = [
    PageType("topic", "/topics/digital-delaktighet"),
    PageType("tag", "/tags/rapport"),
    PageType("search", "/search?q=rapport"),
    PageType("resource", "/resources/{ok}"),
    PageType("topic print list", "/topics/mik/print"),
]

AFTER = "el => getComputedStyle(el, '::after').content"


@pytest.mark.parametrize("page_type", PRINTED, ids=[p.name for p in PRINTED])
def test_print_hides_navigation_and_shows_addresses_and_the_date(
    page: Page, live: LiveLinkdir, page_type: PageType
) -> None:
    page.emulate_media(media="print")
    try:
        open_page(page, live, page_type, "sv")
        assert not page.locator(".site-header").is_visible(), "no navigation on paper"
        assert not page.locator("input[type=search]").first.is_visible(), "no search box"
        assert page.locator(".print-date").is_visible()
        assert "Utskrivet från" in page.locator(".print-date").inner_text()
        outside = page.locator("main a[href^='http']")
        if page_type.name == "topic print list":
            codes = page.locator("img.qr")
            assert codes.count() == 1 + page.locator(".print-item").count()
            assert all(codes.nth(i).is_visible() for i in range(codes.count()))
            assert live.site.origin + "/handledning" in page.locator(".print-items").inner_text()
        else:
            assert outside.count() >= 1
            for index in range(outside.count()):
                link = outside.nth(index)
                assert link.get_attribute("href") in link.evaluate(AFTER)
        violations = axe_violations(page)
        assert not violations, f"{page.url} (print)\n{describe(violations)}"
    finally:
        page.emulate_media(media="screen")
