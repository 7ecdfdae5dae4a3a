"""Where did it go? Suggested new homes for broken or replaced links (issue 14).

Computed in the worker (:func:`suggestion_loop`), never from a web request, and
politely: a host is leased (:class:`~linkdir.checks.models.CheckLease`) while its links
are searched, so no check batch and no other worker reaches it meanwhile; every request
goes through the checker's guarded, per-host-limited client; each link gets at most
``LINKDIR_SUGGEST_MAX_FETCHES`` requests; sitemaps are read once per host into an
injected :class:`SitemapCache`. Sources, best evidence first:

* ``identifier`` - a DOI, URN:NBN, Handle or ``<link rel=canonical>`` the page carried
  while it worked, resolved now;
* ``sitemap`` - a page in the site's sitemaps (robots.txt ``Sitemap:`` lines,
  ``/sitemap.xml``, sitemap indexes, gzip) whose title and text match the baseline;
* ``site`` - a link with the same title on the section pages above the old address;
* ``archive`` - the Internet Archive's snapshot from before the link broke.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urljoin, urlsplit

import lxml.etree
from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from linkdir import checker as engine  # the HTTP clients load on first use
from linkdir.changes import report as report_change
from linkdir.checker import EngineConfig
from linkdir.checker.fingerprint import Fingerprint, compare, title_similarity, tokens
from linkdir.checks.drift_models import ContentBaseline, LinkSuggestion
from linkdir.checks.models import CheckLease
from linkdir.config import Settings
from linkdir.db import upsert_into, utcnow
from linkdir.resources import service as directory
from linkdir.resources.models import LinkStatus, Resource, ResourceState, Revision
from linkdir.resources.service import Actor

if TYPE_CHECKING:
    from linkdir.checker import Checker
    from linkdir.checks.runner import CheckRunner

SOURCES = ("identifier", "sitemap", "site", "archive")
MATCH_AT_LEAST = 0.5  # a fetched candidate is offered when this similar to the baseline
TITLE_MATCH = 0.6  # a link's text this close to the baseline title is a candidate
SITEMAP_CANDIDATES = 3  # sitemap addresses fetched per link, the likeliest first
MAX_SITEMAPS = 6  # sitemap files read per host (indexes included)
MAX_SITEMAP_BYTES = 10_000_000
MAX_SITEMAP_URLS = 50_000
RETRY_AFTER = timedelta(days=1)  # a link's search is repeated at most this often
ARCHIVE_SCORE = 0.3  # a copy of the old page, not a new home: ranked last
IDENTIFIER_SCORE = 0.9

_XML = lxml.etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
_SITEMAP_LINE = re.compile(r"^\s*sitemap\s*:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


@dataclass
class SitemapCache:
    """Addresses listed in each host's sitemaps, kept for ``ttl`` (one per worker)."""

    ttl: timedelta = timedelta(hours=6)
    entries: dict[str, tuple[datetime, tuple[str, ...]]] = field(default_factory=dict)

    def get(self, host: str, now: datetime) -> tuple[str, ...] | None:
        """The cached addresses of ``host``, or None when unknown or expired."""
        entry = self.entries.get(host)
        if entry is None or now - entry[0] > self.ttl:
            return None
        return entry[1]

    def put(self, host: str, urls: tuple[str, ...], now: datetime) -> None:
        """Remember ``host``'s sitemap addresses."""
        self.entries[host] = (now, urls)


@dataclass(frozen=True, slots=True)
class Found:
    """One suggestion: an address, where it was found, how good the evidence is (0..1)."""

    url: str
    source: str
    score: float


class Budget:
    """Requests one link's search may still make."""

    def __init__(self, fetches: int) -> None:
        self.left = fetches

    def take(self) -> bool:
        if self.left <= 0:
            return False
        self.left -= 1
        return True


class Finder:
    """Looks for a link's new home with one polite checker and a shared sitemap cache."""

    def __init__(
        self, checker: Checker, settings: Settings, cache: SitemapCache, *, now: datetime
    ) -> None:
        self.checker = checker
        self.settings = settings
        self.cache = cache
        self.now = now

    async def find(
        self, url: str, baseline: Fingerprint | None, known: Iterable[Fingerprint], text: str
    ) -> list[Found]:
        """Suggestions for ``url``, best first (at most one per address)."""
        budget = Budget(self.settings.suggest_max_fetches)
        found: dict[str, Found] = {}

        def keep(item: Found) -> None:
            if _same_address(item.url, url):
                return
            if item.url not in found or found[item.url].score < item.score:
                found[item.url] = item

        identifiers = _identifiers(known)
        for item in await self._identifiers(url, identifiers, budget):
            keep(item)
        if baseline is not None:
            for item in await self._sitemap(url, baseline, text, budget):
                keep(item)
            for item in await self._site(url, baseline, text, budget):
                keep(item)
        return sorted(found.values(), key=lambda item: (-item.score, item.url))

    async def _works(self, url: str, budget: Budget) -> tuple[str, Fingerprint | None] | None:
        """The working address ``url`` leads to now and its page's fingerprint, or None."""
        if not budget.take():
            return None
        result = await self.checker.check(url)
        if result.status not in ("ok", "moved"):
            return None
        return result.moved_to or result.final_url or url, result.fingerprint

    async def _identifiers(self, url: str, identifiers: list[str], budget: Budget) -> list[Found]:
        found = []
        for identifier in identifiers:
            target = self._resolver_url(identifier)
            if target is None or _same_address(target, url):
                continue
            works = await self._works(target, budget)
            if works is not None:
                found.append(Found(works[0], "identifier", IDENTIFIER_SCORE))
        return found

    def _resolver_url(self, identifier: str) -> str | None:
        kind, _, value = identifier.partition(":")
        if kind == "canonical":
            return value if value.startswith(("http://", "https://")) else None
        base = {
            "doi": self.settings.doi_resolver_url,
            "urn": self.settings.urn_resolver_url,
            "hdl": self.settings.handle_resolver_url,
        }.get(kind)
        if not base:
            return None
        return base + quote(value, safe="/:.-_")

    async def _sitemap(
        self, url: str, baseline: Fingerprint, text: str, budget: Budget
    ) -> list[Found]:
        host = urlsplit(url).netloc.lower()
        origin = _origin(url)
        listed = self.cache.get(host, self.now)
        if listed is None:
            listed = await self._read_sitemaps(origin, budget)
            self.cache.put(host, listed, self.now)
        wanted = set(tokens(f"{baseline.title} {text}")) | set(_path_words(url))
        ranked = sorted(
            ((len(set(_path_words(candidate)) & wanted), candidate) for candidate in listed),
            key=lambda pair: -pair[0],
        )
        found = []
        for overlap, candidate in ranked[:SITEMAP_CANDIDATES]:
            if overlap == 0 or _same_address(candidate, url):
                continue
            match = await self._matching(candidate, baseline, text, budget)
            if match is not None:
                found.append(Found(match[0], "sitemap", match[1]))
        return found

    async def _matching(
        self, candidate: str, baseline: Fingerprint, text: str, budget: Budget
    ) -> tuple[str, float] | None:
        works = await self._works(candidate, budget)
        if works is None or works[1] is None:
            return None
        verdict = compare(baseline, works[1], resource_text=text)
        if verdict.replaced or verdict.similarity < MATCH_AT_LEAST:
            return None
        return works[0], verdict.similarity

    async def _read_sitemaps(self, origin: str, budget: Budget) -> tuple[str, ...]:
        queue: list[str] = []
        robots = await self._get(origin + "/robots.txt", budget)
        if robots is not None:
            queue += _SITEMAP_LINE.findall(robots.decode("utf-8", "replace"))
        if origin + "/sitemap.xml" not in queue:
            queue.append(origin + "/sitemap.xml")
        pages: list[str] = []
        seen: set[str] = set()
        while queue and len(seen) < MAX_SITEMAPS and len(pages) < MAX_SITEMAP_URLS:
            sitemap = queue.pop(0)
            if sitemap in seen:
                continue
            seen.add(sitemap)
            body = await self._get(sitemap, budget)
            if body is None:
                continue
            children, urls = parse_sitemap(body)
            queue += children
            pages += urls[: MAX_SITEMAP_URLS - len(pages)]
        return tuple(dict.fromkeys(pages))

    async def _get(self, url: str, budget: Budget) -> bytes | None:
        """A robots.txt or sitemap as bytes (gzip files stay compressed), capped."""
        if not budget.take():
            return None
        data = bytearray()
        try:
            async with self.checker.client.stream("GET", url, follow_redirects=True) as response:
                if response.status_code != 200:
                    return None
                async for chunk in response.aiter_bytes():
                    data += chunk
                    if len(data) > MAX_SITEMAP_BYTES:
                        return None
        except Exception:  # a sitemap that cannot be read is no sitemap
            return None
        return bytes(data)

    async def _site(
        self, url: str, baseline: Fingerprint, text: str, budget: Budget
    ) -> list[Found]:
        found = []
        for section in _sections(url):
            if not budget.take():
                break
            try:
                page = await self.checker.fetch_page(section, max_bytes=2_000_000)
            except engine.FetchError:
                continue
            if page.status != 200 or not page.text:
                continue
            for href, label in _links(page.text, page.final_url):
                if _same_address(href, url):
                    continue
                if title_similarity(baseline.title, label) < TITLE_MATCH:
                    continue
                match = await self._matching(href, baseline, text, budget)
                if match is not None:
                    found.append(Found(match[0], "site", match[1]))
                    return found
        return found


def parse_sitemap(body: bytes) -> tuple[list[str], list[str]]:
    """(child sitemaps, page addresses) of a sitemap or sitemap index, gzip or not."""
    if body[:2] == b"\x1f\x8b":
        try:
            body = gzip.GzipFile(fileobj=io.BytesIO(body)).read(MAX_SITEMAP_BYTES)
        except (OSError, EOFError, zlib.error):
            return [], []
    try:
        root = lxml.etree.fromstring(body.lstrip(), _XML)
    except (lxml.etree.XMLSyntaxError, ValueError):
        return [], []
    if root is None:
        return [], []
    children: list[str] = []
    pages: list[str] = []
    for element in root.iter("{*}loc"):
        loc = (element.text or "").strip()
        parent = element.getparent()
        if not loc.startswith(("http://", "https://")) or parent is None:
            continue
        kind = lxml.etree.QName(parent).localname
        (children if kind == "sitemap" else pages).append(loc)
    return children, pages


def _links(html: str, base: str) -> list[tuple[str, str]]:
    try:
        doc = lxml.etree.fromstring(html, lxml.etree.HTMLParser(no_network=True))
    except (lxml.etree.XMLSyntaxError, ValueError):
        return []
    if doc is None:
        return []
    found = []
    for anchor in doc.iter("a"):
        href = anchor.get("href") or ""
        label = " ".join(" ".join(anchor.itertext()).split())
        if href and label:
            absolute = urljoin(base, href)
            if absolute.startswith(("http://", "https://")):
                found.append((absolute.split("#", 1)[0], label))
    return found


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _sections(url: str) -> list[str]:
    """The section pages above ``url`` (nearest first), then the front page."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    origin = _origin(url)
    sections = [
        origin + "/" + "/".join(segments[:n]) + "/" for n in range(len(segments) - 1, 0, -1)
    ]
    return [*sections[:2], origin + "/"]


def _path_words(url: str) -> list[str]:
    return tokens(unquote(urlsplit(url).path).replace("-", " ").replace("_", " "))


def _same_address(first: str, second: str) -> bool:
    return first.rstrip("/") == second.rstrip("/")


def _identifiers(known: Iterable[Fingerprint]) -> list[str]:
    found: list[str] = []
    for fingerprint in known:
        for identifier in fingerprint.identifiers:
            if identifier not in found:
                found.append(identifier)
    # Persistent identifiers before the canonical link: they outlive reorganisations.
    return sorted(found, key=lambda item: item.startswith("canonical:"))


# Monitoring side: which links, leases, storing ----------------------------------------


def _needs_suggestions(now: datetime) -> Any:
    failing = or_(
        col(Resource.link_status) == LinkStatus.broken.value,
        col(Resource.reason) == "content_replaced",
    )
    recent = select(col(ContentBaseline.resource_id)).where(
        col(ContentBaseline.suggested_at) > now - RETRY_AFTER
    )
    return failing, col(Resource.id).not_in(recent)


async def _lease(session: AsyncSession, host: str, *, now: datetime, until: datetime) -> bool:
    """Take ``host``'s lease unless a batch or another search holds it."""
    insert = upsert_into(session, CheckLease).values(host=host, until=until, holder="suggestions")
    statement = insert.on_conflict_do_update(
        index_elements=[col(CheckLease.host)],
        set_={"until": insert.excluded.until, "holder": insert.excluded.holder},
        where=col(CheckLease.until) <= now,
    ).returning(col(CheckLease.host))
    return (await session.execute(statement)).first() is not None


async def find_suggestions(
    factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    config: EngineConfig,
    cache: SitemapCache,
    *,
    now: datetime | None = None,
    limit: int = 50,
) -> int:
    """Search new homes for up to ``limit`` broken or replaced links; returns links searched."""
    from linkdir.checks.fixes import find_snapshot

    now = now or utcnow()
    async with factory() as session:
        failing, not_recent = _needs_suggestions(now)
        rows = (
            await session.execute(
                select(Resource)
                .where(col(Resource.state) != ResourceState.retired.value, failing, not_recent)
                .order_by(col(Resource.status_since).asc(), col(Resource.id))
                .limit(limit)
            )
        ).scalars()
        by_host: dict[str, list[Resource]] = {}
        for resource in rows:
            by_host.setdefault(resource.host, []).append(resource)
    searched = 0
    lease_for = timedelta(seconds=settings.checker_timeout * settings.suggest_max_fetches * 2)
    # No soft-404 probes: a candidate must match the baseline anyway, and each probe would be
    # a request outside the link's budget.
    async with engine.Checker(dataclasses.replace(config, probe_soft_404=False)) as checker:
        finder = Finder(checker, settings, cache, now=now)
        for host, resources in by_host.items():
            until = utcnow() + lease_for * len(resources)
            async with factory() as session:
                taken = await _lease(session, host, now=utcnow(), until=until)
                await session.commit()
            if not taken:
                continue  # checked or searched right now: next time
            try:
                for resource in resources:
                    if await _searched_lately(factory, resource, now):
                        continue  # another worker did it while this one waited
                    await _search_one(factory, finder, resource, settings, find_snapshot, now)
                    searched += 1
            finally:
                async with factory() as session:
                    await session.execute(
                        delete(CheckLease).where(
                            col(CheckLease.host) == host, col(CheckLease.until) == until
                        )
                    )
                    await session.commit()
    return searched


async def _searched_lately(
    factory: async_sessionmaker[AsyncSession], resource: Resource, now: datetime
) -> bool:
    async with factory() as session:
        row = await session.get(ContentBaseline, resource.id)
        return bool(row and row.suggested_at and row.suggested_at > now - RETRY_AFTER)


async def _search_one(
    factory: async_sessionmaker[AsyncSession],
    finder: Finder,
    resource: Resource,
    settings: Settings,
    find_snapshot: Any,
    now: datetime,
) -> None:
    assert resource.id is not None
    async with factory() as session:
        row = await session.get(ContentBaseline, resource.id)
    baseline = Fingerprint.from_json(row.baseline) if row else None
    known = [f for f in (baseline, Fingerprint.from_json(row.recent) if row else None) if f]
    text = f"{resource.title} {resource.description or ''}"
    found = await finder.find(resource.url, baseline, known, text)
    broke_at = resource.status_since if resource.link_status == "broken" else None
    from linkdir.checks.fixes import FixRefused

    try:
        snapshot: str | None = await find_snapshot(settings, resource.url, broke_at or now)
    except FixRefused:  # no copy, or the archive is down: no reason to lose the others
        snapshot = None
    if snapshot:
        found.append(Found(snapshot, "archive", ARCHIVE_SCORE))
    async with factory() as session:
        await session.execute(
            delete(LinkSuggestion).where(col(LinkSuggestion.resource_id) == resource.id)
        )
        for item in found:
            session.add(
                LinkSuggestion(
                    resource_id=resource.id,
                    url=item.url[:2048],
                    source=item.source,
                    score=round(item.score, 3),
                    found_at=now,
                )
            )
        row = await session.get(ContentBaseline, resource.id)
        if row is None:
            row = ContentBaseline(resource_id=resource.id, url=resource.url)
            session.add(row)
        row.suggested_at = now
        await session.commit()


async def suggestions_for(
    session: AsyncSession, resource_ids: list[int]
) -> dict[int, list[LinkSuggestion]]:
    """Each resource's suggestions, best first (report rows)."""
    if not resource_ids:
        return {}
    rows = await session.execute(
        select(LinkSuggestion)
        .where(col(LinkSuggestion.resource_id).in_(resource_ids))
        .order_by(col(LinkSuggestion.score).desc(), col(LinkSuggestion.id))
    )
    found: dict[int, list[LinkSuggestion]] = {}
    for suggestion in rows.scalars():
        found.setdefault(suggestion.resource_id, []).append(suggestion)
    return found


async def accept(
    session: AsyncSession,
    resource: Resource,
    url: str | None,
    *,
    by: Actor,
    settings: Settings,
    now: datetime,
) -> Resource:
    """The ``accept_suggestion`` fix: the suggested address becomes the resource's URL."""
    assert resource.id is not None
    suggestion = None
    if url:
        suggestion = (
            await session.execute(
                select(LinkSuggestion).where(
                    col(LinkSuggestion.resource_id) == resource.id,
                    col(LinkSuggestion.url) == url.strip(),
                )
            )
        ).scalar()
    if suggestion is None:
        from linkdir.checks.fixes import FixRefused

        raise FixRefused("not_a_suggestion")
    if suggestion.source == "archive":  # a copy of the old page: offered beside the link
        old = resource.archive_url
        resource.archive_url = suggestion.url
        resource.updated_at = now
        revision = Revision(
            resource_id=resource.id,
            user_id=by.user_id,
            actor=by.label,
            action="fix",
            resource_url=resource.url,
            resource_title=resource.title,
            changes={"archive_url": [old, suggestion.url], "fix": [None, "accept_suggestion"]},
            created_at=now,
        )
        session.add(revision)
        report_change(session, revision)
        await session.flush()
        return resource
    updated = await directory.update_resource(
        session,
        resource.id,
        {"url": suggestion.url},
        by=by,
        allow_networks=settings.checker_allow_networks,
        action="fix",
    )
    await session.execute(
        delete(LinkSuggestion).where(col(LinkSuggestion.resource_id) == resource.id)
    )
    await session.flush()
    return updated


class SuggestionJob:
    """The scheduler's job: search new homes of broken and replaced links (in the worker).

    One object per :class:`~linkdir.checks.runner.CheckRunner`, so the sitemaps it read
    stay cached per host across runs in this process (and nowhere else).
    """

    def __init__(self) -> None:
        self.sitemaps = SitemapCache()

    async def __call__(self, runner: CheckRunner) -> int:
        return await find_suggestions(
            runner.factory, runner.settings, runner.engine_config, self.sitemaps
        )
