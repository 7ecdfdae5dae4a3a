"""Feed addresses (DESIGN §6): Atom and RSS, conditional GET, discovery page and OPML."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any, cast
from urllib.parse import parse_qsl, urlencode

from litestar import Request, Response, asgi, get
from litestar.exceptions import MethodNotAllowedException, PermissionDeniedException
from litestar.params import FromQuery
from litestar.types import HTTPScope, Receive, Scope, Send
from lxml import etree
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir import i18n
from linkdir.config import Settings
from linkdir.errors import NotFound
from linkdir.feeds import build, service
from linkdir.feeds.cache import RawHeaders, Rendered, cache_of
from linkdir.resources import service as directory
from linkdir.resources.tags import moved_to
from linkdir.web import DbSession, render, request_locale

MEDIA_TYPES = {
    "atom": "application/atom+xml; charset=utf-8",
    "rss": "application/rss+xml; charset=utf-8",
    "opml": "text/x-opml; charset=utf-8",
}
PUBLIC_CACHE = "public, max-age=300"
PRIVATE_CACHE = "private, max-age=300"

Builder = Callable[[AsyncSession, str], Awaitable[bytes | tuple[bytes, datetime]]]


@dataclasses.dataclass(frozen=True, slots=True)
class Incoming:
    """What a feed answer depends on, read straight from the ASGI scope.

    Public feeds are plain ASGI handlers: a feed reader polling every few minutes should
    cost a dictionary lookup, not a trip through signature parsing and dependency injection
    (numbers in bench/README.md).
    """

    app: Any
    method: str
    query: dict[str, str]
    headers: dict[str, str]

    @classmethod
    def of(cls, scope: Scope) -> Incoming:
        http = cast("HTTPScope", scope)
        raw_query = http["query_string"]
        query = dict(parse_qsl(raw_query.decode("latin-1"))) if raw_query else {}
        headers = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in http["headers"]
            if name in _CONDITIONAL
        }
        return cls(http["app"], http["method"], query, headers)

    @property
    def lang(self) -> str:
        """Feeds follow ``?lang=`` only (default Swedish), never cookies or Accept-Language:
        one address, one document, so shared caches, ETags and WebSub topics stay honest."""
        lang = self.query.get("lang")
        return lang if lang in i18n.LOCALES else i18n.DEFAULT_LOCALE


_CONDITIONAL = frozenset({b"if-none-match", b"if-modified-since"})


@dataclasses.dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: RawHeaders  # content-length included
    body: bytes = b""

    def response(self) -> Response[bytes]:
        headers = {k.decode(): v.decode() for k, v in self.headers if k != b"content-length"}
        return Response(self.body, status_code=self.status, headers=headers)

    async def send(self, send: Send, method: str) -> None:
        start = {"type": "http.response.start", "status": self.status, "headers": self.headers}
        await send(start)  # type: ignore[arg-type]
        body = b"" if method == "HEAD" else self.body
        await send({"type": "http.response.body", "body": body, "more_body": False})


def _raw(headers: dict[str, str], length: int) -> RawHeaders:
    encoded = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    return (*encoded, (b"content-length", str(length).encode()))


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
    incoming: Incoming,
    key: tuple[Any, ...],
    fmt: str,
    make: Builder,
    *,
    cache_control: str = PUBLIC_CACHE,
) -> Reply:
    """A feed with a strong ETag and Last-Modified, 304 when the reader has it already.

    The ETag comes from the directory version alone, so a matching If-None-Match is
    answered without building or even fetching the feed.
    """
    app = incoming.app
    cache = cache_of(app)

    async def read_version() -> str:
        async with app.state.session_factory() as session:
            return await service.directory_version(session)

    version = await cache.version(read_version)
    cache_key = (*key, fmt, version)
    rendered = cache.get(cache_key)
    if_none_match = incoming.headers.get("if-none-match")
    if rendered is None:
        etag = _etag(cache_key)
        if if_none_match and _etag_matches(if_none_match, etag):
            # A reader revalidating against a process that has not built this feed yet.
            return Reply(304, _raw({"ETag": etag, "Cache-Control": cache_control}, 0))
        async with app.state.session_factory() as session:
            made = await make(session, fmt)
        body, updated = made if isinstance(made, tuple) else (made, None)
        rendered = _rendered(body, etag, updated, fmt, cache_control)
        cache.put(cache_key, rendered)
    if if_none_match:
        if _etag_matches(if_none_match, rendered.etag):
            return Reply(304, rendered.not_modified_headers)
    else:
        if_modified_since = incoming.headers.get("if-modified-since")
        if (
            if_modified_since
            and rendered.updated is not None
            and _not_modified_since(if_modified_since, rendered.updated)
        ):
            return Reply(304, rendered.not_modified_headers)
    return Reply(200, rendered.ok_headers, rendered.body)


def _rendered(
    body: bytes, etag: str, updated: datetime | None, fmt: str, cache_control: str
) -> Rendered:
    headers = {"ETag": etag, "Cache-Control": cache_control}
    if updated is not None:
        headers["Last-Modified"] = _http_date(updated)
    ok = {**headers, "Content-Type": MEDIA_TYPES[fmt], "X-Content-Type-Options": "nosniff"}
    return Rendered(
        body=body,
        etag=etag,
        updated=updated,
        ok_headers=_raw(ok, len(body)),
        not_modified_headers=_raw(headers, 0),
    )


def _etag(cache_key: tuple[Any, ...]) -> str:
    return '"' + hashlib.blake2b(repr(cache_key).encode(), digest_size=12).hexdigest() + '"'


def _document(feed: build.Feed, fmt: str, self_url: str) -> tuple[bytes, datetime]:
    feed = dataclasses.replace(feed, self_url=self_url)
    return (build.atom(feed) if fmt == "atom" else build.rss(feed)), feed.updated


def _read_only(incoming: Incoming) -> None:
    if incoming.method not in {"GET", "HEAD"}:
        raise MethodNotAllowedException(headers={"Allow": "GET, HEAD"})


# Static paths (see the mounts below for why not a path parameter).
@asgi(
    [f"/feeds/{kind}.{fmt}" for kind in ("new", "updated") for fmt in ("atom", "rss")],
    include_in_schema=False,
    copy_scope=False,
)
async def directory_feed(scope: Scope, receive: Receive, send: Send) -> None:
    """``/feeds/new.atom|.rss`` and ``/feeds/updated.atom|.rss``."""
    incoming = Incoming.of(scope)
    _read_only(incoming)
    kind, fmt = _split(scope["path"].rsplit("/", 1)[1])
    settings: Settings = incoming.app.state.settings
    lang = incoming.lang

    async def make(session: AsyncSession, fmt: str) -> tuple[bytes, datetime]:
        if kind == "new":
            feed = await service.new_feed(session, settings, lang)
        else:
            feed = await service.updated_feed(session, settings, lang)
        self_url = service.feed_url(settings, service.feed_path(kind, None, fmt), lang)
        return _document(feed, fmt, self_url)

    reply = await _serve(incoming, (kind, None, lang), fmt, make)
    await reply.send(send, incoming.method)


# Mounts, not path parameters: Litestar 2.25 cannot route HTTP requests to ASGI handlers
# whose path has parameters; a mount hands over the rest of the path ("/slug.atom/").
@asgi("/feeds/topics", is_mount=True, include_in_schema=False, copy_scope=False)
async def topic_feed(scope: Scope, receive: Receive, send: Send) -> None:
    """Newly published resources of one topic."""
    await _filtered(Incoming.of(scope), "topic", scope["path"], send)


@asgi("/feeds/tags", is_mount=True, include_in_schema=False, copy_scope=False)
async def tag_feed(scope: Scope, receive: Receive, send: Send) -> None:
    """Newly published resources carrying one tag."""
    await _filtered(Incoming.of(scope), "tag", scope["path"], send)


async def _filtered(incoming: Incoming, kind: str, rest: str, send: Send) -> None:
    _read_only(incoming)
    name = rest.strip("/")
    if "/" in name:
        raise NotFound(name)
    slug, fmt = _split(name)
    settings: Settings = incoming.app.state.settings
    lang = incoming.lang

    async def make(session: AsyncSession, fmt: str) -> tuple[bytes, datetime]:
        if kind == "topic":
            feed = await service.new_feed(session, settings, lang, topic=slug)
        else:
            feed = await service.new_feed(session, settings, lang, tag=slug)
        self_url = service.feed_url(settings, service.feed_path(kind, slug, fmt), lang)
        return _document(feed, fmt, self_url)

    try:
        reply = await _serve(incoming, (kind, slug, lang), fmt, make)
    except NotFound:
        if kind != "tag":
            raise
        reply = await _moved_tag_feed(incoming, slug, fmt)
    await reply.send(send, incoming.method)


async def _moved_tag_feed(incoming: Incoming, slug: str, fmt: str) -> Reply:
    """301 from a renamed or merged tag's feed to its new address (issue 16); else NotFound."""
    async with incoming.app.state.session_factory() as session:
        new_slug = await moved_to(session, slug)
    if new_slug is None:
        raise NotFound(slug)
    location = service.feed_path("tag", new_slug, fmt)
    if incoming.query:
        location += "?" + urlencode(incoming.query)
    return Reply(301, _raw({"Location": location, "Cache-Control": "public, max-age=3600"}, 0))


@get("/feeds/link-problems.atom", include_in_schema=False, cache=False)
async def link_problems_feed(
    request: Request[Any, Any, Any], token: FromQuery[str | None] = None
) -> Response[bytes]:
    """The private maintainer feed; ``?token=`` is a feed secret (`linkdir token feed`)."""
    settings: Settings = request.app.state.settings
    incoming = Incoming.of(request.scope)
    lang = incoming.lang
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
    reply = await _serve(
        incoming,
        ("link-problems", service.secret_digest(secret), lang),
        "atom",
        make,
        cache_control=PRIVATE_CACHE,
    )
    response = reply.response()
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@asgi("/feeds.opml", include_in_schema=False, copy_scope=False)
async def opml(scope: Scope, receive: Receive, send: Send) -> None:
    """Every public feed (Atom) as an OPML 2.0 subscription list."""
    incoming = Incoming.of(scope)
    _read_only(incoming)
    settings: Settings = incoming.app.state.settings
    lang = incoming.lang

    async def make(session: AsyncSession, fmt: str) -> bytes:
        return await opml_document(session, settings, lang)

    reply = await _serve(incoming, ("opml", None, lang), "opml", make)
    await reply.send(send, incoming.method)


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
