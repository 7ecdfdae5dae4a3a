"""Check runs and their progress, shared by every worker; link health per day for the chart.

A run's ``done`` is counted in the database, in the same transaction as each check's
history row, so workers on several machines add to one run without losing a count, and
``done`` never claims more checks than the history holds.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from linkdir.checks.models import CheckResult, CheckRun, CheckRunSkip, LinkHealthDay
from linkdir.db import upsert_into

VERDICTS = ("ok", "moved", "broken", "unverified")
SCOPES = ("scheduled", "due", "all")


async def start_run(
    session: AsyncSession,
    *,
    scope: str,
    total: int,
    now: datetime,
    worker: str = "",
    claimed_until: datetime | None = None,
) -> CheckRun:
    """Record a run that is starting (commit soon, so the report shows it)."""
    run = CheckRun(
        scope=scope,
        started_at=now,
        total=total,
        worker=worker[:200],
        claimed_until=claimed_until,
        counts=dict.fromkeys(VERDICTS, 0),
    )
    session.add(run)
    await session.flush()
    return run


async def count_done(
    session: AsyncSession,
    run_id: int,
    *,
    checked: int,
    now: datetime,
    finish_at_total: bool = True,
) -> None:
    """Add ``checked`` to a run's progress; the update that reaches the total finishes it."""
    row = (
        await session.execute(
            update(CheckRun)
            .where(col(CheckRun.id) == run_id)
            .values(done=col(CheckRun.done) + checked)
            .returning(col(CheckRun.done), col(CheckRun.total), col(CheckRun.finished_at))
        )
    ).first()
    if finish_at_total and row is not None and row[0] >= row[1] and row[2] is None:
        await finish_run(session, run_id, now=now)


async def count_skipped(
    session: AsyncSession, run_id: int, resource_ids: list[int], *, now: datetime
) -> None:
    """Count claimed links found already checked elsewhere as done, each once per run.

    A job may run twice (its first worker died), so each skip is recorded and only new
    ones are counted.
    """
    if not resource_ids:
        return
    statement = (
        upsert_into(session, CheckRunSkip)
        .values([{"run_id": run_id, "resource_id": rid} for rid in resource_ids])
        .on_conflict_do_nothing()
        .returning(col(CheckRunSkip.resource_id))
    )
    new = len((await session.execute(statement)).all())
    if new:
        await count_done(session, run_id, checked=new, now=now)


async def count_fenced(
    session: AsyncSession, run_id: int, resource_ids: list[int], *, now: datetime
) -> None:
    """Count claimed links a run will not record (checked or claimed elsewhere) as done.

    Links this run already checked itself (its job ran twice) were counted then.
    """
    if not resource_ids:
        return
    checked = select(col(CheckResult.resource_id)).where(
        col(CheckResult.run_id) == run_id, col(CheckResult.resource_id).in_(resource_ids)
    )
    mine = set((await session.execute(checked)).scalars())
    await count_skipped(session, run_id, [rid for rid in resource_ids if rid not in mine], now=now)


async def results_by_verdict(session: AsyncSession, run_id: int) -> dict[str, int]:
    """The verdicts of a run's checks, counted from the history."""
    rows = await session.execute(
        select(col(CheckResult.verdict), func.count())
        .where(col(CheckResult.run_id) == run_id)
        .group_by(col(CheckResult.verdict))
    )
    counts = dict.fromkeys(VERDICTS, 0)
    for verdict, count in rows.all():
        counts[verdict] = int(count)
    return counts


async def finish_run(
    session: AsyncSession, run_id: int, *, now: datetime, counts: dict[str, int] | None = None
) -> None:
    """Mark a run finished and keep its counts (history rows are pruned later)."""
    final = counts if counts is not None else await results_by_verdict(session, run_id)
    await session.execute(
        update(CheckRun)
        .where(col(CheckRun.id) == run_id, col(CheckRun.finished_at).is_(None))
        .values(finished_at=now, counts=final)
    )
    await snapshot_health(session, today=now.date())


async def close_cut_short(session: AsyncSession, *, now: datetime) -> int:
    """Finish runs whose claims expired before they were done (a worker died)."""
    stale = (
        await session.execute(
            select(col(CheckRun.id)).where(
                col(CheckRun.finished_at).is_(None),
                col(CheckRun.claimed_until).is_not(None),
                col(CheckRun.claimed_until) < now,
            )
        )
    ).scalars()
    closed = 0
    for run_id in list(stale):
        assert run_id is not None
        await finish_run(session, run_id, now=now)
        closed += 1
    return closed


@dataclass
class RunView:
    """A run as the report and the API show it: live counts while it is running."""

    run: CheckRun
    counts: dict[str, int]
    cut_short: bool

    @property
    def running(self) -> bool:
        return self.run.finished_at is None

    @property
    def percent(self) -> int:
        if self.run.total <= 0:
            return 100 if self.run.finished_at else 0
        return min(100, round(100 * self.run.done / self.run.total))


async def recent_runs(
    session: AsyncSession, *, limit: int = 10, offset: int = 0
) -> tuple[list[RunView], int]:
    """Running and recent runs, newest first, with the number of runs in all."""
    total = int((await session.execute(select(func.count()).select_from(CheckRun))).scalar_one())
    runs = (
        await session.execute(
            select(CheckRun)
            .order_by(col(CheckRun.started_at).desc(), col(CheckRun.id).desc())
            .offset(offset)
            .limit(limit)
        )
    ).scalars()
    return [await _view(session, run) for run in runs], total


async def _view(session: AsyncSession, run: CheckRun) -> RunView:
    assert run.id is not None
    live = run.finished_at is None
    counts = await results_by_verdict(session, run.id) if live else run.counts
    cut_short = not live and run.done < run.total
    return RunView(run, {verdict: int(counts.get(verdict, 0)) for verdict in VERDICTS}, cut_short)


async def get_run(session: AsyncSession, run_id: int) -> RunView | None:
    """One run with its (live) counts."""
    run = await session.get(CheckRun, run_id)
    if run is None:
        return None
    await session.refresh(run)
    return await _view(session, run)


async def running_count(session: AsyncSession) -> int:
    """How many runs have not finished."""
    unfinished = col(CheckRun.finished_at).is_(None)
    statement = select(func.count()).select_from(CheckRun).where(unfinished)
    return int((await session.execute(statement)).scalar_one())


# Link health per day -------------------------------------------------------------------


async def snapshot_health(session: AsyncSession, *, today: date) -> dict[str, int]:
    """Store today's count of links per status (replacing today's earlier snapshot).

    An upsert, not delete-and-insert: two workers' dispatches (or a dispatch and a run
    finishing) may snapshot the same day at once.
    """
    # The same definition as the report's tabs and its "links by status" table. (Imported
    # here: the report's vocabulary and translations are not on a check run's start, #18.)
    from linkdir.checks.report import status_counts

    counts = await status_counts(session)
    rows_for_today = [
        {"day": today, "status": status, "count": count} for status, count in sorted(counts.items())
    ]
    statement = upsert_into(session, LinkHealthDay).values(rows_for_today)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[col(LinkHealthDay.day), col(LinkHealthDay.status)],
            set_={"count": statement.excluded.count},
        )
    )
    return counts


async def health_per_day(
    session: AsyncSession, *, today: date, days: int = 90
) -> list[tuple[date, dict[str, int]]]:
    """Links per status on each of the last ``days`` days (oldest first; no data as zeros).

    The statuses are the report's shown ones (suspect apart, as in its tabs), in the
    chart's stacking order.
    """
    from linkdir.checks.report import SHOWN_STATUSES

    since = today - timedelta(days=days - 1)
    rows = await session.execute(
        select(col(LinkHealthDay.day), col(LinkHealthDay.status), col(LinkHealthDay.count)).where(
            col(LinkHealthDay.day) >= since
        )
    )
    by_day: dict[date, Counter[str]] = {
        since + timedelta(days=offset): Counter(dict.fromkeys(SHOWN_STATUSES, 0))
        for offset in range(days)
    }
    for day, status, count in rows.all():
        if day in by_day and status in SHOWN_STATUSES:
            by_day[day][status] += int(count)
    return [(day, dict(counts)) for day, counts in sorted(by_day.items())]
