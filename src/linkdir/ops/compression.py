"""Response compression: gzip for text (HTML, JSON, CSS, JavaScript, XML feeds).

Litestar's ``CompressionMiddleware`` compresses every response above ``minimum_size``;
this one leaves other media types (images, PDF, archives) and responses that are encoded
already as they are. Headers are kept: a feed's strong ``ETag`` names its version (the
directory's, not the bytes'), ``Vary: Accept-Encoding`` keeps shared caches' copies
apart, and a 304 has no body to compress.
"""

from __future__ import annotations

from typing import Any

from litestar.config.compression import CompressionConfig
from litestar.datastructures import MutableScopeHeaders
from litestar.middleware.compression import CompressionMiddleware

MINIMUM_SIZE = 1024  # smaller bodies gain little and cost a header
LEVEL = 6  # level 9 costs about twice the time for 1-2 % less

COMPRESSIBLE = (
    "text/",
    "application/json",
    "application/problem+json",
    "application/feed+json",
    "application/javascript",
    "application/xml",
    "application/atom+xml",
    "application/rss+xml",
    "application/opensearchdescription+xml",
    "image/svg+xml",
)


def compressible(message: Any) -> bool:
    headers = MutableScopeHeaders(message)
    if headers.get("content-encoding"):
        return False
    media_type = (headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    # Structured-syntax suffixes (RFC 6839): the OpenAPI schema, problem details, feeds.
    return media_type.startswith(COMPRESSIBLE) or media_type.endswith(("+json", "+xml"))


class TextCompression(CompressionMiddleware):
    """Litestar's compression, for text media types only."""

    def create_compression_send_wrapper(
        self, send: Any, compression_encoding: Any, scope: Any
    ) -> Any:
        compressing = super().create_compression_send_wrapper(send, compression_encoding, scope)
        chosen: Any = None

        async def wrapper(message: Any) -> None:
            nonlocal chosen
            if message["type"] == "http.response.start":
                chosen = compressing if compressible(message) else send
            await (chosen or send)(message)

        return wrapper


def compression_config() -> CompressionConfig:
    return CompressionConfig(
        backend="gzip",
        minimum_size=MINIMUM_SIZE,
        gzip_compress_level=LEVEL,
        middleware_class=TextCompression,
    )
