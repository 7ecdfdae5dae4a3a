"""A topic's or tag's links for other websites: the iframe page, the snippet and the JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession

from linkdir import i18n
from linkdir.errors import NotFound
from linkdir.labels import status_label
from linkdir.resources import service
from linkdir.resources.models import Resource

# A library's page shows a short list; the rest is one "see all" link away.
EMBED_LIMIT = 50


@dataclass(frozen=True, slots=True)
class EmbedList:
    """What an embedded list shows: a heading, the links, and where to see them all."""

    kind: str  # "topic" or "tag"
    slug: str
    title: str
    description: str
    items: list[Resource]
    total: int
    base_url: str

    @property
    def directory_url(self) -> str:
        """The full list on the directory's own pages."""
        return f"{self.base_url}/{self.kind}s/{quote(self.slug)}"

    @property
    def embed_url(self) -> str:
        return f"{self.base_url}/embed/{self.kind}s/{quote(self.slug)}"

    def resource_url(self, resource: Resource) -> str:
        return f"{self.base_url}/resources/{resource.id}"


async def embed_list(
    session: AsyncSession,
    kind: str,
    slug: str,
    *,
    locale: str,
    base_url: str,
    limit: int = EMBED_LIMIT,
) -> EmbedList:
    """The published links of topic or tag ``slug``, by title; NotFound for an unknown one."""
    base = base_url.rstrip("/")
    if kind == "topic":
        topic = await service.get_topic(session, slug)
        listing = await service.list_resources(
            session, topic=slug, per_page=limit, order="title", pinned_first=True
        )
        return EmbedList(
            kind,
            slug,
            topic.name(locale),
            topic.description(locale),
            listing.items,
            listing.total,
            base,
        )
    if kind != "tag" or not await service.tag_exists(session, slug):
        raise NotFound(slug)
    listing = await service.list_resources(session, tag=slug, per_page=limit, order="title")
    i18n.set_locale(locale)
    title = i18n.gettext("Tag: %(tag)s") % {"tag": slug}
    return EmbedList(kind, slug, title, "", listing.items, listing.total, base)


def as_json(embedded: EmbedList) -> dict[str, Any]:
    """The JSON form of an embedded list (labels in the current language)."""
    return {
        "kind": embedded.kind,
        "slug": embedded.slug,
        "title": embedded.title,
        "description": embedded.description,
        "url": embedded.directory_url,
        "total": embedded.total,
        "items": [
            {
                "id": r.id,
                "title": r.title,
                "description": r.description,
                "language": r.language,
                "url": r.url,
                "archive_url": r.archive_url,
                "link_status": r.link_status,
                "link_status_label": status_label(r.link_status),
                "html_url": embedded.resource_url(r),
            }
            for r in embedded.items
        ],
    }


def allowed_origin(origin: str | None, origins: tuple[str, ...]) -> str | None:
    """``origin`` when it is one of ``origins`` (compared as the browser sends it), else None."""
    if origin and origin.rstrip("/").lower() in origins:
        return origin
    return None
