"""Health (DESIGN §6): ``/health/live`` (the process answers) and ``/health/ready`` (the
database answers, its migrations are current, and an in-process scheduler is beating)."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from litestar import MediaType, Request, Response, get
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from linkdir import __version__
from linkdir.checks import heartbeat
from linkdir.db import applied_revisions, head_revisions, ping, utcnow
from linkdir.web import NO_STORE


@dataclass
class Readiness:
    """What ``/health/ready`` found; ``ready`` when every check passed."""

    checks: dict[str, str] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return all(state == "ok" for state in self.checks.values())


async def readiness(
    engine: AsyncEngine, *, heads: frozenset[str], last_beat: datetime | None, scheduler: bool
) -> Readiness:
    """Database reachable, migrations current, the scheduler's heartbeat fresh if it runs."""
    found = Readiness()
    try:
        applied = await applied_revisions(engine)
    except Exception:
        applied = None
    if applied is None and not await ping(engine):
        found.checks["database"] = "unavailable"
        found.checks["migrations"] = "unknown"
    else:
        # A database that answers without an alembic_version was never migrated: behind.
        found.checks["database"] = "ok"
        found.checks["migrations"] = "ok" if applied is not None and heads == applied else "behind"
    if scheduler:
        fresh = last_beat is not None and utcnow() - last_beat <= heartbeat.STALE_AFTER
        found.checks["scheduler"] = "ok" if fresh else "stale"
    return found


@dataclass
class WorkerHealth:
    """``linkdir healthcheck --worker``: this machine's workers and how fresh they are."""

    fresh: list[str]
    stale: list[tuple[str, float]]

    @property
    def healthy(self) -> bool:
        return bool(self.fresh)


async def worker_health(session: AsyncSession, *, host: str | None = None) -> WorkerHealth:
    """Heartbeats of the workers on ``host`` (this machine by default)."""
    now = utcnow()
    prefix = f"{host or socket.gethostname()}:"
    beats = await heartbeat.heartbeats(session, prefix=prefix)
    fresh = [beat.worker for beat in beats if heartbeat.is_fresh(beat, now=now)]
    stale = [
        (beat.worker, (now - beat.beat_at).total_seconds())
        for beat in beats
        if not heartbeat.is_fresh(beat, now=now)
    ]
    return WorkerHealth(fresh, stale)


@get("/health/live", media_type=MediaType.JSON, include_in_schema=False, cache=False)
async def live() -> Response[dict[str, Any]]:
    """200 while the process answers at all (a liveness probe: restart me if not)."""
    return Response({"status": "ok", "version": __version__}, headers=NO_STORE)


@get("/health/ready", media_type=MediaType.JSON, include_in_schema=False, cache=False)
async def ready(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """200 when this process can serve (a readiness probe: send it traffic), else 503."""
    state = request.app.state
    if state.migration_heads is None:
        state.migration_heads = await asyncio.to_thread(head_revisions)
    runner = state.check_runner
    found = await readiness(
        state.engine,
        heads=state.migration_heads,
        last_beat=runner.last_beat if runner is not None else None,
        scheduler=bool(state.run_scheduler),
    )
    body = {"status": "ok" if found.ready else "unavailable", **found.checks}
    return Response(body, status_code=200 if found.ready else 503, headers=NO_STORE)


health_handlers = [live, ready]
