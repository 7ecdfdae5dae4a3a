"""Visitors who tell us a link is wrong: the "report a problem" form's rules.

A report never changes a link's status: it makes the link due for a recheck within
minutes and puts it in the curators' *Reported by visitors* tab with the comment. Spam
is kept out without a third-party captcha: CSRF, a honeypot field, a size cap and a
limit per address (only a keyed hash of the address is stored).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from linkdir.checks.models import VisitorReport
from linkdir.config import Settings
from linkdir.errors import N_, FieldError, ValidationFailed
from linkdir.resources import service as directory
from linkdir.resources.models import Resource

COMMENT_MAX = 1000
# One address may send this many reports per window (a library's public computers
# share one address, so not one).
REPORTS_PER_ADDRESS = 5
REPORT_WINDOW = timedelta(hours=1)
# A reported link is due at once: the next dispatch (each minute) checks it. Politeness
# per host still holds, and the limit per address keeps one visitor from forcing more.
RECHECK_WITHIN = timedelta(0)


class RateLimited(Exception):
    """Too many reports from one address; nothing was stored."""


class HoneypotFilled(Exception):
    """The hidden field a person never sees was filled in: a robot."""


def address_hash(settings: Settings, address: str) -> str:
    """A keyed hash of a visitor's address (the address itself is never stored)."""
    key = settings.secret_key.encode("utf-8")
    return hmac.new(key, b"visitor-report:" + address.encode("utf-8"), hashlib.sha256).hexdigest()


async def report_problem(
    session: AsyncSession,
    resource_id: int,
    *,
    comment: str,
    address: str,
    honeypot: str,
    settings: Settings,
    now: datetime,
) -> VisitorReport:
    """Store a visitor's report and make the link due for a recheck within minutes."""
    resource = await directory.get_resource(session, resource_id)
    if honeypot.strip():
        raise HoneypotFilled
    text = directory.clean_text(comment).strip()
    if len(text) > COMMENT_MAX:
        raise ValidationFailed(
            [
                FieldError(
                    "comment",
                    N_("Write at most %(max)s characters."),
                    {"max": COMMENT_MAX},
                )
            ]
        )
    hashed = address_hash(settings, address)
    recent = await session.execute(
        select(func.count()).where(
            col(VisitorReport.address_hash) == hashed,
            col(VisitorReport.created_at) > now - REPORT_WINDOW,
        )
    )
    if int(recent.scalar_one()) >= REPORTS_PER_ADDRESS:
        raise RateLimited
    report = VisitorReport(
        resource_id=resource_id, created_at=now, comment=text, address_hash=hashed
    )
    session.add(report)
    _due_soon(resource, now)
    await session.flush()
    return report


def _due_soon(resource: Resource, now: datetime) -> None:
    soon = now + RECHECK_WITHIN
    if resource.next_check_at is None or resource.next_check_at > soon:
        resource.next_check_at = soon
