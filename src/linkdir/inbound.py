"""Bounded parsing at the boundary: JSON type and depth, integer ranges (issue 20).

Checks that run before a handler sees the request, so that hostile input gets a clear 4xx
instead of a traceback: a JSON body nested a thousand deep made msgspec raise
RecursionError, ``ids=10**30`` overflowed SQLite's integer, ``/static/%00`` made the
static file lookup raise ValueError.
"""

from __future__ import annotations

import re

# The widest id every database holds: PostgreSQL's integer (SQLite's is 64-bit).
DB_INT_MAX = 2**31 - 1
# Resource bodies are two levels deep ({"tags": [...]}); 32 leaves room for any client.
MAX_JSON_DEPTH = 32
JSON_METHODS = frozenset({"POST", "PUT", "PATCH"})
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")
_JSON_TYPE = re.compile(r"^application/(?:[a-z0-9.+-]+\+)?json\s*(?:;|$)", re.IGNORECASE)
_BAD_PATH = re.compile(r"[\x00-\x1f\x7f]|[\ud800-\udfff]")


def in_id_range(value: int) -> bool:
    """Whether ``value`` can be an id in every database we run on."""
    return 1 <= value <= DB_INT_MAX


def parse_id(raw: object) -> int | None:
    """A form's id field as an int in the id range, or None (never an exception)."""
    text = str(raw).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    value = int(text)
    return value if in_id_range(value) else None


def is_json_type(content_type: str | None) -> bool:
    """``application/json`` and the ``+json`` types (problem+json, merge-patch+json)."""
    return bool(content_type) and bool(_JSON_TYPE.match(content_type or ""))


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in ``body``, without recursion."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub(b'""', body)):
        if match.group() in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def is_bad_path(path: str) -> bool:
    """A path with NUL, control characters or undecodable bytes names no page or file."""
    return bool(_BAD_PATH.search(path))
