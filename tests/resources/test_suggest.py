"""Forgiving search: misspelt and diacritic-less queries get a "did you mean" from the
directory's own words, while å, ä and ö stay letters of their own in normal matching."""

from __future__ import annotations

from collections import Counter
from typing import Any

import lxml.html
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir.resources.search import index_text
from linkdir.resources.suggest import Lexicon, count_terms
from tests.conftest import make_resource, make_topic

Client = AsyncTestClient[Any]


def parse(html: str) -> Any:
    return lxml.html.fromstring(html)


def text(node: Any) -> str:
    return " ".join(node.text_content().split())


async def directory(session: AsyncSession) -> None:
    topic = await make_topic(session, slug="mik", name_sv="Medie- och informationskunnighet")
    await make_resource(
        session,
        title="Digital delaktighet på biblioteket",
        description="Hur bibliotek arbetar med digital delaktighet.",
        topics=[topic.slug],
    )
    await make_resource(
        session, title="Kurs i källkritik", description="En webbkurs.", tags=["kurs"]
    )
    await make_resource(session, title="Handledning i källkritik", topics=[topic.slug])
    await make_resource(session, title="Studie om äldres internetvanor")
    await make_resource(session, title="Sjöar och vattendrag")


def lexicon(*texts: str) -> Lexicon:
    return Lexicon.of(count_terms(index_text(t) for t in texts))


def test_diacritics_are_put_back_and_typos_mended() -> None:
    words = lexicon(
        "Kurs i källkritik", "Studie om äldres internetvanor", "Digital delaktighet", "Sjöar"
    )
    assert words.correct_query("kallkritik") == "källkritik"
    assert words.correct_query("aldre") == "äldre"
    assert words.correct_query("digital delaktihet") == "digital delaktighet"
    assert words.correct_query("källkritik") is None, "a known word is left alone"
    assert words.correct_query("sjo") is None, "short words are never corrected"


def test_the_commoner_word_wins_a_tie() -> None:
    words = Lexicon.of(Counter({"kurs": 1, "kurser": 1, "rapport": 9, "raport": 1}))
    assert words.correct("rapprt") == "rapport"


async def test_diacritic_less_query_finds_nothing_by_itself_but_offers_the_word(
    client: Client, session: AsyncSession
) -> None:
    await directory(session)
    page = parse((await client.get("/search", params={"q": "kallkritik"})).text)
    suggestion = page.xpath("//div[@class='suggestion']")[0]
    assert "Visar träffar för ”källkritik” i stället" in text(suggestion)
    link = suggestion.xpath(".//a")[0]
    assert text(link) == "källkritik"
    assert link.get("href") == "/search?q=k%C3%A4llkritik"
    titles = [text(h) for h in page.xpath("//section[contains(@class,'results')]//h3")]
    assert sorted(titles) == ["Handledning i källkritik", "Kurs i källkritik"]


async def test_misspelt_query_in_english_says_did_you_mean(
    client: Client, session: AsyncSession
) -> None:
    await directory(session)
    page = parse(
        (await client.get("/search", params={"q": "digital delaktihet", "lang": "en"})).text
    )
    suggestion = text(page.xpath("//div[@class='suggestion']")[0])
    assert "Did you mean: digital delaktighet" in suggestion
    assert "Showing results for “digital delaktighet” instead" in suggestion


async def test_a_and_a_ring_stay_distinct_in_normal_matching(
    client: Client, session: AsyncSession
) -> None:
    await directory(session)
    await make_resource(session, title="Sjoar i Norge", language="en")
    page = parse((await client.get("/search", params={"q": "sjoar"})).text)
    titles = [text(h) for h in page.xpath("//section[contains(@class,'results')]//h3")]
    assert titles == ["Sjoar i Norge"], "sjoar does not find sjöar"
    assert not page.xpath("//div[@class='suggestion']"), "a query with hits is not corrected"


async def test_a_word_added_later_is_suggested(client: Client, session: AsyncSession) -> None:
    await directory(session)
    first = await client.get("/search", params={"q": "programering"})
    assert "suggestion" not in first.text
    await make_resource(session, title="Programmering för nybörjare")
    page = parse((await client.get("/search", params={"q": "programering"})).text)
    assert "programmering" in text(page.xpath("//div[@class='suggestion']")[0])


async def test_no_empty_facet_headings(client: Client, session: AsyncSession) -> None:
    await directory(session)
    page = parse((await client.get("/search", params={"q": "finnsintealls"})).text)
    assert not page.xpath("//*[contains(@class,'facets')]"), "nothing to narrow: no facets"
    page = parse((await client.get("/search", params={"q": "sjöar"})).text)
    headings = [text(h) for h in page.xpath("//*[contains(@class,'facets')]//h3")]
    assert "Ämne" not in headings, "the only hit has no topic"
    assert headings == ["Typ", "Språk"]
