"""Browser tests: Debian's chromium driven by Playwright against a real ``linkdir serve``.

Per xdist worker: one seeded database (``seeded_database``: migrated, seeded, accounts, a
token and ``check --all``, all in-process), one look-only server on a copy of it (``live``),
one chromium. A module that changes the directory gets a server of its own on another copy
(``fresh_live``). Without chromium or Playwright the tests skip, except under ``CI=true``,
where that is an error: CI must prove the site from the outside (``.ci/run`` installs
chromium).

Playwright's sync API runs an event loop in the main thread while it is open, and the
async tests that run after the browser tests on the same worker need that thread's loop
free: so chromium is closed after the last browser test in a row (``pytest_runtest_teardown``
below), and opened again if another browser test comes later.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from tests.browser.live import (
    ADMIN,
    PASSWORD,
    LinkSiteServer,
    LiveLinkdir,
    SeededDatabase,
    seed_database,
    start_site,
)
from tests.browser.looks import Looks
from tests.conftest import IN_CI

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright

# Debian's old headless shell (package chromium-headless-shell, the same Blink and V8 as
# chromium) when it is installed: without the full browser's window and display
# compositor it spends about half the CPU per page load (measured: the browser and GPU
# processes were ~110 of the browser tests' ~375 CPU-seconds), and it is what Playwright
# itself runs headless. Otherwise the full chromium in its headless mode.
HEADLESS_SHELL = "/usr/bin/chromium-headless-shell"
CHROMIUM = os.environ.get(
    "LINKDIR_TEST_CHROMIUM",
    HEADLESS_SHELL if Path(HEADLESS_SHELL).exists() else "/usr/bin/chromium",
)
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
T = TypeVar("T")


def _missing() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "Playwright is not installed (make install-test)"
    if not Path(CHROMIUM).exists():
        return (
            f"chromium is not installed at {CHROMIUM}"
            " (apt-get install chromium-headless-shell, or chromium)"
        )
    return None


def is_browser_test(item: pytest.Item) -> bool:
    return "tests/browser/" in str(item.path).replace(os.sep, "/")


# Two groups of about equal test time (measured: ~180 s each on a shared 2-core machine),
# so two workers each run one while the others take the rest of the suite; a module stays
# whole in its group (its server and pages are shared by its tests), and the modules that
# read the shared page loads (`looks`: accessibility, reflow, keyboard) stay in "a" with
# them. New modules go to "a".
BROWSER_GROUP_B = {
    "test_link_report",
    "test_account_flows",
    "test_import_preview",
    "test_embed_print",
    "test_curating_list",
    "test_adding",
    "test_xdist_groups",
}


def browser_group(item: pytest.Item) -> str:
    return "browser-b" if item.path.stem in BROWSER_GROUP_B else "browser-a"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Browser tests run first, in one xdist group (one worker, `--dist loadgroup`), so the
    # longest serial stretch starts at once while the other workers take everything else.
    # First: xdist tags items with their group in its own hook, which runs before this one
    # when this conftest is loaded early (`pytest tests/browser`), and then sees no group.
    in_browser = [item for item in items if is_browser_test(item)]
    for item in in_browser:
        item.add_marker(pytest.mark.browser)
        item.add_marker(pytest.mark.xdist_group(browser_group(item)))
    chosen = set(map(id, in_browser))
    items[:] = in_browser + [item for item in items if id(item) not in chosen]


class Chromium:
    """This worker's chromium, launched on first use, with what lives as long as it does.

    ``kept(key, make)`` keeps a context or tab made from this browser until :meth:`close`
    (then the next test makes a new one), so look-only tests of many modules share them.
    """

    def __init__(self) -> None:
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._kept: dict[str, Any] = {}

    def browser(self) -> Browser:
        if self._browser is None:
            from playwright.sync_api import sync_playwright

            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS
            )
        return self._browser

    def kept(self, key: str, make: Callable[[Browser], T]) -> T:
        if key not in self._kept:
            self._kept[key] = make(self.browser())
        value: T = self._kept[key]
        return value

    def close(self) -> None:
        self._kept.clear()
        if self._browser is not None:
            self._browser.close()
            self._browser = None
        if self._playwright is not None:
            self._playwright.stop()
            self._playwright = None


CHROMIUM_KEY = pytest.StashKey[Chromium]()


@pytest.fixture(scope="session")
def chromium(request: pytest.FixtureRequest) -> Chromium:
    missing = _missing()
    if missing:
        if IN_CI:
            pytest.fail(f"browser tests cannot run under CI=true: {missing}", pytrace=False)
        pytest.skip(missing)
    return request.config.stash.setdefault(CHROMIUM_KEY, Chromium())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """After the last browser test in a row (its fixtures torn down), chromium closes."""
    try:
        return (yield)
    finally:
        if nextitem is None or not is_browser_test(nextitem):
            opened = item.config.stash.get(CHROMIUM_KEY, None)
            if opened is not None:
                opened.close()


@pytest.fixture(scope="module")
def browser(chromium: Chromium) -> Browser:
    return chromium.browser()


@pytest.fixture(scope="session")
def link_site() -> Iterator[LinkSiteServer]:
    """The pages the seeded directory links to (their addresses are in the database)."""
    site = start_site()
    yield site
    site.shutdown()
    site.server_close()


@pytest.fixture(scope="session")
def seeded_database(
    link_site: LinkSiteServer, tmp_path_factory: pytest.TempPathFactory
) -> SeededDatabase:
    """Seeded once per worker, away from Playwright's loop (a thread of its own)."""
    workdir = tmp_path_factory.mktemp("seed")
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(seed_database, workdir, link_site).result()


def _serve(
    tmp_path_factory: pytest.TempPathFactory, seeded: SeededDatabase
) -> Iterator[LiveLinkdir]:
    server = LiveLinkdir(tmp_path_factory.mktemp("live"), seeded=seeded).start()
    try:
        yield server
    finally:
        server.stop()
    assert "Traceback" not in server.log(), server.log()


@pytest.fixture(scope="session")
def live(
    tmp_path_factory: pytest.TempPathFactory, seeded_database: SeededDatabase
) -> Iterator[LiveLinkdir]:
    """This worker's seeded server, for tests that only look (and fail to sign in)."""
    yield from _serve(tmp_path_factory, seeded_database)


@pytest.fixture(scope="module")
def fresh_live(
    tmp_path_factory: pytest.TempPathFactory, seeded_database: SeededDatabase
) -> Iterator[LiveLinkdir]:
    """A seeded server of the module's own (a copy of the file), for tests that change it."""
    yield from _serve(tmp_path_factory, seeded_database)


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


def signed_in_context(browser: Browser, live: LiveLinkdir, **options: Any) -> BrowserContext:
    """A new browser (``options`` as for :func:`new_context`) signed in on ``live`` as an
    admin, through the form."""
    context = new_context(browser, **options)
    page = context.new_page()
    sign_in(page, live)
    page.close()
    return context


def shared_context(chromium: Chromium, live: LiveLinkdir, signed_in: bool) -> BrowserContext:
    """A visitor's browser on ``live``, or one signed in there as an admin (who sees every
    curator page) once, shared by every module while chromium stays open."""

    def make(browser: Browser) -> BrowserContext:
        return signed_in_context(browser, live) if signed_in else new_context(browser)

    return chromium.kept(f"{'curator' if signed_in else 'visitor'} on {live.base_url}", make)


@pytest.fixture(scope="module")
def anonymous(chromium: Chromium, live: LiveLinkdir) -> BrowserContext:
    return shared_context(chromium, live, signed_in=False)


@pytest.fixture(scope="module")
def curator(chromium: Chromium, live: LiveLinkdir) -> BrowserContext:
    return shared_context(chromium, live, signed_in=True)


@pytest.fixture(scope="session")
def looks(chromium: Chromium, live: LiveLinkdir) -> Looks:
    """Each page type loaded once per language and visitor (tests/browser/looks.py)."""

    def tab(signed_in: bool) -> Page:
        return chromium.kept(
            f"looks tab, {signed_in}", lambda _: axe_tab(shared_context(chromium, live, signed_in))
        )

    return Looks(live, tab)


def axe_tab(context: BrowserContext) -> Page:
    """A new tab with axe-core in every page it loads (injected past the site's CSP)."""
    from axe_playwright_python.base import AXE_SCRIPT

    tab = context.new_page()
    tab.add_init_script(AXE_SCRIPT)
    return tab


@pytest.fixture(scope="module")
def signed_in_page(browser: Browser, fresh_live: LiveLinkdir) -> Iterator[Page]:
    """An admin's tab with axe-core, signed in once on the module's own server."""
    context = new_context(browser)
    tab = axe_tab(context)
    sign_in(tab, fresh_live)
    yield tab
    context.close()
