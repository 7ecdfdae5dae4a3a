"""Feed fixtures: an app whose feed cache rereads the directory version on every request,
a feed reader (feedparser), the RFC 4287 schema, and a real local WebSub hub."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import feedparser
import pytest
from litestar.testing import AsyncTestClient
from lxml import etree

from linkdir.app import create_app
from linkdir.config import Settings
from linkdir.feeds.cache import FeedCache
from tests.linkdir_cli import listening_socket

Client = AsyncTestClient[Any]
SCHEMA = Path(__file__).parent / "atom.rng"


@asynccontextmanager
async def feed_client(settings: Settings, app: Any = None) -> AsyncIterator[Client]:
    """A client of ``app`` (default: a new app of ``settings``) whose feed cache rereads
    the directory version on every request."""
    async with AsyncTestClient(
        app=app or create_app(settings), base_url="http://testserver.local"
    ) as c:
        # Tests write through their own session, not this app: never trust a remembered
        # version. Set once the lifespan has started, which begins from empty state.
        c.app.state.feed_cache = FeedCache(version_ttl=0)
        yield c


@pytest.fixture
async def client(settings: Settings, shared_app: Any) -> AsyncIterator[Client]:
    async with feed_client(settings, shared_app(settings)) as c:
        yield c


async def read_feed(client: Client, path: str, **headers: str) -> Any:
    """The feed at ``path`` as a real reader sees it; it must parse cleanly."""
    response = await client.get(path, headers=headers)
    assert response.status_code == 200, (path, response.status_code, response.text[:500])
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, (path, parsed.get("bozo_exception"))
    parsed["response"] = response
    return parsed


@pytest.fixture(scope="session")
def atom_schema() -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(str(SCHEMA)))


def assert_valid_atom(schema: etree.RelaxNG, body: bytes) -> None:
    """RFC 4287: the RELAX NG grammar plus the rules its Schematron part states."""
    document = etree.fromstring(body)
    assert schema.validate(document), schema.error_log
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = document.findall("a:entry", ns)
    if not document.findall("a:author", ns):
        assert all(entry.findall("a:author", ns) for entry in entries)
    for element in [document, *entries]:
        alternates = [
            (link.get("type"), link.get("hreflang"))
            for link in element.findall("a:link", ns)
            if link.get("rel", "alternate") == "alternate"
        ]
        assert len(alternates) == len(set(alternates)), alternates
    for entry in entries:
        has_content = entry.find("a:content", ns) is not None
        assert has_content or any(
            link.get("rel", "alternate") == "alternate" for link in entry.findall("a:link", ns)
        )


class Hub:
    """A WebSub hub on loopback that records publish pings and can fail on purpose.

    On ``listening`` (a socket bound and listening, kept by the caller) when given, so
    every test's hub can have the same address; otherwise on a port of its own.
    """

    def __init__(self, listening: socket.socket | None = None) -> None:
        self.pings: list[dict[str, list[str]]] = []
        self.failures_left = 0
        self.failure_status = 503  # what a failing answer is (4xx: the request is refused)
        self.attempts = 0  # every publish request, failed or not
        self.lock = threading.Lock()
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                with hub.lock:
                    hub.attempts += 1
                    if hub.failures_left > 0:
                        hub.failures_left -= 1
                        status = hub.failure_status
                    else:
                        hub.pings.append(
                            {**form, "content-type": [self.headers.get("Content-Type", "")]}
                        )
                        status = 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        if listening is None:
            self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        else:
            address = listening.getsockname()
            self.server = ThreadingHTTPServer(address, Handler, bind_and_activate=False)
            self.server.socket.close()
            # A descriptor of its own for the same socket: closing this hub leaves it open.
            self.server.socket = listening.dup()
            self.server.server_address = address
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hub"
        # Polled every 50 ms: shutdown() waits for the loop to look (0.5 s by default,
        # in every test's teardown).
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def urls(self) -> set[str]:
        with self.lock:
            return {url for ping in self.pings for url in ping.get("hub.url", [])}

    async def wait_for(self, url: str, timeout: float = 10.0) -> None:
        for _ in range(int(timeout / 0.05)):
            if url in self.urls():
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"the hub never heard of {url}; it got {sorted(self.urls())}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def hub_socket() -> Iterator[socket.socket]:
    """One address for every test's hub on this worker: the same hub URL test after test
    makes the same settings, so their app is built once (``shared_app``)."""
    listening = listening_socket()
    yield listening
    listening.close()


@pytest.fixture
def hub(hub_socket: socket.socket) -> Iterator[Hub]:
    """A hub that has heard nothing yet, at this worker's hub address."""
    running = Hub(hub_socket)
    yield running
    running.close()
