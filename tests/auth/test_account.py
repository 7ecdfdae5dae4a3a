"""A curator looks after their own account: first run, invitations, resets, the account page."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import lxml.html
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from linkdir.auth.accounts import setup_token
from linkdir.auth.models import AccountToken, User, UserSession
from linkdir.config import Settings
from linkdir.db import utcnow
from linkdir.mail.models import DigestSettings
from linkdir.mail.outbox import drain
from tests.auth.test_sessions import PASSWORD, account, count, csrf_of, sign_in
from tests.conftest import make_topic
from tests.mail.conftest import Inbox

Client = AsyncTestClient[Any]
NEW_PASSWORD = "blå cykel under björken"


def link_in(text: str, path: str) -> str:
    match = re.search(r"http://testserver\.local(" + re.escape(path) + r"\?token=[\w-]+)", text)
    assert match, f"no {path} link in {text!r}"
    return match.group(1)


async def test_first_run_setup_creates_the_admin_and_then_is_gone(
    client: Client, session: AsyncSession
) -> None:
    login = await client.get("/login")
    assert "/setup?token=" in login.text  # the sign-in page says where to start
    token = await setup_token(session)
    await session.commit()
    assert token
    assert (await client.get("/setup?token=wrong")).status_code == 404
    page = await client.get(f"/setup?token={token}")
    assert page.status_code == 200
    weak = await client.post(
        "/setup",
        data={
            "csrf_token": csrf_of(page.text),
            "token": token,
            "email": "a@b.se",
            "password": "kort",
        },
    )
    assert weak.status_code == 422 and 'aria-invalid="true"' in weak.text
    made = await client.post(
        "/setup",
        data={
            "csrf_token": csrf_of(page.text),
            "token": token,
            "email": "Chef@Bibliotek.se",
            "password": PASSWORD,
        },
        follow_redirects=False,
    )
    assert made.status_code == 303 and made.headers["location"] == "/login?welcome=1"
    session.expunge_all()
    [admin] = (await session.execute(select(User))).scalars().all()
    assert (admin.email, admin.role) == ("chef@bibliotek.se", "admin")
    assert (await client.get(f"/setup?token={token}")).status_code == 404
    assert (await client.get("/setup")).status_code == 404
    assert await setup_token(session) is None
    assert (await sign_in(client, "chef@bibliotek.se")).status_code == 303


async def test_setup_form_from_another_site_is_refused(
    client: Client, session: AsyncSession
) -> None:
    token = await setup_token(session)
    await session.commit()
    forged = await client.post(
        "/setup",
        data={"csrf_token": "x", "token": token, "email": "a@b.se", "password": PASSWORD},
    )
    assert forged.status_code == 403
    assert await count(session, User) == 0


async def test_without_mail_the_admin_gets_an_invitation_link_that_works_once(
    client: Client, session: AsyncSession, shared_app: Any
) -> None:
    await account(session, "chef@region.se", "admin")
    await sign_in(client, "chef@region.se")
    users = await client.get("/manage/users")
    assert "cannot send mail" in users.text or "kan inte skicka" in users.text
    invited = await client.post(
        "/manage/users/invite",
        data={"csrf_token": csrf_of(users.text), "invite-email": "Ny@Region.se", "role": "editor"},
    )
    assert invited.status_code == 200
    page = lxml.html.fromstring(invited.text)
    link = page.get_element_by_id("invitation-link").get("value")
    path = link.removeprefix("http://testserver.local")
    assert path.startswith("/invite?token=")

    app = shared_app(client.app.state.settings, 1)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as invitee:
        form = await invitee.get(path)
        assert form.status_code == 200 and "ny@region.se" in form.text
        token = path.split("token=")[1]
        done = await invitee.post(
            "/invite",
            data={"csrf_token": csrf_of(form.text), "token": token, "password": NEW_PASSWORD},
            follow_redirects=False,
        )
        assert done.status_code == 303
        assert (await sign_in(invitee, "ny@region.se", NEW_PASSWORD)).status_code == 303
        again = await invitee.get(path)
        assert again.status_code == 404


async def test_an_invitation_expires_after_72_hours(client: Client, session: AsyncSession) -> None:
    admin = await account(session, "chef@region.se", "admin")
    from linkdir.auth.accounts import invite

    token = await invite(session, "ny@region.se", "editor", by=admin)
    await session.commit()
    assert (await client.get(f"/invite?token={token}")).status_code == 200
    await session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    await session.commit()
    assert (await client.get(f"/invite?token={token}")).status_code == 404


async def test_with_mail_the_invitation_is_mailed_in_the_chosen_language(
    session: AsyncSession,
    mail_settings: Settings,
    inbox: Inbox,
    factory: async_sessionmaker[AsyncSession],
    shared_app: Any,
) -> None:
    await account(session, "chef@region.se", "admin")
    app = shared_app(mail_settings)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        await sign_in(client, "chef@region.se")
        users = await client.get("/manage/users")
        sent = await client.post(
            "/manage/users/invite",
            data={
                "csrf_token": csrf_of(users.text),
                "invite-email": "new@region.se",
                "role": "editor",
                "language": "en",
            },
        )
        assert sent.status_code == 200 and "invitation-link" not in sent.text
        # The English mail does not switch the Swedish admin's own page to English.
        page = lxml.html.fromstring(sent.text)
        assert page.get("lang") == "sv"
        assert "Inbjudan till new@region.se är på väg." in sent.text
        assert inbox.messages == []  # queued: the web request never talks to the mail server
        assert (await drain(factory, mail_settings)).sent == 1
        [message] = inbox.to("new@region.se")
        assert "invited" in message["Subject"]
        body = message.get_body(("plain",))
        assert body is not None
        path = link_in(body.get_content(), "/invite")
        assert (await client.get(path)).status_code == 200


async def test_forgotten_password_answers_alike_and_reset_ends_old_sessions(
    session: AsyncSession,
    mail_settings: Settings,
    inbox: Inbox,
    factory: async_sessionmaker[AsyncSession],
    shared_app: Any,
) -> None:
    await account(session, "kurator@region.se")
    async with (
        AsyncTestClient(
            app=shared_app(mail_settings), base_url="http://testserver.local"
        ) as old_browser,
        AsyncTestClient(
            app=shared_app(mail_settings, 1), base_url="http://testserver.local"
        ) as client,
    ):
        await sign_in(old_browser, "kurator@region.se")
        assert (await old_browser.get("/manage/account")).status_code == 200
        answers = []
        for email in ("kurator@region.se", "ingen@region.se"):
            form = await client.get("/password/forgot")
            answer = await client.post(
                "/password/forgot", data={"csrf_token": csrf_of(form.text), "email": email}
            )
            answers.append(
                (answer.status_code, lxml.html.fromstring(answer.text).findtext(".//main//p"))
            )
        assert answers[0] == answers[1]
        await drain(factory, mail_settings)
        [message] = inbox.messages  # only the real account got a mail
        body = message.get_body(("plain",))
        assert body is not None
        path = link_in(body.get_content(), "/password/reset")
        form = await client.get(path)
        token = path.split("token=")[1]
        done = await client.post(
            "/password/reset",
            data={"csrf_token": csrf_of(form.text), "token": token, "password": NEW_PASSWORD},
            follow_redirects=False,
        )
        assert done.status_code == 303 and done.headers["location"] == "/login?reset=1"
        # The old browser is signed out; the old password no longer works; the new one does.
        assert (await old_browser.get("/manage/account", follow_redirects=False)).status_code == 303
        assert (await sign_in(client, "kurator@region.se")).status_code == 400
        assert (await sign_in(client, "kurator@region.se", NEW_PASSWORD)).status_code == 303
        assert (await client.get(path)).status_code == 404  # used once


async def test_forgotten_password_mails_are_rate_limited(
    session: AsyncSession,
    mail_settings: Settings,
    inbox: Inbox,
    factory: async_sessionmaker[AsyncSession],
    shared_app: Any,
) -> None:
    await account(session, "kurator@region.se")
    app = shared_app(mail_settings)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        for _ in range(6):
            form = await client.get("/password/forgot")
            answer = await client.post(
                "/password/forgot",
                data={"csrf_token": csrf_of(form.text), "email": "kurator@region.se"},
            )
            assert answer.status_code == 200
    await drain(factory, mail_settings)
    assert len(inbox.messages) == 3


async def test_the_account_page_changes_password_email_and_digest_and_gives_a_feed(
    client: Client, session: AsyncSession, shared_app: Any
) -> None:
    await make_topic(session, slug="mik", name_sv="MIK", name_en="MIL")
    user = await account(session, "kurator@region.se")
    await sign_in(client, "kurator@region.se")
    page = await client.get("/manage/account")
    assert page.status_code == 200
    assert "LINKDIR_SMTP_URL" in page.text  # says that no mail goes out
    csrf = csrf_of(page.text)

    wrong = await client.post(
        "/manage/account/password",
        data={"csrf_token": csrf, "current_password": "fel lösenord här", "password": NEW_PASSWORD},
    )
    assert wrong.status_code == 422
    assert (
        lxml.html.fromstring(wrong.text)
        .get_element_by_id("field-current_password")
        .get("aria-invalid")
        == "true"
    )
    changed = await client.post(
        "/manage/account/password",
        data={"csrf_token": csrf, "current_password": PASSWORD, "password": NEW_PASSWORD},
    )
    assert changed.status_code == 200

    digest = await client.post(
        "/manage/account/digest",
        data={
            "csrf_token": csrf,
            "frequency": "daily",
            "scope": "topics",
            "topics": ["mik", "finns-inte"],
            "language": "en",
        },
    )
    assert digest.status_code == 200
    session.expunge_all()
    prefs = await session.get(DigestSettings, user.id)
    assert prefs is not None
    assert (prefs.frequency, prefs.topics, prefs.language) == ("daily", ["mik"], "en")

    feed = await client.post("/manage/account/feed", data={"csrf_token": csrf})
    address = lxml.html.fromstring(feed.text).get_element_by_id("feed-url").get("value")
    feed_path = address.removeprefix("http://testserver.local")
    assert (await client.get(feed_path)).status_code == 200

    email = await client.post(
        "/manage/account/email",
        data={
            "csrf_token": csrf,
            "email": "Ny.Adress@Region.se",
            "current_password_email": NEW_PASSWORD,
        },
    )
    assert email.status_code == 200
    fresh = shared_app(client.app.state.settings, 1)
    async with AsyncTestClient(app=fresh, base_url="http://testserver.local") as browser:
        assert (await sign_in(browser, "ny.adress@region.se", NEW_PASSWORD)).status_code == 303


async def test_a_curator_revokes_own_tokens_but_not_anyone_elses(
    client: Client, session: AsyncSession
) -> None:
    from linkdir.auth.service import create_token

    await account(session, "kurator@region.se")
    await account(session, "annan@region.se")
    mine = await create_token(session, "kurator@region.se", "mitt skript")
    theirs = await create_token(session, "annan@region.se", "deras skript")
    await session.commit()
    await sign_in(client, "kurator@region.se")
    page = await client.get("/manage/account")
    assert "mitt skript" in page.text and "deras skript" not in page.text
    csrf = csrf_of(page.text)
    refused = await client.post(
        f"/manage/account/tokens/{theirs.record.id}/revoke", data={"csrf_token": csrf}
    )
    assert refused.status_code == 404
    done = await client.post(
        f"/manage/account/tokens/{mine.record.id}/revoke",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert done.status_code == 303
    session.expunge_all()
    assert (await count(session, UserSession)) == 1


async def test_a_setup_address_dies_when_an_account_is_made_another_way(
    client: Client, session: AsyncSession
) -> None:
    token = await setup_token(session)
    await session.commit()
    await account(session, "chef@region.se", "admin")  # `linkdir user add` meanwhile
    assert (await client.get(f"/setup?token={token}")).status_code == 404
