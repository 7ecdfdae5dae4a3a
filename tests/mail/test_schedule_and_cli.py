"""Digests go out by themselves on the schedule, and on demand with ``linkdir digest send``."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from linkdir.checks.runner import CheckRunner
from linkdir.config import Settings
from linkdir.db import create_engine
from tests.mail.conftest import Inbox
from tests.mail.test_digests import breaks, curator
from tests.test_cli import base_env, run


async def test_digest_send_dry_run_shows_and_send_sends_once(
    database_url: str, session: AsyncSession, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    await curator(session, "kurator@region.se", frequency="weekly")
    await breaks(session)
    env = base_env(database_url, LINKDIR_SMTP_URL=f"smtp://127.0.0.1:{port}")

    dry = run(["digest", "send", "--dry-run"], env)
    assert dry.returncode == 0, dry.stderr
    assert "would send kurator@region.se" in dry.stdout and "broken 1" in dry.stdout
    assert inbox.messages == []

    sent = run(["digest", "send"], env)
    assert sent.returncode == 0, sent.stderr
    assert "kurator@region.se" in sent.stdout and "mails sent: 1" in sent.stdout
    assert len(inbox.to("kurator@region.se")) == 1

    again = run(["digest", "send"], env)
    assert "no digest is due" in again.stdout and len(inbox.messages) == 1


async def test_without_a_mail_server_digest_send_says_so(database_url: str) -> None:
    done = run(["digest", "send"], base_env(database_url))
    assert done.returncode == 1 and "LINKDIR_SMTP_URL is empty" in done.stderr


async def test_the_schedule_sends_digests_by_itself(
    session: AsyncSession, mail_settings: Settings, inbox: Inbox
) -> None:
    await curator(session, "kurator@region.se", frequency="daily")
    await breaks(session)
    settings = dataclasses.replace(mail_settings, digest_hour=0)  # due at any hour
    engine = create_engine(settings.database_url)
    runner = CheckRunner(settings, engine, dispatch_every=timedelta(seconds=1))
    task = asyncio.create_task(runner.run())
    try:
        for _ in range(300):
            if inbox.messages or task.done():
                break
            await asyncio.sleep(0.1)
        assert len(inbox.to("kurator@region.se")) == 1
    finally:
        runner.request_stop()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 30)
        await engine.dispose()
