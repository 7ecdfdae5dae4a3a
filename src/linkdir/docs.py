"""Human-readable API documentation, rendered on the server from the OpenAPI document.

The usual Swagger/Scalar pages need inline scripts from a CDN, which the site's
Content-Security-Policy forbids; this page needs neither and works in both languages.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from linkdir.web import render

METHODS = ("get", "post", "put", "patch", "delete")


@get("/api/docs", include_in_schema=False)
async def api_docs(request: Request[Any, Any, Any]) -> Response[str]:
    schema = request.app.openapi_schema.to_schema()
    operations = []
    for path, item in sorted(schema.get("paths", {}).items()):
        for method in METHODS:
            operation = item.get(method)
            if not operation:
                continue
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "parameters": operation.get("parameters", []),
                    "body": body.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1],
                    "responses": sorted(operation.get("responses", {})),
                    "writes": method != "get",
                }
            )
    components = schema.get("components", {}).get("schemas", {})
    return render(
        request,
        "api/docs.html",
        operations=operations,
        components=components,
        info=schema.get("info", {}),
    )
