"""Directory services: plain async functions with an explicit session (STYLE habit 2)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from linkdir.changes import report as report_change
from linkdir.changes import report_ids
from linkdir.db import utcnow
from linkdir.errors import N_, Conflict, FieldError, NotFound, ValidationFailed
from linkdir.inbound import in_id_range
from linkdir.resources.models import (
    LANGUAGES,
    LinkStatus,
    Resource,
    ResourceState,
    ResourceTag,
    ResourceTopic,
    ResourceType,
    Revision,
    Tag,
    TagAlias,
    Topic,
)
from linkdir.resources.search import index_text
from linkdir.urls import InvalidUrl, host_of, normalise_url

MAX_TITLE = 300
MAX_DESCRIPTION = 5000
MAX_PUBLISHER = 200
MAX_TAGS = 30
MAX_TOPIC_NAME = 120
MAX_NAME = 80  # a tag or topic slug (slugify's length)
PUBLIC_STATES = (ResourceState.published.value,)
ALL_STATES = tuple(state.value for state in ResourceState)

_CONTROL_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SLUG = re.compile(r"^[a-z0-9åäöéü]+(?:-[a-z0-9åäöéü]+)*$")

EDITABLE_FIELDS = (
    "url",
    "title",
    "description",
    "language",
    "resource_type",
    "publisher",
    "state",
    "review_by",
    "topics",
    "tags",
)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who makes a change: a user, or a named process (demo loader, checker)."""

    label: str
    user_id: int | None = None


def clean_line(value: str) -> str:
    """One line of text: NFC, control characters removed, spaces collapsed."""
    value = _CONTROL_LINE.sub(" ", unicodedata.normalize("NFC", value))
    return re.sub(r"\s+", " ", value).strip()


def clean_text(value: str) -> str:
    """Multi-line text: NFC, control characters but newlines and tabs removed."""
    value = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL_TEXT.sub("", value).strip()


def is_slug(value: str) -> bool:
    """Whether ``value`` can be a topic's address: lower-case letters, digits, hyphens."""
    return bool(_SLUG.match(value))


def slugify(value: str) -> str:
    value = clean_line(value).casefold()
    value = re.sub(r"[^\wåäöéü]+", "-", value).replace("_", "-")
    return re.sub(r"-{2,}", "-", value).strip("-")[:80]


def _text_field(
    data: Mapping[str, Any],
    name: str,
    errors: list[FieldError],
    *,
    maximum: int,
    required: bool,
    multiline: bool = False,
) -> str | None:
    raw = data.get(name)
    if raw is None:
        if required:
            errors.append(FieldError(name, N_("This field is required.")))
        return None
    if not isinstance(raw, str):
        errors.append(FieldError(name, N_("Must be text.")))
        return None
    value = clean_text(raw) if multiline else clean_line(raw)
    if required and not value:
        errors.append(FieldError(name, N_("This field is required.")))
        return None
    if len(value) > maximum:
        errors.append(
            FieldError(
                name,
                N_("Too long: at most %(max)d characters (now %(length)d)."),
                {"max": maximum, "length": len(value)},
            )
        )
        return None
    return value


def _choice(
    data: Mapping[str, Any], name: str, allowed: Sequence[str], errors: list[FieldError]
) -> str | None:
    raw = data.get(name)
    if raw is None:
        return None
    if not isinstance(raw, str) or raw not in allowed:
        errors.append(
            FieldError(
                name,
                N_("Choose one of: %(choices)s."),
                {"choices": ", ".join(allowed)},
            )
        )
        return None
    return raw


def _slug_list(
    data: Mapping[str, Any], name: str, errors: list[FieldError], *, maximum: int
) -> list[str] | None:
    raw = data.get(name)
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = [part for part in re.split(r"[,\n]", raw) if part.strip()]
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        errors.append(FieldError(name, N_("Must be a list of names.")))
        return None
    slugs: list[str] = []
    for item in raw:
        length = len(clean_line(item))
        if length > MAX_NAME:
            # Refused, not cut: a cut name would silently become another tag (issue 20).
            errors.append(
                FieldError(
                    name,
                    N_("Too long: at most %(max)d characters (now %(length)d)."),
                    {"max": MAX_NAME, "length": length},
                )
            )
            return None
        slug = slugify(item)
        if not slug:
            errors.append(FieldError(name, N_("%(value)s is not a valid name."), {"value": item}))
            return None
        if slug not in slugs:
            slugs.append(slug)
    if len(slugs) > maximum:
        errors.append(FieldError(name, N_("At most %(max)d items."), {"max": maximum}))
        return None
    return slugs


def validate_resource(
    data: Mapping[str, Any], *, partial: bool, allow_networks: Iterable[str] = ()
) -> dict[str, Any]:
    """Cleaned values for the fields given, or ValidationFailed naming every bad field."""
    errors: list[FieldError] = []
    unknown = sorted(set(data) - set(EDITABLE_FIELDS))
    for name in unknown:
        errors.append(FieldError(name, N_("Unknown field.")))
    cleaned: dict[str, Any] = {}
    if "url" in data or not partial:
        raw_url = data.get("url")
        if not isinstance(raw_url, str):
            errors.append(FieldError("url", N_("Enter an address (URL).")))
        else:
            try:
                cleaned["url"] = normalise_url(
                    raw_url, allow_networks=allow_networks, complete=True
                )
            except InvalidUrl as error:
                errors.append(error.error)
    if "title" in data or not partial:
        title = _text_field(data, "title", errors, maximum=MAX_TITLE, required=True)
        if title is not None:
            cleaned["title"] = title
    for name, maximum, multiline in (
        ("description", MAX_DESCRIPTION, True),
        ("publisher", MAX_PUBLISHER, False),
    ):
        if name in data:
            value = _text_field(
                data, name, errors, maximum=maximum, required=False, multiline=multiline
            )
            if value is not None:
                cleaned[name] = value
    for name, allowed in (
        ("language", LANGUAGES),
        ("resource_type", [t.value for t in ResourceType]),
        ("state", ALL_STATES),
    ):
        value = _choice(data, name, allowed, errors)
        if value is not None:
            cleaned[name] = value
    if "review_by" in data:
        raw = data["review_by"]
        if raw in (None, ""):
            cleaned["review_by"] = None
        elif isinstance(raw, date):
            cleaned["review_by"] = raw
        else:
            try:
                cleaned["review_by"] = date.fromisoformat(str(raw))
            except ValueError:
                errors.append(
                    FieldError("review_by", N_("Enter a date as YYYY-MM-DD, e.g. 2027-06-30."))
                )
    for name, maximum in (("topics", 20), ("tags", MAX_TAGS)):
        slugs = _slug_list(data, name, errors, maximum=maximum)
        if slugs is not None:
            cleaned[name] = slugs
    if errors:
        raise ValidationFailed(errors)
    return cleaned


async def _topic_ids(session: AsyncSession, slugs: list[str]) -> list[int]:
    if not slugs:
        return []
    rows = await session.execute(
        select(col(Topic.slug), col(Topic.id)).where(col(Topic.slug).in_(slugs))
    )
    found: dict[str, int] = {slug: id_ for slug, id_ in rows if id_ is not None}
    missing = [slug for slug in slugs if slug not in found]
    if missing:
        raise ValidationFailed(
            [FieldError("topics", N_("Unknown topic: %(topics)s."), {"topics": ", ".join(missing)})]
        )
    return [found[slug] for slug in slugs]


async def _tag_ids(session: AsyncSession, slugs: list[str]) -> list[int]:
    if not slugs:
        return []
    rows = await session.execute(select(col(Tag.slug), col(Tag.id)).where(col(Tag.slug).in_(slugs)))
    found: dict[str, int] = {slug: id_ for slug, id_ in rows if id_ is not None}
    for slug in slugs:
        if slug not in found:
            tag = Tag(slug=slug)
            session.add(tag)
            await session.flush()
            assert tag.id is not None
            found[slug] = tag.id
    return [found[slug] for slug in slugs]


async def _tag_renames(session: AsyncSession, slugs: Iterable[str]) -> dict[str, str]:
    """Earlier names among ``slugs`` mapped to their tag's current slug (issue 16).

    A curator typing a merged or renamed tag's old name gets the tag it now is, so the old
    name never becomes a tag again and its addresses keep redirecting.
    """
    wanted = sorted(set(slugs))
    if not wanted:
        return {}
    rows = await session.execute(
        select(col(TagAlias.slug), col(Tag.slug))
        .join(Tag, col(Tag.id) == col(TagAlias.tag_id))
        .where(col(TagAlias.slug).in_(wanted))
    )
    return {old: new for old, new in rows}


def _renamed(slugs: Sequence[str], renames: Mapping[str, str]) -> list[str]:
    return list(dict.fromkeys(renames.get(slug, slug) for slug in slugs))


async def topics_of(session: AsyncSession, resource_ids: Sequence[int]) -> dict[int, list[Topic]]:
    """Topics of many resources in one query."""
    result: dict[int, list[Topic]] = {rid: [] for rid in resource_ids}
    if not resource_ids:
        return result
    rows = await session.execute(
        select(col(ResourceTopic.resource_id), Topic)
        .join(Topic, col(Topic.id) == col(ResourceTopic.topic_id))
        .where(col(ResourceTopic.resource_id).in_(resource_ids))
        .order_by(col(Topic.slug))
    )
    for resource_id, topic in rows:
        result[resource_id].append(topic)
    return result


async def tags_of(session: AsyncSession, resource_ids: Sequence[int]) -> dict[int, list[str]]:
    """Tag slugs of many resources in one query."""
    result: dict[int, list[str]] = {rid: [] for rid in resource_ids}
    if not resource_ids:
        return result
    rows = await session.execute(
        select(col(ResourceTag.resource_id), col(Tag.slug))
        .join(Tag, col(Tag.id) == col(ResourceTag.tag_id))
        .where(col(ResourceTag.resource_id).in_(resource_ids))
        .order_by(col(Tag.slug))
    )
    for resource_id, slug in rows:
        result[resource_id].append(slug)
    return result


async def reindex(session: AsyncSession, resource: Resource) -> None:
    """Recompute the stemmed search words of ``resource`` from its fields, topics and tags."""
    assert resource.id is not None
    topics = (await topics_of(session, [resource.id]))[resource.id]
    tags = (await tags_of(session, [resource.id]))[resource.id]
    resource.search_title = index_text(resource.title)
    resource.search_body = index_text(
        resource.description,
        resource.publisher,
        *(f"{t.name_sv} {t.name_en}" for t in topics),
        *(tag.replace("-", " ") for tag in tags),
    )


def _snapshot(resource: Resource, topics: list[str], tags: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {
        name: getattr(resource, name) for name in EDITABLE_FIELDS if name not in {"topics", "tags"}
    }
    values["review_by"] = resource.review_by.isoformat() if resource.review_by else None
    values["topics"] = topics
    values["tags"] = tags
    return values


async def _record(
    session: AsyncSession,
    resource: Resource,
    actor: Actor,
    action: str,
    changes: dict[str, Any],
    batch: str | None = None,
) -> Revision:
    revision = Revision(
        batch=batch,
        resource_id=resource.id,
        user_id=actor.user_id,
        actor=actor.label,
        action=action,
        resource_url=resource.url,
        resource_title=resource.title,
        changes=changes,
        created_at=utcnow(),
    )
    session.add(revision)
    report_change(session, revision)
    return revision


async def _ensure_unique_url(session: AsyncSession, url: str, own_id: int | None) -> None:
    existing = (
        await session.execute(
            select(col(Resource.id), col(Resource.title)).where(col(Resource.url) == url)
        )
    ).first()
    if existing is not None and existing[0] != own_id:
        raise Conflict(
            FieldError(
                "url",
                N_("This address is already in the directory: “%(title)s” (#%(id)d)."),
                {"title": existing[1], "id": existing[0]},
            ),
            existing_id=existing[0],
        )


async def create_resource(
    session: AsyncSession,
    data: Mapping[str, Any],
    *,
    by: Actor,
    allow_networks: Iterable[str] = (),
) -> Resource:
    """Validate and add a resource (a draft unless ``state`` says otherwise)."""
    cleaned = validate_resource(data, partial=False, allow_networks=allow_networks)
    await _ensure_unique_url(session, cleaned["url"], None)
    topic_slugs = cleaned.pop("topics", [])
    tag_slugs = cleaned.pop("tags", [])
    tag_slugs = _renamed(tag_slugs, await _tag_renames(session, tag_slugs))
    topic_ids = await _topic_ids(session, topic_slugs)
    now = utcnow()
    resource = Resource(**cleaned, created_at=now, updated_at=now)
    if resource.state == ResourceState.published.value:
        resource.published_at = now
    resource.next_check_at = now
    session.add(resource)
    await session.flush()
    assert resource.id is not None
    for topic_id in topic_ids:
        session.add(ResourceTopic(resource_id=resource.id, topic_id=topic_id))
    for tag_id in await _tag_ids(session, tag_slugs):
        session.add(ResourceTag(resource_id=resource.id, tag_id=tag_id))
    await session.flush()
    await reindex(session, resource)
    snapshot = _snapshot(resource, topic_slugs, tag_slugs)
    await _record(session, resource, by, "create", {k: [None, v] for k, v in snapshot.items()})
    await session.flush()
    return resource


async def _tag_ids_many(session: AsyncSession, slugs: Sequence[str]) -> dict[str, int]:
    """Ids of ``slugs``, adding the missing tags with one flush."""
    found: dict[str, int] = {}
    unique = sorted(set(slugs))
    for start in range(0, len(unique), 500):
        rows = await session.execute(
            select(col(Tag.slug), col(Tag.id)).where(col(Tag.slug).in_(unique[start : start + 500]))
        )
        found.update({slug: id_ for slug, id_ in rows if id_ is not None})
    missing = [Tag(slug=slug) for slug in unique if slug not in found]
    if missing:
        session.add_all(missing)
        await session.flush()
        found.update({tag.slug: tag.id for tag in missing if tag.id is not None})
    return found


class Added:
    """A resource just added in bulk: its stored values as attributes (no ORM instance).

    Building a SQLModel instance per row cost more than the insert itself.
    """

    __slots__ = ("values",)

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None


def _resource_defaults() -> dict[str, Any]:
    table: Any = Resource.__table__  # type: ignore[attr-defined]
    template = Resource(url="", title="")
    return {c.key: getattr(template, c.key) for c in table.columns if c.key != "id"}


@dataclass(slots=True)
class Staged:
    """Rows built by :func:`stage_many`, ready for :func:`insert_staged` (no ids yet)."""

    by: Actor
    now: datetime
    topic_ids: dict[str, int]
    # (resource values, topic slugs, tag slugs, the "create" revision without its id)
    made: list[tuple[dict[str, Any], list[str], list[str], dict[str, Any]]]


async def stage_many(
    session: AsyncSession,
    items: Sequence[Mapping[str, Any]],
    *,
    by: Actor,
    prepare: Callable[[int, dict[str, Any]], None] | None = None,
) -> Staged:
    """Everything :func:`create_many` writes, computed with reads only (no write lock).

    Search text, host, restored values and each "create" revision are built here, so
    the write transaction that follows only sends rows (issue 20: the site waits for
    SQLite's write lock while an import holds it).
    """
    topics = {topic.slug: topic for topic in await all_topics(session)}
    topic_ids = {slug: topic.id for slug, topic in topics.items() if topic.id is not None}
    wanted = [slug for item in items for slug in item.get("topics", [])]
    missing = sorted({slug for slug in wanted if slug not in topics})
    if missing:
        raise ValidationFailed(
            [FieldError("topics", N_("Unknown topic: %(topics)s."), {"topics": ", ".join(missing)})]
        )
    # Old tag names mean the tag they became (a read: no write lock needed for it).
    renames = await _tag_renames(session, [s for item in items for s in item.get("tags", [])])
    now = utcnow()
    defaults = _resource_defaults()
    made: list[tuple[dict[str, Any], list[str], list[str], dict[str, Any]]] = []
    for index, item in enumerate(items):
        values = {**defaults, **item, "created_at": now, "updated_at": now, "next_check_at": now}
        topic_slugs = list(values.pop("topics", []))
        tag_slugs = _renamed(values.pop("tags", []), renames)
        values["published_at"] = now if values["state"] == ResourceState.published.value else None
        chosen = sorted((topics[slug] for slug in topic_slugs), key=lambda t: t.slug)
        values["search_title"] = index_text(values["title"])
        values["search_body"] = index_text(
            values["description"],
            values["publisher"],
            *(f"{t.name_sv} {t.name_en}" for t in chosen),
            *(tag.replace("-", " ") for tag in sorted(tag_slugs)),
        )
        if prepare is not None:
            prepare(index, values)
        values["host"] = host_of(values["url"])[:255]
        snapshot = {
            name: values[name] for name in EDITABLE_FIELDS if name not in {"topics", "tags"}
        }
        snapshot["review_by"] = values["review_by"].isoformat() if values["review_by"] else None
        snapshot["topics"], snapshot["tags"] = topic_slugs, tag_slugs
        revision = {
            "resource_id": None,
            "user_id": by.user_id,
            "actor": by.label,
            "action": "create",
            "resource_url": values["url"],
            "resource_title": values["title"],
            "changes": {k: [None, v] for k, v in snapshot.items()},
            "created_at": now,
        }
        made.append((values, topic_slugs, tag_slugs, revision))
    return Staged(by, now, topic_ids, made)


async def insert_staged(session: AsyncSession, staged: Staged) -> list[Added]:
    """Write what :func:`stage_many` built: one executemany per table, a few reads back."""
    made = staged.made
    if not made:
        return []
    # Before the first insert: new tags are the only write this may add (and hold the lock for).
    tag_ids = await _tag_ids_many(session, [slug for _, _, tags, _ in made for slug in tags])
    # Core executemany, not the unit of work: the ORM inserts these one row at a time
    # (RETURNING per row for the ids), which made an import ~120 rows/s.
    await session.flush()
    table: Any = Resource.__table__  # type: ignore[attr-defined]
    # RETURNING gives the ids in the same round trip (each one waits for the database's
    # thread; on a loaded machine those waits are most of the time the lock is held).
    inserted = await session.execute(
        insert(table).returning(table.c.url, table.c.id), [values for values, _, _, _ in made]
    )
    ids: dict[str, int] = {url: id_ for url, id_ in inserted}
    topic_rows: list[dict[str, int]] = []
    tag_rows: list[dict[str, int]] = []
    revisions: list[dict[str, Any]] = []
    for values, topic_slugs, tag_slugs, revision in made:
        resource_id = values["id"] = revision["resource_id"] = ids[values["url"]]
        topic_rows.extend(
            {"resource_id": resource_id, "topic_id": staged.topic_ids[t]} for t in topic_slugs
        )
        tag_rows.extend({"resource_id": resource_id, "tag_id": tag_ids[t]} for t in tag_slugs)
        revisions.append(revision)
    links: list[tuple[Any, list[dict[str, int]]]] = [
        (ResourceTopic.__table__, topic_rows),  # type: ignore[attr-defined]
        (ResourceTag.__table__, tag_rows),  # type: ignore[attr-defined]
    ]
    for link_table, rows in links:
        if rows:
            await session.execute(insert(link_table), rows)
    # The ids of the "create" revisions, for the one change path (#15).
    revision_table: Any = Revision.__table__  # type: ignore[attr-defined]
    created = await session.execute(
        insert(revision_table).returning(revision_table.c.id), revisions
    )
    report_ids(session, [i for i in created.scalars() if i is not None])
    return [Added(values) for values, _, _, _ in made]


async def create_many(
    session: AsyncSession,
    items: Sequence[Mapping[str, Any]],
    *,
    by: Actor,
    prepare: Callable[[int, dict[str, Any]], None] | None = None,
) -> list[Added]:
    """Add resources already cleaned by ``validate_resource`` (and unique) in a few queries.

    The bulk path of imports: one executemany for the rows, one each for their topics,
    tags and "create" revisions, instead of some ten round trips per row (issue 20: 175
    rows/s). ``prepare(index, values)`` may set restored dates and link health first.
    """
    if not items:
        return []
    return await insert_staged(session, await stage_many(session, items, by=by, prepare=prepare))


async def get_resource(
    session: AsyncSession, resource_id: int, *, states: Sequence[str] = PUBLIC_STATES
) -> Resource:
    if not in_id_range(resource_id):  # 10**30 from a form overflows the id column
        raise NotFound(resource_id)
    resource = await session.get(Resource, resource_id)
    if resource is None or resource.state not in states:
        raise NotFound(resource_id)
    return resource


async def update_resource(
    session: AsyncSession,
    resource_id: int,
    data: Mapping[str, Any],
    *,
    by: Actor,
    allow_networks: Iterable[str] = (),
    action: str | None = None,
    batch: str | None = None,
) -> Resource:
    """Change the given fields; records a Revision with old and new values of each.

    ``batch`` names the change batch the revision belongs to (what undo undoes).
    """
    resource = await get_resource(session, resource_id, states=ALL_STATES)
    cleaned = validate_resource(data, partial=True, allow_networks=allow_networks)
    if "url" in cleaned:
        await _ensure_unique_url(session, cleaned["url"], resource.id)
    assert resource.id is not None
    old_topics = [t.slug for t in (await topics_of(session, [resource.id]))[resource.id]]
    old_tags = (await tags_of(session, [resource.id]))[resource.id]
    before = _snapshot(resource, old_topics, old_tags)
    new_topics = cleaned.pop("topics", None)
    new_tags = cleaned.pop("tags", None)
    if new_tags is not None:
        new_tags = _renamed(new_tags, await _tag_renames(session, new_tags))
    if new_topics is not None and sorted(new_topics) != sorted(old_topics):
        topic_ids = await _topic_ids(session, new_topics)
        old_ids = await _topic_ids(session, old_topics)
        # Only the topics left are removed: a topic kept keeps its pin (issue 16).
        await session.execute(
            delete(ResourceTopic).where(
                col(ResourceTopic.resource_id) == resource.id,
                col(ResourceTopic.topic_id).not_in(topic_ids),
            )
        )
        for topic_id in topic_ids:
            if topic_id not in old_ids:
                session.add(ResourceTopic(resource_id=resource.id, topic_id=topic_id))
    else:
        new_topics = old_topics
    if new_tags is not None and sorted(new_tags) != sorted(old_tags):
        tag_ids = await _tag_ids(session, new_tags)
        await session.execute(
            delete(ResourceTag).where(col(ResourceTag.resource_id) == resource.id)
        )
        for tag_id in tag_ids:
            session.add(ResourceTag(resource_id=resource.id, tag_id=tag_id))
    else:
        new_tags = old_tags
    for name, value in cleaned.items():
        setattr(resource, name, value)
    after = _snapshot(resource, sorted(new_topics), sorted(new_tags))
    before_cmp = {**before, "topics": sorted(old_topics), "tags": sorted(old_tags)}
    changes = {k: [before_cmp[k], after[k]] for k in after if before_cmp[k] != after[k]}
    if not changes:
        return resource
    now = utcnow()
    resource.updated_at = now
    if "state" in changes and resource.state == ResourceState.published.value:
        resource.published_at = resource.published_at or now
    if "url" in changes:
        # A new address has not been checked yet.
        resource.link_status = LinkStatus.unchecked.value
        resource.status_since = now
        resource.consecutive_failures = 0
        resource.next_check_at = now
        resource.moved_to = None
        resource.reason = None
        resource.http_status = None
        resource.final_url = None
    await session.flush()
    await reindex(session, resource)
    if action is None:
        action = "update"
        if set(changes) == {"state"}:
            action = {"published": "publish", "retired": "retire", "draft": "unpublish"}[
                resource.state
            ]
    await _record(session, resource, by, action, changes, batch)
    await session.flush()
    return resource


async def delete_resource(session: AsyncSession, resource_id: int, *, by: Actor) -> None:
    """Delete a resource; its revisions stay as the audit trail."""
    resource = await get_resource(session, resource_id, states=ALL_STATES)
    changes: dict[str, Any] = {}
    if resource.state == ResourceState.published.value:
        # What the public lost, so the WebSub path pings the feeds that listed it.
        assert resource.id is not None
        topics = [t.slug for t in (await topics_of(session, [resource.id]))[resource.id]]
        tags = (await tags_of(session, [resource.id]))[resource.id]
        changes = {"state": [resource.state, None], "topics": [topics, []], "tags": [tags, []]}
    await _record(session, resource, by, "delete", changes)
    await session.flush()
    await session.delete(resource)
    await session.flush()


async def revisions_of(session: AsyncSession, resource_id: int) -> list[Revision]:
    rows = await session.execute(
        select(Revision)
        .where(col(Revision.resource_id) == resource_id)
        .order_by(col(Revision.created_at).desc(), col(Revision.id).desc())
    )
    return list(rows.scalars())


@dataclass(slots=True)
class Page:
    items: list[Resource]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


async def list_resources(
    session: AsyncSession,
    *,
    topic: str | None = None,
    tag: str | None = None,
    link_status: str | None = None,
    states: Sequence[str] = PUBLIC_STATES,
    page: int = 1,
    per_page: int = 20,
    order: str = "newest",
    pinned_first: bool = False,
) -> Page:
    """A page of resources, newest first or by title, filtered by topic, tag and status.

    ``pinned_first`` (with ``topic``): the topic's pinned resources first, in pin order.
    """
    page = max(1, page)
    stmt = select(Resource).where(col(Resource.state).in_(states))
    if topic is not None:
        stmt = stmt.where(
            col(Resource.id).in_(
                select(col(ResourceTopic.resource_id))
                .join(Topic, col(Topic.id) == col(ResourceTopic.topic_id))
                .where(col(Topic.slug) == topic)
            )
        )
    if tag is not None:
        stmt = stmt.where(
            col(Resource.id).in_(
                select(col(ResourceTag.resource_id))
                .join(Tag, col(Tag.id) == col(ResourceTag.tag_id))
                .where(col(Tag.slug) == tag)
            )
        )
    if link_status is not None:
        stmt = stmt.where(col(Resource.link_status) == link_status)
    total = (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
    if topic is not None and pinned_first:
        pin = (
            select(col(ResourceTopic.pin_position))
            .join(Topic, col(Topic.id) == col(ResourceTopic.topic_id))
            .where(col(Topic.slug) == topic, col(ResourceTopic.resource_id) == col(Resource.id))
            .scalar_subquery()
        )
        stmt = stmt.order_by(case((pin.is_(None), 1), else_=0), pin)
    if order == "title":
        stmt = stmt.order_by(func.lower(col(Resource.title)), col(Resource.id))
    elif order == "updated":
        stmt = stmt.order_by(col(Resource.updated_at).desc(), col(Resource.id).desc())
    elif tuple(states) == PUBLIC_STATES:
        # Published resources always have published_at: the index gives this order.
        stmt = stmt.order_by(col(Resource.published_at).desc(), col(Resource.id).desc())
    else:
        stmt = stmt.order_by(
            func.coalesce(col(Resource.published_at), col(Resource.created_at)).desc(),
            col(Resource.id).desc(),
        )
    stmt = stmt.limit(per_page).offset((page - 1) * per_page)
    items = list((await session.execute(stmt)).scalars())
    return Page(items, total, page, per_page)


# Topics ---------------------------------------------------------------------------------

TOPIC_FIELDS = ("slug", "name_sv", "name_en", "description_sv", "description_en")
NO_SLUG_FROM_NAME = N_(
    "No address can be made from the Swedish name (it needs letters a–z, å, ä, ö or "
    "digits): write one here, e.g. digital-delaktighet."
)


def validate_topic(data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    errors: list[FieldError] = []
    for name in sorted(set(data) - set(TOPIC_FIELDS)):
        errors.append(FieldError(name, N_("Unknown field.")))
    cleaned: dict[str, Any] = {}
    for name in ("name_sv", "name_en"):
        if name in data or not partial:
            value = _text_field(data, name, errors, maximum=MAX_TOPIC_NAME, required=True)
            if value is not None:
                cleaned[name] = value
    for name in ("description_sv", "description_en"):
        if name in data:
            value = _text_field(
                data, name, errors, maximum=MAX_DESCRIPTION, required=False, multiline=True
            )
            if value is not None:
                cleaned[name] = value
    if "slug" in data:
        raw = data["slug"]
        if isinstance(raw, str) and len(raw) > MAX_NAME:
            # As a resource's topics are read (an export holding a longer one would not
            # import again), refused with the limit, not cut.
            errors.append(
                FieldError(
                    "slug",
                    N_("Too long: at most %(max)d characters (now %(length)d)."),
                    {"max": MAX_NAME, "length": len(raw)},
                )
            )
        elif not isinstance(raw, str) or not is_slug(raw):
            errors.append(
                FieldError(
                    "slug",
                    N_("Use lower-case letters, digits and hyphens, e.g. digital-delaktighet."),
                )
            )
        else:
            cleaned["slug"] = raw
    elif not partial and "name_sv" in cleaned:
        made = slugify(cleaned["name_sv"])
        if is_slug(made):
            cleaned["slug"] = made
        else:  # "#": an empty slug would give the topic the topic list's address
            errors.append(FieldError("slug", NO_SLUG_FROM_NAME))
    if errors:
        raise ValidationFailed(errors)
    return cleaned


async def create_topic(session: AsyncSession, data: Mapping[str, Any]) -> Topic:
    cleaned = validate_topic(data, partial=False)
    if (
        await session.execute(select(col(Topic.id)).where(col(Topic.slug) == cleaned["slug"]))
    ).first():
        raise Conflict(
            FieldError("slug", N_("A topic with this slug exists already."), {}),
        )
    topic = Topic(**cleaned)
    session.add(topic)
    await session.flush()
    return topic


async def get_topic(session: AsyncSession, slug: str) -> Topic:
    if "\x00" in slug:  # no slug holds one, and PostgreSQL refuses it in a query (a 500)
        raise NotFound(slug)
    topic = (
        await session.execute(select(Topic).where(col(Topic.slug) == slug))
    ).scalar_one_or_none()
    if topic is None:
        raise NotFound(slug)
    return topic


async def update_topic(session: AsyncSession, slug: str, data: Mapping[str, Any]) -> Topic:
    topic = await get_topic(session, slug)
    cleaned = validate_topic(data, partial=True)
    if "slug" in cleaned and cleaned["slug"] != topic.slug:
        taken = await session.execute(
            select(col(Topic.id)).where(col(Topic.slug) == cleaned["slug"])
        )
        if taken.first():
            raise Conflict(FieldError("slug", N_("A topic with this slug exists already.")))
    for name, value in cleaned.items():
        setattr(topic, name, value)
    topic.updated_at = utcnow()
    await session.flush()
    if {"name_sv", "name_en"} & set(cleaned):
        rows = await session.execute(
            select(Resource)
            .join(ResourceTopic, col(ResourceTopic.resource_id) == col(Resource.id))
            .where(col(ResourceTopic.topic_id) == topic.id)
        )
        for resource in rows.scalars():
            await reindex(session, resource)
    return topic


async def delete_topic(session: AsyncSession, slug: str) -> None:
    topic = await get_topic(session, slug)
    resource_ids = list(
        (
            await session.execute(
                select(col(ResourceTopic.resource_id)).where(
                    col(ResourceTopic.topic_id) == topic.id
                )
            )
        ).scalars()
    )
    await session.delete(topic)
    await session.flush()
    for resource_id in resource_ids:
        resource = await session.get(Resource, resource_id)
        if resource is not None:
            await reindex(session, resource)


async def list_topics(
    session: AsyncSession, *, states: Sequence[str] = PUBLIC_STATES
) -> list[tuple[Topic, int]]:
    """Every topic with the number of resources in ``states`` it holds."""
    counts = (
        select(col(ResourceTopic.topic_id), func.count().label("n"))
        .join(Resource, col(Resource.id) == col(ResourceTopic.resource_id))
        .where(col(Resource.state).in_(states))
        .group_by(col(ResourceTopic.topic_id))
        .subquery()
    )
    rows = await session.execute(
        select(Topic, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.topic_id == col(Topic.id))
        .order_by(col(Topic.name_sv))
    )
    return [(topic, int(count)) for topic, count in rows]


async def all_topics(session: AsyncSession) -> list[Topic]:
    """Every topic, without counts (cheap: for names and menus)."""
    return list((await session.execute(select(Topic).order_by(col(Topic.name_sv)))).scalars())


async def tag_exists(session: AsyncSession, slug: str) -> bool:
    if "\x00" in slug:  # as in get_topic
        return False
    return (
        await session.execute(select(col(Tag.id)).where(col(Tag.slug) == slug))
    ).first() is not None


async def count_resources(session: AsyncSession) -> int:
    return (await session.execute(select(func.count()).select_from(Resource))).scalar_one()
