"""HTTP plumbing of the checker: aiohttp, per-host politeness, bounded bodies.

Why aiohttp: on the 100-host benchmark farm httpx's own connection pool was the
bottleneck (60-150 links/s); aiohttp's does more than ten times that. The checker's GETs
go straight to the aiohttp session (httpx's request/response objects on top cost a
sizeable share of the CPU per link); an httpx client on the same guarded session (the
``httpx-aiohttp`` transport) is kept for ad-hoc requests, and httpx's URL and headers
types remain what the rest of linkdir sees.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import random
import ssl
import time
import zlib
from collections import deque
from collections.abc import Collection
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import aiohttp
import certifi
import httpx
from aiohttp.client_proto import ResponseHandler
from aiohttp.client_reqrep import ClientRequest
from aiohttp.tracing import Trace
from httpx_aiohttp import AiohttpTransport

from linkdir.checker.netguard import (
    AddressGuard,
    BlockedAddressError,
    GuardedResolver,
    NameResolutionError,
)

# --------------------------------------------------------------------------- politeness


@dataclass(slots=True)
class _HostState:
    active: int = 0
    not_before: float = 0.0
    serial: bool = False
    waiters: deque[asyncio.Future[None]] = field(default_factory=deque)


class HostLimiter:
    """At most ``per_host`` exchanges per host at once; a host that pushes back is slowed.

    After a 429/503 the whole host waits until ``Retry-After`` (or the backoff) has passed
    and is then served one request at a time until it answers normally again, so one
    check's retry does not turn into the other checks' stampede.
    """

    def __init__(self, per_host: int) -> None:
        self._per_host = per_host
        self._hosts: dict[str, _HostState] = {}

    def __len__(self) -> int:
        return len(self._hosts)

    def slow_down(self, host: str, delay: float) -> None:
        state = self._hosts.setdefault(host, _HostState())
        state.not_before = max(state.not_before, time.monotonic() + delay)
        state.serial = True

    def held_back(self, host: str) -> float:
        """Seconds ``host`` is still left alone after it pushed back (0: it is not)."""
        state = self._hosts.get(host)
        return 0.0 if state is None else max(0.0, state.not_before - time.monotonic())

    def recovered(self, host: str) -> None:
        state = self._hosts.get(host)
        if state is not None and state.serial:
            state.serial = False
            for _ in range(self._per_host):
                self._wake(state)

    def try_acquire(self, host: str) -> bool:
        """Take a slot if one is free right now, without waiting."""
        state = self._hosts.get(host)
        if state is None:
            self._hosts[host] = _HostState(active=1)
            return True
        if (
            state.not_before <= time.monotonic()
            and not state.waiters
            and state.active < (1 if state.serial else self._per_host)
        ):
            state.active += 1
            return True
        return False

    async def acquire(self, host: str) -> float:
        """Take one of the host's slots; returns the seconds spent queueing behind others.

        Time spent waiting out the host's Retry-After is not included: that belongs to
        the check's deadline, while queueing behind other checks does not.
        """
        state = self._hosts.setdefault(host, _HostState())
        loop = asyncio.get_running_loop()
        queued = 0.0
        while True:
            delay = state.not_before - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
                continue
            if state.active < (1 if state.serial else self._per_host):
                state.active += 1
                return queued
            waiter: asyncio.Future[None] = loop.create_future()
            state.waiters.append(waiter)
            started = time.monotonic()
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._wake(state)  # pass on a wake-up this task can no longer use
                raise
            finally:
                queued += time.monotonic() - started
                with contextlib.suppress(ValueError):
                    state.waiters.remove(waiter)

    def release(self, host: str) -> None:
        state = self._hosts.get(host)
        if state is None:
            return
        state.active -= 1
        self._wake(state)
        if (
            state.active <= 0
            and not state.waiters
            and not state.serial
            and state.not_before <= time.monotonic()
        ):
            del self._hosts[host]

    @staticmethod
    def _wake(state: _HostState) -> None:
        for waiter in state.waiters:
            if not waiter.done():
                waiter.set_result(None)
                return


CLOSE_GRACE = 0.05  # seconds a closed socket may still count as open at the server


class PoliteConnector(aiohttp.TCPConnector):
    """TCPConnector that never has more than ``per_host`` sockets open to one host name.

    aiohttp counts its per-host limit per (scheme, host, port) and only for connections in
    use; an idle keep-alive socket left from an ``http://`` hop still occupies the server
    while the ``https://`` hop opens another. Before opening a socket this connector closes
    idle ones to the same host (and waits for them to close) whenever the budget is spent,
    and it trims idle sockets overall so 100,000 URLs on many hosts cannot exhaust file
    descriptors.
    """

    def __init__(self, *, guard: AddressGuard, per_host: int, max_open: int, **kwargs: Any) -> None:
        super().__init__(resolver=GuardedResolver(guard), **kwargs)
        self._guard = guard
        self._budget_per_host = per_host
        self._max_open = max_open
        self._open_by_host: dict[str, set[ResponseHandler]] = {}
        self._closed_at: dict[str, deque[float]] = {}
        self._opening: dict[str, int] = {}
        self._open_total = 0

    async def _create_connection(
        self, req: ClientRequest, traces: list[Trace], timeout: aiohttp.ClientTimeout
    ) -> ResponseHandler:
        host = (req.url.raw_host or "").lower()
        # aiohttp skips the resolver for IP literals, so they are vetted here: nothing
        # reaches a socket, through the checker or its public client, unvetted.
        self._guard.vet_literal(host)
        await self._make_room(host)
        # Count the socket from now on: a second connection to the same host created
        # while this one is still in its handshake must see it.
        self._opening[host] = self._opening.get(host, 0) + 1
        try:
            proto = await super()._create_connection(req, traces, timeout)
        finally:
            self._opening[host] -= 1
            if not self._opening[host]:
                del self._opening[host]
        closed = proto.closed
        if closed is not None and not closed.done():
            self._open_by_host.setdefault(host, set()).add(proto)
            self._open_total += 1
            closed.add_done_callback(lambda done: self._forget(host, proto, done))
        return proto

    def _forget(self, host: str, proto: ResponseHandler, done: asyncio.Future[None]) -> None:
        if not done.cancelled():
            done.exception()  # a reset while idle is no error of anyone's
        protos = self._open_by_host.get(host)
        if protos is not None and proto in protos:
            protos.discard(proto)
            self._open_total -= 1
            if not protos:
                del self._open_by_host[host]
            now = time.monotonic()
            self._closed_at.setdefault(host, deque(maxlen=self._budget_per_host)).append(now)
            if len(self._closed_at) > 4 * self._max_open:
                for name in [n for n, when in self._closed_at.items() if now - when[-1] > 1]:
                    del self._closed_at[name]

    async def close_idle_to(self, hosts: Collection[str]) -> None:
        """Close every idle socket to ``hosts`` and wait (briefly) until they are closed."""
        closing = self._close_idle(lambda key: (key.host or "").lower() in hosts, limit=1 << 30)
        if closing:
            with contextlib.suppress(Exception):
                await asyncio.wait(closing, timeout=1.0)

    def _count(self, host: str) -> int:
        return len(self._open_by_host.get(host, ())) + self._opening.get(host, 0)

    async def _make_room(self, host: str) -> None:
        if self._open_total >= self._max_open:
            self._close_idle(lambda _key: True, limit=max(1, self._open_total - self._max_open + 1))
        while True:
            now = time.monotonic()
            # A socket we just closed is still open for the server until it has read
            # our FIN: it counts for a moment, so the server never sees one too many.
            recent = [t for t in self._closed_at.get(host, ()) if now - t < CLOSE_GRACE]
            if self._count(host) + len(recent) < self._budget_per_host:
                return
            if self._count(host) < self._budget_per_host:
                await asyncio.sleep(CLOSE_GRACE - (now - min(recent)))
                continue
            closing = self._close_idle(lambda key: key.host.lower() == host, limit=1)
            if closing:
                with contextlib.suppress(Exception):
                    await asyncio.wait(closing, timeout=1.0)
            else:
                # Every socket to this host is in use or mid-release; poll briefly. The
                # host limiter upstream makes this rare (a hop between schemes or ports).
                await asyncio.sleep(0.01)

    def _close_idle(self, wanted: Any, *, limit: int) -> list[asyncio.Future[None]]:
        closing: list[asyncio.Future[None]] = []
        conns = self._conns
        for key in list(conns):
            if len(closing) >= limit:
                break
            if not wanted(key):
                continue
            queue = conns[key]
            while queue and len(closing) < limit:
                proto, _since = queue.popleft()
                closed = proto.closed
                proto.close()
                if closed is not None:
                    closing.append(closed)
            if not queue:
                del conns[key]
        return closing


@functools.lru_cache(maxsize=8)
def ssl_context(extra_ca_file: str | None = None) -> ssl.SSLContext:
    """Verifying TLS context: certifi's roots, plus an extra bundle (tests use one).

    Built once per bundle and shared: loading the roots costs ~28 ms of CPU, and a worker
    opens a client for every host batch (issue 18: a third of its CPU per link).
    """
    context = ssl.create_default_context(cafile=certifi.where())
    if extra_ca_file:
        context.load_verify_locations(cafile=extra_ca_file)
    return context


def build_client(
    *,
    guard: AddressGuard,
    per_host: int,
    concurrency: int,
    headers: dict[str, str],
    extra_ca_file: str | None,
) -> tuple[httpx.AsyncClient, aiohttp.ClientSession]:
    """An aiohttp session whose connector dials only vetted addresses, and an httpx client on it.

    The checker sends its GETs through the session directly: the httpx layers (the
    client's auth, redirects, cookie jar and hooks; the transport's request and response
    objects) are work the checker does itself or does not need. Both share the one
    :class:`PoliteConnector`, so every connection either makes is vetted and counted.
    """
    context = ssl_context(extra_ca_file)
    connector = PoliteConnector(
        guard=guard,
        per_host=per_host,
        max_open=max(64, concurrency * 2),
        ssl=context,
        limit=0,
        limit_per_host=per_host,
        keepalive_timeout=10.0,
        ttl_dns_cache=30,
        enable_cleanup_closed=False,
    )
    session = aiohttp.ClientSession(
        connector=connector,
        auto_decompress=False,  # we inflate ourselves, with a cap
        cookie_jar=aiohttp.DummyCookieJar(),  # cookies live in one check, not the session
        trust_env=False,
        skip_auto_headers=("User-Agent",),
    )
    # aiohttp silently resends an idempotent request once after a reset; our retries
    # are explicit (with backoff and a host slow-down), so a reset must reach them.
    if hasattr(session, "_retry_connection"):
        session._retry_connection = False
    # The transport builds a context of its own unless given one (unused: the session dials).
    transport = AiohttpTransport(client=session, verify=context)
    client = httpx.AsyncClient(
        transport=transport,
        headers=headers,
        follow_redirects=False,
        cookies=_refusing_cookies(),
        trust_env=False,
    )
    return client, session


def _refusing_cookies() -> CookieJar:
    """A client-wide jar that stores nothing: each check keeps its own cookies.

    (A bare CookieJar, not httpx.Cookies: httpx copies the latter into a default jar.)
    """
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


# --------------------------------------------------------------------------- bodies


class BodyTooBig(Exception):
    """Internal marker: the cap was reached."""


@dataclass(slots=True)
class Body:
    """A bounded prefix of a response body, decoded from gzip/deflate with a cap."""

    data: bytes
    complete: bool  # the whole body fit under the cap
    decodable: bool  # False for an encoding we do not inflate (br, zstd, ...)
    error: str | None = None  # the connection broke mid-body


class _Inflater:
    """zlib with ``max_length``: a 10 KB gzip of 10 GB of zeros yields only the cap."""

    def __init__(self, encoding: str) -> None:
        self._raw_deflate = False
        self._decoder = zlib.decompressobj(
            16 + zlib.MAX_WBITS if encoding in ("gzip", "x-gzip") else zlib.MAX_WBITS
        )
        self._encoding = encoding
        self._started = False

    def feed(self, chunk: bytes, room: int) -> tuple[bytes, bool]:
        """Inflate ``chunk`` into at most ``room`` bytes; True when input was left over."""
        if room <= 0:
            return b"", True
        try:
            data = self._decoder.decompress(chunk, room)
        except zlib.error:
            if self._encoding == "deflate" and not self._started and not self._raw_deflate:
                # "deflate" is sometimes sent without the zlib wrapper (old IIS).
                self._raw_deflate = True
                self._decoder = zlib.decompressobj(-zlib.MAX_WBITS)
                data = self._decoder.decompress(chunk, room)
            else:
                raise
        self._started = True
        return data, bool(self._decoder.unconsumed_tail)


async def read_body(response: aiohttp.ClientResponse, *, limit: int, seconds: float) -> Body:
    """Read at most ``limit`` decoded bytes of ``response`` within ``seconds``.

    What arrived before the time ran out or the connection broke is kept: a person
    would see that much of the page too.
    """
    parts: list[bytes] = []
    try:
        async with asyncio.timeout(seconds):
            return await _read_into(parts, response, limit)
    except TimeoutError:
        return Body(b"".join(parts), complete=False, decodable=True, error="timeout")


async def _read_into(parts: list[bytes], response: aiohttp.ClientResponse, limit: int) -> Body:
    encoding = response.headers.get("content-encoding", "").strip().lower()
    inflater: _Inflater | None = None
    if encoding in ("gzip", "x-gzip", "deflate"):
        inflater = _Inflater(encoding)
    elif encoding not in ("", "identity"):
        return Body(b"", complete=False, decodable=False)
    size = 0
    try:
        # The raw bytes as they arrive (``auto_decompress`` is off on the session).
        async for chunk in response.content.iter_any():
            if inflater is None:
                parts.append(chunk[: limit - size])
                size += len(parts[-1])
                if size >= limit:
                    return Body(b"".join(parts), complete=False, decodable=True)
                continue
            data, left_over = inflater.feed(chunk, limit - size)
            parts.append(data)
            size += len(data)
            if size >= limit or left_over:
                return Body(b"".join(parts), complete=False, decodable=True)
    except zlib.error:
        return Body(b"".join(parts), complete=False, decodable=False, error="bad_encoding")
    except (httpx.TransportError, aiohttp.ClientError, OSError) as error:
        return Body(b"".join(parts), complete=False, decodable=True, error=classify_error(error)[0])
    return Body(b"".join(parts), complete=True, decodable=True)


# --------------------------------------------------------------------------- errors


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen and len(seen) < 12:
        seen.append(current)
        nested = (
            getattr(current, "os_error", None) if isinstance(current, aiohttp.ClientError) else None
        )
        current = current.__cause__ or nested or current.__context__
    return seen


def classify_error(error: BaseException) -> tuple[str, str, bool]:
    """(reason, human detail, worth retrying) for an exception raised by a request."""
    # Root causes first: httpx-aiohttp maps some aiohttp errors onto misleading httpx
    # classes (a server disconnect becomes ConnectTimeout), so the wrappers come last.
    chain = sorted(_chain(error), key=lambda item: isinstance(item, httpx.HTTPError))
    for item in chain:
        if isinstance(item, BlockedAddressError):
            return "blocked_address", str(item), False
        if isinstance(item, NameResolutionError):
            return "dns", str(item), False
    for item in chain:
        if isinstance(item, aiohttp.ClientConnectorCertificateError):
            cert_error = item.certificate_error
            detail = getattr(cert_error, "verify_message", None) or str(cert_error)
            return "tls", f"certificate not valid: {detail}", False
        if isinstance(item, ssl.SSLCertVerificationError):
            return "tls", f"certificate not valid: {item.verify_message or item}", False
        if isinstance(item, aiohttp.ClientConnectorSSLError | ssl.SSLError):
            return "tls", f"TLS handshake failed: {item}", False
    for item in chain:
        if isinstance(item, ConnectionRefusedError) or (
            isinstance(item, OSError) and item.errno == errno.ECONNREFUSED
        ):
            return "refused", "connection refused", False
        if isinstance(item, httpx.ConnectTimeout | aiohttp.ConnectionTimeoutError):
            return "timeout", "connect timed out", True
        if isinstance(item, httpx.ReadTimeout | aiohttp.SocketTimeoutError):
            return "timeout", "no answer in time", True
        if isinstance(item, TimeoutError | asyncio.TimeoutError):
            return "timeout", "timed out", True
        if isinstance(
            item,
            aiohttp.ServerDisconnectedError
            | ConnectionResetError
            | ConnectionAbortedError
            | BrokenPipeError,
        ) or (isinstance(item, OSError) and item.errno in (errno.ECONNRESET, errno.EPIPE)):
            return "reset", "connection closed or reset by the server", True
        if isinstance(item, aiohttp.ClientResponseError):
            return "protocol_error", f"malformed HTTP answer: {item.message}", True
        if isinstance(item, aiohttp.ClientPayloadError):
            return "reset", f"body cut short: {item}", True
    for item in chain:
        if isinstance(item, OSError) and item.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return "unreachable", str(item), True
    for item in chain:
        if isinstance(item, httpx.UnsupportedProtocol | httpx.InvalidURL):
            return "invalid_url", str(item), False
        if isinstance(item, aiohttp.InvalidURL):
            return "invalid_url", str(item), False
    for item in chain:
        if isinstance(item, httpx.TimeoutException):
            return "timeout", "timed out", True
        if isinstance(item, httpx.TransportError):
            return "reset", str(item) or type(item).__name__, True
    first = chain[0]
    return "error", f"{type(first).__name__}: {first}", False


def backoff(attempt: int, *, base: float, cap: float) -> float:
    """Exponential backoff with jitter for retry ``attempt`` (0 = first retry)."""
    delay: float = min(cap, base * (2**attempt))
    return float(delay * random.uniform(0.75, 1.25))
