"""Rendering pages: the Jinja2 environment, the reader's locale, and a ``render`` helper."""

from __future__ import annotations

import time
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from litestar import Request, Response
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir import i18n
from linkdir.config import Settings

_PACKAGE = Path(__file__).parent

# The request's database session (provided by app.provide_session).
DbSession = NamedDependency[AsyncSession]
# Curator pages and sign-in answers must not be kept by browsers or proxies.
NO_STORE = {"Cache-Control": "no-store"}
MAX_PAGE = 100_000


def page_number(raw: str | None) -> int:
    """``?page=`` for pages: a mistyped value shows the first page, not an error."""
    try:
        return min(max(1, int(raw or "1")), MAX_PAGE)
    except ValueError:
        return 1


def same_site_path(target: str | None, *, prefix: str = "/", default: str) -> str:
    """``target`` if it is a path on this site under ``prefix``, else ``default``.

    Redirecting to a form's ``next``/``back`` unchecked would be an open redirect.
    """
    if target and target.startswith(prefix) and not target.startswith(("//", "/\\")):
        return target
    return default


def with_query(path: str, **params: Any) -> str:
    """``path`` with ``params`` appended to its query string."""
    return path + ("&" if "?" in path else "?") + urlencode(params)


def _asset_dir(name: str) -> Path:
    # Installed wheels carry templates/ and static/ inside the package; a source checkout
    # (editable install) keeps them at the top of the repository.
    packaged = _PACKAGE / name
    return packaged if packaged.is_dir() else _PACKAGE.parent.parent / name


def template_dir() -> Path:
    return _asset_dir("templates")


def static_dir() -> Path:
    return _asset_dir("static")


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir())),
        autoescape=jinja2.select_autoescape(["html", "xml", "svg"], default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True, pgettext=i18n.pgettext
    )
    env.filters.update(
        day=i18n.format_day,
        moment=i18n.format_moment,
        number=i18n.format_number,
        language_name=i18n.language_name,
    )
    from linkdir.labels import FILTERS

    env.filters.update(FILTERS)
    from linkdir.checks.vocabulary import FILTERS as LINK_FILTERS

    env.filters.update(LINK_FILTERS)
    # today(): the date printed on paper copies (base.html, print stylesheet).
    env.globals.update(LOCALES=i18n.LOCALES, today=date.today)
    return env


class TTLCache:
    """A small per-process cache for expensive, slowly changing page parts.

    Writes in this process clear it at once; other processes (scale-out) see changes
    within ``seconds``.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._values: dict[Any, tuple[float, Any]] = {}

    def get(self, key: Any) -> Any:
        found = self._values.get(key)
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def put(self, key: Any, value: Any) -> None:
        self._values[key] = (time.monotonic() + self.seconds, value)

    def clear(self) -> None:
        self._values.clear()


def request_locale(request: Request[Any, Any, Any]) -> str:
    return i18n.negotiate(
        request.query_params.get("lang"),
        request.cookies.get(i18n.LANG_COOKIE),
        request.headers.get("accept-language"),
    )


def set_locale_from(request: Request[Any, Any, Any]) -> str:
    """Make ``request``'s language the current one for gettext; returns it.

    Called in one place per request: :class:`LocaleMiddleware` for routed requests, and the
    app's exception-handler wrapper for requests the router refuses before any route runs.
    """
    locale = request_locale(request)
    i18n.set_locale(locale)
    return locale


class LocaleMiddleware:
    """ASGI middleware: the reader's language is the current one for the whole request.

    Handlers, guards, exception handlers and templates then translate with ``i18n.gettext``
    without setting it themselves.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = i18n.use_locale(request_locale(Request(scope)))
        try:
            await self.app(scope, receive, send)
        finally:
            i18n.reset_locale(token)


def url_with(request: Request[Any, Any, Any], **changes: Any) -> str:
    """The current path with query parameters changed (None removes one)."""
    params = dict(request.query_params)
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = str(value)
    query = urlencode(params)
    return request.url.path + (f"?{query}" if query else "")


def render(
    request: Request[Any, Any, Any],
    template: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response[str]:
    """Render ``template`` in the reader's language; remembers ``?lang=`` in a cookie."""
    settings: Settings = request.app.state.settings
    locale = i18n.current_locale()  # set for the request by LocaleMiddleware
    page = (
        environment()
        .get_template(template)
        .render(
            request=request,
            locale=locale,
            settings=settings,
            url_with=lambda **changes: url_with(request, **changes),
            user=getattr(request.state, "user", None),
            csrf_token=getattr(request.state, "csrf_token", ""),
            status_code=status_code,
            **context,
        )
    )
    cookies = []
    if request.query_params.get("lang") in i18n.LOCALES:
        cookies.append(
            Cookie(
                key=i18n.LANG_COOKIE,
                value=locale,
                max_age=365 * 24 * 3600,
                path="/",
                samesite="lax",
                secure=settings.secure_cookies,
                httponly=True,
            )
        )
    return Response(
        page,
        status_code=status_code,
        media_type="text/html; charset=utf-8",
        cookies=cookies,
        headers={"Vary": "Accept-Language, Cookie", "Content-Language": locale},
    )
