"""JSON in and out: resource objects in the API's shape (``/api/v1/resources``).

An export is ``{"format": "linkdir", "version": 1, "topics": [...], "resources": [...]}``:
topics with their names and descriptions, resources as the API shows them without the
site-specific ``id`` and ``html_url``. Import reads that, an API list answer
(``{"items": [...]}``) or a bare list of resource objects; ``id``, ``html_url`` and other
unknown keys are ignored. The document has no export time, so exporting the same
directory twice gives the same bytes.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from typing import Any

from linkdir.errors import N_
from linkdir.inbound import json_depth
from linkdir.transfer.drafts import Draft, Parsed, ParseFailed, Problem, TopicDefinition

MAX_FILE_DEPTH = 64  # an export is four levels deep
FORMAT_NAME = "linkdir"
FORMAT_VERSION = 1
LINK_FIELDS = (
    "status",
    "status_since",
    "last_checked_at",
    "http_status",
    "final_url",
    "moved_to",
    "reason",
    "modified_on",
    "archive_url",
)
_LINK_DATETIMES = ("status_since", "last_checked_at")
_TEXT_FIELDS = ("language", "resource_type", "publisher", "state")


# json.JSONDecodeError's reasons (its msg, from the standard library's scanner) in words.
_JSON_REASONS = (
    (
        "Expecting value",
        N_("The file is not valid JSON: a value is missing at line %(line)d, column %(column)d."),
    ),
    (
        "Expecting property name",
        N_(
            "The file is not valid JSON: a name in double quotes is missing at line "
            "%(line)d, column %(column)d."
        ),
    ),
    (
        "Expecting ',' delimiter",
        N_("The file is not valid JSON: a comma is missing at line %(line)d, column %(column)d."),
    ),
    (
        "Expecting ':' delimiter",
        N_("The file is not valid JSON: a colon is missing at line %(line)d, column %(column)d."),
    ),
    (
        "Unterminated string",
        N_(
            "The file is not valid JSON: a text in quotes is not closed, from line "
            "%(line)d, column %(column)d."
        ),
    ),
    (
        "Invalid control character",
        N_(
            "The file is not valid JSON: a text holds a control character at line "
            "%(line)d, column %(column)d."
        ),
    ),
    (
        "Invalid \\",
        N_(
            "The file is not valid JSON: a backslash escape is not valid at line "
            "%(line)d, column %(column)d."
        ),
    ),
    (
        "Extra data",
        N_(
            "The file is not valid JSON: more follows the data at line %(line)d, column %(column)d."
        ),
    ),
)


def iso(value: datetime | date | None) -> str | None:
    """A timestamp as the API writes it: ISO 8601 in UTC with ``Z``."""
    if value is None:
        return None
    if isinstance(value, datetime):
        try:
            return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
        except OverflowError:  # a hostile import's year 1 in +05:00: shown, then refused
            return value.isoformat()
    return value.isoformat()


def dump(document: dict[str, Any]) -> bytes:
    """The export document as stable, readable UTF-8 JSON."""
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _item_lines(text: str, key: str | None) -> list[int]:
    """The line each element of the resource array starts on (for row reports)."""
    if key is None:
        start = text.index("[")
    else:
        match = re.search(r'"' + key + r'"\s*:\s*\[', text)
        if match is None:
            return []
        start = match.end() - 1
    decoder = json.JSONDecoder()
    lines: list[int] = []
    position = start + 1
    while True:
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        if position >= len(text) or text[position] == "]":
            return lines
        lines.append(_line_of(text, position))
        try:
            _, position = decoder.raw_decode(text, position)
        except ValueError:
            return lines


def _when(raw: Any) -> datetime | None:
    if not isinstance(raw, str) or not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _topic(raw: Any, line: int, parsed: Parsed) -> None:
    if not isinstance(raw, dict) or not isinstance(raw.get("slug"), str):
        parsed.problems.append(
            Problem(line, "topics", N_("A topic needs at least a slug and a Swedish name."))
        )
        return
    name_sv = raw.get("name_sv") or raw.get("name_en") or raw["slug"]
    values = {
        "slug": raw["slug"],
        "name_sv": name_sv,
        "name_en": raw.get("name_en") or name_sv,
        "description_sv": raw.get("description_sv") or "",
        "description_en": raw.get("description_en") or "",
    }
    if not all(isinstance(v, str) for v in values.values()):
        parsed.problems.append(Problem(line, "topics", N_("Must be text.")))
        return
    parsed.topics.append(TopicDefinition(**values))


def _resource(raw: Any, line: int, parsed: Parsed) -> None:
    if not isinstance(raw, dict):
        parsed.problems.append(Problem(line, "row", N_("Each resource must be a JSON object.")))
        return
    url = raw.get("url")
    if not isinstance(url, str) or not url.strip():
        parsed.problems.append(Problem(line, "url", N_("Enter an address (URL).")))
        return
    for name in ("title", "description", *_TEXT_FIELDS, "review_by"):
        if raw.get(name) is not None and not isinstance(raw[name], str):
            parsed.problems.append(Problem(line, name, N_("Must be text."), url=url))
            return
    lists: dict[str, list[str]] = {}
    for name in ("topics", "tags"):
        value = raw.get(name) or []
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            parsed.problems.append(Problem(line, name, N_("Must be a list of names."), url=url))
            return
        lists[name] = value
    restore: dict[str, Any] = {}
    for name in ("updated_at", "published_at"):
        if name in raw:
            restore[name] = _when(raw[name])
    link = raw.get("link")
    if isinstance(link, dict):
        restore["link"] = {
            name: (_when(link.get(name)) if name in _LINK_DATETIMES else link.get(name))
            for name in LINK_FIELDS
            if name in link
        }
    draft = Draft(
        line=line,
        url=url,
        title=raw.get("title") or "",
        description=raw.get("description") or "",
        topics=lists["topics"],
        tags=lists["tags"],
        review_by=raw.get("review_by") or None,
        added=_when(raw.get("created_at")),
        restore=restore,
    )
    for name in _TEXT_FIELDS:
        if raw.get(name):
            setattr(draft, name, raw[name])
    parsed.drafts.append(draft)


def parse_json(text: str) -> Parsed:
    """Drafts and topic definitions from a linkdir export or API-shaped JSON."""
    parsed = Parsed(format="json")
    if not text.strip():
        raise ParseFailed(N_("The file is empty."))
    if json_depth(text.encode("utf-8", "replace")) > MAX_FILE_DEPTH:
        # json.loads would raise RecursionError (found by the fuzz target).
        raise ParseFailed(
            N_("The file is nested too deeply (at most %(max)d levels)."),
            {"max": MAX_FILE_DEPTH},
        )
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        # The parser's words are English: each of its reasons has a sentence of its own in
        # the catalog ("Expecting value" read inside a Swedish sentence before).
        message = next(
            (said for start, said in _JSON_REASONS if error.msg.startswith(start)),
            N_("The file is not valid JSON: it breaks off at line %(line)d, column %(column)d."),
        )
        raise ParseFailed(message, {"line": error.lineno, "column": error.colno}) from None
    key: str | None
    if isinstance(document, list):
        items, key = document, None
    elif isinstance(document, dict) and isinstance(document.get("resources"), list):
        items, key = document["resources"], "resources"
    elif isinstance(document, dict) and isinstance(document.get("items"), list):
        items, key = document["items"], "items"
    else:
        raise ParseFailed(
            N_(
                'Expected a list of resources, or an object with "resources" (a linkdir '
                'export) or "items" (an API answer).'
            )
        )
    if isinstance(document, dict) and document.get("topics") is not None:
        topics = document["topics"]
        if not isinstance(topics, list):
            raise ParseFailed(N_('"topics" must be a list of topic objects.'))
        topic_lines = _item_lines(text, "topics")
        for index, raw in enumerate(topics):
            _topic(raw, topic_lines[index] if index < len(topic_lines) else 0, parsed)
    lines = _item_lines(text, key)
    for index, raw in enumerate(items):
        parsed.rows += 1
        _resource(raw, lines[index] if index < len(lines) else index + 1, parsed)
    return parsed
