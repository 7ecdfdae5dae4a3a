"""Curator pages: ``/manage/import`` (source → editable preview → import) and exports.

The preview is one ordinary form (no JavaScript): each draft in its own fieldset with a
checkbox and editable fields. Nothing is kept on the server between the steps; the form
carries the drafts, and the import step validates them again before writing anything.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.params import FromPath, FromQuery

from linkdir.auth.guards import Editor, actor_of, provide_editor, provide_user, read_form
from linkdir.config import Settings
from linkdir.errors import N_, ValidationFailed
from linkdir.i18n import gettext, ngettext
from linkdir.resources import service as resources
from linkdir.resources.models import LANGUAGES, ResourceState, ResourceType
from linkdir.transfer import service
from linkdir.transfer.drafts import Draft, Parsed, ParseFailed, Problem, TopicDefinition
from linkdir.transfer.jsonio import LINK_FIELDS, iso
from linkdir.transfer.linkcheck import CheckJob, LinkVerdict, PreviewChecks
from linkdir.web import NO_STORE, DbSession, render

DEPENDENCIES = {"user": Provide(provide_user), "editor": Provide(provide_editor)}
MAX_PREVIEW = 1000  # drafts one preview form shows; larger files go through the CLI
_FORM_OVERHEAD = 65_536  # multipart boundaries and the other fields around the file
# Fields of a draft that the preview shows as controls (others travel in "extra").
EDITABLE = (
    "url",
    "title",
    "description",
    "resource_type",
    "language",
    "tags",
    "topic",
    "publisher",  # shown when the source gave one
    "review_by",  # shown when the source gave one
)


def _render(
    request: Request[Any, Any, Any], template: str, status_code: int = 200, **context: Any
) -> Response[str]:
    response = render(request, template, status_code=status_code, **context)
    response.headers.update(NO_STORE)
    return response


async def _index(
    request: Request[Any, Any, Any],
    session: DbSession,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response[str]:
    settings: Settings = request.app.state.settings
    return _render(
        request,
        "transfer/index.html",
        status_code=status_code,
        errors=errors or {},
        values=values or {},
        max_megabytes=f"{settings.import_max_bytes / 1_000_000:g}",
        resource_count=await resources.count_resources(session),
    )


@get("/manage/import", include_in_schema=False, dependencies=DEPENDENCIES)
async def import_page(
    request: Request[Any, Any, Any], session: DbSession, editor: Editor
) -> Response[str]:
    return await _index(request, session)


# The preview ---------------------------------------------------------------------------


def _extra_of(draft: Draft) -> str:
    """What the form carries but does not show, as JSON in a hidden field."""
    restore: dict[str, Any] = {}
    for name in ("updated_at", "published_at"):
        if name in draft.restore:
            restore[name] = iso(draft.restore[name])
    if "link" in draft.restore:
        restore["link"] = {
            name: iso(value) if isinstance(value, datetime) else value
            for name, value in draft.restore["link"].items()
        }
    extra = {
        "publisher": draft.publisher,
        "state": draft.state,
        "review_by": draft.review_by,
        "added": iso(draft.added),
        "restore": restore,
    }
    return json.dumps({k: v for k, v in extra.items() if v}, ensure_ascii=False)


def _when(raw: Any) -> datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _apply_extra(draft: Draft, raw: str) -> None:
    try:
        extra = json.loads(raw) if raw else {}
    except ValueError:
        extra = {}
    if not isinstance(extra, dict):
        return
    for name in ("publisher", "state", "review_by"):
        if isinstance(extra.get(name), str):
            setattr(draft, name, extra[name])
    draft.added = _when(extra.get("added"))
    restore = extra.get("restore")
    if isinstance(restore, dict):
        for name in ("updated_at", "published_at"):
            if name in restore:
                draft.restore[name] = _when(restore[name])
        link = restore.get("link")
        if isinstance(link, dict):
            draft.restore["link"] = {
                name: _when(link[name])
                if name in ("status_since", "last_checked_at")
                else link[name]
                for name in LINK_FIELDS
                if name in link
            }


def _topic_value(choice: service.TopicChoice) -> str:
    if choice.slug:
        return f"t:{choice.slug}"
    if choice.definition:
        return f"new:{choice.definition.slug}"  # found again by slug in the import step
    return f"new:{choice.new_name or choice.suggestion}"


def _row_errors(row: service.Row, index: int) -> dict[str, str]:
    """Errors of one row keyed by the id of the control they belong to."""
    errors: dict[str, str] = {}
    # A duplicate is information beside its row, never an error to correct (issue 16).
    for problem in row.errors:
        name = problem.field if problem.field in EDITABLE else "row"
        if problem.field == "topics":
            name = "topic-0"
        key = f"d{index}-{name}"
        errors.setdefault(key, problem.render(gettext))
    return errors


def _checks(request: Request[Any, Any, Any]) -> PreviewChecks:
    checks: PreviewChecks = request.app.state.preview_checks
    return checks


async def _start_checks(
    request: Request[Any, Any, Any], editor: Editor, drafts: list[Draft], token: str = ""
) -> CheckJob:
    """The link checks of this preview: the job ``token`` if it is still kept, or a new one."""
    return await _checks(request).ensure(token, [d.url for d in drafts], owner=editor.id or 0)


async def _preview(
    request: Request[Any, Any, Any],
    session: DbSession,
    review: service.Review,
    *,
    job: CheckJob,
    selected: set[int] | None = None,
    state: str = ResourceState.draft.value,
    status_code: int = 200,
    source: str = "",
    notice: str = "",
    bulk_errors: dict[str, str] | None = None,
) -> Response[str]:
    rows = []
    errors: dict[str, str] = {}
    for index, row in enumerate(review.rows):
        row_errors = _row_errors(row, index)
        verdict: LinkVerdict | None = job.verdicts.get(row.draft.url.strip())
        if selected is None:
            # Broken links are not selected by default; the curator may select them.
            checked = row.importable and row.near is None and not (verdict and verdict.broken)
        else:
            checked = index in selected
            if not checked:
                row_errors = {}  # a deselected row is not in the way
        errors.update(row_errors)
        rows.append(
            {
                "index": index,
                "row": row,
                "draft": row.draft,
                "checked": checked,
                "errors": row_errors,
                "topics": [_topic_value(c) for c in row.topics] or [""],
                "new_topics": [
                    (_topic_value(c), c.new_name or c.suggestion)
                    for c in row.topics
                    if c.slug is None
                ],
                "extra": _extra_of(row.draft),
                "why": row.duplicate.render(gettext) if row.duplicate else "",
                "verdict": verdict,
            }
        )
    topics = await resources.all_topics(session)
    return _render(
        request,
        "transfer/preview.html",
        status_code=status_code,
        review=review,
        rows=rows,
        errors=errors,
        rejected=[(p, p.render(gettext)) for p in review.rejected],
        topics=topics,
        languages=LANGUAGES,
        types=[t.value for t in ResourceType],
        state=state,
        source=source,
        topic_defs=json.dumps([d.as_dict() for d in review.definitions], ensure_ascii=False),
        confirmed=selected is not None and not notice,
        notice=notice,
        bulk_errors=bulk_errors or {},
        states=(ResourceState.draft.value, ResourceState.published.value),
        job=job,
        check_summary=check_summary(job),
    )


async def _review(
    request: Request[Any, Any, Any], session: DbSession, parsed: Parsed
) -> service.Review:
    settings: Settings = request.app.state.settings
    if len(parsed.drafts) > MAX_PREVIEW:
        raise ParseFailed(
            N_(
                "The source has %(count)d links, more than the %(max)d one preview can show. "
                "Split it, or import it with `linkdir import` on the server."
            ),
            {"count": len(parsed.drafts), "max": MAX_PREVIEW},
        )
    return await service.review(
        session,
        parsed,
        allow_networks=settings.checker_allow_networks,
        default_language=parsed.source_language if parsed.format == "page" else None,
        near_duplicates=True,
    )


@post("/manage/import/page", include_in_schema=False, dependencies=DEPENDENCIES)
async def import_from_page(
    request: Request[Any, Any, Any], session: DbSession, editor: Editor
) -> Response[str]:
    settings: Settings = request.app.state.settings
    form = await read_form(request)
    url = str(form.get("url") or "").strip()
    try:
        if not url:
            raise ParseFailed(N_("Enter the address of the page with links."))
        if not url.lower().startswith(("http://", "https://")):
            raise ParseFailed(N_("Enter a full address starting with https:// or http://."))
        parsed = await service.fetch_links_page(url, settings)
        if not parsed.drafts:
            raise ParseFailed(
                N_(
                    "No links were found in the main content of the page (navigation, "
                    "footer and e-mail links are left out)."
                )
            )
        review = await _review(request, session, parsed)
    except ParseFailed as failed:
        return await _index(
            request,
            session,
            errors={"url": failed.render(gettext)},
            values={"url": url},
            status_code=422,
        )
    job = await _start_checks(request, editor, parsed.drafts)
    return await _preview(request, session, review, job=job, source=url)


@post(
    "/manage/import/file",
    include_in_schema=False,
    dependencies=DEPENDENCIES,
    # Checked against LINKDIR_IMPORT_MAX_BYTES below, before the body is read.
    request_max_body_size=None,
)
async def import_from_file(
    request: Request[Any, Any, Any], session: DbSession, editor: Editor
) -> Response[str]:
    settings: Settings = request.app.state.settings
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > settings.import_max_bytes + _FORM_OVERHEAD:
        size = int(length) if length.isdigit() else settings.import_max_bytes + 1
        failed = service.too_big(size, settings.import_max_bytes)
        return await _index(
            request, session, errors={"file": failed.render(gettext)}, status_code=413
        )
    form = await read_form(request)
    upload = form.get("file")
    fmt = str(form.get("format") or "auto")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ParseFailed(N_("Choose a file to import."))
        data = await upload.read()
        if not data:
            raise ParseFailed(N_("The file is empty."))
        if fmt not in service.FILE_FORMATS:
            fmt = service.guess_format(upload.filename, data)
        parsed = service.read_source(data, fmt, max_bytes=settings.import_max_bytes)
        if not parsed.drafts and not parsed.problems:
            raise ParseFailed(N_("The file holds no links."))
        review = await _review(request, session, parsed)
    except ParseFailed as failed:
        return await _index(
            request,
            session,
            errors={"file": failed.render(gettext)},
            values={"format": fmt},
            status_code=422,
        )
    job = await _start_checks(request, editor, parsed.drafts)
    return await _preview(request, session, review, job=job, source=upload.filename)


def _drafts_from(form: Any) -> tuple[list[Draft], set[int], set[int]]:
    """The drafts of the form, the rows selected, and the rows whose verdict was shown."""
    try:
        count = min(int(str(form.get("count") or "0")), MAX_PREVIEW)
    except ValueError:
        count = 0
    drafts: list[Draft] = []
    selected: set[int] = set()
    seen: set[int] = set()
    for index in range(count):
        prefix = f"d{index}-"

        def value(name: str, prefix: str = prefix) -> str:
            return str(form.get(prefix + name) or "")

        try:
            line = int(value("line") or "0")
        except ValueError:
            line = 0
        topics: list[str] = []
        for raw in form.getall(prefix + "topic", []):
            kind, _, name = str(raw).partition(":")
            if kind in ("t", "new") and name.strip():
                topics.append(name.strip())
        draft = Draft(
            line=line,
            url=value("url"),
            title=value("title"),
            description=value("description"),
            language=value("language") or None,
            resource_type=value("resource_type") or None,
            topics=topics,
            tags=[t.strip() for t in value("tags").split(",") if t.strip()],
        )
        _apply_extra(draft, value("extra"))
        for name in ("publisher", "review_by", "state"):
            if form.get(prefix + name) is not None:
                setattr(draft, name, value(name) or None)
        drafts.append(draft)
        if value("import") == "1":
            selected.add(index)
        if value("seen"):
            seen.add(index)
    return drafts, selected, seen


@post(
    "/manage/import/confirm",
    include_in_schema=False,
    dependencies=DEPENDENCIES,
    request_max_body_size=64_000_000,
)
async def import_confirm(
    request: Request[Any, Any, Any], session: DbSession, editor: Editor
) -> Response[str]:
    settings: Settings = request.app.state.settings
    form = await read_form(request)
    drafts, selected, seen = _drafts_from(form)
    job = await _start_checks(request, editor, drafts, str(form.get("check") or ""))
    fmt = str(form.get("format") or "")
    state = str(form.get("state") or ResourceState.draft.value)
    if state not in (ResourceState.draft.value, ResourceState.published.value):
        state = ResourceState.draft.value
    try:
        raw_defs = json.loads(str(form.get("topic_defs") or "[]"))
        definitions = [TopicDefinition(**d) for d in raw_defs if isinstance(d, dict)]
    except (ValueError, TypeError):
        definitions = []
    source = str(form.get("source") or "")
    action = str(form.get("do") or "import")
    notice = ""
    bulk_errors: dict[str, str] = {}
    if action == "select_all":
        selected = set(range(len(drafts)))
    elif action == "select_none":
        selected = set()
    elif action == "refresh":
        notice = gettext("The link checks were updated.")
    elif action == "apply":
        topic_slugs = {t.slug for t in await resources.all_topics(session)}
        try:
            changed = service.apply_to_selected(
                drafts,
                selected,
                service.BulkChange.from_form(form, topics=topic_slugs),
            )
            notice = gettext("Applied to %(count)d selected links.") % {"count": changed}
        except ValidationFailed as failed:
            bulk_errors = {f"bulk-{e.field}": gettext(e.message) % e.params for e in failed.errors}
    parsed = Parsed(format=fmt if fmt in service.IMPORT_FORMATS else "csv", drafts=drafts)
    parsed.topics = definitions
    review = await service.review(
        session,
        parsed,
        allow_networks=settings.checker_allow_networks,
        near_duplicates=action != "import",
    )
    if action not in ("import", "select_all"):
        # A verdict shown for the first time unselects a broken link (issue 16).
        for index, draft in enumerate(drafts):
            verdict = job.verdicts.get(draft.url.strip())
            if verdict is not None and verdict.broken and index not in seen:
                selected.discard(index)
    if action != "import":
        return await _preview(
            request,
            session,
            review,
            job=job,
            selected=selected,
            state=state,
            status_code=422 if bulk_errors else 200,
            source=source,
            notice=notice or gettext("The selection was changed."),
            bulk_errors=bulk_errors,
        )
    chosen = [row for index, row in enumerate(review.rows) if index in selected]
    if not chosen:
        review.rejected = [Problem(0, "row", N_("Select at least one link to import."))]
        return await _preview(
            request,
            session,
            review,
            job=job,
            selected=selected,
            state=state,
            status_code=422,
            source=source,
        )
    if any(not row.importable for row in chosen):
        return await _preview(
            request,
            session,
            review,
            job=job,
            selected=selected,
            state=state,
            status_code=422,
            source=source,
        )
    used = {c.definition.slug for row in chosen for c in row.topics if c.definition}
    report = await service.import_rows(
        session,
        chosen,
        by=actor_of(editor),
        definitions=[d for d in definitions if d.slug in used],
        create_topics=True,  # the curator chose each new topic in the preview
        default_state=state,
        allow_networks=settings.checker_allow_networks,
    )
    topics = await resources.topics_of(session, [r.id for r in report.created if r.id])
    return _render(
        request,
        "transfer/done.html",
        report=report,
        topics_of=topics,
        skipped=len(review.rows) - len(chosen),
    )


def check_summary(job: CheckJob) -> str:
    """How far the checks of a preview are, in words (the page and the JSON say the same)."""
    if not job.finished:
        return gettext("Checking the links: %(done)d of %(total)d checked.") % {
            "done": job.done,
            "total": job.total,
        }
    broken = sum(1 for url in job.urls if job.verdicts[url].broken)
    if not broken:
        return ngettext(
            "%(num)d link is checked: it works or could not be verified.",
            "All %(num)d links are checked: none is broken.",
            job.total,
        ) % {"num": job.total}
    return ngettext(
        "All links are checked: %(num)d is broken and not selected.",
        "All links are checked: %(num)d are broken and not selected.",
        broken,
    ) % {"num": broken}


@get("/manage/import/checks/{token:str}", include_in_schema=False, dependencies=DEPENDENCIES)
async def import_checks(
    request: Request[Any, Any, Any],
    editor: Editor,
    token: FromPath[str],
    since: FromQuery[int] = 0,
) -> Response[dict[str, Any]]:
    """The link checks of a preview so far, for the preview's script to poll.

    ``since`` is the ``next`` of the previous answer: only verdicts that arrived after it
    are sent again, so a poll of a 1,000-link preview stays small.
    """
    job = await _checks(request).get(token, editor.id or 0)
    if job is None:
        return Response(
            {
                "type": "about:blank",
                "status": 404,
                "title": gettext(
                    "These link checks are not known (they expired). "
                    "Press “Update the link checks” to check again."
                ),
            },
            status_code=404,
            media_type="application/problem+json",
            headers=NO_STORE,
        )
    return Response(
        {
            "total": job.total,
            "done": job.done,
            "finished": job.finished,
            "next": len(job.order),
            "summary": check_summary(job),
            "verdicts": [verdict.to_json() for verdict in job.since(since)],
        },
        headers=NO_STORE,
    )


# Exports --------------------------------------------------------------------------------

_EXPORT_SUFFIXES = {"json": "json", "csv": "csv", "html": "bookmarks", "opml": "opml"}


@get(
    [f"/manage/export.{suffix}" for suffix in _EXPORT_SUFFIXES],
    include_in_schema=False,
    dependencies=DEPENDENCIES,
)
async def export_download(
    request: Request[Any, Any, Any], session: DbSession, editor: Editor
) -> Response[bytes]:
    """The whole directory as a download: JSON, CSV, bookmark HTML or OPML."""
    settings: Settings = request.app.state.settings
    fmt = _EXPORT_SUFFIXES[request.url.path.rsplit(".", 1)[1]]
    data = await service.export(session, fmt, settings)
    media_type, extension = service.EXPORT_TYPES[fmt]
    name = f"linkdir-{datetime.now(UTC).date().isoformat()}.{extension}"
    return Response(
        data,
        media_type=media_type,
        headers={**NO_STORE, "Content-Disposition": f'attachment; filename="{name}"'},
    )


transfer_handlers = [
    import_page,
    import_from_page,
    import_from_file,
    import_confirm,
    import_checks,
    export_download,
]
