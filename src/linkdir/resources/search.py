"""Full-text search: one service function, SQLite FTS5 and PostgreSQL implementations.

Both databases index the same thing: words stemmed in Python with the Snowball Swedish and
English stemmers (so "biblioteken" and "bibliotekens" find "bibliotek" identically on both),
stored in ``resource.search_title`` / ``search_body``. SQLite indexes them with FTS5 (ranked by
bm25), PostgreSQL with a GIN index over ``to_tsvector('simple', …)`` (ranked by ts_rank).
å, ä and ö are kept as themselves: no accent folding anywhere.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import snowballstemmer
from sqlalchemy import ColumnElement, Select, func, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from linkdir.resources.models import Resource, ResourceState, ResourceTopic

# Longer queries are cut: nobody types more, and it bounds the work per request.
MAX_QUERY_TERMS = 12
MIN_PREFIX_LENGTH = 3
_WORD = re.compile(r"[^\W_]+")

_stemmers = {
    "sv": snowballstemmer.stemmer("swedish"),
    "en": snowballstemmer.stemmer("english"),
}


@lru_cache(maxsize=50_000)
def _stems(word: str) -> tuple[str, ...]:
    found = {word}
    for stemmer in _stemmers.values():
        stem = stemmer.stemWord(word)
        if stem:
            found.add(stem)
    return tuple(sorted(found))


def words(text: str) -> list[str]:
    """Lower-cased words of ``text`` (NFC, so å is one letter whatever the input)."""
    return _WORD.findall(unicodedata.normalize("NFC", text).casefold())


def index_text(*parts: str) -> str:
    """Words and their stems, space-separated, for the search columns."""
    seen: dict[str, None] = {}
    for part in parts:
        for word in words(part):
            for stem in _stems(word):
                seen.setdefault(stem, None)
    return " ".join(seen)


@dataclass(frozen=True, slots=True)
class QueryTerm:
    stems: tuple[str, ...]
    prefix: str | None


def parse_query(query: str) -> list[QueryTerm]:
    """Terms of a user's query; punctuation-only or empty queries give no terms."""
    terms: list[QueryTerm] = []
    seen: set[str] = set()
    for word in words(query[:2000]):
        if word in seen:
            continue
        seen.add(word)
        prefix = word if len(word) >= MIN_PREFIX_LENGTH else None
        terms.append(QueryTerm(stems=_stems(word), prefix=prefix))
        if len(terms) >= MAX_QUERY_TERMS:
            break
    return terms


def fts5_match(terms: Iterable[QueryTerm]) -> str:
    # Every term must match (AND); a term matches any of its stems or, as a prefix,
    # the start of a longer word. Words are [^\W_]+ only, so quoting is safe.
    groups = []
    for term in terms:
        options = [f'"{stem}"' for stem in term.stems]
        if term.prefix:
            options.append(f'"{term.prefix}"*')
        groups.append("(" + " OR ".join(options) + ")")
    return " AND ".join(groups)


def tsquery(terms: Iterable[QueryTerm]) -> str:
    groups = []
    for term in terms:
        options = list(term.stems)
        if term.prefix:
            options.append(f"{term.prefix}:*")
        groups.append("(" + " | ".join(options) + ")")
    return " & ".join(groups)


_PG_VECTOR = (
    "(setweight(to_tsvector('simple'::regconfig, resource.search_title), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, resource.search_body), 'B'))"
)


@dataclass(slots=True)
class Facets:
    topics: dict[int, int] = field(default_factory=dict)
    types: dict[str, int] = field(default_factory=dict)
    languages: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class SearchPage:
    items: list[Resource]
    total: int
    page: int
    per_page: int
    facets: Facets
    query_terms: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _matching_ids(dialect: str, terms: list[QueryTerm]) -> tuple[Select[Any], ColumnElement[Any]]:
    """A select of (id, rank) for the matching resources; smaller rank is better."""
    if dialect == "sqlite":
        match = fts5_match(terms)
        query: Any = (
            select(
                literal_column("resource_fts.rowid").label("id"),
                literal_column("bm25(resource_fts, 10.0, 1.0)").label("rank"),
            )
            .select_from(text("resource_fts"))
            .where(text("resource_fts MATCH :match").bindparams(match=match))
        )
        return query, literal_column("rank")
    vector: ColumnElement[Any] = literal_column(_PG_VECTOR)
    ts_query = func.to_tsquery(literal_column("'simple'::regconfig"), tsquery(terms))
    query = select(
        col(Resource.id).label("id"),
        (-func.ts_rank(vector, ts_query)).label("rank"),
    ).where(vector.op("@@")(ts_query))
    return query, literal_column("rank")


async def search(
    session: AsyncSession,
    query: str,
    *,
    topic_id: int | None = None,
    resource_type: str | None = None,
    language: str | None = None,
    states: tuple[str, ...] = (ResourceState.published.value,),
    page: int = 1,
    per_page: int = 20,
) -> SearchPage:
    """Ranked resources matching ``query``, narrowed by facets, with facet counts."""
    terms = parse_query(query)
    page = max(1, page)
    if not terms:
        return SearchPage([], 0, page, per_page, Facets(), 0)
    dialect = session.get_bind().dialect.name
    matches, _ = _matching_ids(dialect, terms)
    matched = matches.subquery("matched")
    filters: list[ColumnElement[bool]] = [col(Resource.state).in_(states)]
    base = select(col(Resource.id)).join(matched, matched.c.id == col(Resource.id))

    def narrowed(skip: str | None = None) -> Select[Any]:
        stmt = base.where(*filters)
        if topic_id is not None and skip != "topic":
            stmt = stmt.where(
                col(Resource.id).in_(
                    select(col(ResourceTopic.resource_id)).where(
                        col(ResourceTopic.topic_id) == topic_id
                    )
                )
            )
        if resource_type and skip != "type":
            stmt = stmt.where(col(Resource.resource_type) == resource_type)
        if language and skip != "language":
            stmt = stmt.where(col(Resource.language) == language)
        return stmt

    hits = narrowed().subquery("hits")
    total = (await session.execute(select(func.count()).select_from(hits))).scalar_one()
    ranked = (
        select(Resource)
        .join(matched, matched.c.id == col(Resource.id))
        .where(col(Resource.id).in_(select(hits.c.id)))
        .order_by(matched.c.rank, col(Resource.id))
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    items = list((await session.execute(ranked)).scalars())
    facets = Facets()
    # Each facet counts what the other facets leave, so choosing a value never hides the others.
    topic_hits = narrowed("topic").subquery()
    for topic, count in await session.execute(
        select(col(ResourceTopic.topic_id), func.count())
        .where(col(ResourceTopic.resource_id).in_(select(topic_hits.c.id)))
        .group_by(col(ResourceTopic.topic_id))
    ):
        facets.topics[topic] = count
    type_hits = narrowed("type").subquery()
    for value, count in await session.execute(
        select(col(Resource.resource_type), func.count())
        .where(col(Resource.id).in_(select(type_hits.c.id)))
        .group_by(col(Resource.resource_type))
    ):
        facets.types[value] = count
    language_hits = narrowed("language").subquery()
    for value, count in await session.execute(
        select(col(Resource.language), func.count())
        .where(col(Resource.id).in_(select(language_hits.c.id)))
        .group_by(col(Resource.language))
    ):
        facets.languages[value] = count
    return SearchPage(items, total, page, per_page, facets, len(terms))
