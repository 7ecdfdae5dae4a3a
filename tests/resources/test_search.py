"""Search behaves the same on SQLite (FTS5) and PostgreSQL: Swedish word forms, å/ä/ö, facets."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir.resources import service
from linkdir.resources.search import index_text, parse_query, search
from tests.conftest import make_resource, make_topic


async def titles(session: AsyncSession, query: str, **filters: object) -> list[str]:
    result = await search(session, query, **filters)  # type: ignore[arg-type]
    return [item.title for item in result.items]


@pytest.mark.parametrize("query", ["bibliotek", "biblioteken", "bibliotekens", "Biblioteket"])
async def test_swedish_word_forms_find_the_base_word(session: AsyncSession, query: str) -> None:
    await make_resource(session, title="Bibliotek och digital delaktighet")
    await make_resource(session, title="Skolan och internet")
    assert await titles(session, query) == ["Bibliotek och digital delaktighet"]


async def test_english_word_forms_match_too(session: AsyncSession) -> None:
    await make_resource(session, title="Libraries and digital skills", language="en")
    assert await titles(session, "library") == ["Libraries and digital skills"]


async def test_swedish_letters_are_searched_as_themselves(session: AsyncSession) -> None:
    await make_resource(session, title="Källkritik för äldre")
    await make_resource(session, title="Kallt vatten i sjon")
    assert await titles(session, "källkritik") == ["Källkritik för äldre"]
    assert await titles(session, "äldre") == ["Källkritik för äldre"]
    assert await titles(session, "kallkritik") == []
    # Decomposed input (a + combining ring) is the same letter as å.
    assert await titles(session, "K\u0061\u0308llkritik") == ["Källkritik för äldre"]


async def test_title_matches_rank_before_description_matches(session: AsyncSession) -> None:
    await make_resource(session, title="Om nätverk", description="En rapport om medier och MIK.")
    await make_resource(session, title="MIK för bibliotekarier", description="Kurs.")
    assert (await titles(session, "mik"))[0] == "MIK för bibliotekarier"


async def test_searches_publisher_topics_and_tags(session: AsyncSession) -> None:
    await make_topic(
        session, slug="mik", name_sv="Medie- och informationskunnighet", name_en="Media literacy"
    )
    await make_resource(session, title="A", publisher="Statens medieråd")
    await make_resource(session, title="B", topics=["mik"])
    await make_resource(session, title="C", tags=["västerbotten"])
    assert await titles(session, "medieråd") == ["A"]
    assert await titles(session, "informationskunnighet") == ["B"]
    assert await titles(session, "literacy") == ["B"]
    assert await titles(session, "västerbotten") == ["C"]


async def test_every_word_must_match_and_prefixes_work(session: AsyncSession) -> None:
    await make_resource(session, title="Digital agenda för Västerbotten")
    await make_resource(session, title="Digital kompetens")
    assert await titles(session, "digital västerbotten") == ["Digital agenda för Västerbotten"]
    assert sorted(await titles(session, "digi")) == [
        "Digital agenda för Västerbotten",
        "Digital kompetens",
    ]


async def test_facets_count_and_narrow(session: AsyncSession) -> None:
    mik = await make_topic(session, slug="mik")
    await make_topic(session, slug="agenda")
    await make_resource(session, title="Rapport om MIK", topics=["mik"], resource_type="report")
    await make_resource(session, title="Kurs i MIK", topics=["mik"], resource_type="course")
    await make_resource(
        session, title="MIK in English", topics=["agenda"], resource_type="report", language="en"
    )
    everything = await search(session, "mik")
    assert everything.total == 3
    assert everything.facets.types == {"report": 2, "course": 1}
    assert everything.facets.languages == {"sv": 2, "en": 1}
    assert everything.facets.topics[mik.id] == 2
    narrowed = await search(session, "mik", topic_id=mik.id, resource_type="report")
    assert [item.title for item in narrowed.items] == ["Rapport om MIK"]
    # The type facet still shows the other types within the chosen topic.
    assert narrowed.facets.types == {"report": 1, "course": 1}
    english = await search(session, "mik", language="en")
    assert [item.title for item in english.items] == ["MIK in English"]


async def test_drafts_are_not_found(session: AsyncSession) -> None:
    await make_resource(session, title="Hemlig rapport", state="draft")
    assert await titles(session, "hemlig") == []
    found = await search(session, "hemlig", states=service.ALL_STATES)
    assert found.total == 1


# Queries with no words in them (empty, blanks, only symbols, FTS syntax) and words that
# are in no resource: each answers an empty page with a count of 0, never an error, while
# the resource is there to be found (the control query).
ODD_QUERIES = ["", "   ", "!!! ??? ...", "\"'();--", "*", "OR AND NOT", "x" * 5000]


@pytest.mark.parametrize("query", ODD_QUERIES)
async def test_odd_queries_give_a_normal_answer(session: AsyncSession, query: str) -> None:
    await make_resource(session, title="Något")
    result = await search(session, query)
    assert (result.items, result.total) == ([], 0)
    control = await search(session, "något")
    assert [item.title for item in control.items] == ["Något"] and control.total == 1


async def test_fts_operators_in_queries_are_words_not_syntax(session: AsyncSession) -> None:
    await make_resource(session, title="Title: near the library")
    await make_resource(session, title="Something else")
    result = await search(session, 'NEAR("library") title:library')
    # The operators are words: "library" matches the title instead of raising or
    # matching nothing.
    assert [item.title for item in result.items] == ["Title: near the library"]
    assert result.total == 1


async def test_changes_reach_the_index(session: AsyncSession) -> None:
    resource = await make_resource(session, title="Gammalt namn")
    await service.update_resource(
        session, resource.id, {"title": "Nytt namn"}, by=service.Actor("tests")
    )
    await session.commit()
    assert await titles(session, "gammalt") == []
    assert await titles(session, "nytt") == ["Nytt namn"]
    await service.delete_resource(session, resource.id, by=service.Actor("tests"))
    await session.commit()
    assert await titles(session, "nytt") == []


async def test_renaming_a_topic_reindexes_its_resources(session: AsyncSession) -> None:
    await make_topic(session, slug="t", name_sv="Gammalt ämne", name_en="Old")
    await make_resource(session, title="R", topics=["t"])
    await service.update_topic(session, "t", {"name_sv": "Läsfrämjande"})
    await session.commit()
    assert await titles(session, "läsfrämjande") == ["R"]


async def test_paging_through_results(session: AsyncSession) -> None:
    for number in range(25):
        await make_resource(session, title=f"Rapport nummer {number}")
    first = await search(session, "rapport", per_page=10)
    third = await search(session, "rapport", per_page=10, page=3)
    assert first.total == 25 and first.pages == 3
    assert len(third.items) == 5
    assert not {i.id for i in first.items} & {i.id for i in third.items}


def test_index_text_holds_words_and_stems() -> None:
    words = index_text("Bibliotekens rapporter").split()
    assert "bibliotek" in words and "bibliotekens" in words and "rapport" in words


def test_query_parsing_is_bounded() -> None:
    assert len(parse_query(" ".join(f"ord{n}" for n in range(100)))) == 12
    assert parse_query("...!!!") == []
