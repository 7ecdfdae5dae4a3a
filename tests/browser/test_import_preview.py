"""The import preview in chromium (issue 16): every link checked while the page is open,
the broken one unselected, a near-duplicate pointed out, select all and apply to selected;
axe and 320 px on the preview with its verdicts, sv and en."""

from __future__ import annotations

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


def _preview(page: Page, live: LiveLinkdir, lang: str) -> None:
    origin = live.site.origin
    csv = (
        "url;title;description\n"
        # The seeded report, with a tracking parameter: probably already in the directory.
        f"{origin}/rapport?utm_source=nyhetsbrev;Rapporten igen;\n"
        f"{origin}/ny-plats;Handledning i källkritik, ny plats;Om källkritik.\n"
        f"{origin}/finns-inte-langre;Ett projekt som tog slut;\n"
    )
    page.goto(live.base_url + f"/manage/import?lang={lang}")
    page.locator("#field-file").set_input_files(
        files=[{"name": "lankar.csv", "mimeType": "text/csv", "buffer": csv.encode()}]
    )
    page.locator("form[action='/manage/import/file'] button[type=submit]").click()
    page.locator("#link-checks").wait_for()
    # The page's script polls the checks and fills in each row's verdict.
    page.locator("#d2-verdict.status-broken").wait_for()
    page.locator("#d1-verdict.status-ok").wait_for()


def test_the_preview_checks_each_link_and_the_curator_applies_to_all(
    page: Page, fresh_live: LiveLinkdir
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    _preview(page, fresh_live, "sv")
    assert "Trasig" in page.locator("#d2-verdict").inner_text()
    assert "404" in page.locator("#d2-verdict").inner_text()
    assert "broken" not in page.locator("#d2-verdict").inner_text()  # words, not codes
    assert not page.locator("#d2-import").is_checked(), "a broken link stays selected"
    assert page.locator("#d1-import").is_checked()
    near = page.locator("#d0-why.near")
    assert "Finns troligen redan i katalogen" in near.inner_text()
    assert near.locator("a").get_attribute("href") == (f"/manage/resources/{fresh_live.ids['ok']}")
    assert page.locator(".error-summary").count() == 0, "a duplicate in the error box"
    # Select all, then one topic for every selected row at once.
    page.get_by_role("button", name="Markera alla", exact=True).click()
    page.locator("#link-checks").wait_for()
    for i in range(3):
        assert page.locator(f"#d{i}-import").is_checked()
    page.locator("#bulk-topic").select_option("t:mik")
    page.get_by_role("button", name="Ändra markerade").click()
    page.locator("#link-checks").wait_for()
    for i in range(3):
        assert page.locator(f"select[name='d{i}-topic']").input_value() == "t:mik"
    # The broken one unselected again by hand, then import the other two.
    page.locator("#d2-import").uncheck()
    page.locator("#d0-import").uncheck()
    page.get_by_role("button", name="Importera markerade").first.click()
    page.wait_for_load_state()
    found = fresh_live.api("GET", "/api/v1/resources?q=ny%20plats&state=draft").json()
    titles = [item["title"] for item in found["items"]]
    assert "Handledning i källkritik, ny plats" in titles
    gone = fresh_live.api("GET", "/api/v1/resources?q=projekt%20slut&state=draft").json()
    assert "Ett projekt som tog slut" not in [item["title"] for item in gone["items"]]


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_checked_preview_has_no_wcag_violations_and_reflows_at_320_px(
    lang: str, page: Page, fresh_live: LiveLinkdir
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    _preview(page, fresh_live, lang)
    assert page.locator("html").get_attribute("lang") == lang
    assert_accessible_and_reflows(page, f"import preview, {lang}")
