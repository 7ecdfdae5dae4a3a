"""Tag management (issue 16): counts, rename, merge, and the aliases that keep old addresses.

A renamed or merged-away tag leaves its slug in ``tag_alias``, pointing at the tag that now
carries its resources; the public page, print list, embed and feed addresses of the old slug
answer 301 to the new one for as long as no tag takes that slug again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from linkdir.changes import report as report_change
from linkdir.db import utcnow
from linkdir.errors import N_, Conflict, FieldError, NotFound, ValidationFailed
from linkdir.resources import service
from linkdir.resources.models import Resource, ResourceState, ResourceTag, Revision, Tag, TagAlias

MAX_QUERY = 80


@dataclass(frozen=True, slots=True)
class TagCount:
    slug: str
    published: int
    total: int


@dataclass(frozen=True, slots=True)
class MergePlan:
    """What merging ``source`` into ``target`` will do, shown before it is done."""

    source: str
    target: str
    resources: list[Resource]  # every resource carrying the source tag
    already_tagged: set[int]  # of those, ids carrying the target too (they keep one row)
    aliases: list[str]  # earlier names of the source, redirected to the target from now on


_SWEDISH_ORDER = str.maketrans({"å": "{", "ä": "|", "ö": "}", "é": "e", "ü": "y"})


async def list_tags(
    session: AsyncSession, query: str = "", *, published_only: bool = False
) -> list[TagCount]:
    """Every tag whose slug contains ``query``, with published and total resource counts;
    ``published_only``: only the tags a visitor can follow (published resources carry
    them)."""
    published = func.sum(case((col(Resource.state) == ResourceState.published.value, 1), else_=0))
    stmt = (
        select(col(Tag.slug), func.coalesce(published, 0), func.count(col(Resource.id)))
        .outerjoin(ResourceTag, col(ResourceTag.tag_id) == col(Tag.id))
        .outerjoin(Resource, col(Resource.id) == col(ResourceTag.resource_id))
        .group_by(col(Tag.id), col(Tag.slug))
        .order_by(col(Tag.slug))
    )
    if published_only:
        stmt = stmt.having(published > 0)
    wanted = service.slugify(query[:MAX_QUERY])
    if wanted:
        stmt = stmt.where(col(Tag.slug).contains(wanted, autoescape=True))
    rows = await session.execute(stmt)
    found = [TagCount(slug, int(pub), int(total)) for slug, pub, total in rows]
    # A to Ö as a Swedish reader expects (å, ä, ö after z), whatever the database's
    # collation: SQLite's byte order puts ä before å, PostgreSQL's may ignore the dots.
    return sorted(found, key=lambda tag: tag.slug.translate(_SWEDISH_ORDER))


async def get_tag(session: AsyncSession, slug: str) -> Tag:
    if "\x00" in slug:  # as in service.get_topic
        raise NotFound(slug)
    tag = (await session.execute(select(Tag).where(col(Tag.slug) == slug))).scalar_one_or_none()
    if tag is None:
        raise NotFound(slug)
    return tag


async def moved_to(session: AsyncSession, slug: str) -> str | None:
    """The current slug of the tag that ``slug`` once named, or None."""
    if "\x00" in slug or len(slug) > service.MAX_NAME:
        return None
    row = await session.execute(
        select(col(Tag.slug))
        .join(TagAlias, col(TagAlias.tag_id) == col(Tag.id))
        .where(col(TagAlias.slug) == slug)
    )
    return row.scalar_one_or_none()


async def aliases_of(session: AsyncSession, tag_id: int) -> list[str]:
    rows = await session.execute(
        select(col(TagAlias.slug)).where(col(TagAlias.tag_id) == tag_id).order_by(TagAlias.slug)
    )
    return list(rows.scalars())


def clean_slug(raw: Any, field: str) -> str:
    """A tag name typed by a curator ("Källkritik " → ``källkritik``), or ValidationFailed."""
    if not isinstance(raw, str) or not raw.strip():
        raise ValidationFailed([FieldError(field, N_("Enter the name of a tag."))])
    length = len(service.clean_line(raw))
    if length > service.MAX_NAME:
        raise ValidationFailed(
            [
                FieldError(
                    field,
                    N_("Too long: at most %(max)d characters (now %(length)d)."),
                    {"max": service.MAX_NAME, "length": length},
                )
            ]
        )
    slug = service.slugify(raw)
    if not slug:
        raise ValidationFailed(
            [FieldError(field, N_("%(value)s is not a valid name."), {"value": raw})]
        )
    return slug


async def _tagged(session: AsyncSession, tag_id: int) -> list[Resource]:
    rows = await session.execute(
        select(Resource)
        .join(ResourceTag, col(ResourceTag.resource_id) == col(Resource.id))
        .where(col(ResourceTag.tag_id) == tag_id)
        .order_by(func.lower(col(Resource.title)), col(Resource.id))
    )
    return list(rows.scalars())


async def _record_tags(
    session: AsyncSession,
    resources: Sequence[Resource],
    before: dict[int, list[str]],
    by: service.Actor,
) -> None:
    """One revision per resource whose tags changed, and its search words again."""
    after = await service.tags_of(session, [r.id for r in resources if r.id is not None])
    now = utcnow()
    for resource in resources:
        assert resource.id is not None
        old, new = sorted(before[resource.id]), sorted(after[resource.id])
        if old == new:
            continue
        resource.updated_at = now
        revision = Revision(
            resource_id=resource.id,
            user_id=by.user_id,
            actor=by.label,
            action="update",
            resource_url=resource.url,
            resource_title=resource.title,
            changes={"tags": [old, new]},
            created_at=now,
        )
        session.add(revision)
        report_change(session, revision)
        await service.reindex(session, resource)
    await session.flush()


async def _refuse_alias_of_another(session: AsyncSession, slug: str, tag_id: int) -> None:
    owner = (
        await session.execute(select(TagAlias).where(col(TagAlias.slug) == slug))
    ).scalar_one_or_none()
    if owner is not None and owner.tag_id != tag_id:
        current = (await session.get(Tag, owner.tag_id)) or Tag(slug="")
        raise Conflict(
            FieldError(
                "slug",
                N_(
                    "%(slug)s is an earlier name of the tag %(current)s and its addresses "
                    "lead there; merge into %(current)s instead."
                ),
                {"slug": slug, "current": current.slug},
            )
        )


async def rename_tag(session: AsyncSession, slug: str, new_name: Any, *, by: service.Actor) -> Tag:
    """Give a tag a new slug; the old one becomes an alias that redirects."""
    tag = await get_tag(session, slug)
    assert tag.id is not None
    new_slug = clean_slug(new_name, "slug")
    if new_slug == tag.slug:
        raise ValidationFailed(
            [FieldError("slug", N_("The tag is called %(slug)s already."), {"slug": new_slug})]
        )
    if (await session.execute(select(col(Tag.id)).where(col(Tag.slug) == new_slug))).first():
        raise Conflict(
            FieldError(
                "slug",
                N_("The tag %(slug)s exists already; merge into it instead."),
                {"slug": new_slug},
            )
        )
    await _refuse_alias_of_another(session, new_slug, tag.id)
    resources = await _tagged(session, tag.id)
    before = await service.tags_of(session, [r.id for r in resources if r.id is not None])
    old_slug = tag.slug
    # Renaming back to an earlier name: that name is the tag's own again, not an alias.
    await session.execute(delete(TagAlias).where(col(TagAlias.slug) == new_slug))
    tag.slug = new_slug
    session.add(TagAlias(slug=old_slug, tag_id=tag.id, created_at=utcnow()))
    await session.flush()
    await _record_tags(session, resources, before, by)
    return tag


async def plan_merge(session: AsyncSession, slug: str, target_name: Any) -> MergePlan:
    """Check a merge of tag ``slug`` into ``target_name`` and say what it would change."""
    source = await get_tag(session, slug)
    assert source.id is not None
    target_slug = clean_slug(target_name, "into")
    if target_slug == source.slug:
        raise ValidationFailed(
            [FieldError("into", N_("A tag cannot be merged into itself; choose another tag."))]
        )
    try:
        target = await get_tag(session, target_slug)
    except NotFound:
        raise ValidationFailed(
            [
                FieldError(
                    "into",
                    N_("There is no tag %(slug)s to merge into; choose an existing tag."),
                    {"slug": target_slug},
                )
            ]
        ) from None
    resources = await _tagged(session, source.id)
    both = await session.execute(
        select(col(ResourceTag.resource_id)).where(
            col(ResourceTag.tag_id) == target.id,
            col(ResourceTag.resource_id).in_([r.id for r in resources]),
        )
    )
    return MergePlan(
        source=source.slug,
        target=target.slug,
        resources=resources,
        already_tagged=set(both.scalars()),
        aliases=[source.slug, *await aliases_of(session, source.id)],
    )


async def merge_tags(
    session: AsyncSession, slug: str, target_name: Any, *, by: service.Actor
) -> MergePlan:
    """Move every resource of tag ``slug`` to the target tag, then remove ``slug``.

    One transaction (the caller's): resources already carrying both keep one row; each
    changed resource gets a revision; the old slug and its own aliases redirect to the target.
    """
    plan = await plan_merge(session, slug, target_name)
    source = await get_tag(session, plan.source)
    target = await get_tag(session, plan.target)
    assert target.id is not None
    ids = [r.id for r in plan.resources if r.id is not None]
    before = await service.tags_of(session, ids)
    moving = [i for i in ids if i not in plan.already_tagged]
    if moving:
        await session.execute(
            update(ResourceTag)
            .where(col(ResourceTag.tag_id) == source.id, col(ResourceTag.resource_id).in_(moving))
            .values(tag_id=target.id)
        )
    await session.execute(delete(ResourceTag).where(col(ResourceTag.tag_id) == source.id))
    await session.execute(
        update(TagAlias).where(col(TagAlias.tag_id) == source.id).values(tag_id=target.id)
    )
    session.add(TagAlias(slug=source.slug, tag_id=target.id, created_at=utcnow()))
    await session.flush()
    await session.delete(source)
    await session.flush()
    await _record_tags(session, plan.resources, before, by)
    return plan
