"""Keyboard only: from the top of every page type, Tab reaches every action in order.

The first stop is the skip link, which moves focus to the main content; every focusable
element follows in document order (the layout does not reorder content, and no element has
a positive tabindex); each one shows a focus indicator; after the last one focus leaves
the page, so nothing traps the keyboard.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.live import LiveLinkdir
from tests.browser.pages import BEFORE, PAGES, PageType

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

# Numbers every element Tab should reach, in document order (radio groups count once).
MARK_TABBABLE = """() => {
  const selector = 'a[href], area[href], button, input, select, textarea, summary, iframe,'
    + ' [tabindex], [contenteditable="true"], [contenteditable=""]';
  const seenRadio = new Set();
  const found = [];
  for (const el of document.querySelectorAll(selector)) {
    if (el.disabled || el.tabIndex < 0 || (el.type === 'hidden')) continue;
    if (el.closest('[inert]')) continue;
    // Inside a closed <details> only its own summary is a stop (Chromium still gives the
    // hidden content client rects).
    const shut = el.closest('details:not([open])');
    if (shut && !(el.tagName === 'SUMMARY' && el.parentElement === shut)) continue;
    const style = getComputedStyle(el);
    if (style.visibility !== 'visible' || !el.getClientRects().length) continue;
    if (el.tagName === 'SUMMARY' && el.parentElement.tagName !== 'DETAILS') continue;
    if (el.type === 'radio') {
      if (seenRadio.has(el.name)) continue;
      seenRadio.add(el.name);
    }
    el.dataset.kbd = String(found.length);
    found.push(el.outerHTML.slice(0, 120));
  }
  return found;
}"""

# What the focused element is, and whether focus can be seen on it.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 1;
  const shadow = style.boxShadow && style.boxShadow !== 'none';
  const box = el.getBoundingClientRect();
  const onScreen = box.width >= 1 && box.height >= 1 && box.bottom > 0 && box.right > 0
    && box.top < window.innerHeight && box.left < window.innerWidth;
  return {index: el.dataset.kbd ?? null, id: el.id, tag: el.tagName,
          html: el.outerHTML.slice(0, 120), indicator: outline || shadow, onScreen};
}"""


@pytest.fixture(scope="module")
def tabs(anonymous: BrowserContext, curator: BrowserContext) -> Iterator[dict[bool, Page]]:
    opened = {False: anonymous.new_page(), True: curator.new_page()}
    yield opened
    for page in opened.values():
        page.close()


def _load(page: Page, live: LiveLinkdir, page_type: PageType) -> None:
    path = page_type.path.format(**live.ids)
    page.goto(live.base_url + path + ("&" if "?" in path else "?") + "lang=sv")
    if page_type.before:
        BEFORE[page_type.before](page)
        # A submitted form moves focus; start again from the top as a new visitor would.
        page.evaluate("() => { document.activeElement.blur(); window.scrollTo(0, 0); }")
    page.evaluate("() => document.body.focus()")


def _focused(page: Page) -> dict[str, Any] | None:
    result: dict[str, Any] | None = page.evaluate(FOCUSED)
    return result


@pytest.mark.parametrize("page_type", PAGES, ids=[p.name for p in PAGES])
def test_tab_reaches_every_action_in_order_with_visible_focus(
    page_type: PageType, live: LiveLinkdir, tabs: dict[bool, Page]
) -> None:
    page = tabs[page_type.curator]
    _load(page, live, page_type)
    assert page.evaluate(
        "() => [...document.querySelectorAll('[tabindex]')].every(el => el.tabIndex <= 0)"
    ), "no positive tabindex: it would take focus out of document order"

    # From the top: every element, in document order, each with visible focus.
    expected = page.evaluate(MARK_TABBABLE)
    assert expected, "the page has something to reach"
    reached: list[str] = []
    for _ in range(len(expected) + 1):
        page.keyboard.press("Tab")
        focused = _focused(page)
        if not reached:
            # The first stop is the skip link, shown on screen.
            assert focused and "skip-link" in (
                page.evaluate("() => document.activeElement.className")
            ), focused
            assert focused["onScreen"] and focused["indicator"], (
                "the skip link is visible when focused"
            )
        if focused is None or (reached and focused["index"] == "0"):
            break  # focus left the page (or came round to the top again): no trap
        assert focused["indicator"], f"no visible focus indicator on {focused['html']}"
        assert focused["onScreen"], f"focus is off screen on {focused['html']}"
        assert focused["index"] is not None, f"focus reached an unexpected {focused['html']}"
        reached.append(focused["index"])
    else:
        pytest.fail(
            "Tab never left the page: a keyboard trap, or more stops than elements: "
            f"{reached} for {len(expected)} elements"
        )
    order = [str(i) for i in range(len(expected))]
    assert reached == order, "Tab order differs from document order:\n" + "\n".join(
        expected[int(i)] for i in reached if i is not None
    )
    # The skip link (the first stop, above) moves focus to <main>: one load serves both.
    page.locator(".skip-link").first.focus()
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
