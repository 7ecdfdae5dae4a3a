"""The `linkdir` command for tests: in-process through Click's runner, or as a real process.

``run`` calls the real ``linkdir.cli.main`` in this process (Click's ``CliRunner``): the
same argument parsing, settings read from the environment given, ``asyncio.run`` inside,
exit statuses, stdout and stderr kept apart. It needs no interpreter start-up, no imports
of the app again and no production-cost Argon2 hashing (``cheap_argon2`` applies), so a
CLI test costs milliseconds instead of a second. Called from an ``async def`` test it runs
on a worker thread (``asyncio.run`` cannot nest) while the test's loop waits, as it did
for a subprocess. An exception the CLI does not turn into an exit status is raised here,
not hidden in an exit status of 1: a real process would print a traceback.

``run_process`` starts the installed ``linkdir`` script: kept for what only a process
shows (serve, worker, signals, the console script itself).
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import logging
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from tests.conftest import TEST_SECRET

LINKDIR = str(Path(sys.executable).parent / "linkdir")


@dataclass(frozen=True)
class Ran:
    """What a `linkdir` run left: the same three fields as ``subprocess.CompletedProcess``."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str


def base_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKDIR_")}
    env.update(
        LINKDIR_DATABASE_URL=database_url,
        LINKDIR_SECRET_KEY=TEST_SECRET,
        LINKDIR_CHECKER_ALLOW_NETWORKS="127.0.0.0/8",
    )
    env.update(extra)
    return env


def _invoke(args: list[str], env: dict[str, str], stdin: str) -> Ran:
    from linkdir.cli import main

    # The whole environment is the one given, as for a process: other LINKDIR_* go.
    overrides: dict[str, str | None] = {
        name: None for name in os.environ if name.startswith("LINKDIR_") and name not in env
    }
    overrides.update(env)
    root = logging.getLogger()
    # `linkdir check`/`worker` point the root logger at their stderr; give it back after.
    handlers, level = list(root.handlers), root.level
    try:
        result = CliRunner().invoke(main, args, input=stdin, env=overrides)
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
        for handler in handlers:
            if handler not in root.handlers:
                root.addHandler(handler)
        root.setLevel(level)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Ran(args, result.exit_code, result.stdout, result.stderr)


def run(args: list[str], env: dict[str, str], stdin: str = "") -> Ran:
    """`linkdir ARGS` in this process with ENV as its whole LINKDIR_* environment."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _invoke(args, env, stdin)
    with ThreadPoolExecutor(1, thread_name_prefix="linkdir-cli") as pool:
        return pool.submit(_invoke, args, env, stdin).result()


def run_process(
    args: list[str], env: dict[str, str], stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """`linkdir ARGS` as a real process (the installed console script)."""
    return subprocess.run(
        [LINKDIR, *args], input=stdin, env=env, capture_output=True, text=True, timeout=120
    )


@contextlib.contextmanager
def started(args: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    """`linkdir ARGS` started as a real process (stdout and stderr piped, as text) for a
    test to watch or signal; killed if it still runs when the block ends."""
    process = subprocess.Popen(
        [LINKDIR, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def imported_by(code: str, watched: set[str], *, packages: bool = False) -> tuple[list[str], str]:
    """Which of ``watched`` a new Python (this venv's) has imported after running ``code``:
    module names, or with ``packages`` top-level package names; and what it printed.

    A new interpreter, because this one has imported everything the tests use.
    """
    names = "{name.split('.')[0] for name in sys.modules}" if packages else "set(sys.modules)"
    script = f"{code}\nimport sys\nprint(sorted(set({sorted(watched)!r}) & {names}))\n"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    found = ast.literal_eval(done.stdout.strip().splitlines()[-1])
    return list(found), done.stdout


def listening_socket() -> socket.socket:
    """A socket bound to a port the kernel chose (port 0) and listening: no race for it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


@dataclass
class Served:
    """A `linkdir serve` process on a socket handed to it; ``base`` is its address."""

    process: subprocess.Popen[bytes]
    base: str
    log: Path

    def stop(self, timeout: float = 20) -> str:
        """SIGTERM, wait (SIGKILL after ``timeout``), and the log it wrote."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.log.read_text()


def start_serve(
    env: dict[str, str],
    log: Path,
    *extra: str,
    executable: str = LINKDIR,
    cwd: Path | None = None,
    sock: socket.socket | None = None,
    ready: str = "/health/live",
) -> Served:
    """`linkdir serve --fd N` on a listening socket bound to port 0, ready when returned
    (``ready`` answered 200).

    The socket listens before the process starts, so the first request simply waits in
    the backlog until the server accepts it: no polling. This process closes its copy, so
    a server that dies answers "refused" at once instead of leaving the request hanging.
    ``sock``: a socket from :func:`listening_socket` whose address the caller has put in
    ``env`` already (it is closed here too).
    """
    import httpx

    with sock or listening_socket() as sock:
        port = sock.getsockname()[1]
        with log.open("wb") as out:
            process = subprocess.Popen(
                [executable, "serve", "--fd", str(sock.fileno()), *extra],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                pass_fds=(sock.fileno(),),
            )
    served = Served(process, f"http://127.0.0.1:{port}", log)
    try:
        answer = httpx.get(served.base + ready, timeout=90)
    except httpx.HTTPError as error:
        raise AssertionError(f"linkdir serve did not answer ({error}):\n{served.stop()}") from None
    if answer.status_code != 200:
        raise AssertionError(f"linkdir serve answered {answer.status_code}:\n{served.stop()}")
    return served
