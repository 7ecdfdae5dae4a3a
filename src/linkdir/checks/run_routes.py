"""Check runs: the curator's page (/manage/checks) and the API (/api/v1/checks/runs)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.di import Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Redirect

from linkdir.auth.guards import Editor, provide_editor, provide_user, read_form
from linkdir.checks import jobs, runs
from linkdir.config import Settings
from linkdir.errors import N_, Conflict, FieldError, NotFound, ValidationFailed
from linkdir.web import NO_STORE, DbSession, page_number, render, with_query

DEPENDENCIES = {"user": Provide(provide_user), "editor": Provide(provide_editor)}
PER_PAGE = 20
MAX_PER_PAGE = 100
START_SCOPES = ("due", "all")


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds").replace("+00:00", "Z")


class RunOut(msgspec.Struct):
    id: int
    scope: str
    started_at: str | None
    finished_at: str | None
    worker: str
    total: int
    done: int
    percent: int
    running: bool
    cut_short: bool
    counts: dict[str, int]


class RunListOut(msgspec.Struct):
    items: list[RunOut]
    total: int
    page: int
    per_page: int
    running: int


class RunIn(msgspec.Struct, forbid_unknown_fields=True):
    scope: str = "due"


def _out(view: runs.RunView) -> RunOut:
    run = view.run
    assert run.id is not None
    return RunOut(
        id=run.id,
        scope=run.scope,
        started_at=_iso(run.started_at),
        finished_at=_iso(run.finished_at),
        worker=run.worker,
        total=run.total,
        done=run.done,
        percent=view.percent,
        running=view.running,
        cut_short=view.cut_short,
        counts=view.counts,
    )


async def _start(request: Request[Any, Any, Any], scope: str) -> int:
    """Start a run of ``scope`` (validated here); its id."""
    if scope not in START_SCOPES:
        raise ValidationFailed([FieldError("scope", N_("Choose “due” or “all”."), {})])
    settings: Settings = request.app.state.settings
    try:
        run = await jobs.start_manual_run(
            settings,
            request.app.state.engine,
            everything=scope == "all",
            runner=request.app.state.check_runner,
            background=request.app.state.background_runs,
        )
    except jobs.RunAlreadyGoing as going:
        raise Conflict(
            FieldError(
                "scope",
                N_("A check run started by a curator is still going (run %(id)s)."),
                {"id": going.run_id},
            )
        ) from None
    assert run.id is not None
    return run.id


@get("/manage/checks", include_in_schema=False, dependencies=DEPENDENCIES)
async def runs_page(
    request: Request[Any, Any, Any],
    session: DbSession,
    editor: Editor,
    page: FromQuery[str | None] = None,
) -> Response[str]:
    number = page_number(page)
    views, total = await runs.recent_runs(session, limit=PER_PAGE, offset=(number - 1) * PER_PAGE)
    response = render(
        request,
        "checks/runs.html",
        runs=views,
        total=total,
        page=number,
        per_page=PER_PAGE,
        running=await runs.running_count(session),
        started=request.query_params.get("started"),
        going=request.query_params.get("going"),
    )
    response.headers.update(NO_STORE)
    return response


@post("/manage/checks", include_in_schema=False, dependencies=DEPENDENCIES)
async def runs_start(request: Request[Any, Any, Any], editor: Editor) -> Redirect:
    form = await read_form(request)
    try:
        run_id = await _start(request, str(form.get("scope") or ""))
    except Conflict as conflict:
        return Redirect(
            with_query("/manage/checks", going=conflict.error.params["id"]), status_code=303
        )
    return Redirect(with_query("/manage/checks", started=run_id), status_code=303)


@get(
    "/api/v1/checks/runs",
    summary="Check runs, newest first, with live progress of those still running",
    tags=["checks"],
    dependencies=DEPENDENCIES,
)
async def api_runs(
    session: DbSession,
    editor: Editor,
    page: Annotated[int, QueryParameter(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, QueryParameter(ge=1, le=MAX_PER_PAGE)] = PER_PAGE,
) -> RunListOut:
    views, total = await runs.recent_runs(session, limit=per_page, offset=(page - 1) * per_page)
    return RunListOut(
        items=[_out(view) for view in views],
        total=total,
        page=page,
        per_page=per_page,
        running=await runs.running_count(session),
    )


@get(
    "/api/v1/checks/runs/{run_id:int}",
    summary="One check run and its progress",
    tags=["checks"],
    dependencies=DEPENDENCIES,
)
async def api_run(session: DbSession, editor: Editor, run_id: FromPath[int]) -> RunOut:
    view = await runs.get_run(session, run_id)
    if view is None:
        raise NotFound(f"check run {run_id}")
    return _out(view)


@post(
    "/api/v1/checks/runs",
    summary="Start a check run now: scope 'due' (links due for a check) or 'all'",
    tags=["checks"],
    status_code=202,
    dependencies=DEPENDENCIES,
)
async def api_start_run(
    request: Request[Any, Any, Any], session: DbSession, editor: Editor, data: JSONBody[RunIn]
) -> Response[RunOut]:
    run_id = await _start(request, data.scope)
    view = await runs.get_run(session, run_id)
    assert view is not None
    return Response(
        _out(view), status_code=202, headers={"Location": f"/api/v1/checks/runs/{run_id}"}
    )


run_handlers = [runs_page, runs_start, api_runs, api_run, api_start_run]
