"""Freshness: a page's own last-updated date, and a hash of its main text.

Which date wins, and why: a page's own date (``article:modified_time``, JSON-LD
``dateModified``, a visible "Senast uppdaterad: 2021-03-03") is what its author
maintains and what a reader sees. The ``Last-Modified`` header describes the server's
copy: CMSs send the render time (every request is "now") and static hosts send the
deploy time, so a page rebuilt last night with text from 2015 would look fresh. The
header is used only when the page says nothing, and a header within a minute of the
response (render time, not content time) is ignored.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

MONTHS = {
    # Swedish
    "januari": 1, "februari": 2, "mars": 3, "april": 4, "maj": 5, "juni": 6, "juli": 7,
    "augusti": 8, "september": 9, "oktober": 10, "november": 11, "december": 12,
    "okt": 10,
    # English
    "january": 1, "february": 2, "march": 3, "may": 5, "june": 6, "july": 7,
    "august": 8, "october": 10,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip


def word_trie(words: Iterable[str]) -> str:
    """A regex alternation of ``words`` as a trie: fails fast on the first letter.

    Python's re tries every branch of ``jan|januari|feb|…`` at every position; the trie
    form made date matching five times faster, which the checker needs at 1,000+ pages/s.
    """
    tree: dict[str, Any] = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + build(sub) for char, sub in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(tree)


_MONTH = word_trie(MONTHS)

_ISO = r"(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2})"
_DMY_WORDS = (
    rf"(?P<dd>\d{{1,2}})(?:st|nd|rd|th|:e|:a|e|a)?\.?\s+(?:of\s+)?(?P<dm>{_MONTH})\.?,?\s+"
    r"(?P<dy>\d{4})"
)
_MDY_WORDS = rf"(?P<mm>{_MONTH})\.?\s+(?P<md>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<my>\d{{4}})"
_NUMERIC = r"(?P<n1>\d{1,2})(?P<sep>[./])(?P<n2>\d{1,2})(?P=sep)(?P<ny>\d{4})"
DATE = re.compile(rf"\b(?:{_ISO}|{_DMY_WORDS}|{_MDY_WORDS}|{_NUMERIC})\b", re.IGNORECASE)
# The same dates in lower-cased text, without IGNORECASE (which is slow): for hashing.
_DATE_LOWER = re.compile(rf"\b(?:{_ISO}|{_DMY_WORDS}|{_MDY_WORDS}|{_NUMERIC})\b")

_UPDATED = re.compile(
    r"\b(?:senast\s+)?(?:uppdaterad|uppdaterat|uppdaterades|uppdatering|ändrad|ändrades|"
    r"reviderad|granskad)\b|\b(?:sidan|texten|innehållet)\s+(?:uppdaterades|ändrades)\b|"
    r"\b(?:last\s+)?(?:updated|modified|revised|reviewed)(?:\s+on)?\b|\blast\s+update\b",
    re.IGNORECASE,
)
_PUBLISHED = re.compile(r"\b(?:publicerad|publicerat|published|posted)(?:\s+on|\s+den)?\b", re.I)

_MODIFIED_META = (
    "article:modified_time",
    "og:updated_time",
    "last-modified",
    "dcterms.modified",
    "dc.date.modified",
    "dc.modified",
    "datemodified",
    "revised",
    "modified",
)
_PUBLISHED_META = (
    "article:published_time",
    "dcterms.issued",
    "dc.date.issued",
    "dcterms.created",
    "dc.date",
    "datepublished",
)

EARLIEST = date(1990, 1, 1)


def parse_date(text: str, *, today: date) -> date | None:
    """The first plausible calendar date in ``text`` (ISO, Swedish or English words)."""
    for match in DATE.finditer(text):
        found = _from_match(match)
        if found is not None and EARLIEST <= found <= today + timedelta(days=1):
            return found
    return None


def _from_match(match: re.Match[str]) -> date | None:
    groups = match.groupdict()
    try:
        if groups["iy"]:
            return date(int(groups["iy"]), int(groups["im"]), int(groups["id"]))
        if groups["dy"]:
            return date(int(groups["dy"]), MONTHS[groups["dm"].lower()], int(groups["dd"]))
        if groups["my"]:
            return date(int(groups["my"]), MONTHS[groups["mm"].lower()], int(groups["md"]))
        first, second, year = int(groups["n1"]), int(groups["n2"]), int(groups["ny"])
        # Day first, as written in Sweden and most of Europe; only a number over 12 in
        # first place is read American-style (month first) when it cannot be a month.
        if groups["sep"] == "/" and second > 12 >= first:
            first, second = second, first
        return date(year, second, first)
    except (ValueError, KeyError):
        return None


def parse_machine_date(value: str, *, today: date) -> date | None:
    """An ISO 8601 date or timestamp from metadata (``2021-03-03T10:00:00+01:00``)."""
    value = value.strip()
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", value)
    if not match:
        return parse_date(value, today=today)
    try:
        found = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None
    return found if EARLIEST <= found <= today + timedelta(days=1) else None


def header_date(value: str | None, *, received: datetime) -> date | None:
    """``Last-Modified`` as a date, unless it is just the time the page was rendered."""
    if not value:
        return None
    try:
        stamp = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    if abs((received - stamp).total_seconds()) < 60:
        return None
    found = stamp.astimezone(UTC).date()
    return found if EARLIEST <= found <= received.date() + timedelta(days=1) else None


def dated_line(text: str, keyword: re.Pattern[str], *, today: date) -> date | None:
    """A date written just after a keyword ("Senast uppdaterad: 3 mars 2021")."""
    for match in keyword.finditer(text):
        window = text[match.end() : match.end() + 60]
        first = DATE.search(window)
        if first is None or first.start() > 40:
            continue
        found = parse_date(window[first.start() :], today=today)
        if found is not None:
            return found
    return None


_UPDATED_HINTS = ("uppdater", "ändra", "revider", "gransk", "updat", "modif", "revis", "review")
_PUBLISHED_HINTS = ("publicer", "publish", "posted")


def visible_modified(text: str, *, today: date, lowered: str | None = None) -> date | None:
    lowered = text.lower() if lowered is None else lowered
    if not any(hint in lowered for hint in _UPDATED_HINTS):
        return None  # the common case, decided without the slow regex
    return dated_line(text, _UPDATED, today=today)


def visible_published(text: str, *, today: date, lowered: str | None = None) -> date | None:
    lowered = text.lower() if lowered is None else lowered
    if not any(hint in lowered for hint in _PUBLISHED_HINTS):
        return None
    return dated_line(text, _PUBLISHED, today=today)


def meta_dates(metas: dict[str, str], *, today: date) -> tuple[date | None, date | None]:
    """(modified, published) from ``<meta>`` names/properties, lower-cased keys."""
    modified = next(
        (d for key in _MODIFIED_META if (d := _meta(metas, key, today)) is not None), None
    )
    published = next(
        (d for key in _PUBLISHED_META if (d := _meta(metas, key, today)) is not None), None
    )
    return modified, published


def _meta(metas: dict[str, str], key: str, today: date) -> date | None:
    value = metas.get(key)
    return parse_machine_date(value, today=today) if value else None


def json_ld_dates(blocks: list[str], *, today: date) -> tuple[date | None, date | None]:
    """(latest dateModified, latest datePublished) found anywhere in JSON-LD blocks."""
    modified: list[date] = []
    published: list[date] = []
    for block in blocks:
        try:
            data = json.loads(block)
        except ValueError:
            continue
        for key, value in _walk(data):
            if not isinstance(value, str):
                continue
            if key == "dateModified" and (found := parse_machine_date(value, today=today)):
                modified.append(found)
            elif key == "datePublished" and (found := parse_machine_date(value, today=today)):
                published.append(found)
    return (max(modified) if modified else None, max(published) if published else None)


def _walk(data: Any, depth: int = 0) -> Iterator[tuple[str, Any]]:
    if depth > 12:
        return
    if isinstance(data, dict):
        for key, value in data.items():
            yield str(key), value
            yield from _walk(value, depth + 1)
    elif isinstance(data, list):
        for item in data[:200]:
            yield from _walk(item, depth + 1)


_DIGITS = re.compile(r"\d+")


def normalise_text(text: str) -> str:
    """Main text with the noise that changes per request taken out.

    Dates, times and every run of digits are folded away: counters ("1 234 besökare"),
    "updated 3 minutes ago" and today's date in a header change on every request, and a
    real edit nearly always changes words too. The trade-off: an edit that changes only
    a number is not seen as a content change.
    """
    text = _DATE_LOWER.sub(" ", text.casefold())  # month names go with their dates
    text = _DIGITS.sub("#", text)  # times, counters, the rest of any date
    return " ".join(text.split())


def content_hash(main_text: str) -> str | None:
    """sha256 of the normalised main text; None when there is no text to speak of."""
    normalised = normalise_text(main_text)
    if len(normalised) < 3:
        return None
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()
