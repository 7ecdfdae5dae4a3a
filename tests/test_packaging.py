"""`pip install .` (not editable) gives a working linkdir: templates, CSS and catalogs ship."""

from __future__ import annotations

import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.test_cli import free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    repo = Path(__file__).resolve().parent.parent
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(repo)],
        check=True,
        timeout=300,
    )
    [built] = out.glob("linkdir-*.whl")
    return built


def test_wheel_carries_templates_static_files_and_compiled_catalogs(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "linkdir/templates/base.html",
        "linkdir/templates/_partials/resources.html",
        "linkdir/static/site.css",
        "linkdir/locale/sv/LC_MESSAGES/messages.mo",
        "linkdir/locale/en/LC_MESSAGES/messages.mo",
        "linkdir/migrations/env.py",
        "linkdir/migrations/script.py.mako",
    ):
        assert required in names, required
    assert any(name.startswith("linkdir/migrations/versions/") for name in names)


def test_installed_wheel_serves_translated_pages(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin/pip"), "install", "--quiet", str(wheel)], check=True, timeout=600
    )
    port = free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LINKDIR_ENV": "development",
        "LINKDIR_DEMO": "1",
        "LINKDIR_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/linkdir.db",
    }
    # Run from an empty folder, so nothing from the source tree can be picked up.
    process = subprocess.Popen(
        [str(venv / "bin/linkdir"), "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        swedish = httpx.get(base + "/")
        assert swedish.status_code == 200
        assert "Gå till huvudinnehållet" in swedish.text
        assert "Svenskarna och internet 2018" in swedish.text
        english = httpx.get(base + "/?lang=en")
        assert "Skip to main content" in english.text
        assert httpx.get(base + "/static/site.css").status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=20)
