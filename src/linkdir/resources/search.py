"""Full-text search: one service function, SQLite FTS5 and PostgreSQL implementations.

Both databases index the same thing: words stemmed in Python with the Snowball Swedish and
English stemmers (so "biblioteken" and "bibliotekens" find "bibliotek" identically on both),
stored in ``resource.search_title`` / ``search_body``. SQLite indexes them with FTS5 (ranked by
bm25), PostgreSQL with a GIN index on a stored ``to_tsvector('simple', …)`` column (ranked by
ts_rank). å, ä and ö are kept as themselves: no accent folding anywhere.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import snowballstemmer
from sqlalchemy import ColumnElement, String, func, literal_column, select, text, union_all
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
    if word.isascii() and word.isdigit():
        # Numbers have no stems; report numbers and years would only fill the cache.
        return (word,)
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


# A generated, stored column on PostgreSQL (see the first migration).
_PG_VECTOR = "resource.search_vector"


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


def _matches(dialect: str, terms: list[QueryTerm], *, ranked: bool) -> Any:
    """A select of the matching resource ids (and their rank: smaller is better)."""
    if dialect == "sqlite":
        columns: list[Any] = [literal_column("resource_fts.rowid").label("id")]
        if ranked:
            columns.append(literal_column("bm25(resource_fts, 10.0, 1.0)").label("rank"))
        return (
            select(*columns)
            .select_from(text("resource_fts"))
            .where(text("resource_fts MATCH :match").bindparams(match=fts5_match(terms)))
        )
    pg_columns: list[Any] = [col(Resource.id).label("id")]
    if ranked:
        pg_columns.append((-func.ts_rank(_pg_vector(), _pg_query(terms))).label("rank"))
    return select(*pg_columns).where(_pg_condition(terms))


def _pg_vector() -> ColumnElement[Any]:
    return literal_column(_PG_VECTOR)


def _pg_query(terms: list[QueryTerm]) -> ColumnElement[Any]:
    return func.to_tsquery(literal_column("'simple'::regconfig"), tsquery(terms))


def _pg_condition(terms: list[QueryTerm]) -> ColumnElement[bool]:
    return _pg_vector().op("@@")(_pg_query(terms))


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
    """Ranked resources matching ``query``, narrowed by facets, with facet counts.

    Two statements whatever the filters: one counts (total and every facet, from one
    materialised match without ranking), one ranks and fetches the page. Each facet counts
    what the other filters leave, so choosing a value never hides the others.
    """
    terms = parse_query(query)
    page = max(1, page)
    if not terms:
        return SearchPage([], 0, page, per_page, Facets(), 0)
    dialect = session.get_bind().dialect.name
    in_topic = (
        select(col(ResourceTopic.resource_id)).where(col(ResourceTopic.topic_id) == topic_id)
        if topic_id is not None
        else None
    )

    facet_columns: tuple[Any, ...] = (
        col(Resource.id).label("id"),
        col(Resource.resource_type).label("resource_type"),
        col(Resource.language).label("language"),
    )
    if dialect == "sqlite":
        # Materialised: the FTS5 match runs once per statement, not once per row.
        matched = _matches(dialect, terms, ranked=False).cte("matched")
        found = select(*facet_columns).join(
            matched.prefix_with("MATERIALIZED"), matched.c.id == col(Resource.id)
        )
    else:
        # One scan with the condition on the table lets PostgreSQL use the GIN index.
        found = select(*facet_columns).where(_pg_condition(terms))
    candidates = (
        found.where(col(Resource.state).in_(states)).cte("candidates").prefix_with("MATERIALIZED")
    )
    by_type_and_language = select(
        literal_column("'tl'").label("kind"),
        candidates.c.resource_type.label("a"),
        candidates.c.language.label("b"),
        func.count().label("n"),
    ).group_by(candidates.c.resource_type, candidates.c.language)
    if in_topic is not None:
        by_type_and_language = by_type_and_language.where(candidates.c.id.in_(in_topic))
    by_topic = (
        select(
            literal_column("'t'").label("kind"),
            func.cast(col(ResourceTopic.topic_id), String).label("a"),
            literal_column("''").label("b"),
            func.count().label("n"),
        )
        .join(candidates, candidates.c.id == col(ResourceTopic.resource_id))
        .group_by(col(ResourceTopic.topic_id))
    )
    if resource_type:
        by_topic = by_topic.where(candidates.c.resource_type == resource_type)
    if language:
        by_topic = by_topic.where(candidates.c.language == language)
    facets = Facets()
    total = 0
    for kind, first, second, count in await session.execute(
        union_all(by_type_and_language, by_topic)
    ):
        if kind == "t":
            facets.topics[int(first)] = count
            continue
        type_ok = not resource_type or first == resource_type
        language_ok = not language or second == language
        if language_ok:
            facets.types[first] = facets.types.get(first, 0) + count
        if type_ok:
            facets.languages[second] = facets.languages.get(second, 0) + count
        if type_ok and language_ok:
            total += count

    items: list[Resource] = []
    if total:
        if dialect == "sqlite":
            ranked = _matches(dialect, terms, ranked=True).subquery("ranked")
            stmt = select(Resource).join(ranked, ranked.c.id == col(Resource.id))
            rank: Any = ranked.c.rank
        else:
            stmt = select(Resource).where(_pg_condition(terms))
            rank = -func.ts_rank(_pg_vector(), _pg_query(terms))
        stmt = (
            stmt.where(col(Resource.state).in_(states))
            .order_by(rank, col(Resource.id))
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
        if in_topic is not None:
            stmt = stmt.where(col(Resource.id).in_(in_topic))
        if resource_type:
            stmt = stmt.where(col(Resource.resource_type) == resource_type)
        if language:
            stmt = stmt.where(col(Resource.language) == language)
        items = list((await session.execute(stmt)).scalars())
    return SearchPage(items, total, page, per_page, facets, len(terms))


def matching(dialect: str, query: str) -> Any | None:
    """A subquery of the ids (``id``) and ranks (``rank``, smaller is better) matching ``query``.

    The same stemmed match as :func:`search`, for other listings to filter and order by
    (the curators' resource list, issue 16); None when the query has no words.
    """
    terms = parse_query(query)
    if not terms:
        return None
    return _matches(dialect, terms, ranked=True).subquery("matching")
