"""Security headers on every response, error pages and static files included."""

from __future__ import annotations

from typing import Any

from litestar.types import Message, Scope

# No inline scripts or styles anywhere. Every page works without JavaScript; the one script
# (static/runs.js, live progress of check runs) is a same-origin file that only enhances.
_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors "
)
CONTENT_SECURITY_POLICY = _POLICY + "'none'"
HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
# Only these pages may be shown inside another site's page (issue 17), and only by the
# origins in LINKDIR_EMBED_ORIGINS; everything else stays unframable (clickjacking).
EMBED_PREFIX = "/embed/"


def frame_ancestors(origins: tuple[str, ...]) -> str:
    """The CSP for embeddable pages: framable by ``origins`` alone ('none' when empty)."""
    return _POLICY + (" ".join(origins) if origins else "'none'")


async def add_security_headers(message: Message, scope: Scope) -> None:
    """Litestar ``before_send`` hook: runs for every response, router 404s included."""
    if message["type"] != "http.response.start":
        return
    headers: list[Any] = list(message.get("headers", []))
    present = {bytes(name).lower() for name, _ in headers}
    settings = scope["app"].state.settings
    if str(scope.get("path", "")).startswith(EMBED_PREFIX):
        # X-Frame-Options knows no list of origins; the CSP alone decides here.
        policy = frame_ancestors(settings.embed_origins).encode()
        extra = [(b"content-security-policy", policy)]
    else:
        extra = [
            (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
            (b"x-frame-options", b"DENY"),
        ]
    for name, value in [*extra, *HEADERS]:
        if name not in present:
            headers.append((name, value))
    if settings.secure_cookies:
        headers.append((b"strict-transport-security", b"max-age=31536000"))
    message["headers"] = headers
