"""Checking a long list on several cores: one checker process per shard of hosts.

One Python process tops out near a thousand links a second on the benchmark farm: the
work per URL (HTTP, parsing, hashing) is CPU, not waiting. ``check-urls`` therefore splits
its input by host over worker processes. Every host belongs to exactly one worker, so
the per-host connection limit, Retry-After slow-downs and the soft-404 probe cache stay
correct; only a redirect from one host onto another worker's host can make two workers
talk to the same host at once (each still within its own limit).
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
import zlib
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any

from linkdir.checks.engine import Checker, CheckResult, EngineConfig
from linkdir.checks.fetch import host_key

BATCH = 128


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


def check_sharded(config: EngineConfig, urls: Iterable[str], workers: int) -> Iterator[CheckResult]:
    """Check ``urls`` in ``workers`` processes; yields results as they finish."""
    context = _context()
    per_worker = dataclasses.replace(config, concurrency=max(1, -(-config.concurrency // workers)))
    inboxes = [context.Queue(maxsize=16) for _ in range(workers)]
    outbox = context.Queue(maxsize=256)
    processes = [
        context.Process(target=_worker, args=(per_worker, inbox, outbox), daemon=True)
        for inbox in inboxes
    ]
    for process in processes:
        process.start()
    feeder = threading.Thread(target=_feed, args=(urls, inboxes), daemon=True)
    feeder.start()
    running = workers
    try:
        while running:
            try:
                kind, payload = outbox.get(timeout=1.0)
            except queue.Empty:
                if any(p.exitcode not in (None, 0) for p in processes):
                    raise RuntimeError("a checker process died") from None
                continue
            if kind == "done":
                running -= 1
            elif kind == "error":
                raise RuntimeError(f"a checker process failed: {payload}")
            else:
                yield from payload
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(5)


def _context() -> Any:
    # fork starts workers in milliseconds with everything already imported.
    if sys.platform == "linux":
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _feed(urls: Iterable[str], inboxes: list[Any]) -> None:
    batches: list[list[str]] = [[] for _ in inboxes]
    try:
        for url in urls:
            shard = zlib.crc32((host_key(url) or "").encode()) % len(inboxes)
            batches[shard].append(url)
            if len(batches[shard]) >= BATCH:
                inboxes[shard].put(batches[shard])
                batches[shard] = []
    finally:
        for inbox, batch in zip(inboxes, batches, strict=True):
            if batch:
                inbox.put(batch)
            inbox.put(None)


def _worker(config: EngineConfig, inbox: Any, outbox: Any) -> None:
    try:
        run(_check_shard(config, inbox, outbox))
    except BaseException as error:  # report, then let the parent decide
        with contextlib.suppress(Exception):
            outbox.put(("error", f"{type(error).__name__}: {error}"))
        raise
    outbox.put(("done", None))


async def _check_shard(config: EngineConfig, inbox: Any, outbox: Any) -> None:
    async def source() -> AsyncIterator[str]:
        while True:
            batch = await asyncio.to_thread(inbox.get)
            if batch is None:
                return
            for url in batch:
                yield url

    pending: list[CheckResult] = []
    sent = time.monotonic()
    async with Checker(config) as checker:
        async for result in checker.check_many(source()):
            pending.append(result)
            if len(pending) >= 64 or time.monotonic() - sent > 0.2:
                await asyncio.to_thread(outbox.put, ("results", pending))
                pending, sent = [], time.monotonic()
    if pending:
        await asyncio.to_thread(outbox.put, ("results", pending))
