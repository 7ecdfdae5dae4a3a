"""Forgiving search: "did you mean …?" from the directory's own words (issue 17).

Normal matching keeps å, ä and ö as letters of their own (``search.py``). Only here, when a
query finds little or nothing, are words compared without diacritics and with a small edit
distance: ``kallkritik`` → *källkritik*, ``aldre`` → *äldre*, ``delaktihet`` → *delaktighet*.

The vocabulary (every term of the published resources' search index — the words of their
titles, descriptions, publishers, topic names and tags, and the words' stems — with the
number of resources it occurs in) is held by a :class:`Vocabulary` that
the app builds in its lifespan. It is rebuilt when the directory changes, which it notices
cheaply from the newest revision id (every change to a resource writes one) and the topics'
last change — so writes from other processes (workers, the CLI) count too.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import extractOne
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from linkdir.resources.models import (
    Resource,
    ResourceState,
    Revision,
    Topic,
)
from linkdir.resources.search import MIN_PREFIX_LENGTH, SearchPage, _stems, search, words

log = logging.getLogger("linkdir.search")

# "Little or nothing": fewer hits than this and a correction is looked for.
FEW_RESULTS = 3
# A rebuild faster than this is done in the request that notices the change; a slower one
# (a large directory) runs in the background while the previous vocabulary answers.
SYNC_BUILD_SECONDS = 0.25
# The first build waits until start-up (migrations, the first requests) is over.
STARTUP_DELAY = 2.0


def fold(word: str) -> str:
    """``word`` without diacritics: ``källkritik`` → ``kallkritik`` (for comparing only)."""
    decomposed = unicodedata.normalize("NFD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _max_distance(length: int) -> int:
    # Short words are too close to each other: "sjö" and "sju" must not correct each other.
    if length < 4:
        return 0
    return 1 if length < 7 else 2


@dataclass(frozen=True, slots=True)
class Lexicon:
    """The search index's terms at one moment, arranged for quick look-ups."""

    # Term (a word or its stem, as the index holds them) -> resources it occurs in.
    frequency: dict[str, int]
    sorted_words: list[str]
    by_folded: dict[str, str]
    # Terms with diacritics, by their folded form: "aldr" -> "äldr".
    stem_by_folded: dict[str, str]
    # Folded terms grouped by length, most frequent first (ties go to the commoner one).
    by_length: dict[int, tuple[list[str], list[str]]]

    @classmethod
    def of(cls, frequency: Counter[str]) -> Lexicon:
        """Arrange counted terms."""
        ranked = sorted(frequency.items(), key=lambda item: (-item[1], item[0]))
        by_folded: dict[str, str] = {}
        by_length: dict[int, tuple[list[str], list[str]]] = {}
        stem_by_folded: dict[str, str] = {}
        for term, _count in ranked:
            folded = fold(term)
            by_folded.setdefault(folded, term)
            if folded != term:
                stem_by_folded.setdefault(folded, term)
            folded_terms, surface = by_length.setdefault(len(folded), ([], []))
            folded_terms.append(folded)
            surface.append(term)
        return cls(dict(frequency), sorted(frequency), by_folded, stem_by_folded, by_length)

    def __len__(self) -> int:
        return len(self.frequency)

    def knows(self, word: str) -> bool:
        """Whether the search finds ``word``: itself, by a stem, or as a prefix."""
        if word in self.frequency or any(stem in self.frequency for stem in _stems(word)):
            return True
        if len(word) < MIN_PREFIX_LENGTH:
            return False
        at = bisect.bisect_left(self.sorted_words, word)
        return at < len(self.sorted_words) and self.sorted_words[at].startswith(word)

    def correct(self, word: str) -> str | None:
        """The directory's word ``word`` was most likely meant to be, or None."""
        folded = fold(word)
        exact = self.by_folded.get(folded)
        if exact is not None and exact != word:
            return exact
        # Diacritics put back on a known stem, the ending kept: "aldre" -> "äldre".
        for length in range(len(folded) - 1, MIN_PREFIX_LENGTH - 1, -1):
            stem = self.stem_by_folded.get(folded[:length])
            if stem is not None:
                restored = stem + folded[length:]
                if restored != word and self.knows(restored):
                    return restored
        limit = _max_distance(len(folded))
        if not limit:
            return None
        best: tuple[int, int, str] | None = None  # (distance, -resources, word)
        for length in range(len(folded) - limit, len(folded) + limit + 1):
            group = self.by_length.get(length)
            if group is None:
                continue
            found = extractOne(
                folded, group[0], scorer=Levenshtein.distance, processor=None, score_cutoff=limit
            )
            if found is None:
                continue
            surface = group[1][found[2]]
            rank = (int(found[1]), -self.frequency[surface], surface)
            if best is None or rank < best:
                best = rank
        return best[2] if best is not None else None

    def correct_query(self, query: str) -> str | None:
        """``query`` with its unknown words corrected, or None when nothing changed."""
        changed = False
        corrected: list[str] = []
        for word in words(query[:2000]):
            replacement = None if self.knows(word) else self.correct(word)
            if replacement is not None and replacement != word:
                changed = True
                corrected.append(replacement)
            else:
                corrected.append(word)
        return " ".join(corrected) if changed else None


EMPTY = Lexicon.of(Counter())


def count_terms(indexed: Iterable[str]) -> Counter[str]:
    """How many resources each term of the search index occurs in.

    Read from the stored search columns (``index_text``: words and their stems), so the
    vocabulary holds exactly what the search can match, and counting is a C-speed split.
    """
    frequency: Counter[str] = Counter()
    for text in indexed:
        frequency.update(set(text.split()))
    return frequency


async def _signature(session: AsyncSession) -> tuple[Any, ...]:
    revisions = select(func.max(col(Revision.id))).scalar_subquery()
    topics = select(func.max(col(Topic.updated_at))).scalar_subquery()
    topic_count = select(func.count(col(Topic.id))).scalar_subquery()
    row = (await session.execute(select(revisions, topics, topic_count))).one()
    return tuple(row)


async def _read_terms(session: AsyncSession) -> list[str]:
    # Topic names and tags are in search_body already (service.reindex).
    rows = await session.execute(
        select(col(Resource.search_title), col(Resource.search_body)).where(
            col(Resource.state) == ResourceState.published.value
        )
    )
    return [f"{title} {body}" for title, body in rows]


@dataclass(slots=True)
class Vocabulary:
    """The directory's words, kept in step with the database (one per app, from its lifespan)."""

    session_factory: async_sessionmaker[AsyncSession]
    lexicon: Lexicon | None = None
    signature: tuple[Any, ...] | None = None
    build_seconds: float = 0.0
    built_at: float = 0.0
    _building: asyncio.Task[None] | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def current(self) -> Lexicon:
        """The vocabulary as of now (or, while a large one is rebuilt, as of the last build)."""
        async with self.session_factory() as session:
            signature = await _signature(session)
        if self.lexicon is not None and signature == self.signature:
            return self.lexicon
        if self.lexicon is not None and self.build_seconds > SYNC_BUILD_SECONDS:
            # Rebuilt in the background, and at most a tenth of the time, so a busy day of
            # edits on a large directory does not keep a core counting words.
            resting = time.monotonic() - self.built_at < 10 * self.build_seconds
            if not resting and (self._building is None or self._building.done()):
                self._building = asyncio.create_task(self._rebuild_logged())
            return self.lexicon
        await self.rebuild()
        return self.lexicon or EMPTY

    def start(self, delay: float = STARTUP_DELAY) -> None:
        """Build in the background soon after start-up; a look-up before then waits for it."""

        async def build_later() -> None:
            await asyncio.sleep(delay)
            await self._rebuild_logged()

        self._building = asyncio.create_task(build_later())

    async def rebuild(self) -> None:
        """Read every published text and count its words."""
        async with self._lock:
            started = time.perf_counter()
            async with self.session_factory() as session:
                signature = await _signature(session)
                if self.lexicon is not None and signature == self.signature:
                    return
                texts = await _read_terms(session)
            # Counting 100,000 resources' terms takes a while: not on the event loop's thread.
            lexicon = await asyncio.to_thread(lambda: Lexicon.of(count_terms(texts)))
            self.lexicon, self.signature = lexicon, signature
            self.build_seconds = time.perf_counter() - started
            self.built_at = time.monotonic()
            log.debug("vocabulary: %d words in %.2f s", len(lexicon), self.build_seconds)

    async def _rebuild_logged(self) -> None:
        # In the background nobody awaits the task: a failure (the database away for a
        # moment) is logged, the old vocabulary stays, and the next look-up tries again.
        try:
            await self.rebuild()
        except Exception:
            log.exception("could not rebuild the search vocabulary")

    async def close(self) -> None:
        """Stop a rebuild under way (app shutdown)."""
        if self._building is not None and not self._building.done():
            self._building.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._building


@dataclass(frozen=True, slots=True)
class ForgivingResult:
    """A search's results, with what was suggested or searched instead."""

    result: SearchPage
    suggestion: str | None = None
    # True when ``result`` holds the suggestion's hits because the query itself found none.
    corrected: bool = False


async def forgiving_search(
    session: AsyncSession,
    vocabulary: Vocabulary | None,
    query: str,
    **filters: Any,
) -> ForgivingResult:
    """``search``, plus a correction when the query finds little or nothing.

    A suggestion is offered only when it finds more than the query did; when the query
    found nothing, the suggestion's results are shown instead (and the page says so).
    """
    result = await search(session, query, **filters)
    if vocabulary is None or not result.query_terms or result.total >= FEW_RESULTS:
        return ForgivingResult(result)
    suggestion = (await vocabulary.current()).correct_query(query)
    if suggestion is None:
        return ForgivingResult(result)
    if result.total:
        filters = {**filters, "page": 1, "per_page": 1}
    alternative = await search(session, suggestion, **filters)
    if alternative.total <= result.total:
        return ForgivingResult(result)
    if result.total:
        return ForgivingResult(result, suggestion)
    return ForgivingResult(alternative, suggestion, corrected=True)
