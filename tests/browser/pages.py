"""Every page type of linkdir, in one table: the accessibility and keyboard tests visit each.

A new page gets one row here. ``path`` may name seeded resources as ``{ok}``, ``{broken}``,
``{archived}``… (see ``live.SEED``). ``before`` names a step run after loading the page,
to show a state that needs input first (a form with its errors). ``curator`` pages are
visited signed in as an admin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tests.browser.live import unknown_address

if TYPE_CHECKING:
    from playwright.sync_api import Page


@dataclass(frozen=True)
class PageType:
    name: str
    path: str
    curator: bool = False
    before: str | None = None
    status: int = 200


PAGES: list[PageType] = [
    # Public pages, anonymous.
    PageType("home", "/"),
    PageType("home, second page", "/?page=2"),
    PageType("topics", "/topics"),
    PageType("tags", "/tags"),
    PageType("topic", "/topics/digital-delaktighet"),
    PageType("tag", "/tags/rapport"),
    PageType("search with results", "/search?q=rapport"),
    PageType(
        "search with facets chosen", "/search?q=rapport&topic=digital-delaktighet&type=report"
    ),
    PageType("search without results", "/search?q=finnsintealls"),
    PageType("search form", "/search"),
    PageType("search with a suggestion", "/search?q=kallkritik"),
    PageType("search with a correction offered", "/search?q=digital+delaktihet"),
    PageType("resource", "/resources/{ok}"),
    PageType("resource with an archived copy", "/resources/{archived}"),
    PageType("resource in English", "/resources/{english}"),
    PageType("topic print list", "/topics/mik/print"),
    PageType("tag print list", "/tags/rapport/print"),
    PageType("feeds", "/feeds"),
    PageType("accessibility statement", "/about/accessibility"),
    PageType("sign-in", "/login"),
    PageType("sign-in failed", "/login", before="failed_sign_in"),
    PageType("forgotten password", "/password/forgot"),
    PageType("account link not valid", "/password/reset?token=finns-inte", status=404),
    PageType("setup once an account exists", "/setup", status=404),
    PageType("API documentation", "/api/docs"),
    PageType("not found", "/finns/inte", status=404),
    PageType("resource not found", "/resources/999999", status=404),
    # Curator pages, signed in.
    PageType("topic with the embed code", "/topics/mik", curator=True),
    PageType("resources list", "/manage/resources", curator=True),
    PageType("resources list, filtered", "/manage/resources?state=draft", curator=True),
    PageType("new resource", "/manage/resources/new", curator=True),
    PageType(
        "new resource with errors", "/manage/resources/new", curator=True, before="invalid_resource"
    ),  # fmt: skip
    PageType("edit resource", "/manage/resources/{ok}", curator=True),
    PageType("edit resource, saved", "/manage/resources/{ok}?saved=1", curator=True),
    PageType("history", "/manage/resources/{ok}/history", curator=True),
    PageType("topics", "/manage/topics", curator=True),
    PageType("edit topic", "/manage/topics/mik", curator=True),
    PageType("order in a topic", "/manage/topics/mik/order", curator=True),
    PageType("tags", "/manage/tags", curator=True),
    PageType("tags, filtered", "/manage/tags?q=rapp", curator=True),
    PageType("edit tag", "/manage/tags/rapport", curator=True),
    PageType("API tokens", "/manage/tokens", curator=True),
    PageType("accounts", "/manage/users", curator=True),
    PageType("invitation link without mail", "/manage/users", curator=True, before="invite"),
    PageType("your account", "/manage/account", curator=True),
    PageType("your account with errors", "/manage/account", curator=True, before="wrong_password"),
    PageType("link report", "/manage/links", curator=True),
    PageType("link report: broken", "/manage/links?tab=broken", curator=True),
    PageType("link report: moved", "/manage/links?tab=moved", curator=True),
    PageType("link report: unverified", "/manage/links?tab=unverified", curator=True),
    PageType("link report: review due", "/manage/links?tab=review_due", curator=True),
    PageType("link report: stale", "/manage/links?tab=stale", curator=True),
    PageType("link report: suspect", "/manage/links?tab=suspect", curator=True),
    PageType("link report: reported by visitors", "/manage/links?tab=reported", curator=True),
    PageType(
        "link report: a fix refused",
        "/manage/links?tab=broken&refused={broken}&why=no_snapshot",
        curator=True,
    ),
    PageType(
        "link report: all on the page selected",
        "/manage/links?tab=broken&select=page",
        curator=True,
    ),  # fmt: skip
    PageType("link report: after a fix", "/manage/links?tab=moved&fixed=1", curator=True),
    PageType("link report: nothing found", "/manage/links?tab=broken&host=x.example", curator=True),
    PageType("check runs", "/manage/checks", curator=True),
    PageType("import and export", "/manage/import", curator=True),
    PageType("import without a file", "/manage/import", curator=True, before="import_no_file"),
    PageType("import preview", "/manage/import", curator=True, before="import_preview"),
]


def failed_sign_in(page: Page) -> None:
    page.locator("#field-email").fill(unknown_address())
    page.locator("#field-password").fill("fel lösenord igen")
    page.locator("form.stacked button[type=submit]").click()
    page.locator(".error-summary").wait_for()


def invalid_resource(page: Page) -> None:
    page.locator("#field-url").fill("javascript:alert(1)")
    page.locator("#field-title").fill("")
    page.locator("#save-button").click()
    page.locator(".error-summary").wait_for()


def _read_file(page: Page) -> None:
    form = page.locator("form[action='/manage/import/file']")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def import_no_file(page: Page) -> None:
    _read_file(page)
    page.locator(".field-error").first.wait_for()


def import_preview(page: Page) -> None:
    csv = (
        "url;title;description;topics\n"
        "https://www.kb.se/forskning;Forskning på KB;Om forskning vid KB.;mik\n"
        "https://www.digg.se/;Digg;;digital-delaktighet\n"
        "inte en adress;Trasig rad;;\n"
    )
    page.locator("#field-file").set_input_files(
        files=[{"name": "lankar.csv", "mimeType": "text/csv", "buffer": csv.encode()}]
    )
    _read_file(page)


def invite(page: Page) -> None:
    page.locator("#field-invite-email").fill("inbjuden@bibliotek.example.se")
    page.locator("form[action='/manage/users/invite'] button[type=submit]").click()
    page.locator("#invitation-link").wait_for()


def wrong_password(page: Page) -> None:
    page.locator("#field-current_password").fill("inte mitt lösenord")
    page.locator("#field-password").fill("kort")
    page.locator("form[action='/manage/account/password'] button[type=submit]").click()
    page.locator(".error-summary").wait_for()


# Pages made to live inside another site's page (an iframe): no site header, no skip link.
EMBED_PAGES: list[PageType] = [
    PageType("embedded topic", "/embed/topics/mik"),
    PageType("embedded tag", "/embed/tags/rapport"),
]


BEFORE: dict[str, Callable[[Page], None]] = {
    "invite": invite,
    "wrong_password": wrong_password,
    "import_no_file": import_no_file,
    "import_preview": import_preview,
    "failed_sign_in": failed_sign_in,
    "invalid_resource": invalid_resource,
}
