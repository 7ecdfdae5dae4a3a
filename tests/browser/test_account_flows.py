"""Curators look after their own accounts, in a real browser against ``linkdir serve``.

The server mails through a real SMTP server on loopback (aiosmtpd); ``linkdir digest
send`` drains the outbox as the scheduler would. First-run setup runs against a server
started on an empty database, whose log carries the setup address.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from linkdir.config import Settings
from tests.browser.conftest import new_context, sign_in
from tests.browser.live import (
    ADMIN,
    EDITOR,
    PASSWORD,
    LiveLinkdir,
    SeededDatabase,
)
from tests.browser.looks import axe_violations, describe
from tests.conftest import TEST_SECRET
from tests.linkdir_cli import listening_socket, run, start_serve
from tests.mail.conftest import BoundController, Inbox

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

NEW_PASSWORD = "grön lampa vid fönstret"


class MailingLinkdir(LiveLinkdir):
    """The seeded live server, with mail through a loopback SMTP server."""

    def __init__(self, workdir: Path, smtp_port: int, seeded: SeededDatabase) -> None:
        super().__init__(workdir, seeded=seeded)
        self.smtp_port = smtp_port

    def env(self) -> dict[str, str]:
        env = super().env()
        env["LINKDIR_SMTP_URL"] = f"smtp://127.0.0.1:{self.smtp_port}"
        env["LINKDIR_MAIL_FROM"] = "lankar@bibliotek.example.se"
        return env

    def send_mail(self) -> None:
        """What the mail job does: the outbox goes out (``linkdir digest send``, run
        in-process: a ``linkdir`` process costs more CPU starting than sending)."""
        sent = run(["digest", "send"], self.env())
        assert sent.returncode == 0, sent.stderr


@pytest.fixture(scope="module")
def smtp_inbox() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = BoundController(inbox)
    controller.start()
    yield inbox, int(controller.port)
    controller.stop()
    controller.listening.close()


@pytest.fixture(scope="module")
def mailing(
    tmp_path_factory: pytest.TempPathFactory,
    smtp_inbox: tuple[Inbox, int],
    seeded_database: SeededDatabase,
) -> Iterator[MailingLinkdir]:
    server = MailingLinkdir(tmp_path_factory.mktemp("mailing"), smtp_inbox[1], seeded_database)
    server.start()
    try:
        yield server
    finally:
        server.stop()
    assert "Traceback" not in server.log(), server.log()


def context_with_axe(browser: Browser) -> BrowserContext:
    """A Swedish browser with axe-core in every page (injected past the site's CSP)."""
    from axe_playwright_python.base import AXE_SCRIPT

    context = new_context(browser, locale="sv-SE")
    context.add_init_script(AXE_SCRIPT)
    return context


def axe_clean(page: Page) -> None:
    violations = axe_violations(page)
    assert not violations, f"{page.url}\n{describe(violations)}"


def check_both_languages(page: Page, url: str) -> None:
    """axe finds nothing on ``url`` in Swedish and English (then back to Swedish)."""
    for lang in ("en", "sv"):
        page.goto(url + ("&" if "?" in url else "?") + f"lang={lang}")
        assert page.locator("html").get_attribute("lang") == lang
        axe_clean(page)


def link_in(message: EmailMessage, path: str) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    match = re.search(
        r"(http://127\.0\.0\.1:\d+" + re.escape(path) + r"\?token=[\w-]+)", body.get_content()
    )
    assert match, body.get_content()
    return match.group(1)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = context_with_axe(browser)
    tab = context.new_page()
    yield tab
    context.close()


def test_invite_then_set_password_then_sign_in(
    browser: Browser, page: Page, mailing: MailingLinkdir, smtp_inbox: tuple[Inbox, int]
) -> None:
    inbox = smtp_inbox[0]
    sign_in(page, mailing)
    page.goto(mailing.base_url + "/manage/users")
    page.get_by_label("E-postadress").first.fill("ny.kurator@bibliotek.example.se")
    page.get_by_role("button", name="Skicka inbjudan").click()
    assert "är på väg" in page.locator(".notice").inner_text()
    mailing.send_mail()
    [invitation] = inbox.to("ny.kurator@bibliotek.example.se")
    link = link_in(invitation, "/invite")

    invitee = context_with_axe(browser).new_page()
    try:
        check_both_languages(invitee, link)
        invitee.goto(link)
        invitee.get_by_label("Lösenord").fill("kort")
        invitee.get_by_role("button", name="Skapa mitt konto").click()
        assert invitee.locator(".error-summary").is_visible()
        axe_clean(invitee)  # the form with its error
        invitee.get_by_label("Lösenord").fill(NEW_PASSWORD)
        invitee.get_by_role("button", name="Skapa mitt konto").click()
        invitee.wait_for_url(re.compile(r"/login\?welcome=1"))
        invitee.locator("#field-email").fill("ny.kurator@bibliotek.example.se")
        invitee.locator("#field-password").fill(NEW_PASSWORD)
        invitee.locator("form.stacked button[type=submit]").click()
        invitee.wait_for_url(lambda url: "/login" not in url)
        assert "/manage" in invitee.url
        invitee.goto(link)  # a second use
        assert invitee.get_by_role("heading", level=1).inner_text() == "Länken gäller inte längre"
    finally:
        invitee.context.close()


def test_forgotten_password_then_reset_ends_old_sessions(
    browser: Browser, page: Page, mailing: MailingLinkdir, smtp_inbox: tuple[Inbox, int]
) -> None:
    inbox = smtp_inbox[0]
    elsewhere = context_with_axe(browser).new_page()
    try:
        sign_in(elsewhere, mailing, EDITOR)  # signed in on another computer
        page.goto(mailing.base_url + "/login")
        page.get_by_role("link", name="Glömt lösenordet?").click()
        page.get_by_label("E-postadress").fill(EDITOR)
        page.get_by_role("button", name="Skicka en länk till mig").click()
        assert "på väg" in page.locator(".notice").inner_text()
        axe_clean(page)
        mailing.send_mail()
        # The digest of links that need the editor may arrive too (the server's own mail
        # loop runs beside this test): the reset mail is the one with the reset link.
        resets = [m for m in inbox.to(EDITOR) if "/password/reset" in str(m.get_body(("plain",)))]
        assert len(resets) == 1, [m["Subject"] for m in inbox.to(EDITOR)]
        link = link_in(resets[0], "/password/reset")
        check_both_languages(page, link)
        page.goto(link)
        page.get_by_label("Nytt lösenord").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Spara det nya lösenordet").click()
        page.wait_for_url(re.compile(r"/login\?reset=1"))
        assert "loggats ut överallt" in page.locator(".notice").inner_text()

        elsewhere.goto(mailing.base_url + "/manage/resources")
        assert "/login" in elsewhere.url, "the old session has ended"
        page.locator("#field-email").fill(EDITOR)
        page.locator("#field-password").fill(NEW_PASSWORD)
        page.locator("form.stacked button[type=submit]").click()
        page.wait_for_url(lambda url: "/login" not in url)
    finally:
        elsewhere.context.close()


def test_the_account_page_changes_password_and_digest_settings(
    browser: Browser, page: Page, mailing: MailingLinkdir
) -> None:
    sign_in(page, mailing)
    page.get_by_role("link", name="Ditt konto").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Ditt konto"
    page.get_by_label("Hur ofta").select_option("daily")
    page.get_by_label("Bara ämnena jag ansvarar för:").check()
    page.get_by_label("Medie- och informationskunnighet").check()
    page.get_by_label("Språk i sammanfattningen").select_option("en")
    page.get_by_role("button", name="Spara inställningarna för sammanfattningen").click()
    assert "sparade" in page.locator(".notice").inner_text()
    page.reload()
    assert page.get_by_label("Hur ofta").input_value() == "daily"
    assert page.get_by_label("Medie- och informationskunnighet").is_checked()
    assert page.get_by_label("Språk i sammanfattningen").input_value() == "en"

    page.get_by_label("Nuvarande lösenord").first.fill(PASSWORD)
    page.get_by_label("Nytt lösenord").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Byt lösenord").click()
    assert "ändrat" in page.locator(".notice").inner_text()
    page.get_by_role("button", name="Logga ut").click()
    page.goto(mailing.base_url + "/login")
    page.locator("#field-email").fill(ADMIN)
    page.locator("#field-password").fill(NEW_PASSWORD)
    page.locator("form.stacked button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


def test_unsubscribe_page_has_no_violations(page: Page, mailing: MailingLinkdir) -> None:
    from linkdir.mail.digest import unsubscribe_url

    settings = Settings(secret_key=TEST_SECRET, base_url=mailing.base_url).validated()
    check_both_languages(page, unsubscribe_url(settings, 1))
    page.get_by_role("button", name="Stoppa mina sammanfattningar").click()
    assert "inga fler" in page.get_by_role("status").inner_text()


def test_first_run_setup_creates_the_admin_then_answers_404(page: Page, tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path}/empty.db"
    # No migration beforehand: `linkdir serve` migrates SQLite itself, then looks for accounts.
    listening = listening_socket()  # handed to `linkdir serve --fd`: no free-port race
    base_url = f"http://127.0.0.1:{listening.getsockname()[1]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKDIR_")}
    env.update(
        LINKDIR_DATABASE_URL=database_url,
        LINKDIR_SECRET_KEY=TEST_SECRET,
        LINKDIR_BASE_URL=base_url,
    )
    log_path = tmp_path / "serve.log"
    # Ready once it has migrated and looked for accounts (the setup address is in its log).
    served = start_serve(env, log_path, "--no-scheduler", sock=listening, ready="/health")
    try:
        match = re.search(r"(http://\S+/setup\?token=[\w-]+)", log_path.read_text())
        assert match, log_path.read_text()
        setup = match.group(1)
        check_both_languages(page, setup)
        page.goto(setup)
        page.get_by_label("E-postadress").fill("chef@bibliotek.example.se")
        page.get_by_label("Lösenord").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Skapa administratören").click()
        page.wait_for_url(re.compile(r"/login\?welcome=1"))
        page.locator("#field-email").fill("chef@bibliotek.example.se")
        page.locator("#field-password").fill(NEW_PASSWORD)
        page.locator("form.stacked button[type=submit]").click()
        page.wait_for_url(lambda url: "/login" not in url)
        page.goto(base_url + "/manage/users")
        assert page.get_by_role("heading", name="Konton").count() >= 1
        response: Any = page.goto(setup)
        assert response.status == 404
    finally:
        log = served.stop(timeout=30)
    assert "Traceback" not in log
