"""`/feeds/new.atom` (50 items) under wrk, beside nginx serving the same bytes as a file.

    .venv/bin/python bench/feeds/run.py [--duration 10] [--connections 64] [--threads 2]
        [--nginx-workers 1]

Needs Debian's wrk and nginx (`apt-get install -y wrk nginx-light`). The script starts
`linkdir serve` (one process, SQLite) and nginx on free loopback ports, loads 50 published
resources, saves the feed's bytes for nginx, then runs wrk against both, for 200s and for
304s (If-None-Match with each server's own ETag). Both servers get one process by default:
the question is how close one linkdir process gets to one nginx worker on the same bytes.
Goal (issue 6): at least 25% of nginx's requests per second for 200s, 40% for 304s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent.parent
LINKDIR = str(Path(sys.executable).parent / "linkdir")
SECRET = "bench-secret-" + "x1y2z3w4" * 6
PATH = "/feeds/new.atom"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


async def seed(database_url: str, count: int) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    from linkdir.db import create_engine, metadata, session_factory
    from linkdir.resources import service

    metadata()  # every domain's tables, so foreign keys resolve
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            for slug, sv, en in (
                ("digital-delaktighet", "Digital delaktighet", "Digital participation"),
                ("mik", "Medie- och informationskunnighet", "Media and information literacy"),
            ):
                await service.create_topic(session, {"slug": slug, "name_sv": sv, "name_en": en})
            for number in range(count):
                await service.create_resource(
                    session,
                    {
                        "url": f"https://bibliotek{number}.example.se/rapporter/{number}",
                        "title": f"Rapport {number} om digital delaktighet i biblioteken",
                        "description": "Hur bibliotek arbetar med digital delaktighet, "
                        "källkritik och digital kompetens för alla åldrar. " * 3,
                        "publisher": f"Region {number % 21}",
                        "state": "published",
                        "topics": ["digital-delaktighet", "mik"][: 1 + number % 2],
                        "tags": ["rapport", f"län-{number % 21}"],
                    },
                    by=service.Actor("bench"),
                )
            await session.commit()
    finally:
        await engine.dispose()


def nginx_config(directory: Path, port: int, workers: int) -> Path:
    config = directory / "nginx.conf"
    config.write_text(
        f"""
worker_processes {workers};
daemon off;
pid {directory}/nginx.pid;
error_log {directory}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {directory}/body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port};
        location = {PATH} {{
            alias {directory}/new.atom;
            default_type application/atom+xml;
            add_header Cache-Control "public, max-age=300";
        }}
    }}
}}
"""
    )
    return config


def wrk(url: str, args: argparse.Namespace, headers: dict[str, str] | None = None) -> float:
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    result = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=args.duration + 30
    )
    if "Non-2xx or 3xx" in result.stdout or "Socket errors" in result.stdout:
        print(result.stdout, file=sys.stderr)
    match = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    if not match:
        raise SystemExit(f"wrk said:\n{result.stdout}\n{result.stderr}")
    return float(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--nginx-workers", type=int, default=1)
    parser.add_argument("--items", type=int, default=50)
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if not shutil.which(tool) and not Path(f"/usr/sbin/{tool}").exists():
            raise SystemExit(f"needs {tool}: apt-get install -y wrk nginx-light")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"

    directory = Path(tempfile.mkdtemp(prefix="linkdir-bench-feeds-"))
    directory.chmod(0o755)  # nginx workers run as an unprivileged user when started as root
    app_port, nginx_port = free_port(), free_port()
    database_url = f"sqlite+aiosqlite:///{directory}/bench.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKDIR_")}
    env.update(
        LINKDIR_DATABASE_URL=database_url,
        LINKDIR_SECRET_KEY=SECRET,
        LINKDIR_BASE_URL=f"http://127.0.0.1:{app_port}",
        LINKDIR_LOG_LEVEL="WARNING",
    )
    subprocess.run([LINKDIR, "db", "upgrade"], env=env, check=True, capture_output=True)
    asyncio.run(seed(database_url, args.items))

    processes: list[subprocess.Popen[bytes]] = []
    try:
        processes.append(
            subprocess.Popen(
                [LINKDIR, "serve", "--host", "127.0.0.1", "--port", str(app_port)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=open(directory / "linkdir.log", "wb"),  # noqa: SIM115
                start_new_session=True,
            )
        )
        app_url = f"http://127.0.0.1:{app_port}{PATH}"
        wait_for(f"http://127.0.0.1:{app_port}/health")
        feed = httpx.get(app_url)
        assert feed.status_code == 200 and feed.text.count("<entry>") == args.items
        (directory / "new.atom").write_bytes(feed.content)
        processes.append(
            subprocess.Popen(
                [nginx, "-c", str(nginx_config(directory, nginx_port, args.nginx_workers))],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
        nginx_url = f"http://127.0.0.1:{nginx_port}{PATH}"
        wait_for(nginx_url)
        static = httpx.get(nginx_url)
        assert static.content == feed.content, (static.status_code, static.text[:300])

        results: dict[str, Any] = {}
        for name, url, etag in (
            ("linkdir", app_url, feed.headers["etag"]),
            ("nginx", nginx_url, static.headers["etag"]),
        ):
            check = httpx.get(url, headers={"If-None-Match": etag})
            assert check.status_code == 304 and not check.content, (name, check.status_code)
            results[name] = {
                "200": wrk(url, args),
                "304": wrk(url, args, {"If-None-Match": etag}),
            }
        ratio = {code: results["linkdir"][code] / results["nginx"][code] for code in ("200", "304")}
        goal = {"200": 0.25, "304": 0.40}
        print(f"{'':10}{'200 req/s':>12}{'304 req/s':>12}")
        for name in ("linkdir", "nginx"):
            print(f"{name:10}{results[name]['200']:>12,.0f}{results[name]['304']:>12,.0f}")
        print(
            f"{'ratio':10}{ratio['200']:>12.1%}{ratio['304']:>12.1%}"
            f"   (goal {goal['200']:.0%} / {goal['304']:.0%})"
        )
        report = {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "bytes": len(feed.content),
            "items": args.items,
            "wrk": {"threads": args.threads, "connections": args.connections},
            "duration_s": args.duration,
            "nginx_workers": args.nginx_workers,
            "cpus": os.cpu_count(),
            "requests_per_second": results,
            "ratio": ratio,
            "goal_met": all(ratio[code] >= goal[code] for code in goal),
        }
        out = ROOT / "bench" / "results" / f"feeds-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {out.relative_to(ROOT)}")
    finally:
        for process in processes:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(process.pid, signal.SIGKILL)
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
