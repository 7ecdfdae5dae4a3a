"""Fixtures for import and export: the fixture files and a real links page on loopback."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


class LinksSite:
    """A real HTTP server on 127.0.0.1 answering paths from ``pages``."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, str, bytes]] = {}
        self.hits: list[str] = []  # paths in the order they were asked for
        # A path with a gate answers only once the gate is opened (a slow page).
        self.gates: dict[str, threading.Event] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server convention
                site.hits.append(self.path)
                gate = site.gates.get(self.path)
                if gate is not None:
                    gate.wait(30)
                status, content_type, body = site.pages.get(
                    self.path, (404, "text/html; charset=utf-8", b"<h1>Sidan finns inte</h1>")
                )
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        # Polled every 50 ms: shutdown() waits for the loop to look (0.5 s by default,
        # in every test's teardown).
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def links_site() -> Iterator[LinksSite]:
    site = LinksSite()
    site.pages["/utvecklingsomraden/digital-delaktighet/"] = (
        200,
        "text/html; charset=utf-8",
        fixture_bytes("county_library_links.html"),
    )
    site.pages["/rapport.pdf"] = (200, "application/pdf", b"%PDF-1.4 ...")
    site.thread.start()
    try:
        yield site
    finally:
        for gate in site.gates.values():
            gate.set()
        site.server.shutdown()
        site.server.server_close()
