"""Unsubscribing from digests with the link in the mail: no sign-in, only that account."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromQuery

from linkdir import i18n
from linkdir.config import Settings
from linkdir.mail import digest
from linkdir.web import NO_STORE, DbSession, render


def _valid(settings: Settings, user: str | None, sig: str | None) -> int | None:
    try:
        user_id = int(user or "")
    except ValueError:
        return None
    if not sig or len(sig) > 100 or not digest.signature_valid(settings, user_id, sig):
        return None
    return user_id


def _refused(request: Request[Any, Any, Any]) -> Response[str]:
    return render(
        request,
        "errors/error.html",
        status_code=404,
        title=i18n.gettext("This unsubscribe link is not valid"),
        detail=i18n.gettext(
            "Copy the whole link from the mail, or sign in and change your digest settings "
            "on your account page."
        ),
    )


@get("/mail/unsubscribe", include_in_schema=False)
async def unsubscribe_page(
    request: Request[Any, Any, Any],
    user: FromQuery[str | None] = None,
    sig: FromQuery[str | None] = None,
) -> Response[str]:
    """A confirm button: link scanners that follow GET links must not unsubscribe anyone."""
    if _valid(request.app.state.settings, user, sig) is None:
        return _refused(request)
    response = render(request, "mail/unsubscribe.html", done=False, user_id=user, sig=sig)
    response.headers.update(NO_STORE)
    return response


@post("/mail/unsubscribe", include_in_schema=False, status_code=200)
async def unsubscribe_submit(
    request: Request[Any, Any, Any],
    session: DbSession,
    user: FromQuery[str | None] = None,
    sig: FromQuery[str | None] = None,
) -> Response[str]:
    """The button and RFC 8058 one-click (``List-Unsubscribe=One-Click``) both land here."""
    user_id = _valid(request.app.state.settings, user, sig)
    if user_id is None or not await digest.unsubscribe(session, user_id):
        return _refused(request)
    response = render(request, "mail/unsubscribe.html", done=True, user_id=user, sig=sig)
    response.headers.update(NO_STORE)
    return response


mail_handlers = [unsubscribe_page, unsubscribe_submit]
