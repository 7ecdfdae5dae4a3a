"""The public "report a problem with the link" form on resource pages: HTTP only.

No account: the form is protected by a double-submit CSRF token (a cookie scoped to
``/resources`` and the same value in the form), a honeypot field, a size cap and a limit
per address (:mod:`linkdir.checks.visitors`). Every outcome comes back to the resource
page, with the message beside the form.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from litestar import Request, Response, post
from litestar.datastructures import Cookie
from litestar.params import FromPath
from litestar.response import Redirect

from linkdir.checks import visitors
from linkdir.config import Settings
from linkdir.db import utcnow
from linkdir.errors import ValidationFailed
from linkdir.i18n import gettext
from linkdir.web import DbSession

REPORT_CSRF_COOKIE = "linkdir_report_csrf"
HONEYPOT_FIELD = "website"


def report_form_token(request: Request[Any, Any, Any]) -> str:
    """The visitor's form token: their cookie's, or a new one (set it with :func:`token_cookie`)."""
    return request.cookies.get(REPORT_CSRF_COOKIE) or secrets.token_urlsafe(24)


def token_cookie(settings: Settings, token: str) -> Cookie:
    """The cookie half of the double-submit token."""
    return Cookie(
        key=REPORT_CSRF_COOKIE,
        value=token,
        path="/resources",
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
        max_age=24 * 3600,
    )


def _back(resource_id: int, **outcome: str) -> Redirect:
    query = "&".join(f"{key}={value}" for key, value in outcome.items())
    return Redirect(f"/resources/{resource_id}?{query}#report", status_code=303)


async def _render_with_error(
    request: Request[Any, Any, Any],
    session: DbSession,
    resource_id: int,
    *,
    status: int,
    message: str,
    comment: str,
) -> Response[str]:
    from linkdir.resources.routes import render_resource_page

    return await render_resource_page(
        request,
        session,
        resource_id,
        status_code=status,
        report_error=message,
        report_comment=comment,
    )


@post("/resources/{resource_id:int}/report", include_in_schema=False)
async def report_problem(
    request: Request[Any, Any, Any], session: DbSession, resource_id: FromPath[int]
) -> Response[Any]:
    """A visitor says the link does not work; it is rechecked soon and shown to curators."""
    settings: Settings = request.app.state.settings
    form = await request.form()
    comment = str(form.get("comment") or "")
    expected = request.cookies.get(REPORT_CSRF_COOKIE) or ""
    submitted = str(form.get("csrf_token") or "")
    if not expected or not hmac.compare_digest(expected, submitted):
        # Most often a visitor whose cookie expired: let them send it again.
        return await _render_with_error(
            request,
            session,
            resource_id,
            status=403,
            message=gettext(
                "The form had expired. Your report was not sent: please send it again."
            ),
            comment=comment,
        )
    address = request.client.host if request.client else "unknown"
    try:
        await visitors.report_problem(
            session,
            resource_id,
            comment=comment,
            address=address,
            honeypot=str(form.get(HONEYPOT_FIELD) or ""),
            settings=settings,
            now=utcnow(),
        )
    except visitors.HoneypotFilled:
        # A robot: it is told what a person would be told, and nothing is stored.
        return _back(resource_id, reported="1")
    except visitors.RateLimited:
        return await _render_with_error(
            request,
            session,
            resource_id,
            status=429,
            message=gettext(
                "Many reports have come from your network in the last hour. Please try again later."
            ),
            comment=comment,
        )
    except ValidationFailed as failed:
        await session.rollback()
        return await _render_with_error(
            request,
            session,
            resource_id,
            status=422,
            message=failed.errors[0].render(gettext),
            comment=comment,
        )
    return _back(resource_id, reported="1")


visitor_handlers = [report_problem]
