"""Link verdicts for an import preview: every address checked by the engine (issue 16).

:func:`check_links` is the service function: addresses in, :class:`LinkVerdict` out,
through :class:`linkdir.checker.Checker` (the guarded fetcher, at most
``LINKDIR_CHECKER_PER_HOST`` connections per host). The CLI, the API and the preview all
call it; it touches no database.

:class:`PreviewChecks` runs those checks in the background while a curator reviews a
preview. The web app owns one (``app.state.preview_checks``, created with the app and
closed in its lifespan); nothing lives in module globals. A job is known only to the
process that started it: with several web processes behind a load balancer without
sticky sessions, a poll or a refresh that reaches another process starts the checks
again there (README, Importing). Jobs are kept for ``keep`` and at most ``max_jobs`` at
a time; each belongs to the curator who started it.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from linkdir.checker import Checker, EngineConfig
from linkdir.checker.types import CheckResult
from linkdir.labels import status_label
from linkdir.reasons import reason_label

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
    async with Checker(preview_config(config)) as checker:
        async for result in checker.check_many(todo):
            verdicts[result.url] = verdict_of(result)
    return verdicts


@dataclass(slots=True)
class CheckJob:
    """The checks of one preview: addresses in order and the verdicts so far."""

    token: str
    owner: int
    urls: list[str]
    verdicts: dict[str, LinkVerdict] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # addresses in the order they finished
    requested: set[str] = field(default_factory=set)  # handed to the engine already
    started: float = field(default_factory=time.monotonic)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

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


class PreviewChecks:
    """Background link checks of import previews, owned by the web app (not global)."""

    def __init__(
        self, config: EngineConfig, *, keep_seconds: float = 3600.0, max_jobs: int = 20
    ) -> None:
        self.config = config
        self.keep_seconds = keep_seconds
        self.max_jobs = max_jobs
        self._jobs: dict[str, CheckJob] = {}

    def get(self, token: str, owner: int) -> CheckJob | None:
        """The job ``token`` if it is this curator's and still kept in this process."""
        self._expire()
        job = self._jobs.get(token)
        return job if job is not None and job.owner == owner else None

    def ensure(self, token: str, urls: Iterable[str], owner: int) -> CheckJob:
        """The job ``token``, checking any of ``urls`` it has not got; or a new job."""
        wanted = unique(urls)
        job = self.get(token, owner) if token else None
        if job is None:
            job = self._new(owner)
        missing = [url for url in wanted if url not in job.requested]
        job.urls = wanted  # what the preview shows now: the progress counts these
        job.requested.update(missing)
        if missing:
            self._start(job, missing)
        return job

    def _new(self, owner: int) -> CheckJob:
        self._expire()
        while len(self._jobs) >= self.max_jobs:
            oldest = min(self._jobs.values(), key=lambda job: job.started)
            self._drop(oldest)
        job = CheckJob(token=secrets.token_urlsafe(16), owner=owner, urls=[])
        self._jobs[job.token] = job
        return job

    def _start(self, job: CheckJob, urls: list[str]) -> None:
        async def work() -> None:
            async with Checker(preview_config(self.config)) as checker:
                async for result in checker.check_many(urls):
                    if result.url not in job.verdicts:
                        job.order.append(result.url)
                    job.verdicts[result.url] = verdict_of(result)

        task = asyncio.create_task(work())
        job.tasks.add(task)
        task.add_done_callback(job.tasks.discard)

    def _drop(self, job: CheckJob) -> None:
        self._jobs.pop(job.token, None)
        for task in job.tasks:
            task.cancel()

    def _expire(self) -> None:
        limit = time.monotonic() - self.keep_seconds
        for job in [job for job in self._jobs.values() if job.started < limit]:
            self._drop(job)

    async def close(self) -> None:
        """Cancel the checks still going (at shutdown)."""
        tasks = [task for job in self._jobs.values() for task in job.tasks]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._jobs.clear()
