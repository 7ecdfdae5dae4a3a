"""Digests by e-mail, through a real SMTP server on loopback."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import lxml.html
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from linkdir.app import create_app
from linkdir.auth.models import User
from linkdir.config import Settings
from linkdir.db import utcnow
from linkdir.mail.digest import send_due_digests, update_settings
from linkdir.mail.models import DigestSettings, OutboxMail
from linkdir.mail.outbox import drain
from linkdir.resources.models import Resource, Revision
from tests.auth.test_sessions import account
from tests.conftest import make_resource
from tests.mail.conftest import Inbox

Factory = async_sessionmaker[AsyncSession]


async def curator(
    session: AsyncSession, email: str, *, language: str = "sv", frequency: str = "daily"
) -> User:
    user = await account(session, email)
    await update_settings(session, user, frequency=frequency, topics=[], language=language)
    await session.commit()
    return user


async def breaks(session: AsyncSession, *, reason: str = "http_404", **overrides: Any) -> Resource:
    """A published resource the checker has just confirmed broken."""
    resource = await make_resource(session, **overrides)
    resource.link_status = "broken"
    resource.reason = reason
    resource.http_status = 404
    session.add(
        Revision(
            resource_id=resource.id,
            actor="checker",
            action="link_broken",
            resource_url=resource.url,
            resource_title=resource.title,
            changes={"link_status": ["ok", "broken"], "reason": [None, reason]},
            created_at=utcnow(),
        )
    )
    await session.commit()
    return resource


async def moves(session: AsyncSession, to: str, **overrides: Any) -> Resource:
    resource = await make_resource(session, **overrides)
    resource.link_status = "moved"
    resource.moved_to = to
    session.add(
        Revision(
            resource_id=resource.id,
            actor="checker",
            action="link_moved",
            resource_url=resource.url,
            resource_title=resource.title,
            changes={"link_status": ["ok", "moved"], "moved_to": [None, to]},
            created_at=utcnow(),
        )
    )
    await session.commit()
    return resource


async def run(factory: Factory, settings: Settings, **kwargs: Any) -> Any:
    outcomes = await send_due_digests(factory, settings, force=True, **kwargs)
    drained = await drain(factory, settings, now=kwargs.get("now"))
    return outcomes, drained


def parts(message: EmailMessage) -> tuple[str, str]:
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def assert_basic_html_mail(html: str, lang: str) -> lxml.html.HtmlElement:
    """What mail clients need: a document with language and title, no scripts, no external
    style sheets or images, and only absolute links."""
    assert html.lstrip().lower().startswith("<!doctype html>")
    document = lxml.html.fromstring(html)
    assert document.get("lang") == lang
    assert document.findtext(".//title").strip()
    assert document.xpath("//meta[@charset]")
    assert not document.xpath("//script | //link[@rel='stylesheet'] | //iframe | //form")
    for image in document.xpath("//img"):
        assert image.get("alt") is not None
    for href in document.xpath("//a/@href"):
        assert urlsplit(href).scheme in {"http", "https"}, href
    return document


async def test_a_swedish_digest_groups_counts_and_says_reasons_in_words(
    session: AsyncSession, factory: Factory, mail_settings: Settings, inbox: Inbox
) -> None:
    await curator(session, "kurator@region.se", language="sv")
    broken = await breaks(session, title="Källkritik för alla")
    moved = await moves(session, "https://ny.example.se/sida", title="Digitala vardagen")

    outcomes, drained = await run(factory, mail_settings)

    assert drained.sent == 1
    assert [o.counts for o in outcomes] == [{"broken": 1, "moved": 1}]
    [message] = inbox.to("kurator@region.se")
    assert "2 länkar behöver dig" in message["Subject"]
    assert message["Content-Language"] == "sv"
    assert message["From"] == "linkdir <linkdir@testserver.local>"
    text, html = parts(message)
    assert "Nyligen bekräftat trasiga (1)" in text
    assert "Flyttade till en ny adress (1)" in text
    assert "Sidan finns inte (HTTP 404)" in text and "http_404" not in text
    assert "Ny adress: https://ny.example.se/sida" in text
    row = f"http://testserver.local/manage/links?tab=broken#resource-{broken.id}"
    assert row in text
    document = assert_basic_html_mail(html, "sv")
    links = document.xpath("//a/@href")
    assert row in links
    assert f"http://testserver.local/manage/links?tab=moved#resource-{moved.id}" in links
    unsubscribe = message["List-Unsubscribe"]
    assert unsubscribe.startswith("<http://testserver.local/mail/unsubscribe?user=")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


async def test_an_english_digest_is_in_english(
    session: AsyncSession, factory: Factory, mail_settings: Settings, inbox: Inbox
) -> None:
    await curator(session, "curator@region.se", language="en")
    await breaks(session, reason="dns")

    await run(factory, mail_settings)

    [message] = inbox.to("curator@region.se")
    assert "1 link needs you" in message["Subject"]
    text, html = parts(message)
    assert "Newly confirmed broken (1)" in text
    assert "The domain does not exist (DNS)" in text
    assert_basic_html_mail(html, "en")


async def test_nothing_new_sends_nothing_and_a_second_run_repeats_nothing(
    session: AsyncSession, factory: Factory, mail_settings: Settings, inbox: Inbox
) -> None:
    await curator(session, "kurator@region.se")
    outcomes, drained = await run(factory, mail_settings)
    assert drained.sent == 0 and inbox.messages == []
    assert [o.counts for o in outcomes] == [{}]

    await breaks(session)
    now = utcnow() + timedelta(days=1)
    await run(factory, mail_settings, now=now)
    assert len(inbox.messages) == 1

    # The same period again, and the next period with nothing new: no more mail.
    await run(factory, mail_settings, now=now)
    await run(factory, mail_settings, now=now + timedelta(days=1))
    assert len(inbox.messages) == 1


async def test_never_and_other_topics_get_no_digest(
    session: AsyncSession, factory: Factory, mail_settings: Settings, inbox: Inbox
) -> None:
    from tests.conftest import make_topic

    await make_topic(session, slug="mik")
    quiet = await curator(session, "tyst@region.se", frequency="never")
    focused = await curator(session, "mik@region.se")
    await update_settings(session, focused, frequency="daily", topics=["mik"], language="sv")
    await session.commit()
    await breaks(session)  # in no topic

    await run(factory, mail_settings)

    assert inbox.messages == [] and quiet.id is not None


async def test_unsubscribe_link_works_without_signing_in_and_only_for_its_user(
    session: AsyncSession, factory: Factory, mail_settings: Settings, inbox: Inbox
) -> None:
    first = await curator(session, "forsta@region.se")
    second = await curator(session, "andra@region.se")
    await breaks(session)
    await run(factory, mail_settings)
    link = inbox.to("forsta@region.se")[0]["List-Unsubscribe"].strip("<>")
    path = link.removeprefix("http://testserver.local")
    signature = path.split("sig=")[1]

    app = create_app(mail_settings)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        page = await client.get(path)
        assert page.status_code == 200 and "Stoppa mina sammanfattningar" in page.text
        # Someone else's id with this signature does nothing.
        forged = await client.post(
            f"/mail/unsubscribe?user={second.id}&sig={signature}",
            data={"List-Unsubscribe": "One-Click"},
        )
        assert forged.status_code == 404
        one_click = await client.post(path, data={"List-Unsubscribe": "One-Click"})
        assert one_click.status_code == 200

    session.expunge_all()
    frequencies = dict(
        (await session.execute(select(DigestSettings.user_id, DigestSettings.frequency))).all()
    )
    assert frequencies == {first.id: "never", second.id: "daily"}


async def test_two_workers_at_once_send_one_digest(
    session: AsyncSession, factory: Factory, mail_settings: Settings, inbox: Inbox
) -> None:
    await curator(session, "kurator@region.se")
    await breaks(session)
    other_engine_factory = factory  # each call opens its own sessions and connections

    await asyncio.gather(
        send_due_digests(factory, mail_settings, force=True),
        send_due_digests(other_engine_factory, mail_settings, force=True),
    )
    await asyncio.gather(drain(factory, mail_settings), drain(factory, mail_settings))

    assert len(inbox.messages) == 1
    session.expunge_all()
    rows = (await session.execute(select(OutboxMail))).scalars().all()
    assert len(rows) == 1 and rows[0].sent_at is not None


async def test_a_refusing_server_loses_no_digest(
    session: AsyncSession, factory: Factory, mail_settings: Settings, inbox: Inbox
) -> None:
    await curator(session, "kurator@region.se")
    await breaks(session)
    inbox.refuse = True

    _, drained = await run(factory, mail_settings)

    assert drained.failed == 1 and inbox.messages == []
    session.expunge_all()
    [row] = (await session.execute(select(OutboxMail))).scalars().all()
    assert row.sent_at is None and "451" in (row.last_error or "")

    inbox.refuse = False
    assert (await drain(factory, mail_settings)).sent == 0  # not before its retry time
    later = await drain(factory, mail_settings, now=utcnow() + timedelta(minutes=2))
    assert later.sent == 1 and len(inbox.to("kurator@region.se")) == 1


async def test_a_hanging_server_loses_no_digest(
    session: AsyncSession,
    factory: Factory,
    mail_settings: Settings,
    inbox: Inbox,
    silent_smtp: int,
) -> None:
    await curator(session, "kurator@region.se")
    await breaks(session)
    hanging = dataclasses.replace(
        mail_settings, smtp_url=f"smtp://127.0.0.1:{silent_smtp}", smtp_timeout=0.5
    )

    _, drained = await run(factory, hanging)

    assert drained.failed == 1
    later = await drain(factory, mail_settings, now=utcnow() + timedelta(minutes=2))
    assert later.sent == 1 and len(inbox.messages) == 1


async def test_a_link_that_recovered_before_the_digest_is_not_news(
    session: AsyncSession, factory: Factory, mail_settings: Settings, inbox: Inbox
) -> None:
    await curator(session, "kurator@region.se")
    recovered = await breaks(session)
    recovered.link_status = "ok"
    await session.commit()
    still = await breaks(session)

    outcomes, _ = await run(factory, mail_settings)

    assert [o.counts for o in outcomes] == [{"broken": 1}]
    text, _html = parts(inbox.messages[0])
    assert still.title in text and recovered.title not in text
