"""Netscape bookmark files: what Firefox, Chrome, Edge and Safari export, and we write.

Folders become topic suggestions (the innermost folder a bookmark is in; the browsers'
own roots such as the bookmarks toolbar are not topics), ``TAGS`` become tags,
``ADD_DATE`` becomes the resource's added date, ``<DD>`` text the description.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser

from linkdir.errors import N_
from linkdir.transfer.drafts import Draft, Parsed, ParseFailed, Problem

# Root folders every browser has; bookmarks directly in them have no topic.
_ROOT_FOLDERS = {
    "bookmarks bar",
    "bookmarks toolbar",
    "bookmarks menu",
    "other bookmarks",
    "mobile bookmarks",
    "favorites bar",
    "bokmärkesfältet",
    "bokmärkesverktygsfältet",
    "bokmärkesmenyn",
    "andra bokmärken",
    "övriga bokmärken",
    "mobila bokmärken",
    "favoritfältet",
}
_ROOT_ATTRIBUTES = ("personal_toolbar_folder", "unfiled_bookmarks_folder")
MAX_DEPTH = 64


def _timestamp(raw: str | None) -> datetime | None:
    """ADD_DATE: seconds since 1970 (Firefox writes microseconds in some versions)."""
    if not raw or not raw.strip().isdigit():
        return None
    value = int(raw.strip())
    if value > 10**14:
        value //= 1_000_000
    elif value > 10**11:
        value //= 1000
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


@dataclass
class _Link:
    line: int
    href: str
    attrs: dict[str, str]
    folder: str | None
    title: list[str] = field(default_factory=list)
    description: list[str] = field(default_factory=list)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.folders: list[str | None] = []  # one entry per open <DL>
        self.pending_folder: str | None = None  # the <H3> whose <DL> comes next
        self.heading: list[str] | None = None
        self.heading_is_root = False
        self.link: _Link | None = None
        self.in_anchor = False
        self.in_description = False
        self.links: list[_Link] = []
        self.saw_dl = False

    def _current_folder(self) -> str | None:
        for name in reversed(self.folders):
            if name:
                return name
        return None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): value or "" for name, value in attrs}
        if tag == "dl":
            self.saw_dl = True
            if len(self.folders) >= MAX_DEPTH:
                raise ParseFailed(N_("The bookmark folders are nested too deeply."))
            self.folders.append(self.pending_folder)
            self.pending_folder = None
            self.in_description = False
        elif tag == "h3":
            self.heading = []
            self.heading_is_root = any(values.get(name) == "true" for name in _ROOT_ATTRIBUTES)
            self.in_description = False
        elif tag == "a":
            self.in_description = False
            self.link = _Link(
                line=self.getpos()[0],
                href=values.get("href", ""),
                attrs=values,
                folder=self._current_folder(),
            )
            self.links.append(self.link)
            self.in_anchor = True
        elif tag == "dd":
            self.in_description = self.link is not None
        elif tag in ("dt", "hr"):
            self.in_description = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "dl":
            if self.folders:
                self.folders.pop()
            self.in_description = False
            self.link = None
        elif tag == "h3" and self.heading is not None:
            name = " ".join("".join(self.heading).split())
            root = self.heading_is_root or name.casefold() in _ROOT_FOLDERS
            self.pending_folder = None if root else name or None
            self.heading = None
        elif tag == "a":
            self.in_anchor = False

    def handle_data(self, data: str) -> None:
        if self.heading is not None:
            self.heading.append(data)
        elif self.in_anchor and self.link is not None:
            self.link.title.append(data)
        elif self.in_description and self.link is not None:
            self.link.description.append(data)


def looks_like_bookmarks(text: str) -> bool:
    head = text[:2048].lower()
    return "netscape-bookmark-file" in head or ("<dl" in head and "<dt" in head)


def parse_bookmarks(text: str) -> Parsed:
    """Drafts for every http(s) bookmark; ``place:`` and other schemes are reported."""
    parsed = Parsed(format="bookmarks")
    if not text.strip():
        raise ParseFailed(N_("The file is empty."))
    if not looks_like_bookmarks(text):
        raise ParseFailed(
            N_(
                "This is not a bookmark file: it lacks the NETSCAPE-Bookmark-file header and "
                "the <DL>/<DT> lists browsers export."
            )
        )
    reader = _Reader()
    try:
        reader.feed(text)
        reader.close()
    except ParseFailed:
        raise
    except (AssertionError, ValueError):  # html.parser gives up on some broken markup
        raise ParseFailed(N_("The bookmark file is damaged and could not be read.")) from None
    for link in reader.links:
        parsed.rows += 1
        href = html.unescape(link.href).strip()
        scheme = href.split(":", 1)[0].lower() if ":" in href else ""
        title = " ".join("".join(link.title).split())
        if scheme not in ("http", "https"):
            # Firefox exports its smart folders as place: links; they are no resources.
            parsed.problems.append(
                Problem(
                    link.line,
                    "url",
                    N_("Only http and https addresses can be listed, not %(scheme)s:.")
                    if scheme
                    else N_("Enter an address (URL)."),
                    {"scheme": scheme} if scheme else {},
                    url=href,
                )
            )
            continue
        tags = [part.strip() for part in link.attrs.get("tags", "").split(",") if part.strip()]
        parsed.drafts.append(
            Draft(
                line=link.line,
                url=href,
                title=title or href,
                description=" ".join("".join(link.description).split()),
                topics=[link.folder] if link.folder else [],
                tags=tags,
                added=_timestamp(link.attrs.get("add_date")),
            )
        )
    return parsed
