"""Browser tests: Debian's chromium driven by Playwright against a real ``linkdir serve``.

One chromium per test session, one seeded server per module (``live``). Without chromium
or Playwright the tests skip, except under ``CI=true``, where that is an error: CI must
prove the site from the outside (``.ci/run`` installs chromium).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.live import ADMIN, PASSWORD, LiveLinkdir
from tests.conftest import IN_CI

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

CHROMIUM = os.environ.get("LINKDIR_TEST_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags chromium phones home at start-up, and on a
# closed network those connections are refused noisily.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _missing() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "Playwright is not installed (make install-test)"
    if not Path(CHROMIUM).exists():
        return f"chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Browser tests run first, in one xdist group (one worker, `--dist loadgroup`), so the
    # longest serial stretch starts at once while the other workers take everything else.
    # Playwright's sync API runs an event loop in the main thread while it is open, so the
    # browser is opened per module and closed before any async test runs after it.
    in_browser = [item for item in items if "tests/browser/" in str(item.path).replace(os.sep, "/")]
    for item in in_browser:
        item.add_marker(pytest.mark.browser)
        item.add_marker(pytest.mark.xdist_group("browser"))
    chosen = set(map(id, in_browser))
    items[:] = in_browser + [item for item in items if id(item) not in chosen]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    missing = _missing()
    if missing:
        if IN_CI:
            pytest.fail(f"browser tests cannot run under CI=true: {missing}", pytrace=False)
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveLinkdir]:
    server = LiveLinkdir(tmp_path_factory.mktemp("live")).start()
    try:
        yield server
    finally:
        server.stop()
    assert "Traceback" not in server.log(), server.log()


@pytest.fixture(scope="module")
def live(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveLinkdir]:
    """A seeded server for tests that only look (and at most fail to sign in)."""
    yield from _serve(tmp_path_factory)


@pytest.fixture(scope="module")
def fresh_live(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveLinkdir]:
    """A seeded server of the module's own, for tests that change the directory."""
    yield from _serve(tmp_path_factory)


def new_context(browser: Browser, **options: Any) -> BrowserContext:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
    context.set_default_timeout(15_000)
    return context


def sign_in(page: Page, live: LiveLinkdir, email: str = ADMIN) -> None:
    """Sign in through the form, as a curator would."""
    page.goto(live.base_url + "/login")
    page.locator("#field-email").fill(email)
    page.locator("#field-password").fill(PASSWORD)
    page.locator("form.stacked button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


@pytest.fixture(scope="module")
def anonymous(browser: Browser, live: LiveLinkdir) -> Iterator[BrowserContext]:
    context = new_context(browser)
    yield context
    context.close()


@pytest.fixture(scope="module")
def curator(browser: Browser, live: LiveLinkdir) -> Iterator[BrowserContext]:
    """A browser signed in as an admin (who sees every curator page)."""
    context = new_context(browser)
    page = context.new_page()
    sign_in(page, live)
    page.close()
    yield context
    context.close()
