"""The mail schedule: due digests into the outbox, then the outbox drained.

Registered with every :class:`~linkdir.checks.runner.CheckRunner`, so it runs in
``linkdir serve`` and on every ``linkdir worker``; the digest claims and outbox claims keep
several workers from sending anything twice. The job takes no arguments.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from linkdir.config import Settings
from linkdir.mail.digest import send_due_digests
from linkdir.mail.outbox import drain

if TYPE_CHECKING:
    from linkdir.checks.runner import CheckRunner

log = logging.getLogger("linkdir.mail")

MAIL_SCHEDULE = "linkdir-mail"
MAIL_EVERY = timedelta(minutes=1)  # invitations and resets should not wait long


async def mail_cycle(factory: async_sessionmaker[AsyncSession], settings: Settings) -> int:
    """Queue due digests and send the outbox; how many mails went out."""
    outcomes = await send_due_digests(factory, settings)
    for outcome in outcomes:
        if outcome.queued:
            log.info("digest %s queued for %s: %s", outcome.period, outcome.email, outcome.counts)
    return (await drain(factory, settings)).sent


async def mail_job(runner: CheckRunner) -> int:
    """The scheduled task: run on whichever worker takes it (APScheduler stores its name)."""
    return await mail_cycle(runner.factory, runner.settings)
