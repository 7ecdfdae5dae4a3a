"""Link-checker benchmark: a farm of 100 slow hosts, checked by linkdir, linkinator and LinkChecker.

    python bench/checker/farm.py                # all three tools, 40 KB pages, same run
    python bench/checker/farm.py --page-kb 1    # the old ~1 KB pages, for comparison
    python bench/checker/farm.py --only linkdir --urls 2000
    python bench/checker/farm.py --baseline /tmp/base/src   # an older linkdir beside it
    python bench/checker/farm.py --precompile   # linkdir's .pyc compiled first (both trees)
    python bench/checker/farm.py --references   # + every page read by bare aiohttp, and
                                                #   linkdir without its page analysis

The farm runs in its own process: 100 HTTP servers on 127.0.1.1-127.0.1.100 (one port),
each answering every request after 50 ms and counting its open connections. Pages are
realistic (``pages.py``: navigation, a script, many paragraphs) of ``--page-kb`` KB
(default 40); ``--page-kb 1`` serves the small synthetic page of earlier runs. 5,000 URLs
are spread evenly over the hosts. Each tool checks them in turn; the script prints
links/s, the most connections one host saw open at once (counted by the farm), and the
tool's peak RSS (sum over its process tree, sampled from /proc), plus ratios against
linkinator from the same run, and how many answers carried their page ("pages read":
linkinator asks with HEAD and reads none; linkdir reads every page, which is what it
judges). Only loopback addresses are ever targeted.

linkinator (npm) and LinkChecker (PyPI) are installed on first use into
bench/checker/.tools/ (git-ignored): node_modules for linkinator, a throw-away venv
for LinkChecker.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pages import page_html as realistic_page  # bench/checker/pages.py (script's directory)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TOOLS = HERE / ".tools"
LINKINATOR_VERSION = "7.6.1"
LINKCHECKER_VERSION = "10.6.0"
HOSTS = [f"127.0.1.{i}" for i in range(1, 101)]
DELAY = 0.05


# ---------------------------------------------------------------------------------- farm


@dataclass
class HostStats:
    open: int = 0
    max_open: int = 0
    requests: int = 0
    bodies: int = 0  # answers that carried their page (GET); a HEAD answer carries none
    arrivals: list[float] = field(default_factory=list)  # monotonic seconds of each request


@dataclass
class InFlight:
    """Requests the farm has received and not yet answered, over all hosts, and the peak:
    the URLs a checker works on at once (open connections count idle keep-alives too)."""

    now: int = 0
    peak: int = 0


class FarmConnection(asyncio.Protocol):
    """Minimal HTTP/1.1 keep-alive server: every answer comes DELAY seconds late."""

    def __init__(
        self, stats: HostStats, in_flight: InFlight, index: bytes, pages: int, page_kb: int
    ) -> None:
        self.stats = stats
        self.in_flight = in_flight
        self.index = index
        self.pages = pages
        self.page_kb = page_kb
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.stats.open += 1
        self.stats.max_open = max(self.stats.max_open, self.stats.open)

    def connection_lost(self, exc: Exception | None) -> None:
        self.stats.open -= 1
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        loop = asyncio.get_running_loop()
        while b"\r\n\r\n" in self.buffer:
            head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            lines = head.split(b"\r\n")
            method, target, *_ = lines[0].split(b" ")
            close = any(
                line.lower().startswith(b"connection:") and b"close" in line.lower()
                for line in lines[1:]
            )
            self.stats.requests += 1
            self.stats.arrivals.append(time.monotonic())
            self.in_flight.now += 1
            self.in_flight.peak = max(self.in_flight.peak, self.in_flight.now)
            loop.call_later(DELAY, self.respond, method, target, close)

    def respond(self, method: bytes, target: bytes, close: bool) -> None:
        self.in_flight.now -= 1
        if self.transport is None or self.transport.is_closing():
            return
        path = target.split(b"?", 1)[0].decode("latin-1")
        status, body = self.page(path)
        head = (
            f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"Connection: {'close' if close else 'keep-alive'}\r\n\r\n"
        ).encode()
        if method == b"HEAD":
            self.transport.write(head)
        else:
            self.stats.bodies += 1
            self.transport.write(head + body)
        if close:
            self.transport.close()

    def page(self, path: str) -> tuple[str, bytes]:
        if path == "/index.html":
            return "200 OK", self.index
        if path.startswith("/docs/page-") and path.endswith(".html"):
            number = path[len("/docs/page-") : -len(".html")]
            if number.isdigit() and int(number) < self.pages:
                return "200 OK", page_html(int(number), self.page_kb)
        return (
            "404 Not Found",
            b"<html><head><title>Not found</title></head><body>404</body></html>",
        )


@lru_cache(maxsize=512)
def page_html(number: int, kb: int = 1) -> bytes:
    """Page ``number``: realistic at ``kb`` KB, or the small synthetic page for ``kb=1``."""
    if kb > 1:
        return realistic_page(number, kb)
    words = " ".join(f"ord{(number * 7 + k) % 997}" for k in range(60))
    return (
        f"<!doctype html><html lang='sv'><head><title>Dokument {number}</title></head><body>"
        f"<nav><a href='/'>Start</a> <a href='/om'>Om</a></nav><main><h1>Dokument {number}</h1>"
        f"<p>Resurs nummer {number} om digital delaktighet. {words}</p></main>"
        f"<footer>Biblioteket</footer></body></html>"
    ).encode()


def farm_urls(port: int, count: int) -> list[str]:
    """``count`` URLs spread evenly (round-robin) over the hosts."""
    per_host = -(-count // len(HOSTS))
    return [
        f"http://{HOSTS[i % len(HOSTS)]}:{port}/docs/page-{i // len(HOSTS)}.html"
        for i in range(count)
        if i // len(HOSTS) < per_host
    ]


def serve_farm(port: int, count: int, page_kb: int) -> None:
    """Farm process: serve, and answer ``stats``/``reset`` lines on stdin with JSON."""
    urls = farm_urls(port, count)
    index = (
        "<!doctype html><html><head><title>Farm index</title></head><body><ul>"
        + "".join(f"<li><a href='{url}'>{i}</a></li>" for i, url in enumerate(urls))
        + "</ul></body></html>"
    ).encode()
    pages = -(-count // len(HOSTS))
    stats = {host: HostStats() for host in HOSTS}
    in_flight = InFlight()
    timeline_start = [time.monotonic()]

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for host in HOSTS:
            await loop.create_server(
                lambda host=host: FarmConnection(stats[host], in_flight, index, pages, page_kb),
                host,
                port,
                backlog=1024,
                reuse_address=True,
            )
        print(json.dumps({"ready": True}), flush=True)
        done = loop.create_future()

        def commands() -> None:
            for line in sys.stdin:
                command = line.strip()
                loop.call_soon_threadsafe(answer, command)
            loop.call_soon_threadsafe(done.set_result, None)

        def answer(command: str) -> None:
            if command == "reset":
                for item in stats.values():
                    item.max_open = item.open
                    item.requests = 0
                    item.bodies = 0
                    item.arrivals.clear()
                in_flight.peak = in_flight.now
                timeline_start[0] = time.monotonic()
            if command == "timeline":  # requests arrived in each tenth of a second since reset
                buckets: Counter[int] = Counter(
                    int(10 * (t - timeline_start[0])) for s in stats.values() for t in s.arrivals
                )
                last = max(buckets, default=-1)
                print(json.dumps([buckets[i] for i in range(last + 1)]), flush=True)
                return
            print(
                json.dumps(
                    {
                        "max_open_per_host": max(s.max_open for s in stats.values()),
                        "requests": sum(s.requests for s in stats.values()),
                        "bodies": sum(s.bodies for s in stats.values()),
                        "open_now": sum(s.open for s in stats.values()),
                        "peak_in_flight": in_flight.peak,
                    }
                ),
                flush=True,
            )

        threading.Thread(target=commands, daemon=True).start()
        await done

    asyncio.run(main())


class Farm:
    """The farm subprocess, seen from the benchmark."""

    def __init__(self, count: int, page_kb: int = 1) -> None:
        self.port = free_port()
        self.count = count
        self.process = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--serve-farm",
                str(self.port),
                "--urls",
                str(count),
                "--page-kb",
                str(page_kb),
            ],  # fmt: skip
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert json.loads(self.readline())["ready"]

    def readline(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the farm process died")
        return line

    def command(self, name: str) -> dict[str, int]:
        assert self.process.stdin is not None
        self.process.stdin.write(name + "\n")
        self.process.stdin.flush()
        return dict(json.loads(self.readline()))

    def timeline(self) -> list[int]:
        """Requests that arrived in each tenth of a second since the last ``reset``."""
        assert self.process.stdin is not None
        self.process.stdin.write("timeline\n")
        self.process.stdin.flush()
        return list(json.loads(self.readline()))

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()


def free_port() -> int:
    """A port that is free on every farm address."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind((HOSTS[0], 0))
            port = int(probe.getsockname()[1])
        try:
            for host in HOSTS:
                with socket.socket() as s:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    s.bind((host, port))
            return port
        except OSError:
            continue
    raise RuntimeError("no common free port on 127.0.1.1-100")


# ---------------------------------------------------------------------------------- tools


def tree_memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of ``pid`` and all its descendants, in kB.

    RSS counts pages shared between processes (forked workers) once per process; PSS
    splits them fairly, so the sum of PSS is the memory the tree really uses.
    """
    rss = pss = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup") as rollup:
                for line in rollup:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    stack.extend(int(child) for child in children.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError, ValueError):
            continue
    return rss, pss


@dataclass
class Run:
    tool: str
    seconds: float
    links: int
    peak_rss_mb: float
    peak_pss_mb: float
    cpu_seconds: float
    max_open_per_host: int
    farm_requests: int
    farm_bodies: int = 0  # requests answered with the page (the rest were HEAD)
    note: str = ""

    @property
    def links_per_second(self) -> float:
        return self.links / self.seconds if self.seconds else 0.0


def measure(
    tool: str, command: list[str], farm: Farm, links: int, *, env: dict[str, str] | None = None
) -> tuple[Run, str]:
    farm.command("reset")
    # Output goes to files, not pipes: node cuts a piped stdout short when it exits.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        process = subprocess.Popen(
            command, stdout=out, stderr=err, env={**os.environ, **(env or {})}, cwd=ROOT
        )
        peak_rss = peak_pss = 0
        while process.poll() is None:
            rss, pss = tree_memory_kb(process.pid)
            peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
            if time.monotonic() - started > 900:
                process.kill()
            time.sleep(0.02)
        seconds = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        out.seek(0)
        err.seek(0)
        text = out.read().decode("utf-8", "replace")
        if process.returncode not in (0, 1):
            sys.stderr.write(err.read().decode("utf-8", "replace")[-2000:])
    stats = farm.command("stats")
    run = Run(
        tool=tool,
        seconds=seconds,
        links=links,
        peak_rss_mb=peak_rss / 1024,
        peak_pss_mb=peak_pss / 1024,
        cpu_seconds=cpu,
        max_open_per_host=stats["max_open_per_host"],
        farm_requests=stats["requests"],
        farm_bodies=stats["bodies"],
        note=f"exit {process.returncode}",
    )
    return run, text


def ensure_linkinator() -> Path:
    binary = TOOLS / "node" / "node_modules" / ".bin" / "linkinator"
    if not binary.exists():
        (TOOLS / "node").mkdir(parents=True, exist_ok=True)
        ignore_tools()
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(TOOLS / "node"),
             f"linkinator@{LINKINATOR_VERSION}"],
            check=True,
        )  # fmt: skip
    return binary


def ensure_linkchecker() -> Path:
    venv = TOOLS / "linkchecker-venv"
    binary = venv / "bin" / "linkchecker"
    if not binary.exists():
        ignore_tools()
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "--quiet",
             f"linkchecker=={LINKCHECKER_VERSION}"],
            check=True,
        )  # fmt: skip
    return binary


def ignore_tools() -> None:
    TOOLS.mkdir(parents=True, exist_ok=True)
    (TOOLS / ".gitignore").write_text("*\n")


def linkdir_command() -> list[str]:
    script = Path(sys.executable).parent / "linkdir"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from linkdir.cli import main; main()"]


def baseline_command(src: Path) -> list[str]:
    """linkdir from another source tree (``git archive REV src | tar -x -C DIR``)."""
    code = f"import sys; sys.path.insert(0, {str(src)!r}); from linkdir.cli import main; main()"
    return [sys.executable, "-c", code]


def run_linkdir(
    farm: Farm, urls: list[str], workdir: Path, workers: int | None, baseline: Path | None = None
) -> Run:
    listing = workdir / "urls.txt"
    listing.write_text("\n".join(urls) + "\n")
    extra = ["--workers", str(workers)] if workers else []
    command = baseline_command(baseline) if baseline else linkdir_command()
    run, text = measure(
        ("linkdir before" if baseline else "linkdir check-urls")
        + (f" -w{workers}" if workers else ""),
        [*command, "check-urls", str(listing), "--format", "json", *extra],
        farm,
        len(urls),
        env={"LINKDIR_CHECKER_ALLOW_NETWORKS": "127.0.1.0/24"},  # the farm, nothing else
    )
    summary = json.loads(text)["summary"]
    run.note = " ".join(f"{k}={summary[k]}" for k in ("ok", "moved", "broken", "unverified"))
    return run


# References (``--references``), each in a process of its own on the same URL list:
# reading every page with bare aiohttp (2 connections per host, each kept busy, one process):
# the floor of any Python checker that reads the pages, as linkdir must and linkinator
# (which sends HEAD) does not;
READ_PAGES = """
import asyncio, sys
from collections import defaultdict
from urllib.parse import urlsplit
import aiohttp, uvloop

async def main(urls):
    by_host = defaultdict(list)
    for url in urls:
        by_host[urlsplit(url).netloc].append(url)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        async def lane(queue):  # two lanes per host: 2 connections, each kept busy
            while queue:
                async with session.get(queue.pop()) as response:
                    await response.read()
        await asyncio.gather(*(lane(q) for q in by_host.values() for _ in range(2)))

uvloop.run(main(open(sys.argv[1]).read().split()))
"""
# and linkdir with the page analysis taken out (each kind of page analysed once, then the
# same answer reused): what the rest of a check costs. A diagnostic, not a result.
WITHOUT_ANALYSIS = """
import sys
from linkdir.checker import classify

analyse, known = classify.analyse, {}

def cached(body, charset, *, today):
    key = (len(body) // 4096, body[:200])  # a page of the farm's, or its 404 (the probe)
    if key not in known:
        known[key] = analyse(body, charset, today=today)
    return known[key]

classify.analyse = cached
from linkdir.cli import main
main(["check-urls", sys.argv[1], "--format", "json"])
"""


def run_references(farm: Farm, urls: list[str], workdir: Path) -> list[Run]:
    listing = workdir / "urls.txt"
    listing.write_text("\n".join(urls) + "\n")
    env = {"LINKDIR_CHECKER_ALLOW_NETWORKS": "127.0.1.0/24"}
    read, _ = measure(
        "aiohttp, pages read", [sys.executable, "-c", READ_PAGES, str(listing)], farm, len(urls)
    )
    read.note = "reference: every page read, nothing judged"
    bare, text = measure(
        "linkdir, no analyse()",
        [sys.executable, "-c", WITHOUT_ANALYSIS, str(listing)],
        farm,
        len(urls),
        env=env,
    )
    bare.note = "diagnostic: " + str(json.loads(text)["summary"].get("ok")) + " ok"
    return [read, bare]


def run_linkinator(farm: Farm, urls: list[str]) -> Run:
    binary = ensure_linkinator()
    run, text = measure(
        f"linkinator {LINKINATOR_VERSION}",
        [str(binary), f"http://{HOSTS[0]}:{farm.port}/index.html", "--format", "json"],
        farm,
        len(urls),
    )
    try:
        links = json.loads(text)["links"]
        states: dict[str, int] = {}
        for link in links:
            states[link["state"]] = states.get(link["state"], 0) + 1
        run.note = " ".join(f"{k}={v}" for k, v in sorted(states.items()))
    except (ValueError, KeyError, TypeError) as error:
        run.note = f"could not read its report ({type(error).__name__})"
        (ROOT / "bench" / "results" / "linkinator-output.txt").write_text(text)
    return run


def run_linkchecker(farm: Farm, urls: list[str]) -> Run:
    binary = ensure_linkchecker()
    run, text = measure(
        f"LinkChecker {LINKCHECKER_VERSION}",
        [str(binary), "--check-extern", "--recursion-level=1", "--no-warnings",
         "--output=none", f"http://{HOSTS[0]}:{farm.port}/index.html"],
        farm,
        len(urls),
    )  # fmt: skip
    return run


def report(runs: list[Run]) -> str:
    base = next((r for r in runs if r.tool.startswith("linkinator")), None)
    lines = [
        f"{'tool':<22} {'links':>6} {'seconds':>8} {'links/s':>8} {'vs linkinator':>13} "
        f"{'CPU ms/link':>11} {'max conn/host':>13} {'peak RSS MB':>11} {'peak PSS MB':>11} "
        f"{'requests':>8} {'pages read':>10}  note"
    ]
    for run in runs:
        ratio = (
            f"{run.links_per_second / base.links_per_second:.2f}x"
            if base and base.links_per_second
            else "-"
        )
        lines.append(
            f"{run.tool:<22} {run.links:>6} {run.seconds:>8.2f} {run.links_per_second:>8.0f} "
            f"{ratio:>13} {run.cpu_seconds * 1000 / run.links:>11.2f} "
            f"{run.max_open_per_host:>13} {run.peak_rss_mb:>11.1f} "
            f"{run.peak_pss_mb:>11.1f} {run.farm_requests:>8} {run.farm_bodies:>10}  {run.note}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--urls", type=int, default=5000)
    parser.add_argument("--only", action="append", choices=["linkdir", "linkinator", "linkchecker"])
    parser.add_argument(
        "--workers",
        type=int,
        action="append",
        help="linkdir --workers value(s) to run; default: linkdir's own default",
    )
    parser.add_argument("--rounds", type=int, default=1, help="run every tool this often")
    parser.add_argument("--page-kb", type=int, default=40, help="size of the farm's pages")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="also run the linkdir of this src directory (an older commit) in the same run",
    )
    parser.add_argument(
        "--precompile",
        action="store_true",
        help="compile linkdir's bytecode first (as a wheel install does); without it, an "
        "editable install under PYTHONDONTWRITEBYTECODE=1 compiles its modules at every start",
    )
    parser.add_argument(
        "--references",
        action="store_true",
        help="also run two references: every page read by bare aiohttp, and linkdir without "
        "its page analysis",
    )
    parser.add_argument("--serve-farm", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_farm:
        serve_farm(args.serve_farm, args.urls, args.page_kb)
        return
    if args.precompile:
        for src in [ROOT / "src", *([args.baseline] if args.baseline else [])]:
            # Python reads the .pyc files even when it may not write them.
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(src)], check=True)
    tools = args.only or ["linkdir", "linkinator", "linkchecker"]
    if "linkinator" in tools:
        ensure_linkinator()
    if "linkchecker" in tools:
        ensure_linkchecker()
    farm = Farm(args.urls, args.page_kb)
    runs: list[Run] = []
    try:
        urls = farm_urls(farm.port, args.urls)
        work = ROOT / "bench" / "results"
        work.mkdir(parents=True, exist_ok=True)
        print(f"farm: {len(HOSTS)} hosts on 127.0.1.1-100:{farm.port}, {len(urls)} URLs, "
              f"{args.page_kb} KB pages, {DELAY * 1000:.0f} ms per answer, {os.cpu_count()} cores",
              flush=True)  # fmt: skip
        for _round in range(args.rounds):
            for tool in tools:
                if tool == "linkdir":
                    if args.references:
                        for run in run_references(farm, urls, work):
                            runs.append(run)
                            print(report(runs[-1:]).splitlines()[-1], flush=True)
                    for baseline in [args.baseline, None] if args.baseline else [None]:
                        for workers in args.workers or [None]:
                            runs.append(run_linkdir(farm, urls, work, workers, baseline))
                            print(report(runs[-1:]).splitlines()[-1], flush=True)
                    continue
                if tool == "linkinator":
                    runs.append(run_linkinator(farm, urls))
                else:
                    runs.append(run_linkchecker(farm, urls))
                print(report(runs[-1:]).splitlines()[-1], flush=True)
    finally:
        farm.close()
    print()
    if args.rounds > 1:
        # On a shared machine the load changes between runs; each tool's best run is
        # the fairest comparison (every tool gets the same number of tries).
        best: dict[str, Run] = {}
        for run in runs:
            if run.tool not in best or run.seconds < best[run.tool].seconds:
                best[run.tool] = run
        print(f"best of {args.rounds} rounds:")
        print(report(list(best.values())))
    else:
        print(report(runs))
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (ROOT / "bench" / "results" / f"checker-{stamp}.json").write_text(
        json.dumps(
            [
                run.__dict__ | {"links_per_second": run.links_per_second, "page_kb": args.page_kb}
                for run in runs
            ]
        )
    )


if __name__ == "__main__":
    main()
