"""Sign-in and sign-out, and the admin pages for accounts and API tokens."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import Provide
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from linkdir import i18n
from linkdir.auth import service
from linkdir.auth.guards import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    Admin,
    CurrentUser,
    Editor,
    check_csrf,
    new_login_csrf,
    provide_admin,
    provide_editor,
    provide_user,
    read_form,
    session_cookie_name,
)
from linkdir.auth.models import ApiToken, Role
from linkdir.config import Settings
from linkdir.errors import Conflict, NotFound, ValidationFailed
from linkdir.web import NO_STORE, DbSession, render, same_site_path

DEPENDENCIES = {
    "user": Provide(provide_user),
    "editor": Provide(provide_editor),
    "admin": Provide(provide_admin),
}


def safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect would make phishing links look like ours."""
    return same_site_path(target, default="/manage/resources")


def _login_page(
    request: Request[Any, Any, Any],
    *,
    status_code: int = 200,
    error: str | None = None,
    email: str = "",
    next_path: str | None = None,
    first_run: bool = False,
) -> Response[str]:
    settings: Settings = request.app.state.settings
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_login_csrf()
    response = render(
        request,
        "auth/login.html",
        status_code=status_code,
        error=error,
        email=email,
        next_path=safe_next(next_path),
        login_csrf=token,
        expired=bool(request.query_params.get("expired")),
        welcome=bool(request.query_params.get("welcome")),
        reset_done=bool(request.query_params.get("reset")),
        first_run=first_run,
    )
    response.headers.update(NO_STORE)
    response.cookies.append(
        Cookie(
            key=LOGIN_CSRF_COOKIE,
            value=token,
            path="/login",
            httponly=True,
            samesite="lax",
            secure=settings.secure_cookies,
            max_age=3600,
        )
    )
    return response


@get("/login", include_in_schema=False, dependencies=DEPENDENCIES)
async def login_form(
    request: Request[Any, Any, Any],
    session: DbSession,
    user: CurrentUser,
    next: FromQuery[str | None] = None,
) -> Response[Any]:
    if user is not None:
        return Redirect(safe_next(next), status_code=303)
    from linkdir.auth.accounts import has_accounts

    return _login_page(request, next_path=next, first_run=not await has_accounts(session))


@post("/login", include_in_schema=False)
async def login_submit(request: Request[Any, Any, Any], session: DbSession) -> Response[Any]:
    settings: Settings = request.app.state.settings
    form = await request.form()
    email = str(form.get("email") or "")[:254]
    password = str(form.get("password") or "")[:1000]
    next_path = str(form.get("next") or "")
    check_csrf(request, str(form.get(CSRF_FIELD) or ""))
    address = request.client.host if request.client else "unknown"
    try:
        user = await service.login(
            session,
            email,
            password,
            address=address,
            max_failures=settings.login_max_failures,
            lockout=settings.login_lockout,
        )
    except service.LoginRefused as refused:
        failures = await service.failures_of(session, email)
        await session.commit()  # the failure counts must survive the error page
        if refused.locked_for is not None:
            minutes = max(1, round(refused.locked_for.total_seconds() / 60))
            message = i18n.ngettext(
                "Too many failed sign-ins. Try again in %(num)s minute.",
                "Too many failed sign-ins. Try again in %(num)s minutes.",
                minutes,
            ) % {"num": minutes}
            locked_page = _login_page(
                request, status_code=429, error=message, email=email, next_path=next_path
            )
            locked_page.headers["Retry-After"] = str(int(refused.locked_for.total_seconds()) + 1)
            return locked_page
        await asyncio.sleep(service.failure_delay(failures))
        message = i18n.gettext("The e-mail address or the password is wrong.")
        return _login_page(
            request, status_code=400, error=message, email=email, next_path=next_path
        )
    cookie_name = session_cookie_name(settings)
    token = await service.start_session(
        session,
        user,
        max_age=settings.session_max_age,
        replacing=request.cookies.get(cookie_name),
    )
    response: Response[Any] = Redirect(safe_next(next_path), status_code=303)
    response.cookies.append(
        Cookie(
            key=cookie_name,
            value=token,
            path="/",
            httponly=True,
            samesite="lax",
            secure=settings.secure_cookies,
            max_age=int(settings.session_max_age.total_seconds()),
        )
    )
    response.cookies.append(Cookie(key=LOGIN_CSRF_COOKIE, value="", path="/login", max_age=0))
    return response


@post("/logout", include_in_schema=False, dependencies=DEPENDENCIES)
async def logout(
    request: Request[Any, Any, Any], session: DbSession, user: CurrentUser
) -> Response[Any]:
    settings: Settings = request.app.state.settings
    form = await request.form()
    if user is not None:
        check_csrf(request, str(form.get(CSRF_FIELD) or ""))
        await service.end_session(session, request.state.session_token)
    response: Response[Any] = Redirect("/", status_code=303)
    response.cookies.append(
        Cookie(
            key=session_cookie_name(settings),
            value="",
            path="/",
            max_age=0,
            httponly=True,
            samesite="lax",
            secure=settings.secure_cookies,
        )
    )
    return response


# Tokens -----------------------------------------------------------------------------------


async def _tokens_page(
    request: Request[Any, Any, Any],
    session: DbSession,
    editor: Any,
    *,
    new_token: str | None = None,
    status_code: int = 200,
) -> Response[str]:
    is_admin = editor.role == Role.admin.value
    tokens = await service.tokens_of(session, None if is_admin else editor.id)
    owners = {u.id: u.email for u in await service.list_users(session)}
    response = render(
        request,
        "auth/tokens.html",
        status_code=status_code,
        tokens=tokens,
        owners=owners,
        new_token=new_token,
        is_admin=is_admin,
    )
    response.headers.update(NO_STORE)
    return response


@get("/manage/tokens", include_in_schema=False, dependencies=DEPENDENCIES)
async def tokens_page(
    request: Request[Any, Any, Any], session: DbSession, editor: Editor
) -> Response[str]:
    return await _tokens_page(request, session, editor)


@post("/manage/tokens", include_in_schema=False, dependencies=DEPENDENCIES)
async def token_create(
    request: Request[Any, Any, Any], session: DbSession, editor: Editor
) -> Response[str]:
    form = await read_form(request)
    name = str(form.get("name") or "").strip()[:100]
    new = await service.create_token(session, editor.email, name)
    return await _tokens_page(request, session, editor, new_token=new.token, status_code=201)


@post("/manage/tokens/{token_id:int}/revoke", include_in_schema=False, dependencies=DEPENDENCIES)
async def token_revoke(
    request: Request[Any, Any, Any], session: DbSession, editor: Editor, token_id: FromPath[int]
) -> Response[Any]:
    await read_form(request)
    record = await session.get(ApiToken, token_id)
    if record is None or (record.user_id != editor.id and editor.role != Role.admin.value):
        raise NotFound(token_id)
    await service.revoke_token(session, token_id)
    return Redirect("/manage/tokens", status_code=303)


# Users (admins) ---------------------------------------------------------------------------


async def _users_page(
    request: Request[Any, Any, Any],
    session: DbSession,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
    notice: str | None = None,
    invitation: tuple[str, str] | None = None,
) -> Response[str]:
    response = render(
        request,
        "auth/users.html",
        invitation=invitation,
        mail_enabled=request.app.state.settings.mail_enabled,
        status_code=status_code,
        users=await service.list_users(session),
        errors=errors or {},
        values=values or {},
        notice=notice,
        roles=[r.value for r in Role],
    )
    response.headers.update(NO_STORE)
    return response


@get("/manage/users", include_in_schema=False, dependencies=DEPENDENCIES)
async def users_page(
    request: Request[Any, Any, Any], session: DbSession, admin: Admin
) -> Response[str]:
    return await _users_page(request, session)


@post("/manage/users", include_in_schema=False, dependencies=DEPENDENCIES)
async def user_create(
    request: Request[Any, Any, Any], session: DbSession, admin: Admin
) -> Response[Any]:
    form = await read_form(request)
    values = {"email": str(form.get("email") or ""), "role": str(form.get("role") or "")}
    try:
        await service.create_user(
            session, values["email"], str(form.get("password") or ""), values["role"]
        )
    except ValidationFailed as failed:
        errors = {e.field: e.render(i18n.gettext) for e in failed.errors}
        return await _users_page(request, session, errors=errors, values=values, status_code=422)
    except Conflict as conflict:
        errors = {"email": conflict.error.render(i18n.gettext)}
        return await _users_page(request, session, errors=errors, values=values, status_code=409)
    return Redirect("/manage/users", status_code=303)


@post(
    "/manage/users/{user_id:int}/{action:str}", include_in_schema=False, dependencies=DEPENDENCIES
)
async def user_action(
    request: Request[Any, Any, Any],
    session: DbSession,
    admin: Admin,
    user_id: FromPath[int],
    action: FromPath[str],
) -> Response[Any]:
    form = await read_form(request)
    from linkdir.auth.models import User

    target = await session.get(User, user_id)
    if target is None or action not in {"disable", "enable", "password"}:
        raise NotFound(user_id)
    if action == "password":
        try:
            await service.set_password(session, target.email, str(form.get("password") or ""))
        except ValidationFailed as failed:
            errors = {f"password-{user_id}": e.render(i18n.gettext) for e in failed.errors}
            return await _users_page(request, session, errors=errors, status_code=422)
    elif target.id == admin.id:
        return await _users_page(
            request,
            session,
            status_code=409,
            notice=i18n.gettext("You cannot disable your own account."),
        )
    else:
        await service.set_active(session, target.email, action == "enable")
    return Redirect("/manage/users", status_code=303)


auth_handlers = [
    login_form,
    login_submit,
    logout,
    tokens_page,
    token_create,
    token_revoke,
    users_page,
    user_create,
    user_action,
]
