"""Locale negotiation and gettext catalogs (Swedish default, English complete)."""

from __future__ import annotations

import gettext as gettext_module
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from linkdir.errors import N_

LOCALES = ("sv", "en")
DEFAULT_LOCALE = "sv"
LOCALE_DIR = Path(__file__).parent / "locale"
LANG_COOKIE = "lang"

_STOCKHOLM = ZoneInfo("Europe/Stockholm")
_current: ContextVar[str] = ContextVar("linkdir_locale", default=DEFAULT_LOCALE)


@cache
def translations(locale: str) -> gettext_module.NullTranslations:
    """Compiled catalog for ``locale``; compiled from the .po in memory if no .mo exists."""
    directory = LOCALE_DIR / locale / "LC_MESSAGES"
    mo_path = directory / "messages.mo"
    po_path = directory / "messages.po"
    if mo_path.exists() and (
        not po_path.exists() or mo_path.stat().st_mtime >= po_path.stat().st_mtime
    ):
        with mo_path.open("rb") as mo_file:
            return gettext_module.GNUTranslations(mo_file)
    if po_path.exists():
        from io import BytesIO

        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=locale)
        buffer = BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        return gettext_module.GNUTranslations(buffer)
    return gettext_module.NullTranslations()


def negotiate(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """``?lang=`` first, then the cookie, then Accept-Language, then Swedish."""
    for candidate in (query, cookie):
        if candidate in LOCALES:
            return candidate
    if accept_language:
        weighted: list[tuple[float, int, str]] = []
        for position, part in enumerate(accept_language.split(",")[:20]):
            pieces = part.strip().split(";")
            tag = pieces[0].strip().lower()
            quality = 1.0
            for param in pieces[1:]:
                name, _, value = param.strip().partition("=")
                if name == "q":
                    try:
                        quality = float(value)
                    except ValueError:
                        quality = 0.0
            weighted.append((-quality, position, tag))
        for negative_quality, _position, tag in sorted(weighted):
            if negative_quality >= 0:
                continue
            primary = tag.split("-")[0]
            if primary in {"sv", "en"}:
                return primary
            if primary in {"nb", "nn", "no", "da"}:
                # Norwegian and Danish readers read Swedish more easily than English, as a rule.
                return "sv"
    return DEFAULT_LOCALE


def set_locale(locale: str) -> None:
    _current.set(locale if locale in LOCALES else DEFAULT_LOCALE)


def use_locale(locale: str) -> Token[str]:
    """Make ``locale`` current; returns the token :func:`reset_locale` takes to undo it."""
    return _current.set(locale if locale in LOCALES else DEFAULT_LOCALE)


def reset_locale(token: Token[str]) -> None:
    _current.reset(token)


@contextmanager
def in_locale(locale: str) -> Iterator[None]:
    """Translate in ``locale`` inside the block (a mail to someone else), then go back."""
    token = use_locale(locale)
    try:
        yield
    finally:
        reset_locale(token)


def current_locale() -> str:
    return _current.get()


def gettext(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return translations(_current.get()).pgettext(context, message)


_ = gettext
__all__ = ["N_", "gettext", "ngettext", "pgettext", "negotiate", "translations"]


# How dates read in each language: English as written in Europe (8 December 2026), not
# the United States' month first.
_DATE_LOCALES = {"en": "en_GB"}


def _date_locale() -> Locale:
    current = _current.get()
    return Locale.parse(_DATE_LOCALES.get(current, current))


def format_day(value: date | datetime | None, style: str = "long") -> str:
    """A date in the reader's language; ``short`` is ISO 8601 (2026-12-08) in every
    language, as Swedish writes it, never an ambiguous 12/8/26."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if style == "short":
        return value.isoformat()
    return format_date(value, format=style, locale=_date_locale())


def format_moment(value: datetime | None, style: str = "medium") -> str:
    if value is None:
        return ""
    return format_datetime(value, format=style, tzinfo=_STOCKHOLM, locale=_date_locale())


def format_number(value: int | float) -> str:
    return format_decimal(value, locale=Locale.parse(_current.get()))


def language_name(code: str) -> str:
    """The name of a language in the reader's language ("svenska", "Swedish")."""
    if code == "other":
        return gettext("Other language")
    try:
        name: Any = Locale.parse(code).get_display_name(Locale.parse(_current.get()))
    except Exception:  # babel raises UnknownLocaleError (not a ValueError) for odd codes
        return code
    return str(name) if name else code
