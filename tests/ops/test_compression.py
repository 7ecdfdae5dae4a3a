"""Response compression: text goes out gzipped to clients that accept it, nothing else changes."""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from linkdir.app import create_app
from tests.conftest import make_resource, make_settings

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

GZIP = {"Accept-Encoding": "gzip"}


async def raw_get(client: Any, path: str, headers: dict[str, str]) -> tuple[Any, bytes]:
    """The answer and its body as it came over the wire (not decoded by the client)."""
    async with client.stream("GET", path, headers=headers) as response:
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
    return response, raw


async def test_pages_go_out_gzipped_and_decode_to_the_same_page(client: Any) -> None:
    response, raw = await raw_get(client, "/", GZIP)
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in response.headers["vary"].lower()
    page = gzip.decompress(raw).decode()
    assert page.rstrip().endswith("</html>") and 'lang="sv"' in page
    assert len(raw) * 2 < len(page.encode())  # a page of markup shrinks by more than half
    plain, plain_raw = await raw_get(client, "/", {"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain_raw.decode().rstrip().endswith("</html>")


async def test_stylesheets_and_api_answers_are_compressed_too(client: Any) -> None:
    css, raw = await raw_get(client, "/static/site.css", GZIP)
    assert css.headers["content-encoding"] == "gzip"
    assert b"{" in gzip.decompress(raw)
    api, raw = await raw_get(client, "/schema/openapi.json", GZIP)
    assert api.status_code == 200
    assert api.headers["content-type"] == "application/vnd.oai.openapi+json"
    assert api.headers["content-encoding"] == "gzip"
    assert gzip.decompress(raw).startswith(b"{")


async def test_a_feed_keeps_its_etag_and_answers_304_when_compressed(
    client: Any, session: Any
) -> None:
    for _ in range(4):  # an empty feed is under the 1 KB threshold
        await make_resource(session)
    first, raw = await raw_get(client, "/feeds/new.atom", GZIP)
    assert first.status_code == 200
    assert gzip.decompress(raw).startswith(b"<?xml")
    etag = first.headers["etag"]
    again, body = await raw_get(client, "/feeds/new.atom", {**GZIP, "If-None-Match": etag})
    assert again.status_code == 304
    assert body == b""


async def test_images_and_small_answers_pass_unchanged(database_url: str, tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    image = b"\x89PNG\r\n\x1a\n" + os.urandom(4096)  # large enough to be compressed if it were text
    logo.write_bytes(image)
    settings = make_settings(database_url, site_logo=str(logo))
    async with AsyncTestClient(app=create_app(settings), base_url="http://testserver.local") as c:
        served, raw = await raw_get(c, "/logo", GZIP)
        assert served.status_code == 200
        assert "content-encoding" not in served.headers
        assert raw == image
        health, raw = await raw_get(c, "/health/live", GZIP)
        assert health.status_code == 200
        assert "content-encoding" not in health.headers  # under 1 KB: not worth a header
        assert raw.startswith(b"{")
