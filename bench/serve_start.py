"""How much CPU `linkdir serve` spends before it answers its first request.

    python bench/serve_start.py                          # this tree, 5 starts
    python bench/serve_start.py --baseline /tmp/old/src  # an older tree beside it
    python bench/serve_start.py --rounds 9 --postgresql  # PostgreSQL (LINKDIR_BENCH_PG)

Each start is a new `linkdir serve --no-scheduler` on a database already at the newest
migration (what every restart, deploy and test server meets), on a socket bound here and
handed over with `--fd`; the figure is the process's own CPU (user + system, from
/proc/PID/stat) when `/health` first answers 200. Starts of the trees alternate, so a
machine that speeds up or slows down during the run moves both alike. The reference in the
same run is a Python that imports only Litestar, SQLAlchemy and SQLModel (the floor of any
such web process). `git archive REV src | tar -x -C /tmp/old`
makes an older tree; its own migrations are used for its runs.
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
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("LINKDIR_BENCH_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432")
TICK = os.sysconf("SC_CLK_TCK")


def cpu_of(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def environment(src: Path, database_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LINKDIR_")}
    env.update(
        PYTHONPATH=str(src),
        LINKDIR_DATABASE_URL=database_url,
        LINKDIR_SECRET_KEY=secrets.token_urlsafe(48),
        LINKDIR_LOG_LEVEL="WARNING",
    )
    return env


def migrate(src: Path, database_url: str) -> None:
    code = "import sys; from linkdir.db import upgrade; upgrade(sys.argv[1])"
    subprocess.run(
        [sys.executable, "-c", code, database_url],
        env=environment(src, database_url),
        check=True,
    )


def one_start(src: Path, database_url: str) -> tuple[float, float]:
    """CPU seconds and wall seconds until `/health` answers."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen(16)
    port = listening.getsockname()[1]
    linkdir = Path(sys.executable).parent / "linkdir"
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(linkdir), "serve", "--fd", str(listening.fileno()), "--no-scheduler"],
        env=environment(src, database_url),
        pass_fds=[listening.fileno()],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # The request waits in the socket's backlog until the server accepts it.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=60) as answer:
            assert answer.status == 200
        return cpu_of(process.pid), time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=30)
        listening.close()


# The floor any such web process pays: the interpreter with the web framework and the ORM.
FLOOR = "import litestar, sqlalchemy.ext.asyncio, sqlmodel"


def floor() -> float:
    started = os.times()
    subprocess.run([sys.executable, "-c", FLOOR], check=True)
    done = os.times()
    return (done.children_user + done.children_system) - (
        started.children_user + started.children_system
    )


async def fresh_postgresql(name: str) -> str:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    admin = create_async_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()
    return f"{SERVER}/{name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="the src folder of another linkdir")
    parser.add_argument("--postgresql", action="store_true")
    args = parser.parse_args()
    trees = {"this tree": ROOT / "src"}
    if args.baseline:
        trees = {"baseline": args.baseline.resolve(), **trees}
    with tempfile.TemporaryDirectory() as work:
        urls = {}
        for index, (name, src) in enumerate(trees.items()):
            if args.postgresql:
                url = asyncio.run(fresh_postgresql(f"linkdir_bench_serve_{index}"))
            else:
                url = f"sqlite+aiosqlite:///{work}/serve-{index}.db"
            migrate(src, url)
            urls[name] = url
        cpu: dict[str, list[float]] = {name: [] for name in trees}
        wall: dict[str, list[float]] = {name: [] for name in trees}
        reference = []
        for _ in range(args.rounds):
            reference.append(floor())
            for name, src in trees.items():
                spent, took = one_start(src, urls[name])
                cpu[name].append(spent)
                wall[name].append(took)
    print(f"database: {'PostgreSQL' if args.postgresql else 'SQLite'}, {args.rounds} starts each")
    print(f"{'tree':<12} {'CPU s (median)':>15} {'min':>6} {'max':>6} {'wall s':>7} {'x floor':>9}")
    bare = statistics.median(reference)
    for name in trees:
        median = statistics.median(cpu[name])
        print(
            f"{name:<12} {median:>15.2f} {min(cpu[name]):>6.2f} {max(cpu[name]):>6.2f}"
            f" {statistics.median(wall[name]):>7.2f} {median / bare:>8.2f}x"
        )
    print(f"{'floor':<12} {bare:>15.2f}   ({FLOOR})")


if __name__ == "__main__":
    main()
