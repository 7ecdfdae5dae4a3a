"""The host a URL is checked under, and the shard a host goes to.

Kept apart from ``fetch`` so the recording process (``checks.engine_process``) can split
hosts between checking processes without importing the HTTP clients.
"""

from __future__ import annotations

import zlib
from urllib.parse import urlsplit


def host_key(raw: str) -> str | None:
    """The host a URL is scheduled under (cheap; the check itself parses properly)."""
    try:
        host = urlsplit(raw.strip()).hostname
    except ValueError:
        return None
    return host.lower() if host else None


def shard_of(url: str, shards: int) -> int:
    """Which of ``shards`` processes checks ``url``: every URL of a host goes to one."""
    return zlib.crc32((host_key(url) or "").encode()) % shards
