"""Reading a page's title, description, language and publisher through the guarded fetcher.

Real loopback sites (tests/checks/conftest.py): names resolve to addresses in 127.0.0.0/8
through the engine's resolver, and the engine allows loopback only when told to.
"""

from __future__ import annotations

import asyncio

import pytest

from linkdir.resources.lookup import LookupFailed, bookmarklet_href, look_up, read_facts
from linkdir.urls import completed_url, public_http_url
from tests.checks.conftest import Web, certs, server_loop, web

__all__ = ["certs", "server_loop", "web"]  # the loopback fixtures, used by name below

PAGE = """<!doctype html>
<html lang="sv-SE"><head>
<title>Digitalt först – Kungliga biblioteket</title>
<meta name="description" content="  Så arbetar  biblioteken med
digital delaktighet. ">
<meta property="og:site_name" content="Kungliga biblioteket">
<meta property="og:locale" content="en_GB">
</head><body><h1>Något annat</h1></body></html>"""


async def test_title_description_language_and_publisher_come_from_the_page(web: Web) -> None:
    site = web.site("www.kb.se", {"/digitalt-forst": web.html(PAGE)})
    facts = await look_up(site.url("/digitalt-forst"), web.config())
    assert facts.title == "Digitalt först"  # the site's name after the dash is dropped
    assert facts.description == "Så arbetar biblioteken med digital delaktighet."
    assert facts.language == "sv"  # <html lang> before og:locale
    assert facts.publisher == "Kungliga biblioteket"
    assert facts.url == site.url("/digitalt-forst")
    assert site.hits("/digitalt-forst")[0].headers["user-agent"].startswith("linkdir/test")


async def test_og_tags_and_headers_stand_in_for_what_the_page_lacks(web: Web) -> None:
    page = (
        "<html><head><title>Start | Digidel</title>"
        '<meta property="og:title" content="Digidelnätverket">'
        '<meta property="og:description" content="Ett nätverk för digital delaktighet.">'
        "</head><body></body></html>"
    )
    site = web.site(
        "digidel.se",
        {
            "/": web.redirect("/natverk"),
            "/natverk": web.html(page, headers=[("Content-Language", "nb-NO, sv")]),
        },
    )
    facts = await look_up(site.url("/"), web.config())
    assert facts.title == "Digidelnätverket"
    assert facts.description == "Ett nätverk för digital delaktighet."
    assert facts.language == "no"  # Bokmål is listed as Norwegian
    assert facts.publisher == "digidel.se"  # no og:site_name: the host
    assert facts.final_url == site.url("/natverk")


def test_a_page_in_a_language_the_directory_lacks_is_other() -> None:
    facts = read_facts(
        '<html lang="it"><title>Biblioteca</title></html>',
        url="https://www.example.it/",
        final_url="https://www.example.it/",
    )
    assert (facts.language, facts.title, facts.publisher) == ("other", "Biblioteca", "example.it")


async def test_a_name_that_resolves_to_a_private_address_is_never_fetched(web: Web) -> None:
    site = web.site("intranat.kommun.se", {"/": web.html(PAGE)})
    with pytest.raises(LookupFailed) as failed:
        await look_up(site.url("/"), web.config(allow_networks=()))
    assert failed.value.reason == "blocked_address"
    assert "private" in failed.value.error.message
    assert site.requests == []


async def test_a_private_address_is_refused_before_any_connection() -> None:
    with pytest.raises(LookupFailed) as failed:
        await look_up("http://192.168.1.10/admin", web_config_without_loopback())
    assert failed.value.reason == "invalid_url"
    assert failed.value.error.field == "url"
    assert "private" in failed.value.error.message


def web_config_without_loopback() -> object:
    from linkdir.checker import EngineConfig

    return EngineConfig(timeout=2.0)


async def test_a_server_that_does_not_answer_in_time_is_a_timeout(web: Web) -> None:
    async def silent(_request: object, reader: asyncio.StreamReader, _writer: object) -> bool:
        await reader.read()  # until the fetcher gives up and hangs up
        return False

    site = web.site("slow.kb.se", {"/": web.Raw(silent)})
    with pytest.raises(LookupFailed) as failed:
        await look_up(site.url("/"), web.config(timeout=1.0, read_timeout=0.5, max_retries=0))
    assert failed.value.reason == "timeout"
    assert "in time" in failed.value.error.message


async def test_a_missing_page_and_a_pdf_say_what_happened(web: Web) -> None:
    site = web.site(
        "www.mprt.se",
        {"/rapport.pdf": web.Reply(200, b"%PDF-1.7 ...", content_type="application/pdf")},
    )
    with pytest.raises(LookupFailed) as missing:
        await look_up(site.url("/finns-inte"), web.config())
    assert missing.value.reason == "http_404" and not missing.value.is_notice
    assert missing.value.error.params == {"status": 404}
    with pytest.raises(LookupFailed) as pdf:
        await look_up(site.url("/rapport.pdf"), web.config())
    assert pdf.value.reason == "not_html" and pdf.value.is_notice
    assert pdf.value.error.params == {"type": "application/pdf"}


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("www.kb.se/bibliotek", "https://www.kb.se/bibliotek"),
        ("kb.se", "https://kb.se/"),
        ("KB.se:8443/sok?q=1", "https://kb.se:8443/sok?q=1"),
        ("//www.kb.se/a", "https://www.kb.se/a"),
        ("http://kb.se/", "http://kb.se/"),
    ],
)
def test_bare_addresses_are_completed_to_https(typed: str, stored: str) -> None:
    assert public_http_url(typed, complete=True) == stored


@pytest.mark.parametrize(
    "typed", ["javascript:alert(1)", "mailto:info@kb.se", "info@kb.se", "intranet", "localhost/x"]
)
def test_what_is_no_bare_address_is_left_for_the_url_rule(typed: str) -> None:
    assert completed_url(typed) == typed


def test_the_bookmarklet_is_one_javascript_address_with_the_site_escaped() -> None:
    href = bookmarklet_href('https://länkar.example.se/a"b%41/')
    assert href.startswith("javascript:")
    code = href.removeprefix("javascript:")
    assert " " not in code and '"' not in code and "<" not in code
    # A browser percent-decodes the address before it runs it: the quote and the "%41"
    # in the site's address must come out as they are, not as the end of a string or "A".
    assert "%2541" in code and "%22" in code
    assert "location.href" in code and "document.title" in code and "getSelection" in code
