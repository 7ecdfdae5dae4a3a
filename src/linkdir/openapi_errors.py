"""The API's error answers, declared once for every operation of the generated OpenAPI.

Litestar documents only a handler's success answer. Every /api/ operation can also answer
with an RFC 9457 problem (``application/problem+json``): 400 for a malformed request, 401
without credentials, 403 for a missing right or CSRF token, 422 for invalid fields, and,
where they apply, 404 (an id in the path), 409 and 415 (a request with a body). The JSON
render plugin below adds those answers to the document it serves, so no route repeats
them and the fuzz tests (tests/test_api_fuzz.py) check status codes and content types.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.openapi.plugins import JsonRenderPlugin

PROBLEM_JSON = "application/problem+json"
PROBLEM = "Problem"

_DESCRIPTIONS = {
    "400": "Malformed request (unknown fields, wrong JSON, bad query parameters).",
    "401": "No valid Bearer token or signed-in session.",
    "403": "Signed in without the needed right, or a session write without its CSRF token.",
    "404": "No such item (or not visible to this caller).",
    "409": "Conflicts with the current state (a duplicate, or something still going on).",
    "415": "The request body is not of a media type this operation accepts.",
    "422": "Some fields are not valid; `errors` says which and why.",
}
_BODY_METHODS = {"post", "put", "patch"}
_METHODS = ("get", "put", "post", "delete", "patch")

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An RFC 9457 problem; `errors` lists the fields at fault.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": ["string", "null"]},
                    "message": {"type": "string"},
                },
                "required": ["message"],
            },
        },
    },
    "required": ["title", "status"],
}


def error_codes(path: str, method: str) -> list[str]:
    """The problem answers an operation declares."""
    codes = ["400", "401", "403", "422"]
    if "{" in path:
        codes.append("404")
    if method in _BODY_METHODS:
        codes += ["409", "415"]
    elif method == "delete":
        codes.append("409")
    return sorted(codes)


def declare_error_answers(document: dict[str, Any]) -> dict[str, Any]:
    """Add the problem answers to every /api/ operation of an OpenAPI ``document``."""
    components = document.setdefault("components", {})
    components.setdefault("schemas", {}).setdefault(PROBLEM, PROBLEM_SCHEMA)
    content = {PROBLEM_JSON: {"schema": {"$ref": f"#/components/schemas/{PROBLEM}"}}}
    for path, item in (document.get("paths") or {}).items():
        if not path.startswith("/api/"):
            continue
        for method in _METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            for code in error_codes(path, method):
                # Litestar's own 400 is documented as application/json; ours are problems.
                responses[code] = {"description": _DESCRIPTIONS[code], "content": content}
    return document


class ProblemJsonRenderPlugin(JsonRenderPlugin):
    """Litestar's JSON document, with every operation's problem answers declared."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        # The dict is Litestar's cached document: declaring again changes nothing.
        return super().render(request, declare_error_answers(openapi_schema))
