"""Security headers on every response, error pages and static files included."""

from __future__ import annotations

from typing import Any

from litestar.types import Message, Scope

# No inline scripts or styles anywhere. Every page works without JavaScript; the one script
# (static/runs.js, live progress of check runs) is a same-origin file that only enhances.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


async def add_security_headers(message: Message, scope: Scope) -> None:
    """Litestar ``before_send`` hook: runs for every response, router 404s included."""
    if message["type"] != "http.response.start":
        return
    headers: list[Any] = list(message.get("headers", []))
    present = {bytes(name).lower() for name, _ in headers}
    for name, value in HEADERS:
        if name not in present:
            headers.append((name, value))
    if scope["app"].state.settings.secure_cookies:
        headers.append((b"strict-transport-security", b"max-age=31536000"))
    message["headers"] = headers
