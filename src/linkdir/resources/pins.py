"""Order in a topic (issue 16): curators pin resources to the top and order the pinned ones.

``resource_topic.pin_position`` holds 1, 2, 3 … for the pinned resources of a topic (kept
dense by every change here) and NULL for the rest, which keep the topic's usual order.
A change touches the topic's ``updated_at``, which is part of the feeds' version, so cached
topic feeds are rebuilt in the new order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from linkdir.db import utcnow
from linkdir.errors import N_, FieldError, ValidationFailed
from linkdir.resources import service
from linkdir.resources.models import Resource, ResourceTopic, Topic

MAX_PINS = 20
DIRECTIONS = ("up", "down")


@dataclass(frozen=True, slots=True)
class TopicOrder:
    topic: Topic
    pinned: list[Resource]  # in pin order
    others: list[Resource]  # by title


async def _positions(session: AsyncSession, topic_id: int) -> dict[int, int | None]:
    rows = await session.execute(
        select(col(ResourceTopic.resource_id), col(ResourceTopic.pin_position)).where(
            col(ResourceTopic.topic_id) == topic_id
        )
    )
    return {resource_id: position for resource_id, position in rows}


def pinned_ids(positions: dict[int, int | None]) -> list[int]:
    pinned = [(p, r) for r, p in positions.items() if p is not None]
    return [r for _, r in sorted(pinned)]


async def topic_order(session: AsyncSession, slug: str) -> TopicOrder:
    """A topic's resources (every state) as curators order them."""
    topic = await service.get_topic(session, slug)
    assert topic.id is not None
    rows = await session.execute(
        select(Resource, col(ResourceTopic.pin_position))
        .join(ResourceTopic, col(ResourceTopic.resource_id) == col(Resource.id))
        .where(col(ResourceTopic.topic_id) == topic.id)
        .order_by(func.lower(col(Resource.title)), col(Resource.id))
    )
    pinned: list[tuple[int, Resource]] = []
    others: list[Resource] = []
    for resource, position in rows:
        if position is None:
            others.append(resource)
        else:
            pinned.append((position, resource))
    return TopicOrder(topic, [r for _, r in sorted(pinned, key=lambda p: p[0])], others)


def _resource_id(raw: Any, field: str, positions: dict[int, int | None]) -> int:
    try:
        resource_id = int(raw)
    except (TypeError, ValueError):
        raise ValidationFailed([FieldError(field, N_("Must be a whole number."))]) from None
    if resource_id not in positions:
        raise ValidationFailed(
            [
                FieldError(
                    field,
                    N_("Resource %(id)s is not in this topic."),
                    {"id": raw},
                )
            ]
        )
    return resource_id


async def set_pins(session: AsyncSession, slug: str, resource_ids: Sequence[Any]) -> TopicOrder:
    """Pin exactly ``resource_ids`` in that order; every other resource of the topic unpinned."""
    topic = await service.get_topic(session, slug)
    assert topic.id is not None
    positions = await _positions(session, topic.id)
    wanted: list[int] = []
    for raw in resource_ids:
        resource_id = _resource_id(raw, "pins", positions)
        if resource_id in wanted:
            raise ValidationFailed(
                [FieldError("pins", N_("Resource %(id)s is listed twice."), {"id": resource_id})]
            )
        wanted.append(resource_id)
    if len(wanted) > MAX_PINS:
        raise ValidationFailed(
            [FieldError("pins", N_("At most %(max)d items."), {"max": MAX_PINS})]
        )
    if wanted != pinned_ids(positions):
        await session.execute(
            update(ResourceTopic)
            .where(col(ResourceTopic.topic_id) == topic.id)
            .values(pin_position=None)
        )
        for number, resource_id in enumerate(wanted, start=1):
            await session.execute(
                update(ResourceTopic)
                .where(
                    col(ResourceTopic.topic_id) == topic.id,
                    col(ResourceTopic.resource_id) == resource_id,
                )
                .values(pin_position=number)
            )
        topic.updated_at = utcnow()
        await session.flush()
    return await topic_order(session, slug)


async def change_pin(session: AsyncSession, slug: str, action: str, raw_id: Any) -> TopicOrder:
    """One button: ``pin`` (to the end of the pinned), ``unpin``, ``up`` or ``down``."""
    topic = await service.get_topic(session, slug)
    assert topic.id is not None
    if action not in {"pin", "unpin", *DIRECTIONS}:
        raise ValidationFailed(
            [
                FieldError(
                    "action",
                    N_("Choose one of: %(choices)s."),
                    {"choices": ", ".join(("pin", "unpin", *DIRECTIONS))},
                )
            ]
        )
    positions = await _positions(session, topic.id)
    resource_id = _resource_id(raw_id, "resource_id", positions)
    order = pinned_ids(positions)
    if action == "pin":
        if resource_id not in order:
            order.append(resource_id)
    elif resource_id not in order:
        raise ValidationFailed(
            [FieldError("resource_id", N_("Resource %(id)s is not pinned."), {"id": resource_id})]
        )
    elif action == "unpin":
        order.remove(resource_id)
    else:
        index = order.index(resource_id)
        other = index - 1 if action == "up" else index + 1
        if 0 <= other < len(order):
            order[index], order[other] = order[other], order[index]
    return await set_pins(session, slug, order)
