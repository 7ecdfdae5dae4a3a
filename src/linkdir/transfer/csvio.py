"""CSV in and out: what spreadsheets (Swedish Excel above all) read and write.

Reading: UTF-8 with or without BOM, UTF-16 with BOM, otherwise Windows-1252 (what Excel
on Swedish Windows saves as "CSV (semikolonavgränsad)"); the delimiter is ``;``, ``,`` or a
tab, whichever the header line uses. Writing: UTF-8 with BOM, ``;`` and CRLF, which
Swedish Excel opens with å, ä and ö intact and one field per column.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from linkdir.csvout import FORMULA_START, excel_csv
from linkdir.errors import N_
from linkdir.transfer.drafts import Draft, Parsed, ParseFailed, Problem, fold

# Column: the names a header may use for it (compared case- and accent-insensitively).
COLUMNS: dict[str, tuple[str, ...]] = {
    "url": ("url", "address", "adress", "webbadress", "länk", "link", "href"),
    "title": ("title", "titel", "namn", "name", "rubrik"),
    "description": ("description", "beskrivning", "description text", "kommentar"),
    "publisher": ("publisher", "utgivare", "avsändare"),
    "language": ("language", "språk", "lang"),
    "resource_type": ("type", "resource_type", "typ", "resurstyp"),
    "state": ("state", "status", "tillstånd", "läge"),
    "topics": ("topics", "topic", "ämnen", "ämne", "kategori", "category", "folder", "mapp"),
    "tags": ("tags", "tag", "taggar", "tagg", "nyckelord", "keywords"),
    "review_by": ("review_by", "review by", "granska senast", "granskas senast", "granska"),
    "created_at": ("created_at", "added", "tillagd", "skapad", "add_date"),
}
# Written by export only; read back as nothing (the checker finds them again).
EXPORT_ONLY = ("link_status", "archive_url")
EXPORT_COLUMNS = (
    "url",
    "title",
    "description",
    "publisher",
    "language",
    "type",
    "state",
    "topics",
    "tags",
    "review_by",
    "created_at",
    *EXPORT_ONLY,
)
_HEADER = {fold(alias): column for column, aliases in COLUMNS.items() for alias in aliases}
# Words curators type in Swedish spreadsheets for the stored values.
VALUE_ALIASES: dict[str, dict[str, str]] = {
    "language": {
        "svenska": "sv",
        "swedish": "sv",
        "engelska": "en",
        "english": "en",
        "finska": "fi",
        "finnish": "fi",
        "samiska": "se",
        "nordsamiska": "se",
        "norska": "no",
        "danska": "da",
        "tyska": "de",
        "franska": "fr",
        "spanska": "es",
        "arabiska": "ar",
        "somaliska": "so",
        "annat": "other",
        "annan": "other",
    },
    "resource_type": {
        "rapport": "report",
        "kurs": "course",
        "guide": "guide",
        "vägledning": "guide",
        "verktyg": "tool",
        "organisation": "organisation",
        "organization": "organisation",
        "nätverk": "network",
        "projekt": "project",
        "annat": "other",
        "övrigt": "other",
        "annan": "other",
    },
    "state": {
        "utkast": "draft",
        "publicerad": "published",
        "publicerat": "published",
        "arkiverad": "retired",
        "arkiverat": "retired",
    },
}
_LIST_SPLIT = re.compile(r"\s*[,|]\s*")
# Cells Excel would run as formulas: exports prefix them with ' (csvout), imports drop it.
_FORMULA_START = FORMULA_START


def decode(data: bytes) -> str:
    """Bytes of a CSV file as text: BOM first, then strict UTF-8, then Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Bytes that are not UTF-8 are, in a Swedish spreadsheet, Windows-1252.
        return data.decode("cp1252", "replace")


def _delimiter(header: str) -> str:
    counts = {d: 0 for d in ";,\t"}
    quoted = False
    for ch in header:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _cell(value: str) -> str:
    value = value.strip()
    if len(value) > 1 and value[0] == "'" and value[1] in _FORMULA_START:
        return value[1:]
    return value


def _value(column: str, raw: str) -> str:
    aliases = VALUE_ALIASES.get(column)
    if aliases:
        return aliases.get(raw.strip().casefold(), raw.strip().lower())
    return raw


def _date(raw: str) -> datetime | None:
    text = raw.strip()
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else None


def parse_csv(text: str) -> Parsed:
    """Drafts for each data row; rows that cannot be read are problems with their line."""
    parsed = Parsed(format="csv")
    if "\x00" in text:
        raise ParseFailed(N_("This is not a text file (it contains NUL bytes)."))
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise ParseFailed(N_("The file is empty."))
    delimiter = _delimiter(lines[first])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    header: list[str | None] | None = None
    previous_end = 0
    try:
        for row in reader:
            line = previous_end + 1
            previous_end = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [_HEADER.get(fold(name)) for name in row]
                if "url" not in header:
                    raise ParseFailed(
                        N_(
                            "The first line must name the columns, one of them url (or "
                            "adress); found: %(found)s."
                        ),
                        {"found": ", ".join(cell.strip() for cell in row)[:200]},
                    )
                continue
            parsed.rows += 1
            _row(parsed, header, row, line)
    except csv.Error as error:
        raise ParseFailed(
            N_("The file could not be read as CSV near line %(line)d: %(reason)s."),
            {"line": previous_end + 1, "reason": str(error)},
        ) from None
    if header is None:
        raise ParseFailed(N_("The file is empty."))
    return parsed


def _row(parsed: Parsed, header: Sequence[str | None], row: list[str], line: int) -> None:
    if len(row) > len(header) and any(cell.strip() for cell in row[len(header) :]):
        parsed.problems.append(
            Problem(
                line,
                "row",
                N_(
                    "The line has %(count)d fields but the header names %(columns)d; "
                    "is a text field missing its quotes?"
                ),
                {"count": len(row), "columns": len(header)},
            )
        )
        return
    values: dict[str, str] = {}
    for column, raw in zip(header, row, strict=False):
        if column is not None and column not in values:
            values[column] = _cell(raw)
    url = values.get("url", "")
    if not url:
        parsed.problems.append(Problem(line, "url", N_("Enter an address (URL).")))
        return
    added = None
    if values.get("created_at"):
        added = _date(values["created_at"])
        if added is None:
            parsed.problems.append(
                Problem(
                    line,
                    "created_at",
                    N_("Enter a date and time as 2026-05-31T12:00:00+00:00."),
                    url=url,
                )
            )
            return
    draft = Draft(
        line=line,
        url=url,
        title=values.get("title", ""),
        description=values.get("description", ""),
        publisher=values.get("publisher") or None,
        topics=[t for t in _LIST_SPLIT.split(values.get("topics", "")) if t],
        tags=[t for t in _LIST_SPLIT.split(values.get("tags", "")) if t],
        review_by=values.get("review_by") or None,
        added=added,
    )
    for column in ("language", "resource_type", "state"):
        if values.get(column):
            setattr(draft, column, _value(column, values[column]))
    parsed.drafts.append(draft)


def write_csv(rows: Iterable[dict[str, Any]]) -> bytes:
    """Rows (keys of EXPORT_COLUMNS) as CSV for Swedish Excel: BOM, ``;``, CRLF."""
    return excel_csv(
        EXPORT_COLUMNS,
        ([str(row.get(column) or "") for column in EXPORT_COLUMNS] for row in rows),
    )
