"""``linkdir check-urls FILE|-``: check a list of URLs without a database (DESIGN §4)."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import secrets
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import IO, Protocol

import click

from linkdir.checker import Checker, CheckResult, EngineConfig, parallel
from linkdir.config import Settings, SettingsError
from linkdir.csvout import SafeWriter

VERDICTS = ("ok", "moved", "broken", "unverified")


class _Writer(Protocol):
    def result(self, result: CheckResult) -> None: ...

    def finish(self, counts: Counter[str], seconds: float) -> None: ...


def _settings() -> Settings:
    """Settings from the environment, or a clear message and exit status 2."""
    try:
        # check-urls signs nothing: a throw-away key keeps it usable on a bare machine
        # where LINKDIR_SECRET_KEY (needed by `serve`) is not set.
        return Settings.from_env(secret_key=secrets.token_urlsafe(48))
    except SettingsError as error:
        click.echo(f"linkdir: configuration error: {error}", err=True)
        sys.exit(2)


@click.command("check-urls")
@click.argument("source", type=click.File("r", encoding="utf-8", errors="replace"))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["json", "table", "csv"]),
    default=None,
    help="Output format. Default: table on a terminal, json otherwise.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Checker processes; hosts are split between them. Default: one per core, at most 4.",
)
def check_urls(source: IO[str], output_format: str | None, workers: int | None) -> None:
    """Check the URLs in SOURCE (one a line; `-` reads standard input).

    Blank lines and lines starting with # are skipped. Exit status: 0 when nothing is
    broken, 1 when something is, 2 for usage errors, 3 when a checker process failed and
    some URLs were not checked (the output holds those that were).
    """
    settings = _settings()
    out = sys.stdout
    if output_format is None:
        output_format = "table" if out.isatty() else "json"
    # No output format shows a content hash or a fingerprint: ~0.5 and ~4 ms of CPU per
    # 40 KB page saved (issue 12).
    config = EngineConfig.from_settings(settings, content_hashes=False, fingerprints=False)
    writer: _Writer
    if output_format == "json":
        writer = _JsonWriter(out)
    elif output_format == "csv":
        writer = _CsvWriter(out)
    else:
        total = _count_urls(source)
        writer = _TableWriter(out, sys.stderr, total)
    workers = workers or min(4, os.cpu_count() or 1)
    started = time.monotonic()
    counts: Counter[str] = Counter({verdict: 0 for verdict in VERDICTS})
    # What start-up made stays for the whole run: out of the collector's sight it is not
    # traversed by every collection, and forked helpers keep sharing its pages.
    gc.collect()
    gc.freeze()
    # Helpers are forked before this process starts its event loop or any thread.
    shards = parallel.Shards(config, workers) if workers > 1 else None
    failed: parallel.ShardFailed | None = None
    try:
        parallel.run(_run(config, source, writer, counts, shards))
    except parallel.ShardFailed as error:
        failed = error
    finally:
        if shards is not None:
            shards.close()
    writer.finish(counts, time.monotonic() - started)
    if failed is not None:
        checked = sum(counts.values())
        click.echo(
            f"linkdir: a checker process failed ({failed}); the check stopped after "
            f"{checked} URL(s), and the rest were not checked",
            err=True,
        )
        sys.exit(3)
    sys.exit(1 if counts["broken"] else 0)


async def _run(
    config: EngineConfig,
    source: IO[str],
    writer: _Writer,
    counts: Counter[str],
    shards: parallel.Shards | None,
) -> None:
    if shards is not None:
        async for result in shards.check(_lines(source)):
            counts[result.status] += 1
            writer.result(result)
        return
    async with Checker(config) as checker:
        async for result in checker.check_many(_read_urls(source)):
            counts[result.status] += 1
            writer.result(result)


def _lines(source: IO[str]) -> Iterator[str]:
    """URLs from ``source``: blank lines and ``#`` comments skipped, a BOM dropped."""
    for number, line in enumerate(source):
        url = (line.lstrip("\ufeff") if number == 0 else line).strip()
        if url and not url.startswith("#"):
            yield url


async def _read_urls(source: IO[str]) -> AsyncIterator[str]:
    """URLs of ``source``, read in batches off the event loop (stdin may be a slow pipe)."""
    first = True
    while True:
        lines = await asyncio.to_thread(source.readlines, 65536)
        if not lines:
            return
        if first:
            lines[0] = lines[0].lstrip("\ufeff")
            first = False
        for line in lines:
            url = line.strip()
            if url and not url.startswith("#"):
                yield url


def _count_urls(source: IO[str]) -> int | None:
    """How many URLs a regular file holds (for the progress bar); None for a pipe."""
    try:
        if not source.seekable():
            return None
        position = source.tell()
        total = sum(1 for line in source if line.strip() and not line.strip().startswith("#"))
        source.seek(position)
    except (OSError, ValueError):
        return None
    return total


class _JsonWriter:
    """Writes the DESIGN §4 document incrementally: results first, summary last."""

    def __init__(self, out: IO[str]) -> None:
        self._out = out
        self._first = True
        out.write('{"results": [')

    def result(self, result: CheckResult) -> None:
        self._out.write("\n  " if self._first else ",\n  ")
        self._first = False
        self._out.write(result.to_json_text())

    def finish(self, counts: Counter[str], seconds: float) -> None:
        summary = {verdict: counts[verdict] for verdict in VERDICTS}
        summary["seconds"] = round(seconds, 3)  # type: ignore[assignment]
        self._out.write(("\n" if not self._first else "") + '],\n "summary": ')
        self._out.write(json.dumps(summary) + "}\n")
        self._out.flush()


class _CsvWriter:
    COLUMNS = (
        "url",
        "status",
        "http_status",
        "reason",
        "final_url",
        "redirects",
        "modified",
        "elapsed_ms",
        "checked_at",
        "detail",
    )

    def __init__(self, out: IO[str]) -> None:
        self._out = out
        self._csv = SafeWriter(out, lineterminator="\n")  # no cell runs as a formula
        self._csv.writerow(self.COLUMNS)

    def result(self, result: CheckResult) -> None:
        item = result.to_json()
        hops = " | ".join(f"{hop['status']} {hop['url']}" for hop in item["redirects"])
        self._csv.writerow(
            [
                item["url"],
                item["status"],
                item["http_status"] if item["http_status"] is not None else "",
                item["reason"],
                item["final_url"] or "",
                hops,
                item["modified"] or "",
                item["elapsed_ms"],
                item["checked_at"],
                result.detail,
            ]
        )

    def finish(self, counts: Counter[str], seconds: float) -> None:
        self._out.flush()


_COLOURS = {"ok": "green", "moved": "cyan", "broken": "red", "unverified": "yellow"}


class _TableWriter:
    """Aligned rows as results arrive; a progress line on stderr when it is a terminal."""

    def __init__(self, out: IO[str], err: IO[str], total: int | None) -> None:
        self._out = out
        self._err = err
        self._total = total
        self._done = 0
        self._counts: Counter[str] = Counter()
        self._progress = err.isatty()
        self._colour = out.isatty()
        self._drawn = 0.0
        self._started = time.monotonic()
        out.write(f"{'STATUS':<10} {'HTTP':>4}  {'REASON':<22} URL\n")

    def result(self, result: CheckResult) -> None:
        self._done += 1
        self._counts[result.status] += 1
        status = f"{result.status:<10}"
        if self._colour:
            status = click.style(status, fg=_COLOURS[result.status])
        http = str(result.http_status) if result.http_status is not None else "-"
        line = f"{status} {http:>4}  {result.reason:<22} {result.url}"
        if result.final_url and result.final_url != result.url:
            line += f"  -> {result.final_url}"
        if self._progress:
            self._err.write("\r\x1b[K")
        self._out.write(line + "\n")
        if self._progress:
            self._out.flush()
            now = time.monotonic()
            if now - self._drawn > 0.1 or (self._total and self._done == self._total):
                self._drawn = now
                self._draw(now)

    def _draw(self, now: float) -> None:
        rate = self._done / max(now - self._started, 1e-6)
        counts = " ".join(f"{v} {self._counts[v]}" for v in VERDICTS)
        if self._total:
            filled = int(30 * self._done / self._total)
            bar = "#" * filled + "-" * (30 - filled)
            text = f"[{bar}] {self._done}/{self._total}"
        else:
            text = f"{self._done} checked"
        self._err.write(f"\r{text}  {counts}  {rate:.0f}/s")
        self._err.flush()

    def finish(self, counts: Counter[str], seconds: float) -> None:
        if self._progress:
            self._err.write("\r\x1b[K")
            self._err.flush()
        summary = ", ".join(f"{counts[v]} {v}" for v in VERDICTS)
        self._out.write(f"\n{summary} in {seconds:.1f} s\n")
        self._out.flush()
