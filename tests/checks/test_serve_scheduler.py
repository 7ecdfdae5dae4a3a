"""`linkdir serve` checks links by itself (the embedded default, DESIGN §5)."""

from __future__ import annotations

import asyncio
import http.server
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.conftest import TEST_SECRET
from tests.linkdir_cli import start_serve

from linkdir.db import create_engine, session_factory, upgrade
from linkdir.resources import service
from linkdir.resources.models import Resource


class Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        if self.path != "/rapport":
            self.send_error(404)
            return
        body = (
            b"<html><head><title>Digital delaktighet</title></head><body><main>"
            b"<h1>Rapport</h1><p>Om bibliotekens arbete med digital delaktighet.</p>"
            b"</main></body></html>"
        )
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/rapport"
    server.shutdown()
    server.server_close()


async def _add(database_url: str, url: str) -> int:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            resource = await service.create_resource(
                session,
                {"url": url, "title": "Rapport", "state": "published"},
                by=service.Actor("tests"),
                allow_networks=("127.0.0.0/8",),
            )
            await session.commit()
            assert resource.id is not None
            return resource.id
    finally:
        await engine.dispose()


async def _status(database_url: str, resource_id: int) -> str:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            resource = await session.get(Resource, resource_id)
            assert resource is not None
            return resource.link_status
    finally:
        await engine.dispose()


def test_serve_runs_the_check_schedule_in_process(tmp_path: Path, site: str) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path}/linkdir.db"
    upgrade(database_url)
    resource_id = asyncio.run(_add(database_url, site))
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKDIR_")}
    env.update(
        LINKDIR_DATABASE_URL=database_url,
        LINKDIR_SECRET_KEY=TEST_SECRET,
        LINKDIR_CHECKER_ALLOW_NETWORKS="127.0.0.0/8",
    )
    served = start_serve(env, tmp_path / "serve.log")
    try:
        deadline = time.monotonic() + 90
        status = "unchecked"
        while time.monotonic() < deadline:
            status = asyncio.run(_status(database_url, resource_id))
            if status != "unchecked":
                break
            time.sleep(0.5)
        assert status == "ok", (tmp_path / "serve.log").read_text()
        assert httpx.get(f"{served.base}/health").status_code == 200
    finally:
        served.stop(timeout=30)
    assert "Traceback" not in (tmp_path / "serve.log").read_text()
