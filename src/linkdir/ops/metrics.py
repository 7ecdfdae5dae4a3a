"""Prometheus metrics (``/metrics``): requests by route template (Litestar's plugin) and
gauges read from the database at each scrape (links per status, the due backlog, the
last dispatch, checks per minute by verdict, worker heartbeats).

Off unless ``LINKDIR_METRICS`` or ``LINKDIR_METRICS_TOKEN`` is set, so the public site
shows none; with a token, only a scraper that sends it gets an answer.
"""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta
from typing import Any

from litestar import Request, Response, get
from litestar.middleware.base import DefineMiddleware
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Gauge,
    generate_latest,
)
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from linkdir.checks import heartbeat
from linkdir.checks.models import CheckResult, CheckRun
from linkdir.checks.report import status_counts
from linkdir.config import Settings
from linkdir.db import utcnow
from linkdir.resources.models import Resource, ResourceState
from linkdir.web import NO_STORE

CHECK_WINDOW = timedelta(minutes=1)


def metrics_middleware() -> DefineMiddleware:
    """Request counts and latencies labelled by route template (``/resources/{id}``)."""
    from litestar.plugins.prometheus import PrometheusConfig

    config = PrometheusConfig(
        app_name="linkdir",
        prefix="linkdir_http",
        group_path=True,
        # Probes and scrapes every few seconds would drown the visitors' requests.
        exclude=["^/static/", "^/metrics$", "^/health"],
    )
    return config.middleware


async def database_gauges(session: AsyncSession, *, now: datetime) -> CollectorRegistry:
    """This moment's figures from the database, as a registry of its own (one a scrape)."""
    registry = CollectorRegistry(auto_describe=True)
    links = Gauge("linkdir_links", "Links (not retired) by link status.", ["status"],
                  registry=registry)  # fmt: skip
    for status, count in (await status_counts(session)).items():
        links.labels(status=status).set(count)

    due = (
        col(Resource.state) != ResourceState.retired.value,
        or_(col(Resource.next_check_at).is_(None), col(Resource.next_check_at) <= now),
    )
    backlog, oldest = (
        await session.execute(
            select(func.count(), func.min(col(Resource.next_check_at))).where(*due)
        )
    ).one()
    Gauge("linkdir_links_due", "Links due for a check now (the backlog).",
          registry=registry).set(int(backlog))  # fmt: skip
    oldest_at = _aware(oldest)
    Gauge(
        "linkdir_oldest_due_seconds",
        "How long the longest-waiting due link has been due (0: none waits).",
        registry=registry,
    ).set(max(0.0, (now - oldest_at).total_seconds()) if oldest_at else 0.0)

    last_dispatch = (
        await session.execute(
            select(func.max(col(CheckRun.started_at))).where(col(CheckRun.scope) == "scheduled")
        )
    ).scalar()
    dispatched_at = _aware(last_dispatch)
    Gauge(
        "linkdir_last_dispatch_timestamp_seconds",
        "When the last dispatch claimed links (Unix time; 0: never).",
        registry=registry,
    ).set(dispatched_at.timestamp() if dispatched_at else 0.0)

    per_minute = Gauge(
        "linkdir_checks_per_minute",
        "Checks recorded in the last minute, by verdict.",
        ["verdict"],
        registry=registry,
    )
    rows = await session.execute(
        select(col(CheckResult.verdict), func.count())
        .where(col(CheckResult.checked_at) > now - CHECK_WINDOW)
        .group_by(col(CheckResult.verdict))
    )
    counts = {verdict: 0 for verdict in ("ok", "moved", "broken", "unverified")}
    counts.update({str(verdict): int(count) for verdict, count in rows.all()})
    for verdict, count in counts.items():
        per_minute.labels(verdict=verdict).set(count)

    workers = Gauge(
        "linkdir_workers",
        "Processes running check jobs, by heartbeat: fresh or stale (hung or killed).",
        ["state"],
        registry=registry,
    )
    beats = await heartbeat.heartbeats(session)
    fresh = sum(1 for beat in beats if heartbeat.is_fresh(beat, now=now))
    workers.labels(state="fresh").set(fresh)
    workers.labels(state="stale").set(len(beats) - fresh)
    return registry


def _aware(value: datetime | None) -> datetime | None:
    from datetime import UTC

    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def authorized(settings: Settings, authorization: str | None) -> bool:
    """Whether a scrape may read the metrics (a token, if set, must match)."""
    if not settings.metrics_token:
        return True
    scheme, _, given = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), settings.metrics_token.encode()
    )


@get("/metrics", include_in_schema=False, cache=False)
async def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Prometheus text format: the request metrics and this moment's database gauges."""
    settings: Settings = request.app.state.settings
    if not authorized(settings, request.headers.get("authorization")):
        return Response(
            b"A bearer token is needed (LINKDIR_METRICS_TOKEN).\n",
            status_code=401,
            media_type="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"', **NO_STORE},
        )
    async with request.app.state.session_factory() as session:
        gauges = await database_gauges(session, now=utcnow())
    body = generate_latest(REGISTRY) + generate_latest(gauges)
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers=NO_STORE)
