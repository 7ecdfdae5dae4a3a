"""Reflow on phones (WCAG 1.4.10): no page scrolls sideways at 320 or 375 px, in Swedish or
English, signed in or not — measured by what overflows, not by element boxes alone.

Boxes alone miss the common failure: a heading whose long Swedish compound
("Tillgänglighetsredogörelse") runs past its own box while the box fits. So besides the
document's width, every element's ``scrollWidth`` is compared with its ``clientWidth``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.browser.live import LiveLinkdir
from tests.browser.pages import EMBED_PAGES, PAGES, PageType
from tests.browser.test_accessibility import axe_violations, describe, open_page

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

# Form fields scroll their own text by design; visually hidden text (``clip``, as in
# .visually-hidden and the stacked tables' column headers) is clipped on purpose.
OVERFLOWING = """() => {
  const clipped = el => {
    for (let e = el; e; e = e.parentElement) {
      if (getComputedStyle(e).clip !== 'auto') return true;
    }
    return false;
  };
  const width = window.innerWidth;
  const found = [];
  const root = document.documentElement;
  if (root.scrollWidth > width) found.push(`the page is ${root.scrollWidth} px wide`);
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('.visually-hidden, .skip-link, input, textarea, select, svg')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    const what = `${el.tagName.toLowerCase()}${el.className ? '.' + el.className : ''}: `
      + (el.textContent || '').trim().slice(0, 60);
    const box = el.getBoundingClientRect();
    const out = box.right > width + 1 || box.left < -1;
    const spills = el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1;
    if ((out || spills) && clipped(el)) continue;
    if (out) {
      found.push(`${what} (box ${Math.round(box.left)}..${Math.round(box.right)} px)`);
    } else if (spills) {
      found.push(`${what} (content ${el.scrollWidth} px in ${el.clientWidth} px)`);
    }
  }
  return found;
}"""

PUBLIC = [p for p in PAGES if not p.curator]
# Public pages once as a visitor and once signed in (curators see more on some of them);
# a signed-in curator is sent on from the sign-in page, so it is visited signed out only.
VISITS = [(p, False) for p in [*PUBLIC, *EMBED_PAGES]] + [
    (p, True) for p in PAGES if not p.path.startswith("/login")
]
IDS = [f"{p.name}, {'signed in' if signed_in else 'visitor'}" for p, signed_in in VISITS]


@pytest.fixture(scope="module")
def tabs(anonymous: BrowserContext, curator: BrowserContext) -> Iterator[dict[bool, Page]]:
    opened = {False: anonymous.new_page(), True: curator.new_page()}
    yield opened
    for tab in opened.values():
        tab.close()


@pytest.mark.parametrize("width", [320, 375])
@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize(("page_type", "signed_in"), VISITS, ids=IDS)
def test_page_reflows_without_horizontal_scrolling(
    page_type: PageType,
    signed_in: bool,
    lang: str,
    width: int,
    live: LiveLinkdir,
    tabs: dict[bool, Page],
) -> None:
    page = tabs[signed_in]
    page.set_viewport_size({"width": width, "height": 640})
    open_page(page, live, page_type, lang)
    overflowing = page.evaluate(OVERFLOWING)
    assert not overflowing, f"{page.url} at {width} px:\n" + "\n".join(overflowing[:8])


def test_search_results_come_before_the_filters_on_a_phone(
    live: LiveLinkdir, tabs: dict[bool, Page]
) -> None:
    page = tabs[False]
    page.set_viewport_size({"width": 375, "height": 640})
    open_page(page, live, PageType("search", "/search?q=rapport"), "sv")
    results = page.locator(".results").bounding_box()
    filters = page.locator("details.facets").bounding_box()
    assert results and filters and results["y"] < filters["y"]
    # The filters fold away and open again without any script.
    page.locator("details.facets > summary").click()
    assert not page.locator("details.facets a").first.is_visible()
    page.locator("details.facets > summary").click()
    assert page.locator("details.facets a").first.is_visible()


def assert_accessible_and_reflows(page: Page, label: str) -> None:
    """axe finds nothing on the page as it is, and at 320 px nothing scrolls sideways.

    For the flow modules' own states (a page after some input); leaves the page at 320 px.
    """
    violations = axe_violations(page)
    assert not violations, f"{label}\n{describe(violations)}"
    page.set_viewport_size({"width": 320, "height": 640})
    overflowing = page.evaluate(OVERFLOWING)
    assert not overflowing, f"{label} at 320 px:\n" + "\n".join(overflowing[:8])
