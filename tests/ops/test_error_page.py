"""The 500 answer: a page (or problem) in the visitor's language, internals only in the log."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import text

from linkdir.db import create_engine


async def break_the_database(database_url: str) -> None:
    # A real fault the handlers do not expect: the table every listing reads is gone.
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP TABLE resource_topic"))
            await connection.execute(text("DROP TABLE resource_tag"))
            await connection.execute(text("ALTER TABLE resource RENAME TO resource_gone"))
    finally:
        await engine.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_an_unexpected_error_shows_the_500_page_and_logs_the_traceback(
    client: Any, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    await break_the_database(database_url)
    caplog.set_level(logging.ERROR, logger="linkdir")
    page = await client.get("/?q=bibliotek")
    assert page.status_code == 500
    assert page.headers["content-type"].startswith("text/html")
    assert "Något gick fel hos oss." in page.text  # Swedish by default
    assert "Felet har registrerats. Försök igen senare." in page.text
    for internal in ("Traceback", "resource_gone", "no such table", "OperationalError"):
        assert internal not in page.text, internal
    english = await client.get("/api/v1/resources?lang=en")
    assert english.status_code == 500
    assert english.headers["content-type"].startswith("application/problem+json")
    body = english.json()
    assert body["status"] == 500 and body["title"] == "Something went wrong on our side."
    assert "resource" not in body.get("detail", "")
    logged = [r for r in caplog.records if r.exc_info and "unhandled error" in r.getMessage()]
    assert logged, "the operator gets the traceback in the log"


async def test_a_nul_in_the_query_is_a_400_in_the_visitors_language(client: Any) -> None:
    # PostgreSQL refuses NUL in text; found by the API fuzzing as a 500.
    page = await client.get("/?q=bibli%00otek")
    assert page.status_code == 400
    assert "Adressen innehåller ett tecken som inte är tillåtet (NUL)." in page.text
    api = await client.get("/api/v1/reports/links?lang=en&q=%00")
    assert api.status_code == 400
    assert api.headers["content-type"].startswith("application/problem+json")
    assert api.json()["detail"] == "The address contains a character that is not allowed (NUL)."
