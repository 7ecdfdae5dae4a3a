"""``/embed/topics/{slug}``, ``/embed/tags/{slug}`` (for iframes) and their JSON with CORS.

Only these pages may be framed, and only by ``LINKDIR_EMBED_ORIGINS`` (see security.py);
only the JSON answers other origins' scripts, and only those origins'.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath

from linkdir import i18n
from linkdir.config import Settings
from linkdir.embed.service import EmbedList, allowed_origin, as_json, embed_list
from linkdir.errors import NotFound
from linkdir.resources.tag_routes import follow_old_tag
from linkdir.web import DbSession, environment, render, request_locale

# Libraries' pages are cached by their own CMS too; five minutes keeps link states current.
EMBED_CACHE = {"Cache-Control": "public, max-age=300"}


@dataclass(frozen=True, slots=True)
class EmbedCode:
    """Code a web editor pastes into the library's own page."""

    snippet: str
    iframe: str
    origins: tuple[str, ...]


async def _listed(
    request: Request[Any, Any, Any], session: DbSession, kind: str, slug: str, moved: str
) -> EmbedList:
    """The list, or a 301 (TagMoved) for a renamed or merged tag's old slug."""
    settings: Settings = request.app.state.settings
    locale = request_locale(request)
    try:
        return await embed_list(session, kind, slug, locale=locale, base_url=settings.base_url)
    except NotFound:
        if kind == "tag":
            await follow_old_tag(request, session, slug, moved)
        raise


async def _embed_page(
    request: Request[Any, Any, Any], session: DbSession, kind: str, slug: str
) -> Response[str]:
    embedded = await _listed(request, session, kind, slug, "/embed/tags/{}")
    response = render(request, "embed/list.html", embedded=embedded)
    response.headers.update(EMBED_CACHE)
    return response


@get("/embed/topics/{slug:str}", include_in_schema=False)
async def embed_topic(
    request: Request[Any, Any, Any], session: DbSession, slug: FromPath[str]
) -> Response[str]:
    """A topic's links, for an iframe on a library's own website."""
    return await _embed_page(request, session, "topic", slug)


@get("/embed/tags/{slug:str}", include_in_schema=False)
async def embed_tag(
    request: Request[Any, Any, Any], session: DbSession, slug: FromPath[str]
) -> Response[str]:
    """A tag's links, for an iframe on a library's own website."""
    return await _embed_page(request, session, "tag", slug)


async def _embed_json(
    request: Request[Any, Any, Any], session: DbSession, kind: str, slug: str
) -> Response[dict[str, Any]]:
    settings: Settings = request.app.state.settings
    locale = request_locale(request)
    i18n.set_locale(locale)
    embedded = await _listed(request, session, kind, slug, "/api/v1/embed/tags/{}")
    headers = {**EMBED_CACHE, "Vary": "Origin, Accept-Language", "Content-Language": locale}
    origin = allowed_origin(request.headers.get("origin"), settings.embed_origins)
    if origin is not None:
        headers["Access-Control-Allow-Origin"] = origin
    return Response(as_json(embedded), headers=headers)


@get("/api/v1/embed/topics/{slug:str}", tags=["embed"])
async def embed_topic_json(
    request: Request[Any, Any, Any], session: DbSession, slug: FromPath[str]
) -> Response[dict[str, Any]]:
    """A topic's published links (at most 50, by title), readable by LINKDIR_EMBED_ORIGINS."""
    return await _embed_json(request, session, "topic", slug)


@get("/api/v1/embed/tags/{slug:str}", tags=["embed"])
async def embed_tag_json(
    request: Request[Any, Any, Any], session: DbSession, slug: FromPath[str]
) -> Response[dict[str, Any]]:
    """A tag's published links (at most 50, by title), readable by LINKDIR_EMBED_ORIGINS."""
    return await _embed_json(request, session, "tag", slug)


embed_handlers = [embed_topic, embed_tag, embed_topic_json, embed_tag_json]


async def embed_code(request: Request[Any, Any, Any], session: DbSession, slug: str) -> EmbedCode:
    """What the topic page's "Embed" section shows curators: the snippet and the iframe."""
    settings: Settings = request.app.state.settings
    locale = request_locale(request)
    embedded = await embed_list(session, "topic", slug, locale=locale, base_url=settings.base_url)
    snippet = (
        environment().get_template("embed/snippet.html").render(embedded=embedded, locale=locale)
    )
    src = embedded.embed_url + ("?lang=en" if locale == "en" else "")
    iframe = (
        f'<iframe src="{html.escape(src)}" title="{html.escape(embedded.title)}" '
        'width="100%" height="480" loading="lazy" style="border: 0"></iframe>'
    )
    return EmbedCode(snippet.strip() + "\n", iframe, settings.embed_origins)
