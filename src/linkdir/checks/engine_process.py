"""The link-check engine in processes of its own, fed by the recording process (issue 18).

One Python process that checks and records tops out well below the bare engine: the
engine (HTTP, parsing, hashes, fingerprints) and the recording (SQLAlchemy, the
database driver) share one core. :class:`EngineProcesses` runs the engine
(:class:`linkdir.checker.Checker`, the same SSRF guard and politeness) in ``N`` child
processes and streams their results back, so ``linkdir check`` and ``linkdir worker``
record on one core while another checks.

- **Hosts are sharded** (CRC-32 of the host, as ``check-urls --workers``): every host
  belongs to one child, so the per-host connection limit, Retry-After and the soft-404
  probe cache hold across all of them.
- **Plain data only** crosses: JSON lines on the child's stdin (requests: URLs and their
  ETag/Last-Modified) and stdout (results as lists of plain values, the fingerprint in
  its own JSON form). Nothing is unpickled.
- **A child that dies** fails every check in flight with :class:`EngineDied`; the caller's
  claims are then released (or expire) as for any failed batch. A child whose parent dies
  reads end-of-file on its stdin and exits.

Run as ``python -m linkdir.checks.engine_process`` (by :class:`EngineProcesses` only).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import date, datetime
from typing import Any, Protocol

from linkdir.checker.hosts import host_key, shard_of
from linkdir.checker.types import CheckResult, EngineConfig, Known, Redirect

# The longest line either side sends (a request of a few thousand URLs, a batch of results
# with fingerprints); asyncio's default of 64 KiB is too small for either.
LINE_LIMIT = 64 * 1024 * 1024
SEND_EVERY = 64  # results a child sends in one line at most
SEND_AFTER = 0.02  # seconds a finished result waits at most for others to share its line
STOP_SECONDS = 5.0  # a child told to stop (stdin closed) is killed after this long

Conditions = Mapping[str, Known]  # by URL


class Engine(Protocol):
    """What recording needs of an engine: :class:`Checker` or :class:`EngineProcesses`."""

    def check_many(
        self, urls: Iterable[str], *, conditions: Conditions | None = None
    ) -> AsyncIterator[CheckResult]: ...


class EngineDied(RuntimeError):
    """A checking process ended while checks were in flight (killed, crashed)."""


def run(coroutine: Any) -> Any:
    """Run ``coroutine`` on uvloop where installed (as :func:`linkdir.checker.parallel.run`,
    which imports the engine)."""
    try:
        import uvloop
    except ImportError:
        factory = None
    else:
        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(coroutine)


def default_processes() -> int:
    """Engine processes by default: one when there is a second core, else none."""
    return 1 if (os.cpu_count() or 1) > 1 else 0


def open_engine(config: EngineConfig, processes: int) -> Any:
    """An async context manager giving an :class:`Engine`: in this process when 0."""
    if processes <= 0:
        from linkdir.checker import Checker

        return Checker(config)
    return EngineProcesses(config, processes)


# -- the wire format -------------------------------------------------------------------------


def config_to_json(config: EngineConfig) -> dict[str, Any]:
    if config.resolver is not None:
        raise ValueError("an engine process resolves names itself: no resolver can be passed")
    return {
        f.name: getattr(config, f.name)
        for f in dataclasses.fields(EngineConfig)
        if f.name != "resolver"
    }


def config_from_json(data: dict[str, Any]) -> EngineConfig:
    data = dict(data)
    data["allow_networks"] = tuple(data.get("allow_networks", ()))
    return EngineConfig(**data)


def encode_result(result: CheckResult) -> list[Any]:
    """A result as a list of plain values (see :func:`decode_result`)."""
    return [
        result.url,
        result.status,
        result.http_status,
        result.reason,
        result.final_url,
        [[hop.url, hop.status] for hop in result.redirects],
        result.modified.isoformat() if result.modified else None,
        result.content_hash,
        result.elapsed_ms,
        result.checked_at.isoformat(),
        result.etag,
        result.last_modified,
        result.detail,
        result.moved_to,
        result.title,
        result.content_type,
        result.attempts,
        result.other_site,
        result.fingerprint.to_json() if result.fingerprint is not None else None,
    ]


def decode_result(item: list[Any]) -> CheckResult:
    from linkdir.checker.fingerprint import Fingerprint

    (url, status, http_status, reason, final_url, redirects, modified, content_hash,
     elapsed_ms, checked_at, etag, last_modified, detail, moved_to, title, content_type,
     attempts, other_site, fingerprint) = item  # fmt: skip
    return CheckResult(
        url=url,
        status=status,
        http_status=http_status,
        reason=reason,
        final_url=final_url,
        redirects=tuple(Redirect(hop_url, hop_status) for hop_url, hop_status in redirects),
        modified=date.fromisoformat(modified) if modified else None,
        content_hash=content_hash,
        elapsed_ms=elapsed_ms,
        checked_at=datetime.fromisoformat(checked_at),
        etag=etag,
        last_modified=last_modified,
        detail=detail,
        moved_to=moved_to,
        title=title,
        content_type=content_type,
        attempts=attempts,
        other_site=other_site,
        fingerprint=Fingerprint.from_json(fingerprint) if fingerprint is not None else None,
    )


def _line(*values: Any) -> bytes:
    return json.dumps(values, separators=(",", ":")).encode() + b"\n"


# -- the parent's side -----------------------------------------------------------------------


class _Request:
    def __init__(self, shards: int) -> None:
        self.left = shards
        self.items: asyncio.Queue[list[CheckResult] | BaseException | None] = asyncio.Queue()


class _Child:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.reader: asyncio.Task[None] | None = None

    def send(self, data: bytes) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        if stdin.is_closing():
            raise EngineDied("a checking process has stopped")
        stdin.write(data)


class EngineProcesses:
    """``processes`` checking processes, each with the hosts of its shard.

    Use as ``async with EngineProcesses(config, 2) as engine``; :meth:`check_many` may be
    called by several tasks at once (each host still gets ``config.per_host``
    connections at most, all its links being checked in the same child). Each child gets
    its share of ``config.concurrency``.

    ``per_request``: a host's idle connections close when its last link of a
    :meth:`check_many` is done (a worker's job: the next batch of a host may run on another
    worker, and the host must not see this one's idle connections beside it); the child's
    one checker, with its soft-404 probes (asked again after ``probe.PROBE_TTL``), DNS
    answers and Retry-After pauses, serves every job. Otherwise connections stay open for
    the next call (one ``linkdir check`` run).
    """

    def __init__(self, config: EngineConfig, processes: int, *, per_request: bool = False) -> None:
        if processes < 1:
            raise ValueError("at least one engine process")
        self.processes = processes
        self.per_request = per_request
        share = max(1, -(-config.concurrency // processes))
        self._config = config_to_json(dataclasses.replace(config, concurrency=share))
        self._children: list[_Child] = []
        self._requests: dict[int, _Request] = {}
        self._next_id = 0
        self.died: EngineDied | None = None

    async def __aenter__(self) -> EngineProcesses:
        try:
            for _ in range(self.processes):
                process = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "linkdir.checks.engine_process",
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    limit=LINE_LIMIT,
                )
                child = _Child(process)
                self._children.append(child)
                child.send(_line("config", self._config, self.per_request))
                child.reader = asyncio.create_task(self._read(child))
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def pids(self) -> list[int]:
        return [child.process.pid for child in self._children]

    async def close(self) -> None:
        """Tell every child to stop (end of its stdin), kill it if it does not."""
        for child in self._children:
            stdin = child.process.stdin
            if stdin is not None and not stdin.is_closing():
                stdin.close()
        for child in self._children:
            try:
                await asyncio.wait_for(child.process.wait(), STOP_SECONDS)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    child.process.kill()
                await child.process.wait()
            if child.reader is not None:
                child.reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await child.reader
        self._children = []

    async def check_many(
        self, urls: Iterable[str], *, conditions: Conditions | None = None
    ) -> AsyncIterator[CheckResult]:
        """Check ``urls`` in the children, yielding results as they come back."""
        if self.died is not None:
            raise self.died
        shards: list[list[str]] = [[] for _ in self._children]
        for url in urls:
            shards[shard_of(url, len(shards))].append(url)
        busy = [
            (child, shard) for child, shard in zip(self._children, shards, strict=True) if shard
        ]
        if not busy:
            return
        self._next_id += 1
        request_id = self._next_id
        request = _Request(len(busy))
        self._requests[request_id] = request
        finished = False
        try:
            for child, shard in busy:
                asked = (
                    {url: conditions[url] for url in shard if url in conditions}
                    if conditions
                    else {}
                )
                child.send(_line("check", request_id, shard, asked))
            while True:
                item = await request.items.get()
                if item is None:
                    finished = True
                    return
                if isinstance(item, BaseException):
                    finished = True
                    raise item
                for result in item:
                    yield result
        finally:
            self._requests.pop(request_id, None)
            if not finished and self.died is None:  # the caller stopped early: so do the children
                for child, _shard in busy:
                    with contextlib.suppress(EngineDied):
                        child.send(_line("cancel", request_id))

    async def _read(self, child: _Child) -> None:
        stdout = child.process.stdout
        assert stdout is not None
        try:
            while line := await stdout.readline():
                kind, request_id, *rest = json.loads(line)
                request = self._requests.get(request_id)
                if request is None:
                    continue  # cancelled meanwhile
                if kind == "results":
                    request.items.put_nowait([decode_result(item) for item in rest[0]])
                elif kind == "done":
                    request.left -= 1
                    if not request.left:
                        request.items.put_nowait(None)
                elif kind == "error":
                    request.items.put_nowait(EngineDied(f"a checking process failed: {rest[0]}"))
        except (ValueError, asyncio.LimitOverrunError) as error:
            failure = EngineDied(f"a checking process sent something unreadable: {error}")
        else:
            code = await child.process.wait()
            failure = EngineDied(f"a checking process ended (exit status {code})")
        self.died = failure
        for request in list(self._requests.values()):
            request.items.put_nowait(failure)
        with contextlib.suppress(ProcessLookupError):
            child.process.kill()


# -- the child's side ------------------------------------------------------------------------


class _WriteProtocol(asyncio.streams.FlowControlMixin, asyncio.Protocol):
    """The protocol of the child's stdout as a stream (asyncio's own for a write pipe)."""


async def _serve() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=LINE_LIMIT)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    # Results go out through the event loop's own buffer, not a blocking write: while the
    # parent is busy recording, a full pipe (64 KiB, about one line of results) would stop
    # this process's every check until the parent read again (issue 18).
    transport, protocol = await loop.connect_write_pipe(_WriteProtocol, sys.stdout)
    out = asyncio.StreamWriter(transport, protocol, None, loop)
    first = await reader.readline()
    if not first:
        out.close()
        return
    kind, config, per_request = json.loads(first)
    assert kind == "config"
    engine_config = config_from_json(config)
    from linkdir.checker import Checker

    tasks: dict[int, asyncio.Task[None]] = {}
    closers: set[asyncio.Future[None]] = set()

    def send(*values: Any) -> None:
        out.write(_line(*values))

    async def check(request_id: int, urls: list[str], conditions: dict[str, list[Any]]) -> None:
        pending: list[list[Any]] = []
        timer: asyncio.TimerHandle | None = None

        def flush() -> None:
            nonlocal timer, pending
            if timer is not None:
                timer.cancel()
                timer = None
            if pending:
                send("results", request_id, pending)
                pending = []

        asked = {url: (known[0], known[1], known[2]) for url, known in conditions.items()}
        # A worker's job: its hosts' next batch may go to another worker, which must not find
        # our idle sockets beside its own, so a host's are closed with its last result (before
        # the result is sent: recording it ends the host's lease). The checker itself stays,
        # with its soft-404 probes, DNS answers and Retry-After pauses.
        left = Counter(host_key(url) for url in urls) if per_request else None
        try:
            async for result in shared.check_many(urls, conditions=asked):
                if left is not None:
                    host = host_key(result.url)
                    left[host] -= 1
                    if host is not None and not left[host]:
                        await shared.close_idle_to({host})
                pending.append(encode_result(result))
                if len(pending) >= SEND_EVERY:
                    flush()
                elif timer is None:
                    timer = loop.call_later(SEND_AFTER, flush)
            if left is not None:  # and any host a result named otherwise than its request did
                await shared.close_idle_to({host for host in left if host})
                left = None
            flush()
            send("done", request_id)
        except asyncio.CancelledError:
            if timer is not None:
                timer.cancel()
            raise
        except Exception as error:  # the engine does not raise for a URL; report anything else
            flush()
            send("error", request_id, f"{type(error).__name__}: {error}")
        finally:
            tasks.pop(request_id, None)
            if left is not None and +left:  # cut short: close the unfinished hosts' sockets
                closing = asyncio.ensure_future(shared.close_idle_to({h for h in +left if h}))
                closers.add(closing)
                closing.add_done_callback(closers.discard)

    try:
        async with Checker(engine_config) as shared:
            try:
                while line := await reader.readline():
                    kind, request_id, *rest = json.loads(line)
                    if kind == "check":
                        urls, conditions = rest
                        tasks[request_id] = asyncio.create_task(check(request_id, urls, conditions))
                    elif kind == "cancel" and request_id in tasks:
                        tasks[request_id].cancel()
            finally:
                running = list(tasks.values())
                for task in running:
                    task.cancel()
                await asyncio.gather(*running, return_exceptions=True)
    finally:
        with contextlib.suppress(ConnectionError):
            await out.drain()  # what is still buffered reaches the parent before we end
        out.close()


def main() -> None:
    import signal

    # The parent decides when a child stops (it closes our stdin, or dies and the pipe
    # ends): Ctrl-C or a SIGTERM sent to the process group must not end checks the
    # parent means to finish or give back.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)

    with contextlib.suppress(BrokenPipeError, KeyboardInterrupt):
        run(_serve())
    # Everything this process had to say has reached the parent (its stdout is drained and
    # closed) and it holds nothing else: it ends here instead of tearing the interpreter
    # down, ~50 ms the parent waits for at the end of every `linkdir check` (issue 18).
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
