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
# Norwegian and Danish forms; kept apart so the content hash's date folding (which
# predates them) stays byte-for-byte the same and stored hashes stay comparable.
NORDIC_MONTHS = {
    "januar": 1, "februar": 2, "marts": 3, "mai": 5, "desember": 12,
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
_ALL_MONTHS = {**MONTHS, **NORDIC_MONTHS}
_ANY_MONTH = word_trie(_ALL_MONTHS)

# The content hash folds dates away with the pattern it always used (see normalise_text).
_HASH_ISO = r"(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2})"
_HASH_DMY = (
    rf"(?P<dd>\d{{1,2}})(?:st|nd|rd|th|:e|:a|e|a)?\.?\s+(?:of\s+)?(?P<dm>{_MONTH})\.?,?\s+"
    r"(?P<dy>\d{4})"
)
_HASH_MDY = rf"(?P<mm>{_MONTH})\.?\s+(?P<md>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<my>\d{{4}})"
_HASH_NUMERIC = r"(?P<n1>\d{1,2})(?P<sep>[./])(?P<n2>\d{1,2})(?P=sep)(?P<ny>\d{4})"
_DATE_LOWER = re.compile(rf"\b(?:{_HASH_ISO}|{_HASH_DMY}|{_HASH_MDY}|{_HASH_NUMERIC})\b")

# Dates as people write them: ISO (also as a date-time, "2019-04-02T09:15"), day and
# month name (Swedish, Norwegian, Danish, English; "3. mars 2021", "26th of October"),
# month name first, and numeric day-first forms: 26.10.2018, 26/10/2018, 26/10 2018,
# and year-first 2018.10.26 / 2018/10/26.
_ISO = r"(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2})(?=[tT]\d|\b)"
_YMD = r"(?P<yy>\d{4})(?P<ysep>[./])(?P<ym>\d{1,2})(?P=ysep)(?P<yd>\d{1,2})"
_DMY_WORDS = (
    rf"(?P<dd>\d{{1,2}})(?:st|nd|rd|th|:e|:a|e|a)?\.?\s+(?:of\s+)?(?P<dm>{_ANY_MONTH})\.?,?\s+"
    r"(?P<dy>\d{4})"
)
_MDY_WORDS = rf"(?P<mm>{_ANY_MONTH})\.?\s+(?P<md>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<my>\d{{4}})"
_NUMERIC = r"(?P<n1>\d{1,2})(?P<sep>[./])(?P<n2>\d{1,2})(?:(?P=sep)|/?\s+)(?P<ny>\d{4})"
DATE = re.compile(rf"\b(?:{_ISO}|(?:{_YMD}|{_DMY_WORDS}|{_MDY_WORDS}|{_NUMERIC})\b)", re.IGNORECASE)

_UPDATED = re.compile(
    r"\b(?:senast\s+|sist\s+|sidst\s+)?(?:uppdaterad|uppdaterat|uppdaterades|uppdatering|"
    r"ändrad|ändrat|ändrades|reviderad|granskad|oppdatert|endret|revidert|opdateret|ændret|"
    r"revideret|päivitetty|muokattu)\b|"
    r"\b(?:sidan|texten|innehållet)\s+(?:uppdaterades|ändrades|granskades)\b|"
    r"\b(?:last\s+)?(?:updated|modified|revised|reviewed)(?:\s+on)?\b|\blast\s+update\b",
    re.IGNORECASE,
)
_PUBLISHED = re.compile(
    r"\b(?:publicerad|publicerat|publisert|publiceret|julkaistu|published|posted)"
    r"(?:\s+on|\s+den)?\b",
    re.I,
)

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
        if groups["yy"]:
            return date(int(groups["yy"]), int(groups["ym"]), int(groups["yd"]))
        if groups["dy"]:
            return date(int(groups["dy"]), _ALL_MONTHS[groups["dm"].lower()], int(groups["dd"]))
        if groups["my"]:
            return date(int(groups["my"]), _ALL_MONTHS[groups["mm"].lower()], int(groups["md"]))
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


_UPDATED_HINTS = (
    "uppdater", "ändra", "revider", "gransk", "updat", "modif", "revis", "review", "oppdater",
    "endret", "opdater", "ændret", "päivit", "muokat",
)  # fmt: skip
_PUBLISHED_HINTS = ("publicer", "publish", "posted", "publiser", "julkais")
_MAX_HITS = 24  # keyword occurrences looked at per text: a page is not a date index


def _near_hints(
    lowered: str, hints: tuple[str, ...], keyword: re.Pattern[str], today: date
) -> date | None:
    """``dated_line`` on windows around each hint: never a regex over the whole text."""
    spots: list[int] = []
    for hint in hints:
        start = lowered.find(hint)
        while start != -1 and len(spots) < _MAX_HITS:
            spots.append(start)
            start = lowered.find(hint, start + len(hint))
    if not spots:
        return None
    spots.sort()
    seen_until = -1
    for spot in spots:
        if spot < seen_until:
            continue
        # "senast" may stand before the hint; the date follows within ~60 characters.
        window = lowered[max(0, spot - 12) : spot + 110]
        seen_until = spot + 40
        found = dated_line(window, keyword, today=today)
        if found is not None:
            return found
    return None


def visible_modified(text: str, *, today: date, lowered: str | None = None) -> date | None:
    """A visible "Senast uppdaterad: …" / "Last updated …" date in ``text``."""
    lowered = text.lower() if lowered is None else lowered
    return _near_hints(lowered, _UPDATED_HINTS, _UPDATED, today)


def visible_published(text: str, *, today: date, lowered: str | None = None) -> date | None:
    """A visible "Publicerad …" / "Published …" date in ``text``."""
    lowered = text.lower() if lowered is None else lowered
    return _near_hints(lowered, _PUBLISHED_HINTS, _PUBLISHED, today)


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


# str.casefold() of every character a latin-1 text can hold, as one byte each; the two
# that fold to something else (µ to Greek mu, ß to "ss") are left to str.casefold().
_LATIN1_FOLD = bytes(
    ord(folded) if len(folded := chr(code).casefold()) == 1 and ord(folded) < 256 else code
    for code in range(256)
)


def casefold(text: str) -> str:
    """``text.casefold()``, several times faster on a latin-1 text (Swedish, English).

    ``str.casefold`` looks every non-ASCII character up in the Unicode tables; a text
    whose characters all fit in latin-1 is folded by one ``bytes.translate`` instead.
    (With a dash or a curly quote in it, folding around the wider characters saved
    nothing: those texts keep ``str.casefold``.) Folding is per character, so
    ``casefold(a + b) == casefold(a) + casefold(b)``.
    """
    if text.isascii() or "ß" in text or "µ" in text:
        return text.casefold()
    try:
        data = text.encode("latin-1")
    except UnicodeEncodeError:  # a wider text: the general folding
        return text.casefold()
    return data.translate(_LATIN1_FOLD).decode("latin-1")


_MAX_WIDE = 400


def _wide_positions(text: str) -> list[int] | None:
    """Where the characters wider than latin-1 are; None when there are many."""
    data = text.encode("latin-1", "replace")  # each of them one "?"
    positions: list[int] = []
    at = data.find(b"?")
    while at != -1:
        if text[at] != "?":
            positions.append(at)
            if len(positions) > _MAX_WIDE:
                return None
        at = data.find(b"?", at + 1)
    return positions


_MAX_DIGITS = 2000  # digits cut out one by one; a table of figures goes to the regex
# More than one character in _DENSE a digit: cutting each out in Python costs more than
# the regex's scan (~12 ns a character against ~0.2 µs a digit; a farm page of the
# benchmark has one in three, a 40 KB article one in a thousand).
_DENSE = 20


def fold_digits(text: str) -> str:
    """``_DIGITS.sub("#", text)``: every run of digits one "#", without a regex scan.

    A latin-1 character is a digit only if it is 0-9 (``\\d`` matches every Unicode
    decimal digit): unless a wider character is one, ten ``str.find`` scans find all the
    digits and their runs are cut out by slicing.
    """
    if not _is_latin1(text) and (
        (wide := _wide_positions(text)) is None or any(text[at].isdecimal() for at in wide)
    ):
        return _DIGITS.sub("#", text)
    most = min(_MAX_DIGITS, len(text) // _DENSE)
    positions: list[int] = []
    for digit in "0123456789":
        at = text.find(digit)
        while at != -1:
            positions.append(at)
            if len(positions) > most:  # figures everywhere: the regex is cheaper
                return _DIGITS.sub("#", text)
            at = text.find(digit, at + 1)
    if not positions:
        return text
    positions.sort()
    pieces: list[str] = []
    done = 0  # where the text after the last run begins
    previous = -2
    for position in positions:
        if position != previous + 1:  # a new run
            if previous >= 0:
                done = previous + 1
            pieces.append(text[done:position])
            pieces.append("#")
        previous = position
    pieces.append(text[previous + 1 :])
    return "".join(pieces)


def _is_latin1(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def normalise_text(text: str) -> str:
    """Main text with the noise that changes per request taken out.

    Dates, times and every run of digits are folded away: counters ("1 234 besökare"),
    "updated 3 minutes ago" and today's date in a header change on every request, and a
    real edit nearly always changes words too. The trade-off: an edit that changes only
    a number is not seen as a content change.

    Same result as ``_DIGITS.sub("#", _DATE_LOWER.sub(" ", casefold))`` squashed, but the
    date pattern only runs on the few words around digits: on a 40 KB page the whole-text
    substitution cost 2.5 ms, this about a tenth of that.
    """
    return _normalise_words(" ".join(casefold(text).split()))


def _normalise_words(words: str) -> str:
    windows: list[list[int]] = []
    size = len(words)
    positions = _digit_positions(words, most=size // 150)
    if positions is None:
        # Digits everywhere (tables, codes): one pass over the whole text is cheaper.
        return " ".join(_DIGITS.sub("#", _DATE_LOWER.sub(" ", words)).split())
    for position in positions:
        if windows and position < windows[-1][2]:
            continue  # a digit of the word just handled
        # A date spans at most four words, each within two words of one with digits:
        # three words either side of a digit's word hold every date it belongs to.
        first = words.rfind(" ", 0, position) + 1
        for _ in range(3):
            if first == 0:
                break
            first = words.rfind(" ", 0, first - 1) + 1
        last = words.find(" ", position)
        word_end = size if last == -1 else last
        last = position
        for _ in range(4):
            found = words.find(" ", last + (1 if _ else 0))
            last = size if found == -1 else found
            if last == size:
                break
        if windows and first <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], last)
            windows[-1][2] = word_end
        else:
            windows.append([first, last, word_end])
    if not windows:
        return words
    pieces: list[str] = []
    done = 0
    for first, last, _word_end in windows:
        pieces.append(words[done:first].strip())
        pieces.append(" ".join(_DIGITS.sub("#", _DATE_LOWER.sub(" ", words[first:last])).split()))
        done = last
    pieces.append(words[done:].strip())
    return " ".join(piece for piece in pieces if piece)


def _digit_positions(text: str, *, most: int | None = None) -> list[int] | None:
    """Where digits are, sorted: ten ``str.find`` scans beat a regex over the whole text.

    None as soon as there are more than ``most`` (the caller then takes the whole text).
    """
    positions: list[int] = []
    for digit in "0123456789":
        at = text.find(digit)
        while at != -1:
            positions.append(at)
            if most is not None and len(positions) > most:
                return None
            if len(positions) > 4000:  # a table of figures: let the regex do it
                return [match.start() for match in _DIGITS.finditer(text)]
            at = text.find(digit, at + 1)
    positions.sort()
    return positions


def content_hash(main_text: str, *, squashed: bool = False) -> str | None:
    """sha256 of the normalised main text; None when there is no text to speak of.

    ``squashed``: the text already has single spaces only (``Page.main_text``), so the
    whitespace pass is skipped; the hash is the same.
    """
    normalised = _normalise_words(casefold(main_text)) if squashed else normalise_text(main_text)
    if len(normalised) < 3:
        return None
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()
