"""Curating many resources at once (issue 16): the curators' list, bulk edits, undo, restore.

The list uses the public side's stemmed search (``search.matching``), so a curator finds
what a visitor would, drafts and retired resources included. A bulk edit is planned first
(what would change, per resource), then applied in the caller's one transaction with one
revision per changed resource, all in one :class:`ChangeBatch`. Undo puts back the old
values the batch's revisions recorded, for ``UNDO_WINDOW`` after the change.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from linkdir.checks import report
from linkdir.checks.vocabulary import Verdict
from linkdir.db import utcnow
from linkdir.errors import N_, Conflict, FieldError, NotFound, ValidationFailed
from linkdir.inbound import in_id_range
from linkdir.resources import search, service
from linkdir.resources.models import (
    LANGUAGES,
    ChangeBatch,
    Resource,
    ResourceState,
    ResourceTag,
    ResourceTopic,
    ResourceType,
    Revision,
    Tag,
    Topic,
)

UNDO_WINDOW = timedelta(minutes=10)
MAX_BULK = 500
SORT_KEYS = ("title", "state", "link_status", "updated", "review_by")
BULK_FIELDS = (
    "ids",
    "add_topics",
    "remove_topics",
    "add_tags",
    "remove_tags",
    "resource_type",
    "language",
    "review_by",
    "state",
)
_BATCH_ID = re.compile(r"^[0-9a-f]{32}$")


# The list --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Filters:
    """What the curators' list shows; every field None/False means everything."""

    q: str | None = None
    state: str | None = None
    topic: str | None = None
    tag: str | None = None
    link_status: str | None = None
    resource_type: str | None = None
    language: str | None = None
    review_due: bool = False
    sort: str | None = None  # a SORT_KEYS key, "-" in front for descending; None: default

    @property
    def order(self) -> tuple[str, bool]:
        """(key, descending): relevance for a search, else the latest changed first."""
        if self.sort:
            return self.sort.lstrip("-"), self.sort.startswith("-")
        return ("relevance", False) if self.q else ("updated", True)


def _one_of(value: str | None, allowed: Sequence[str]) -> str | None:
    return value if value in allowed else None


def filters_from(params: Mapping[str, str | None]) -> Filters:
    """Filters from a page's query string; a value that is not a choice is left out."""
    sort = params.get("sort") or None
    if sort is not None and sort.lstrip("-") not in SORT_KEYS:
        sort = None
    q = (params.get("q") or "").strip()[:500] or None
    return Filters(
        q=q,
        state=_one_of(params.get("state"), service.ALL_STATES),
        topic=(params.get("topic") or None),
        tag=(params.get("tag") or None),
        link_status=_one_of(params.get("link_status"), [v.value for v in Verdict]),
        resource_type=_one_of(params.get("type"), [t.value for t in ResourceType]),
        language=_one_of(params.get("language"), LANGUAGES),
        review_due=params.get("review_due") in {"1", "true", "on"},
        sort=sort,
    )


async def find(
    session: AsyncSession,
    filters: Filters,
    *,
    states: Sequence[str] = service.ALL_STATES,
    page: int = 1,
    per_page: int = 50,
    today: date | None = None,
) -> service.Page:
    """A page of resources matching every filter, in the order asked for."""
    page = max(1, page)
    stmt = select(Resource)
    rank: Any = None
    if filters.q:
        matching = search.matching(session.get_bind().dialect.name, filters.q)
        if matching is None:
            return service.Page([], 0, page, per_page)
        stmt = stmt.join(matching, matching.c.id == col(Resource.id))
        rank = matching.c.rank
    chosen_states = [s for s in states if filters.state in (None, s)]
    stmt = stmt.where(col(Resource.state).in_(chosen_states))
    if filters.topic is not None:
        stmt = stmt.where(
            col(Resource.id).in_(
                select(col(ResourceTopic.resource_id))
                .join(Topic, col(Topic.id) == col(ResourceTopic.topic_id))
                .where(col(Topic.slug) == filters.topic.replace("\x00", ""))
            )
        )
    if filters.tag is not None:
        stmt = stmt.where(
            col(Resource.id).in_(
                select(col(ResourceTag.resource_id))
                .join(Tag, col(Tag.id) == col(ResourceTag.tag_id))
                .where(col(Tag.slug) == filters.tag.replace("\x00", ""))
            )
        )
    if filters.link_status is not None:
        stmt = stmt.where(report.shown_status_is(filters.link_status))
    if filters.resource_type is not None:
        stmt = stmt.where(col(Resource.resource_type) == filters.resource_type)
    if filters.language is not None:
        stmt = stmt.where(col(Resource.language) == filters.language)
    if filters.review_due:
        due = today or utcnow().date()
        stmt = stmt.where(col(Resource.review_by).is_not(None), col(Resource.review_by) <= due)
    total = (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
    key, descending = filters.order
    columns: dict[str, Any] = {
        "title": func.lower(col(Resource.title)),
        "state": col(Resource.state),
        "link_status": col(Resource.link_status),
        "updated": col(Resource.updated_at),
        "review_by": col(Resource.review_by),
    }
    if key == "relevance" and rank is not None:
        stmt = stmt.order_by(rank, col(Resource.id))
    else:
        column = columns.get(key, columns["updated"])
        ordered = column.desc() if descending else column.asc()
        tie = col(Resource.id).desc() if descending else col(Resource.id).asc()
        stmt = stmt.order_by(ordered.nulls_last(), tie)
    stmt = stmt.limit(per_page).offset((page - 1) * per_page)
    items = list((await session.execute(stmt)).scalars())
    return service.Page(items, total, page, per_page)


# Bulk edits ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BulkEdit:
    """A validated bulk edit: which resources, and what to do to each."""

    ids: tuple[int, ...]
    add_topics: tuple[str, ...] = ()
    remove_topics: tuple[str, ...] = ()
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    fields: dict[str, Any] = field(default_factory=dict)  # resource_type, language, …


@dataclass(slots=True)
class Planned:
    """What a bulk edit would change on one resource: {field: [old, new]}."""

    resource_id: int
    title: str
    changes: dict[str, list[Any]]


def _names(raw: Any) -> Any:
    if isinstance(raw, str):
        return [part for part in re.split(r"[,\n]", raw) if part.strip()]
    return raw


def _ids(raw: Any, errors: list[FieldError]) -> tuple[int, ...]:
    if isinstance(raw, (str, int)):
        raw = [raw]
    if not isinstance(raw, list):
        errors.append(FieldError("ids", N_("Choose at least one resource.")))
        return ()
    ids: list[int] = []
    for item in raw:
        try:
            number = int(item)
        except (TypeError, ValueError):
            errors.append(
                FieldError("ids", N_("%(value)s is not a resource number."), {"value": str(item)})
            )
            return ()
        if not in_id_range(number):
            errors.append(FieldError("ids", N_("Unknown resource: %(ids)s."), {"ids": number}))
            return ()
        if number not in ids:
            ids.append(number)
    if not ids:
        errors.append(FieldError("ids", N_("Choose at least one resource.")))
    elif len(ids) > MAX_BULK:
        errors.append(
            FieldError("ids", N_("At most %(max)d resources at a time."), {"max": MAX_BULK})
        )
    return tuple(ids)


def validate_bulk(data: Mapping[str, Any]) -> BulkEdit:
    """A BulkEdit from ``data`` (a key present is a change), or ValidationFailed naming fields.

    ``review_by`` None clears the date; ``state`` is the state to move the resources to.
    """
    errors: list[FieldError] = []
    for name in sorted(set(data) - set(BULK_FIELDS)):
        errors.append(FieldError(name, N_("Unknown field.")))
    ids = _ids(data.get("ids"), errors)
    lists: dict[str, tuple[str, ...]] = {}
    for name, kind in (
        ("add_topics", "topics"),
        ("remove_topics", "topics"),
        ("add_tags", "tags"),
        ("remove_tags", "tags"),
    ):
        if data.get(name) in (None, "", []):
            lists[name] = ()
            continue
        try:
            cleaned = service.validate_resource({kind: _names(data[name])}, partial=True)
        except ValidationFailed as failed:
            errors.extend(FieldError(name, e.message, e.params) for e in failed.errors)
            continue
        lists[name] = tuple(cleaned[kind])
    fields: dict[str, Any] = {}
    given = {name: data[name] for name in ("resource_type", "language", "state") if name in data}
    if "review_by" in data:
        given["review_by"] = data["review_by"]
    if given:
        try:
            fields = service.validate_resource(given, partial=True)
        except ValidationFailed as failed:
            errors.extend(failed.errors)
    for kind in ("topics", "tags"):
        both = sorted(set(lists.get(f"add_{kind}", ())) & set(lists.get(f"remove_{kind}", ())))
        if both:
            message = (
                N_("A topic cannot be both added and removed: %(names)s.")
                if kind == "topics"
                else N_("A tag cannot be both added and removed: %(names)s.")
            )
            errors.append(FieldError(f"remove_{kind}", message, {"names": ", ".join(both)}))
    if not errors and not fields and not any(lists.values()):
        errors.append(FieldError("change", N_("Choose at least one change to make.")))
    if errors:
        raise ValidationFailed(errors)
    return BulkEdit(ids=ids, fields=fields, **lists)


async def _check_known(session: AsyncSession, edit: BulkEdit) -> list[Resource]:
    rows = await session.execute(select(Resource).where(col(Resource.id).in_(edit.ids)))
    found = {r.id: r for r in rows.scalars()}
    errors: list[FieldError] = []
    missing = [str(i) for i in edit.ids if i not in found]
    if missing:
        errors.append(
            FieldError("ids", N_("Unknown resource: %(ids)s."), {"ids": ", ".join(missing)})
        )
    wanted = sorted(set(edit.add_topics) | set(edit.remove_topics))
    if wanted:
        known = set(
            (await session.execute(select(col(Topic.slug)).where(col(Topic.slug).in_(wanted))))
            .scalars()
            .all()
        )
        for name, slugs in (("add_topics", edit.add_topics), ("remove_topics", edit.remove_topics)):
            unknown = [s for s in slugs if s not in known]
            if unknown:
                errors.append(
                    FieldError(
                        name, N_("Unknown topic: %(topics)s."), {"topics": ", ".join(unknown)}
                    )
                )
    if errors:
        raise ValidationFailed(errors)
    return [found[i] for i in edit.ids]


def _review_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


async def plan(session: AsyncSession, edit: BulkEdit) -> list[Planned]:
    """Per resource of ``edit``, in its order, what applying it would change (maybe nothing)."""
    resources = await _check_known(session, edit)
    ids = [r.id for r in resources if r.id is not None]
    topics = await service.topics_of(session, ids)
    tags = await service.tags_of(session, ids)
    planned: list[Planned] = []
    for resource in resources:
        assert resource.id is not None
        changes: dict[str, list[Any]] = {}
        old_topics = sorted(t.slug for t in topics[resource.id])
        new_topics = sorted((set(old_topics) | set(edit.add_topics)) - set(edit.remove_topics))
        if new_topics != old_topics:
            changes["topics"] = [old_topics, new_topics]
        old_tags = sorted(tags[resource.id])
        new_tags = sorted((set(old_tags) | set(edit.add_tags)) - set(edit.remove_tags))
        if new_tags != old_tags:
            changes["tags"] = [old_tags, new_tags]
        for name, value in edit.fields.items():
            old = _review_value(getattr(resource, name))
            if old != _review_value(value):
                changes[name] = [old, _review_value(value)]
        planned.append(Planned(resource.id, resource.title, changes))
    return planned


async def _new_batch(session: AsyncSession, by: service.Actor, action: str) -> ChangeBatch:
    now = utcnow()
    batch = ChangeBatch(
        id=secrets.token_hex(16),
        user_id=by.user_id,
        actor=by.label,
        action=action,
        created_at=now,
        expires_at=now + UNDO_WINDOW,
    )
    session.add(batch)
    await session.flush()
    return batch


async def apply(
    session: AsyncSession, edit: BulkEdit, *, by: service.Actor
) -> tuple[ChangeBatch | None, list[Planned]]:
    """Make ``edit``: one revision per changed resource, all in one batch (None: no change).

    Runs in the caller's transaction; the caller commits once.
    """
    planned = await plan(session, edit)
    changed = [p for p in planned if p.changes]
    if not changed:
        return None, planned
    batch = await _new_batch(session, by, "bulk")
    for item in changed:
        data = {name: new for name, (_old, new) in item.changes.items()}
        await service.update_resource(session, item.resource_id, data, by=by, batch=batch.id)
    return batch, planned


async def change_state(
    session: AsyncSession, resource_id: int, state: str, *, by: service.Actor
) -> ChangeBatch | None:
    """Publish, unpublish or retire one resource, undoably (None: it was in ``state``)."""
    resource = await service.get_resource(session, resource_id, states=service.ALL_STATES)
    if state not in service.ALL_STATES:
        raise ValidationFailed(
            [
                FieldError(
                    "state",
                    N_("Choose one of: %(choices)s."),
                    {"choices": ", ".join(service.ALL_STATES)},
                )
            ]
        )
    if resource.state == state:
        return None
    batch = await _new_batch(session, by, state)
    await service.update_resource(session, resource_id, {"state": state}, by=by, batch=batch.id)
    return batch


# Undo and restore ------------------------------------------------------------------------


@dataclass(slots=True)
class BatchInfo:
    """A change batch as a notice shows it."""

    id: str
    count: int
    expires_at: datetime
    undone: bool
    expired: bool


async def get_batch(session: AsyncSession, batch_id: str) -> ChangeBatch:
    if not _BATCH_ID.match(batch_id or ""):
        raise NotFound(batch_id)
    batch = await session.get(ChangeBatch, batch_id)
    if batch is None:
        raise NotFound(batch_id)
    return batch


async def batch_info(
    session: AsyncSession, batch_id: str, *, now: datetime | None = None
) -> BatchInfo | None:
    """What a notice says about ``batch_id``; None if there is no such batch."""
    try:
        batch = await get_batch(session, batch_id)
    except NotFound:
        return None
    count = (
        await session.execute(
            select(func.count()).select_from(Revision).where(col(Revision.batch) == batch.id)
        )
    ).scalar_one()
    return BatchInfo(
        id=batch.id,
        count=count,
        expires_at=batch.expires_at,
        undone=batch.undone_at is not None,
        expired=(now or utcnow()) >= batch.expires_at,
    )


async def undo(
    session: AsyncSession, batch_id: str, *, by: service.Actor, now: datetime | None = None
) -> list[int]:
    """Put back the values the batch's revisions replaced; the ids of the resources restored.

    Refused (Conflict) once the batch is undone or past its time, or when one of its
    resources has been changed since: undoing then would overwrite the later change.
    """
    batch = await get_batch(session, batch_id)
    now = now or utcnow()
    if batch.undone_at is not None:
        raise Conflict(FieldError("batch", N_("These changes have already been undone.")))
    if now >= batch.expires_at:
        raise Conflict(
            FieldError(
                "batch",
                N_(
                    "Too late to undo: changes can be undone for %(minutes)d minutes. "
                    "Edit the resources to change them back."
                ),
                {"minutes": int(UNDO_WINDOW.total_seconds() // 60)},
            )
        )
    revisions = list(
        (
            await session.execute(
                select(Revision).where(col(Revision.batch) == batch.id).order_by(col(Revision.id))
            )
        ).scalars()
    )
    for revision in revisions:
        later = (
            await session.execute(
                select(col(Revision.id)).where(
                    col(Revision.resource_id) == revision.resource_id,
                    col(Revision.id) > revision.id,
                )
            )
        ).first()
        if later is not None:
            raise Conflict(
                FieldError(
                    "batch",
                    N_("“%(title)s” has been changed since, so these changes cannot be undone."),
                    {"title": revision.resource_title},
                )
            )
    restored: list[int] = []
    for revision in revisions:
        if revision.resource_id is None:  # deleted since: nothing to put back
            continue
        data = {name: old for name, (old, _new) in revision.changes.items()}
        await service.update_resource(session, revision.resource_id, data, by=by, action="undo")
        restored.append(revision.resource_id)
    batch.undone_at = now
    await session.flush()
    return restored


async def restore(session: AsyncSession, resource_id: int, *, by: service.Actor) -> Resource:
    """Bring a retired resource back to the state it had before it was retired (a draft if
    that is unknown), with a revision of its own."""
    resource = await service.get_resource(session, resource_id, states=service.ALL_STATES)
    if resource.state != ResourceState.retired.value:
        raise Conflict(FieldError("state", N_("Only retired resources can be restored.")))
    before = ResourceState.draft.value
    for revision in await service.revisions_of(session, resource_id):
        state_change = revision.changes.get("state")
        if isinstance(state_change, list) and state_change[-1] == ResourceState.retired.value:
            if state_change[0] in (ResourceState.draft.value, ResourceState.published.value):
                before = state_change[0]
            break
    return await service.update_resource(
        session, resource_id, {"state": before}, by=by, action="restore"
    )
