"""Load the demo directory (``LINKDIR_DEMO``) into an empty database."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from linkdir.db import utcnow
from linkdir.resources import service
from linkdir.resources.demo_data import RESOURCES, TOPICS
from linkdir.resources.models import ResourceState

DEMO_ACTOR = service.Actor(label="demo")


async def load_demo(session: AsyncSession) -> bool:
    """Add the demo topics and resources when the directory is empty; True if loaded."""
    if await service.count_resources(session):
        return False
    existing = {topic.slug for topic, _ in await service.list_topics(session)}
    for topic in TOPICS:
        if topic["slug"] not in existing:
            await service.create_topic(session, topic)
    now = utcnow()
    # Oldest first, a few hours apart, so "newest" lists the later entries first.
    for position, item in enumerate(reversed(RESOURCES)):
        data: dict[str, Any] = {
            key: item[key]
            for key in ("url", "title", "description", "language", "resource_type", "publisher")
            if item.get(key) is not None
        }
        data["topics"] = list(item.get("topics") or [])  # type: ignore[call-overload]
        data["tags"] = list(item.get("tags") or [])  # type: ignore[call-overload]
        data["state"] = ResourceState.published.value
        resource = await service.create_resource(session, data, by=DEMO_ACTOR)
        moment = now - timedelta(hours=6 * (len(RESOURCES) - position))
        resource.created_at = resource.updated_at = resource.published_at = moment
    await session.flush()
    return True
