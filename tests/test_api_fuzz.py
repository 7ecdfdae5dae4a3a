"""The JSON API under generated input: schemathesis against ``/schema/openapi.json``.

A real ``linkdir serve`` (seeded, with a Bearer token so writes are exercised too) gets a
bounded, derandomized set of generated requests per operation; no answer may be a 5xx and
every answer must match the schema. Runs on SQLite, and on PostgreSQL when configured
(integer and text limits differ between the two).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.live import LiveLinkdir
from tests.conftest import PG_URL

schemathesis = pytest.importorskip("schemathesis")  # a test dependency: make install-test
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis import checks  # noqa: E402

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 25
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
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,  # the same requests every run: CI is repeatable
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(
            headers={"Authorization": f"Bearer {server.token}"},
            checks=[
                checks.not_a_server_error,
                checks.response_schema_conformance,
            ],
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
        except Exception as error:  # collect them all, then fail once with every finding
            found = getattr(error, "exceptions", None) or [error]
            failures.append(f"{operation.label}:\n" + "\n".join(str(e) for e in found))
    assert operations >= 10, "the schema lists the API's operations"
    assert not failures, "\n\n".join(failures)
    assert "Traceback" not in api_server.log(), api_server.log()
