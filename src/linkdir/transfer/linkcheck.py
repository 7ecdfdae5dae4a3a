"""Link verdicts for an import preview: every address checked by the engine (issue 16).

:func:`check_links` is the service function: addresses in, :class:`LinkVerdict` out,
through :class:`linkdir.checker.Checker` (the guarded fetcher, at most
``LINKDIR_CHECKER_PER_HOST`` connections per host). The CLI, the API and the preview all
call it; it touches no database.

:class:`PreviewChecks` runs those checks in the background while a curator reviews a
preview. The web app owns one (``app.state.preview_checks``, created with the app and
closed in its lifespan); nothing lives in module globals. Jobs and their verdicts are
rows in the database (:mod:`linkdir.transfer.models`), so any web process answers a poll
or a refresh. The checks run in the process that holds the job's lease; it renews the
lease while it checks and gives it back when it is done or stops. A process asked about
a job whose lease is free or stale (its process died) claims it with a conditional
``UPDATE`` and checks the addresses that have no verdict yet: nothing is lost, and no
two processes check one job at the same time. Jobs are kept for ``keep_seconds`` and at
most ``max_jobs`` at a time; each belongs to the curator who started it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from linkdir.checker import EngineConfig
from linkdir.checker.types import CheckResult
from linkdir.db import session_scope, utcnow
from linkdir.labels import status_label
from linkdir.reasons import reason_label
from linkdir.transfer.models import PreviewCheckJob, PreviewCheckVerdict
from linkdir.urls import carries_credentials

log = logging.getLogger(__name__)

__all__ = ["CheckJob", "LinkVerdict", "PreviewChecks", "check_links", "verdict_of"]


@dataclass(frozen=True, slots=True)
class LinkVerdict:
    """What the engine said about one address, in the shape a preview shows."""

    url: str
    status: str  # ok | moved | broken | unverified
    reason: str  # a reason code: shown only through reason_label
    http_status: int | None = None
    final_url: str | None = None

    @property
    def broken(self) -> bool:
        return self.status == "broken"

    @property
    def label(self) -> str:
        """The status in the reader's words ("Works", "Broken", …)."""
        return status_label(self.status)

    @property
    def text(self) -> str:
        """The reason in the reader's words, never the code."""
        return reason_label(self.reason)

    def to_json(self) -> dict[str, Any]:
        """The JSON item: codes for programs, words (in the request's language) for people."""
        return {
            "url": self.url,
            "status": self.status,
            "reason": self.reason,
            "http_status": self.http_status,
            "final_url": self.final_url,
            "label": self.label,
            "text": self.text,
        }


def verdict_of(result: CheckResult) -> LinkVerdict:
    return LinkVerdict(
        url=result.url,
        status=result.status,
        reason=result.reason,
        http_status=result.http_status,
        final_url=result.final_url,
    )


def preview_config(base: EngineConfig) -> EngineConfig:
    """The engine as a preview uses it: no content hashes or fingerprints to keep."""
    from dataclasses import replace

    return replace(base, content_hashes=False, fingerprints=False)


def unique(urls: Iterable[str]) -> list[str]:
    """Addresses once each, in order, blanks left out."""
    seen: dict[str, None] = {}
    for url in urls:
        url = url.strip()
        if url:
            seen.setdefault(url, None)
    return list(seen)


async def check_links(
    urls: Iterable[str],
    config: EngineConfig,
    *,
    into: dict[str, LinkVerdict] | None = None,
) -> dict[str, LinkVerdict]:
    """Check each address once with the engine; verdicts by address.

    Host-polite: the engine spreads the addresses over hosts and opens at most
    ``config.per_host`` connections to one host. ``into`` is filled as results arrive
    (a caller reading it meanwhile sees the progress).
    """
    verdicts = into if into is not None else {}
    todo = [url for url in unique(urls) if url not in verdicts]
    if not todo:
        return verdicts
    from linkdir.checker import Checker  # the HTTP clients: when a preview is checked

    async with Checker(preview_config(config)) as checker:
        async for result in checker.check_many(todo):
            verdicts[result.url] = verdict_of(result)
    return verdicts


@dataclass(slots=True)
class CheckJob:
    """The checks of one preview as the database has them: addresses and verdicts so far."""

    token: str
    owner: int
    urls: list[str]
    verdicts: dict[str, LinkVerdict] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # addresses in the order they finished

    @property
    def total(self) -> int:
        return len(self.urls)

    @property
    def done(self) -> int:
        return sum(1 for url in self.urls if url in self.verdicts)

    @property
    def finished(self) -> bool:
        return self.done >= self.total

    def since(self, offset: int) -> list[LinkVerdict]:
        """Verdicts that arrived after the first ``offset`` (for a poll)."""
        return [self.verdicts[url] for url in self.order[max(offset, 0) :]]


Factory = async_sessionmaker[AsyncSession]


def _count(result: Any) -> int:
    """Rows an UPDATE or DELETE changed."""
    return int(getattr(result, "rowcount", 0) or 0)


async def _load(session: AsyncSession, row: PreviewCheckJob) -> CheckJob:
    verdicts = (
        await session.execute(
            select(PreviewCheckVerdict)
            .where(col(PreviewCheckVerdict.job_token) == row.token)
            .order_by(col(PreviewCheckVerdict.id))
        )
    ).scalars()
    job = CheckJob(token=row.token, owner=row.owner_id, urls=list(row.urls))
    for verdict in verdicts:
        if verdict.url not in job.verdicts:
            job.order.append(verdict.url)
        job.verdicts[verdict.url] = LinkVerdict(
            url=verdict.url,
            status=verdict.status,
            reason=verdict.reason,
            http_status=verdict.http_status,
            final_url=verdict.final_url,
        )
    return job


class _Runner:
    """Checks one job's unfinished addresses while this process holds its lease.

    One loop per job writes the verdicts that arrived (a batch per transaction), renews
    the lease in the same transaction (only while this process still holds it), starts
    checks for addresses added meanwhile, and gives the lease back when every address
    has its verdict.
    """

    def __init__(self, owner: PreviewChecks, token: str, written: set[str]) -> None:
        self.owner = owner
        self.token = token
        self.written = written  # addresses with a verdict in the database
        self.requested: set[str] = set()  # handed to the engine by this runner
        self.buffer: list[LinkVerdict] = []
        self.checks: set[asyncio.Task[None]] = set()
        self.wake = asyncio.Event()
        self.stopping = False
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self.run())

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def nudge(self) -> None:
        self.wake.set()

    async def _check(self, urls: list[str]) -> None:
        from linkdir.checker import Checker

        async with Checker(preview_config(self.owner.config)) as checker:
            async for result in checker.check_many(urls):
                self.buffer.append(verdict_of(result))
                self.wake.set()

    def _start_checks(self, urls: list[str]) -> None:
        self.requested.update(urls)
        task = asyncio.create_task(self._check(urls))
        self.checks.add(task)

        def finished(task: asyncio.Task[None]) -> None:
            self.checks.discard(task)
            if not task.cancelled() and task.exception() is not None:
                log.error("link checks of an import preview failed", exc_info=task.exception())
            self.wake.set()

        task.add_done_callback(finished)

    async def _beat(self) -> tuple[list[str], int] | None:
        """Write what arrived and renew the lease; the job's addresses, or None if lost."""
        batch, self.buffer = self.buffer, []
        try:
            async with session_scope(self.owner.factory) as session:
                renewed = await session.execute(
                    update(PreviewCheckJob)
                    .where(
                        col(PreviewCheckJob.token) == self.token,
                        col(PreviewCheckJob.lease_owner) == self.owner.worker,
                    )
                    .values(lease_until=utcnow() + self.owner.lease)
                )
                if _count(renewed) != 1:
                    return None  # purged, or taken over after this process stalled
                now = utcnow()
                for verdict in {v.url: v for v in batch}.values():  # the last per address
                    if verdict.url in self.written:
                        continue
                    session.add(
                        PreviewCheckVerdict(
                            job_token=self.token,
                            url=verdict.url,
                            status=verdict.status,
                            reason=verdict.reason,
                            http_status=verdict.http_status,
                            final_url=verdict.final_url,
                            checked_at=now,
                        )
                    )
                row = (
                    await session.execute(
                        select(col(PreviewCheckJob.urls), col(PreviewCheckJob.revision)).where(
                            col(PreviewCheckJob.token) == self.token
                        )
                    )
                ).one()
        except Exception:
            self.buffer = batch + self.buffer  # written with the next beat
            raise
        self.written.update(verdict.url for verdict in batch)
        return list(row[0]), int(row[1])

    async def _release(self, revision: int | None) -> bool:
        """Give the lease back (only if no address was added since ``revision``)."""
        async with session_scope(self.owner.factory) as session:
            query = update(PreviewCheckJob).where(
                col(PreviewCheckJob.token) == self.token,
                col(PreviewCheckJob.lease_owner) == self.owner.worker,
            )
            if revision is not None:
                query = query.where(col(PreviewCheckJob.revision) == revision)
            released = await session.execute(query.values(lease_owner=None, lease_until=None))
            return bool(_count(released))

    async def run(self) -> None:
        try:
            while True:
                try:
                    state = await self._beat()
                except Exception:
                    log.exception("could not record the link checks of an import preview")
                    await asyncio.sleep(self.owner.beat_seconds)
                    continue
                if state is None:
                    return
                urls, revision = state
                if self.stopping:
                    await self._release(None)
                    return
                pending = [u for u in urls if u not in self.written and u not in self.requested]
                if pending:
                    self._start_checks(pending)
                elif not self.checks and not self.buffer:
                    # Done (an address whose check failed is left to the next claim).
                    if await self._release(revision):
                        return
                    continue  # addresses were added meanwhile
                self.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), self.owner.beat_seconds)
                await asyncio.sleep(self.owner.batch_seconds)  # gather a batch to write
        finally:
            for task in list(self.checks):
                task.cancel()

    async def stop(self) -> None:
        """Cancel the checks, write the verdicts that arrived, and give the lease back."""
        self.stopping = True
        checks = list(self.checks)
        for task in checks:
            task.cancel()
        for task in checks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.wake.set()
        if self.task is not None:
            try:
                await asyncio.wait_for(self.task, 10)
            except (TimeoutError, asyncio.CancelledError, Exception):
                self.task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self.task


class PreviewChecks:
    """Background link checks of import previews, owned by the web app (not global)."""

    def __init__(
        self,
        config: EngineConfig,
        factory: Factory,
        *,
        keep_seconds: float = 3600.0,
        max_jobs: int = 20,
        lease_seconds: float = 30.0,
        beat_seconds: float = 2.0,
        batch_seconds: float = 0.1,
    ) -> None:
        self.config = config
        self.factory = factory
        self.keep = timedelta(seconds=keep_seconds)
        self.max_jobs = max_jobs
        self.lease = timedelta(seconds=lease_seconds)
        self.beat_seconds = beat_seconds
        self.batch_seconds = batch_seconds
        # Who holds a lease: unique per app, also for two apps in one process (tests).
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._runners: dict[str, _Runner] = {}
        self._starting = asyncio.Lock()

    async def get(self, token: str, owner: int) -> CheckJob | None:
        """The job ``token`` if it is this curator's and not expired.

        Asking for a job whose checks no process is running any more (it stopped or
        died) takes the rest of its checks over here.
        """
        if not token:
            return None
        async with session_scope(self.factory) as session:
            row = await session.get(PreviewCheckJob, token)
            if row is None or row.owner_id != owner or row.expires_at <= utcnow():
                return None
            job = await _load(session, row)
        await self._run(job)
        return job

    async def ensure(self, token: str, urls: Iterable[str], owner: int) -> CheckJob:
        """The job ``token``, checking any of ``urls`` it has not got; or a new job.

        An address with a user name or password is not asked (the row says why it cannot
        be imported): a check would hand the password to its host."""
        wanted = [url for url in unique(urls) if not carries_credentials(url)]
        async with session_scope(self.factory) as session:
            row = await session.get(PreviewCheckJob, token) if token else None
            if row is None or row.owner_id != owner or row.expires_at <= utcnow():
                row = await self._new(session, owner, wanted)
            elif list(row.urls) != wanted:
                # What the preview shows now: the progress counts these.
                await session.execute(
                    update(PreviewCheckJob)
                    .where(col(PreviewCheckJob.token) == row.token)
                    .values(urls=wanted, revision=col(PreviewCheckJob.revision) + 1)
                )
                row.urls = wanted
            job = await _load(session, row)
        await self._run(job)
        return job

    async def _new(self, session: AsyncSession, owner: int, urls: list[str]) -> PreviewCheckJob:
        await self.purge(session)
        now = utcnow()
        row = PreviewCheckJob(
            token=secrets.token_urlsafe(24),
            owner_id=owner,
            urls=urls,
            created_at=now,
            expires_at=now + self.keep,
        )
        session.add(row)
        await session.flush()
        return row

    async def purge(self, session: AsyncSession) -> int:
        """Drop expired jobs, and the oldest beyond ``max_jobs - 1`` to make room for one."""
        gone = await session.execute(
            delete(PreviewCheckJob).where(col(PreviewCheckJob.expires_at) <= utcnow())
        )
        purged = _count(gone)
        kept = (await session.execute(select(func.count()).select_from(PreviewCheckJob))).scalar()
        excess = int(kept or 0) - self.max_jobs + 1
        if excess > 0:
            oldest = (
                select(col(PreviewCheckJob.token))
                .order_by(col(PreviewCheckJob.created_at))
                .limit(excess)
            )
            tokens = list((await session.execute(oldest)).scalars())
            await session.execute(
                delete(PreviewCheckJob).where(col(PreviewCheckJob.token).in_(tokens))
            )
            purged += len(tokens)
        return purged

    async def claim(self, token: str) -> set[str] | None:
        """Take the job's lease if no live process holds it (one claimant wins).

        The addresses that have their verdict already, read under the lease (so none is
        checked again); None when another process holds the lease.
        """
        now = utcnow()
        async with session_scope(self.factory) as session:
            claimed = await session.execute(
                update(PreviewCheckJob)
                .where(
                    col(PreviewCheckJob.token) == token,
                    or_(
                        col(PreviewCheckJob.lease_owner).is_(None),
                        col(PreviewCheckJob.lease_until) < now,
                    ),
                )
                .values(lease_owner=self.worker, lease_until=now + self.lease)
            )
            if not _count(claimed):
                return None
            done = await session.execute(
                select(col(PreviewCheckVerdict.url)).where(
                    col(PreviewCheckVerdict.job_token) == token
                )
            )
            return set(done.scalars())

    async def _run(self, job: CheckJob) -> None:
        """Check the job's unfinished addresses here, unless a live process does."""
        if job.finished:
            return
        async with self._starting:  # two polls at once here start one runner
            runner = self._runners.get(job.token)
            if runner is not None and runner.running:
                runner.nudge()  # it reads the addresses again
                return
            written = await self.claim(job.token)
            if written is None:
                return
            runner = _Runner(self, job.token, written)
            self._runners[job.token] = runner
            runner.start()
            if runner.task is not None:
                runner.task.add_done_callback(lambda _: self._forget(runner))

    def _forget(self, runner: _Runner) -> None:
        if self._runners.get(runner.token) is runner:
            del self._runners[runner.token]

    async def close(self) -> None:
        """Stop the checks still going (at shutdown): another process takes them over."""
        runners = list(self._runners.values())
        await asyncio.gather(*(runner.stop() for runner in runners), return_exceptions=True)
        self._runners.clear()
        with contextlib.suppress(Exception):
            async with session_scope(self.factory) as session:
                await session.execute(
                    update(PreviewCheckJob)
                    .where(col(PreviewCheckJob.lease_owner) == self.worker)
                    .values(lease_owner=None, lease_until=None)
                )
