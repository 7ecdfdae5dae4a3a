"""The outbox: mails are written in the caller's transaction and sent by the scheduler.

A web request never talks to the mail server: it adds a row here, and the mail job
(``linkdir serve``'s scheduler, ``linkdir worker`` or ``linkdir digest send``) delivers it.
A send that fails stays in the outbox and is tried again later, with growing pauses.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from linkdir.config import Settings
from linkdir.db import utcnow
from linkdir.mail.client import parse_message, send_message
from linkdir.mail.models import OutboxMail

log = logging.getLogger("linkdir.mail")

# Pauses after the first, second, … failed attempt; the last one repeats.
RETRY_AFTER: tuple[timedelta, ...] = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
)
GIVE_UP_AFTER = 20  # attempts (about a day and a half): then it is logged as an error
CLAIM = timedelta(minutes=10)  # a worker that dies mid-send frees the mail after this
DRAIN_BATCH = 100


@dataclass(frozen=True, slots=True)
class Composed:
    """A mail as it will be sent: headers, a plain-text part and an HTML part."""

    recipient: str
    subject: str
    text: str
    html: str
    headers: tuple[tuple[str, str], ...] = ()


def build_message(settings: Settings, mail: Composed) -> EmailMessage:
    """A multipart/alternative message (plain text first, then HTML)."""
    message = EmailMessage()
    sender_name = settings.site_organisation or settings.site_name
    message["From"] = formataddr((sender_name, settings.sender))
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message["Message-ID"] = make_msgid(domain=settings.sender.rsplit("@", 1)[-1])
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    # After the body: set_content() drops Content-* headers given before it.
    for name, value in mail.headers:
        message[name] = value
    return message


async def enqueue(
    session: AsyncSession, settings: Settings, kind: str, mail: Composed
) -> OutboxMail:
    """Put ``mail`` in the outbox (sent after the caller commits, by the mail job)."""
    message = build_message(settings, mail)
    row = OutboxMail(
        kind=kind, recipient=mail.recipient, subject=mail.subject[:300], message=message.as_string()
    )
    session.add(row)
    await session.flush()
    return row


@dataclass
class DrainResult:
    sent: int = 0
    failed: int = 0


async def _claim(session: AsyncSession, mail_id: int, now: datetime) -> bool:
    # A conditional update is the claim: of two workers draining at once, one wins the row.
    result = await session.execute(
        update(OutboxMail)
        .where(
            col(OutboxMail.id) == mail_id,
            col(OutboxMail.sent_at).is_(None),
            or_(col(OutboxMail.claimed_until).is_(None), col(OutboxMail.claimed_until) < now),
        )
        .values(claimed_until=now + CLAIM, attempts=OutboxMail.attempts + 1)
    )
    await session.commit()
    return bool(getattr(result, "rowcount", 0))


def retry_pause(attempts: int) -> timedelta:
    """How long to wait after ``attempts`` failed sends."""
    return RETRY_AFTER[min(attempts, len(RETRY_AFTER)) - 1]


async def drain(
    factory: async_sessionmaker[AsyncSession], settings: Settings, *, now: datetime | None = None
) -> DrainResult:
    """Send what is due in the outbox; a failure is logged and tried again later."""
    now = now or utcnow()
    result = DrainResult()
    if not settings.mail_enabled and not settings.is_development:
        return result
    async with factory() as session:
        due = (
            await session.execute(
                select(col(OutboxMail.id))
                .where(
                    col(OutboxMail.sent_at).is_(None),
                    col(OutboxMail.next_attempt_at) <= now,
                    col(OutboxMail.attempts) < GIVE_UP_AFTER,
                )
                .order_by(col(OutboxMail.id))
                .limit(DRAIN_BATCH)
            )
        ).scalars()
        ids = [mail_id for mail_id in due if mail_id is not None]
    for mail_id in ids:
        async with factory() as session:
            if not await _claim(session, mail_id, now):
                continue
            row = await session.get(OutboxMail, mail_id)
            assert row is not None
            try:
                if settings.mail_enabled:
                    await send_message(settings, parse_message(row.message))
                else:
                    # Development without a mail server: the mail goes to the log instead.
                    log.info("mail (not sent, no LINKDIR_SMTP_URL):\n%s", row.message)
            except Exception as error:  # refused, hung up, timed out: all mean "later"
                problem = f"{type(error).__name__}: {error}"[:500]
                row.last_error = problem
                row.claimed_until = None
                row.next_attempt_at = utcnow() + retry_pause(row.attempts)
                level = logging.ERROR if row.attempts >= GIVE_UP_AFTER else logging.WARNING
                log.log(
                    level,
                    "mail %d to %s failed (attempt %d): %s",
                    mail_id,
                    row.recipient,
                    row.attempts,
                    problem,
                )
                result.failed += 1
            else:
                row.sent_at = utcnow()
                row.last_error = None
                log.info("mail %d (%s) sent to %s", mail_id, row.kind, row.recipient)
                result.sent += 1
            await session.commit()
    return result
