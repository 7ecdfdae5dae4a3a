"""Scale-out benchmark: one `linkdir worker` against two on the check farm, on PostgreSQL.

    python bench/checker/workers.py                 # 3,000 links, 1 then 2 workers
    python bench/checker/workers.py --urls 5000 --rounds 2

Uses the farm of bench/checker/farm.py (100 loopback hosts, each answering after 50 ms) and
a PostgreSQL database of its own (`linkdir_bench_workers`, made afresh from the
migrations; LINKDIR_BENCH_PG overrides the server URL). Each round makes every link due
with the workers already running and idle, and times until every link has a check row.
It prints links/s for 1 and 2 workers, the ratio (the goal is near 2x when the CPU is the
limit), the busiest host's peak of open connections (must stay within
LINKDIR_CHECKER_PER_HOST = 2 across both workers), how busy the machine's CPUs were
(workers, PostgreSQL and the farm share them), the workers' own CPU time per link, and how
the checks split.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.ext.asyncio import create_async_engine

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent.parent / "src"))

from farm import Farm, farm_urls  # noqa: E402

from linkdir.checks.models import CheckResult  # noqa: E402
from linkdir.db import metadata, upgrade, utcnow  # noqa: E402
from linkdir.resources.models import Resource  # noqa: E402

SERVER = os.environ.get("LINKDIR_BENCH_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432")
DATABASE = "linkdir_bench_workers"
LINKDIR = str(Path(sys.executable).parent / "linkdir")


async def fresh_database(urls: list[str]) -> str:
    admin = create_async_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        await connection.execute(text(f"CREATE DATABASE {DATABASE}"))
    await admin.dispose()
    url = f"{SERVER}/{DATABASE}"
    await asyncio.to_thread(upgrade, url)
    metadata()
    engine = create_async_engine(url)
    now = utcnow()
    later = now.replace(year=now.year + 1)
    rows = [
        {
            "url": link,
            "title": f"Sida {number}",
            "description": "",
            "language": "sv",
            "resource_type": "report",
            "publisher": "",
            "state": "published",
            "created_at": now,
            "updated_at": now,
            "link_status": "unchecked",
            "consecutive_failures": 0,
            "next_check_at": later,
        }
        for number, link in enumerate(urls)
    ]
    async with engine.begin() as connection:
        await connection.execute(insert(Resource), rows)
    await engine.dispose()
    return url


def start_workers(url: str, count: int) -> list[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "LINKDIR_DATABASE_URL": url,
        "LINKDIR_SECRET_KEY": secrets.token_urlsafe(48),
        "LINKDIR_CHECKER_ALLOW_NETWORKS": "127.0.1.0/24",
        "LINKDIR_CHECKER_PER_HOST": "2",
        "LINKDIR_CHECKER_CONCURRENCY": "100",
        "LINKDIR_LOG_LEVEL": "warning",
    }
    return [
        subprocess.Popen([LINKDIR, "worker", "--dispatch-every", "1"], env=env)
        for _ in range(count)
    ]


def machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine since boot, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def process_seconds(pid: int) -> float:
    """User + system CPU seconds of one process, from /proc/PID/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop(workers: list[subprocess.Popen[bytes]]) -> None:
    for process in workers:
        process.send_signal(signal.SIGINT)
    for process in workers:
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


async def one_round(url: str, farm: Farm, links: int, workers: int) -> dict[str, float]:
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DELETE FROM check_result"))
        await connection.execute(
            update(Resource).values(next_check_at=utcnow().replace(year=utcnow().year + 1))
        )
    processes = start_workers(url, workers)
    try:
        await asyncio.sleep(4)  # started and idle
        farm.command("reset")
        idle_cpu = sum(process_seconds(p.pid) for p in processes)
        busy_before, total_before = machine_ticks()
        started = time.monotonic()
        async with engine.begin() as connection:
            await connection.execute(update(Resource).values(next_check_at=utcnow()))
        while True:
            async with engine.connect() as connection:
                done = (
                    await connection.execute(select(func.count()).select_from(CheckResult))
                ).scalar_one()
            if done >= links:
                break
            if time.monotonic() - started > 900:
                raise RuntimeError(f"only {done} of {links} checked in 900 s")
            await asyncio.sleep(0.2)
        seconds = time.monotonic() - started
        busy_after, total_after = machine_ticks()
        worker_cpu = sum(process_seconds(p.pid) for p in processes) - idle_cpu
        async with engine.connect() as connection:
            split = (
                await connection.execute(
                    select(CheckResult.worker, func.count()).group_by(CheckResult.worker)
                )
            ).all()
    finally:
        stop(processes)
        await engine.dispose()
    stats = farm.command("stats")
    return {
        "seconds": seconds,
        "links_per_second": links / seconds,
        "max_open_per_host": stats["max_open_per_host"],
        "requests": stats["requests"],
        "busy": 100 * (busy_after - busy_before) / max(1, total_after - total_before),
        "worker_ms_per_link": 1000 * worker_cpu / links,
        "split": "/".join(str(count) for _, count in sorted(split, key=lambda r: -r[1])),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    farm = Farm(args.urls)
    try:
        urls = farm_urls(farm.port, args.urls)
        url = await fresh_database(urls)
        results: dict[int, list[dict[str, float]]] = {1: [], 2: []}
        for _ in range(args.rounds):
            for workers in (1, 2):
                results[workers].append(await one_round(url, farm, len(urls), workers))
    finally:
        farm.close()
    print(
        f"{len(urls)} links, 100 hosts (50 ms each), PostgreSQL, per host 2, {os.cpu_count()} CPUs"
    )
    print(
        f"{'workers':>7} {'seconds':>8} {'links/s':>8} {'max/host':>8} {'requests':>8} "
        f"{'CPU busy':>8} {'worker CPU/link':>15}  split"
    )
    for workers, runs in results.items():
        for run in runs:
            print(
                f"{workers:>7} {run['seconds']:>8.1f} {run['links_per_second']:>8.1f} "
                f"{run['max_open_per_host']:>8} {run['requests']:>8} {run['busy']:>7.0f}% "
                f"{run['worker_ms_per_link']:>12.1f} ms  {run['split']}"
            )
    best = {w: max(r["links_per_second"] for r in runs) for w, runs in results.items()}
    print(f"2 workers / 1 worker: {best[2] / best[1]:.2f}x")


if __name__ == "__main__":
    asyncio.run(main())
