"""The ``linkdir`` command (DESIGN §7)."""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from linkdir.config import Settings, SettingsError

T = TypeVar("T")


def load_settings() -> Settings:
    """Settings from the environment, or a clear message and exit status 2."""
    try:
        return Settings.from_env()
    except SettingsError as error:
        click.echo(f"linkdir: configuration error: {error}", err=True)
        sys.exit(2)


def _configure_logging(settings: Settings) -> None:
    from linkdir.ops.logs import configure_logging

    configure_logging(settings)


def _run_with_session(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    from linkdir import changes
    from linkdir.db import create_engine, session_factory

    async def runner() -> T:
        engine = create_engine(settings.database_url)
        try:
            async with session_factory(engine)() as session:
                result = await work(session)
                await session.commit()
                await changes.announce(settings, session_factory(engine), changes.take(session))
                return result
        finally:
            await engine.dispose()

    return asyncio.run(runner())


def _announce_setup(settings: Settings, log: logging.Logger) -> None:
    """First run: log a one-time address that creates the first admin (#15)."""
    from linkdir.auth.accounts import setup_token
    from linkdir.mail.accounts import setup_link

    try:
        token = _run_with_session(settings, setup_token)
    except Exception as error:  # no tables yet (--no-migrate): the address comes next time
        log.warning("first run: could not make a setup address: %s", error)
        return
    if token:
        log.warning(
            "first run: no account exists. Create the first administrator at %s "
            "(works once, for 24 hours; a new address is printed at each start)",
            setup_link(settings, token),
        )
    if not settings.mail_enabled:
        log.warning(
            "mail: LINKDIR_SMTP_URL is empty, so no digests, invitations or password links "
            "are mailed%s",
            " (development: mails are printed to this log)" if settings.is_development else "",
        )


def _served_at(host: str, port: int) -> str:
    """The address a browser on this machine reaches ``linkdir serve`` at."""
    if host in {"", "0.0.0.0", "::"}:  # every interface: this machine's own
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _fail(message: str, status: int = 1) -> None:
    click.echo(f"linkdir: {message}", err=True)
    sys.exit(status)


class _LazyGroup(click.Group):
    """Commands kept in other modules are imported only when asked for.

    ``check-urls`` then loads the checker and nothing of the web app, the database layer
    or mail: ~35 MB less per checker process, and a quicker start (issue 12). ``linkdir
    --help`` lists them from their first help paragraph kept here (importing the three
    modules only to print one line each cost ~1.4 s of CPU); a test holds it equal to
    the command's own.
    """

    LAZY = {
        "check-urls": (
            "linkdir.checks.cli",
            "check_urls",
            "Check the URLs in SOURCE (one a line; `-` reads standard input).",
        ),
        "digest": ("linkdir.mail.cli", "digest_group", "Curators' e-mail digests."),
        "export": (
            "linkdir.transfer.cli",
            "export_command",
            "Export the directory: JSON (complete), CSV, bookmarks or the OPML of feeds.",
        ),
        "import": (
            "linkdir.transfer.cli",
            "import_command",
            "Import resources from SOURCE: a links page (http(s) address), a file or - (stdin).",
        ),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.LAZY})

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        ctx.meta[_LISTING] = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            ctx.meta.pop(_LISTING, None)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.LAZY and cmd_name not in self.commands:
            module_name, attribute, summary = self.LAZY[cmd_name]
            if ctx.meta.get(_LISTING):  # the command list needs its line, not the command
                return click.Command(cmd_name, help=summary)
            command = getattr(importlib.import_module(module_name), attribute)
            assert isinstance(command, click.Command)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as error:
            # A command that met a database it cannot use (never migrated, behind or ahead
            # of this version, not answering) says so and how to mend it, not a traceback.
            problem = _database_problem(error)
            if problem is None:
                raise
            _fail(problem, 2)


def _database_problem(error: BaseException) -> str | None:
    """What is wrong with the configured database, when ``error`` came from it."""
    exc = sys.modules.get("sqlalchemy.exc")
    if exc is None or not isinstance(error, (exc.DBAPIError, OSError)):
        return None
    from linkdir.db import schema_problem

    try:
        settings = load_settings()
        problem = asyncio.run(schema_problem(settings.database_url))
    except Exception:
        return None
    return problem.message if problem is not None else None


_LISTING = "linkdir.listing_commands"


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="linkdir")
def main() -> None:
    """linkdir: a curated link directory that checks its own links."""


# Commands whose process ends the moment their work is done and reported: every result is
# recorded or printed, the database and the checking processes are closed, and tearing the
# interpreter down (every module of the database layer, the engine, the models) would cost
# ~0.1 s of each run (issue 18). Other commands keep Python's normal exit (atexit hooks,
# temporary files' finalizers).
_QUICK_EXIT = frozenset({"check", "check-urls"})


def run() -> None:
    """The ``linkdir`` console script: :func:`main`, with a quick exit for the check commands."""
    if len(sys.argv) < 2 or sys.argv[1] not in _QUICK_EXIT:
        main()
        return
    try:
        main()
    except SystemExit as stop:
        code = stop.code
    else:  # pragma: no cover - Click's standalone mode always ends with SystemExit
        code = 0
    if code is not None and not isinstance(code, int):
        raise SystemExit(code)  # a message: Python prints it and exits with status 1
    logging.shutdown()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed or broken pipe: Python's own exit reports it
        raise SystemExit(code) from None
    os._exit(code or 0)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--fd",
    type=click.IntRange(min=0),
    default=None,
    help="Serve on this already bound, listening socket (a file descriptor) instead.",
)
@click.option(
    "--no-scheduler",
    is_flag=True,
    help="Web process only: leave link checks to `linkdir worker` processes.",
)
@click.option(
    "--migrate/--no-migrate",
    default=None,
    help=(
        "Apply database migrations first (default: yes on SQLite or with "
        "LINKDIR_RUN_MIGRATIONS=1, no otherwise)."
    ),
)
def serve(host: str, port: int, fd: int | None, no_scheduler: bool, migrate: bool | None) -> None:
    """Serve the directory over HTTP."""
    from linkdir.config import DEVELOPMENT_KEY_FILE, keep_development_key

    # Settings first: a misconfigured start fails before the web app is even imported.
    settings = keep_development_key(load_settings())
    import uvicorn

    from linkdir.app import create_app
    from linkdir.db import upgrade

    _configure_logging(settings)
    log = logging.getLogger("linkdir")
    if settings.secret_key_was_generated:
        log.warning(
            "development mode: using the generated LINKDIR_SECRET_KEY kept in %s (sessions "
            "survive restarts). Set LINKDIR_SECRET_KEY for anything else.",
            DEVELOPMENT_KEY_FILE,
        )
    listening = None
    if fd is not None:
        import socket

        # A socket someone else bound (a test with port 0, systemd, a supervisor).
        try:
            listening = socket.socket(fileno=fd)
            host, port = listening.getsockname()[:2]
        except OSError as error:
            _fail(f"--fd {fd} is not a listening socket: {error.strerror or error}", 2)
    if "LINKDIR_BASE_URL" not in os.environ:  # the address served on, whatever --port says
        settings = dataclasses.replace(settings, base_url=_served_at(host, port))
    if migrate if migrate is not None else (settings.run_migrations or settings.is_sqlite):
        upgrade(settings.database_url)
    else:
        from linkdir.db import schema_problem

        # Not migrating: a database without this version's tables would answer every page
        # with an error. One that does not answer yet may come up (/health/ready says so).
        problem = asyncio.run(schema_problem(settings.database_url))
        if problem is not None and problem.kind != "unreachable":
            _fail(f"{problem.message} (or start this server with --migrate)", 2)
    _announce_setup(settings, log)
    app = create_app(settings, run_scheduler=not no_scheduler)
    log.info(
        "serving on http://%s:%d (database: %s)", host, port, settings.database_url.split("://")[0]
    )
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        proxy_headers=True,
        log_config=None,  # configured above: one format (text or JSON) for every logger
    )
    server = uvicorn.Server(config)
    server.run(sockets=[listening] if listening is not None else None)
    if not server.started:
        sys.exit(3)  # uvicorn's STARTUP_FAILURE: the port was taken, say


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply Alembic migrations up to --revision (default: the newest)."""
    from linkdir.db import (
        current_revisions,
        head_revisions,
        known_revisions,
        schema_problem,
        upgrade,
    )

    settings = load_settings()
    problem = asyncio.run(schema_problem(settings.database_url))
    if problem is not None and problem.kind in {"unreachable", "ahead"}:
        _fail(problem.message, 2)  # nothing to migrate with, or from a newer linkdir
    wanted = revision if revision != "head" else None
    if wanted is not None and wanted not in known_revisions():
        known = ", ".join(sorted(known_revisions()))
        _fail(f"no migration {revision!r}: this linkdir knows {known} (or head)", 2)
    from alembic.util import CommandError

    try:
        upgrade(settings.database_url, revision)
    except CommandError as error:  # e.g. asked for an older revision: that is a downgrade
        _fail(f"could not migrate to {revision}: {error}", 2)
    at = asyncio.run(current_revisions(settings.database_url)) or frozenset()
    shown = ", ".join(sorted(at)) or "none"
    if wanted is not None and wanted not in at:
        _fail(f"the database stays at migration {shown}: upgrade does not go back to {wanted}", 1)
    newest = " (the newest)" if at == head_revisions() else ""
    click.echo(f"database is at migration {shown}{newest}")


@main.group()
def user() -> None:
    """Curator accounts."""


def _read_password(password_stdin: bool) -> str:
    if password_stdin or not sys.stdin.isatty():
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@user.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "editor"]), default="editor", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def user_add(email: str, role: str, password_stdin: bool) -> None:
    """Add an account; the password is asked for (or read from stdin), never an argument."""
    from linkdir.auth.service import create_user
    from linkdir.errors import Conflict, ValidationFailed

    settings = load_settings()
    password = _read_password(password_stdin)

    async def work(session: Any) -> Any:
        return await create_user(session, email, password, role)

    try:
        created = _run_with_session(settings, work)
    except ValidationFailed as error:
        _fail(str(error), 2)  # ValidationFailed says "field: why; …"
    except Conflict as error:
        _fail(error.error.message % error.error.params, 1)
    click.echo(f"added {created.email} ({created.role})")


@user.command("passwd")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def user_passwd(email: str, password_stdin: bool) -> None:
    """Set a new password for EMAIL; signs the account out everywhere."""
    from linkdir.auth.service import set_password
    from linkdir.errors import NotFound, ValidationFailed

    settings = load_settings()
    password = _read_password(password_stdin)

    async def work(session: Any) -> Any:
        return await set_password(session, email, password)

    try:
        _run_with_session(settings, work)
    except ValidationFailed as error:
        _fail(str(error), 2)  # ValidationFailed says "field: why; …"
    except NotFound:
        _fail(f"no account {email!r}", 1)
    click.echo(f"password changed for {email.strip().lower()}")


@user.command("list")
def user_list() -> None:
    """List accounts: e-mail, role, active or disabled, last sign-in."""
    from linkdir.auth.service import list_users

    settings = load_settings()
    users = _run_with_session(settings, list_users)
    for account in users:
        state = "active" if account.is_active else "disabled"
        last = (
            account.last_login_at.isoformat(timespec="minutes")
            if account.last_login_at
            else "never"
        )
        click.echo(f"{account.email}\t{account.role}\t{state}\tlast sign-in: {last}")


@user.command("disable")
@click.argument("email")
@click.option("--enable", is_flag=True, help="Enable the account again instead.")
def user_disable(email: str, enable: bool) -> None:
    """Disable EMAIL: its sessions end and its tokens stop working at once."""
    from linkdir.auth.service import set_active
    from linkdir.errors import NotFound

    settings = load_settings()

    async def work(session: Any) -> Any:
        return await set_active(session, email, enable)

    try:
        _run_with_session(settings, work)
    except NotFound:
        _fail(f"no account {email!r}", 1)
    click.echo(f"{email.strip().lower()} {'enabled' if enable else 'disabled'}")


@main.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.argument("email")
@click.option("--name", default="", help="A note saying what the token is for.")
def token_create(email: str, name: str) -> None:
    """Create an API token for EMAIL; it is printed once and stored only as a hash."""
    from linkdir.auth.service import create_token
    from linkdir.errors import NotFound

    settings = load_settings()

    async def work(session: Any) -> Any:
        return await create_token(session, email, name)

    try:
        new = _run_with_session(settings, work)
    except NotFound:
        _fail(f"no active account {email!r}; add it with `linkdir user add`", 1)
    click.echo(new.token)
    click.echo("Store this token now: it is not shown again.", err=True)


@token.command("feed")
@click.argument("email")
def token_feed(email: str) -> None:
    """Print EMAIL's private link-problems feed address; the previous one stops working."""
    from linkdir.errors import NotFound
    from linkdir.feeds.service import create_feed_secret, link_problems_url

    settings = load_settings()

    async def work(session: Any) -> str:
        return await create_feed_secret(session, email)

    try:
        secret = _run_with_session(settings, work)
    except NotFound:
        _fail(f"no active account {email!r}; add it with `linkdir user add`", 1)
    click.echo(link_problems_url(settings, secret))
    click.echo("A read-only feed address; any earlier one for this account is revoked.", err=True)


@main.command()
@click.option("--url", default=None, help="Check this /health address instead of the database.")
@click.option(
    "--worker",
    "worker_check",
    is_flag=True,
    help="Also fail unless a `linkdir worker` on this machine wrote a fresh heartbeat.",
)
def healthcheck(url: str | None, worker_check: bool) -> None:
    """Exit 0 when linkdir is healthy (the database answers, or --url answers 200)."""
    settings = load_settings()
    if url:
        import httpx

        try:
            response = httpx.get(url, timeout=5)
        except httpx.HTTPError as error:
            _fail(f"unhealthy: {error}", 1)
        if response.status_code != 200:
            _fail(f"unhealthy: {url} answered {response.status_code}", 1)
        click.echo("healthy")
        return
    from linkdir.db import create_engine, schema_problem, session_factory
    from linkdir.ops.health import WorkerHealth, worker_health

    async def check() -> tuple[str | None, WorkerHealth | None]:
        problem = await schema_problem(settings.database_url)
        if problem is not None or not worker_check:
            return problem.message if problem is not None else None, None
        engine = create_engine(settings.database_url)
        try:
            async with session_factory(engine)() as session:
                return None, await worker_health(session)
        finally:
            await engine.dispose()

    problem, workers = asyncio.run(check())
    if problem is not None:
        _fail(f"unhealthy: {problem}", 1)
    if workers is not None and not workers.healthy:
        if workers.stale:
            name, age = max(workers.stale, key=lambda item: -item[1])
            _fail(f"unhealthy: worker {name} last beat {age:.0f} s ago (hung or stopped)", 1)
        _fail("unhealthy: no worker on this machine has written a heartbeat", 1)
    click.echo("healthy")


def _engine_processes_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--engine-processes",
        type=click.IntRange(0, 16),
        default=None,
        envvar="LINKDIR_ENGINE_PROCESSES",
        help="Processes that check links while this one records the results (hosts are "
        "split between them); 0 checks in this process. Default: 1 when there is a second "
        "core, else 0. Environment: LINKDIR_ENGINE_PROCESSES.",
    )(command)


@main.command("check")
@click.option("--due", "scope", flag_value="due", default=True, help="Check due links (default).")
@click.option("--all", "scope", flag_value="all", help="Check every link now, due or not.")
@_engine_processes_option
def check(scope: str, engine_processes: int | None) -> None:
    """Run one cycle of link checks in the foreground and print a summary."""
    from linkdir.checker import EngineConfig
    from linkdir.checks.engine_process import EngineDied, default_processes, open_engine, run

    settings = load_settings()
    _configure_logging(settings)
    tty = sys.stderr.isatty()
    processes = default_processes() if engine_processes is None else engine_processes

    def progress(done: int, total: int) -> None:
        line = f"checked {done}/{total}"
        if tty:
            click.echo("\r" + line, err=True, nl=False)
        elif done == total or done % 50 == 0:
            click.echo(line, err=True)

    async def runner() -> Any:
        # The checking processes start first: they import the engine while this one
        # imports the database layer (issue 18).
        async with open_engine(EngineConfig.from_settings(settings), processes) as engine:
            from linkdir.checks.jobs import run_cycle
            from linkdir.db import create_engine, session_factory

            db_engine = create_engine(settings.database_url)
            try:
                return await run_cycle(
                    session_factory(db_engine),
                    settings,
                    everything=scope == "all",
                    progress=progress,
                    engine=engine,
                )
            finally:
                await db_engine.dispose()

    try:
        cycle = run(runner())  # uvloop where installed, as check-urls (issue 18)
    except EngineDied as error:
        if tty:
            click.echo("", err=True)
        _fail(f"{error}; the links it had not checked are due again", 1)
    if tty:
        click.echo("", err=True)
    from linkdir.checks.runs import VERDICTS

    summary = ", ".join(f"{verdict} {cycle.counts.get(verdict, 0)}" for verdict in VERDICTS)
    click.echo(f"checked {cycle.done} links: {summary}")


@main.command()
@click.option(
    "--dispatch-every",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=0.5),
    help="Seconds between dispatch runs (claiming due links).",
)
@_engine_processes_option
def worker(dispatch_every: float, engine_processes: int | None) -> None:
    """Check links on schedule (with PostgreSQL, any number of workers share the work).

    SIGTERM or SIGINT stops it cleanly: no new jobs, running batches finish within
    LINKDIR_SHUTDOWN_GRACE or give their links back, exit status 0.
    """
    import signal
    from datetime import timedelta

    from linkdir.checker import parallel
    from linkdir.checks.engine_process import default_processes
    from linkdir.checks.runner import CheckRunner
    from linkdir.db import create_engine

    settings = load_settings()
    processes = default_processes() if engine_processes is None else engine_processes
    _configure_logging(settings)
    worker_log = logging.getLogger("linkdir.worker")
    from linkdir.db import schema_problem

    # A worker does not migrate (the web process or `linkdir db upgrade` does): on a
    # database it cannot use it stops at once with the reason, rather than logging one
    # failed job after another (a supervisor restarts it until the database is ready).
    problem = asyncio.run(schema_problem(settings.database_url))
    if problem is not None:
        _fail(problem.message, 2)

    def dump_tasks(runner: CheckRunner) -> None:
        # SIGUSR1: what is this worker waiting for? (each task's stack, to the log)
        running = getattr(runner.scheduler, "_running_jobs", None)
        worker_log.warning("jobs running: %r", running)
        for task in asyncio.all_tasks():
            lines = [task.get_name()]
            awaiting: Any = task.get_coro()
            while awaiting is not None:
                frame = getattr(awaiting, "cr_frame", None) or getattr(awaiting, "ag_frame", None)
                if frame is not None:
                    code = frame.f_code
                    lines.append(f"  {code.co_filename}:{frame.f_lineno} {code.co_name}")
                awaiting = getattr(awaiting, "cr_await", None) or getattr(
                    awaiting, "ag_await", None
                )
            worker_log.warning("%s", "\n".join(lines))

    async def runner() -> None:
        engine = create_engine(settings.database_url)
        checks = CheckRunner(
            settings,
            engine,
            dispatch_every=timedelta(seconds=dispatch_every),
            engine_processes=processes,
        )
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGUSR1, dump_tasks, checks)
        for stop_signal in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(stop_signal, checks.request_stop)
        try:
            await checks.run()
        finally:
            await engine.dispose()
        worker_log.info("stopped cleanly")

    parallel.run(runner())  # uvloop where installed, as check-urls (issue 18)
