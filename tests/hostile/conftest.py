"""Fixtures for hostile-input tests (issue 20): an app that allows no private networks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from linkdir.config import Settings
from tests.conftest import make_settings


@pytest.fixture
def strict_settings(database_url: str) -> Settings:
    """The production default: no network opened for the checker or the URL rule."""
    return make_settings(database_url, checker_allow_networks=())


@pytest.fixture
async def strict_client(
    strict_settings: Settings, shared_app: Any
) -> AsyncIterator[AsyncTestClient[Any]]:
    app = shared_app(strict_settings)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
        yield test_client
