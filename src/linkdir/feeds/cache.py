"""Rendered feeds kept per process, keyed by the directory version they were built from."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# How long a process trusts the version it last read. Writes in this process reset it at
# once (feeds_changed); another process's writes (a second web node, `linkdir import`)
# show within this time. It keeps the hot path free of database round trips.
VERSION_TTL = 1.0
MAX_ENTRIES = 512


RawHeaders = tuple[tuple[bytes, bytes], ...]


@dataclass(frozen=True, slots=True)
class Rendered:
    """A built feed with its response headers, encoded once for every later hit."""

    body: bytes
    etag: str
    updated: datetime | None  # the feed's newest item: Last-Modified (None: not a feed)
    ok_headers: RawHeaders = ()
    not_modified_headers: RawHeaders = ()


class FeedCache:
    """Rendered feed bytes by (feed, version), least recently used dropped first."""

    def __init__(self, version_ttl: float = VERSION_TTL, max_entries: int = MAX_ENTRIES) -> None:
        self.version_ttl = version_ttl
        self.max_entries = max_entries
        self._version: str | None = None
        self._version_read_at = 0.0
        self._entries: OrderedDict[tuple[Any, ...], Rendered] = OrderedDict()

    async def version(self, read: Callable[[], Awaitable[str]]) -> str:
        """The directory version, read again when older than ``version_ttl``."""
        now = time.monotonic()
        if self._version is None or now - self._version_read_at >= self.version_ttl:
            self._version = await read()
            self._version_read_at = now
        return self._version

    def changed(self) -> None:
        """Forget the version: the next request reads it (and so rebuilds what changed)."""
        self._version = None

    def get(self, key: tuple[Any, ...]) -> Rendered | None:
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, key: tuple[Any, ...], value: Rendered) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)


def cache_of(app: Any) -> FeedCache:
    """The app's feed cache, made on first use."""
    cache: FeedCache | None = app.state.get("feed_cache")
    if cache is None:
        cache = FeedCache()
        app.state.feed_cache = cache
    return cache
