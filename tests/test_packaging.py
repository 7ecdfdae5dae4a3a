"""`pip install .` (not editable) gives a working linkdir: templates, CSS and catalogs ship."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.linkdir_cli import start_serve

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
    # A venv of its own with only the wheel in it; the dependencies (not linkdir) are the
    # test environment's, read through a path file, so nothing is downloaded or built again.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = str(venv / "bin/python")
    here = sysconfig.get_paths()["purelib"]
    [site_packages] = (venv / "lib").glob("python3*/site-packages")
    # Appended after the venv's own folder; path files in `here` (the editable install
    # pointing at src/) are not read from a folder listed this way.
    (site_packages / "_test_dependencies.pth").write_text(here + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps",
         "--no-compile", str(wheel)],
        check=True, timeout=300,
    )  # fmt: skip
    where = subprocess.run(
        [python, "-c", "import linkdir; print(linkdir.__file__)"],
        capture_output=True, text=True, check=True, cwd=tmp_path,
    ).stdout.strip()  # fmt: skip
    assert where == str(site_packages / "linkdir" / "__init__.py"), where
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LINKDIR_ENV": "development",
        "LINKDIR_DEMO": "1",
        "LINKDIR_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/linkdir.db",
    }
    # Run from an empty folder, so nothing from the source tree can be picked up.
    served = start_serve(
        env, tmp_path / "serve.log", executable=str(venv / "bin/linkdir"), cwd=tmp_path
    )
    try:
        swedish = httpx.get(served.base + "/")
        assert swedish.status_code == 200
        assert "Gå till huvudinnehållet" in swedish.text
        assert "Svenskarna och internet 2018" in swedish.text
        english = httpx.get(served.base + "/?lang=en")
        assert "Skip to main content" in english.text
        assert httpx.get(served.base + "/static/site.css").status_code == 200
    finally:
        served.stop()
