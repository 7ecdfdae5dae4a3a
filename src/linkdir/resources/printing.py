"""Print lists: a topic's or tag's links on paper, each with its address and a QR code.

The QR codes are SVG made on the server (segno), so the page needs no script and no image
service; each points at the directory's page for the resource, which keeps working when
the resource moves (the directory follows it) and offers the archived copy when it is gone.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

import segno
from litestar import Request, Response, get
from litestar.params import FromPath

from linkdir.config import Settings
from linkdir.embed.service import EMBED_LIMIT, embed_list
from linkdir.errors import NotFound
from linkdir.resources.tag_routes import follow_old_tag
from linkdir.web import DbSession, render, request_locale


@lru_cache(maxsize=4096)  # a pure function of its argument; making one takes ~10 ms
def qr_data_uri(url: str) -> str:
    """A QR code for ``url`` as an SVG ``data:`` URI (the CSP allows data: images)."""
    return str(segno.make_qr(url, error="m").svg_data_uri(scale=3, border=2))


async def _print_list(
    request: Request[Any, Any, Any], session: DbSession, kind: str, slug: str
) -> Response[str]:
    settings: Settings = request.app.state.settings
    try:
        embedded = await embed_list(
            session,
            kind,
            slug,
            locale=request_locale(request),
            base_url=settings.base_url,
            limit=EMBED_LIMIT,
        )
    except NotFound:
        if kind == "tag":
            await follow_old_tag(request, session, slug, "/tags/{}/print")
        raise
    return render(
        request,
        "resources/print_list.html",
        embedded=embedded,
        qr=qr_data_uri,
        printed_on=date.today(),
    )


@get("/topics/{slug:str}/print", include_in_schema=False)
async def topic_print_list(
    request: Request[Any, Any, Any], session: DbSession, slug: FromPath[str]
) -> Response[str]:
    """A topic's links to print and hand out: addresses and QR codes."""
    return await _print_list(request, session, "topic", slug)


@get("/tags/{slug:str}/print", include_in_schema=False)
async def tag_print_list(
    request: Request[Any, Any, Any], session: DbSession, slug: FromPath[str]
) -> Response[str]:
    """A tag's links to print and hand out: addresses and QR codes."""
    return await _print_list(request, session, "tag", slug)


print_handlers = [topic_print_list, tag_print_list]
