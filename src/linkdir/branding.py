"""The library's own name on the site: the logo file named by ``LINKDIR_SITE_LOGO``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException

from linkdir.config import Settings

_TYPES = {
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
}
MAX_LOGO_BYTES = 2_000_000


@get("/logo", include_in_schema=False, sync_to_thread=False)
def logo(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The configured logo; 404 when there is none (or it cannot be read)."""
    settings: Settings = request.app.state.settings
    if not settings.site_logo:
        raise NotFoundException()
    path = Path(settings.site_logo)
    try:
        if path.stat().st_size > MAX_LOGO_BYTES:
            raise NotFoundException()
        body = path.read_bytes()
    except OSError:
        raise NotFoundException() from None
    headers = {"Cache-Control": "public, max-age=3600"}
    if path.suffix.lower() == ".svg":
        # An SVG can carry script: opened on its own it must not run any.
        headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return Response(body, media_type=_TYPES[path.suffix.lower()], headers=headers)


branding_handlers = [logo]
