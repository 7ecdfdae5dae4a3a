"""Logs: ``LINKDIR_LOG_FORMAT=text|json`` and a request id on every request.

JSON lines carry time, level, logger, message, the request id (taken from
``X-Request-ID`` or made up, and echoed in the response) and, for checks, host and
verdict. Only fields on :data:`FIELDS` are written, and addresses lose their query
string (a private feed's token lives there), so secrets do not reach the log.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from linkdir.config import Settings

# The request being handled by this task (a context variable: each request its own).
REQUEST_ID: ContextVar[str | None] = ContextVar("linkdir_request_id", default=None)
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Extra fields a log call may carry into a JSON line; anything else stays out.
FIELDS = ("host", "verdict", "reason", "http_status", "resource_id", "worker", "run_id", "jobs")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def strip_query(target: str) -> str:
    """An address or path without its query string (tokens of private feeds live there)."""
    return target.split("?", 1)[0]


class RequestContext(logging.Filter):
    """Adds the request id to each record, and strips query strings from access lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        if record.name == "uvicorn.access" and isinstance(record.args, tuple):
            # uvicorn's arguments: client, method, path with query, HTTP version, status.
            args = list(record.args)
            if len(args) >= 3 and isinstance(args[2], str):
                args[2] = strip_query(args[2])
                record.args = tuple(args)
        return True


class JsonLines(logging.Formatter):
    """One JSON object a line, with only the fields listed in :data:`FIELDS`."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            line["request_id"] = request_id
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(settings: Settings) -> None:
    """Send every logger (uvicorn's too) to stderr in the format settings ask for."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestContext())
    if settings.log_format == "json":
        handler.setFormatter(JsonLines())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    """The caller's ``X-Request-ID`` if it is a sane token, else a new one."""
    for name, value in headers:
        if name.lower() == b"x-request-id":
            given = value.decode("latin-1").strip()
            if _VALID_ID.match(given):
                return given
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """ASGI middleware: a request id for the logs of each request, echoed in the response."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope.get("headers") or [])
        token = REQUEST_ID.set(request_id)

        async def send_with_id(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (name, value)
                    for name, value in message.get("headers") or []
                    if name.lower() != b"x-request-id"
                ]
                headers.append((b"x-request-id", request_id.encode("ascii")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)
