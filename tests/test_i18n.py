"""Every interface string is translatable and translated into Swedish."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from linkdir.i18n import negotiate, translations

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def source_messages(repo_root: Path) -> set[str]:
    found: set[str] = set()
    keywords = {
        "_": None,
        "gettext": None,
        "ngettext": (1, 2),
        "N_": None,
        "pgettext": ((1, "c"), 2),
    }
    for root, method in (("src/linkdir", "python"), ("templates", "jinja2")):
        options = {"**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}
        mapping = [("**.py", "python")] if method == "python" else [("**.html", "jinja2")]
        for _file, _line, message, _comments, _context in extract_from_dir(
            repo_root / root,
            mapping,
            options_map=options,
            keywords=keywords,
            # Babel skips folders starting with "_" by default: templates/_partials counts.
            directory_filter=lambda path: not Path(path).name.startswith("."),
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def swedish_catalog(repo_root: Path) -> dict[str, object]:
    with (repo_root / "src/linkdir/locale/sv/LC_MESSAGES/messages.po").open("rb") as po_file:
        catalog = read_po(po_file, locale="sv")
    return {(m.id[0] if isinstance(m.id, tuple) else m.id): m.string for m in catalog if m.id}


def test_every_string_in_code_and_templates_is_in_the_swedish_catalog(repo_root: Path) -> None:
    missing = source_messages(repo_root) - set(swedish_catalog(repo_root))
    assert not missing, f"run `make catalogs` and translate: {sorted(missing)}"


def test_every_swedish_entry_is_translated_with_the_same_placeholders(repo_root: Path) -> None:
    for msgid, msgstr in swedish_catalog(repo_root).items():
        strings = list(msgstr) if isinstance(msgstr, tuple) else [msgstr]
        assert all(strings), f"untranslated: {msgid!r}"
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) <= set(PLACEHOLDER.findall(msgid)), msgid


def test_no_swedish_entry_carries_another_message_s_english(repo_root: Path) -> None:
    """Merged catalogs once glued a neighbour's English onto two translations: a Swedish
    visitor read "… du behöver inget konto.Done: you will get no more digests …" under
    the report form. Neither another message's English nor two sentences run together."""
    catalog = swedish_catalog(repo_root)
    long_ids = [msgid for msgid in catalog if len(msgid) >= 20]
    run_together = re.compile(r"[a-zåäö][.!?][A-ZÅÄÖ][a-zåäö]")
    for msgid, msgstr in catalog.items():
        for string in list(msgstr) if isinstance(msgstr, tuple) else [msgstr]:
            glued = [other for other in long_ids if other != msgid and other in string]
            assert not glued, f"{msgid!r} carries {glued}"
            assert not run_together.search(string) or run_together.search(msgid), string


def test_catalogs_load_for_both_languages() -> None:
    assert translations("sv").gettext("Skip to main content") == "Gå till huvudinnehållet"
    assert translations("en").gettext("Skip to main content") == "Skip to main content"


@pytest.mark.parametrize(
    ("query", "cookie", "header", "expected"),
    [
        ("en", "sv", "sv", "en"),
        (None, "en", "sv", "en"),
        (None, None, "en-US,en;q=0.9,sv;q=0.8", "en"),
        (None, None, "de,sv;q=0.5,en;q=0.4", "sv"),
        (None, None, "nb-NO", "sv"),
        (None, None, "fr-FR", "sv"),
        (None, None, "en;q=0", "sv"),
        (None, None, ";;;,q=abc", "sv"),
        ("xx", "yy", None, "sv"),
    ],
)
def test_locale_negotiation(
    query: str | None, cookie: str | None, header: str | None, expected: str
) -> None:
    assert negotiate(query, cookie, header) == expected


def test_dates_read_day_first_and_short_ones_as_iso_in_both_languages() -> None:
    """A Swedish reader of the English pages took "12/8/26" for 12 August."""
    from datetime import UTC, date, datetime

    from linkdir.i18n import format_day, format_moment, set_locale

    day = date(2026, 12, 8)
    try:
        set_locale("en")
        assert format_day(day) == "8 December 2026"
        assert format_day(day, "short") == "2026-12-08"
        assert format_moment(datetime(2026, 12, 8, 9, 5, tzinfo=UTC)).startswith("8 Dec 2026")
        set_locale("sv")
        assert format_day(day) == "8 december 2026"
        assert format_day(day, "short") == "2026-12-08"
    finally:
        set_locale("sv")
