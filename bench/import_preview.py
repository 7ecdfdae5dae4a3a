"""The import preview of 1,000 links: time to show it, its page weight, and its link checks.

Starts ``linkdir serve --no-scheduler`` on a fresh SQLite file and a loopback site of 100
hosts' worth of pages (one server; the checker is allowed 127.0.0.0/8 for the run), signs in
as a curator like a browser does and uploads a CSV of 1,000 links, then of 10 links as the
reference measured in the same run (the machine is shared and noisy). For each: the median
time from upload to the whole preview page received, the page's bytes (and gzipped, as a
browser with compression would get it), and the time until every link's verdict is in
(polled as the page's script does).

    .venv/bin/python bench/import_preview.py            # 1,000 and 10 links, 5 rounds
    .venv/bin/python bench/import_preview.py --rounds 2
"""

from __future__ import annotations

import argparse
import gzip
import http.server
import re
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import httpx
from import_throughput import LINKDIR, env_for

PASSWORD = "bänk lösenord som är långt nog"
PAGE = (
    "<!doctype html><html lang='sv'><head><title>Sida %d</title></head><body><main>"
    + "<p>Lite text om biblioteket och dess tjänster.</p>" * 40
    + "</main></body></html>"
)


class _Site(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        number = int(re.sub(r"\D", "", self.path) or 0)
        status = 404 if number % 10 == 9 else 200  # one link in ten is gone
        body = (PAGE % number).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def csv_of(origin: str, links: int, round_no: int) -> bytes:
    lines = ["url;title;description;topics;tags"]
    for i in range(links):
        lines.append(
            f"{origin}/r{round_no}/sida-{i};Resurs {i} om läsning;"
            f"En beskrivning av resurs {i} för bibliotekets kurator.;;läsning, tagg{i % 30}"
        )
    return ("\r\n".join(lines) + "\r\n").encode()


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field in the page"
    return match.group(1)


def preview(client: httpx.Client, origin: str, links: int, round_no: int) -> dict[str, float]:
    csrf = csrf_of(client.get("/manage/import").text)
    started = time.perf_counter()
    answer = client.post(
        "/manage/import/file",
        data={"csrf_token": csrf, "format": "csv"},
        files={"file": ("lankar.csv", csv_of(origin, links, round_no), "text/csv")},
    )
    shown = time.perf_counter() - started
    assert answer.status_code == 200, answer.text[:500]
    page = answer.content
    token = re.search(rb'name="check" value="([^"]+)"', page)
    assert token, "no link-check job in the preview"
    while True:
        body = client.get(f"/manage/import/checks/{token.group(1).decode()}").json()
        if body["finished"]:
            break
        time.sleep(0.05)
    checked = time.perf_counter() - started
    rows = page.count(b'name="d') and len(re.findall(rb'id="d\d+-title"', page))
    return {
        "shown_s": shown,
        "checked_s": checked,
        "bytes": len(page),
        "gzip_bytes": len(gzip.compress(page)),
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    site.daemon_threads = True
    threading.Thread(target=site.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{site.server_address[1]}"
    work = Path(tempfile.mkdtemp(prefix="linkdir-preview-bench-"))
    env = env_for(f"sqlite+aiosqlite:///{work / 'linkdir.db'}")
    env.update(LINKDIR_ENV="development", LINKDIR_CHECKER_ALLOW_NETWORKS="127.0.0.0/8")
    subprocess.run([LINKDIR, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run(
        [LINKDIR, "user", "add", "bench@bibliotek.se", "--role", "admin", "--password-stdin"],
        env=env,
        input=PASSWORD,
        text=True,
        check=True,
        capture_output=True,
    )
    port = free_port()
    server = subprocess.Popen(
        [LINKDIR, "serve", "--no-scheduler", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    results: dict[int, list[dict[str, float]]] = {1000: [], 10: []}
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        with httpx.Client(base_url=base, timeout=120) as client:
            login = client.get("/login")
            client.post(
                "/login",
                data={
                    "email": "bench@bibliotek.se",
                    "password": PASSWORD,
                    "csrf_token": csrf_of(login.text),
                },
            )
            for round_no in range(args.rounds):
                for links in results:
                    results[links].append(preview(client, origin, links, round_no * 10 + links))
    finally:
        server.terminate()
        server.wait(timeout=10)
        site.shutdown()
    with open("/proc/loadavg") as load:
        print(f"load average at the end: {load.read().split()[0]}")
    reference = statistics.median(r["shown_s"] for r in results[10])
    for links, rounds in results.items():
        shown = statistics.median(r["shown_s"] for r in rounds)
        checked = statistics.median(r["checked_s"] for r in rounds)
        print(
            f"{links:5} links: rows {int(rounds[0]['rows'])}, shown in {shown * 1000:7.0f} ms "
            f"(x{shown / reference:5.1f} the 10-link preview), all checked in {checked:5.1f} s, "
            f"page {rounds[0]['bytes'] / 1024:7.0f} KB ({rounds[0]['gzip_bytes'] / 1024:5.0f} KB "
            f"gzipped), {rounds[0]['bytes'] / max(links, 1) / 1024:4.1f} KB per link"
        )


if __name__ == "__main__":
    main()
