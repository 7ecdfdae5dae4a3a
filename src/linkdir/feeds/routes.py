"""Feed addresses (DESIGN §6): Atom and RSS, conditional GET, discovery page and OPML."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath, FromQuery
from lxml import etree
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir import i18n
from linkdir.config import Settings
from linkdir.errors import NotFound
from linkdir.feeds import build, service
from linkdir.feeds.cache import Rendered, cache_of
from linkdir.resources import service as directory
from linkdir.web import DbSession, render, request_locale

MEDIA_TYPES = {
    "atom": "application/atom+xml; charset=utf-8",
    "rss": "application/rss+xml; charset=utf-8",
    "opml": "text/x-opml",  # Litestar adds the charset to text/ types
}
PUBLIC_CACHE = "public, max-age=300"
PRIVATE_CACHE = "private, max-age=300"

Builder = Callable[[AsyncSession, str], Awaitable[bytes | tuple[bytes, datetime]]]


def feed_lang(request: Request[Any, Any, Any]) -> str:
    """Feeds follow ``?lang=`` only (default Swedish), never cookies or Accept-Language:
    one address, one document, so shared caches, ETags and WebSub topics stay honest."""
    lang = request.query_params.get("lang")
    return lang if lang in i18n.LOCALES else i18n.DEFAULT_LOCALE


def _split(name: str) -> tuple[str, str]:
    stem, dot, fmt = name.rpartition(".")
    if not dot or fmt not in {"atom", "rss"} or not stem:
        raise NotFound(name)
    return stem, fmt


def _http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def _etag_matches(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    # Weak comparison (RFC 9110 §13.1.2): proxies may have weakened our strong tag.
    return any(part.strip().removeprefix("W/") == etag for part in header.split(","))


def _not_modified_since(header: str, updated: datetime) -> bool:
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return updated.replace(microsecond=0) <= since


async def _serve(
    request: Request[Any, Any, Any],
    key: tuple[Any, ...],
    fmt: str,
    make: Builder,
    *,
    cache_control: str = PUBLIC_CACHE,
) -> Response[bytes]:
    """A feed with a strong ETag and Last-Modified, 304 when the reader has it already.

    The ETag comes from the directory version alone, so a matching If-None-Match is
    answered without building or even fetching the feed.
    """
    app = request.app
    cache = cache_of(app)

    async def read_version() -> str:
        async with app.state.session_factory() as session:
            return await service.directory_version(session)

    version = await cache.version(read_version)
    digest = hashlib.blake2b(repr((key, fmt, version)).encode(), digest_size=12).hexdigest()
    etag = f'"{digest}"'
    headers = {"ETag": etag, "Cache-Control": cache_control}
    if_none_match = request.headers.get("if-none-match")
    if if_none_match and _etag_matches(if_none_match, etag):
        rendered = cache.get((*key, fmt, version))
        if rendered is not None and rendered.updated is not None:
            headers["Last-Modified"] = _http_date(rendered.updated)
        return Response(b"", status_code=304, headers=headers)
    rendered = cache.get((*key, fmt, version))
    if rendered is None:
        async with app.state.session_factory() as session:
            made = await make(session, fmt)
        body, updated = made if isinstance(made, tuple) else (made, None)
        rendered = Rendered(body=body, etag=etag, updated=updated)
        cache.put((*key, fmt, version), rendered)
    if rendered.updated is not None:
        headers["Last-Modified"] = _http_date(rendered.updated)
    if_modified_since = request.headers.get("if-modified-since")
    if (
        rendered.updated is not None
        and not if_none_match
        and if_modified_since
        and _not_modified_since(if_modified_since, rendered.updated)
    ):
        return Response(b"", status_code=304, headers=headers)
    headers["X-Content-Type-Options"] = "nosniff"
    return Response(rendered.body, media_type=MEDIA_TYPES[fmt], headers=headers)


def _document(feed: build.Feed, fmt: str, self_url: str) -> tuple[bytes, datetime]:
    feed = dataclasses.replace(feed, self_url=self_url)
    return (build.atom(feed) if fmt == "atom" else build.rss(feed)), feed.updated


@get("/feeds/{name:str}", include_in_schema=False, cache=False)
async def directory_feed(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[bytes]:
    """``/feeds/new.atom|.rss`` and ``/feeds/updated.atom|.rss``."""
    kind, fmt = _split(name)
    if kind not in {"new", "updated"}:
        raise NotFound(name)
    settings: Settings = request.app.state.settings
    lang = feed_lang(request)

    async def make(session: AsyncSession, fmt: str) -> tuple[bytes, datetime]:
        if kind == "new":
            feed = await service.new_feed(session, settings, lang)
        else:
            feed = await service.updated_feed(session, settings, lang)
        self_url = service.feed_url(settings, service.feed_path(kind, None, fmt), lang)
        return _document(feed, fmt, self_url)

    return await _serve(request, (kind, None, lang), fmt, make)


@get("/feeds/topics/{name:str}", include_in_schema=False, cache=False)
async def topic_feed(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[bytes]:
    """Newly published resources of one topic."""
    slug, fmt = _split(name)
    return await _filtered(request, "topic", slug, fmt)


@get("/feeds/tags/{name:str}", include_in_schema=False, cache=False)
async def tag_feed(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[bytes]:
    """Newly published resources carrying one tag."""
    slug, fmt = _split(name)
    return await _filtered(request, "tag", slug, fmt)


async def _filtered(
    request: Request[Any, Any, Any], kind: str, slug: str, fmt: str
) -> Response[bytes]:
    settings: Settings = request.app.state.settings
    lang = feed_lang(request)

    async def make(session: AsyncSession, fmt: str) -> tuple[bytes, datetime]:
        if kind == "topic":
            feed = await service.new_feed(session, settings, lang, topic=slug)
        else:
            feed = await service.new_feed(session, settings, lang, tag=slug)
        self_url = service.feed_url(settings, service.feed_path(kind, slug, fmt), lang)
        return _document(feed, fmt, self_url)

    return await _serve(request, (kind, slug, lang), fmt, make)


@get("/feeds/link-problems.atom", include_in_schema=False, cache=False)
async def link_problems_feed(
    request: Request[Any, Any, Any], token: FromQuery[str | None] = None
) -> Response[bytes]:
    """The private maintainer feed; ``?token=`` is a feed secret (`linkdir token feed`)."""
    settings: Settings = request.app.state.settings
    lang = feed_lang(request)
    secret = token or ""
    async with request.app.state.session_factory() as session:
        user = await service.user_for_feed_secret(session, secret)
    if user is None:
        raise PermissionDeniedException()

    async def make(session: AsyncSession, fmt: str) -> tuple[bytes, datetime]:
        feed = await service.link_problems_feed(session, settings, lang)
        self_url = service.link_problems_url(settings, secret)
        if lang == "en":
            self_url += "&lang=en"
        return _document(feed, fmt, self_url)

    # The self link carries the secret, so the cached document is per secret.
    response = await _serve(
        request,
        ("link-problems", service.secret_digest(secret), lang),
        "atom",
        make,
        cache_control=PRIVATE_CACHE,
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@get("/feeds.opml", include_in_schema=False, cache=False)
async def opml(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Every public feed (Atom) as an OPML 2.0 subscription list."""
    settings: Settings = request.app.state.settings
    lang = feed_lang(request)

    async def make(session: AsyncSession, fmt: str) -> bytes:
        return await opml_document(session, settings, lang)

    return await _serve(request, ("opml", None, lang), "opml", make)


async def feed_listing(session: AsyncSession, settings: Settings, lang: str) -> dict[str, Any]:
    """The public feeds, grouped, with Atom and RSS addresses (for the page and OPML)."""
    topics = [(t, n) for t, n in await directory.list_topics(session) if n]

    def urls(kind: str, slug: str | None = None) -> dict[str, str]:
        return {
            fmt: service.feed_url(settings, service.feed_path(kind, slug, fmt), lang)
            for fmt in ("atom", "rss")
        }

    return {
        "main": [("new", urls("new")), ("updated", urls("updated"))],
        "topics": [(t, n, urls("topic", t.slug)) for t, n in topics],
        "tags": [(slug, n, urls("tag", slug)) for slug, n in await service.tags_in_use(session)],
        "opml": service.base(settings) + "/feeds.opml" + ("?lang=en" if lang == "en" else ""),
    }


async def opml_document(session: AsyncSession, settings: Settings, lang: str) -> bytes:
    listing = await feed_listing(session, settings, lang)
    i18n.set_locale(lang)
    _ = i18n.gettext
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = _("linkdir feeds")
    body = etree.SubElement(root, "body")

    def outline(parent: Any, title: str, url: str) -> None:
        etree.SubElement(
            parent,
            "outline",
            type="rss",
            version="ATOM1",
            text=build.xml_safe(title),
            title=build.xml_safe(title),
            xmlUrl=url,
        )

    titles = {"new": _("linkdir: new resources"), "updated": _("linkdir: updated resources")}
    for kind, urls in listing["main"]:
        outline(body, titles[kind], urls["atom"])
    if listing["topics"]:
        group = etree.SubElement(body, "outline", text=_("Topics"), title=_("Topics"))
        for topic, _count, urls in listing["topics"]:
            outline(group, topic.name(lang), urls["atom"])
    if listing["tags"]:
        group = etree.SubElement(body, "outline", text=_("Tags"), title=_("Tags"))
        for slug, _count, urls in listing["tags"]:
            outline(group, f"#{slug}", urls["atom"])
    document: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return document


@get("/feeds", include_in_schema=False)
async def feeds_page(request: Request[Any, Any, Any], session: DbSession) -> Response[str]:
    """What each feed holds, with addresses to copy into a feed reader."""
    settings: Settings = request.app.state.settings
    listing = await feed_listing(session, settings, request_locale(request))
    return render(request, "feeds/index.html", feeds=listing)


feed_handlers = [directory_feed, topic_feed, tag_feed, link_problems_feed, opml, feeds_page]
