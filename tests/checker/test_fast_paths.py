"""The checker's cheaper paths give what the general ones give (issue 12, fourth pass)."""

from __future__ import annotations

from datetime import date

import httpx

from linkdir.checker import classify
from linkdir.checker.fetch import header_values

TODAY = date(2026, 12, 1)


def _page(head: str, text: str) -> bytes:
    return (
        f"<!doctype html><html><head>{head}<title>Öppettider</title></head><body>"
        f"<main><h1>Öppettider i sommar</h1><p>{text}</p></main></body></html>"
    ).encode()


def test_header_lookups_give_what_httpx_headers_get_gives():
    raw = [
        (b"Content-Type", b"text/html; charset=utf-8"),
        (b"Set-Cookie", b"a=1"),
        (b"set-cookie", b"b=2"),
        (b"ETag", b'"x"'),
        (b"X-Empty", b""),
        (b"Location", "/sök".encode()),
    ]
    headers = httpx.Headers(raw)
    values = header_values(headers)
    for name in ("content-type", "set-cookie", "etag", "x-empty", "location", "missing"):
        assert values.get(name) == headers.get(name), name
    assert values["set-cookie"] == "a=1, b=2"


def test_a_utf8_body_is_read_as_utf8_whatever_its_meta_charset_says():
    # The header's charset wins over <meta>; the bytes are parsed as they came.
    body = _page("<meta charset='iso-8859-1'>", "Sommarläsning för små och stora.")
    page = classify.analyse(body, "utf-8", today=TODAY)
    assert page is not None
    assert page.title == "Öppettider"
    assert "Sommarläsning för små och stora." in page.main_text


def test_a_latin1_body_is_decoded_before_parsing():
    body = _page("", "Sommarläsning för små och stora.").decode().encode("latin-1")
    page = classify.analyse(body, "iso-8859-1", today=TODAY)
    assert page is not None
    assert page.title == "Öppettider"
    assert "Sommarläsning för små och stora." in page.main_text


def test_a_body_cut_in_the_middle_of_a_character_keeps_the_text_before_it():
    body = _page("", "Sommarläsning för små och stora.")
    cut = body[: body.index(b"stora")] + "å".encode()[:1]
    page = classify.analyse(cut, "utf-8", today=TODAY)
    assert page is not None
    assert page.main_text.endswith("för små och")
    assert "\ufffd" not in page.main_text
