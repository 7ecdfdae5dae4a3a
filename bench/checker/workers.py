"""Scale-out benchmark: recording against the bare engine, and one `linkdir worker` against two.

    python bench/checker/workers.py                 # 3,000 links: engine, check --all, workers
    python bench/checker/workers.py --urls 5000 --rounds 2
    python bench/checker/workers.py --only monitoring   # engine and `check --all` only
    python bench/checker/workers.py --page-kb 40 --rounds 2   # realistic pages; round 2 rechecks
    python bench/checker/workers.py --only monitoring --baseline /tmp/base/src  # before/after
    BENCH_TIMELINE=1 BENCH_LOG_LEVEL=info python bench/checker/workers.py --only workers
        # traces: the farm's requests per 0.1 s of each worker round, the workers' logs

First, in the same run and on the same farm (issue 18): the bare engine (`linkdir
check-urls --workers 1`, and with its default of one process per core) as the
reference, the engine with the settings the recording uses (content hashes and
fingerprints, which `check-urls` leaves off; nothing stored), then `linkdir check --all`
on SQLite and on PostgreSQL, which records every result; each with its links/s, the
ratio to the one-process engine, its own CPU time per link (the database server's CPU
is not counted, the SQLite library's is), the busiest host's peak of open connections and
the farm's peak of requests answered at once ("at once": all of them must stay within
LINKDIR_CHECKER_CONCURRENCY = 100, or the comparison is not fair).

Uses the farm of bench/checker/farm.py (100 loopback hosts, each answering after 50 ms) and
a PostgreSQL database of its own (`linkdir_bench_workers` or `--database`, made afresh from
the migrations; LINKDIR_BENCH_PG overrides the server URL). Each round makes every link due
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
import resource
import secrets
import signal
import subprocess
import sys
import tempfile
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


async def fresh_database(
    urls: list[str], sqlite: Path | None = None, database: str = DATABASE
) -> str:
    if sqlite is not None:
        sqlite.unlink(missing_ok=True)
        url = f"sqlite+aiosqlite:///{sqlite}"
    else:
        admin = create_async_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
        async with admin.connect() as connection:
            await connection.execute(text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
            await connection.execute(text(f"CREATE DATABASE {database}"))
        await admin.dispose()
        url = f"{SERVER}/{database}"
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


def print_timeline(farm: Farm) -> None:
    """With BENCH_TIMELINE set: the requests that reached the farm in each 0.1 s since its
    last reset (for traces of where a round waited)."""
    if os.environ.get("BENCH_TIMELINE"):
        print("timeline:", " ".join(map(str, farm.timeline())), flush=True)


def linkdir_env(url: str | None) -> dict[str, str]:
    database = {"LINKDIR_DATABASE_URL": url} if url else {}
    return {
        **os.environ,
        **database,
        "LINKDIR_SECRET_KEY": secrets.token_urlsafe(48),
        "LINKDIR_CHECKER_ALLOW_NETWORKS": "127.0.1.0/24",
        "LINKDIR_CHECKER_PER_HOST": "2",
        "LINKDIR_CHECKER_CONCURRENCY": "100",
        "LINKDIR_LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "warning"),  # traces: info
    }


def start_workers(url: str, count: int, every: float = 1.0) -> list[subprocess.Popen[bytes]]:
    env = linkdir_env(url)
    return [
        subprocess.Popen([LINKDIR, "worker", "--dispatch-every", str(every)], env=env)
        for _ in range(count)
    ]


def timed_command(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock seconds and the command's own CPU seconds (user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=900
    )
    seconds = time.monotonic() - started
    if done.returncode not in (0, 1):  # 1: something is broken, which the farm never is
        raise RuntimeError(f"{command[1]} failed: {done.stderr.decode()[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu


def listing_round(farm: Farm, urls: list[str], command: list[str]) -> dict[str, float]:
    """``command`` + a file listing ``urls``, timed on a reset farm; nothing recorded."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as listing:
        listing.write("\n".join(urls) + "\n")
        listing.flush()
        farm.command("reset")
        seconds, cpu = timed_command([*command, listing.name], linkdir_env(None))
    stats = farm.command("stats")
    print_timeline(farm)
    return {
        "seconds": seconds,
        "links_per_second": len(urls) / seconds,
        "ms_per_link": 1000 * cpu / len(urls),
        "max_open_per_host": stats["max_open_per_host"],
        "peak_in_flight": stats["peak_in_flight"],
    }


def engine_round(farm: Farm, urls: list[str], processes: int | None) -> dict[str, float]:
    """`linkdir check-urls` on the farm: the engine alone, nothing recorded."""
    extra = ["--workers", str(processes)] if processes else []
    return listing_round(farm, urls, [LINKDIR, "check-urls", "--format", "json", *extra])


# The engine as `check --all` and the workers run it (content hashes and fingerprints on,
# which `check-urls` leaves off), with nothing recorded: the most recording can reach.
ENGINE_AS_RECORDED = """
import sys
from linkdir.checker import Checker, EngineConfig, parallel
from linkdir.config import Settings

async def check(urls):
    async with Checker(EngineConfig.from_settings(Settings.from_env())) as checker:
        async for _result in checker.check_many(urls):
            pass

parallel.run(check(open(sys.argv[1]).read().split()))
"""


def engine_as_recorded_round(farm: Farm, urls: list[str]) -> dict[str, float]:
    """The engine with the recording's settings, in one process of its own, nothing stored."""
    return listing_round(farm, urls, [sys.executable, "-c", ENGINE_AS_RECORDED])


def baseline_check(src: Path) -> tuple[list[str], dict[str, str]]:
    """`linkdir check --all` of another source tree (``git archive REV src | tar -x``), as
    its own console script ran it; its checking process finds that tree too (PYTHONPATH)."""
    # Its console script's function: `run` (which ends `check` with os._exit) where it has one.
    code = "import linkdir.cli as cli; getattr(cli, 'run', cli.main)()"
    return [sys.executable, "-c", code, "check", "--all"], {"PYTHONPATH": str(src)}


async def check_all_round(
    url: str, farm: Farm, links: int, baseline: Path | None = None
) -> dict[str, float]:
    """`linkdir check --all`: the same links, every result recorded."""
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DELETE FROM check_result"))
        await connection.execute(text("DELETE FROM check_run"))
    farm.command("reset")
    command, extra = baseline_check(baseline) if baseline else ([LINKDIR, "check", "--all"], {})
    seconds, cpu = await asyncio.to_thread(timed_command, command, {**linkdir_env(url), **extra})
    async with engine.connect() as connection:
        recorded = (
            await connection.execute(select(func.count()).select_from(CheckResult))
        ).scalar_one()
    await engine.dispose()
    stats = farm.command("stats")
    if recorded != links:
        raise RuntimeError(f"check --all recorded {recorded} of {links} links")
    return {
        "seconds": seconds,
        "links_per_second": links / seconds,
        "ms_per_link": 1000 * cpu / links,
        "max_open_per_host": stats["max_open_per_host"],
        "peak_in_flight": stats["peak_in_flight"],
    }


def machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine since boot, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def process_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its live children (a worker's checking
    processes, issue 18), from /proc/PID/stat."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:  # ended meanwhile
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(process_seconds(int(child)) for child in children)


def stop(workers: list[subprocess.Popen[bytes]]) -> None:
    for process in workers:
        process.send_signal(signal.SIGINT)
    for process in workers:
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


async def one_round(
    url: str, farm: Farm, links: int, workers: int, every: float = 1.0
) -> dict[str, float]:
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DELETE FROM check_result"))
        await connection.execute(
            update(Resource).values(next_check_at=utcnow().replace(year=utcnow().year + 1))
        )
    processes = start_workers(url, workers, every)
    try:
        await asyncio.sleep(4)  # started and idle
        farm.command("reset")
        idle_cpu = sum(process_seconds(p.pid) for p in processes)
        busy_before, total_before = machine_ticks()
        started = time.monotonic()
        due_at = utcnow()
        async with engine.begin() as connection:
            await connection.execute(update(Resource).values(next_check_at=due_at))
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
            # When the first and the last results were recorded, from the moment all were due.
            first, last = (
                await connection.execute(
                    select(func.min(CheckResult.checked_at), func.max(CheckResult.checked_at))
                )
            ).one()
    finally:
        stop(processes)
        await engine.dispose()
    stats = farm.command("stats")
    print_timeline(farm)
    return {
        "seconds": seconds,
        "links_per_second": links / seconds,
        "max_open_per_host": stats["max_open_per_host"],
        "peak_in_flight": stats["peak_in_flight"],
        "requests": stats["requests"],
        "busy": 100 * (busy_after - busy_before) / max(1, total_after - total_before),
        "worker_ms_per_link": 1000 * worker_cpu / links,
        "ms_per_link": 1000 * worker_cpu / links,
        "first_recorded": (first - due_at).total_seconds(),
        "last_recorded": (last - due_at).total_seconds(),
        "split": "/".join(str(count) for _, count in sorted(split, key=lambda r: -r[1])),
    }


def monitoring_table(rows: list[tuple[str, dict[str, float]]]) -> None:
    reference = next(run for label, run in rows if label == "check-urls --workers 1")
    print(
        f"{'what':<34} {'seconds':>8} {'links/s':>8} {'vs engine -w1':>13} "
        f"{'CPU ms/link':>11} {'max/host':>8} {'at once':>7}"
    )
    for label, run in rows:
        ratio = run["links_per_second"] / reference["links_per_second"]
        print(
            f"{label:<34} {run['seconds']:>8.1f} {run['links_per_second']:>8.1f} "
            f"{ratio:>12.2f}x {run['ms_per_link']:>11.2f} {run['max_open_per_host']:>8} "
            f"{run['peak_in_flight']:>7}"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=3000)
    parser.add_argument(
        "--page-kb", type=int, default=1, help="the farm's page size (1: small pages; 40: real)"
    )
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--only", choices=["monitoring", "workers"])
    parser.add_argument("--workers", type=int, action="append", help="worker counts (1 and 2)")
    parser.add_argument(
        "--dispatch-every",
        type=float,
        default=1.0,
        help="the workers' --dispatch-every (seconds; linkdir's default is 60)",
    )
    parser.add_argument(
        "--database", default=DATABASE, help="PostgreSQL database to make afresh (dropped first)"
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="also run `check --all` of this src directory (an older commit) in each round, "
        "just before this tree's",
    )
    args = parser.parse_args()
    farm = Farm(args.urls, args.page_kb)
    monitoring: list[tuple[str, dict[str, float]]] = []
    results: dict[int, list[dict[str, float]]] = {w: [] for w in args.workers or (1, 2)}
    try:
        urls = farm_urls(farm.port, args.urls)
        with tempfile.TemporaryDirectory() as scratch:
            sqlite_url = await fresh_database(urls, Path(scratch) / "bench.db")
            url = await fresh_database(urls, database=args.database)
            if args.only != "workers":
                # Untimed: every timed run is then a recheck (the common case, most links
                # unchanged since their last check), whichever runs first.
                for database in (sqlite_url, url):
                    await check_all_round(database, farm, len(urls))
            for round_number in range(args.rounds):
                if args.only != "workers":
                    monitoring.append(("check-urls --workers 1", engine_round(farm, urls, 1)))
                    monitoring.append(("check-urls (one process per core)",
                                       engine_round(farm, urls, None)))  # fmt: skip
                    monitoring.append(("engine as recorded (no database)",
                                       engine_as_recorded_round(farm, urls)))  # fmt: skip
                    for label, database in (("SQLite", sqlite_url), ("PostgreSQL", url)):
                        # With a baseline, the two take turns going first from round to round.
                        trees = [None, args.baseline] if args.baseline else [None]
                        if round_number % 2 == 0:
                            trees.reverse()
                        measured = {}
                        for tree in trees:
                            measured[tree] = await check_all_round(database, farm, len(urls), tree)
                        if args.baseline:
                            monitoring.append(
                                (f"baseline check --all, {label}", measured[args.baseline])
                            )
                        monitoring.append((f"check --all, {label}", measured[None]))
                if args.only != "monitoring":
                    for workers in results:
                        results[workers].append(
                            await one_round(url, farm, len(urls), workers, args.dispatch_every)
                        )
                    if args.only is None and results.get(1):
                        monitoring.append(("linkdir worker (1), PostgreSQL", results[1][-1]))
    finally:
        farm.close()
    print(
        f"{len(urls)} links, 100 hosts (50 ms each, {args.page_kb} KB pages), per host 2, "
        "concurrency 100, "
        f"{os.cpu_count()} CPUs"
    )
    if monitoring:
        for round_start in range(0, len(monitoring), len(monitoring) // args.rounds):
            monitoring_table(monitoring[round_start : round_start + len(monitoring) // args.rounds])
            print()
    if args.only == "monitoring":
        return
    print(
        f"{'workers':>7} {'seconds':>8} {'links/s':>8} {'max/host':>8} {'at once':>8} "
        f"{'requests':>8} {'CPU busy':>8} {'worker CPU/link':>15} {'recorded':>11}  split"
    )
    for workers, runs in results.items():
        for run in runs:
            print(
                f"{workers:>7} {run['seconds']:>8.1f} {run['links_per_second']:>8.1f} "
                f"{run['max_open_per_host']:>8} {run['peak_in_flight']:>8} "
                f"{run['requests']:>8} {run['busy']:>7.0f}% "
                f"{run['worker_ms_per_link']:>12.1f} ms "
                f"{run['first_recorded']:>4.1f}–{run['last_recorded']:.1f} s  {run['split']}"
            )
    if 1 in results and 2 in results:
        best = {w: max(r["links_per_second"] for r in runs) for w, runs in results.items()}
        print(f"2 workers / 1 worker: {best[2] / best[1]:.2f}x")


if __name__ == "__main__":
    asyncio.run(main())
