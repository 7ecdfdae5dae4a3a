"""`--dist loadgroup` keeps an xdist group on one worker, as `make test` relies on.

The browser tests share one seeded server and one chromium per worker, so they must run
in one group on one worker (tests/browser/conftest.py). pytest-xdist tags an item with its
group by rewriting ``item._nodeid``; pytest 9.2 reads ``Node.nodeid`` from elsewhere, so
the tag is lost and the group is spread over every worker (pyproject.toml pins
``pytest<9.2`` for that). This runs pytest itself, with two workers, on a small project.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

INNER_CONFTEST = """
import os
from pathlib import Path

import pytest


# As tests/browser/conftest.py does: the group comes from a hook of a conftest that pytest
# loads early (its directory is named on the command line), so it must run first.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    for item in items:
        if item.name.startswith("test_grouped"):
            item.add_marker(pytest.mark.xdist_group("together"))


@pytest.fixture
def record(request):
    yield
    out = Path(os.environ["WHERE_TESTS_RAN"]) / request.node.name
    out.write_text(os.environ["PYTEST_XDIST_WORKER"])
"""

INNER_TESTS = """
import pytest


@pytest.mark.parametrize("n", range(12))
def test_grouped(n, record):
    pass


@pytest.mark.parametrize("n", range(12))
def test_loose(n, record):
    pass
"""


def test_an_xdist_group_runs_on_one_worker_with_dist_loadgroup(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "inner").mkdir(parents=True)
    (project / "pytest.ini").write_text("[pytest]\n")
    (project / "inner" / "conftest.py").write_text(INNER_CONFTEST)
    (project / "inner" / "test_inner.py").write_text(INNER_TESTS)
    where = tmp_path / "where"
    where.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "LINKDIR_"))}
    env["WHERE_TESTS_RAN"] = str(where)
    # Only xdist (loaded by name, in the workers too): the venv's other plugins cost time.
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "inner", "-n", "2", "--dist", "loadgroup", "-q",
         "-p", "xdist", "-p", "no:cacheprovider"],
        cwd=project, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    ran = {path.name: path.read_text() for path in where.iterdir()}
    assert len(ran) == 24, sorted(ran)
    grouped = {worker for name, worker in ran.items() if name.startswith("test_grouped")}
    assert len(grouped) == 1, f"the group ran on {sorted(grouped)}: {ran}"
    # Both workers did run tests: the group is one worker's share, not the whole run.
    assert set(ran.values()) == {"gw0", "gw1"}, ran


def test_this_browser_test_is_tagged_with_the_browser_group(request: pytest.FixtureRequest) -> None:
    # The real thing: this module's conftest puts every browser test in a browser group
    # ("browser-b" for this module), and under `--dist loadgroup` xdist has tagged the node
    # id with it (what the controller groups by), however pytest was started (`tests`,
    # `tests/browser`, a file).
    assert request.node.get_closest_marker("xdist_group").args == ("browser-b",)
    if request.config.getvalue("loadgroup"):  # what xdist's workers see of the option
        assert request.node.nodeid.endswith("@browser-b"), request.node.nodeid
