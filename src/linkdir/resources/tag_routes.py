"""``/manage/tags``: tags with counts, rename, merge with a confirmation step (issue 16).

Also the 301 for an old tag's public addresses: :func:`follow_old_tag` raises
:class:`TagMoved`, answered by :func:`handle_tag_moved` with a permanent redirect.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from linkdir.auth.guards import Editor, actor_of, read_form
from linkdir.errors import Conflict, FieldError, NotFound, ValidationFailed
from linkdir.i18n import gettext
from linkdir.resources import tags
from linkdir.resources.manage import DEPENDENCIES
from linkdir.web import NO_STORE, DbSession, render, with_query


class TagMoved(Exception):
    """The tag asked for was renamed or merged: answer 301 to ``location``."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def moved_location(path_template: str, new_slug: str, query: str) -> str:
    """``path_template`` ("/tags/{}") for ``new_slug``, keeping the request's query string."""
    path = path_template.format(quote(new_slug, safe=""))
    return path + (f"?{query}" if query else "")


async def follow_old_tag(
    request: Request[Any, Any, Any], session: DbSession, slug: str, path_template: str
) -> None:
    """Raise TagMoved when ``slug`` is an earlier name of a tag; return otherwise."""
    new_slug = await tags.moved_to(session, slug)
    if new_slug is not None:
        raise TagMoved(moved_location(path_template, new_slug, request.url.query))


def handle_tag_moved(request: Request[Any, Any, Any], exc: TagMoved) -> Response[Any]:
    # Cached like the public pages: the alias never changes once written.
    return Redirect(
        exc.location, status_code=301, headers={"Cache-Control": "public, max-age=3600"}
    )


def _errors(request: Request[Any, Any, Any], failures: list[FieldError]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for failure in failures:
        errors.setdefault(failure.field, failure.render(gettext))
    return errors


def _failures(failed: ValidationFailed | Conflict) -> list[FieldError]:
    return failed.errors if isinstance(failed, ValidationFailed) else [failed.error]


@get("/manage/tags", include_in_schema=False, dependencies=DEPENDENCIES)
async def tags_page(
    request: Request[Any, Any, Any], session: DbSession, editor: Editor, q: FromQuery[str] = ""
) -> Response[str]:
    query = q[: tags.MAX_QUERY]
    response = render(
        request,
        "manage/tags.html",
        tags=await tags.list_tags(session, query),
        query=query,
        renamed=request.query_params.get("renamed", ""),
        merged=request.query_params.get("merged", ""),
        into=request.query_params.get("into", ""),
    )
    response.headers.update(NO_STORE)
    return response


async def _tag_page(
    request: Request[Any, Any, Any],
    session: DbSession,
    slug: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response[str]:
    tag = await tags.get_tag(session, slug)
    assert tag.id is not None
    counts = {t.slug: t for t in await tags.list_tags(session)}
    response = render(
        request,
        "manage/tags_edit.html",
        status_code=status_code,
        tag=tag,
        count=counts[tag.slug],
        others=[t for t in counts.values() if t.slug != tag.slug],
        aliases=await tags.aliases_of(session, tag.id),
        values=values or {},
        errors=errors or {},
    )
    response.headers.update(NO_STORE)
    return response


@get("/manage/tags/{slug:str}", include_in_schema=False, dependencies=DEPENDENCIES)
async def tag_edit(
    request: Request[Any, Any, Any], session: DbSession, editor: Editor, slug: FromPath[str]
) -> Response[str]:
    try:
        return await _tag_page(request, session, slug)
    except NotFound:
        await follow_old_tag(request, session, slug, "/manage/tags/{}")
        raise


@post("/manage/tags/{slug:str}/rename", include_in_schema=False, dependencies=DEPENDENCIES)
async def tag_rename(
    request: Request[Any, Any, Any], session: DbSession, editor: Editor, slug: FromPath[str]
) -> Response[Any]:
    form = await read_form(request)
    new_name = str(form.get("slug") or "")
    try:
        tag = await tags.rename_tag(session, slug, new_name, by=actor_of(editor))
    except (ValidationFailed, Conflict) as failed:
        return await _tag_page(
            request,
            session,
            slug,
            values={"slug": new_name},
            errors=_errors(request, _failures(failed)),
            status_code=422 if isinstance(failed, ValidationFailed) else 409,
        )
    return Redirect(with_query("/manage/tags", renamed=slug, into=tag.slug), status_code=303)


@post("/manage/tags/{slug:str}/merge", include_in_schema=False, dependencies=DEPENDENCIES)
async def tag_merge(
    request: Request[Any, Any, Any], session: DbSession, editor: Editor, slug: FromPath[str]
) -> Response[Any]:
    """Without ``confirm``: the confirmation page; with it, the merge."""
    form = await read_form(request)
    target = str(form.get("into") or "")
    try:
        if form.get("confirm") != "1":
            plan = await tags.plan_merge(session, slug, target)
            response = render(request, "manage/tags_merge.html", plan=plan)
            response.headers.update(NO_STORE)
            return response
        plan = await tags.merge_tags(session, slug, target, by=actor_of(editor))
    except (ValidationFailed, Conflict) as failed:
        return await _tag_page(
            request,
            session,
            slug,
            values={"into": target},
            errors=_errors(request, _failures(failed)),
            status_code=422,
        )
    return Redirect(
        with_query("/manage/tags", merged=plan.source, into=plan.target), status_code=303
    )


tag_manage_handlers = [tags_page, tag_edit, tag_rename, tag_merge]
