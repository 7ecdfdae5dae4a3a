"""Conditional GET: strong ETags, Last-Modified, 304 without a body, rebuilt only on change."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir.feeds import service as feed_service
from linkdir.resources import service
from tests.conftest import make_resource, make_topic
from tests.feeds.conftest import Client, feed_client

PATHS = ["/feeds/new.atom", "/feeds/updated.rss", "/feeds/topics/mik.atom", "/feeds.opml"]


async def seed(session: AsyncSession) -> Any:
    await make_topic(session, slug="mik")
    resource = await make_resource(session, topics=["mik"], tags=["statistik"])
    await service.update_resource(
        session, resource.id, {"title": "Ny titel"}, by=service.Actor("t")
    )
    await session.commit()
    return resource


@pytest.mark.parametrize("path", PATHS)
async def test_if_none_match_gets_304_without_a_body(
    client: Client, session: AsyncSession, path: str
) -> None:
    await seed(session)
    first = await client.get(path)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert first.headers["cache-control"] == "public, max-age=300"
    again = await client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["cache-control"] == "public, max-age=300"
    listed = await client.get(path, headers={"If-None-Match": f'"other", W/{etag}'})
    assert listed.status_code == 304
    other = await client.get(path, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.content == first.content


async def test_if_modified_since_gets_304_until_a_newer_item_arrives(
    client: Client, session: AsyncSession
) -> None:
    await seed(session)
    first = await client.get("/feeds/new.atom")
    last_modified = first.headers["last-modified"]
    newest = parsedate_to_datetime(last_modified)
    same = await client.get("/feeds/new.atom", headers={"If-Modified-Since": last_modified})
    assert same.status_code == 304 and same.content == b""
    assert same.headers["last-modified"] == last_modified
    older = format_datetime(newest - timedelta(seconds=5), usegmt=True)
    assert (
        await client.get("/feeds/new.atom", headers={"If-Modified-Since": older})
    ).status_code == 200
    garbage = await client.get("/feeds/new.atom", headers={"If-Modified-Since": "gestern"})
    assert garbage.status_code == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110 §13.1.3).
    mismatch = await client.get(
        "/feeds/new.atom", headers={"If-Modified-Since": last_modified, "If-None-Match": '"x"'}
    )
    assert mismatch.status_code == 200


async def test_a_change_in_the_directory_changes_the_etag_and_the_feed(
    client: Client, session: AsyncSession
) -> None:
    await seed(session)
    first = await client.get("/feeds/new.atom")
    await make_resource(session, title="Helt ny resurs", topics=["mik"])
    second = await client.get("/feeds/new.atom", headers={"If-None-Match": first.headers["etag"]})
    assert second.status_code == 200
    assert second.headers["etag"] != first.headers["etag"]
    assert "Helt ny resurs" in second.text
    assert parsedate_to_datetime(second.headers["last-modified"]) >= parsedate_to_datetime(
        first.headers["last-modified"]
    )


async def test_each_format_and_language_has_its_own_etag(
    client: Client, session: AsyncSession
) -> None:
    await seed(session)
    tags = set()
    for path in (
        "/feeds/new.atom",
        "/feeds/new.rss",
        "/feeds/new.atom?lang=en",
        "/feeds/updated.atom",
    ):
        tags.add((await client.get(path)).headers["etag"])
    assert len(tags) == 4


async def test_feeds_are_built_once_per_change_and_304_needs_no_build(
    client: Client, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed(session)
    calls = 0
    real = feed_service.new_feed

    async def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return await real(*args, **kwargs)

    monkeypatch.setattr(feed_service, "new_feed", counting)
    first = await client.get("/feeds/new.atom")
    for _ in range(5):
        assert (await client.get("/feeds/new.atom")).content == first.content
    assert calls == 1
    # A fresh process answers a matching If-None-Match without building at all.
    settings = client.app.state.settings

    async with feed_client(settings) as fresh:
        reply = await fresh.get("/feeds/new.atom", headers={"If-None-Match": first.headers["etag"]})
    assert reply.status_code == 304 and calls == 1
    await make_resource(session, title="Något nytt")
    await client.get("/feeds/new.atom")
    assert calls == 2


async def test_writes_through_the_app_refresh_the_remembered_version_at_once(
    settings: Any, session: AsyncSession, auth_headers_factory: Any
) -> None:
    from litestar.testing import AsyncTestClient

    from linkdir.app import create_app

    await seed(session)
    headers = await auth_headers_factory()
    app = create_app(settings)  # the production cache: the version is trusted for a while
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        before = await client.get("/feeds/new.atom")
        created = await client.post(
            "/api/v1/resources",
            json={
                "url": "https://www.kb.se/",
                "title": "Kungliga biblioteket",
                "state": "published",
            },
            headers=headers,
        )
        assert created.status_code == 201, created.text
        after = await client.get(
            "/feeds/new.atom", headers={"If-None-Match": before.headers["etag"]}
        )
    assert after.status_code == 200 and "Kungliga biblioteket" in after.text


async def test_head_answers_headers_only_and_writes_are_refused(
    client: Client, session: AsyncSession
) -> None:
    await seed(session)
    full = await client.get("/feeds/topics/mik.rss")
    head = await client.head("/feeds/topics/mik.rss")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == full.headers["etag"]
    assert head.headers["content-length"] == str(len(full.content))
    refused = await client.post("/feeds/new.atom", content=b"x")
    assert refused.status_code == 405
