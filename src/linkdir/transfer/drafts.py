"""What every import format turns into: drafts, row problems, and whole-file failures.

Parsers (pages, bookmarks, CSV, JSON) only read; they never touch the database. The
service then validates the drafts, finds duplicates and imports them in one transaction.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import datetime
from typing import Any

from linkdir.errors import N_, FieldError


class ParseFailed(Exception):
    """The whole input cannot be read: nothing is imported. ``message`` is an msgid."""

    def __init__(self, message: str, params: dict[str, Any] | None = None) -> None:
        self.message = message
        self.params = params or {}
        super().__init__(message % self.params if self.params else message)

    def render(self, gettext: Any) -> str:
        text: str = gettext(self.message)
        return text % self.params if self.params else text


@dataclass(slots=True)
class Problem:
    """Why one row (line ``line`` of the input) was not imported, or a note about it."""

    line: int
    field: str
    message: str  # an English msgid, translated when shown
    params: dict[str, Any] = dc_field(default_factory=dict)
    url: str = ""
    duplicate: bool = False  # the row is fine, but its address is known already

    def render(self, gettext: Any) -> str:
        text: str = gettext(self.message)
        return text % self.params if self.params else text

    @classmethod
    def of(cls, line: int, error: FieldError, url: str = "") -> Problem:
        return cls(line, error.field, error.message, dict(error.params), url)


@dataclass(slots=True)
class Draft:
    """One resource as an import suggests it; the curator may edit it before importing.

    ``topics`` are what the source says (a heading, a folder, a name or a slug); the
    service maps each to an existing topic or to a proposed new one.
    """

    line: int
    url: str
    title: str
    description: str = ""
    language: str | None = None
    resource_type: str | None = None
    publisher: str | None = None
    state: str | None = None
    review_by: str | None = None
    topics: list[str] = dc_field(default_factory=list)
    tags: list[str] = dc_field(default_factory=list)
    added: datetime | None = None  # ADD_DATE of a bookmark, created_at of a JSON export
    # Restored as they were (JSON exports): updated_at, published_at and link health.
    restore: dict[str, Any] = dc_field(default_factory=dict)

    def fields(self) -> dict[str, Any]:
        """The values ``resources.service.create_resource`` takes."""
        data: dict[str, Any] = {"url": self.url, "title": self.title}
        if self.description:
            data["description"] = self.description
        for name in ("language", "resource_type", "publisher", "state", "review_by"):
            value = getattr(self, name)
            if value not in (None, ""):
                data[name] = value
        if self.tags:
            data["tags"] = list(self.tags)
        return data


@dataclass(slots=True)
class TopicDefinition:
    """A topic with its names, as a JSON export carries it (created when missing)."""

    slug: str
    name_sv: str
    name_en: str
    description_sv: str = ""
    description_en: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "slug": self.slug,
            "name_sv": self.name_sv,
            "name_en": self.name_en,
            "description_sv": self.description_sv,
            "description_en": self.description_en,
        }


@dataclass(slots=True)
class Parsed:
    """What a parser read: drafts, rows it had to reject, and topic definitions."""

    format: str
    drafts: list[Draft] = dc_field(default_factory=list)
    problems: list[Problem] = dc_field(default_factory=list)
    topics: list[TopicDefinition] = dc_field(default_factory=list)
    rows: int = 0  # rows (links, lines, items) seen, rejected ones included
    skipped: int = 0  # links left out on purpose (skip links, mailto:, tel:, …)
    source_language: str | None = None


def fold(text: str) -> str:
    """``text`` for matching names: case, diacritics, punctuation and spacing ignored."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join("".join(ch if ch.isalnum() else " " for ch in letters).split())


# Words shown next to formats in forms and reports.
FORMATS = {
    "page": N_("Links page (web address)"),
    "bookmarks": N_("Browser bookmarks (HTML)"),
    "csv": N_("Spreadsheet (CSV)"),
    "json": N_("linkdir JSON"),
}
