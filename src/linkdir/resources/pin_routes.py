"""``/manage/topics/{slug}/order``: pin resources to the top of a topic and order them.

Plain forms, one button each: without JavaScript the page comes back with the moved
resource's button focused (``autofocus``) and a status line saying where it is now.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from linkdir.auth.guards import Editor, read_form
from linkdir.errors import ValidationFailed
from linkdir.i18n import gettext
from linkdir.resources import pins
from linkdir.resources.manage import DEPENDENCIES
from linkdir.web import NO_STORE, DbSession, render, with_query

# Which of the moved resource's buttons gets the focus back, best first.
_FOCUS = {
    "up": ("up", "down", "unpin"),
    "down": ("down", "up", "unpin"),
    "pin": ("up", "unpin"),
    "unpin": ("pin",),
}


def _buttons(order: pins.TopicOrder, resource_id: int) -> tuple[str, ...]:
    ids = [r.id for r in order.pinned]
    if resource_id not in ids:
        return ("pin",)
    index = ids.index(resource_id)
    return tuple(
        name
        for name, shown in (("up", index > 0), ("down", index < len(ids) - 1), ("unpin", True))
        if shown
    )


def _status(order: pins.TopicOrder, action: str, resource_id: int) -> tuple[str, str]:
    """The status line and the button to focus after ``action`` on ``resource_id``."""
    everything = {r.id: r for r in (*order.pinned, *order.others)}
    resource = everything.get(resource_id)
    if resource is None or action not in _FOCUS:
        return "", ""
    available = _buttons(order, resource_id)
    focus = next((name for name in _FOCUS[action] if name in available), available[0])
    ids = [r.id for r in order.pinned]
    if resource_id not in ids:
        return gettext("%(title)s is no longer pinned.") % {"title": resource.title}, focus
    place = {"title": resource.title, "position": ids.index(resource_id) + 1, "count": len(ids)}
    if action == "pin":
        return gettext("%(title)s pinned: now %(position)d of %(count)d.") % place, focus
    return gettext("%(title)s moved: now %(position)d of %(count)d.") % place, focus


async def _order_page(
    request: Request[Any, Any, Any],
    order: pins.TopicOrder,
    *,
    done: str = "",
    moved: int | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response[str]:
    status, focus = _status(order, done, moved) if moved is not None else ("", "")
    response = render(
        request,
        "manage/topic_order.html",
        status_code=status_code,
        order=order,
        status=status,
        moved=moved,
        focus=focus,
        errors=errors or {},
        max_pins=pins.MAX_PINS,
    )
    response.headers.update(NO_STORE)
    return response


@get("/manage/topics/{slug:str}/order", include_in_schema=False, dependencies=DEPENDENCIES)
async def topic_order_page(
    request: Request[Any, Any, Any],
    session: DbSession,
    editor: Editor,
    slug: FromPath[str],
    done: FromQuery[str] = "",
    moved: FromQuery[str] = "",
) -> Response[str]:
    order = await pins.topic_order(session, slug)
    moved_id = int(moved) if moved.isdigit() and len(moved) < 10 else None
    return await _order_page(request, order, done=done, moved=moved_id)


@post("/manage/topics/{slug:str}/order", include_in_schema=False, dependencies=DEPENDENCIES)
async def topic_order_change(
    request: Request[Any, Any, Any], session: DbSession, editor: Editor, slug: FromPath[str]
) -> Response[Any]:
    form = await read_form(request)
    action = str(form.get("action") or "")
    raw_id = str(form.get("resource_id") or "")
    try:
        order = await pins.change_pin(session, slug, action, raw_id)
    except ValidationFailed as failed:
        errors: dict[str, str] = {}
        for failure in failed.errors:
            errors.setdefault(failure.field, failure.render(gettext))
        return await _order_page(
            request, await pins.topic_order(session, slug), errors=errors, status_code=422
        )
    path = f"/manage/topics/{quote(order.topic.slug, safe='')}/order"
    return Redirect(with_query(path, done=action, moved=raw_id), status_code=303)


pin_manage_handlers = [topic_order_page, topic_order_change]
