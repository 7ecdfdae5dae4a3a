"""Import and export: read a source, review its drafts, import them in short transactions.

The steps are plain functions so the CLI and the curator pages share them:

1. ``read_source`` / ``fetch_links_page`` parse bytes (or a fetched page) into drafts and
   rows it had to reject; a file that cannot be read at all raises ParseFailed.
2. ``review`` validates each draft with the resource rules, finds duplicate addresses in
   the file and in the directory, and maps topic suggestions to existing topics.
3. ``import_rows`` creates the accepted rows (``stage_rows`` builds them with reads only,
   ``write_staged`` inserts them, each with its "create" revision); the preview commits
   once, the CLI commits a short batch at a time (``import_in_batches``) so the site keeps
   answering, and a dry run only plans (``plan_import``) and writes nothing.
4. ``export_*`` write JSON, CSV, bookmark HTML and (from the feeds package) OPML.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from linkdir import changes
from linkdir.config import Settings
from linkdir.db import session_scope
from linkdir.errors import N_, FieldError, ValidationFailed
from linkdir.reasons import FETCH_FAILURES, reason_label
from linkdir.resources import service as resources
from linkdir.resources.models import (
    LANGUAGES,
    LinkStatus,
    Resource,
    ResourceState,
    ResourceType,
    Topic,
)
from linkdir.transfer import csvio, jsonio
from linkdir.transfer.bookmarks import looks_like_bookmarks, parse_bookmarks
from linkdir.transfer.bounds import vet_draft
from linkdir.transfer.drafts import Draft, Parsed, ParseFailed, Problem, TopicDefinition, fold
from linkdir.transfer.near import Known, find_near
from linkdir.transfer.pages import extract_links
from linkdir.urls import InvalidUrl, public_http_url

FILE_FORMATS = ("bookmarks", "csv", "json")
IMPORT_FORMATS = ("page", *FILE_FORMATS)
EXPORT_FORMATS = ("json", "csv", "bookmarks", "opml")
IMPORT_ACTOR = resources.Actor("import")


# 1. Reading ---------------------------------------------------------------------------


def too_big(size: int, limit: int) -> ParseFailed:
    return ParseFailed(
        N_(
            "The file is too large: %(size)s MB, and at most %(limit)s MB can be imported at "
            "once (LINKDIR_IMPORT_MAX_BYTES). Split it into smaller files."
        ),
        {"size": f"{size / 1_000_000:.1f}", "limit": f"{limit / 1_000_000:g}"},
    )


def guess_format(name: str, data: bytes) -> str:
    """``bookmarks``, ``csv`` or ``json`` from the file name, else from the content."""
    lowered = name.lower()
    for suffixes, fmt in (
        ((".json",), "json"),
        ((".csv", ".tsv", ".txt"), "csv"),
        ((".html", ".htm"), "bookmarks"),
    ):
        if lowered.endswith(suffixes):
            return fmt
    head = csvio.decode(data[:4096]).lstrip()
    if head.startswith(("{", "[")):
        return "json"
    if looks_like_bookmarks(head) or head.lower().startswith(("<!doctype", "<html")):
        return "bookmarks"
    return "csv"


def read_source(data: bytes, fmt: str, *, max_bytes: int) -> Parsed:
    """Parse a file of ``fmt``; ParseFailed when it cannot be read at all."""
    if len(data) > max_bytes:
        raise too_big(len(data), max_bytes)
    if fmt == "csv":
        return csvio.parse_csv(csvio.decode(data))
    text = csvio.decode(data)  # BOM or not, UTF-8 or Windows-1252: same rules everywhere
    if fmt == "json":
        return jsonio.parse_json(text)
    if fmt == "bookmarks":
        return parse_bookmarks(text)
    raise ParseFailed(N_("Unknown format %(format)s."), {"format": fmt})


async def fetch_links_page(url: str, settings: Settings) -> Parsed:
    """Fetch a links page with the checker's guarded fetcher and extract its links.

    The address obeys the URL rule first (http or https, a public host, no user name or
    password: the fetch would send them on)."""
    from linkdir.checker import Checker, EngineConfig, FetchError

    try:
        url = public_http_url(url, allow_networks=settings.checker_allow_networks)
    except InvalidUrl as invalid:
        raise ParseFailed(invalid.error.message, invalid.error.params) from None
    config = EngineConfig.from_settings(settings, probe_soft_404=False)
    try:
        async with Checker(config) as checker:
            page = await checker.fetch_page(url.strip(), max_bytes=settings.import_max_bytes)
    except FetchError as error:
        message = FETCH_FAILURES.get(error.reason)
        if message is None:
            raise ParseFailed(
                N_("The page could not be fetched: %(reason)s."),
                {"reason": reason_label(error.reason)},
            ) from None
        raise ParseFailed(message) from None
    if not 200 <= page.status < 300:
        raise ParseFailed(
            N_("The page answered with HTTP status %(status)d, not a page of links."),
            {"status": page.status},
        )
    if page.truncated:
        raise too_big(settings.import_max_bytes + 1, settings.import_max_bytes)
    if page.content_type and page.content_type not in ("text/html", "application/xhtml+xml"):
        raise ParseFailed(
            N_("The address gives %(type)s, not a web page (HTML)."),
            {"type": page.content_type},
        )
    return extract_links(page.text, page.final_url)


# 2. Reviewing ---------------------------------------------------------------------------


@dataclass(slots=True)
class TopicChoice:
    """What a topic suggestion maps to: an existing topic, or a topic to create."""

    suggestion: str
    slug: str | None = None  # an existing topic
    new_name: str | None = None  # to be created (when the curator or a flag says so)
    definition: TopicDefinition | None = None  # full names from a JSON export


@dataclass(slots=True)
class Row:
    draft: Draft
    url: str = ""  # normalised
    cleaned: dict[str, Any] = field(default_factory=dict)  # validate_resource's answer
    errors: list[Problem] = field(default_factory=list)
    duplicate: Problem | None = None  # in the file or in the directory
    existing_id: int | None = None
    topics: list[TopicChoice] = field(default_factory=list)
    # Probably in the directory already (another spelling, or the same title on the same
    # host): shown with a link and not selected by default, but importable (issue 16).
    near: Known | None = None

    @property
    def importable(self) -> bool:
        return not self.errors and self.duplicate is None


@dataclass(slots=True)
class Review:
    format: str
    rows: list[Row]
    rejected: list[Problem]  # rows the parser could not turn into drafts
    definitions: list[TopicDefinition]
    skipped: int = 0
    total: int = 0

    @property
    def importable(self) -> list[Row]:
        return [row for row in self.rows if row.importable]

    @property
    def duplicates(self) -> list[Row]:
        return [row for row in self.rows if row.duplicate is not None]

    @property
    def invalid(self) -> list[Row]:
        return [row for row in self.rows if row.errors]


class TopicIndex:
    """Existing topics by slug and by their names, case- and diacritics-insensitive."""

    def __init__(self, topics: Sequence[Topic], definitions: Sequence[TopicDefinition]):
        self.slugs = {t.slug for t in topics}
        self.names: dict[str, str] = {}
        for topic in topics:
            for name in (topic.name_sv, topic.name_en, topic.slug.replace("-", " ")):
                self.names.setdefault(fold(name), topic.slug)
        self.definitions = {d.slug: d for d in definitions}

    def choose(self, suggestion: str) -> TopicChoice:
        text = " ".join(suggestion.split())
        slug = resources.slugify(text)
        if text in self.slugs or slug in self.slugs:
            return TopicChoice(text, slug=text if text in self.slugs else slug)
        found = self.names.get(fold(text))
        if found:
            return TopicChoice(text, slug=found)
        definition = self.definitions.get(text) or self.definitions.get(slug)
        if definition is not None:
            return TopicChoice(text, new_name=definition.name_sv, definition=definition)
        return TopicChoice(text, new_name=text)


async def existing_urls(session: AsyncSession, urls: Sequence[str]) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    unique = sorted(set(urls))
    for start in range(0, len(unique), 500):
        rows = await session.execute(
            select(col(Resource.url), col(Resource.id), col(Resource.title)).where(
                col(Resource.url).in_(unique[start : start + 500])
            )
        )
        for url, id_, title in rows:
            if id_ is not None:
                found[url] = (id_, title)
    return found


async def review(
    session: AsyncSession,
    parsed: Parsed,
    *,
    allow_networks: Sequence[str] = (),
    default_language: str | None = None,
    near_duplicates: bool = False,
) -> Review:
    """Validate every draft, find duplicates and map topics; writes nothing.

    ``near_duplicates`` also looks for resources the rows probably duplicate (the
    preview shows them; the CLI, importing thousands of rows, does not ask).
    """
    index = TopicIndex(await resources.all_topics(session), parsed.topics)
    rows: list[Row] = []
    first_line: dict[str, int] = {}
    for draft in parsed.drafts:
        row = Row(draft)
        if draft.language is not None and draft.language not in LANGUAGES:
            draft.language = default_language if parsed.format == "page" else draft.language
        if draft.language is None and default_language:
            draft.language = default_language
        try:
            cleaned = resources.validate_resource(
                draft.fields(), partial=False, allow_networks=allow_networks
            )
            row.url = cleaned["url"]
            row.cleaned = cleaned
        except ValidationFailed as failed:
            row.errors = [Problem.of(draft.line, e, draft.url) for e in failed.errors]
        row.errors.extend(vet_draft(draft, allow_networks=allow_networks))
        if not draft.title and not any(e.field == "title" for e in row.errors):
            row.errors.append(Problem(draft.line, "title", N_("This field is required.")))
        row.topics = [index.choose(name) for name in draft.topics if name.strip()]
        for choice in row.topics:
            if choice.slug is None and len(choice.suggestion) > resources.MAX_TOPIC_NAME:
                # Refused, not cut to a different name (issue 20).
                row.errors.append(
                    Problem(
                        draft.line,
                        "topics",
                        N_("Too long: at most %(max)d characters (now %(length)d)."),
                        {"max": resources.MAX_TOPIC_NAME, "length": len(choice.suggestion)},
                        url=draft.url,
                    )
                )
                break
        if row.url:
            if row.url in first_line:
                row.duplicate = Problem(
                    draft.line,
                    "url",
                    N_("The same address as line %(line)d of this file."),
                    {"line": first_line[row.url]},
                    url=row.url,
                    duplicate=True,
                )
            else:
                first_line[row.url] = draft.line
        rows.append(row)
    known = await existing_urls(session, [row.url for row in rows if row.url])
    for row in rows:
        if row.url in known and row.duplicate is None:
            existing_id, title = known[row.url]
            row.existing_id = existing_id
            row.duplicate = Problem(
                row.draft.line,
                "url",
                N_("This address is already in the directory: “%(title)s” (#%(id)d)."),
                {"title": title, "id": existing_id},
                url=row.url,
                duplicate=True,
            )
    if near_duplicates:
        candidates = [row for row in rows if row.url and row.duplicate is None]
        found = await find_near(session, [(row.url, row.draft.title) for row in candidates])
        for row, known_row in zip(candidates, found, strict=True):
            row.near = known_row
    return Review(
        format=parsed.format,
        rows=rows,
        rejected=list(parsed.problems),
        definitions=list(parsed.topics),
        skipped=parsed.skipped,
        total=parsed.rows,
    )


@dataclass(frozen=True, slots=True)
class BulkChange:
    """What the preview's "apply to selected" sets on every selected row (issue 16)."""

    topic: str = ""  # an existing topic's slug, added to the row's topics
    tags: tuple[str, ...] = ()  # added to the row's tags
    resource_type: str = ""
    language: str = ""
    state: str = ""

    @classmethod
    def from_form(cls, form: Any, *, topics: set[str]) -> BulkChange:
        """The preview form's ``bulk-*`` fields, checked; ValidationFailed names the field."""

        def value(name: str) -> str:
            return str(form.get(f"bulk-{name}") or "").strip()

        errors: list[FieldError] = []
        topic = value("topic").removeprefix("t:")
        choices = {
            "topic": (topic, topics),
            "resource_type": (value("resource_type"), {t.value for t in ResourceType}),
            "language": (value("language"), set(LANGUAGES)),
            "state": (value("state"), {ResourceState.draft.value, ResourceState.published.value}),
        }
        for name, (chosen, allowed) in choices.items():
            if chosen and chosen not in allowed:
                errors.append(FieldError(name, N_("Choose one of the options offered.")))
        tags = tuple(t.strip() for t in value("tags").split(",") if t.strip())
        if errors:
            raise ValidationFailed(errors)
        change = cls(
            topic,
            tags,
            choices["resource_type"][0],
            choices["language"][0],
            choices["state"][0],
        )
        if change == cls():
            raise ValidationFailed(
                [FieldError("topic", N_("Choose at least one change to apply."))]
            )
        return change


def apply_to_selected(drafts: Sequence[Draft], selected: set[int], change: BulkChange) -> int:
    """Set ``change`` on the selected drafts; how many were changed."""
    if not selected:
        raise ValidationFailed([FieldError("topic", N_("Select at least one link to import."))])
    count = 0
    for index, draft in enumerate(drafts):
        if index not in selected:
            continue
        count += 1
        if change.topic and change.topic not in draft.topics:
            draft.topics = [*draft.topics, change.topic]
        for tag in change.tags:
            if tag not in draft.tags:
                draft.tags.append(tag)
        if change.resource_type:
            draft.resource_type = change.resource_type
        if change.language:
            draft.language = change.language
        if change.state:
            draft.state = change.state
    return count


# 3. Importing ---------------------------------------------------------------------------


@dataclass(slots=True)
class ImportReport:
    created: list[resources.Added] = field(default_factory=list)
    topics_created: list[Topic] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # rejected rows, with line
    duplicates: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)  # imported, but with a caveat
    planned: list[Row] = field(default_factory=list)  # a dry run: rows it would import
    topics_planned: list[str] = field(default_factory=list)  # a dry run: topics it would add
    revision_ids: list[int] = field(default_factory=list)  # committed, to announce (#15)

    def merge(self, other: ImportReport) -> None:
        """Add a later batch's outcome to this report."""
        self.created.extend(other.created)
        self.topics_created.extend(other.topics_created)
        self.problems.extend(other.problems)
        self.duplicates.extend(other.duplicates)
        self.notes.extend(other.notes)
        self.revision_ids.extend(other.revision_ids)


async def ensure_topics(
    session: AsyncSession, definitions: Sequence[TopicDefinition]
) -> list[Topic]:
    """Create the defined topics that do not exist yet (by slug); existing ones stay."""
    have = {t.slug for t in await resources.all_topics(session)}
    created: list[Topic] = []
    for definition in definitions:
        if definition.slug in have:
            continue
        created.append(await resources.create_topic(session, definition.as_dict()))
        have.add(definition.slug)
    return created


async def _topic_slug(
    session: AsyncSession,
    choice: TopicChoice,
    known: set[str],
    report: ImportReport,
) -> str:
    if choice.slug is not None:
        return choice.slug
    name = choice.new_name or choice.suggestion
    slug = choice.definition.slug if choice.definition else resources.slugify(name)
    if slug in known:  # every topic of the database and of this batch, read once
        return slug
    data = (
        choice.definition.as_dict()
        if choice.definition
        else {"slug": slug, "name_sv": name[:120], "name_en": name[:120]}
    )
    topic = await resources.create_topic(session, data)
    known.add(slug)
    report.topics_created.append(topic)
    return slug


def _restore(values: dict[str, Any], draft: Draft) -> None:
    """Dates and link health as the source had them (a bookmark's ADD_DATE, a backup)."""
    if draft.added is not None:
        values["created_at"] = draft.added
    restore = draft.restore
    if "updated_at" in restore and restore["updated_at"] is not None:
        values["updated_at"] = restore["updated_at"]
    elif draft.added is not None and values["updated_at"] < draft.added:
        values["updated_at"] = draft.added
    if "published_at" in restore and (
        restore["published_at"] is not None or values["state"] != ResourceState.published.value
    ):
        # A published resource always has published_at (listings and feeds order by it).
        values["published_at"] = restore["published_at"]
    link = restore.get("link") or {}
    if link.get("status") in {s.value for s in LinkStatus}:
        values["link_status"] = link["status"]
    for name in ("status_since", "last_checked_at"):
        if isinstance(link.get(name), datetime):
            values[name] = link[name]
    if isinstance(link.get("http_status"), int):
        values["http_status"] = link["http_status"]
    # Vetted by bounds.vet_draft in review(): addresses passed the URL rule.
    for name in ("final_url", "moved_to", "reason", "archive_url"):
        if isinstance(link.get(name), str):
            values[name] = link[name]
    if isinstance(link.get("modified_on"), str):
        with contextlib.suppress(ValueError):
            values["modified_on"] = date.fromisoformat(link["modified_on"])


@dataclass(slots=True)
class StagedImport:
    """A batch after :func:`stage_rows`: the report so far and the rows to write."""

    report: ImportReport
    fresh: list[tuple[Row, dict[str, Any]]]
    staged: resources.Staged | None


async def stage_rows(
    session: AsyncSession,
    rows: Sequence[Row],
    *,
    by: resources.Actor,
    definitions: Sequence[TopicDefinition] = (),
    create_topics: bool = False,
    default_state: str = ResourceState.draft.value,
    allow_networks: Sequence[str] = (),
) -> StagedImport:
    """Everything before the inserts: topics, state, duplicates since the review, rows.

    Reads only, except creating topics (``report.topics_created`` says when): on SQLite
    the write lock is first taken by :func:`write_staged`.
    """
    report = ImportReport()
    report.topics_created.extend(await ensure_topics(session, definitions))
    known = {topic.slug for topic in await resources.all_topics(session)}
    ready: list[tuple[Row, dict[str, Any]]] = []
    for row in rows:
        if row.errors:
            report.problems.extend(row.errors)
            continue
        if row.duplicate is not None:
            report.duplicates.append(row.duplicate)
            continue
        slugs: list[str] = []
        for choice in row.topics:
            if choice.slug is None and choice.definition is None:
                if not create_topics:
                    report.notes.append(_no_topic(row, choice))
                    continue
                name, made = _new_topic(choice)
                if made is None:
                    report.notes.append(_no_address(row, name))
                    continue
            slug = await _topic_slug(session, choice, known, report)
            if slug not in slugs:
                slugs.append(slug)
        # review() validated the draft's fields; only state and topics are added here.
        cleaned = dict(row.cleaned) if row.cleaned else None
        if cleaned is None:
            data = row.draft.fields()
            try:
                cleaned = resources.validate_resource(
                    data, partial=False, allow_networks=allow_networks
                )
            except ValidationFailed as failed:
                report.problems.extend(
                    Problem.of(row.draft.line, e, row.url) for e in failed.errors
                )
                continue
        cleaned.setdefault("state", default_state)
        if cleaned["state"] not in resources.ALL_STATES:
            cleaned["state"] = ResourceState.draft.value
        cleaned["topics"] = slugs
        ready.append((row, cleaned))
    # Someone may have added an address since the review: skipped, not a failed batch.
    taken = await existing_urls(session, [cleaned["url"] for _, cleaned in ready])
    fresh: list[tuple[Row, dict[str, Any]]] = []
    for row, cleaned in ready:
        if cleaned["url"] in taken:
            existing_id, title = taken[cleaned["url"]]
            report.duplicates.append(
                Problem(
                    row.draft.line,
                    "url",
                    N_("This address is already in the directory: “%(title)s” (#%(id)d)."),
                    {"title": title, "id": existing_id},
                    url=row.url,
                    duplicate=True,
                )
            )
        else:
            fresh.append((row, cleaned))
    staged = None
    if fresh:
        await session.flush()  # topics created above, before stage_many reads them
        staged = await resources.stage_many(
            session,
            [cleaned for _, cleaned in fresh],
            by=by,
            prepare=lambda index, values: _restore(values, fresh[index][0].draft),
        )
    return StagedImport(report, fresh, staged)


async def write_staged(session: AsyncSession, batch: StagedImport) -> ImportReport:
    """The inserts of a staged batch; the caller commits."""
    if batch.staged is not None:
        batch.report.created.extend(await resources.insert_staged(session, batch.staged))
    await session.flush()
    return batch.report


async def import_rows(
    session: AsyncSession,
    rows: Sequence[Row],
    *,
    by: resources.Actor,
    definitions: Sequence[TopicDefinition] = (),
    create_topics: bool = False,
    default_state: str = ResourceState.draft.value,
    allow_networks: Sequence[str] = (),
) -> ImportReport:
    """Create the importable rows; the caller commits (a batch, or all of a preview).

    Topics defined in the source (a JSON export) are created when missing; other topic
    suggestions only with ``create_topics`` — without it they are left off and noted.
    The rows go in through ``resources.service.insert_staged``: a few queries per call,
    not per row. The CLI imports a batch at a time (see :func:`import_in_batches`).
    """
    batch = await stage_rows(
        session,
        rows,
        by=by,
        definitions=definitions,
        create_topics=create_topics,
        default_state=default_state,
        allow_networks=allow_networks,
    )
    return await write_staged(session, batch)


# Rows per write transaction, at first; then sized so that one holds SQLite's write lock
# for about LOCK_TARGET seconds (a site write waiting for the lock waits at most that).
IMPORT_BATCH = 250
MIN_BATCH, MAX_BATCH = 100, 1000
LOCK_TARGET = 0.05
# After a commit the importer takes the write lock again only this much later. Preparing
# the next batch (reads, search text, revisions) fills most of the gap; a site write
# waiting in SQLite's busy handler (which retries every 1-25 ms) gets the lock in it.
BATCH_PAUSE = 0.03


def next_batch_size(size: int, held: float, target: float = LOCK_TARGET) -> int:
    """The next batch's size: ``size`` rows held the lock ``held`` seconds."""
    if held <= 0:
        return min(MAX_BATCH, size * 2)
    wanted = size * target / held
    # At most doubled or halved per batch: one slow commit (a checkpoint) is no trend.
    return max(MIN_BATCH, min(MAX_BATCH, size * 2, max(size // 2, int(wanted))))


async def import_in_batches(
    factory: async_sessionmaker[AsyncSession],
    rows: Sequence[Row],
    *,
    by: resources.Actor,
    definitions: Sequence[TopicDefinition] = (),
    create_topics: bool = False,
    default_state: str = ResourceState.draft.value,
    allow_networks: Sequence[str] = (),
    batch_size: int = IMPORT_BATCH,
    adapt: bool = True,
    pause: float = BATCH_PAUSE,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import ``rows`` in short transactions, so the site keeps writing meanwhile.

    One transaction over a whole file held SQLite's write lock for minutes and the web
    answered 500 ("database is locked"). Each batch is staged with reads only, then
    written and committed on its own; ``adapt`` resizes the batches so each holds the
    lock about ``LOCK_TARGET`` seconds, and the next write starts ``pause`` seconds
    after a commit at the earliest. An error stops the import after the batches already
    committed (the report says how many).
    """
    loop = asyncio.get_running_loop()
    report = ImportReport()
    start, size, committed_at = 0, batch_size, 0.0
    while start < len(rows) or start == 0:  # topics are created even without rows
        chunk = rows[start : start + size]
        async with session_scope(factory) as session:
            batch = await stage_rows(
                session,
                chunk,
                by=by,
                definitions=definitions if start == 0 else (),
                create_topics=create_topics,
                default_state=default_state,
                allow_networks=allow_networks,
            )
            wait = committed_at + pause - loop.time()
            if wait > 0 and not batch.report.topics_created:  # no write lock held yet
                await asyncio.sleep(wait)
            writing = loop.time()
            part = await write_staged(session, batch)
        committed_at = loop.time()
        part.revision_ids = changes.take(session)  # committed when the block ended
        report.merge(part)
        if progress is not None:
            progress(len(chunk))
        if adapt and chunk:
            size = next_batch_size(len(chunk), committed_at - writing)
        start += max(len(chunk), 1)
    return report


def _no_topic(row: Row, choice: TopicChoice) -> Problem:
    return Problem(
        row.draft.line,
        "topics",
        N_("No topic named “%(name)s”; imported without it."),
        {"name": choice.suggestion},
        url=row.url,
    )


def _new_topic(choice: TopicChoice) -> tuple[str, str | None]:
    """The name a new topic for ``choice`` gets, and its slug (None: the name gives none)."""
    name = choice.new_name or choice.suggestion
    slug = resources.slugify(name)
    return name, slug if resources.is_slug(slug) else None


def _no_address(row: Row, name: str) -> Problem:
    return Problem(
        row.draft.line,
        "topics",
        N_(
            "No topic can be made from “%(name)s”: a topic's address needs letters a–z, å, "
            "ä, ö or digits. Imported without it."
        ),
        {"name": name},
        url=row.url,
    )


def plan_import(
    review: Review, *, create_topics: bool = False, existing_topics: Sequence[str] = ()
) -> ImportReport:
    """What importing ``review`` would do, without touching the database (a dry run).

    ``created`` stays empty; ``planned`` holds the rows that would be imported and
    ``topics_planned`` the names of the topics that would be created.
    """
    report = ImportReport()
    have = set(existing_topics)
    for definition in review.definitions:
        if definition.slug not in have:
            report.topics_planned.append(definition.name_sv)
            have.add(definition.slug)
    for row in review.rows:
        if row.errors:
            report.problems.extend(row.errors)
            continue
        if row.duplicate is not None:
            report.duplicates.append(row.duplicate)
            continue
        for choice in row.topics:
            if choice.slug is not None or choice.definition is not None:
                continue
            if not create_topics:
                report.notes.append(_no_topic(row, choice))
                continue
            name, slug = _new_topic(choice)
            if slug is None:
                report.notes.append(_no_address(row, name))
                continue
            if slug not in have:
                have.add(slug)
                report.topics_planned.append(name)
        report.planned.append(row)
    return report


# 4. Exporting ---------------------------------------------------------------------------


async def _all_resources(
    session: AsyncSession, states: Sequence[str] = resources.ALL_STATES
) -> list[Resource]:
    rows = await session.execute(
        select(Resource)
        .where(col(Resource.state).in_(states))
        .order_by(col(Resource.created_at), col(Resource.url))
    )
    return list(rows.scalars())


async def export_json(session: AsyncSession) -> bytes:
    """Every topic and resource, complete and re-importable (see jsonio)."""
    topics = sorted(await resources.all_topics(session), key=lambda t: t.slug)
    items = await _all_resources(session)
    ids = [r.id for r in items if r.id is not None]
    topics_of = await resources.topics_of(session, ids)
    tags_of = await resources.tags_of(session, ids)
    out: list[dict[str, Any]] = []
    for r in items:
        assert r.id is not None
        out.append(
            {
                "url": r.url,
                "title": r.title,
                "description": r.description,
                "language": r.language,
                "resource_type": r.resource_type,
                "publisher": r.publisher,
                "state": r.state,
                "topics": [t.slug for t in topics_of[r.id]],
                "tags": tags_of[r.id],
                "created_at": jsonio.iso(r.created_at),
                "updated_at": jsonio.iso(r.updated_at),
                "published_at": jsonio.iso(r.published_at),
                "review_by": jsonio.iso(r.review_by),
                "link": {
                    "status": r.link_status,
                    "status_since": jsonio.iso(r.status_since),
                    "last_checked_at": jsonio.iso(r.last_checked_at),
                    "http_status": r.http_status,
                    "final_url": r.final_url,
                    "moved_to": r.moved_to,
                    "reason": r.reason,
                    "modified_on": jsonio.iso(r.modified_on),
                    "archive_url": r.archive_url,
                },
            }
        )
    document = {
        "format": jsonio.FORMAT_NAME,
        "version": jsonio.FORMAT_VERSION,
        "topics": [
            TopicDefinition(
                t.slug, t.name_sv, t.name_en, t.description_sv, t.description_en
            ).as_dict()
            for t in topics
        ],
        "resources": out,
    }
    return jsonio.dump(document)


async def export_csv(session: AsyncSession) -> bytes:
    """Every resource as CSV for Swedish Excel; topics by their Swedish names."""
    items = await _all_resources(session)
    ids = [r.id for r in items if r.id is not None]
    topics_of = await resources.topics_of(session, ids)
    tags_of = await resources.tags_of(session, ids)
    rows = []
    for r in items:
        assert r.id is not None
        rows.append(
            {
                "url": r.url,
                "title": r.title,
                "description": r.description,
                "publisher": r.publisher,
                "language": r.language,
                "type": r.resource_type,
                "state": r.state,
                "topics": ", ".join(t.name_sv for t in topics_of[r.id]),
                "tags": ", ".join(tags_of[r.id]),
                "review_by": jsonio.iso(r.review_by),
                "created_at": jsonio.iso(r.created_at),
                "link_status": r.link_status,
                "archive_url": r.archive_url,
            }
        )
    return csvio.write_csv(rows)


def _stamp(value: datetime | None) -> str:
    return str(int(value.astimezone(UTC).timestamp())) if value else ""


async def export_bookmarks(session: AsyncSession, *, title: str = "linkdir") -> bytes:
    """Draft and published resources as a Netscape bookmark file, a folder per topic.

    A resource in several topics sits in the folder of its first topic (browsers would
    show copies as separate bookmarks); retired resources are left out.
    """
    items = await _all_resources(
        session, (ResourceState.published.value, ResourceState.draft.value)
    )
    ids = [r.id for r in items if r.id is not None]
    topics_of = await resources.topics_of(session, ids)
    tags_of = await resources.tags_of(session, ids)
    folders: dict[str, list[Resource]] = {}
    names: dict[str, str] = {}
    loose: list[Resource] = []
    for r in items:
        assert r.id is not None
        if topics_of[r.id]:
            topic = topics_of[r.id][0]
            names[topic.slug] = topic.name_sv
            folders.setdefault(topic.slug, []).append(r)
        else:
            loose.append(r)
    esc = html.escape
    lines = [
        "<!DOCTYPE NETSCAPE-Bookmark-file-1>",
        "<!-- This is an automatically generated file.",
        "     It will be read and overwritten.",
        "     DO NOT EDIT! -->",
        '<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">',
        f"<TITLE>{esc(title)}</TITLE>",
        f"<H1>{esc(title)}</H1>",
        "<DL><p>",
    ]

    def link(r: Resource, indent: str) -> None:
        assert r.id is not None
        tags = ",".join(tags_of[r.id])
        attrs = f'HREF="{esc(r.url)}" ADD_DATE="{_stamp(r.created_at)}"'
        attrs += f' LAST_MODIFIED="{_stamp(r.updated_at)}"'
        if tags:
            attrs += f' TAGS="{esc(tags)}"'
        lines.append(f"{indent}<DT><A {attrs}>{esc(r.title)}</A>")
        if r.description:
            lines.append(f"{indent}<DD>{esc(' '.join(r.description.split()))}")

    for slug in sorted(folders, key=lambda s: fold(names[s])):
        lines.append(f"    <DT><H3>{esc(names[slug])}</H3>")
        lines.append("    <DL><p>")
        for r in folders[slug]:
            link(r, "        ")
        lines.append("    </DL><p>")
    for r in loose:
        link(r, "    ")
    lines.append("</DL><p>")
    return ("\n".join(lines) + "\n").encode("utf-8")


async def export_opml(session: AsyncSession, settings: Settings, lang: str = "sv") -> bytes:
    """The OPML subscription list of every public feed (the same as /feeds.opml)."""
    from linkdir.feeds.routes import opml_document

    return await opml_document(session, settings, lang)


EXPORT_TYPES = {
    "json": ("application/json", "json"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "bookmarks": ("text/html; charset=utf-8", "html"),
    "opml": ("text/x-opml; charset=utf-8", "opml"),
}


async def export(session: AsyncSession, fmt: str, settings: Settings) -> bytes:
    if fmt == "json":
        return await export_json(session)
    if fmt == "csv":
        return await export_csv(session)
    if fmt == "bookmarks":
        return await export_bookmarks(session)
    if fmt == "opml":
        return await export_opml(session, settings)
    raise ValueError(fmt)


def field_error(problem: Problem) -> FieldError:
    return FieldError(problem.field, problem.message, problem.params)
