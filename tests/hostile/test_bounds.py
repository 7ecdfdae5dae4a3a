"""Bounded parsing: nesting, huge integers, bad static paths, content types, long fields."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir.inbound import json_depth, parse_id
from tests.checks.test_report import signed_in
from tests.conftest import make_editor, make_resource

Client = AsyncTestClient[Any]


def test_depth_is_measured_without_recursion_and_ignores_brackets_in_strings() -> None:
    assert json_depth(b"[" * 100_000 + b"]" * 100_000) == 100_000
    assert json_depth(b'{"title": "[[[[{{{{", "tags": ["a\\"]["]}') == 2
    assert parse_id("1" + "0" * 30) is None and parse_id("٣") is None and parse_id("42") == 42


async def test_a_deeply_nested_body_is_a_400_problem_not_a_500(
    client: Client, session: AsyncSession
) -> None:
    body = '{"title": ' + "[" * 1000 + "]" * 1000 + ', "url": "https://a.example.se/"}'
    for headers in ({}, {"Authorization": f"Bearer {(await make_editor(session))[1]}"}):
        response = await client.post(
            "/api/v1/resources",
            content=body,
            headers={**headers, "Content-Type": "application/json", "Accept-Language": "en"},
        )
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "nested too deeply" in response.json()["detail"]


async def test_a_huge_id_in_the_bulk_form_is_skipped_not_a_500(
    client: Client, session: AsyncSession
) -> None:
    resource = await make_resource(session)
    csrf = await signed_in(client, session)
    fields = {"action": "retire", "ids": [str(10**30), str(resource.id)], "csrf_token": csrf}
    # Retiring more than one asks first: the confirmation lists only what exists.
    asked = await client.post("/manage/links/bulk", data=fields, follow_redirects=False)
    assert asked.status_code == 200, asked.text
    assert resource.title in asked.text and str(10**30) not in asked.text
    response = await client.post(
        "/manage/links/bulk", data={**fields, "confirmed": "yes"}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    assert "bulk=1" in response.headers["location"]
    assert "skipped=1" in response.headers["location"]


async def test_static_paths_with_nul_or_bad_bytes_are_not_found(client: Client) -> None:
    for path in ("/static/%00../app.py", "/static/a%00.css", "/static/%ff%fe.css", "/%00"):
        response = await client.get(path)
        assert response.status_code == 404, (path, response.status_code)
        assert "Traceback" not in response.text


async def test_json_endpoints_refuse_other_content_types_with_415(
    client: Client, session: AsyncSession
) -> None:
    _, token = await make_editor(session)
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "sv"}
    body = '{"title": "Rapport", "url": "https://b.example.se/"}'
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "text/json-ish"):
        response = await client.post(
            "/api/v1/resources", content=body, headers={**headers, "Content-Type": content_type}
        )
        assert response.status_code == 415, (content_type, response.text)
        assert "Content-Type: application/json" in response.json()["detail"]
    listed = await client.get("/api/v1/resources?state=draft", headers=headers)
    assert listed.json()["total"] == 0
    accepted = await client.post(
        "/api/v1/resources",
        content=body,
        headers={**headers, "Content-Type": "application/json; charset=utf-8"},
    )
    assert accepted.status_code == 201, accepted.text


async def test_an_overlong_tag_is_refused_not_cut(client: Client, session: AsyncSession) -> None:
    _, token = await make_editor(session)
    response = await client.post(
        "/api/v1/resources",
        json={"title": "Rapport", "url": "https://c.example.se/", "tags": ["a" * 10_000]},
        headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"},
    )
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["field"] == "tags" and "at most 80" in error["message"]
