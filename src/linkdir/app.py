"""The Litestar application: ``create_app(settings)`` wires database, pages, API and errors."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

from litestar import Litestar, MediaType, Request, Response, get
from litestar.di import Provide
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.openapi.config import OpenAPIConfig
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir import __version__, changes, i18n, inbound, openapi_errors
from linkdir.auth.guards import CsrfFailed
from linkdir.checks.jobs import BackgroundRuns
from linkdir.config import Settings
from linkdir.db import create_engine, ping, session_factory
from linkdir.docs import api_docs
from linkdir.errors import Conflict, NotFound, ValidationFailed
from linkdir.feeds.service import feeds_changed
from linkdir.security import add_security_headers
from linkdir.web import LocaleMiddleware, TTLCache, render, set_locale_from, static_dir

log = logging.getLogger("linkdir")

PROBLEM_JSON = "application/problem+json"


async def provide_session(request: Request[Any, Any, Any]) -> AsyncGenerator[AsyncSession, None]:
    """One session per request, committed when the handler succeeds."""
    async with request.app.state.session_factory() as session:
        try:
            yield session
            await session.commit()
            if request.method not in {"GET", "HEAD", "OPTIONS"}:
                request.app.state.page_cache.clear()
                feeds_changed(request.app, session)
        except Exception:
            await session.rollback()
            changes.forget(session)
            raise


def _is_api(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith("/api/")


def problem(
    request: Request[Any, Any, Any],
    status: int,
    title: str,
    detail: str | None = None,
    **extra: Any,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return Response(body, status_code=status, media_type=PROBLEM_JSON)


def _error_page(
    request: Request[Any, Any, Any], status: int, title: str, detail: str | None = None
) -> Response[Any]:
    if _is_api(request):
        return problem(request, status, title, detail)
    return render(request, "errors/error.html", status_code=status, title=title, detail=detail)


def handle_validation_failed(
    request: Request[Any, Any, Any], exc: ValidationFailed
) -> Response[Any]:
    errors = [{"field": e.field, "message": e.render(i18n.gettext)} for e in exc.errors]
    title = i18n.gettext("Some fields are not valid.")
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    if _is_api(request):
        return problem(request, 422, title, detail, errors=errors)
    return render(request, "errors/error.html", status_code=422, title=title, detail=detail)


def handle_conflict(request: Request[Any, Any, Any], exc: Conflict) -> Response[Any]:
    message = exc.error.render(i18n.gettext)
    extra: dict[str, Any] = {"errors": [{"field": exc.error.field, "message": message}]}
    if exc.existing_id is not None:
        extra["existing"] = f"/api/v1/resources/{exc.existing_id}"
    if _is_api(request):
        return problem(request, 409, i18n.gettext("Conflict"), message, **extra)
    return render(request, "errors/error.html", status_code=409, title=message, detail=None)


def handle_not_found(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return _error_page(
        request,
        404,
        i18n.gettext("Page not found"),
        i18n.gettext("There is nothing at this address. It may have been moved or removed."),
    )


_AT_FIELD = re.compile(r"at `\$\.([A-Za-z0-9_]+)")
_UNKNOWN_FIELD = re.compile(r"unknown field `([^`]+)`")


def _decoder_error(item: dict[str, Any]) -> dict[str, str]:
    """A Litestar/msgspec decoding error as {field, message} in the reader's language."""
    raw = str(item.get("message") or "")
    field = str(item.get("key") or "body")
    if match := _UNKNOWN_FIELD.search(raw):
        return {"field": match.group(1), "message": i18n.gettext("Unknown field.")}
    if match := _AT_FIELD.search(raw):
        field = match.group(1)
    if field == "data":
        field = "body"
    return {"field": field, "message": _translate_decoder(raw)}


def handle_litestar_validation(
    request: Request[Any, Any, Any], exc: ValidationException
) -> Response[Any]:
    items = exc.extra if isinstance(exc.extra, list) else []
    errors = [_decoder_error(item) for item in items if isinstance(item, dict)]
    if not errors:
        errors.append({"field": "body", "message": _translate_decoder(exc.detail)})
    title = i18n.gettext("The request could not be read.")
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    if _is_api(request):
        return problem(request, 400, title, detail, errors=errors)
    return render(request, "errors/error.html", status_code=400, title=title, detail=detail)


def _translate_decoder(message: str) -> str:
    lowered = message.lower()
    if "truncated" in lowered or "malformed" in lowered or "invalid json" in lowered:
        return i18n.gettext("The body is not valid JSON.")
    if "expected `int`" in lowered:
        return i18n.gettext("Must be a whole number.")
    if "expected `str`" in lowered:
        return i18n.gettext("Must be text.")
    if "expected `array`" in lowered:
        return i18n.gettext("Must be a list.")
    if "expected `object`" in lowered:
        return i18n.gettext("The body must be a JSON object.")
    if "missing required" in lowered:
        return i18n.gettext("This field is required.")
    if "greater than or equal" in lowered or "less than or equal" in lowered:
        return i18n.gettext("The number is outside the allowed range.")
    if "length" in lowered:
        return i18n.gettext("The value is too long.")
    if "invalid enum value" in lowered:
        return i18n.gettext("This value is not one of the allowed choices.")
    return i18n.gettext("This value is not valid.")


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    titles = {
        401: i18n.gettext("Sign-in required"),
        403: i18n.gettext("Not allowed"),
        405: i18n.gettext("Method not allowed"),
        413: i18n.gettext("The request is too large."),
        429: i18n.gettext("Too many requests; try again shortly."),
        503: i18n.gettext("The service is unavailable right now."),
    }
    title = titles.get(status, i18n.gettext("The request could not be handled."))
    if status == 401 and not _is_api(request):
        # A browser without a (live) session goes to the sign-in page and comes back after.
        from linkdir.auth.guards import login_url

        target = login_url(request)
        if getattr(request.state, "session_expired", False):
            target += "&expired=1"
        return Redirect(target, status_code=303)
    detail = None
    if isinstance(exc, CsrfFailed):
        detail = i18n.gettext(
            "The form had expired or came from another site. Go back, reload the page and "
            "try again."
        )
    response = _error_page(request, status, title, detail)
    if status == 401 and _is_api(request):
        response.headers["WWW-Authenticate"] = 'Bearer realm="linkdir"'
    if exc.headers:
        response.headers.update(exc.headers)
    return response


_DB_INT = 2**31  # PostgreSQL's integer; SQLite's is wider, but an id past this names nothing


def handle_out_of_range(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """An id in the path that no id column can hold (found by API fuzzing) is not found."""
    if any(
        isinstance(value, int) and not -_DB_INT <= value < _DB_INT
        for value in request.path_params.values()
    ):
        return handle_not_found(request, exc)
    return handle_internal_error(request, exc)


def handle_internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    # Logged with the traceback for the operator; the visitor sees no internals.
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _error_page(
        request,
        HTTP_500_INTERNAL_SERVER_ERROR,
        i18n.gettext("Something went wrong on our side."),
        i18n.gettext("The error has been logged. Please try again later."),
    )


def in_reader_language(handler: Any) -> Any:
    """``handler`` with the reader's language set first.

    Routed requests have it from :class:`LocaleMiddleware` already; a request the router
    refuses (no such path, method not allowed) reaches the app's exception handlers without
    passing any route's middleware, so they set it here, in this one place.
    """

    def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        set_locale_from(request)
        return cast(Response[Any], handler(request, exc))

    return handle


async def guard_request(request: Request[Any, Any, Any]) -> Response[Any] | None:
    """Refuse what no handler should parse: bad paths, non-JSON or too deeply nested bodies."""
    if inbound.is_bad_path(request.url.path):
        raise NotFoundException()
    if "\x00" in request.url.query or "%00" in request.url.query:
        # PostgreSQL cannot hold a NUL in text: refused here, not a 500 from the database
        # (found by tests/test_api_fuzz.py on GET /api/v1/reports/links).
        return _error_page(
            request,
            400,
            i18n.gettext("The request could not be read."),
            i18n.gettext("The address contains a character that is not allowed (NUL)."),
        )
    if not _is_api(request) or request.method not in inbound.JSON_METHODS:
        return None
    body = await request.body()
    if not body.strip():
        return None
    if not inbound.is_json_type(request.headers.get("content-type")):
        return problem(
            request,
            415,
            i18n.gettext("The body must be JSON."),
            i18n.gettext("Send it with the header Content-Type: application/json."),
        )
    if inbound.json_depth(body) > inbound.MAX_JSON_DEPTH:
        return problem(
            request,
            400,
            i18n.gettext("The request could not be read."),
            i18n.gettext("The JSON is nested too deeply (at most %(max)d levels).")
            % {"max": inbound.MAX_JSON_DEPTH},
        )
    return None


@get("/health", media_type=MediaType.JSON, include_in_schema=False, cache=False)
async def health(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """200 when the database answers, 503 otherwise."""
    ok = await ping(request.app.state.engine)
    return Response(
        {"status": "ok" if ok else "unavailable", "database": ok, "version": __version__},
        status_code=200 if ok else 503,
        headers={"Cache-Control": "no-store"},
    )


def create_app(settings: Settings, *, engine: Any = None, run_scheduler: bool = False) -> Litestar:
    """A linkdir application configured only by ``settings``.

    ``run_scheduler`` runs the link-check schedule inside the app (``linkdir serve``);
    tests and web-only nodes (``--no-scheduler``) leave it off.
    """
    from linkdir.auth.account_routes import account_handlers
    from linkdir.auth.routes import auth_handlers
    from linkdir.branding import branding_handlers
    from linkdir.checks.routes import link_handlers
    from linkdir.checks.run_routes import run_handlers
    from linkdir.embed.routes import embed_handlers
    from linkdir.feeds.routes import feed_handlers
    from linkdir.mail.routes import mail_handlers
    from linkdir.ops.health import health_handlers
    from linkdir.resources.api import ResourceApi, TopicApi
    from linkdir.resources.curate_api import PinApi, TagApi
    from linkdir.resources.curating_api import CuratingApi
    from linkdir.resources.manage import manage_handlers
    from linkdir.resources.opensearch import opensearch
    from linkdir.resources.pin_routes import pin_manage_handlers
    from linkdir.resources.printing import print_handlers
    from linkdir.resources.routes import page_handlers
    from linkdir.resources.tag_routes import TagMoved, handle_tag_moved, tag_manage_handlers
    from linkdir.transfer.routes import transfer_handlers

    db_engine = engine or create_engine(settings.database_url)
    owns_engine = engine is None
    from linkdir.ops.compression import compression_config
    from linkdir.ops.logs import RequestIdMiddleware

    # Outermost: every log line has the id; then the reader's language for the whole request.
    middleware: list[Any] = [RequestIdMiddleware, LocaleMiddleware]
    ops_handlers: list[Any] = list(health_handlers)
    if settings.metrics_enabled:
        from linkdir.ops.metrics import metrics, metrics_middleware

        middleware.append(metrics_middleware())
        ops_handlers.append(metrics)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        from linkdir.auth.service import prepare_sign_in
        from linkdir.checker import EngineConfig
        from linkdir.resources.suggest import Vocabulary
        from linkdir.transfer.linkcheck import PreviewChecks

        start_state(app, settings)
        await asyncio.to_thread(prepare_sign_in)  # equal timing from the first sign-in on
        scheduler: asyncio.Task[None] | None = None
        # "Did you mean": the directory's words, counted in the background from start-up.
        vocabulary = app.state.vocabulary = Vocabulary(app.state.session_factory)
        # The link checks of import previews (issue 16): shared through the database; the
        # checks a preview started here run here, and are taken over if this process stops.
        preview_checks = app.state.preview_checks = PreviewChecks(
            EngineConfig.from_settings(settings), app.state.session_factory
        )
        try:
            if settings.demo:
                from linkdir.resources.demo import load_demo

                async with app.state.session_factory() as session:
                    if await load_demo(session):
                        await session.commit()
                        log.info("loaded the demo directory into an empty database")
            if app.state.run_scheduler:
                # The embedded default: dispatch and check jobs in this process (DESIGN §5).
                from linkdir.checks.runner import CheckRunner

                runner = CheckRunner(settings, db_engine, role="serve")
                app.state.check_runner = runner
                scheduler = asyncio.create_task(runner.run())
                log.info("link checks are scheduled in this process")
            vocabulary.start()
            yield
        finally:
            await vocabulary.close()
            await preview_checks.close()
            await app.state.background_runs.stop()
            if scheduler is not None:
                # Batches get the grace period, then give their links back (README, Operations).
                app.state.check_runner.request_stop()
                try:
                    await asyncio.wait_for(
                        asyncio.shield(scheduler), settings.shutdown_grace.total_seconds() + 15
                    )
                except (TimeoutError, Exception):
                    log.exception("the link-check scheduler did not stop cleanly")
                    scheduler.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await scheduler
                app.state.check_runner = None
            if owns_engine:
                await db_engine.dispose()

    app = Litestar(
        route_handlers=[
            health,
            *ops_handlers,
            *page_handlers,
            *feed_handlers,
            *auth_handlers,
            *account_handlers,
            *manage_handlers,
            *tag_manage_handlers,
            *pin_manage_handlers,
            *link_handlers,
            *run_handlers,
            *transfer_handlers,
            *mail_handlers,
            *branding_handlers,
            *embed_handlers,
            *print_handlers,
            opensearch,
            api_docs,
            ResourceApi,
            TopicApi,
            TagApi,
            PinApi,
            CuratingApi,
            create_static_files_router(
                path="/static", directories=[static_dir()], include_in_schema=False
            ),
        ],
        dependencies={"session": Provide(provide_session)},
        before_request=guard_request,
        middleware=middleware,
        before_send=[add_security_headers],
        lifespan=[lifespan],
        compression_config=compression_config(),
        exception_handlers={
            exc: in_reader_language(handler)
            for exc, handler in {
                ValidationFailed: handle_validation_failed,
                TagMoved: handle_tag_moved,
                Conflict: handle_conflict,
                NotFound: handle_not_found,
                NotFoundException: handle_not_found,
                ValidationException: handle_litestar_validation,
                NotAuthorizedException: handle_http_exception,
                PermissionDeniedException: handle_http_exception,
                HTTPException: handle_http_exception,
                OverflowError: handle_out_of_range,  # SQLite: beyond 64-bit integers
                DBAPIError: handle_out_of_range,  # PostgreSQL: beyond its integer
                Exception: handle_internal_error,
            }.items()
        },
        openapi_config=OpenAPIConfig(
            title="linkdir API",
            version=__version__,
            description=(
                "Curated resources with link health. Reads are public (published resources "
                "only); writes need `Authorization: Bearer <token>` "
                "(`linkdir token create EMAIL`) or a signed-in session with its CSRF token in "
                "`X-CSRF-Token`. Errors are application/problem+json. Readable version: "
                "/api/docs."
            ),
            path="/schema",
            # Declares 400/401/403/404/409/415/422 as problem+json on every operation.
            render_plugins=[openapi_errors.ProblemJsonRenderPlugin(path=["/", "/openapi.json"])],
        ),
        debug=False,
        # linkdir configures logging itself (cli.py); Litestar's default would reconfigure
        # the root logger at import time of every app, tests included.
        logging_config=None,
    )
    app.state.engine = db_engine
    app.state.session_factory = session_factory(db_engine)
    app.state.run_scheduler = run_scheduler
    start_state(app, settings)
    return app


def start_state(app: Litestar, settings: Settings) -> None:
    """The state one run of the app starts from: its settings, empty caches, no runs.

    Set when the app is made and again when its lifespan starts, so an app served twice
    (a server that restarts the lifespan, a test suite that reuses one app) never sees
    the previous run's cached pages, feed versions, pings or background runs.
    """
    app.state.settings = settings
    app.state.page_cache = TTLCache(seconds=30)
    app.state.check_runner = None
    app.state.background_runs = BackgroundRuns()
    app.state.migration_heads = None  # read from the scripts on the first /health/ready
    for lazy in ("feed_cache", "feed_pings"):  # made on first use (feeds/cache.py, websub.py)
        app.state.pop(lazy, None)
