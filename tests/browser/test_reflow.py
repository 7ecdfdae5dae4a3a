"""Reflow on phones (WCAG 1.4.10): no page scrolls sideways at 320 or 375 px, in Swedish or
English, signed in or not — measured by what overflows, not by element boxes alone.

Boxes alone miss the common failure: a heading whose long Swedish compound
("Tillgänglighetsredogörelse") runs past its own box while the box fits. So besides the
document's width, every element's ``scrollWidth`` is compared with its ``clientWidth``.
Each page is loaded once per language and visitor, shared with the axe test (``looks``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.browser.live import LiveLinkdir
from tests.browser.looks import VISITS, Looks, open_page
from tests.browser.pages import PageType

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

IDS = [f"{p.name}, {'signed in' if signed_in else 'visitor'}" for p, signed_in in VISITS]


@pytest.mark.parametrize("width", [320, 375])
@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize(("page_type", "signed_in"), VISITS, ids=IDS)
def test_page_reflows_without_horizontal_scrolling(
    page_type: PageType, signed_in: bool, lang: str, width: int, looks: Looks
) -> None:
    # Loaded once (at 1280 px for axe), then narrowed to each width (tests/browser/looks.py).
    look = looks.of(page_type, signed_in, lang)
    overflowing = look.overflowing[width]
    assert not overflowing, f"{look.url} at {width} px:\n" + "\n".join(overflowing[:8])


@pytest.fixture
def page(anonymous: BrowserContext) -> Iterator[Page]:
    tab = anonymous.new_page()
    yield tab
    tab.close()


def test_search_results_come_before_the_filters_on_a_phone(live: LiveLinkdir, page: Page) -> None:
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
