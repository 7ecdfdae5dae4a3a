"""The curator's link report (/manage/links), its CSV, fixes and the JSON API: HTTP only.

Which rows a tab holds lives in :mod:`linkdir.checks.report`; which fixes fit a row,
bulk rules and "check now" in :mod:`linkdir.checks.fixes`. A fix that cannot apply
comes back to the same report page, tab and row (``#resource-ID``) with its reason.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.di import Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Redirect

from linkdir.auth.guards import Editor, actor_of, provide_editor, provide_user, read_form
from linkdir.checks import drift, fixes, report, runs, suggest
from linkdir.checks import service as monitoring
from linkdir.checks.charts import CHECK_LABELS, stacked_bars
from linkdir.checks.visitor_routes import visitor_handlers
from linkdir.checks.vocabulary import TABS, Tab, status_of
from linkdir.config import Settings
from linkdir.csvout import excel_csv
from linkdir.db import utcnow
from linkdir.errors import NotFound
from linkdir.inbound import in_id_range
from linkdir.reasons import reason_label
from linkdir.resources import service as directory
from linkdir.resources.models import Resource
from linkdir.urls import host_of
from linkdir.web import (
    NO_STORE,
    DbSession,
    page_number,
    render,
    same_site_path,
    with_query,
)

DEPENDENCIES = {"user": Provide(provide_user), "editor": Provide(provide_editor)}
# Each report row shows these partials in its evidence cell, in order; a feature that
# has more to show about a link (drift evidence, suggestions) adds its partial here.
ROW_PARTIALS: tuple[str, ...] = (
    "checks/_row_evidence.html",
    "checks/_drift_evidence.html",
    "checks/_suggestions.html",
    "checks/_row_visitors.html",
)
BACK_PREFIX = "/manage/links"


def _per_page(raw: str | None) -> int:
    try:
        return min(max(1, int(raw or report.PER_PAGE)), report.MAX_PER_PAGE)
    except ValueError:
        return report.PER_PAGE


def _host(raw: str | None) -> str | None:
    return (raw or "").strip().lower() or None


async def _report(
    request: Request[Any, Any, Any],
    session: DbSession,
    *,
    tab: str,
    topic: str | None,
    host: str | None,
    page: int,
    per_page: int,
) -> report.LinkReport:
    settings: Settings = request.app.state.settings
    return await report.link_report(
        session,
        tab=tab,
        settings=settings,
        today=utcnow().date(),
        topic=topic or None,
        host=_host(host),
        page=page,
        per_page=per_page,
    )


@get("/manage/links", include_in_schema=False, dependencies=DEPENDENCIES)
async def links_page(
    request: Request[Any, Any, Any],
    session: DbSession,
    editor: Editor,
    tab: FromQuery[str | None] = None,
    topic: FromQuery[str | None] = None,
    host: FromQuery[str | None] = None,
    page: FromQuery[str | None] = None,
    per_page: FromQuery[str | None] = None,
) -> Response[str]:
    topics = await directory.all_topics(session)
    chosen_topic = topic if topic in {t.slug for t in topics} else None
    found = await _report(
        request,
        session,
        tab=report.tab_name(tab),
        topic=chosen_topic,
        host=host,
        page=page_number(page),
        per_page=_per_page(per_page),
    )
    today = utcnow().date()
    rot = await _rot(session, found.items)
    row_fixes = {
        resource.id: fixes.available_fixes(resource, _facts(resource, found, rot))
        for resource in found.items
    }
    query = request.query_params
    response = render(
        request,
        "checks/links.html",
        report=found,
        tabs=[Tab(name) for name in TABS],
        status_counts=await report.status_counts(session),
        topics=topics,
        chosen_topic=chosen_topic,
        chosen_host=_host(host) or "",
        host_of=host_of,
        row_fixes=row_fixes,
        row_partials=ROW_PARTIALS,
        **rot,
        # The bulk menu offers what fits some row of the page (all of them on their own).
        bulk_fixes=[
            fix for fix in fixes.bulk_fixes() if any(fix in fits for fits in row_fixes.values())
        ],
        status_of=status_of,
        reason_label=reason_label,
        select_page=query.get("select") == "page",
        refused_id=query.get("refused"),
        refusal_text=fixes.refusal_message(
            query.get("why"),
            tried=(query.get("tried") or "")[:2048],
            allow_networks=request.app.state.settings.checker_allow_networks,
        ),
        tried=(query.get("tried") or "")[:2048],
        fixed=query.get("fixed") if (query.get("fixed") or "").isdigit() else None,
        chart=stacked_bars(
            await monitoring.checks_per_day(session, today=today),
            monitoring.CHART_VERDICTS,
            labels=CHECK_LABELS,
        ),
        health_chart=stacked_bars(
            await runs.health_per_day(session, today=today), report.SHOWN_STATUSES
        ),
        running_runs=await runs.running_count(session),
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
) -> Response[bytes]:
    chosen_tab = report.tab_name(tab)
    found = await _report(
        request, session, tab=chosen_tab, topic=topic, host=host, page=1, per_page=report.CSV_LIMIT
    )
    rows = report.csv_rows(found.items)
    return Response(
        # For Swedish Excel, as the directory's export: ";", a BOM, formulas neutralised.
        excel_csv(rows[0], rows[1:]),
        media_type="text/csv; charset=utf-8",
        headers={
            **NO_STORE,
            "Content-Disposition": f'attachment; filename="linkdir-links-{chosen_tab}.csv"',
        },
    )


def _back(form: Any) -> str:
    """Where a report form returns to: its ``back`` field, if it stays on the report."""
    return same_site_path(str(form.get("back") or ""), prefix=BACK_PREFIX, default=BACK_PREFIX)


def _to_row(back: str, resource_id: int, **params: Any) -> Redirect:
    """Back to the report page the form came from, scrolled to the row (``#resource-ID``)."""
    target = with_query(back.split("#", 1)[0], **params) + f"#resource-{resource_id}"
    return Redirect(target, status_code=303)


@post("/manage/links/{resource_id:int}/fix", include_in_schema=False, dependencies=DEPENDENCIES)
async def links_fix(
    request: Request[Any, Any, Any],
    session: DbSession,
    editor: Editor,
    resource_id: FromPath[int],
) -> Redirect:
    form = await read_form(request)
    settings: Settings = request.app.state.settings
    back = _back(form)
    try:
        await fixes.apply_fix(
            session,
            resource_id,
            str(form.get("action") or ""),
            by=actor_of(editor),
            settings=settings,
            now=utcnow(),
            url=str(form.get("url") or "") or None,
        )
    except fixes.FixRefused as refused:
        await session.rollback()
        # A typed address comes back in its field, with the rule's own reason.
        typed = str(form.get("url") or "")[:2048] if refused.code in fixes.ADDRESS_REFUSALS else ""
        extra = {"tried": typed} if typed else {}
        return _to_row(back, resource_id, refused=resource_id, why=refused.code, **extra)
    except NotFound:
        await session.rollback()
        return _to_row(back, resource_id, refused=resource_id, why="not_found")
    return _to_row(back, resource_id, fixed=resource_id)


def _report_scope(form: Any) -> dict[str, Any]:
    return {
        "tab": report.tab_name(str(form.get("tab") or "")),
        "topic": str(form.get("topic") or "") or None,
        "host": _host(str(form.get("host") or "")),
    }


@post("/manage/links/bulk", include_in_schema=False, dependencies=DEPENDENCIES)
async def links_bulk_fix(
    request: Request[Any, Any, Any],
    session: DbSession,
    editor: Editor,
) -> Response[Any]:
    """One fix for the selected links (or all in the tab); asks first before silencing many."""
    form = await read_form(request)
    settings: Settings = request.app.state.settings
    back = _back(form).split("#", 1)[0]
    action = str(form.get("action") or "")
    if action not in {fix.name for fix in fixes.bulk_fixes()}:
        return Redirect(with_query(back, bulk_error="choose"), status_code=303)
    if form.get("scope") == "tab":
        ids = await report.tab_ids(
            session,
            settings=settings,
            today=utcnow().date(),
            limit=fixes.BULK_LIMIT,
            **_report_scope(form),
        )
    else:
        ids = fixes.parse_ids(list(form.getall("ids", [])))
    if not ids:
        return Redirect(with_query(back, bulk_error="none"), status_code=303)
    if fixes.needs_confirmation(action, len(ids)) and form.get("confirmed") != "yes":
        chosen = [await session.get(Resource, i) for i in ids if in_id_range(i)]
        response = render(
            request,
            "checks/confirm_bulk.html",
            fix=fixes.FIXES[action],
            resources=[resource for resource in chosen if resource is not None],
            back=back,
        )
        response.headers.update(NO_STORE)
        return response
    outcome = await fixes.apply_fixes(
        session, ids, action, by=actor_of(editor), settings=settings, now=utcnow()
    )
    return Redirect(
        with_query(back, bulk=outcome.done, skipped=len(outcome.skipped)), status_code=303
    )


@post("/manage/links/{resource_id:int}/check", include_in_schema=False, dependencies=DEPENDENCIES)
async def links_check_now(
    request: Request[Any, Any, Any],
    session: DbSession,
    editor: Editor,
    resource_id: FromPath[int],
) -> Redirect:
    """Check one link at once (a curator who just fixed a page wants to see it)."""
    form = await read_form(request)
    settings: Settings = request.app.state.settings
    back = same_site_path(str(form.get("back") or ""), prefix="/manage/", default=BACK_PREFIX)
    try:
        resource = await directory.get_resource(session, resource_id, states=directory.ALL_STATES)
    except NotFound:
        return _to_row(back, resource_id, refused=resource_id, why="not_found")
    await fixes.check_now(session, resource, settings=settings, worker=f"now:{editor.email}")
    return _to_row(back, resource_id, checked=resource_id)


# JSON API ---------------------------------------------------------------------------------


class FixIn(msgspec.Struct, forbid_unknown_fields=True):
    action: str
    url: str | None = None


class FixOut(msgspec.Struct):
    id: int
    action: str
    url: str
    state: str
    link_status: str
    shown_status: str


class VisitorReportOut(msgspec.Struct):
    created_at: str
    comment: str


class LinkRow(msgspec.Struct):
    id: int
    title: str
    url: str
    state: str
    link_status: str
    shown_status: str
    status_since: str | None
    last_checked_at: str | None
    next_check_at: str | None
    consecutive_failures: int
    first_failure_at: str | None
    http_status: int | None
    reason: str | None
    reason_label: str
    final_url: str | None
    moved_to: str | None
    archive_url: str | None
    modified_on: str | None
    review_by: str | None
    visitor_reports: list[VisitorReportOut]
    fixes: list[str]
    suggestions: list[SuggestionOut] = msgspec.field(default_factory=list)
    drift: DriftOut | None = None


class SuggestionOut(msgspec.Struct):
    url: str
    source: str  # sitemap | site | identifier | archive
    score: float


class DriftOut(msgspec.Struct):
    old_title: str
    new_title: str
    similarity: float


class LinkReportOut(msgspec.Struct):
    status: str
    items: list[LinkRow]
    total: int
    page: int
    per_page: int
    counts: dict[str, int]


async def _rot(session: DbSession, items: list[Resource]) -> dict[str, Any]:
    """Drift evidence and suggested new homes of a report page's rows (issue 14)."""
    ids = [resource.id for resource in items if resource.id is not None]
    return {
        "drift": await drift.evidence_for(session, ids),
        "suggestions": await suggest.suggestions_for(session, ids),
    }


def _facts(resource: Resource, found: report.LinkReport, rot: dict[str, Any]) -> fixes.RowFacts:
    """What a row knows beyond its resource, for which fixes fit it."""
    key = resource.id or 0
    return fixes.RowFacts(
        open_reports=len(found.visitor_reports.get(key, [])),
        suggestions=len(rot["suggestions"].get(key, [])),
    )


def _iso(value: Any) -> str | None:
    return report.iso(value) or None


def _link_row(resource: Resource, found: report.LinkReport, rot: dict[str, Any]) -> LinkRow:
    assert resource.id is not None
    evidence = rot["drift"].get(resource.id)
    visitor_reports = found.visitor_reports.get(resource.id, [])
    facts = _facts(resource, found, rot)
    return LinkRow(
        id=resource.id,
        title=resource.title,
        url=resource.url,
        state=resource.state,
        link_status=resource.link_status,
        shown_status=status_of(resource).value,
        status_since=_iso(resource.status_since),
        last_checked_at=_iso(resource.last_checked_at),
        next_check_at=_iso(resource.next_check_at),
        consecutive_failures=resource.consecutive_failures,
        first_failure_at=_iso(found.first_failures.get(resource.id)),
        http_status=resource.http_status,
        reason=resource.reason,
        reason_label=reason_label(resource.reason),
        final_url=resource.final_url,
        moved_to=resource.moved_to,
        archive_url=resource.archive_url,
        modified_on=_iso(resource.modified_on),
        review_by=_iso(resource.review_by),
        visitor_reports=[
            VisitorReportOut(_iso(item.created_at) or "", item.comment) for item in visitor_reports
        ],
        fixes=[fix.name for fix in fixes.available_fixes(resource, facts)],
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
    summary="Fix a reported link: accept_redirect, confirm_broken, use_archive, "
    "change_address (with url), accept_content, accept_suggestion (with url), mark_ok, "
    "close_reports or retire",
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
    resource = await fixes.apply_fix(
        session,
        resource_id,
        data.action,
        by=actor_of(editor),
        settings=settings,
        now=utcnow(),
        url=data.url,
    )
    assert resource.id is not None
    return FixOut(
        resource.id,
        data.action,
        resource.url,
        resource.state,
        resource.link_status,
        status_of(resource).value,
    )


@get(
    "/api/v1/reports/links",
    summary="Link report: suspect, broken, moved, unverified, reported, review_due or stale",
    tags=["reports"],
    dependencies=DEPENDENCIES,
)
async def api_report(
    request: Request[Any, Any, Any],
    session: DbSession,
    editor: Editor,
    status: Annotated[str | None, QueryParameter(description="|".join(TABS))] = None,
    topic: Annotated[str | None, QueryParameter(max_length=80)] = None,
    host: Annotated[str | None, QueryParameter(max_length=255)] = None,
    page: Annotated[int, QueryParameter(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, QueryParameter(ge=1, le=report.MAX_PER_PAGE)] = report.PER_PAGE,
) -> LinkReportOut:
    found = await _report(
        request,
        session,
        tab=report.tab_name(status),
        topic=topic,
        host=host,
        page=page,
        per_page=per_page,
    )
    rot = await _rot(session, found.items)
    return LinkReportOut(
        status=found.tab,
        items=[_link_row(resource, found, rot) for resource in found.items],
        total=found.total,
        page=found.page,
        per_page=found.per_page,
        counts=found.counts,
    )


link_handlers = [
    links_page,
    links_csv,
    links_fix,
    links_bulk_fix,
    links_check_now,
    api_fix,
    api_report,
    *visitor_handlers,
]
