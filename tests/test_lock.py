"""The lock files pin every dependency pyproject.toml names, at versions it allows, with
hashes; a dependency added without `make lock` fails here, with the fix in the message."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def pinned(lock: Path) -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) from a `uv pip compile --generate-hashes` file."""
    text = lock.read_text(encoding="utf-8").replace("\\\n", " ")
    found = {}
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z0-9._\[\],-]+)==(\S+)(.*)$", line.strip())
        if match:
            name = canonicalize_name(match.group(1).split("[")[0])
            found[name] = (match.group(2), re.findall(r"--hash=sha256:[0-9a-f]{64}", line))
    return found


def declared(extra: str | None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = list(project["dependencies"])
    if extra:
        names += project["optional-dependencies"][extra]
    return [Requirement(name) for name in names]


@pytest.mark.parametrize(("lock", "extra"), [("main.txt", None), ("test.txt", "test")])
def test_the_lock_pins_every_declared_dependency_with_hashes(lock: str, extra: str | None):
    versions = pinned(ROOT / "requirements" / lock)
    for requirement in declared(extra):
        if requirement.marker and not requirement.marker.evaluate({"sys_platform": "linux"}):
            continue
        name = canonicalize_name(requirement.name)
        assert name in versions, f"{name} is not in requirements/{lock}: run `make lock`"
        version, hashes = versions[name]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"requirements/{lock} pins {name}=={version}, outside {requirement.specifier}: "
            "run `make lock`"
        )
        assert hashes, f"{name} has no hash in requirements/{lock}"
