"""Tags and order in a topic in chromium (issue 16): a merge with its confirmation and the
old feed redirecting, pinning by keyboard alone, axe and 320 px on the new pages."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import feedparser
import httpx
import pytest
from lxml import etree

from tests.browser.live import LiveLinkdir
from tests.browser.looks import assert_accessible_and_reflows
from tests.feeds.conftest import SCHEMA, assert_valid_atom

if TYPE_CHECKING:
    from playwright.sync_api import Page


@pytest.fixture(scope="module")
def page(signed_in_page: Page) -> Page:
    """An admin's tab with axe-core on this module's own server (tests/browser/conftest.py)."""
    return signed_in_page


def test_merging_a_tag_asks_first_and_its_old_feed_redirects_for_good(
    page: Page, fresh_live: LiveLinkdir
) -> None:
    base = fresh_live.base_url
    page.goto(base + "/manage/tags?lang=sv")
    page.get_by_role("link", name="#kurs").click()
    page.get_by_label("Slå ihop med taggen").fill("handledning")
    page.get_by_role("button", name="Visa vad sammanslagningen ändrar").click()
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == "Slå ihop kurs med handledning?"
    assert page.get_by_role("link", name="Kurs i källkritik").is_visible()
    # Nothing has happened yet: the old feed still answers by itself.
    assert httpx.get(base + "/feeds/tags/kurs.atom").status_code == 200
    page.get_by_role("button", name="Slå ihop kurs med handledning").click()
    page.wait_for_url("**/manage/tags?**")
    notice = page.locator("[role=status]").first.inner_text()
    assert "Taggen kurs slogs ihop med handledning" in notice
    for old, new in (
        ("/feeds/tags/kurs.atom", "/feeds/tags/handledning.atom"),
        ("/feeds/tags/kurs.rss?lang=en", "/feeds/tags/handledning.rss?lang=en"),
        ("/tags/kurs", "/tags/handledning"),
    ):
        moved = httpx.get(base + old, follow_redirects=False)
        assert (moved.status_code, moved.headers["location"]) == (301, new)
    # A feed reader following the old address gets the merged tag's valid feed.
    followed = page.request.get(base + "/feeds/tags/kurs.atom")
    assert followed.url == base + "/feeds/tags/handledning.atom"
    body = followed.body()
    assert_valid_atom(etree.RelaxNG(etree.parse(str(SCHEMA))), body)
    titles = {entry.title for entry in feedparser.parse(body).entries}
    assert titles == {"Kurs i källkritik", "Handledning i källkritik"}
    page.goto(base + "/tags/kurs")
    assert page.url == base + "/tags/handledning"


def _tab_to(page: Page, name: str) -> None:
    """Press Tab until the focused element's accessible text is ``name``."""
    for _ in range(200):
        page.keyboard.press("Tab")
        text = page.evaluate("() => document.activeElement.textContent.replace(/\\s+/g, ' ')")
        if text.strip() == name:
            return
    raise AssertionError(f"never reached {name!r} with Tab")


def _focused_item(page: Page, expected: str) -> str:
    """The list item holding the focus, once ``autofocus`` has moved it there (Chromium
    applies it after the load event, so a busy machine can be read too early)."""
    script = "() => (document.activeElement.closest('li') || {}).id || ''"
    with contextlib.suppress(Exception):  # the assertion after says what was focused instead
        page.wait_for_function(f"expected => ({script})() === expected", arg=expected)
    return str(page.evaluate(script))


def test_pinning_and_ordering_by_keyboard_alone(page: Page, fresh_live: LiveLinkdir) -> None:
    base = fresh_live.base_url
    ids = fresh_live.ids
    page.goto(base + "/manage/topics/mik/order?lang=en")
    _tab_to(page, "Pin to the top: Internt nätverk för MIK-samordnare")
    page.keyboard.press("Enter")
    page.wait_for_url("**done=pin**")
    assert _focused_item(page, f"resource-{ids['unverified']}") == f"resource-{ids['unverified']}"
    assert "now 1 of 1" in page.locator(".pin-status").inner_text()
    _tab_to(page, "Pin to the top: Kurs i källkritik")
    page.keyboard.press("Space")
    page.wait_for_url(f"**moved={ids['broken']}**")
    # Pinned second: the focus is back on its own "Move up".
    text = "() => document.activeElement.textContent.replace(/\\s+/g, ' ').trim()"
    with contextlib.suppress(Exception):  # the assertion below says what was focused instead
        page.wait_for_function(f"want => ({text})() === want", arg="Move up: Kurs i källkritik")
    assert page.evaluate(text) == "Move up: Kurs i källkritik"
    page.keyboard.press("Enter")
    page.wait_for_url("**done=up**")
    assert _focused_item(page, f"resource-{ids['broken']}") == f"resource-{ids['broken']}"
    assert "Kurs i källkritik moved: now 1 of 2." in page.locator(".pin-status").inner_text()
    pinned = page.locator("ol.pins > li .pin-title").all_inner_texts()
    assert pinned == ["Kurs i källkritik", "Internt nätverk för MIK-samordnare"]
    # The public page and the feed list them first, in that order.
    page.goto(base + "/topics/mik")
    titles = page.locator("main h2, main h3").all_inner_texts()
    listed = [t for t in titles if t in {"Kurs i källkritik", "Internt nätverk för MIK-samordnare",
                                         "Handledning i källkritik"}]  # fmt: skip
    assert listed[:2] == ["Kurs i källkritik", "Internt nätverk för MIK-samordnare"]
    feed = feedparser.parse(httpx.get(base + "/feeds/topics/mik.atom").content)
    assert [e.title for e in feed.entries][:2] == listed[:2]


def _tag_page(page: Page, base: str, lang: str) -> None:
    page.goto(base + f"/manage/tags?lang={lang}")


def _tag_edit_with_error(page: Page, base: str, lang: str) -> None:
    page.goto(base + f"/manage/tags/rapport?lang={lang}")
    page.locator("#field-into").fill("finns-inte")
    page.locator("form[action$='/merge'] button").click()
    page.locator(".error-summary").wait_for()


def _merge_confirm(page: Page, base: str, lang: str) -> None:
    page.goto(base + f"/manage/tags/rapport?lang={lang}")
    page.locator("#field-into").fill("digitalisering")
    page.locator("form[action$='/merge'] button").click()
    page.locator("input[name=confirm]").wait_for(state="attached")


def _order_page(page: Page, base: str, lang: str) -> None:
    page.goto(base + f"/manage/topics/mik/order?lang={lang}")


STATES = {
    "tags": _tag_page,
    "tag with an error": _tag_edit_with_error,
    "merge confirmation": _merge_confirm,
    "order in a topic": _order_page,
}


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("state", list(STATES))
def test_tag_and_order_pages_have_no_wcag_violations_and_reflow_at_320_px(
    state: str, lang: str, page: Page, fresh_live: LiveLinkdir
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    STATES[state](page, fresh_live.base_url, lang)
    assert page.locator("html").get_attribute("lang") == lang
    assert_accessible_and_reflows(page, f"{state}, {lang}")
