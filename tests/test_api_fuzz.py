"""The JSON API under generated input: schemathesis against ``/schema/openapi.json``.

A real ``linkdir serve`` (seeded, with a Bearer token so writes are exercised too) gets a
bounded, derandomized set of generated requests per operation; no answer may be a 5xx and
every answer must match the schema. Runs on SQLite, and on PostgreSQL when configured
(integer and text limits differ between the two).
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.live import LiveLinkdir
from tests.conftest import IN_CI, PG_URL

try:
    import schemathesis
except ImportError:  # a test dependency: make install-test
    if IN_CI:
        raise  # CI must fuzz the API: a missing schemathesis fails the run, never skips
    pytest.skip("schemathesis is not installed (make install-test)", allow_module_level=True)
from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from schemathesis import checks  # noqa: E402

pytestmark = pytest.mark.slow

MAX_EXAMPLES = int(os.environ.get("LINKDIR_FUZZ_EXAMPLES", "40"))
# A new seed each run finds more over time; a failure prints it, and
# LINKDIR_FUZZ_SEED=<that seed> repeats exactly the same requests.
SEED = int(os.environ.get("LINKDIR_FUZZ_SEED") or random.randrange(2**32))
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,  # every answer's code is declared for its operation
    checks.content_type_conformance,  # ... with its declared media type (problem+json)
    checks.response_schema_conformance,  # ... and body
]
# The page look-up fetches whatever address it is given (through the checker's guard): fuzzed,
# it would send generated host names to the machine's DNS. tests/resources/test_adding.py
# covers its input and its problem+json answers instead.
NOT_FUZZED = {"/api/v1/resources/lookup"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"] if PG_URL else ["sqlite"])
def api_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveLinkdir]:
    database_url = PG_URL if request.param == "postgresql" else None
    server = LiveLinkdir(tmp_path_factory.mktemp("fuzz"), database_url=database_url).start()
    try:
        yield server
    finally:
        server.stop()


def _fuzz(operation: Any, server: LiveLinkdir) -> None:
    @given(case=operation.as_strategy())
    @seed(SEED)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(
            headers={"Authorization": f"Bearer {server.token}"},
            checks=CHECKS,
            timeout=30,
        )

    run()


def test_api_answers_generated_input_without_5xx_and_as_documented(
    api_server: LiveLinkdir,
) -> None:
    # Each operation in turn (schemathesis' own pytest plugin does not run on pytest 9).
    schema = schemathesis.openapi.from_url(api_server.base_url + "/schema/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in NOT_FUZZED:
            continue
        operations += 1
        try:
            _fuzz(operation, api_server)
        except (Exception, BaseExceptionGroup) as error:  # every finding, then fail once
            found = getattr(error, "exceptions", None) or [error]
            failures.append(f"{operation.label}:\n" + "\n".join(str(e) for e in found))
    assert operations >= 10, "the schema lists the API's operations"
    server_errors = [line for line in api_server.log().splitlines() if "Error" in line][-10:]
    assert not failures, (
        f"LINKDIR_FUZZ_SEED={SEED} repeats this run.\n\n"
        + "\n\n".join(failures)
        + "\n\nThe server's log:\n"
        + "\n".join(server_errors)
    )
    assert "Traceback" not in api_server.log(), api_server.log()


async def test_every_api_operation_declares_its_problem_answers(client: Any) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    problem = document["components"]["schemas"]["Problem"]
    assert problem["required"] == ["title", "status"]
    operations = 0
    for path, item in document["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            operations += 1
            declared = operation["responses"]
            expected = {"400", "401", "403", "422"} | ({"404"} if "{" in path else set())
            if method in {"post", "put", "patch"}:
                expected |= {"409", "415"}
            assert expected <= set(declared), (method, path, sorted(declared))
            for code in expected:
                assert list(declared[code]["content"]) == ["application/problem+json"]
    assert operations >= 10
