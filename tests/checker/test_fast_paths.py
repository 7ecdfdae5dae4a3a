"""The checker's cheaper paths give what the general ones give (issue 12, fourth pass)."""

from __future__ import annotations

import json
import multiprocessing
import pickle
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from http import HTTPStatus

import httpx

from linkdir.checker import classify, fetch, lexicon
from linkdir.checker.fetch import header_values
from linkdir.checker.types import CheckResult, Redirect

TODAY = date(2026, 12, 1)


def _page(head: str, text: str) -> bytes:
    return (
        f"<!doctype html><html><head>{head}<title>Öppettider</title></head><body>"
        f"<main><h1>Öppettider i sommar</h1><p>{text}</p></main></body></html>"
    ).encode()


_RAW_HEADERS = [
    (b"Content-Type", b"text/html; charset=utf-8"),
    (b"Set-Cookie", b"a=1"),
    (b"set-cookie", b"b=2"),
    (b"ETag", b'"x"'),
    (b"X-Empty", b""),
    (b"Location", "/sök".encode()),
]


def test_header_lookups_give_what_httpx_headers_get_gives():
    raw = _RAW_HEADERS
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


# ------------------------------------------------------------ fifth pass (issue 12)


def _results() -> list[CheckResult]:
    plain = CheckResult(
        url='https://example.se/sök?q=a&b="c"',
        status="ok",
        http_status=200,
        reason="ok",
        final_url="https://example.se/sök",
        redirects=(),
        modified=None,
        content_hash=None,
        elapsed_ms=12,
        checked_at=datetime(2026, 12, 2, 18, 30, 5, 123456, tzinfo=UTC),
    )
    moved = replace(
        plain,
        url="http://a.se/x\\y\u2028\x01",
        status="moved",
        http_status=301,
        reason="moved_other_site",
        final_url="http://b.se/",
        elapsed_ms=0,
        redirects=(Redirect("http://a.se/x", 301), Redirect('http://a.se/ö"', 308)),
        modified=date(2019, 4, 2),
        content_hash="ab",
        other_site=True,
        checked_at=datetime(2026, 12, 2, 19, 30, tzinfo=timezone(timedelta(hours=1))),
        title="Titel",
        content_type="text/html",
        etag='"e"',
        moved_to="http://b.se/",
    )
    invalid = replace(
        plain, url="not a url", status="broken", http_status=None, reason="invalid_url",
        final_url=None, elapsed_ms=3, detail="no scheme",
    )  # fmt: skip
    limited = replace(
        plain, url="http://c.se/", status="unverified", reason="rate_limited",
        http_status=HTTPStatus.TOO_MANY_REQUESTS, final_url="http://c.se/", elapsed_ms=30_000,
        attempts=3,
    )  # fmt: skip
    return [plain, moved, invalid, limited]


def test_the_json_line_of_a_result_is_what_json_dumps_writes():
    for result in _results():
        assert result.to_json_text() == json.dumps(result.to_json(), ensure_ascii=False)
        assert json.loads(result.to_json_text()) == result.to_json()


def test_a_result_survives_the_trip_to_another_process():
    results = _results()
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        back = pool.apply(_echo, (results,))
    assert back == results
    for before, after in zip(results, back, strict=True):
        for name in CheckResult.__dataclass_fields__:
            assert getattr(after, name) == getattr(before, name), name
    assert pickle.loads(pickle.dumps(results[1].redirects)) == results[1].redirects


def _echo(results: list[CheckResult]) -> list[CheckResult]:
    return results


def test_role_main_is_the_main_text_when_the_page_has_no_single_main():
    shapes = {
        "<main>Första</main><main>Andra</main><div role='main'><p>Sidans text.</p></div>": (
            "Sidans text."
        ),
        "<div role='main'>Rollen</div><main><p>Huvudtexten står här.</p></main>": (
            "Huvudtexten står här."
        ),
    }
    for inner, expected in shapes.items():
        body = f"<html><head><title>T</title></head><body>{inner}</body></html>".encode()
        page = classify.analyse(body, "utf-8", today=TODAY)
        assert page is not None and page.main_text == expected, inner


_ADDRESSES = [
    # plain: taken by the fast path
    "http://127.0.1.5:43211/docs/page-123.html",
    "https://www.kb.se/",
    "https://www.kb.se/om-oss/kontakt.html?lang=sv&x=1",
    "https://example.se:8443/a/b/c-d_e~f",
    "http://example.se:443/",
    "https://example.se/?",
    "https://a-b.example.se/path//double/",
    "http://example.se:80/",  # the default port is dropped, as httpx does
    "https://example.se:443/x",
    "http://xn--rksmrgs-5wao1o.se/",
    "http://1.2.3/",  # not an IPv4 address: a name
    "http://example.se:99999/",
    # not plain: httpx's parser decides
    "HTTP://Example.SE/",
    "http://example.se",
    "http://example.se/./a/../b",
    "http://example.se/.well-known/x",
    "http://example.se/a/..",
    "http://example.se/sök",
    "http://example.se/a b",
    "http://example.se/%7Euser",
    "http://example.se/?q=a b&r=%20",
    "http://example.se/#frag",
    "http://user:pw@example.se/",
    "http://räksmörgås.se/",
    "http://[::1]:8080/",
    "http://256.1.1.1/",
    "http://01.2.3.4/",
    "http://example.se:080/",
    "ftp://example.se/",
]


def test_a_plain_address_is_the_url_httpx_would_make():
    taken = []
    for address in _ADDRESSES:
        fast = fetch._plain_url(address)
        if fast is None:
            continue
        taken.append(address)
        general = httpx.URL(address)
        assert fast._uri_reference == general._uri_reference, address
        assert fast == general and str(fast) == str(general), address
        assert (fast.raw_host, fast.port, fast.raw_path, fast.host) == (
            general.raw_host,
            general.port,
            general.raw_path,
            general.host,
        ), address
        assert fetch.join(fast, "../x?y#z") == fetch.join(general, "../x?y#z")
    assert taken == _ADDRESSES[:12]


def test_parse_url_gives_what_it_gave_before_the_fast_path():
    for address in _ADDRESSES:
        parsed = fetch.parse_url(address)
        try:
            general = httpx.URL(address)
        except httpx.InvalidURL:
            assert isinstance(parsed, str), address
            continue
        if general.scheme not in ("http", "https"):
            assert isinstance(parsed, str), address
            continue
        assert not isinstance(parsed, str), address
        assert parsed == general.copy_with(fragment=None), address


def test_header_values_from_the_raw_bytes_are_what_httpx_headers_give():
    ascii_only = [*_RAW_HEADERS[:-1], (b"SET-COOKIE", b"c=3")]
    utf8 = [*_RAW_HEADERS, (b"X-\xc3\x96", b"v")]
    latin1 = [*utf8, (b"X-Name", "Malmö".encode("latin-1"))]  # not UTF-8: all latin-1
    for raw in (ascii_only, utf8, latin1, []):
        assert fetch.raw_header_values(raw) == fetch.header_values(httpx.Headers(raw))
    assert fetch.raw_header_values(utf8)["location"] == "/sök"
    assert fetch.raw_header_values(latin1)["location"] == "/sÃ¶k"  # as httpx reads it


def test_folding_skips_the_translation_only_when_there_is_nothing_to_translate():
    def reference(text: str) -> str:
        return " ".join(text.lower().translate(lexicon._FOLD).split())

    texts = ["Dokument 11: digital delaktighet", "Öppettider  i SOMMAR", "", "   "]
    texts += [f"Sidan{chr(code)}finns inte" for code in lexicon._FOLD]
    texts += ["Sidan ’finns’ – inte «här»", "Det\u00adär\u200bord"]
    for text in texts:
        assert lexicon.fold(text) == reference(text), repr(text)
    assert lexicon.fold("Sidan – finns ’inte’") == "sidan - finns 'inte'"
