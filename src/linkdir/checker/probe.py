"""Soft-404 probe: ask for a made-up sibling path and compare it with the page.

A host that answers every path with the same page (or sends every path to the same
place) gives itself away when asked for ``/same/directory/linkdir-probe-<random>``. The
answer is cached per host and directory, so a site with 500 linked pages costs a
handful of extra requests.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from linkdir.checker import classify
from linkdir.checker.fetch import REDIRECTS, Answer, Failure, Fetcher, Run, location

if TYPE_CHECKING:
    from linkdir.checker.types import EngineConfig, Status


@dataclass(slots=True)
class SiblingProbe:
    """How a host answered a path that cannot exist."""

    status: int | None
    final_url: str | None
    redirected: bool
    shingles: frozenset[int]
    text_length: int
    not_found: bool


def _forget(future: asyncio.Future[SiblingProbe | None]) -> None:
    """Drop a cached answer: a failure nobody will read is not reported as unretrieved."""
    if future.done() and not future.cancelled():
        future.exception()


# How long a probe's answer is trusted: a checker that lives for days (a worker's checking
# process) asks again, in case the site changed how it answers unknown paths.
PROBE_TTL = 600.0


class SiblingProbes:
    """Probes made-up sibling paths, at most once per host and directory (and PROBE_TTL)."""

    def __init__(self, fetcher: Fetcher, config: EngineConfig) -> None:
        self._fetcher = fetcher
        self.config = config
        # (host, directory) -> (when it was asked, its answer to come)
        self._cache: OrderedDict[
            tuple[str, str], tuple[float, asyncio.Future[SiblingProbe | None]]
        ] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        for _asked, future in self._cache.values():
            _forget(future)
        self._cache.clear()

    async def compare(
        self, start: httpx.URL, answer: Answer, redirected: bool
    ) -> tuple[Status, str, str] | None:
        """A verdict when the page is the host's answer to any path, else None."""
        page = answer.page
        assert page is not None
        probe = await self.get(start)
        if probe is None or probe.status is None:
            return None
        if probe.status in (404, 410):
            return self._own_error_page(page, probe)
        if not 200 <= probe.status < 300:
            return None
        same_place = (redirected or probe.redirected) and probe.final_url == str(answer.url)
        mine = classify.shingles(page.main_text)
        similar = classify.similarity(mine, probe.shingles) >= 0.8
        if not (same_place or similar):
            return None
        if probe.not_found:
            return "broken", "soft_404", "the site answers a made-up path with this page"
        if len(page.main_text) < 40 and probe.text_length < 40 and not same_place:
            return (
                "unverified",
                "client_rendered",
                "an empty page shell answers every path; a robot cannot tell",
            )
        return "broken", "same_page_everywhere", "a made-up sibling path gets the same page"

    @staticmethod
    def _own_error_page(page: classify.Page, probe: SiblingProbe) -> tuple[Status, str, str] | None:
        """The page is the site's own not-found template, served with 200 this time."""
        # Error templates are short; comparing only similar lengths keeps this cheap (and
        # a long page's text is then never joined in full).
        if not probe.text_length or not page.main.shorter_than(3000):
            return None
        size = len(page.main_text)
        if not 0.5 <= size / probe.text_length <= 2:
            return None
        if classify.similarity(classify.shingles(page.main_text), probe.shingles) < 0.8:
            return None
        return "broken", "soft_404", "the page is the site's own not-found page"

    async def get(self, start: httpx.URL) -> SiblingProbe | None:
        """The (cached) answer to a made-up sibling of ``start``."""
        directory = start.path.rsplit("/", 1)[0] + "/"
        key = (f"{start.scheme}://{start.netloc.decode('ascii')}", directory)
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and cached[1].done() and now - cached[0] > PROBE_TTL:
            del self._cache[key]
            _forget(cached[1])
            cached = None
        if cached is None:
            future: asyncio.Future[SiblingProbe | None] = asyncio.get_running_loop().create_future()
            self._cache[key] = (now, future)
            while len(self._cache) > self.config.probe_cache_size:
                _key, (_asked, old) = self._cache.popitem(last=False)
                _forget(old)
            task = asyncio.ensure_future(self._run(start, directory, future))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        else:
            future = cached[1]
            self._cache.move_to_end(key)
        if future.done():
            return future.result()
        return await asyncio.shield(future)

    async def _run(
        self, start: httpx.URL, directory: str, future: asyncio.Future[SiblingProbe | None]
    ) -> None:
        last = start.path.rsplit("/", 1)[-1]
        suffix = "." + last.rsplit(".", 1)[1] if "." in last[1:] else ""
        if len(suffix) > 6:
            suffix = ""
        path = f"{directory}linkdir-probe-{secrets.token_hex(6)}{suffix}"
        result: SiblingProbe | None = None
        try:
            async with asyncio.timeout(self.config.timeout / 2) as deadline:
                run = Run(deadline=deadline, started=time.monotonic())
                current = start.copy_with(path=path, query=None, fragment=None)
                redirected = False
                for _ in range(5):
                    answer = await self._fetcher.fetch(run, current, {})
                    target = location(answer) if answer.status in REDIRECTS else None
                    if not isinstance(target, httpx.URL):
                        break
                    current, redirected = target, True
                text = answer.page.main_text if answer.page is not None else ""
                result = SiblingProbe(
                    status=answer.status,
                    final_url=str(answer.url),
                    redirected=redirected,
                    shingles=classify.shingles(text),
                    text_length=len(text),
                    not_found=answer.page is not None and answer.page.not_found,
                )
        except (Failure, TimeoutError):
            result = None
        except Exception:  # a failed probe only means "cannot tell"
            result = None
        finally:
            if not future.done():
                future.set_result(result)
