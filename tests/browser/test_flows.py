"""What visitors and curators do, done in a real browser against a real server.

Visitors browse a topic, open a resource, search and switch language. A curator signs in,
adds a resource and publishes it, finds it in the feed, fixes a broken and a moved link
from the link report, and signs out.

This module's server is prepared the way an operator would do it, through the real
``linkdir`` commands (``user add``, ``token create``, ``check --all``), rather than from the
seed the other modules copy: so that path stays covered from the outside as well.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import feedparser
import httpx
import pytest

from tests.browser.conftest import new_context, sign_in
from tests.browser.live import EDITOR, LiveLinkdir

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


@pytest.fixture(scope="module")
def fresh_live(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveLinkdir]:
    """A server of this module's own, its accounts, token and checks made by `linkdir`."""
    server = LiveLinkdir(tmp_path_factory.mktemp("cli-seeded")).start()
    try:
        yield server
    finally:
        server.stop()
    assert "Traceback" not in server.log(), server.log()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = new_context(browser, locale="sv-SE")  # Accept-Language: sv-SE
    tab = context.new_page()
    yield tab
    context.close()


def test_visitor_browses_searches_and_switches_language(
    page: Page, fresh_live: LiveLinkdir
) -> None:
    live = fresh_live
    page.goto(live.base_url + "/")
    assert page.locator("html").get_attribute("lang") == "sv"
    page.get_by_role("link", name=re.compile("Digital delaktighet")).first.click()
    assert page.url.endswith("/topics/digital-delaktighet")
    page.get_by_role("link", name="Rapport om digital delaktighet", exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Rapport om digital delaktighet"
    assert page.get_by_role("link", name="Gå till resursen", exact=True).get_attribute("href") == (
        live.site.origin + "/rapport"
    )

    page.get_by_role("searchbox", name="Sök i länkkatalogen").fill("källkritik")
    page.get_by_role("searchbox", name="Sök i länkkatalogen").press("Enter")
    assert "/search?q=k%C3%A4llkritik" in page.url
    results = page.locator(".results")
    assert "Handledning i källkritik" in results.inner_text()
    assert "Kurs i källkritik" in results.inner_text()
    assert "Utkast" not in results.inner_text(), "drafts never show"

    page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "results for" in page.locator("#results-heading").inner_text()
    page.get_by_role("link", name="Home").click()  # the choice is remembered
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("link", name="Accessibility statement").is_visible()


def test_curator_adds_publishes_fixes_links_and_signs_out(
    page: Page, fresh_live: LiveLinkdir
) -> None:
    live = fresh_live
    page.goto(live.base_url + "/?lang=en")
    page.goto(live.base_url + "/manage/resources")
    assert "/login" in page.url, "curator pages need a sign-in"
    sign_in(page, live, EDITOR)
    page.goto(live.base_url + "/manage/resources")
    assert page.get_by_role("heading", level=1).inner_text() == "Manage resources"

    # Add a resource (a draft first), then publish it.
    page.get_by_role("link", name="Add a resource").click()
    page.get_by_label("Address (URL)").fill("https://www.kb.se/bibliotek/ny-rapport")
    page.get_by_label("Title").fill("Ny rapport om bibliotekens digitala arbete")
    page.get_by_label("Description").fill("Från Kungliga biblioteket, 2026.")
    page.get_by_label("Digital participation").check()
    page.get_by_role("button", name="Add as draft").click()
    assert page.get_by_role("status").inner_text() == "Saved."
    assert "Draft" in page.locator("main").inner_text()
    page.get_by_role("button", name="Publish").click()
    page.get_by_role("link", name="View on the public site").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Ny rapport")

    # The feed shows it (feeds are for readers, not browsers: fetch it as one would).
    feed = feedparser.parse(httpx.get(live.base_url + "/feeds/new.atom", timeout=10).content)
    assert feed.entries[0].title == "Ny rapport om bibliotekens digitala arbete"

    # Fix a broken link with an archived copy, and accept a moved link's new address.
    page.goto(live.base_url + "/manage/links?tab=broken")
    page.get_by_role(
        "button", name=re.compile(r"^Use an archived copy\s*: Kurs i källkritik$")
    ).click()
    assert "Fixed." in page.get_by_role("status").first.inner_text()
    page.goto(live.base_url + f"/resources/{live.ids['broken']}")
    # Confirmed broken with a copy: the archived copy is the primary link (issue 13).
    archived = page.get_by_role("link", name="Archived copy from 2020")
    assert archived.get_attribute("href", timeout=5000).startswith("https://web.archive.org/web/")
    page.goto(live.base_url + "/manage/links?tab=moved")
    page.get_by_role(
        "button", name=re.compile(r"^Accept the new address\s*: Handledning i källkritik$")
    ).click()
    assert "No moved links." in page.locator("main").inner_text()
    page.goto(live.base_url + f"/resources/{live.ids['moved']}")
    assert page.locator(".facts .url").inner_text() == live.site.origin + "/ny-plats"

    # Sign out: the curator pages ask for a sign-in again.
    page.goto(live.base_url + "/manage/resources")
    page.get_by_role("button", name="Sign out").click()
    page.goto(live.base_url + "/manage/resources")
    assert "/login" in page.url
