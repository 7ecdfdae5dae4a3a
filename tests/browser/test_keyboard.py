"""Keyboard only: from the top of every page type, Tab reaches every action in order.

The first stop is the skip link, which moves focus to the main content; every focusable
element follows in document order (the layout does not reorder content, and no element has
a positive tabindex); each one shows a focus indicator; after the last one focus leaves
the page, so nothing traps the keyboard. Each page is tabbed through in the load the axe
and reflow tests share (``looks``: at 1280 px, after axe, before the narrow widths), from
the top with nothing focused; this test asserts on what each press found.
"""

from __future__ import annotations

import pytest

from tests.browser.looks import Looks
from tests.browser.pages import PAGES, PageType


@pytest.mark.parametrize("page_type", PAGES, ids=[p.name for p in PAGES])
def test_tab_reaches_every_action_in_order_with_visible_focus(
    page_type: PageType, looks: Looks
) -> None:
    look = looks.of(page_type, page_type.curator, "sv")
    if look.keys_failed:
        pytest.fail(f"{look.url}: tabbing through the page failed:\n{look.keys_failed}")
    keys = look.keys
    assert keys is not None
    assert not keys.positive_tabindex, (
        "no positive tabindex: it would take focus out of document order"
    )

    # From the top: every element, in document order, each with visible focus.
    expected = keys.expected
    assert expected, "the page has something to reach"
    reached: list[str] = []
    for focused in keys.steps:
        if not reached:
            # The first stop is the skip link, shown on screen.
            assert focused and "skip-link" in focused["className"], focused
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
    # The skip link (the first stop, above) moves focus to <main>; on a curator page past
    # the curator pages' menu too (ten links and "Sign out" stood before every form).
    assert keys.focus_after_skip == ("page-content" if keys.curator_menu else "main")
