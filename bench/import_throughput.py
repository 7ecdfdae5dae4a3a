"""``linkdir import`` into the database a running site uses: rows/s and site latency meanwhile.

Starts ``linkdir serve --no-scheduler`` on a fresh SQLite file, measures API latency (one
read and one write in turn) with nothing else running as the reference, then again while
``linkdir import --dry-run`` and ``linkdir import`` run against the same file. Numbers are
ratios against the reference measured in the same run (the machine is shared and noisy).

    .venv/bin/python bench/import_throughput.py                  # 20,000 and 200,000 rows
    .venv/bin/python bench/import_throughput.py --rows 5000      # quicker
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

LINKDIR = str(Path(sys.executable).parent / "linkdir")
TOPICS = ["Digital delaktighet", "Läsfrämjande", "Källkritik", "Medie- och informationskunnighet"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("url;title;description;topics;tags;language;type\r\n")
        for i in range(rows):
            out.write(
                f"https://site{i % 4000}.bibliotek.se/resurs/{i};Resurs nummer {i} om läsning;"
                f"En beskrivning av resurs {i} för bibliotekets kurator.;{TOPICS[i % 4]};"
                f"tagg{i % 60}, ämne{i % 7};svenska;rapport\r\n"
            )


def env_for(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKDIR_")}
    env.update(
        LINKDIR_DATABASE_URL=database_url,
        LINKDIR_SECRET_KEY=secrets.token_urlsafe(32),
        LINKDIR_ENV="production",
        LINKDIR_BASE_URL="http://127.0.0.1",
        LINKDIR_IMPORT_MAX_BYTES=str(200_000_000),
        LINKDIR_LOG_LEVEL="WARNING",
    )
    return env


class Probe:
    """Reads and writes through the API, one at a time, recording latency and failures."""

    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.headers = {"Authorization": f"Bearer {token}"}
        self.latencies: list[float] = []
        self.failures = 0
        self.number = 0

    async def run(self, stop: asyncio.Event, client: httpx.AsyncClient) -> None:
        while not stop.is_set():
            self.number += 1
            if self.number % 2:
                request = client.get(f"{self.base}/api/v1/resources?per_page=20")
            else:
                request = client.post(
                    f"{self.base}/api/v1/resources",
                    json={
                        "url": f"https://probe.bibliotek.se/{secrets.token_hex(8)}",
                        "title": "Prov",
                    },
                    headers=self.headers,
                )
            started = time.perf_counter()
            try:
                response = await request
                ok = response.status_code < 400
            except httpx.HTTPError:
                ok = False
            self.latencies.append(time.perf_counter() - started)
            self.failures += not ok
            await asyncio.sleep(0.02)

    def summary(self) -> dict[str, float]:
        ordered = sorted(self.latencies)
        return {
            "requests": len(ordered),
            "failures": self.failures,
            "p50_ms": statistics.median(ordered) * 1000,
            "p95_ms": ordered[int(len(ordered) * 0.95) - 1] * 1000
            if len(ordered) > 20
            else ordered[-1] * 1000,
            "max_ms": ordered[-1] * 1000,
        }


async def probe_while(
    base: str, token: str, command: list[str] | None, env: dict[str, str], seconds: float
) -> tuple[dict[str, float], float, str]:
    probe = Probe(base, token)
    stop = asyncio.Event()
    async with httpx.AsyncClient(timeout=30) as client:
        task = asyncio.create_task(probe.run(stop, client))
        started = time.perf_counter()
        output = ""
        if command is None:
            await asyncio.sleep(seconds)
        else:
            process = await asyncio.create_subprocess_exec(
                *command, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
            )
            out, err = await process.communicate()
            output = out.decode()[-300:] + err.decode()[-300:]
            if process.returncode:
                raise SystemExit(f"{command} failed: {output}")
        elapsed = time.perf_counter() - started
        stop.set()
        await task
    return probe.summary(), elapsed, output


async def measure(rows: int) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="linkdir-import-bench-"))
    database_url = f"sqlite+aiosqlite:///{work / 'linkdir.db'}"
    env = env_for(database_url)
    subprocess.run([LINKDIR, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run(
        [LINKDIR, "user", "add", "bench@bibliotek.se", "--role", "admin", "--password-stdin"],
        env=env,
        input="bänk lösenord som är långt nog",
        text=True,
        check=False,
        capture_output=True,
    )
    token_run = subprocess.run(
        [LINKDIR, "token", "create", "bench@bibliotek.se"], env=env, text=True, capture_output=True
    )
    token = token_run.stdout.strip().split()[-1]
    source = work / "rows.csv"
    write_csv(source, rows)
    port = free_port()
    server = subprocess.Popen(
        [LINKDIR, "serve", "--no-scheduler", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        reference, _, _ = await probe_while(base, token, None, env, 8.0)
        dry, dry_seconds, _ = await probe_while(
            base, token, [LINKDIR, "import", str(source), "--dry-run", "--create-topics"], env, 0
        )
        real, real_seconds, output = await probe_while(
            base, token, [LINKDIR, "import", str(source), "--create-topics"], env, 0
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    return {
        "rows": rows,
        "reference": reference,
        "dry_run": {**dry, "seconds": dry_seconds, "rows_per_s": rows / dry_seconds},
        "import": {**real, "seconds": real_seconds, "rows_per_s": rows / real_seconds},
        "output": output.strip().splitlines()[-1:],
    }


def report(result: dict[str, Any]) -> None:
    ref = result["reference"]
    print(
        f"\n{result['rows']:,} rows  (reference: {ref['requests']} requests, "
        f"p50 {ref['p50_ms']:.1f} ms, p95 {ref['p95_ms']:.1f} ms, {ref['failures']} failed)"
    )
    for name in ("dry_run", "import"):
        item = result[name]
        print(
            f"  {name:8} {item['seconds']:7.1f} s  {item['rows_per_s']:7.0f} rows/s   "
            f"site meanwhile: {item['requests']} requests, {item['failures']} failed, "
            f"p50 {item['p50_ms']:.1f} ms (x{item['p50_ms'] / ref['p50_ms']:.2f}), "
            f"p95 {item['p95_ms']:.1f} ms (x{item['p95_ms'] / ref['p95_ms']:.2f}), "
            f"max {item['max_ms']:.0f} ms"
        )
    print("  ", *result["output"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, action="append", help="rows to import (repeatable)")
    args = parser.parse_args()
    for rows in args.rows or [20_000, 200_000]:
        report(asyncio.run(measure(rows)))


if __name__ == "__main__":
    main()
