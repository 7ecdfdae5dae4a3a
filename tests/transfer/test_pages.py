"""Links pages: only the main content's links, with titles, topics and descriptions."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir.config import Settings
from linkdir.transfer import service
from linkdir.transfer.drafts import ParseFailed
from linkdir.transfer.pages import extract_links
from tests.conftest import make_resource, make_settings, make_topic
from tests.transfer.conftest import LinksSite, fixture_bytes

PAGE_URL = "https://regionbibliotek.example/utvecklingsomraden/digital-delaktighet/"


def page() -> str:
    return fixture_bytes("county_library_links.html").decode("utf-8")


def test_only_links_in_the_main_content_become_drafts() -> None:
    parsed = extract_links(page(), PAGE_URL)
    urls = [d.url for d in parsed.drafts]
    assert urls == [
        "https://svenskarnaochinternet.se/rapporter/svenskarna-och-internet-2025/",
        "https://www.kb.se/samverkan-och-utveckling/biblioteksutveckling/digitalt-forst.html",
        "https://regionbibliotek.example/wp-content/uploads/2024/03/Regional-biblioteksplan-2024-2027.pdf",
        "https://digitalkompetens.se/kurser/",
        "https://www.digidel.se/natverk",
        "https://www.statensmedierad.se/larande/kallkritik",
        "https://www.bankid.com/privat/skaffa-bankid",
        "https://www.1177.se/Stockholm/om-1177/nar-du-loggar-in-pa-1177/",
        # the fragment is dropped: the same document as the first link's host, other host
        "https://www.svenskarnaochinternet.se/rapporter/svenskarna-och-internet-2025/",
    ]
    chrome = " ".join(urls)
    for left_out in ("mailto:", "tel:", "javascript:", "/kontakt/", "facebook.com", "/kalender/"):
        assert left_out not in chrome
    assert parsed.source_language == "sv"
    assert parsed.skipped == 1  # "Till toppen av sidan" (#main-content)


def test_titles_topics_and_descriptions_come_from_the_text_around_each_link() -> None:
    drafts = {d.title: d for d in extract_links(page(), PAGE_URL).drafts}
    report = drafts["Svenskarna och internet 2025"]
    assert report.topics == ["Rapporter och undersökningar"]
    assert report.description == (
        "Internetstiftelsens årliga undersökning av svenska folkets internetvanor."
    )
    course = drafts["Digitala kompetenser för bibliotekarier"]
    assert course.topics == ["Kurser och lärande"]
    assert course.description == (
        "För dig som vill fördjupa dig finns Digitala kompetenser för bibliotekarier som webbkurs."
    )
    assert drafts["Digidel-nätverket"].description.startswith("Vill du hellre lära dig i grupp")
    # "Läs mer" under its own heading takes the heading as its title.
    read_more = drafts["Källkritik på biblioteket"]
    assert read_more.url == "https://www.statensmedierad.se/larande/kallkritik"
    assert read_more.description.startswith("Ett lärarmaterial för att arbeta med källkritik")
    assert drafts["Skaffa BankID"].description == "Steg för steg-guide att visa besökare."
    assert drafts["Logga in på 1177"].description == ""


def test_a_page_without_html_fails_as_a_whole() -> None:
    with pytest.raises(ParseFailed):
        extract_links("   ", PAGE_URL)


async def test_the_page_is_fetched_from_a_real_server_and_known_links_are_marked(
    links_site: LinksSite, settings: Settings, session: AsyncSession
) -> None:
    await make_topic(session, slug="rapporter", name_sv="Rapporter och undersökningar")
    known = await make_resource(session, url="https://www.digidel.se/natverk", title="Digidel")
    parsed = await service.fetch_links_page(
        links_site.url("/utvecklingsomraden/digital-delaktighet/"), settings
    )
    review = await service.review(
        session, parsed, allow_networks=settings.checker_allow_networks, default_language="sv"
    )
    assert len(review.rows) == 9
    plan = next(r for r in review.rows if r.url.endswith(".pdf"))
    assert plan.url.startswith(f"http://127.0.0.1:{links_site.port}/wp-content/")
    duplicate = next(r for r in review.rows if r.url == "https://www.digidel.se/natverk")
    assert duplicate.duplicate is not None and duplicate.existing_id == known.id
    report = next(r for r in review.rows if r.draft.title == "Svenskarna och internet 2025")
    assert report.topics[0].slug == "rapporter"  # matched by name, case-insensitively
    course = next(r for r in review.rows if r.draft.title.startswith("Digitala kompetenser"))
    assert course.topics[0].slug is None and course.topics[0].new_name == "Kurser och lärande"


async def test_a_private_address_is_refused_without_allow_networks(
    links_site: LinksSite, database_url: str
) -> None:
    closed = make_settings(database_url, checker_allow_networks=())
    with pytest.raises(ParseFailed) as refused:
        await service.fetch_links_page(
            links_site.url("/utvecklingsomraden/digital-delaktighet/"), closed
        )
    assert "private or local network" in str(refused.value)


async def test_a_links_page_address_with_a_password_is_refused_unasked(
    links_site: LinksSite, settings: Settings
) -> None:
    page_url = links_site.url("/utvecklingsomraden/digital-delaktighet/")
    for address in (
        page_url.replace("http://", "http://anna:hemligt@"),
        page_url.replace("http://", "http://anna@"),
    ):
        with pytest.raises(ParseFailed) as refused:
            await service.fetch_links_page(address, settings)
        assert "user name or password cannot be listed" in str(refused.value)
    assert links_site.hits == []
    with pytest.raises(ParseFailed) as scheme:
        await service.fetch_links_page("ftp://example.se/", settings)
    assert "not ftp:" in str(scheme.value)


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/finns-inte", "HTTP status 404"), ("/rapport.pdf", "application/pdf")],
)
async def test_a_missing_page_or_a_pdf_is_a_clear_failure(
    links_site: LinksSite, settings: Settings, path: str, expected: str
) -> None:
    with pytest.raises(ParseFailed) as failed:
        await service.fetch_links_page(links_site.url(path), settings)
    assert expected in str(failed.value)


async def test_a_page_larger_than_the_limit_is_refused(
    links_site: LinksSite, database_url: str
) -> None:
    small = make_settings(database_url, import_max_bytes=1000)
    with pytest.raises(ParseFailed) as failed:
        await service.fetch_links_page(
            links_site.url("/utvecklingsomraden/digital-delaktighet/"), small
        )
    assert "too large" in str(failed.value)


def test_a_heading_inside_a_list_item_is_no_topic_suggestion() -> None:
    html = """<html lang="sv"><body><main>
      <h2>Digital delaktighet</h2>
      <ul>
        <li><h3>23 saker du kan göra på nätet</h3>
          <a href="https://www.digidel.se/23-saker">Digidels lista</a></li>
        <li><h4>Källkritik</h4><a href="https://www.statensmedierad.se/kallkritik">Läs mer</a></li>
      </ul>
      <h2>Rapporter</h2>
      <p><a href="https://svenskarnaochinternet.se/">Svenskarna och internet</a></p>
    </main></body></html>"""
    drafts = {d.url: d for d in extract_links(html, PAGE_URL).drafts}
    assert drafts["https://www.digidel.se/23-saker"].topics == ["Digital delaktighet"]
    read_more = drafts["https://www.statensmedierad.se/kallkritik"]
    assert read_more.topics == ["Digital delaktighet"]
    assert read_more.title == "Källkritik"  # the item's own heading still names "Läs mer"
    assert drafts["https://svenskarnaochinternet.se/"].topics == ["Rapporter"]
