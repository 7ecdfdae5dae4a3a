"""The resource list in chromium (issue 16): search and filters, bulk edit with its
confirmation page, undo, all by keyboard alone; axe and 320 px on each new state, sv and en.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from tests.browser.live import LiveLinkdir
from tests.browser.looks import assert_accessible_and_reflows

if TYPE_CHECKING:
    from playwright.sync_api import Page


@pytest.fixture(scope="module")
def page(signed_in_page: Page) -> Page:
    """An admin's tab with axe-core on this module's own server (tests/browser/conftest.py)."""
    return signed_in_page


def _focused(page: Page) -> str:
    return str(page.evaluate("() => document.activeElement.id || document.activeElement.name"))


def _tab_to(page: Page, wanted: Callable[[], bool], what: str) -> None:
    """Press Tab until ``wanted()`` holds for the focused element."""
    for _ in range(250):
        page.keyboard.press("Tab")
        if wanted():
            return
    raise AssertionError(f"never reached {what} with Tab")


def _tab_to_id(page: Page, element_id: str) -> None:
    _tab_to(page, lambda: _focused(page) == element_id, f"#{element_id}")


def _tab_to_button(page: Page, text: str) -> None:
    def on_it() -> bool:
        focused = page.evaluate(
            "() => document.activeElement.tagName + ' ' + document.activeElement.textContent"
        )
        return str(focused).startswith("BUTTON") and text in str(focused)

    _tab_to(page, on_it, f"the button {text!r}")


def _titles(page: Page) -> list[str]:
    return page.locator("table.listing tbody th, table.listing tbody td a").all_inner_texts()


def test_bulk_edit_by_keyboard_alone_with_its_confirmation_and_undo(
    page: Page, fresh_live: LiveLinkdir
) -> None:
    ids = fresh_live.ids
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(fresh_live.base_url + "/manage/resources?lang=sv")
    # Search by keyboard: the stemmed search finds both "källkritik" resources.
    _tab_to_id(page, "filter-q")
    page.keyboard.type("källkritik")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "q=k" in url)
    listed = " ".join(_titles(page))
    assert "Kurs i källkritik" in listed and "Handledning i källkritik" in listed
    assert "Rapport om digital delaktighet" not in listed
    # Choose both, set the type, review the changes.
    for key in ("broken", "moved"):
        _tab_to_id(page, f"choose-{ids[key]}")
        page.keyboard.press("Space")
        assert page.locator(f"#choose-{ids[key]}").is_checked()
    _tab_to_id(page, "field-resource_type")
    page.keyboard.press("Home")  # "Ingen ändring" first, then the types
    for _ in range(40):
        if page.locator("#field-resource_type").input_value() == "report":
            break
        page.keyboard.press("ArrowDown")
    assert page.locator("#field-resource_type").input_value() == "report"
    _tab_to_button(page, "Granska ändringarna")
    page.keyboard.press("Enter")
    page.locator("#bulk-apply").wait_for()
    plan = page.locator("table.bulk-plan").inner_text()
    assert "Kurs i källkritik" in plan and "Handledning i källkritik" in plan
    assert "Rapport" in plan, plan  # the new type, in words
    assert "report" not in plan, "a type code reached the curator"
    # Nothing is written before the confirmation (looked at in a second tab).
    other = page.context.new_page()

    def resource_type(key: str) -> str:
        other.goto(fresh_live.base_url + f"/manage/resources/{ids[key]}?lang=sv")
        return other.locator("#field-resource_type").input_value()

    try:
        assert resource_type("broken") == "course"
        _tab_to_button(page, "Ändra 2 resurser")
        page.keyboard.press("Enter")
        page.wait_for_url(lambda url: "/manage/resources" in url and "/bulk" not in url)
        assert resource_type("broken") == resource_type("moved") == "report"
        # Undo from the notice, by keyboard: both types come back.
        _tab_to_button(page, "Ångra")
        page.keyboard.press("Enter")
        page.locator("#undone-notice").wait_for()
        assert resource_type("broken") == "course"
        assert resource_type("moved") == "guide"
    finally:
        other.close()


def _list(page: Page, base: str, lang: str) -> None:
    page.goto(base + f"/manage/resources?lang={lang}&q=k%C3%A4llkritik&sort=title")


def _nothing_found(page: Page, base: str, lang: str) -> None:
    page.goto(base + f"/manage/resources?lang={lang}&q=finnsintealls")
    page.locator("#empty-state").wait_for()


def _bulk_error(page: Page, base: str, lang: str) -> None:
    _list(page, base, lang)
    page.locator("form#bulk-form button[type=submit]").click()  # nothing chosen
    page.locator(".error-summary").wait_for()


_DAYS = itertools.count(1)


def _confirm(page: Page, base: str, lang: str) -> None:
    _list(page, base, lang)
    page.locator("input.choose").first.check()
    # A review date of its own each time, so every confirmation has something to change.
    page.locator("#field-review_by").fill(f"2030-01-{next(_DAYS):02d}")
    page.locator("form#bulk-form button[type=submit]").click()
    page.locator("#bulk-apply").wait_for()


def _applied(page: Page, base: str, lang: str) -> None:
    _confirm(page, base, lang)
    page.locator("#bulk-apply button[type=submit]").click()
    page.locator("#undo-notice button[type=submit]").wait_for()


def _undo_refused(page: Page, base: str, lang: str) -> None:
    _applied(page, base, lang)
    # Undone meanwhile in another tab: this tab's "Undo" is then refused, with the reason.
    other = page.context.new_page()
    try:
        other.goto(page.url)
        other.locator("#undo-notice button[type=submit]").click()
        other.locator("#undone-notice").wait_for()
    finally:
        other.close()
    page.locator("#undo-notice button[type=submit]").click()
    page.wait_for_load_state()
    assert page.url.split("?")[0].endswith("/manage/undo/" + page.url.split("/undo/")[-1])


STATES: dict[str, Callable[[Page, str, str], None]] = {
    "list, searched and sorted": _list,
    "list, nothing found": _nothing_found,
    "bulk edit with an error": _bulk_error,
    "bulk edit confirmation": _confirm,
    "after a bulk edit, with its undo": _applied,
    "undo refused": _undo_refused,
}


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("state", list(STATES))
def test_the_list_and_bulk_edit_have_no_wcag_violations_and_reflow_at_320_px(
    state: str, lang: str, page: Page, fresh_live: LiveLinkdir
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    STATES[state](page, fresh_live.base_url, lang)
    assert page.locator("html").get_attribute("lang") == lang
    assert_accessible_and_reflows(page, f"{state}, {lang}")
