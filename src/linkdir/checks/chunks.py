"""Finished checks handed to the recording in chunks (issue 18).

Used by ``linkdir check`` (:mod:`linkdir.checks.jobs`) and the worker's check jobs
(:mod:`linkdir.checks.runner`); a module of its own so a foreground run does not import
the scheduler (APScheduler) to record.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, TypeVar

from linkdir.db import utcnow

T = TypeVar("T")

# A batch's checks are written this many at a time (one transaction each, issue 18), and a
# finished check waits at most this long for its chunk to fill (a slow host's results go in).
RECORD_CHUNK = 100
RECORD_EVERY = 1.0


async def in_chunks(
    results: AsyncIterator[T],
    stop: asyncio.Event,
    *,
    size: int = RECORD_CHUNK,
    every: float = RECORD_EVERY,
) -> AsyncIterator[list[tuple[T, datetime]]]:
    """Items of ``results``, each with the moment it came, ``size`` at a time at most.

    A chunk is also handed over ``every`` seconds after its first item came, so a slow
    producer does not hold finished items back. The next item is awaited while the caller
    handles a chunk. When ``stop`` is set, the items already in are handed over and only
    the wait for the next one is cancelled (as :func:`until_set`).
    """
    loop = asyncio.get_running_loop()
    stopped = asyncio.ensure_future(stop.wait())
    following: asyncio.Future[T] | None = None
    pending: list[tuple[T, datetime]] = []
    deadline: float | None = None
    try:
        while not stop.is_set():
            if following is None:
                following = asyncio.ensure_future(anext(results))
            timeout = None if deadline is None else max(0.0, deadline - loop.time())
            waits: set[asyncio.Future[Any]] = {following, stopped}
            await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if following.done():
                try:
                    item = following.result()
                except StopAsyncIteration:
                    following = None
                    break
                following = None
                pending.append((item, utcnow()))
                if deadline is None:
                    deadline = loop.time() + every
                if len(pending) < size:
                    continue
            elif stopped.done():
                break
            if pending:
                chunk, pending, deadline = pending, [], None
                yield chunk
        if pending:
            yield pending
    finally:
        stopped.cancel()
        if following is not None and not following.done():
            following.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await following
