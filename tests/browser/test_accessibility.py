"""WCAG 2.1 AA from the outside: axe-core finds nothing on any page type, in both languages.

axe-core comes bundled in the ``axe-playwright-python`` package (``axe.min.js``); it is
injected over the DevTools protocol, so the site's CSP (no inline scripts) stays as it is.
Rules: every axe rule tagged WCAG 2.0/2.1 level A or AA, colour contrast included.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.live import LiveLinkdir
from tests.browser.pages import BEFORE, PAGES, PageType

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# The chart's section (or figure) also holds a table with the same numbers.
HAS_TABLE_BESIDE = "el => !!el.closest('figure, section')?.querySelector('table')"


@pytest.fixture(scope="module")
def pages(anonymous: BrowserContext, curator: BrowserContext) -> Iterator[dict[bool, Page]]:
    """One tab each for visitors and curators, with axe-core loaded into every page."""
    from axe_playwright_python.base import AXE_SCRIPT

    tabs = {}
    for is_curator, context in ((False, anonymous), (True, curator)):
        context.add_init_script(AXE_SCRIPT)
        tabs[is_curator] = context.new_page()
    yield tabs
    for tab in tabs.values():
        tab.close()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Violations of WCAG 2.0/2.1 A and AA rules on the page as it is now."""
    results = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        WCAG_TAGS,
    )
    return list(results["violations"])


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {node['target']}: {node['failureSummary']!r}")
    return "\n".join(lines)


def open_page(page: Page, live: LiveLinkdir, page_type: PageType, lang: str) -> None:
    """Load ``page_type`` in ``lang`` and bring it to the state it stands for."""
    path = page_type.path.format(**live.ids)
    path += ("&" if "?" in path else "?") + f"lang={lang}"
    response = page.goto(live.base_url + path)
    assert response is not None and response.status == page_type.status, path
    if page_type.before:
        BEFORE[page_type.before](page)
    assert page.locator("html").get_attribute("lang") == lang


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("page_type", PAGES, ids=[p.name for p in PAGES])
def test_page_has_no_wcag_a_or_aa_violations(
    page_type: PageType,
    lang: str,
    live: LiveLinkdir,
    pages: dict[bool, Page],
) -> None:
    page = pages[page_type.curator]
    open_page(page, live, page_type, lang)
    violations = axe_violations(page)
    assert not violations, f"{page.url}\n{describe(violations)}"
    assert page.locator("h1").count() == 1, "one h1 per page"


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
