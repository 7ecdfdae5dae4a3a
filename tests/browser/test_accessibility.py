"""WCAG 2.1 AA from the outside: axe-core finds nothing on any page type, in both languages.

axe-core comes bundled in the ``axe-playwright-python`` package (``axe.min.js``); it is
injected over the DevTools protocol, so the site's CSP (no inline scripts) stays as it is.
Rules: every axe rule tagged WCAG 2.0/2.1 level A or AA, colour contrast included. Each
page type is loaded once per language for this test and the reflow test (``looks``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.browser.live import LiveLinkdir
from tests.browser.looks import Looks, describe
from tests.browser.pages import PAGES, PageType

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

# The chart's section (or figure) also holds a table with the same numbers.
HAS_TABLE_BESIDE = "el => !!el.closest('figure, section')?.querySelector('table')"


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("page_type", PAGES, ids=[p.name for p in PAGES])
def test_page_has_no_wcag_a_or_aa_violations(page_type: PageType, lang: str, looks: Looks) -> None:
    # The page as loaded once for this and the reflow test (tests/browser/looks.py).
    look = looks.of(page_type, page_type.curator, lang)
    assert not look.violations, f"{look.url}\n{describe(look.violations)}"
    assert look.h1_count == 1, "one h1 per page"


def test_every_curator_page_in_the_navigation_is_in_the_table(
    live: LiveLinkdir, curator: BrowserContext
) -> None:
    # A new page under /manage must be added to pages.PAGES, so it is tested like the rest.
    page = curator.new_page()
    try:
        page.goto(live.base_url + "/manage/resources")
        linked = {
            href.split("?")[0]
            for href in page.locator("nav.manage-nav a[href^='/manage']").evaluate_all(
                "links => links.map(a => a.getAttribute('href'))"
            )
        }
    finally:
        page.close()
    tested = {p.path.split("?")[0] for p in PAGES if p.curator}
    assert linked <= tested, f"add these to tests/browser/pages.py: {sorted(linked - tested)}"


def test_charts_have_a_text_alternative(live: LiveLinkdir, curator: BrowserContext) -> None:
    page = curator.new_page()
    try:
        page.goto(live.base_url + "/manage/links?lang=en")
        charts = page.locator("svg, canvas, img[src$='.svg']")
        assert charts.count() >= 1, "the link report has a chart"
        for index in range(charts.count()):
            chart = charts.nth(index)
            hidden = chart.get_attribute("aria-hidden") == "true"
            if hidden:
                # A decorative or duplicated chart: its numbers must be on the page as text.
                assert chart.evaluate(HAS_TABLE_BESIDE), (
                    "an aria-hidden chart needs its table beside it"
                )
                continue
            name = chart.evaluate(
                "el => el.getAttribute('aria-label') || el.getAttribute('alt') ||"
                " (el.getAttribute('aria-labelledby') || '').split(' ')"
                ".map(id => (document.getElementById(id) || {}).textContent || '').join(' ')"
                " || (el.querySelector('title') || {}).textContent || ''"
            )
            assert name.strip(), "every chart is named"
            assert chart.evaluate(HAS_TABLE_BESIDE), "every chart has its numbers as a table"
    finally:
        page.close()
