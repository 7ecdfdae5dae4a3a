"""Who is asking: a bearer token (API clients) or a session cookie (curators' browsers).

Writes made with a session cookie must carry the session's CSRF token (a form field or the
``X-CSRF-Token`` header); bearer-token clients are exempt because browsers never attach
those headers by themselves.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any
from urllib.parse import quote

from litestar import Request
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir import i18n
from linkdir.auth.models import Role, User
from linkdir.auth.service import session_user, user_for_token
from linkdir.config import Settings
from linkdir.resources.service import Actor

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
LOGIN_CSRF_COOKIE = "linkdir_login_csrf"


def session_cookie_name(settings: Settings) -> str:
    # The __Host- prefix makes browsers refuse the cookie unless it is Secure, host-only
    # and path=/ — so it cannot be planted by a sibling subdomain.
    return "__Host-linkdir_session" if settings.secure_cookies else "linkdir_session"


def csrf_token_for(settings: Settings, session_token: str) -> str:
    """The CSRF token of a session: an HMAC of the session id under the secret key."""
    key = settings.secret_key.encode("utf-8")
    return hmac.new(key, b"csrf:" + session_token.encode("utf-8"), hashlib.sha256).hexdigest()


class CsrfFailed(PermissionDeniedException):
    """The form or request lacks a valid CSRF token."""


def check_csrf(request: Request[Any, Any, Any], submitted: str | None) -> None:
    """Raise CsrfFailed unless ``submitted`` is the token of the signed-in session."""
    settings: Settings = request.app.state.settings
    token = getattr(request.state, "session_token", None)
    if token is None:
        expected = request.cookies.get(LOGIN_CSRF_COOKIE)  # the sign-in form, before a session
    else:
        expected = csrf_token_for(settings, token)
    if not expected or not submitted or not hmac.compare_digest(expected, submitted):
        raise CsrfFailed(detail="csrf")


async def read_form(request: Request[Any, Any, Any]) -> Any:
    """The submitted form, after checking its CSRF field (CsrfFailed otherwise)."""
    form = await request.form()
    check_csrf(request, str(form.get(CSRF_FIELD) or ""))
    return form


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)


async def provide_user(request: Request[Any, Any, Any]) -> User | None:
    """The user behind ``Authorization: Bearer`` or the session cookie; None if anonymous.

    A bearer header that is present but wrong is an error, not anonymity: a client that
    believes it is signed in must learn that it is not.
    """
    # A session of its own, closed here: an exception raised while Litestar resolves
    # dependencies would otherwise leave the request's session (and its connection) open.
    async with request.app.state.session_factory() as session:
        user = await _identify(request, session)
        await session.commit()
    if (
        user is not None
        and request.state.auth == "session"
        and request.method in UNSAFE_METHODS
        and request.url.path.startswith("/api/")
    ):
        check_csrf(request, request.headers.get(CSRF_HEADER))
    return user


async def _identify(request: Request[Any, Any, Any], session: AsyncSession) -> User | None:
    settings: Settings = request.app.state.settings
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthorizedException(headers={"WWW-Authenticate": 'Bearer realm="linkdir"'})
        user = await user_for_token(session, token.strip())
        if user is None:
            raise NotAuthorizedException(
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
            )
        request.state.user = user
        request.state.auth = "token"
        return user
    cookie = request.cookies.get(session_cookie_name(settings))
    if not cookie:
        return None
    found = await session_user(session, cookie, idle=settings.session_idle)
    if found is None:
        request.state.session_expired = True
        return None
    user, _record = found
    request.state.user = user
    request.state.auth = "session"
    request.state.session_token = cookie
    request.state.csrf_token = csrf_token_for(settings, cookie)
    return user


async def provide_editor(user: NamedDependency[User | None]) -> User:
    """A signed-in editor or admin; 401 otherwise."""
    if user is None:
        raise NotAuthorizedException(headers={"WWW-Authenticate": 'Bearer realm="linkdir"'})
    if user.role not in {Role.editor.value, Role.admin.value}:
        raise PermissionDeniedException()
    return user


async def provide_admin(user: NamedDependency[User | None]) -> User:
    """A signed-in admin; 401 when anonymous, 403 for editors."""
    if user is None:
        raise NotAuthorizedException(headers={"WWW-Authenticate": 'Bearer realm="linkdir"'})
    if user.role != Role.admin.value:
        raise PermissionDeniedException()
    return user


# Handler parameter types: the signed-in user (or None), one who may edit, an admin.
CurrentUser = NamedDependency[User | None]
Editor = NamedDependency[User]
Admin = NamedDependency[User]


def actor_of(user: User) -> Actor:
    return Actor(label=user.email, user_id=user.id)


def login_url(request: Request[Any, Any, Any]) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    # A language chosen in the address (a link to ?lang=en) holds on the sign-in page too:
    # the redirect sets no cookie of its own.
    lang = request.query_params.get("lang")
    chosen = f"&lang={lang}" if lang in i18n.LOCALES else ""
    return "/login?next=" + quote(target, safe="") + chosen
