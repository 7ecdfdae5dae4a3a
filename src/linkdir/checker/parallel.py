"""Checking a long list on several cores: the hosts are split between checker processes.

One Python process tops out near a thousand links a second on the benchmark farm: the
work per URL (HTTP, parsing, hashing) is CPU, not waiting. ``check-urls --workers N``
therefore splits its input by host: the main process checks one shard itself and forks
N-1 helpers for the others. Every host belongs to exactly one process, so the per-host
connection limit, Retry-After slow-downs and the soft-404 probe cache stay correct; only
a redirect from one host onto another process's host can make two processes talk to the
same host at once (each still within its own limit).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import multiprocessing
import queue
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from linkdir.checker.engine import Checker
from linkdir.checker.hosts import shard_of
from linkdir.checker.transport import ssl_context
from linkdir.checker.types import CheckResult, EngineConfig

BATCH = 128
_DONE = None


class ShardFailed(Exception):
    """A checker process (a helper, or this process's own shard) stopped before its
    shard was done: its hosts' remaining URLs were not checked."""


@dataclasses.dataclass(frozen=True)
class _Failed:
    why: str


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop where it is installed: it makes the checker about a tenth faster."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def run(coroutine: Any) -> Any:
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(coroutine)


class Shards:
    """Helper processes for all shards but the first, which the caller checks itself.

    Create it before any event loop or thread exists in this process: helpers are forked.
    """

    def __init__(self, config: EngineConfig, workers: int) -> None:
        self.workers = workers
        self.config = dataclasses.replace(
            config, concurrency=max(1, -(-config.concurrency // workers))
        )
        # Loaded before the fork, the TLS roots are shared by every helper instead of each
        # parsing certifi's bundle again (~30 ms of CPU per process).
        ssl_context(config.extra_ca_file)
        context = (
            multiprocessing.get_context("fork")
            if sys.platform == "linux"
            else multiprocessing.get_context("spawn")
        )
        self._inboxes: list[Any] = [context.Queue(maxsize=16) for _ in range(workers - 1)]
        self._outbox: Any = context.Queue(maxsize=256)
        self._processes = [
            context.Process(target=_helper, args=(self.config, inbox, self._outbox), daemon=True)
            for inbox in self._inboxes
        ]
        for process in self._processes:
            process.start()
        self._local: queue.Queue[list[str] | None] = queue.Queue(maxsize=16)

    async def check(self, urls: Iterable[str]) -> AsyncIterator[CheckResult]:
        """Results of every shard, as they finish."""
        loop = asyncio.get_running_loop()
        merged: asyncio.Queue[list[CheckResult] | _Failed | None] = asyncio.Queue()
        threading.Thread(target=self._feed, args=(urls,), daemon=True).start()
        threading.Thread(target=self._collect, args=(loop, merged), daemon=True).start()
        local = asyncio.ensure_future(self._check_local(merged))
        pending = self.workers  # shards not finished yet
        try:
            while pending:
                batch = await merged.get()
                if batch is _DONE:
                    pending -= 1
                    continue
                if isinstance(batch, _Failed):
                    raise ShardFailed(batch.why)
                for result in batch:
                    yield result
            await local
        finally:
            local.cancel()
            with contextlib.suppress(BaseException):
                await local
            self.close()

    def close(self) -> None:
        for process in self._processes:
            if process.is_alive():
                process.terminate()
        for process in self._processes:
            process.join(5)

    async def _check_local(self, merged: asyncio.Queue[list[CheckResult] | _Failed | None]) -> None:
        try:
            await _check_shard(self.config, self._local, merged.put_nowait)
        except Exception as error:
            merged.put_nowait(_Failed(f"{type(error).__name__}: {error}"))
            return
        merged.put_nowait(_DONE)

    def _feed(self, urls: Iterable[str]) -> None:
        boxes: list[Any] = [self._local, *self._inboxes]
        batches: list[list[str]] = [[] for _ in boxes]
        try:
            for url in urls:
                shard = shard_of(url, len(boxes))
                batches[shard].append(url)
                if len(batches[shard]) >= BATCH:
                    boxes[shard].put(batches[shard])
                    batches[shard] = []
        finally:
            for box, batch in zip(boxes, batches, strict=True):
                if batch:
                    box.put(batch)
                box.put(_DONE)

    def _collect(
        self,
        loop: asyncio.AbstractEventLoop,
        merged: asyncio.Queue[list[CheckResult] | _Failed | None],
    ) -> None:
        remaining = len(self._processes)
        while remaining:
            try:
                kind, payload = self._outbox.get(timeout=1.0)
            except queue.Empty:
                died = [p.exitcode for p in self._processes if p.exitcode not in (None, 0)]
                if died:
                    kind, payload = "error", f"a checker process ended with status {died[0]}"
                else:
                    continue
            if kind == "results":
                loop.call_soon_threadsafe(merged.put_nowait, payload)
                continue
            if kind == "error":
                loop.call_soon_threadsafe(merged.put_nowait, _Failed(payload))
                return
            remaining -= 1
            loop.call_soon_threadsafe(merged.put_nowait, _DONE)


def _helper(config: EngineConfig, inbox: Any, outbox: Any) -> None:
    try:
        run(_check_shard(config, inbox, lambda batch: outbox.put(("results", batch))))
    except BaseException as error:  # report, then let the parent decide
        with contextlib.suppress(Exception):
            outbox.put(("error", f"{type(error).__name__}: {error}"))
        raise
    outbox.put(("done", None))


async def _check_shard(
    config: EngineConfig, inbox: Any, send: Callable[[list[CheckResult]], None]
) -> None:
    async def source() -> AsyncIterator[str]:
        while True:
            batch = await asyncio.to_thread(inbox.get)
            if batch is _DONE:
                return
            for url in batch:
                yield url

    pending: list[CheckResult] = []
    sent = time.monotonic()
    async with Checker(config) as checker:
        async for result in checker.check_many(source()):
            pending.append(result)
            if len(pending) >= 64 or time.monotonic() - sent > 0.2:
                send(pending)
                pending, sent = [], time.monotonic()
    if pending:
        send(pending)
