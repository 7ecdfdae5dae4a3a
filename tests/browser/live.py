"""A real linkdir, seen from the outside: ``linkdir serve`` in a subprocess on a free port.

The directory is seeded through the service functions (as the CLI would), and every link
points at a loopback site whose pages work, break, move, need a login or are years old, so
``check --all`` gives the link report something in every tab. The site also answers the
Internet Archive's availability API, so the ``use_archive`` fix finds a copy.

Two ways to get there. ``LiveLinkdir(workdir)`` does it all per server the way an operator
would: accounts, the token and ``check --all`` through the real ``linkdir`` commands (the
API fuzz test and ``tests/browser/test_flows.py`` use this path). ``seed_database`` does the
same once in-process (``upgrade``, the service functions, the auth service, ``run_cycle`` —
what those commands call) into a SQLite file, and ``LiveLinkdir(workdir, seeded=...)``
serves a copy of it: the browser tests seed once per xdist worker and copy the file for
each module that changes the directory. Only ``linkdir serve`` is a process then.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from linkdir.auth.service import create_token, create_user
from linkdir.checks.jobs import run_cycle
from linkdir.config import Settings
from linkdir.db import create_engine, session_factory, upgrade
from linkdir.resources import service
from tests.conftest import PG_URL, TEST_SECRET
from tests.linkdir_cli import Served, listening_socket, start_serve

# The ``linkdir`` command of the Python running the tests (its venv), else the one on PATH.
LINKDIR = shutil.which("linkdir", path=os.path.dirname(sys.executable)) or shutil.which(
    "linkdir"
) or "linkdir"  # fmt: skip

PASSWORD = "korrekt häst batteri häfta"
ADMIN = "admin@bibliotek.example.se"
EDITOR = "redaktor@bibliotek.example.se"


def unknown_address() -> str:
    """A fresh address for a failed sign-in: no account's failures (and the growing delay
    before each answer, then the lock-out) add up on a server many tests share."""
    return f"ingen-{uuid.uuid4().hex[:10]}@bibliotek.example.se"


_PAGE = (
    "<!doctype html><html lang='sv'><head><title>{title}</title></head><body><main>"
    "<h1>{title}</h1><p>{text}</p></main></body></html>"
)


class _LinkSiteHandler(http.server.BaseHTTPRequestHandler):
    """The pages the directory links to; ``server.moved`` etc. decide what each answers."""

    server: LinkSiteServer

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        path = urlsplit(self.path).path
        if path == "/wayback/available":
            url = parse_qs(urlsplit(self.path).query).get("url", [""])[0]
            snapshot = f"http://web.archive.org/web/20200101000000/{url}"
            body = {"archived_snapshots": {"closest": {"available": True, "url": snapshot,
                                                      "timestamp": "20200101000000",
                                                      "status": "200"}}}  # fmt: skip
            self._send(200, json.dumps(body).encode(), "application/json")
        elif path in self.server.pages:
            title, text = self.server.pages[path]
            self._send(200, _PAGE.format(title=title, text=text).encode())
        elif path in self.server.moved:
            self.send_response(301)
            self.send_header("Location", self.server.moved[path])
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path in self.server.login:
            self._send(401, b"<html><title>Logga in</title><h1>Logga in</h1></html>")
        else:
            self._send(404, b"<html><title>Hittades inte</title><h1>Hittades inte</h1></html>")

    def _send(self, status: int, body: bytes, kind: str = "text/html; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class LinkSiteServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _LinkSiteHandler)
        self.pages: dict[str, tuple[str, str]] = {
            "/rapport": ("Rapport", "Om bibliotekens arbete med digital delaktighet."),
            "/ny-plats": ("Handledning", "Handledning i källkritik för folkbibliotek."),
            "/gammal-sida": (
                "Projektsida",
                "Uppdaterad 3 mars 2015. Projektet om digitala möten på biblioteket.",
            ),
        }
        self.moved: dict[str, str] = {"/handledning": "/ny-plats"}
        self.login: set[str] = {"/intranat"}

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@dataclass
class Seeded:
    """Ids of the resources the tests visit, by what they show."""

    ids: dict[str, int] = field(default_factory=dict)


# (key, path on the link site, title, extra fields)
SEED: list[tuple[str, str, str, dict[str, Any]]] = [
    ("ok", "/rapport", "Rapport om digital delaktighet",
     {"topics": ["digital-delaktighet", "mik"], "tags": ["rapport", "digitalisering"],
      "resource_type": "report", "publisher": "Kungliga biblioteket",
      "description": "Hur folkbibliotek arbetar med digital delaktighet, med exempel "
                     "från tre regioner."}),
    ("broken", "/kurs-kallkritik", "Kurs i källkritik",
     {"topics": ["mik"], "tags": ["kurs"], "resource_type": "course",
      "publisher": "Statens medieråd", "description": "En webbkurs för bibliotekarier."}),
    ("moved", "/handledning", "Handledning i källkritik",
     {"topics": ["mik"], "tags": ["handledning"], "resource_type": "guide",
      "publisher": "Region Exempel"}),
    ("archived", "/studie", "Studie om äldres internetvanor",
     {"topics": ["digital-delaktighet"], "tags": ["rapport"], "language": "sv",
      "publisher": "Internetstiftelsen"}),
    ("unverified", "/intranat", "Internt nätverk för MIK-samordnare",
     {"topics": ["mik"], "resource_type": "network"}),
    ("stale", "/gammal-sida", "Digitala möten på biblioteket",
     {"topics": ["digital-delaktighet"], "resource_type": "project",
      "review_by": (date.today() - timedelta(days=30)).isoformat()}),
    ("english", "/rapport?lang=en", "Digital inclusion in public libraries",
     {"topics": ["digital-delaktighet"], "language": "en", "tags": ["rapport"],
      "description": "An English summary of the Swedish report."}),
    ("draft", "/utkast", "Utkast: AI i biblioteket",
     {"topics": ["mik"], "state": "draft"}),
]  # fmt: skip

TOPICS = [
    {"slug": "digital-delaktighet", "name_sv": "Digital delaktighet",
     "name_en": "Digital participation",
     "description_sv": "Alla ska kunna ta del av det digitala samhället.",
     "description_en": "Everyone should be able to take part in digital society."},
    {"slug": "mik", "name_sv": "Medie- och informationskunnighet",
     "name_en": "Media and information literacy"},
]  # fmt: skip


async def _seed(database_url: str, origin: str) -> dict[str, int]:
    engine = create_engine(database_url)
    ids: dict[str, int] = {}
    try:
        async with session_factory(engine)() as session:
            for topic in TOPICS:
                await service.create_topic(session, dict(topic))
            for key, path, title, extra in SEED:
                data = {"url": origin + path, "title": title, "state": "published", **extra}
                resource = await service.create_resource(
                    session, data, by=service.Actor("tests"), allow_networks=("127.0.0.0/8",)
                )
                assert resource.id is not None
                ids[key] = resource.id
            await session.commit()
    finally:
        await engine.dispose()
    return ids


def server_env(database_url: str, base_url: str, site: LinkSiteServer) -> dict[str, str]:
    """The environment of every ``linkdir`` process (and the seed's settings)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKDIR_")}
    env.update(
        LINKDIR_DATABASE_URL=database_url,
        LINKDIR_SECRET_KEY=TEST_SECRET,
        LINKDIR_BASE_URL=base_url,
        LINKDIR_CHECKER_ALLOW_NETWORKS="127.0.0.0/8",
        # A single failing check confirms a broken link, so the report fills at once.
        LINKDIR_CONFIRM_CHECKS="1",
        LINKDIR_CONFIRM_SPAN="0",
        LINKDIR_CHECKER_TIMEOUT="10",
        LINKDIR_WAYBACK_API_URL=site.origin + "/wayback/available",
        LINKDIR_ACCESSIBILITY_CONTACT="tillganglighet@bibliotek.example.se",
        # The link site plays a library's own website that embeds the directory's lists.
        LINKDIR_EMBED_ORIGINS=site.origin,
        LINKDIR_LOG_LEVEL="WARNING",
    )
    return env


async def check_all(env: dict[str, str], *, everything: bool = True) -> None:
    """What ``linkdir check --all`` (or ``--due``, ``everything=False``) does, with the
    settings ``env`` gives a process."""
    settings = Settings.from_env(env).validated()
    engine = create_engine(settings.database_url)
    try:
        await run_cycle(session_factory(engine), settings, everything=everything)
    finally:
        await engine.dispose()


@dataclass(frozen=True)
class SeededDatabase:
    """A migrated, seeded SQLite file, before and after ``check --all``, to copy per server.

    Its links point at ``site``, which must outlive every copy (one per xdist worker).
    """

    site: LinkSiteServer
    unchecked: Path
    checked: Path
    ids: dict[str, int]
    token: str


async def _seed_accounts(database_url: str) -> str:
    """What ``linkdir user add`` (twice) and ``linkdir token create`` do."""
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            await create_user(session, ADMIN, PASSWORD, "admin")
            await create_user(session, EDITOR, PASSWORD, "editor")
            new = await create_token(session, ADMIN, "tests")
            await session.commit()
            return new.token
    finally:
        await engine.dispose()


def seed_database(workdir: Path, site: LinkSiteServer) -> SeededDatabase:
    """Seed once in-process; call it away from Playwright's event loop (another thread)."""
    unchecked = workdir / "unchecked.db"
    checked = workdir / "checked.db"
    url = f"sqlite+aiosqlite:///{unchecked}"
    upgrade(url)
    ids = asyncio.run(_seed(url, site.origin))
    token = asyncio.run(_seed_accounts(url))
    shutil.copy(unchecked, checked)
    asyncio.run(check_all(server_env(f"sqlite+aiosqlite:///{checked}", "http://127.0.0.1", site)))
    return SeededDatabase(site=site, unchecked=unchecked, checked=checked, ids=ids, token=token)


def start_site() -> LinkSiteServer:
    site = LinkSiteServer()
    threading.Thread(target=site.serve_forever, args=(0.05,), daemon=True).start()
    return site


class LiveLinkdir:
    """One seeded linkdir behind ``linkdir serve``; stop it with :meth:`stop`.

    Without ``seeded`` it prepares its own database through the ``linkdir`` commands (and
    its own link site); with it, it serves a copy of that file (and shares its site).
    """

    def __init__(
        self,
        workdir: Path,
        *,
        database_url: str | None = None,
        seeded: SeededDatabase | None = None,
    ) -> None:
        self.workdir = workdir
        self.database_url = database_url or f"sqlite+aiosqlite:///{workdir}/linkdir.db"
        self.seeded = seeded
        self.site = seeded.site if seeded else LinkSiteServer()
        # Bound and listening from here on (the address is in the settings before the
        # process starts); `linkdir serve --fd` takes it over: no free-port race.
        self.socket: socket.socket | None = listening_socket()
        self.port = int(self.socket.getsockname()[1])
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.served: Served | None = None
        # One client for every request of this test process: each httpx client builds a
        # TLS context (~20 ms of CPU loading the roots), a request of its own each time.
        # Idle connections are dropped after 2 s, well before uvicorn closes them (5 s): a
        # request sent on a connection the server is closing that instant fails with
        # "Server disconnected without sending a response" (CI saw it once, on a busy
        # server, after a browser flow of about 5 s between two API calls).
        self.client = httpx.Client(timeout=30, limits=httpx.Limits(keepalive_expiry=2.0))
        self.ids: dict[str, int] = {}
        self.token = ""
        self.log_path = workdir / "serve.log"

    def env(self) -> dict[str, str]:
        return server_env(self.database_url, self.base_url, self.site)

    def linkdir(self, *args: str, stdin: str = "") -> str:
        done = subprocess.run(
            [LINKDIR, *args], input=stdin, env=self.env(), capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, f"linkdir {' '.join(args)}: {done.stderr}"
        return done.stdout

    def start(self) -> LiveLinkdir:
        if self.seeded is not None:
            assert self.database_url.startswith("sqlite"), "a seeded copy is a SQLite file"
            self.ids, self.token = dict(self.seeded.ids), self.seeded.token
            # Playwright's sync API runs an event loop in this thread: work in another one.
            with ThreadPoolExecutor(1) as pool:
                pool.submit(self._from_copy).result()
        else:
            threading.Thread(target=self.site.serve_forever, args=(0.05,), daemon=True).start()
            with ThreadPoolExecutor(1) as pool:
                self.ids = pool.submit(self._prepare).result()
            self.linkdir("user", "add", ADMIN, "--role", "admin", "--password-stdin",
                         stdin=PASSWORD + "\n")  # fmt: skip
            self.linkdir("user", "add", EDITOR, "--role", "editor", "--password-stdin",
                         stdin=PASSWORD + "\n")  # fmt: skip
            self.token = self.linkdir("token", "create", ADMIN, "--name", "tests").strip()
            self.linkdir("check", "--all")
        assert self.socket is not None, "started once"
        self.served = start_serve(self.env(), self.log_path, "--no-scheduler", "--no-migrate",
                                  sock=self.socket, ready="/health")  # fmt: skip
        self.socket = None
        # The archived copy comes the way a curator gets it: the use_archive fix.
        fixed = self.api("POST", f"/api/v1/resources/{self.ids['archived']}/fix",
                         json={"action": "use_archive"})  # fmt: skip
        assert fixed.status_code == 200, fixed.text
        return self

    def _from_copy(self) -> None:
        """The seeded file, checked with this server's settings (see :meth:`_prepare`)."""
        assert self.seeded is not None
        shutil.copy(self.seeded.checked, self.database_url.split("///", 1)[1])

    def _prepare(self) -> dict[str, int]:
        if self.database_url == PG_URL:
            from tests.conftest import _pg_drop_everything

            asyncio.run(_pg_drop_everything())
        upgrade(self.database_url)
        return asyncio.run(_seed(self.database_url, self.site.origin))

    def check(self, *, everything: bool) -> None:
        """What ``linkdir check --all`` (``--due``) does, in this process: a ``linkdir``
        process (and its engine process) would cost more CPU starting than checking."""
        with ThreadPoolExecutor(1) as pool:  # away from Playwright's loop
            pool.submit(asyncio.run, check_all(self.env(), everything=everything)).result()

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return self.client.request(method, self.base_url + path, headers=headers, **kwargs)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        self.client.close()
        if self.socket is not None:  # never started
            self.socket.close()
        if self.served is not None:
            self.served.stop(timeout=30)
        if self.seeded is None:  # a shared site stops with its seed
            self.site.shutdown()
            self.site.server_close()
