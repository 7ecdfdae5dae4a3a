"""WebSub: writes that change public feeds ping a real (local) hub in the background."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir.feeds import websub
from tests.conftest import make_settings, make_topic
from tests.feeds.conftest import Hub, feed_client, read_feed

BASE = "http://testserver.local"


@pytest.fixture
async def hub_client(
    database_url: str, hub: Hub, shared_app: Any
) -> AsyncIterator[AsyncTestClient[Any]]:
    settings = make_settings(database_url, websub_hub_url=hub.url)
    async with feed_client(settings, shared_app(settings)) as client:
        yield client


async def post_resource(client: Any, headers: dict[str, str], **fields: Any) -> Any:
    body = {"url": "https://www.kb.se/", "title": "Kungliga biblioteket", **fields}
    response = await client.post("/api/v1/resources", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_publishing_a_resource_pings_the_hub_for_each_feed_it_changes(
    hub_client: Any, hub: Hub, session: AsyncSession, auth_headers_factory: Any
) -> None:
    await make_topic(session, slug="mik")
    headers = await auth_headers_factory()
    await post_resource(hub_client, headers, state="published", topics=["mik"], tags=["kb"])
    await hub.wait_for(f"{BASE}/feeds/new.atom")
    expected = {
        f"{BASE}/feeds/{name}{lang}"
        for name in (
            "new.atom",
            "new.rss",
            "updated.atom",
            "updated.rss",
            "topics/mik.atom",
            "topics/mik.rss",
            "tags/kb.atom",
            "tags/kb.rss",
        )
        for lang in ("", "?lang=en")
    }
    await hub.wait_for(f"{BASE}/feeds/tags/kb.rss?lang=en")
    assert hub.urls() == expected
    assert all(ping["hub.mode"] == ["publish"] for ping in hub.pings)
    assert all(
        ping["content-type"][0].startswith("application/x-www-form-urlencoded")
        for ping in hub.pings
    )
    # Every feed tells subscribers where the hub is.
    feed = await read_feed(hub_client, "/feeds/new.atom")
    assert {link.rel: link.href for link in feed.feed.links}["hub"] == hub.url
    rss = await read_feed(hub_client, "/feeds/new.rss")
    assert hub.url in rss.response.text and 'rel="hub"' in rss.response.text


async def test_draft_changes_do_not_ping_the_hub(
    hub_client: Any, hub: Hub, auth_headers_factory: Any
) -> None:
    headers = await auth_headers_factory()
    created = await post_resource(hub_client, headers)  # a draft
    changed = await hub_client.patch(
        f"/api/v1/resources/{created['id']}", json={"title": "Nytt namn"}, headers=headers
    )
    assert changed.status_code == 200
    # Publishing afterwards does ping: the ping for the draft would have come first.
    await hub_client.patch(
        f"/api/v1/resources/{created['id']}", json={"state": "published"}, headers=headers
    )
    await hub.wait_for(f"{BASE}/feeds/updated.rss?lang=en")
    await hub.wait_for(f"{BASE}/feeds/new.atom")
    await asyncio.sleep(0.3)
    assert len(hub.pings) == 8  # new and updated, Atom and RSS, two languages


async def test_a_failing_hub_is_retried_with_backoff(
    hub_client: Any, hub: Hub, auth_headers_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(websub, "RETRY_DELAYS", (0.05, 0.1, 0.2))
    hub.failures_left = 2
    headers = await auth_headers_factory()
    await post_resource(hub_client, headers, state="published")
    await hub.wait_for(f"{BASE}/feeds/updated.rss?lang=en")
    assert hub.failures_left == 0 and len(hub.urls()) == 8


async def test_an_unreachable_hub_never_fails_the_write(
    database_url: str,
    auth_headers_factory: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: Any,
    request: pytest.FixtureRequest,
) -> None:
    monkeypatch.setattr(websub, "RETRY_DELAYS", (0.01,))
    # A port this test holds without listening: connections are refused (port 9 may not be).
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    request.addfinalizer(closed.close)
    port = closed.getsockname()[1]
    settings = make_settings(database_url, websub_hub_url=f"http://127.0.0.1:{port}/hub")
    headers = await auth_headers_factory()
    async with feed_client(settings) as client:
        await post_resource(client, headers, state="published")
        assert client.app.state.feed_pings
        # The app runs in the test client's own event loop: wait for its task to finish.
        for _ in range(400):
            if not client.app.state.feed_pings:
                break
            await asyncio.sleep(0.05)
        assert not client.app.state.feed_pings
        listed = await client.get("/api/v1/resources")
        assert listed.json()["total"] == 1
    assert "gave up notifying" in caplog.text


async def settle(client: Any) -> None:
    """Until the app's background pings are done (counted, not timed)."""
    for _ in range(400):
        if not client.app.state.feed_pings:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the pings never finished")


async def test_a_hub_that_refuses_the_request_is_not_asked_again(
    hub_client: Any, hub: Hub, auth_headers_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(websub, "RETRY_DELAYS", (0.01, 0.01, 0.01))
    hub.failure_status, hub.failures_left = 400, 1000
    headers = await auth_headers_factory()
    await post_resource(hub_client, headers, state="published")
    await settle(hub_client)
    # One attempt per feed: a 4xx ends the retries (a 503 would have been tried 4 times).
    assert hub.attempts == 8 and hub.failures_left == 1000 - 8 and not hub.urls()


async def test_unpublishing_a_published_resource_pings_the_hub(
    hub_client: Any, hub: Hub, auth_headers_factory: Any
) -> None:
    headers = await auth_headers_factory()
    resource = await post_resource(hub_client, headers, state="published")
    await settle(hub_client)
    before = hub.attempts
    answer = await hub_client.patch(
        f"/api/v1/resources/{resource['id']}", json={"state": "draft"}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    await settle(hub_client)
    # Subscribers' copies of the feeds it was in are stale now: the hub hears of them.
    assert hub.attempts > before
    new_feed = await read_feed(hub_client, "/feeds/new.atom")
    assert all(not e.id.endswith(f"/{resource['id']}") for e in new_feed.entries)


async def test_deleting_a_published_resource_pings_the_feeds_that_listed_it(
    hub_client: Any, hub: Hub, session: AsyncSession, auth_headers_factory: Any
) -> None:
    await make_topic(session, slug="mik")
    headers = await auth_headers_factory()
    resource = await post_resource(
        hub_client, headers, state="published", topics=["mik"], tags=["kb"]
    )
    await settle(hub_client)
    hub.pings.clear()
    answer = await hub_client.delete(f"/api/v1/resources/{resource['id']}", headers=headers)
    assert answer.status_code == 204, answer.text
    await settle(hub_client)
    # The topic's and the tag's feeds listed it: their subscribers must hear it is gone.
    assert {f"{BASE}/feeds/topics/mik.atom", f"{BASE}/feeds/tags/kb.rss?lang=en"} <= hub.urls()
    topic_feed = await read_feed(hub_client, "/feeds/topics/mik.atom")
    assert all(not e.id.endswith(f"/{resource['id']}") for e in topic_feed.entries)


async def test_deleting_a_draft_pings_nobody(
    hub_client: Any, hub: Hub, auth_headers_factory: Any
) -> None:
    headers = await auth_headers_factory()
    resource = await post_resource(hub_client, headers, state="draft")
    await settle(hub_client)
    answer = await hub_client.delete(f"/api/v1/resources/{resource['id']}", headers=headers)
    assert answer.status_code == 204, answer.text
    await settle(hub_client)
    assert not hub.urls()
