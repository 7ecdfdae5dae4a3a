"""Real HTTP(S) servers on loopback for the checker's tests.

Every site is a tiny HTTP/1.1 server on its own address in 127.0.0.0/8 (so the checker
sees different hosts), running in a background thread's event loop. Names such as
``parked.test`` reach them through the engine's injectable resolver. Servers count open
connections per address themselves, so per-host politeness is measured where it
matters: at the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import inspect
import itertools
import ssl
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import trustme

from linkdir.checker import Checker, EngineConfig
from linkdir.checker.netguard import StaticResolver


@dataclass
class Request:
    method: str
    target: str
    path: str
    headers: dict[str, str]
    at: float


@dataclass
class Reply:
    status: int = 200
    body: bytes | Callable[[], AsyncIterator[bytes]] = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str | None = "text/html; charset=utf-8"
    chunked: bool = False
    delay: float = 0.0
    length: int | None = None  # Content-Length to announce for a streamed body


@dataclass
class Raw:
    """Full control of the socket: ``fn(request, reader, writer)``; True keeps it open."""

    fn: Callable[[Request, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[bool]]


Route = Reply | Raw | Callable[[Request], Any]

REASONS = {
    200: "OK", 301: "Moved Permanently", 302: "Found", 303: "See Other", 304: "Not Modified",
    307: "Temporary Redirect", 308: "Permanent Redirect", 401: "Unauthorized",
    403: "Forbidden", 404: "Not Found", 410: "Gone", 429: "Too Many Requests",
    500: "Internal Server Error", 503: "Service Unavailable", 999: "Request denied",
}  # fmt: skip


@dataclass
class Counter:
    open: int = 0
    max_open: int = 0
    connections: int = 0

    def opened(self) -> None:
        self.open += 1
        self.connections += 1
        self.max_open = max(self.max_open, self.open)

    def closed(self) -> None:
        self.open -= 1


class Site:
    """One loopback server: its routes, its request log, its connection counter."""

    def __init__(self, web: Web, name: str, ip: str, routes: dict[str, Route], tls: str | None):
        self.web = web
        self.name = name
        self.ip = ip
        self.routes = dict(routes)
        self.tls = tls
        self.requests: list[Request] = []
        self.port = 0
        self.counter = web.counter(ip)
        self.server: asyncio.AbstractServer | None = None
        self.fallback: Route | None = None  # answers every path not in routes
        self.writers: set[asyncio.StreamWriter] = set()  # connections open now

    @property
    def origin(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.name}:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.origin + path

    def hits(self, path: str | None = None, method: str | None = None) -> list[Request]:
        return [
            r
            for r in self.requests
            if (path is None or r.path == path) and (method is None or r.method == method)
        ]

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.counter.opened()
        self.writers.add(writer)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
                    return
                except ssl.SSLError:
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, target, _version = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                request = Request(method, target, target.split("?", 1)[0], headers, time.time())
                self.requests.append(request)
                route = self.routes.get(request.path) or self.routes.get(target) or self.fallback
                if route is None:
                    route = Reply(404, b"<html><title>Not Found</title><h1>Not Found</h1></html>")
                if isinstance(route, Raw):
                    if not await route.fn(request, reader, writer):
                        return
                    continue
                reply = route(request) if callable(route) else route
                if inspect.isawaitable(reply):
                    reply = await reply
                if isinstance(reply, Raw):
                    if not await reply.fn(request, reader, writer):
                        return
                    continue
                await self.send(writer, request, reply)
                if headers.get("connection", "").lower() == "close":
                    return
        except (ConnectionError, ssl.SSLError, OSError):
            return
        finally:
            self.counter.closed()
            self.writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()

    async def send(self, writer: asyncio.StreamWriter, request: Request, reply: Reply) -> None:
        if reply.delay:
            await asyncio.sleep(reply.delay)
        lines = [f"HTTP/1.1 {reply.status} {REASONS.get(reply.status, 'Whatever')}"]
        headers = list(reply.headers)
        if reply.content_type and not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", reply.content_type))
        streamed = callable(reply.body)
        if reply.chunked or (streamed and reply.length is None):
            headers.append(("Transfer-Encoding", "chunked"))
        elif streamed:
            headers.append(("Content-Length", str(reply.length)))
        else:
            assert isinstance(reply.body, bytes)
            headers.append(("Content-Length", str(len(reply.body))))
        lines += [f"{k}: {v}" for k, v in headers]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8"))
        if request.method == "HEAD" or reply.status == 304:
            await writer.drain()
            return
        chunked = reply.chunked or (streamed and reply.length is None)
        if streamed:
            assert callable(reply.body)
            async for chunk in reply.body():
                writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
                await writer.drain()
            if chunked:
                writer.write(b"0\r\n\r\n")
        elif chunked:
            assert isinstance(reply.body, bytes)
            for start in range(0, len(reply.body), 7):
                piece = reply.body[start : start + 7]
                writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            writer.write(b"0\r\n\r\n")
        else:
            assert isinstance(reply.body, bytes)
            writer.write(reply.body)
        await writer.drain()


class Web:
    """Starts loopback sites and builds checkers that can reach them."""

    def __init__(self, loop: asyncio.AbstractEventLoop, certs: Certs) -> None:
        self.loop = loop
        self.certs = certs
        self.resolver = StaticResolver({})
        self.sites: list[Site] = []
        self._counters: dict[str, Counter] = {}
        self._ips = (f"127.0.{b}.{c}" for b in itertools.count(2) for c in range(2, 255))

    def counter(self, ip: str) -> Counter:
        return self._counters.setdefault(ip, Counter())

    def site(
        self,
        name: str,
        routes: dict[str, Route] | None = None,
        *,
        tls: str | None = None,
        ip: str | None = None,
        fallback: Route | None = None,
        port: int = 0,
    ) -> Site:
        """A server for ``name`` (``tls``: valid, expired, untrusted, wrong_name).

        ``port``: listen on this port number (on this site's own address), e.g. the same
        number as another site's, so a dial to ``ip:that_port`` reaches this server.
        """
        ip = ip or next(self._ips)
        self.resolver.add(name, ip)
        site = Site(self, name, ip, routes or {}, tls)
        site.fallback = fallback
        context = self.certs.server_context(tls, name) if tls else None

        async def start() -> asyncio.AbstractServer:
            return await asyncio.start_server(site.handle, ip, port, ssl=context, backlog=128)

        site.server = asyncio.run_coroutine_threadsafe(start(), self.loop).result(5)
        site.port = site.server.sockets[0].getsockname()[1]
        self.sites.append(site)
        return site

    def config(self, **overrides: Any) -> EngineConfig:
        values: dict[str, Any] = {
            "allow_networks": ("127.0.0.0/8",),
            "resolver": self.resolver,
            "timeout": 6.0,
            "connect_timeout": 1.0,
            "read_timeout": 1.5,
            "retry_backoff": 0.05,
            "retry_after_max": 3.0,
            "extra_ca_file": self.certs.ca_file,
            "user_agent": "linkdir/test (+http://linkdir.test; link checker)",
        }
        values.update(overrides)
        return EngineConfig(**values)

    def checker(self, **overrides: Any) -> Checker:
        return Checker(self.config(**overrides))

    async def check(self, url: str, **overrides: Any) -> Any:
        async with self.checker(**overrides) as checker:
            return await checker.check(url)

    def close(self) -> None:
        async def stop() -> None:
            for site in self.sites:
                if site.server is not None:
                    site.server.close()
                # Keep-alive connections still open (Server.close_clients is Python 3.13+).
                for writer in list(site.writers):
                    with contextlib.suppress(Exception):
                        writer.close()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(5)

    # Reply helpers, so tests need not import from conftest.
    Reply = Reply
    Raw = Raw

    @staticmethod
    def html(body: str, status: int = 200, **kwargs: Any) -> Reply:
        return Reply(status, body.encode("utf-8"), **kwargs)

    @staticmethod
    def redirect(location: str, status: int = 301, **kwargs: Any) -> Reply:
        headers = [("Location", location), *kwargs.pop("headers", [])]
        return Reply(status, b"", headers=headers, content_type=None, **kwargs)


class Certs:
    """A CA the checker trusts (via extra_ca_file) and one it does not."""

    def __init__(self, directory: Any) -> None:
        self.ca = trustme.CA()
        self.rogue = trustme.CA()
        self.ca_file = str(directory / "ca.pem")
        self.ca.cert_pem.write_to_path(self.ca_file)

    def server_context(self, kind: str, name: str) -> ssl.SSLContext:
        now = dt.datetime.now(dt.UTC)
        if kind == "valid":
            cert = self.ca.issue_cert(name)
        elif kind == "expired":
            cert = self.ca.issue_cert(
                name,
                not_before=now - dt.timedelta(days=400),
                not_after=now - dt.timedelta(days=30),
            )
        elif kind == "untrusted":
            cert = self.rogue.issue_cert(name)
        elif kind == "wrong_name":
            cert = self.ca.issue_cert("someone-else.test")
        else:
            raise ValueError(kind)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(context)
        return context


@pytest.fixture(scope="session")
def server_loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(lambda _loop, _context: None)  # handshake noise
    thread = threading.Thread(target=loop.run_forever, name="loopback-servers", daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return Certs(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def web(server_loop: asyncio.AbstractEventLoop, certs: Certs) -> Iterator[Web]:
    web = Web(server_loop, certs)
    yield web
    web.close()
