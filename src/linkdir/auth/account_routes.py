"""The curator's own account page, invitations, forgotten passwords and the first-run setup.

Handlers parse the form, call one service in :mod:`linkdir.auth.accounts` (or the digest
and feed services) and render. Mail is only queued here; the mail job sends it.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from linkdir import i18n
from linkdir.auth import accounts, service
from linkdir.auth.guards import Admin, Editor, read_form
from linkdir.auth.models import ApiToken, Role, User
from linkdir.auth.routes import DEPENDENCIES, _users_page
from linkdir.config import Settings
from linkdir.errors import N_, Conflict, FieldError, NotFound, ValidationFailed
from linkdir.feeds.access import create_feed_secret, link_problems_url
from linkdir.mail import accounts as account_mail
from linkdir.mail import digest
from linkdir.mail.models import Frequency
from linkdir.resources import service as directory
from linkdir.resources.lookup import bookmarklet_href
from linkdir.web import NO_STORE, DbSession, render, request_locale

# Forms signed-out people submit (set a password, ask for a reset, set up) carry a token
# that must match this cookie: another site cannot post them on a visitor's behalf.
FORM_CSRF_COOKIE = "linkdir_form_csrf"


def _errors(failure: ValidationFailed | Conflict) -> dict[str, str]:
    if isinstance(failure, Conflict):
        return {failure.error.field: failure.error.render(i18n.gettext)}
    return {e.field: e.render(i18n.gettext) for e in failure.errors}


def _form_page(
    request: Request[Any, Any, Any], template: str, *, status_code: int = 200, **context: Any
) -> Response[str]:
    """A signed-out form page with its double-submit CSRF cookie."""
    settings: Settings = request.app.state.settings
    token = request.cookies.get(FORM_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(request, template, status_code=status_code, form_csrf=token, **context)
    response.headers.update(NO_STORE)
    response.headers["Referrer-Policy"] = "no-referrer"  # the token in the URL stays here
    response.cookies.append(
        Cookie(
            key=FORM_CSRF_COOKIE,
            value=token,
            path="/",
            httponly=True,
            samesite="strict",
            secure=settings.secure_cookies,
            max_age=3600,
        )
    )
    return response


async def _signed_out_form(request: Request[Any, Any, Any]) -> Any:
    form = await request.form()
    expected = request.cookies.get(FORM_CSRF_COOKIE) or ""
    submitted = str(form.get("csrf_token") or "")
    if not expected or not hmac.compare_digest(expected, submitted):
        from linkdir.auth.guards import CsrfFailed

        raise CsrfFailed(detail="csrf")
    return form


def _client(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


# The account page ------------------------------------------------------------------------


async def _account_page(
    request: Request[Any, Any, Any],
    session: DbSession,
    user: User,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    feed_url: str | None = None,
) -> Response[str]:
    assert user.id is not None
    prefs = await digest.settings_of(session, user)
    response = render(
        request,
        "auth/account.html",
        status_code=status_code,
        account=user,
        prefs=prefs,
        topics=await directory.all_topics(session),
        tokens=[t for t in await service.tokens_of(session, user.id) if t.revoked_at is None],
        errors=errors or {},
        notice=notice,
        feed_url=feed_url,
        mail_enabled=request.app.state.settings.mail_enabled,
        frequencies=[f.value for f in Frequency],
        bookmarklet=bookmarklet_href(request.app.state.settings.base_url),
    )
    response.headers.update(NO_STORE)
    return response


@get("/manage/account", include_in_schema=False, dependencies=DEPENDENCIES)
async def account_page(
    request: Request[Any, Any, Any], session: DbSession, editor: Editor
) -> Response[str]:
    return await _account_page(request, session, editor)


@post("/manage/account/{part:str}", include_in_schema=False, dependencies=DEPENDENCIES)
async def account_update(
    request: Request[Any, Any, Any], session: DbSession, editor: Editor, part: FromPath[str]
) -> Response[Any]:
    """One form of the account page: password, email, digest or feed."""
    form = await read_form(request)
    _ = i18n.gettext
    user = await session.get(User, editor.id)
    assert user is not None
    try:
        if part == "password":
            await accounts.change_password(
                session,
                user,
                str(form.get("current_password") or "")[:1000],
                str(form.get("password") or "")[:1000],
            )
            notice = _("Your password has been changed.")
        elif part == "email":
            await accounts.change_email(
                session,
                user,
                str(form.get("email") or "")[:254],
                str(form.get("current_password_email") or "")[:1000],
            )
            notice = _("Your e-mail address has been changed.")
        elif part == "digest":
            frequency = str(form.get("frequency") or "")
            if frequency not in {f.value for f in Frequency}:
                raise ValidationFailed(
                    [FieldError("frequency", N_("Choose how often you want a digest."))]
                )
            known = {t.slug for t in await directory.all_topics(session)}
            chosen = [str(slug) for slug in form.getall("topics", []) if str(slug) in known]
            await digest.update_settings(
                session,
                user,
                frequency=frequency,
                topics=chosen if form.get("scope") == "topics" else [],
                language=str(form.get("language") or ""),
            )
            notice = _("Your digest settings have been saved.")
        elif part == "feed":
            secret = await create_feed_secret(session, user.email)
            return await _account_page(
                request,
                session,
                user,
                feed_url=link_problems_url(request.app.state.settings, secret),
                notice=_("Your private feed address is below. Any earlier one stops working."),
            )
        else:
            raise NotFound(part)
    except (ValidationFailed, Conflict) as failure:
        status = 409 if isinstance(failure, Conflict) else 422
        if part == "email" and "current_password" in (errors := _errors(failure)):
            errors = {"current_password_email": errors.pop("current_password"), **errors}
            return await _account_page(request, session, user, status_code=status, errors=errors)
        return await _account_page(
            request, session, user, status_code=status, errors=_errors(failure)
        )
    return await _account_page(request, session, user, notice=notice)


@post(
    "/manage/account/tokens/{token_id:int}/revoke",
    include_in_schema=False,
    dependencies=DEPENDENCIES,
)
async def account_token_revoke(
    request: Request[Any, Any, Any], session: DbSession, editor: Editor, token_id: FromPath[int]
) -> Response[Any]:
    await read_form(request)
    record = await session.get(ApiToken, token_id)
    if record is None or record.user_id != editor.id:
        raise NotFound(token_id)
    await service.revoke_token(session, token_id)
    return Redirect("/manage/account#tokens", status_code=303)


# Invitations -----------------------------------------------------------------------------


@post("/manage/users/invite", include_in_schema=False, dependencies=DEPENDENCIES)
async def invite_submit(
    request: Request[Any, Any, Any], session: DbSession, admin: Admin
) -> Response[Any]:
    form = await read_form(request)
    settings: Settings = request.app.state.settings
    email = str(form.get("invite-email") or "")[:254]
    role = str(form.get("role") or Role.editor.value)
    lang = str(form.get("language") or request_locale(request))
    try:
        token = await accounts.invite(session, email, role, by=admin)
    except (ValidationFailed, Conflict) as failure:
        errors = {f"invite-{k}": v for k, v in _errors(failure).items()}
        return await _users_page(
            request, session, errors=errors, values={"invite-email": email}, status_code=422
        )
    address = service.normalise_email(email)
    link = account_mail.invitation_link(settings, token)
    if settings.mail_enabled:
        await account_mail.send_invitation(
            session,
            settings,
            lang if lang in i18n.LOCALES else "sv",
            address,
            token,
            by=admin.email,
        )
        return await _users_page(
            request,
            session,
            notice=i18n.gettext("The invitation to %(email)s is on its way.") % {"email": address},
        )
    return await _users_page(request, session, invitation=(address, link))


@get("/invite", include_in_schema=False)
async def invitation_page(
    request: Request[Any, Any, Any], session: DbSession, token: FromQuery[str] = ""
) -> Response[str]:
    record = await accounts.live_token(session, accounts.INVITE, token)
    if record is None:
        return _form_page(request, "auth/link_invalid.html", status_code=404)
    return _form_page(request, "auth/invitation.html", token=token, email=record.email, errors={})


@post("/invite", include_in_schema=False)
async def invitation_submit(request: Request[Any, Any, Any], session: DbSession) -> Response[Any]:
    form = await _signed_out_form(request)
    token = str(form.get("token") or "")
    try:
        await accounts.accept_invitation(session, token, str(form.get("password") or "")[:1000])
    except (ValidationFailed, Conflict) as failure:
        errors = _errors(failure)
        record = await accounts.live_token(session, accounts.INVITE, token)
        if record is None or "token" in errors:
            return _form_page(request, "auth/link_invalid.html", status_code=404)
        return _form_page(
            request,
            "auth/invitation.html",
            status_code=422,
            token=token,
            email=record.email,
            errors=errors,
        )
    return Redirect("/login?welcome=1", status_code=303)


# Forgotten passwords ---------------------------------------------------------------------


@get("/password/forgot", include_in_schema=False)
async def forgot_page(request: Request[Any, Any, Any]) -> Response[str]:
    return _form_page(
        request,
        "auth/forgot.html",
        sent=False,
        mail_enabled=request.app.state.settings.mail_enabled,
    )


@post("/password/forgot", include_in_schema=False, status_code=200)
async def forgot_submit(request: Request[Any, Any, Any], session: DbSession) -> Response[str]:
    form = await _signed_out_form(request)
    settings: Settings = request.app.state.settings
    if settings.mail_enabled:
        found = await accounts.request_reset(
            session, str(form.get("email") or ""), address=_client(request)
        )
        if found is not None:
            user, token = found
            await account_mail.send_reset(
                session, settings, request_locale(request), user.email, token
            )
    # The same page whether or not the address has an account (or was rate-limited).
    return _form_page(request, "auth/forgot.html", sent=True, mail_enabled=settings.mail_enabled)


@get("/password/reset", include_in_schema=False)
async def reset_page(
    request: Request[Any, Any, Any], session: DbSession, token: FromQuery[str] = ""
) -> Response[str]:
    if await accounts.live_token(session, accounts.RESET, token) is None:
        return _form_page(request, "auth/link_invalid.html", status_code=404)
    return _form_page(request, "auth/reset.html", token=token, errors={})


@post("/password/reset", include_in_schema=False)
async def reset_submit(request: Request[Any, Any, Any], session: DbSession) -> Response[Any]:
    form = await _signed_out_form(request)
    token = str(form.get("token") or "")
    try:
        await accounts.reset_password(session, token, str(form.get("password") or "")[:1000])
    except ValidationFailed as failure:
        errors = _errors(failure)
        if "token" in errors:
            return _form_page(request, "auth/link_invalid.html", status_code=404)
        return _form_page(request, "auth/reset.html", status_code=422, token=token, errors=errors)
    return Redirect("/login?reset=1", status_code=303)


# First run -------------------------------------------------------------------------------


@get("/setup", include_in_schema=False)
async def setup_page(
    request: Request[Any, Any, Any], session: DbSession, token: FromQuery[str] = ""
) -> Response[str]:
    if await accounts.has_accounts(session):
        raise NotFoundException()
    if await accounts.live_token(session, accounts.SETUP, token) is None:
        return _form_page(request, "auth/link_invalid.html", status_code=404)
    return _form_page(request, "auth/setup.html", token=token, errors={}, values={})


@post("/setup", include_in_schema=False)
async def setup_submit(request: Request[Any, Any, Any], session: DbSession) -> Response[Any]:
    if await accounts.has_accounts(session):
        raise NotFoundException()
    form = await _signed_out_form(request)
    token = str(form.get("token") or "")
    email = str(form.get("email") or "")[:254]
    try:
        await accounts.complete_setup(session, token, email, str(form.get("password") or "")[:1000])
    except (ValidationFailed, Conflict) as failure:
        errors = _errors(failure)
        if "token" in errors:
            return _form_page(request, "auth/link_invalid.html", status_code=404)
        return _form_page(
            request,
            "auth/setup.html",
            status_code=422,
            token=token,
            errors=errors,
            values={"email": email},
        )
    return Redirect("/login?welcome=1", status_code=303)


account_handlers = [
    account_page,
    account_update,
    account_token_revoke,
    invite_submit,
    invitation_page,
    invitation_submit,
    forgot_page,
    forgot_submit,
    reset_page,
    reset_submit,
    setup_page,
    setup_submit,
]
