"""Curator pages for many resources at once (issue 16): the list, bulk edit, undo, restore.

Handlers parse the form, call one service in ``curating`` and render; the rules are there.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from litestar import Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import Provide
from litestar.params import FromPath
from litestar.response import Redirect

from linkdir.auth.guards import Editor, actor_of, provide_editor, provide_user, read_form
from linkdir.checks.vocabulary import Verdict
from linkdir.errors import Conflict, FieldError, ValidationFailed
from linkdir.i18n import gettext
from linkdir.resources import curating, service
from linkdir.resources.models import LANGUAGES, ResourceType
from linkdir.web import NO_STORE, DbSession, page_number, render, same_site_path

DEPENDENCIES = {"user": Provide(provide_user), "editor": Provide(provide_editor)}
PER_PAGE = 50
LIST_PATH = "/manage/resources"
# Notices of a finished action: not filters, so a "back" address drops them.
NOTICE_PARAMS = ("undo", "undone", "restored", "not_retired")


def _errors(request: Request[Any, Any, Any], failures: list[FieldError]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for failure in failures:
        errors.setdefault(failure.field, failure.render(gettext))
    return errors


def _back(form: FormMultiDict) -> str:
    return same_site_path(str(form.get("back") or ""), prefix=LIST_PATH, default=LIST_PATH)


def _with_notice(target: str, **params: Any) -> str:
    parts = urlsplit(target)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in NOTICE_PARAMS]
    query += [(k, str(v)) for k, v in params.items()]
    return parts.path + ("?" + urlencode(query) if query else "")


def bulk_data(form: FormMultiDict) -> dict[str, Any]:
    """The bulk form as ``curating.validate_bulk`` takes it: a key given is a change."""
    ids = form.getall("page_ids", []) if form.get("all_on_page") else form.getall("ids", [])
    data: dict[str, Any] = {"ids": [str(i) for i in ids]}
    for name in ("add_topics", "remove_topics", "add_tags", "remove_tags"):
        values = [str(v) for v in form.getall(name, []) if str(v).strip()]
        if values:
            data[name] = ",".join(values)
    for name in ("resource_type", "language", "state", "review_by"):
        value = str(form.get(name) or "")
        if value:
            data[name] = value
    if form.get("clear_review_by"):
        data["review_by"] = None
    return data


async def _list_page(
    request: Request[Any, Any, Any],
    session: DbSession,
    params: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    bulk: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response[str]:
    filters = curating.filters_from(params)
    listing = await curating.find(
        session, filters, page=page_number(params.get("page")), per_page=PER_PAGE
    )
    notice = None
    if request.query_params.get("undo"):
        notice = await curating.batch_info(session, request.query_params["undo"])

    def list_url(**changes: Any) -> str:
        """This list's address with ``changes`` to its query (None removes a parameter)."""
        query = {k: v for k, v in params.items() if v}
        for name, value in changes.items():
            if value is None:
                query.pop(name, None)
            else:
                query[name] = str(value)
        return LIST_PATH + ("?" + urlencode(query) if query else "")

    response = render(
        request,
        "manage/resources.html",
        list_url=list_url,
        status_code=status_code,
        listing=listing,
        filters=filters,
        params=params,
        topics=await service.all_topics(session),
        states=service.ALL_STATES,
        statuses=[v.value for v in Verdict],
        types=[t.value for t in ResourceType],
        languages=LANGUAGES,
        sort_keys=curating.SORT_KEYS,
        errors=errors or {},
        bulk=bulk or {},
        selected={str(i) for i in (bulk or {}).get("ids", [])},
        undo_info=notice,
        undone=request.query_params.get("undone"),
        restored=request.query_params.get("restored"),
    )
    response.headers.update(NO_STORE)
    return response


def _filter_params(request: Request[Any, Any, Any]) -> dict[str, str]:
    params = {k: v for k, v in request.query_params.items() if k not in NOTICE_PARAMS}
    if "status" in params and "link_status" not in params:
        params["link_status"] = params.pop("status")  # the list's older name for it
    return params


@get(LIST_PATH, include_in_schema=False, dependencies=DEPENDENCIES)
async def resource_list(
    request: Request[Any, Any, Any], session: DbSession, editor: Editor
) -> Response[str]:
    """Search, filter, sort and page through every resource, drafts and retired included."""
    return await _list_page(request, session, _filter_params(request))


async def _bulk_failed(
    request: Request[Any, Any, Any],
    session: DbSession,
    form: FormMultiDict,
    data: dict[str, Any],
    failed: ValidationFailed,
) -> Response[str]:
    back = _back(form)
    params = dict(parse_qsl(urlsplit(back).query))
    return await _list_page(
        request,
        session,
        params,
        errors=_errors(request, failed.errors),
        bulk={**data, "back": back},
        status_code=422,
    )


@post(f"{LIST_PATH}/bulk", include_in_schema=False, dependencies=DEPENDENCIES)
async def bulk_preview(
    request: Request[Any, Any, Any], session: DbSession, editor: Editor
) -> Response[str]:
    """The confirmation page: per chosen resource, what the bulk edit will change."""
    form = await read_form(request)
    data = bulk_data(form)
    try:
        edit = curating.validate_bulk(data)
        planned = await curating.plan(session, edit)
    except ValidationFailed as failed:
        return await _bulk_failed(request, session, form, data, failed)
    topics = {t.slug: t for t in await service.all_topics(session)}
    response = render(
        request,
        "manage/bulk_confirm.html",
        edit=edit,
        planned=planned,
        changed=[p for p in planned if p.changes],
        topics=topics,
        back=_back(form),
        review_by=data.get("review_by", ""),
        clear_review_by="review_by" in data and data["review_by"] is None,
    )
    response.headers.update(NO_STORE)
    return response


@post(f"{LIST_PATH}/bulk/apply", include_in_schema=False, dependencies=DEPENDENCIES)
async def bulk_apply(
    request: Request[Any, Any, Any], session: DbSession, editor: Editor
) -> Response[Any]:
    """Make the confirmed bulk edit, then back to the list with an undo notice."""
    form = await read_form(request)
    data = bulk_data(form)
    try:
        edit = curating.validate_bulk(data)
        batch, _planned = await curating.apply(session, edit, by=actor_of(editor))
    except ValidationFailed as failed:
        return await _bulk_failed(request, session, form, data, failed)
    if batch is None:
        return Redirect(_with_notice(_back(form), undone=0), status_code=303)
    return Redirect(_with_notice(_back(form), undo=batch.id), status_code=303)


@post("/manage/undo/{batch_id:str}", include_in_schema=False, dependencies=DEPENDENCIES)
async def undo_batch(
    request: Request[Any, Any, Any], session: DbSession, editor: Editor, batch_id: FromPath[str]
) -> Response[Any]:
    """ "Ångra": put back what the batch changed, or say clearly why that is no longer possible."""
    form = await read_form(request)
    back = same_site_path(str(form.get("back") or ""), prefix="/manage/", default=LIST_PATH)
    try:
        restored = await curating.undo(session, batch_id, by=actor_of(editor))
    except Conflict as conflict:
        response = render(
            request,
            "manage/bulk_undo.html",
            status_code=409,
            message=conflict.error.render(gettext),
            back=_with_notice(back),
        )
        response.headers.update(NO_STORE)
        return response
    return Redirect(_with_notice(back, undone=len(restored)), status_code=303)


@post(
    "/manage/resources/{resource_id:int}/restore",
    include_in_schema=False,
    dependencies=DEPENDENCIES,
)
async def resource_restore(
    request: Request[Any, Any, Any], session: DbSession, editor: Editor, resource_id: FromPath[int]
) -> Response[Any]:
    """Bring a retired resource back (with a revision in its history)."""
    form = await read_form(request)
    back = same_site_path(str(form.get("back") or ""), prefix="/manage/", default=LIST_PATH)
    try:
        await curating.restore(session, resource_id, by=actor_of(editor))
    except Conflict:
        # Not retired (a second click, another curator's restore, a stale tab): back where
        # the curator was, told so, not an error page with no way on.
        await session.rollback()
        return Redirect(_with_notice(back, not_retired=resource_id), status_code=303)
    return Redirect(_with_notice(back, restored=resource_id), status_code=303)


curating_handlers = [resource_list, bulk_preview, bulk_apply, undo_batch, resource_restore]
