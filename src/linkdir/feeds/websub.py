"""WebSub publishing: tell the hub which feeds changed, in the background, with retries."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import httpx
from sqlalchemy import not_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from linkdir import __version__
from linkdir.config import Settings
from linkdir.feeds.service import feed_path, feed_url
from linkdir.resources import service as directory
from linkdir.resources.models import Resource, ResourceState, Revision

log = logging.getLogger("linkdir.feeds")

# Pauses before the second, third and fourth attempt (a hub restarting, a network blip).
RETRY_DELAYS: tuple[float, ...] = (1.0, 5.0, 30.0)
TIMEOUT = 10.0


def publish_in_background(app: Any, revision_ids: Sequence[int]) -> None:
    """Start pinging the hub for the feeds ``revision_ids`` changed; returns at once."""
    tasks: set[asyncio.Task[None]] = app.state.get("feed_pings") or set()
    app.state.feed_pings = tasks
    task = asyncio.get_running_loop().create_task(
        publish(app.state.settings, app.state.session_factory, list(revision_ids))
    )
    # The loop keeps only weak references to tasks; this one must not vanish mid-retry.
    tasks.add(task)
    task.add_done_callback(tasks.discard)


async def publish(
    settings: Settings, factory: async_sessionmaker[AsyncSession], revision_ids: list[int]
) -> None:
    """Ping the hub for every public feed ``revision_ids`` changed; never raises."""
    try:
        async with factory() as session:
            paths = await changed_feed_paths(session, revision_ids)
        urls = [feed_url(settings, path, lang) for path in paths for lang in ("sv", "en")]
        if urls:
            await ping_hub(settings.websub_hub_url, urls, base_url=settings.base_url)
    except Exception:
        log.exception("WebSub: could not work out which feeds changed")


async def changed_feed_paths(session: AsyncSession, revision_ids: Sequence[int]) -> list[str]:
    """Paths of the public feeds that ``revision_ids`` changed."""
    rows = (
        await session.execute(
            select(Revision, Resource)
            .outerjoin(Resource, col(Resource.id) == col(Revision.resource_id))
            .where(
                col(Revision.id).in_(revision_ids),
                not_(col(Revision.action).startswith("link_")),
            )
        )
    ).all()
    topics: set[str] = set()
    tags: set[str] = set()
    public = False
    for revision, resource in rows:
        changes = revision.changes or {}
        state = changes.get("state")
        was_public = (
            isinstance(state, list)
            and len(state) == 2
            and state[0] == ResourceState.published.value
        )
        if not was_public and (resource is None or resource.state != ResourceState.published.value):
            continue
        public = True
        for name, into in (("topics", topics), ("tags", tags)):
            pair = changes.get(name)
            if isinstance(pair, list) and len(pair) == 2:
                into.update(s for s in (pair[0] or []) + (pair[1] or []) if isinstance(s, str))
        if resource is not None and resource.id is not None:
            topics.update(
                t.slug for t in (await directory.topics_of(session, [resource.id]))[resource.id]
            )
            tags.update((await directory.tags_of(session, [resource.id]))[resource.id])
    if not public:
        return []
    paths = [feed_path(kind, None, fmt) for kind in ("new", "updated") for fmt in ("atom", "rss")]
    for kind, slugs in (("topic", topics), ("tag", tags)):
        paths += [feed_path(kind, slug, fmt) for slug in sorted(slugs) for fmt in ("atom", "rss")]
    return paths


async def ping_hub(hub_url: str, feed_urls: Sequence[str], *, base_url: str) -> None:
    """POST ``hub.mode=publish&hub.url=…`` for each feed; log what fails for good."""
    headers = {"User-Agent": f"linkdir/{__version__} (+{base_url}; WebSub publisher)"}
    async with httpx.AsyncClient(timeout=TIMEOUT, headers=headers) as client:
        for url in feed_urls:
            await _ping_one(client, hub_url, url)


async def _ping_one(client: httpx.AsyncClient, hub_url: str, feed_url: str) -> None:
    data = {"hub.mode": "publish", "hub.url": feed_url}
    for attempt, delay in enumerate((0.0, *RETRY_DELAYS)):
        if delay:
            await asyncio.sleep(delay)
        try:
            response = await client.post(hub_url, data=data)
        except httpx.HTTPError as error:
            problem = f"{type(error).__name__}: {error}"
        else:
            if response.is_success:
                return
            problem = f"HTTP {response.status_code}"
            # A hub that refuses the request itself will refuse it again.
            if 400 <= response.status_code < 500 and response.status_code not in {408, 429}:
                break
        log.warning("WebSub: ping for %s failed (attempt %d): %s", feed_url, attempt + 1, problem)
    log.error("WebSub: gave up notifying %s about %s", hub_url, feed_url)
