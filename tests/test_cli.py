"""The `linkdir` command: in-process for the bulk (``run``), real processes where only a
process shows it (serve, the password read from a pipe, a refused start)."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from pathlib import Path

import click
import httpx
import pytest

# Re-exported: other test modules (and the browser tests) import these from here.
from tests.linkdir_cli import (
    LINKDIR,
    base_env,
    imported_by,
    run,
    run_process,
    start_serve,
)

__all__ = ["LINKDIR", "base_env", "run", "run_process"]


def test_user_add_reads_the_password_from_stdin_and_never_echoes_it(database_url: str) -> None:
    env = base_env(database_url)
    password = "ett-långt-lösenord-2026"
    # A real process: the console script, a pipe for stdin, nothing echoed to either stream.
    added = run_process(
        ["user", "add", "Bibliotekarie@Region.se", "--role", "admin", "--password-stdin"],
        env,
        password + "\n",
    )
    assert added.returncode == 0, added.stderr
    assert "bibliotekarie@region.se (admin)" in added.stdout
    assert password not in added.stdout + added.stderr
    again = run(
        ["user", "add", "bibliotekarie@region.se", "--password-stdin"], env, password + "\n"
    )
    assert again.returncode == 1 and "exists" in again.stderr
    weak = run(["user", "add", "ny@region.se", "--password-stdin"], env, "kort\n")
    assert weak.returncode == 2 and "10" in weak.stderr
    common = run(["user", "add", "ny@region.se", "--password-stdin"], env, "1234567890\n")
    assert common.returncode == 2 and "common" in common.stderr


def test_token_create_prints_the_token_once(database_url: str) -> None:
    env = base_env(database_url)
    run(["user", "add", "red@region.se", "--password-stdin"], env, "ett-långt-lösenord-2026\n")
    created = run(["token", "create", "red@region.se", "--name", "import script"], env)
    assert created.returncode == 0
    token = created.stdout.strip()
    assert token.startswith("ldt_") and len(token) > 40
    assert "not shown again" in created.stderr
    unknown = run(["token", "create", "nobody@region.se"], env)
    assert unknown.returncode == 1 and "user add" in unknown.stderr


def test_healthcheck_follows_the_database(database_url: str, refused_port: int) -> None:
    assert run(["healthcheck"], base_env(database_url)).returncode == 0
    nobody = f"postgresql+asyncpg://postgres@127.0.0.1:{refused_port}/none"
    down = run(["healthcheck"], base_env(nobody))
    assert down.returncode == 1 and "unhealthy" in down.stderr


def test_commands_on_a_database_they_cannot_use_say_why_and_what_to_do(
    tmp_path: Path, refused_port: int
) -> None:
    """A sysadmin who runs a command before `linkdir db upgrade` (or after rolling back to
    an older linkdir) gets the reason and the mend, not a traceback from the driver; a
    worker stops at once instead of logging one failed job after another."""
    import sqlite3

    from linkdir.db import head_revisions

    path = tmp_path / "linkdir.db"
    env = base_env(f"sqlite+aiosqlite:///{path}")
    never = "has no linkdir tables yet: run `linkdir db upgrade` first"
    # Real processes: the console script's own way out (check's quick exit, the worker).
    for args in (["check", "--all"], ["worker"], ["user", "list"]):
        done = run_process(args, env)
        assert done.returncode == 2, (args, done.stderr)
        assert never in done.stderr and "Traceback" not in done.stderr, (args, done.stderr)
    health = run(["healthcheck"], env)
    assert health.returncode == 1 and "unhealthy: the database at sqlite" in health.stderr
    assert never in health.stderr

    assert run(["db", "upgrade", "--revision", "0001"], env).returncode == 0
    behind = run(["check", "--all"], env)
    assert behind.returncode == 2
    needs = ", ".join(sorted(head_revisions()))
    assert f"is at migration 0001 and this linkdir needs {needs}: run `linkdir db upgrade`" in (
        behind.stderr
    )
    with sqlite3.connect(path) as connection:  # as a newer linkdir would have left it
        connection.execute("UPDATE alembic_version SET version_num = '0099'")
    ahead = run(["export", "--format", "json"], env)
    assert ahead.returncode == 2 and "0099, which this linkdir does not know" in ahead.stderr
    not_down = run(["db", "upgrade"], env)
    assert not_down.returncode == 2 and "0099, which this linkdir does not know" in not_down.stderr
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0001'")
    upgraded = run(["db", "upgrade"], env)
    assert upgraded.returncode == 0 and upgraded.stdout.endswith(
        f"migration {needs} (the newest)\n"
    )
    # Asked for what it cannot do, it says so (a traceback, or "database is at 0001" while
    # it stayed where it was, before).
    back = run(["db", "upgrade", "--revision", "0001"], env)
    assert back.returncode == 1
    assert f"stays at migration {needs}: upgrade does not go back to 0001" in back.stderr
    unknown = run(["db", "upgrade", "--revision", "nosuch"], env)
    assert unknown.returncode == 2 and "no migration 'nosuch'" in unknown.stderr
    assert "Traceback" not in back.stderr + unknown.stderr
    listed = run(["user", "list"], env)
    assert listed.returncode == 0 and listed.stderr == "", listed.stderr
    # A server told not to migrate does not start on a database it would answer with errors.
    empty = base_env(f"sqlite+aiosqlite:///{tmp_path}/empty.db")
    refused = run_process(["serve", "--no-migrate", "--port", str(refused_port)], empty)
    assert refused.returncode == 2, refused.stderr
    assert never in refused.stderr and "(or start this server with --migrate)" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert run(["healthcheck"], env).returncode == 0

    # A server that does not answer: the driver's reason, and never the password.
    down = run(
        ["user", "list"],
        base_env(f"postgresql+asyncpg://postgres:hemligt-ord@127.0.0.1:{refused_port}/x"),
    )
    assert down.returncode == 2 and "does not answer: " in down.stderr
    assert "postgres:***@127.0.0.1" in down.stderr and "hemligt-ord" not in down.stderr


def test_production_without_a_secret_key_refuses_to_start(
    tmp_path: Path, refused_port: int
) -> None:
    env = base_env(f"sqlite+aiosqlite:///{tmp_path}/x.db")
    del env["LINKDIR_SECRET_KEY"]
    # A port held by this test: a server that got as far as binding would exit 3, not 2.
    result = run_process(["serve", "--port", str(refused_port)], env)
    assert result.returncode == 2
    assert "LINKDIR_SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """`linkdir serve` as `make run` starts it: development, demo data, fresh SQLite; one
    server for this module's tests (they add to the directory, never remove). Without the
    in-process schedule: it would check the demo's Internet links, which here fail only
    after the checker's retries, and tests/checks/test_serve_scheduler.py proves it."""
    tmp_path = tmp_path_factory.mktemp("served")
    env = base_env(
        f"sqlite+aiosqlite:///{tmp_path}/linkdir.db", LINKDIR_ENV="development", LINKDIR_DEMO="1"
    )
    del env["LINKDIR_SECRET_KEY"]
    served = start_serve(env, tmp_path / "serve.log", "--no-scheduler", cwd=tmp_path)
    try:
        yield served.base, env
    finally:
        output = served.stop()
    assert "using the generated LINKDIR_SECRET_KEY kept in" in output
    assert "Traceback" not in output


def test_the_first_run_address_is_the_one_served_on_whatever_the_port(tmp_path: Path) -> None:
    """`make run PORT=8123`, or a port the system chose: the printed setup address is that
    server's (it said 127.0.0.1:8000, LINKDIR_BASE_URL's default, whatever the port), and
    it opens the form that creates the first administrator."""
    env = base_env(f"sqlite+aiosqlite:///{tmp_path}/linkdir.db", LINKDIR_ENV="development")
    served = start_serve(env, tmp_path / "serve.log", "--no-scheduler", cwd=tmp_path)
    try:
        printed = re.search(r"first administrator at (\S+)", served.log.read_text())
        assert printed is not None, served.log.read_text()
        address = printed.group(1)
        assert address.startswith(f"{served.base}/setup?token="), address
        form = httpx.get(address)
        assert form.status_code == 200 and 'name="password"' in form.text
    finally:
        served.stop()


def test_serve_runs_migrations_loads_the_demo_and_answers(
    served: tuple[str, dict[str, str]],
) -> None:
    base, env = served
    home = httpx.get(base + "/")
    assert home.status_code == 200
    for title in (
        "Svenskarna och internet 2018",
        "It i människans tjänst",
        "Digitalt först",
    ):
        assert (
            title
            in httpx.get(
                base + "/search", params={"q": title.split()[0] + " " + title.split()[-1]}
            ).text
        )
    found = httpx.get(base + "/api/v1/resources", params={"q": "biblioteken"}).json()
    assert found["total"] >= 3
    topics = httpx.get(base + "/api/v1/topics").json()
    assert len(topics) >= 6 and all(t["name_en"] and t["name_sv"] for t in topics)
    english = httpx.get(base + "/?lang=en")
    assert 'lang="en"' in english.text
    schema = httpx.get(base + "/schema/openapi.json")
    assert schema.status_code == 200


def test_a_token_from_the_cli_writes_through_the_api(served: tuple[str, dict[str, str]]) -> None:
    base, env = served
    assert (
        run(
            ["user", "add", "kurator@region.se", "--password-stdin"],
            env,
            "ett-långt-lösenord-2026\n",
        ).returncode
        == 0
    )
    token = run(["token", "create", "kurator@region.se"], env).stdout.strip()
    payload = {
        "url": "https://www.bibliotek-i-norr.se/digital",
        "title": "Digitalt i norr",
        "state": "published",
    }
    anonymous = httpx.post(base + "/api/v1/resources", json=payload)
    assert anonymous.status_code == 401
    created = httpx.post(
        base + "/api/v1/resources", json=payload, headers={"Authorization": f"Bearer {token}"}
    )
    assert created.status_code == 201, created.text
    assert httpx.get(base + f"/resources/{created.json()['id']}").status_code == 200


def test_help_lists_every_command_without_importing_the_lazy_ones() -> None:
    from linkdir.cli import _LazyGroup, main

    code = (
        "import sys\nfrom linkdir.cli import main\n"
        "try:\n    main(['--help'], prog_name='linkdir')\nexcept SystemExit:\n    pass\n"
    )
    modules = {module for module, _attribute, _line in _LazyGroup.LAZY.values()}
    loaded, printed = imported_by(code, modules | {"aiohttp", "sqlalchemy", "litestar"})
    assert loaded == [], "`linkdir --help` imported " + ", ".join(loaded)
    for name in (*_LazyGroup.LAZY, "serve", "worker", "check", "user"):
        assert f"\n  {name} " in printed, name
    assert "Check the URLs in SOURCE" in printed and "Curators' e-mail digests." in printed
    # The line kept for the listing is the command's own first help paragraph.
    for name, (module, attribute, line) in _LazyGroup.LAZY.items():
        command = getattr(importlib.import_module(module), attribute)
        assert " ".join(command.help.split("\n\n")[0].split()) == line, name
    # A lazy command still runs as itself after a listing.
    assert isinstance(main.get_command(click.Context(main), "check-urls"), click.Command)


def test_serve_on_a_descriptor_that_is_no_socket_says_so(tmp_path: Path) -> None:
    env = base_env(f"sqlite+aiosqlite:///{tmp_path}/x.db")
    refused = run_process(["serve", "--fd", "99"], env)  # not open in the child
    assert refused.returncode == 2, refused.stderr
    assert "--fd 99 is not a listening socket" in refused.stderr
    assert "Traceback" not in refused.stderr
