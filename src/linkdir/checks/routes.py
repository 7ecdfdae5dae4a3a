"""The maintainer's link report (/manage/links), its CSV, one-click fixes and the JSON API."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.di import Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Redirect

from linkdir.auth.guards import (
    Editor,
    actor_of,
    provide_editor,
    provide_user,
    read_form,
)
from linkdir.checks import drift, runs, suggest
from linkdir.checks import service as monitoring
from linkdir.config import Settings
from linkdir.db import utcnow
from linkdir.resources import service as directory
from linkdir.resources.models import Resource
from linkdir.urls import host_of
from linkdir.web import NO_STORE, DbSession, page_number, render, same_site_path, with_query

DEPENDENCIES = {"user": Provide(provide_user), "editor": Provide(provide_editor)}
PER_PAGE = 50
MAX_PER_PAGE = 100
CSV_LIMIT = 10_000
CSV_COLUMNS = (
    "id",
    "title",
    "url",
    "state",
    "link_status",
    "status_since",
    "last_checked_at",
    "consecutive_failures",
    "http_status",
    "reason",
    "final_url",
    "moved_to",
    "modified_on",
    "review_by",
)


def _tab(raw: str | None) -> str:
    return raw if raw in monitoring.TABS else monitoring.TABS[0]


def _iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds").replace("+00:00", "Z")
    return value.isoformat()


def _row(resource: Resource) -> dict[str, Any]:
    return {name: getattr(resource, name) for name in CSV_COLUMNS}


async def _report(
    request: Request[Any, Any, Any],
    session: DbSession,
    *,
    tab: str,
    topic: str | None,
    host: str | None,
    page: int,
    per_page: int,
) -> monitoring.LinkReport:
    settings: Settings = request.app.state.settings
    return await monitoring.link_report(
        session,
        tab=tab,
        settings=settings,
        today=utcnow().date(),
        topic=topic or None,
        host=(host or "").strip().lower() or None,
        page=page,
        per_page=per_page,
    )


CHART_WIDTH = 600
CHART_HEIGHT = 160
CHART_COLOURS = {
    "ok": "#2e7d32",
    "moved": "#1565c0",
    "unverified": "#8a6d00",
    "broken": "#b00020",
    "unchecked": "#5f6368",
}


def health_chart(
    history: list[tuple[date, dict[str, int]]],
    keys: tuple[str, ...] = monitoring.CHART_VERDICTS,
) -> dict[str, Any]:
    """Geometry of a stacked bar chart (server-side SVG: no script, no inline styles)."""
    tallest = max((sum(counts.values()) for _, counts in history), default=0) or 1
    slot = CHART_WIDTH / max(1, len(history))
    bars = []
    for index, (day, counts) in enumerate(history):
        bottom = float(CHART_HEIGHT)
        segments = []
        for verdict in keys:
            height = counts[verdict] / tallest * (CHART_HEIGHT - 10)
            if counts[verdict]:
                bottom -= height
                segments.append(
                    {
                        "verdict": verdict,
                        "y": round(bottom, 1),
                        "height": round(height, 1),
                        "count": counts[verdict],
                        "colour": CHART_COLOURS[verdict],
                    }
                )
        bars.append(
            {
                "day": day,
                "x": round(index * slot + 1, 1),
                "width": round(slot - 2, 1),
                "segments": segments,
                "total": sum(counts.values()),
            }
        )
    return {
        "bars": bars,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "tallest": tallest,
        "colours": {key: CHART_COLOURS[key] for key in keys},
        "any": any(bar["total"] for bar in bars),
    }


@get("/manage/links", include_in_schema=False, dependencies=DEPENDENCIES)
async def links_page(
    request: Request[Any, Any, Any],
    session: DbSession,
    editor: Editor,
    tab: FromQuery[str | None] = None,
    topic: FromQuery[str | None] = None,
    host: FromQuery[str | None] = None,
    page: FromQuery[str | None] = None,
) -> Response[str]:
    topics = await directory.all_topics(session)
    chosen_topic = topic if topic in {t.slug for t in topics} else None
    chosen_tab = _tab(tab)
    report = await _report(
        request,
        session,
        tab=chosen_tab,
        topic=chosen_topic,
        host=host,
        page=page_number(page),
        per_page=PER_PAGE,
    )
    response = render(
        request,
        "checks/links.html",
        report=report,
        tabs=monitoring.TABS,
        status_counts=await monitoring.status_counts(session),
        topics=topics,
        chosen_topic=chosen_topic,
        chosen_host=(host or "").strip().lower(),
        host_of=host_of,
        fixed=request.query_params.get("fixed"),
        chart=health_chart(await monitoring.checks_per_day(session, today=utcnow().date())),
        health_chart=health_chart(
            await runs.health_per_day(session, today=utcnow().date()), keys=runs.CHART_STATUSES
        ),
        running_runs=await runs.running_count(session),
        **await _rot(session, report.items),
    )
    response.headers.update(NO_STORE)
    return response


@get("/manage/links.csv", include_in_schema=False, dependencies=DEPENDENCIES)
async def links_csv(
    request: Request[Any, Any, Any],
    session: DbSession,
    editor: Editor,
    tab: FromQuery[str | None] = None,
    topic: FromQuery[str | None] = None,
    host: FromQuery[str | None] = None,
) -> Response[str]:
    chosen_tab = _tab(tab)
    report = await _report(
        request, session, tab=chosen_tab, topic=topic, host=host, page=1, per_page=CSV_LIMIT
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for resource in report.items:
        row = _row(resource)
        writer.writerow(
            [
                _iso(value)
                if isinstance(value, date | datetime)
                else ("" if value is None else value)
                for value in row.values()
            ]
        )
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            **NO_STORE,
            "Content-Disposition": f'attachment; filename="linkdir-links-{chosen_tab}.csv"',
        },
    )


async def _rot(session: DbSession, items: list[Resource]) -> dict[str, Any]:
    """Drift evidence and suggested new homes of a report page's rows (issue 14)."""
    ids = [resource.id for resource in items if resource.id is not None]
    return {
        "drift": await drift.evidence_for(session, ids),
        "suggestions": await suggest.suggestions_for(session, ids),
    }


def _back(form: Any, *, prefix: str) -> str:
    """Where a report form returns to: its ``back`` field, if it stays on our pages."""
    return same_site_path(str(form.get("back") or ""), prefix=prefix, default="/manage/links")


@post("/manage/links/{resource_id:int}/fix", include_in_schema=False, dependencies=DEPENDENCIES)
async def links_fix(
    request: Request[Any, Any, Any],
    session: DbSession,
    editor: Editor,
    resource_id: FromPath[int],
) -> Redirect:
    form = await read_form(request)
    settings: Settings = request.app.state.settings
    action = str(form.get("action") or "")
    await monitoring.apply_fix(
        session,
        resource_id,
        action,
        by=actor_of(editor),
        settings=settings,
        now=utcnow(),
        url=str(form.get("url") or "") or None,
    )
    back = _back(form, prefix="/manage/links")
    return Redirect(with_query(back, fixed=resource_id), status_code=303)


@post("/manage/links/bulk", include_in_schema=False, dependencies=DEPENDENCIES)
async def links_bulk_fix(
    request: Request[Any, Any, Any],
    session: DbSession,
    editor: Editor,
) -> Redirect:
    """The same fix for every selected link; links it does not fit are skipped and counted."""
    from linkdir.errors import NotFound, ValidationFailed

    form = await read_form(request)
    settings: Settings = request.app.state.settings
    action = str(form.get("action") or "")
    if action not in monitoring.FIXES:
        await monitoring.apply_fix(  # raises the usual "choose one of" error
            session, 0, action, by=actor_of(editor), settings=settings, now=utcnow()
        )
    done = skipped = 0
    for raw in form.getall("ids", [])[:500]:
        try:
            resource_id = int(raw)
        except ValueError:
            skipped += 1
            continue
        try:
            # apply_fix refuses (ValidationFailed) before it writes anything.
            await monitoring.apply_fix(
                session, resource_id, action, by=actor_of(editor), settings=settings, now=utcnow()
            )
            done += 1
        except (ValidationFailed, NotFound):
            skipped += 1
    back = _back(form, prefix="/manage/links")
    return Redirect(with_query(back, bulk=done, skipped=skipped), status_code=303)


@post("/manage/links/{resource_id:int}/check", include_in_schema=False, dependencies=DEPENDENCIES)
async def links_check_now(
    request: Request[Any, Any, Any],
    session: DbSession,
    editor: Editor,
    resource_id: FromPath[int],
) -> Redirect:
    """Check one link at once (a curator who just fixed a page wants to see it)."""
    from linkdir.checker import Checker, EngineConfig

    form = await read_form(request)
    settings: Settings = request.app.state.settings
    resource = await directory.get_resource(session, resource_id, states=directory.ALL_STATES)
    async with Checker(EngineConfig.from_settings(settings)) as checker:
        result = await checker.check(resource.url)
    now = utcnow()
    await monitoring.record_check(
        session, resource, result, now=now, settings=settings, worker=f"now:{editor.email}"
    )
    await runs.snapshot_health(session, today=now.date())
    back = _back(form, prefix="/manage/")
    return Redirect(with_query(back, checked=resource_id), status_code=303)


# JSON API ---------------------------------------------------------------------------------


class FixIn(msgspec.Struct, forbid_unknown_fields=True):
    action: str
    url: str | None = None  # for accept_suggestion: one of the item's suggestions


class SuggestionOut(msgspec.Struct):
    url: str
    source: str  # sitemap | site | identifier | archive
    score: float


class DriftOut(msgspec.Struct):
    old_title: str
    new_title: str
    similarity: float


class FixOut(msgspec.Struct):
    id: int
    action: str
    url: str
    state: str
    link_status: str


class LinkRow(msgspec.Struct):
    id: int
    title: str
    url: str
    state: str
    link_status: str
    status_since: str | None
    last_checked_at: str | None
    consecutive_failures: int
    http_status: int | None
    reason: str | None
    final_url: str | None
    moved_to: str | None
    modified_on: str | None
    review_by: str | None
    suggestions: list[SuggestionOut] = msgspec.field(default_factory=list)
    drift: DriftOut | None = None


class LinkReportOut(msgspec.Struct):
    status: str
    items: list[LinkRow]
    total: int
    page: int
    per_page: int
    counts: dict[str, int]


def _link_row(resource: Resource, rot: dict[str, Any]) -> LinkRow:
    assert resource.id is not None
    evidence = rot["drift"].get(resource.id)
    return LinkRow(
        id=resource.id,
        title=resource.title,
        url=resource.url,
        state=resource.state,
        link_status=resource.link_status,
        status_since=_iso(resource.status_since),
        last_checked_at=_iso(resource.last_checked_at),
        consecutive_failures=resource.consecutive_failures,
        http_status=resource.http_status,
        reason=resource.reason,
        final_url=resource.final_url,
        moved_to=resource.moved_to,
        modified_on=_iso(resource.modified_on),
        review_by=_iso(resource.review_by),
        suggestions=[
            SuggestionOut(item.url, item.source, item.score)
            for item in rot["suggestions"].get(resource.id, [])
        ],
        drift=DriftOut(evidence.old_title, evidence.new_title, evidence.similarity)
        if evidence
        else None,
    )


@post(
    "/api/v1/resources/{resource_id:int}/fix",
    summary="Fix a reported link (accept_suggestion takes the suggested url)",
    tags=["reports"],
    status_code=200,
    dependencies=DEPENDENCIES,
)
async def api_fix(
    request: Request[Any, Any, Any],
    session: DbSession,
    editor: Editor,
    resource_id: FromPath[int],
    data: JSONBody[FixIn],
) -> FixOut:
    settings: Settings = request.app.state.settings
    resource = await monitoring.apply_fix(
        session,
        resource_id,
        data.action,
        by=actor_of(editor),
        settings=settings,
        now=utcnow(),
        url=data.url,
    )
    assert resource.id is not None
    return FixOut(resource.id, data.action, resource.url, resource.state, resource.link_status)


@get(
    "/api/v1/reports/links",
    summary="Link report: broken, moved, unverified, review_due or stale resources",
    tags=["reports"],
    dependencies=DEPENDENCIES,
)
async def api_report(
    request: Request[Any, Any, Any],
    session: DbSession,
    editor: Editor,
    status: Annotated[
        str | None, QueryParameter(description="broken|moved|unverified|review_due|stale")
    ] = None,
    topic: Annotated[str | None, QueryParameter(max_length=80)] = None,
    host: Annotated[str | None, QueryParameter(max_length=255)] = None,
    page: Annotated[int, QueryParameter(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, QueryParameter(ge=1, le=MAX_PER_PAGE)] = PER_PAGE,
) -> LinkReportOut:
    tab = _tab(status)
    report = await _report(
        request, session, tab=tab, topic=topic, host=host, page=page, per_page=per_page
    )
    rot = await _rot(session, report.items)
    return LinkReportOut(
        status=tab,
        items=[_link_row(resource, rot) for resource in report.items],
        total=report.total,
        page=report.page,
        per_page=report.per_page,
        counts=report.counts,
    )


link_handlers = [
    links_page,
    links_csv,
    links_fix,
    links_bulk_fix,
    links_check_now,
    api_fix,
    api_report,
]
