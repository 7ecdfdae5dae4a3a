"""The mail schedule: due digests into the outbox, then the outbox drained.

Registered beside the dispatch schedule (``checks/jobs.py``), so it runs in
``linkdir serve`` and on every ``linkdir worker``; the digest claims and outbox claims keep
several workers from sending anything twice. The job takes no arguments.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from linkdir.config import Settings
from linkdir.mail.digest import send_due_digests
from linkdir.mail.outbox import drain

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


async def mail_job() -> int:
    """The scheduled task (APScheduler stores only its name)."""
    from linkdir.checks.jobs import _current  # the runtime the scheduler set up (#18)

    runtime = _current()
    return await mail_cycle(runtime.factory, runtime.settings)


async def add_mail_schedule(scheduler: Any, every: timedelta = MAIL_EVERY) -> None:
    """Add (or replace) the mail schedule in ``scheduler``."""
    from apscheduler import ConflictPolicy
    from apscheduler.triggers.interval import IntervalTrigger

    await scheduler.add_schedule(
        mail_job,
        IntervalTrigger(seconds=every.total_seconds()),
        id=MAIL_SCHEDULE,
        conflict_policy=ConflictPolicy.replace,
    )
