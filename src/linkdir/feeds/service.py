"""What the feeds say: entries from resources and revisions, feed secrets, the change hook.

Public feeds (DESIGN §6) show **published** resources only. The one exception, by design:
when a published resource is retired, the "updated" feed carries a single entry saying so
(subscribers should learn that a link they may have saved is gone); none of its earlier
updates stay visible, and a resource retired before it was ever published leaves no trace.

The private maintainer feed reads the **link-status contract** with the monitoring issue:
the checker records each change a maintainer should act on as a ``Revision`` with

* ``actor`` ``"checker"`` (any actor is shown), ``user_id`` None;
* ``action`` one of ``link_broken`` (newly *confirmed* broken), ``link_moved`` (permanent
  redirect to a working page), ``link_recovered`` (a broken or moved link works again) and
  ``link_stale`` (the page's own last-updated date passed ``LINKDIR_STALE_AFTER``);
* ``resource_url`` / ``resource_title`` the address and title at the time;
* ``changes`` ``{field: [old, new]}`` with ``link_status`` and, when known, ``http_status``,
  ``reason`` (the verdict reason, e.g. ``http_404``), ``moved_to`` and ``modified_on``
  (ISO date). Unknown fields are ignored.

Those revisions never appear in public feeds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from sqlalchemy import func, not_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from linkdir import i18n
from linkdir.checks.vocabulary import verdict_in_sentence
from linkdir.config import Settings
from linkdir.errors import NotFound
from linkdir.feeds.access import (
    create_feed_secret,
    link_problems_url,
    secret_digest,
    user_for_feed_secret,
)
from linkdir.feeds.build import Category, Feed, Item, cut
from linkdir.reasons import reason_label
from linkdir.resources import service as directory
from linkdir.resources.models import (
    Resource,
    ResourceState,
    ResourceTag,
    Revision,
    Tag,
    Topic,
)

FEED_LIMIT = 50
LINK_PROBLEM_LIMIT = 100
LINK_ACTIONS = ("link_broken", "link_moved", "link_recovered", "link_stale")
# What a subscriber cares about; publisher, language, review dates stay internal.
SUBSCRIBER_FIELDS = ("url", "title", "description", "state", "topics", "tags")
# Feeds that existed before a directory had any content still need a stable time.
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
_PUBLISHED = ResourceState.published.value
_RETIRED = ResourceState.retired.value


# Addresses and ids ----------------------------------------------------------------------


def base(settings: Settings) -> str:
    return settings.base_url.rstrip("/")


def tag_uri(settings: Settings, specific: str) -> str:
    """A tag: URI (RFC 4151) on the site's host: stable across address and URL changes."""
    host = urlsplit(settings.base_url).hostname or "localhost"
    return f"tag:{host},2026:{specific}"


def feed_path(kind: str, slug: str | None = None, fmt: str = "atom") -> str:
    if kind in {"topic", "tag"}:
        return f"/feeds/{kind}s/{quote(slug or '', safe='')}.{fmt}"
    return f"/feeds/{kind}.{fmt}"


def feed_url(settings: Settings, path: str, lang: str) -> str:
    """The canonical address of a feed: Swedish without a query, English with ?lang=en."""
    return base(settings) + path + ("?lang=en" if lang == "en" else "")


# The version every public feed is derived from ------------------------------------------


async def directory_version(session: AsyncSession) -> str:
    """One cheap query that changes whenever any feed's content may change.

    Every change to a resource records a Revision (resources/service.py), so the newest
    revision id covers resources and tags; topics are renamed and removed without one.
    """
    row = (
        await session.execute(
            select(
                select(func.max(col(Revision.id))).scalar_subquery(),
                select(func.max(col(Topic.updated_at))).scalar_subquery(),
                select(func.count(col(Topic.id))).scalar_subquery(),
            )
        )
    ).one()
    revision_id, topic_updated, topic_count = row
    stamp = topic_updated.timestamp() if isinstance(topic_updated, datetime) else topic_updated
    return f"{revision_id or 0}.{stamp or 0}.{topic_count}"


# Public feeds ---------------------------------------------------------------------------


def _categories(
    settings: Settings, topics: Sequence[Topic], tags: Sequence[str], lang: str
) -> tuple[Category, ...]:
    site = base(settings)
    return tuple(Category(t.slug, t.name(lang), f"{site}/topics/") for t in topics) + tuple(
        Category(tag, f"#{tag}", f"{site}/tags/") for tag in tags
    )


async def new_feed(
    session: AsyncSession,
    settings: Settings,
    lang: str,
    *,
    topic: str | None = None,
    tag: str | None = None,
) -> Feed:
    """Newly published resources, newest first; optionally of one topic or tag."""
    i18n.set_locale(lang)
    _ = i18n.gettext
    site = base(settings)
    if topic is not None:
        found = await directory.get_topic(session, topic)
        name = found.name(lang)
        title = _("%(site)s: new in %(topic)s") % {"site": settings.site_name, "topic": name}
        subtitle = found.description(lang) or _(
            "Resources in the topic %(topic)s, newest first."
        ) % {"topic": name}
        page, kind, slug = f"{site}/topics/{quote(topic)}", "topic", topic
    elif tag is not None:
        if not await directory.tag_exists(session, tag):
            raise NotFound(tag)
        title = _("%(site)s: new with the tag %(tag)s") % {"site": settings.site_name, "tag": tag}
        subtitle = _("Resources tagged %(tag)s, newest first.") % {"tag": tag}
        page, kind, slug = f"{site}/tags/{quote(tag)}", "tag", tag
    else:
        title = _("%(site)s: new resources") % {"site": settings.site_name}
        subtitle = _("Resources newly published in the directory, newest first.")
        page, kind, slug = f"{site}/", "new", None
    listing = await directory.list_resources(
        session, topic=topic, tag=tag, per_page=FEED_LIMIT, page=1, pinned_first=True
    )
    ids = [r.id for r in listing.items if r.id is not None]
    topics = await directory.topics_of(session, ids)
    tags = await directory.tags_of(session, ids)
    items = []
    for resource in listing.items:
        assert resource.id is not None
        published = resource.published_at or resource.created_at
        items.append(
            Item(
                id=tag_uri(settings, f"resource/{resource.id}"),
                title=resource.title,
                link=resource.url,
                related=f"{site}/resources/{resource.id}",
                summary=cut(resource.description),
                author=resource.publisher or None,
                categories=_categories(settings, topics[resource.id], tags[resource.id], lang),
                published=published,
                updated=max(published, resource.updated_at),
            )
        )
    return Feed(
        site_name=settings.site_organisation or settings.site_name,
        id=tag_uri(settings, f"feeds/{kind}{'/' + slug if slug else ''}/{lang}"),
        title=title,
        subtitle=subtitle,
        self_url="",  # filled per format by the caller
        page_url=page,
        language=lang,
        updated=max((item.updated for item in items), default=EPOCH),
        hub_url=settings.websub_hub_url or None,
        items=tuple(items),
    )


def _names(slugs: Sequence[str], topics: dict[str, Topic], lang: str) -> str:
    return ", ".join(topics[s].name(lang) if s in topics else s for s in slugs)


def describe_changes(changes: dict[str, Any], topics: dict[str, Topic], lang: str) -> list[str]:
    """What changed, one line per field, in the reader's language (subscriber fields only)."""
    i18n.set_locale(lang)
    _ = i18n.gettext
    lines: list[str] = []
    for name in SUBSCRIBER_FIELDS:
        pair = changes.get(name)
        if not isinstance(pair, list) or len(pair) != 2:
            continue
        old, new = pair
        if name == "url":
            lines.append(_("New address: %(new)s (was %(old)s)") % {"new": new, "old": old})
        elif name == "title":
            lines.append(_("New title: %(new)s (was “%(old)s”)") % {"new": new, "old": old})
        elif name == "description":
            if new:
                lines.append(_("New description: %(text)s") % {"text": cut(str(new), 400)})
            else:
                lines.append(_("The description was removed."))
        elif name == "state" and new == _RETIRED:
            lines.append(_("Retired: this resource is no longer listed in the directory."))
        elif name in {"topics", "tags"}:
            added = [s for s in (new or []) if s not in (old or [])]
            removed = [s for s in (old or []) if s not in (new or [])]
            if name == "topics":
                if added:
                    lines.append(
                        _("Added to topics: %(names)s") % {"names": _names(added, topics, lang)}
                    )
                if removed:
                    lines.append(
                        _("Removed from topics: %(names)s")
                        % {"names": _names(removed, topics, lang)}
                    )
            else:
                if added:
                    lines.append(_("Tags added: %(tags)s") % {"tags": ", ".join(added)})
                if removed:
                    lines.append(_("Tags removed: %(tags)s") % {"tags": ", ".join(removed)})
    return lines


async def updated_feed(session: AsyncSession, settings: Settings, lang: str) -> Feed:
    """Published resources whose record changed, one entry per change, newest first."""
    i18n.set_locale(lang)
    _ = i18n.gettext
    site = base(settings)
    rows = (
        await session.execute(
            select(Revision, Resource)
            .join(Resource, col(Resource.id) == col(Revision.resource_id))
            .where(
                col(Resource.state).in_((_PUBLISHED, _RETIRED)),
                col(Resource.published_at).is_not(None),
                col(Revision.created_at) >= col(Resource.published_at),
                col(Revision.action).not_in(("create", "delete", "publish", "unpublish")),
                not_(col(Revision.action).startswith("link_")),
            )
            .order_by(col(Revision.id).desc())
            .limit(FEED_LIMIT * 4)
        )
    ).all()
    all_topics = {t.slug: t for t in await directory.all_topics(session)}
    chosen: list[tuple[Revision, Resource, list[str]]] = []
    retired_seen: set[int] = set()
    for revision, resource in rows:
        assert resource.id is not None
        changes = revision.changes or {}
        state = changes.get("state")
        if isinstance(state, list) and len(state) == 2 and state[1] == _PUBLISHED:
            continue  # publishing is news for the "new" feed, not an update
        if resource.state == _RETIRED:
            # Only the newest retirement of a retired resource; nothing else of it.
            if resource.id in retired_seen or not (
                isinstance(state, list) and len(state) == 2 and state[1] == _RETIRED
            ):
                continue
            retired_seen.add(resource.id)
            lines = [_("Retired: this resource is no longer listed in the directory.")]
        else:
            lines = describe_changes(changes, all_topics, lang)
        if lines:
            chosen.append((revision, resource, lines))
        if len(chosen) >= FEED_LIMIT:
            break
    live_ids = [r.id for _rev, r, _l in chosen if r.id is not None and r.state == _PUBLISHED]
    topics = await directory.topics_of(session, live_ids)
    tags = await directory.tags_of(session, live_ids)
    items = []
    for revision, resource, lines in chosen:
        assert resource.id is not None and revision.id is not None
        retired = resource.state == _RETIRED
        template = _("Retired: %(title)s") if retired else _("Updated: %(title)s")
        title = revision.resource_title if retired else resource.title
        items.append(
            Item(
                id=tag_uri(settings, f"resource/{resource.id}/revision/{revision.id}"),
                title=template % {"title": title},
                link=revision.resource_url if retired else resource.url,
                related=None if retired else f"{site}/resources/{resource.id}",
                summary="\n".join(lines),
                author=None if retired else (resource.publisher or None),
                categories=()
                if retired
                else _categories(settings, topics[resource.id], tags[resource.id], lang),
                published=revision.created_at,
                updated=revision.created_at,
            )
        )
    return Feed(
        site_name=settings.site_organisation or settings.site_name,
        id=tag_uri(settings, f"feeds/updated/{lang}"),
        title=_("%(site)s: updated resources") % {"site": settings.site_name},
        subtitle=_(
            "Changes to published resources: new addresses, titles, descriptions, topics "
            "and tags, and resources retired from the directory."
        ),
        self_url="",
        page_url=f"{site}/",
        language=lang,
        updated=max((item.updated for item in items), default=EPOCH),
        hub_url=settings.websub_hub_url or None,
        items=tuple(items),
    )


# The private maintainer feed ------------------------------------------------------------


def _status_label(status: Any) -> str:
    return verdict_in_sentence(str(status))


def describe_link_problem(revision: Revision, lang: str) -> tuple[str, list[str]]:
    """Title and summary lines of one link-status revision (see the contract above)."""
    i18n.set_locale(lang)
    _ = i18n.gettext
    titles = {
        "link_broken": _("Broken link: %(title)s"),
        "link_moved": _("Moved: %(title)s"),
        "link_recovered": _("Working again: %(title)s"),
        "link_stale": _("Not updated for a long time: %(title)s"),
    }
    changes = revision.changes or {}

    def new(name: str) -> Any:
        pair = changes.get(name)
        return pair[1] if isinstance(pair, list) and len(pair) == 2 else None

    lines = [_("Address: %(url)s") % {"url": revision.resource_url}]
    status = changes.get("link_status")
    if isinstance(status, list) and len(status) == 2:
        lines.append(
            _("Status: %(old)s → %(new)s")
            % {"old": _status_label(status[0]), "new": _status_label(status[1])}
        )
    if new("http_status") is not None:
        lines.append(_("HTTP status: %(status)s") % {"status": new("http_status")})
    if new("reason"):
        lines.append(_("Reason: %(reason)s") % {"reason": reason_label(str(new("reason")))})
    if new("moved_to"):
        lines.append(_("New address: %(url)s") % {"url": new("moved_to")})
    if new("modified_on"):
        lines.append(_("Page last updated: %(date)s") % {"date": new("modified_on")})
    template = titles.get(revision.action, "%(title)s")
    return template % {"title": revision.resource_title}, lines


async def link_problems_feed(session: AsyncSession, settings: Settings, lang: str) -> Feed:
    """Link-status changes for maintainers, newest first (all states: drafts need fixing too)."""
    site = base(settings)
    revisions = (
        await session.execute(
            select(Revision)
            .where(col(Revision.action).in_(LINK_ACTIONS))
            .order_by(col(Revision.id).desc())
            .limit(LINK_PROBLEM_LIMIT)
        )
    ).scalars()
    items = []
    for revision in revisions:
        assert revision.id is not None
        title, lines = describe_link_problem(revision, lang)
        items.append(
            Item(
                id=tag_uri(settings, f"resource/{revision.resource_id}/revision/{revision.id}"),
                title=title,
                link=revision.resource_url,
                related=f"{site}/api/v1/resources/{revision.resource_id}"
                if revision.resource_id
                else None,
                summary="\n".join(lines),
                author=revision.actor,
                categories=(Category(revision.action, revision.action, f"{site}/feeds#"),),
                published=revision.created_at,
                updated=revision.created_at,
            )
        )
    i18n.set_locale(lang)
    return Feed(
        site_name=settings.site_organisation or settings.site_name,
        id=tag_uri(settings, f"feeds/link-problems/{lang}"),
        title=i18n.gettext("%(site)s: link problems") % {"site": settings.site_name},
        subtitle=i18n.gettext(
            "Links newly confirmed broken, moved, working again or not updated for a long time."
        ),
        self_url="",
        page_url=f"{site}/",
        language=lang,
        updated=max((item.updated for item in items), default=EPOCH),
        items=tuple(items),
    )


# Discovery ------------------------------------------------------------------------------


async def tags_in_use(session: AsyncSession) -> list[tuple[str, int]]:
    """Tags carried by published resources, with counts, by slug."""
    rows = await session.execute(
        select(col(Tag.slug), func.count())
        .join(ResourceTag, col(ResourceTag.tag_id) == col(Tag.id))
        .join(Resource, col(Resource.id) == col(ResourceTag.resource_id))
        .where(col(Resource.state) == _PUBLISHED)
        .group_by(col(Tag.slug))
        .order_by(col(Tag.slug))
    )
    return [(slug, int(count)) for slug, count in rows]


# After a write --------------------------------------------------------------------------


def feeds_changed(app: Any, session: AsyncSession) -> None:
    """Call after committing a write: refreshes the feed cache and pings the WebSub hub.

    The revisions come from the services' explicit reports (:mod:`linkdir.changes`).
    Never raises and never waits: the ping runs in the background.
    """
    from linkdir import changes
    from linkdir.feeds import websub
    from linkdir.feeds.cache import cache_of

    revision_ids = changes.take(session)
    cache_of(app).changed()
    if revision_ids and app.state.settings.websub_hub_url:
        websub.publish_in_background(app, revision_ids)


__all__ = [
    "LINK_ACTIONS",
    "create_feed_secret",
    "directory_version",
    "feeds_changed",
    "link_problems_feed",
    "link_problems_url",
    "new_feed",
    "secret_digest",
    "updated_feed",
    "user_for_feed_secret",
]
