"""CPU per link of one in-process ``Checker`` over the farm (no start-up, no output).

    python bench/checker/inprocess.py                    # 2,000 URLs, 40 KB pages
    python bench/checker/inprocess.py --page-kb 1
    python bench/checker/inprocess.py --profile out.prof # cProfile of the run

The reference in the same run is the raw cost of the same requests with aiohttp alone
(one session, 2 connections per host, the body read and dropped): what any checker that
reads the page must spend. Prints CPU ms per link for both and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import secrets
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent.parent / "src"))

from farm import Farm, farm_urls  # noqa: E402

from linkdir.checker import Checker, EngineConfig, parallel  # noqa: E402
from linkdir.config import Settings  # noqa: E402


def cpu() -> float:
    times = os.times()
    return times.user + times.system


async def run_checker(urls: list[str], hashes: bool) -> dict[str, int]:
    os.environ["LINKDIR_CHECKER_ALLOW_NETWORKS"] = "127.0.1.0/24"
    settings = Settings.from_env(secret_key=secrets.token_urlsafe(48))
    config = EngineConfig.from_settings(settings, content_hashes=hashes, fingerprints=hashes)
    counts: dict[str, int] = {}
    async with Checker(config) as checker:
        async for result in checker.check_many(urls):
            counts[result.status] = counts.get(result.status, 0) + 1
    return counts


async def run_aiohttp(urls: list[str]) -> None:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=200, limit_per_host=2)
    async with aiohttp.ClientSession(connector=connector) as session:
        semaphore = asyncio.Semaphore(200)

        async def one(url: str) -> None:
            async with semaphore, session.get(url) as response:
                await response.read()

        await asyncio.gather(*(one(url) for url in urls))


def timed(label: str, work: object, links: int, profile: str | None = None) -> float:
    before, wall = cpu(), time.monotonic()
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    outcome = parallel.run(work)
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)
    spent = (cpu() - before) * 1000 / links
    print(
        f"{label:<28} {spent:6.3f} ms CPU/link  {links / (time.monotonic() - wall):7.0f} links/s"
        + (f"  {outcome}" if outcome else "")
    )
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--urls", type=int, default=2000)
    parser.add_argument("--page-kb", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--monitoring",
        action="store_true",
        help="compute content hashes and fingerprints, as monitoring does (check-urls does not)",
    )
    parser.add_argument("--profile", help="write a cProfile of the last checker round here")
    args = parser.parse_args()
    farm = Farm(args.urls, args.page_kb)
    try:
        urls = farm_urls(farm.port, args.urls)
        for number in range(args.rounds):
            last = number == args.rounds - 1
            reference = timed("aiohttp, body read", run_aiohttp(urls), len(urls))
            spent = timed(
                "linkdir Checker",
                run_checker(urls, args.monitoring),
                len(urls),
                args.profile if last else None,
            )
            print(f"{'':<28} ratio {spent / reference:.2f}x the aiohttp reference")
    finally:
        farm.close()


if __name__ == "__main__":
    main()
