"""Link monitoring: what one check does to a resource, and which resources are due.

Plain async functions with an explicit session and an explicit clock (``now``), so the
state machine of DESIGN §3 is tested without sleeping:

* ``ok`` / ``moved`` / ``unverified`` take effect at once; a working link is rechecked
  after ``LINKDIR_CHECK_INTERVAL_OK`` with jitter, so checks spread evenly over time.
* ``broken`` makes the link a *suspect*: its ``link_status`` stays what it was, the
  failure is counted and it is rechecked sooner (about 1 h, 6 h, 24 h). Only after
  ``LINKDIR_CONFIRM_CHECKS`` failing checks spanning ``LINKDIR_CONFIRM_SPAN`` is it
  ``broken``; a confirmed broken link is rechecked weekly and recovers by itself.
* ``unverified`` (a robot cannot tell) never counts as a failure.

Status changes are written as Revisions with actor ``"checker"`` following the contract
in :mod:`linkdir.feeds.service` (``link_broken``, ``link_moved``, ``link_recovered``,
``link_stale``).

Claims: a claimed resource's ``next_check_at`` is pushed to the claim's expiry in the
same statement that selects it. A worker that dies leaves the resource due again once
the claim expires; a finished check overwrites ``next_check_at`` with the real schedule.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import bindparam, delete, func, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from linkdir import checker as engine
from linkdir.changes import report as report_change
from linkdir.checks import drift
from linkdir.checks.models import CheckLease, CheckResult, CheckSilence
from linkdir.config import Settings
from linkdir.db import is_postgresql, upsert_into
from linkdir.resources.models import (
    LinkStatus,
    Resource,
    ResourceState,
    Revision,
)

CHECKER = "checker"
# Rechecks of a suspect: sooner at first, then daily until the failure is confirmed.
SUSPECT_BACKOFF = (timedelta(hours=1), timedelta(hours=6), timedelta(hours=24))
BROKEN_INTERVAL = timedelta(days=7)
JITTER = 0.1  # ± share of an interval, so a bulk import does not recheck all at once

Jitter = Callable[[timedelta], timedelta]


def jittered(interval: timedelta, *, rng: random.Random | None = None) -> timedelta:
    """``interval`` moved by up to ±10 % at random."""
    share = (rng or random).uniform(-JITTER, JITTER)
    return interval * (1 + share)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A resource a worker has claimed for one check.

    ``known``: what :func:`known_answers` knows of its last answer, when the claim asked
    for it; None otherwise.
    """

    resource_id: int
    url: str
    known: engine.Known | None


# Read with a claim for known_answers: the link's last verdict and what its answer was.
KNOWN_COLUMNS = (
    col(Resource.link_status),
    col(Resource.consecutive_failures),
    col(Resource.etag),
    col(Resource.last_modified),
    col(Resource.content_hash),
)


async def known_answers(
    session: AsyncSession, rows: Iterable[Sequence[Any]]
) -> dict[int, engine.Known]:
    """The ETag, Last-Modified and content hash to check these links with, by id.

    ``rows``: (id, url, *KNOWN_COLUMNS). Only links that were fine last time (``ok``,
    nothing failing) and whose page has a baseline at that address
    (:func:`drift.baselined`) are in it: they are asked conditionally, and an unchanged
    page of theirs is not judged again (``Checker.check``).
    """
    fine = {row[0]: row for row in rows if row[2] == LinkStatus.ok.value and not row[3]}
    baselined = await drift.baselined(session, {id_: row[1] for id_, row in fine.items()})
    return {id_: (row[4], row[5], row[6]) for id_, row in fine.items() if id_ in baselined}


def _is_stale(modified_on: date | None, at: datetime | None, stale_after: timedelta) -> bool:
    return modified_on is not None and at is not None and modified_on < (at - stale_after).date()


async def _failure_streak_start(session: AsyncSession, resource_id: int, failures: int) -> datetime:
    """When the current run of failing checks began (its oldest kept check)."""
    newest = (
        select(col(CheckResult.checked_at), col(CheckResult.verdict))
        .where(col(CheckResult.resource_id) == resource_id)
        .order_by(col(CheckResult.checked_at).desc(), col(CheckResult.id).desc())
        .limit(failures)
    )
    rows = (await session.execute(newest)).all()
    start = rows[0][0]
    for checked_at, verdict in rows:
        if verdict != LinkStatus.broken.value:
            break
        start = checked_at
    return start


def _revision(resource: Resource, action: str, changes: dict[str, Any], now: datetime) -> Revision:
    return Revision(
        resource_id=resource.id,
        user_id=None,
        actor=CHECKER,
        action=action,
        resource_url=resource.url,
        resource_title=resource.title,
        changes=changes,
        created_at=now,
    )


async def _prune_history(session: AsyncSession, resource_ids: list[int], keep: int) -> None:
    """Keep the newest ``keep`` checks of each resource: one statement for a whole chunk."""
    newness = (
        func.row_number()
        .over(
            partition_by=col(CheckResult.resource_id),
            order_by=(col(CheckResult.checked_at).desc(), col(CheckResult.id).desc()),
        )
        .label("newness")
    )
    ranked = (
        select(col(CheckResult.id).label("id"), newness)
        .where(col(CheckResult.resource_id).in_(resource_ids))
        .subquery()
    )
    await session.execute(
        delete(CheckResult)
        .where(col(CheckResult.id).in_(select(ranked.c.id).where(ranked.c.newness > keep)))
        .execution_options(synchronize_session=False)
    )


async def _silence_applies(
    session: AsyncSession, silence: CheckSilence | None, result: engine.CheckResult
) -> bool:
    """True when a curator dismissed exactly this answer; a different answer lifts it."""
    if silence is None:
        return False
    if result.status in {"broken", "unverified"} and (
        silence.verdict,
        silence.http_status,
        silence.reason,
    ) == (result.status, result.http_status, result.reason):
        return True
    await session.delete(silence)
    return False


@dataclass(frozen=True, slots=True)
class Checked:
    """A finished check waiting to be recorded: the claimed resource, its result, when."""

    resource_id: int
    result: engine.CheckResult
    at: datetime


@dataclass(frozen=True, slots=True)
class Recorded:
    """What :func:`record_checks` wrote, and which checks it dropped because of the fence."""

    hosts: dict[int, str]  # resource id -> host, of the checks stored
    fenced: list[int]  # resources whose claim was lost or had expired: nothing written
    revisions: list[Revision]


async def record_checks(
    session: AsyncSession,
    checks: Sequence[Checked],
    *,
    claimed_until: datetime | None,
    now: datetime,
    settings: Settings,
    worker: str = "",
    jitter: Jitter | None = None,
    run_id: int | None = None,
) -> Recorded:
    """Store a chunk of a batch's checks in a few statements, fenced by their claim.

    Only resources still claimed until ``claimed_until`` (their ``next_check_at``), with
    that moment still ahead of ``now``, are written; the others were checked or claimed
    again since, or their claim expired and a dispatch may hand them out again. On
    PostgreSQL the rows written are locked first, so a concurrent claim skips them.
    ``claimed_until=None`` writes every resource found (a curator's check-now).
    """
    unique = list({check.resource_id: check for check in checks}.values())
    ids = [check.resource_id for check in unique]
    if not ids or (claimed_until is not None and claimed_until <= now):
        return Recorded({}, sorted(ids), [])
    table = _resource_table()
    statement = select(*(table.c[name] for name in _READ)).where(table.c.id.in_(ids))
    if claimed_until is not None:
        statement = statement.where(table.c.next_check_at == claimed_until)
    if is_postgresql(session):
        statement = statement.with_for_update()
    statement = statement.order_by(table.c.id)
    # Plain rows, not ORM objects: loading, tracking and flushing a Resource per check was
    # most of the recording's CPU (issue 18); the rows are written back in one executemany.
    loaded = {row.id: row for row in map(_Row, (await session.execute(statement)).all())}
    items = [
        (cast(Resource, loaded[check.resource_id]), check.result, check.at)
        for check in unique
        if check.resource_id in loaded
    ]
    revisions = await _record_loaded(
        session, items, settings=settings, worker=worker, jitter=jitter, run_id=run_id
    )
    hosts = {resource.id: resource.host for resource, _result, _at in items}
    fenced = sorted(rid for rid in ids if rid not in loaded)
    return Recorded(
        {rid: host for rid, host in hosts.items() if rid is not None}, fenced, revisions
    )


async def record_check(
    session: AsyncSession,
    resource: Resource,
    result: engine.CheckResult,
    *,
    now: datetime,
    settings: Settings,
    worker: str = "",
    jitter: Jitter | None = None,
    run_id: int | None = None,
) -> list[Revision]:
    """Store one check of ``resource`` and move its link status (DESIGN §3)."""
    assert resource.id is not None
    return await _record_loaded(
        session, [(resource, result, now)], settings=settings, worker=worker, jitter=jitter,
        run_id=run_id,
    )  # fmt: skip


async def _record_loaded(
    session: AsyncSession,
    items: list[tuple[Resource, engine.CheckResult, datetime]],
    *,
    settings: Settings,
    worker: str,
    jitter: Jitter | None,
    run_id: int | None,
) -> list[Revision]:
    """Checks of resources already read: one INSERT of history rows, one flush, one prune.

    Per check, only a failure that may be confirmed reads its history (the streak).
    """
    if not items:
        return []
    spread: Jitter = jitter or jittered
    ids = [resource.id for resource, _result, _at in items if resource.id is not None]
    silences = {
        row.resource_id: row
        for row in (
            await session.execute(
                select(CheckSilence).where(col(CheckSilence.resource_id).in_(ids))
            )
        ).scalars()
    }
    # Baselines as plain rows: one read, one INSERT of new rows, one UPDATE of changed ones.
    drifting = {
        r.id: r.url
        for r, result, _at in items
        if r.id is not None and drift.needs_baseline(r, result)
    }
    baselines = await drift.read_baselines(session, drifting.items())
    judged = [
        (resource, drift.judge_with(baselines.get(resource.id or 0), resource, result, now=at), at)
        for resource, result, at in items
    ]  # reference rot (#14)
    worker = worker[:200]
    await session.execute(
        insert(CheckResult.__table__),  # type: ignore[attr-defined]
        [
            {
                "resource_id": resource.id,
                "checked_at": at,
                "verdict": result.status,
                "http_status": result.http_status,
                "reason": result.reason,
                "final_url": result.final_url,
                "redirects": [{"url": hop.url, "status": hop.status} for hop in result.redirects],
                "elapsed_ms": result.elapsed_ms,
                "worker": worker,
                "run_id": run_id,
            }
            for resource, result, at in judged
        ],
    )
    revisions: list[Revision] = []
    for resource, result, at in judged:
        silence = silences.get(resource.id or 0)
        revisions += await _apply(session, resource, result, silence, at, settings, spread)
    plain = [resource for resource, _result, _at in judged if isinstance(resource, _Row)]
    if plain:
        await _write_rows(session, plain)
    await drift.write_baselines(session, baselines.values())
    for revision in revisions:
        session.add(revision)
        report_change(session, revision)
    await session.flush()
    await _prune_history(session, ids, settings.check_history)
    return revisions


# What a check reads of a resource and writes back (_apply, drift.judge_with).
_WRITTEN = (
    "last_checked_at", "http_status", "final_url", "reason", "etag", "last_modified",
    "modified_on", "content_hash", "content_changed_at", "consecutive_failures",
    "next_check_at", "link_status", "status_since", "moved_to",
)  # fmt: skip
_READ = ("id", "host", "url", "title", "description", "updated_at", *_WRITTEN)


async def _write_rows(session: AsyncSession, rows: Sequence[_Row]) -> None:
    """Write the checked columns of ``rows`` back: on PostgreSQL in one ``UPDATE … FROM
    unnest(…)`` statement of one array a column (an executemany is a round trip a row:
    ~0.1 ms of a check's ~0.5, issue 18; a ``VALUES`` list of the rows was compiled anew
    for every chunk, a third of a worker's CPU); SQLite, in process, runs its executemany
    as fast."""
    if not rows:
        return
    table = _resource_table()
    if not is_postgresql(session):
        new = {name: bindparam(f"new_{name}", type_=table.c[name].type) for name in _WRITTEN}
        await session.execute(
            update(table).where(table.c.id == bindparam("row_id")).values(new),
            [row.changes() for row in rows],
        )
        return
    arrays = {name: [getattr(row, name) for row in rows] for name in _WRITTEN}
    await session.execute(_unnest_update(), {"row_id": [row.id for row in rows], **arrays})


@functools.cache
def _unnest_update() -> Any:
    """``UPDATE resource … FROM unnest(CAST(:row_id AS INTEGER[]), …)``: its text is the same
    for any number of rows, so it is compiled and prepared once."""
    from sqlalchemy.dialects import postgresql

    table = _resource_table()
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    types = {"row_id": table.c.id.type, **{name: table.c[name].type for name in _WRITTEN}}
    arrays = ", ".join(
        f"CAST(:{name} AS {kind.compile(dialect=dialect)}[])" for name, kind in types.items()
    )
    statement = text(
        f"UPDATE {table.name} SET "
        + ", ".join(f"{name} = checked.{name}" for name in _WRITTEN)
        + f" FROM unnest({arrays}) AS checked({', '.join(types)})"
        + f" WHERE {table.name}.id = checked.row_id"
    )
    return statement.bindparams(
        *(bindparam(name, type_=postgresql.ARRAY(kind)) for name, kind in types.items())
    )


def _resource_table() -> Any:
    return Resource.__table__  # type: ignore[attr-defined]


class _Row:
    """A resource's columns a check reads and writes, without the ORM's bookkeeping.

    Stands in for a :class:`Resource` in :func:`_apply` and :func:`drift.judge_with`
    (they read and set only these attributes); :meth:`changes` is its UPDATE's row.
    """

    __slots__ = _READ

    def __init__(self, values: Sequence[Any]) -> None:
        for name, value in zip(_READ, values, strict=True):
            setattr(self, name, value)

    def __getattr__(self, name: str) -> Any:  # for mypy: every slot is set in __init__
        raise AttributeError(name)

    def changes(self) -> dict[str, Any]:
        values = {f"new_{name}": getattr(self, name) for name in _WRITTEN}
        values["row_id"] = self.id
        return values


async def _apply(
    session: AsyncSession,
    resource: Resource,
    result: engine.CheckResult,
    silence: CheckSilence | None,
    now: datetime,
    settings: Settings,
    spread: Jitter,
) -> list[Revision]:
    """Move one resource's link state for a check already in its history."""
    assert resource.id is not None
    old_status = resource.link_status
    old_moved_to = resource.moved_to
    old_modified_on = resource.modified_on
    was_stale = _is_stale(old_modified_on, resource.last_checked_at, settings.stale_after)
    verdict = result.status
    if await _silence_applies(session, silence, result):
        verdict = "ok"

    resource.last_checked_at = now
    resource.http_status = result.http_status
    resource.final_url = result.final_url
    resource.reason = result.reason
    if result.etag:
        resource.etag = result.etag
    if result.last_modified:
        resource.last_modified = result.last_modified
    if result.modified is not None:
        resource.modified_on = result.modified
    if result.content_hash:
        if resource.content_hash and resource.content_hash != result.content_hash:
            resource.content_changed_at = now
        resource.content_hash = result.content_hash

    new_status = old_status
    if verdict == "broken":
        resource.consecutive_failures += 1
        failures = resource.consecutive_failures
        if old_status == LinkStatus.broken.value:
            resource.next_check_at = now + spread(BROKEN_INTERVAL)
        else:
            backoff = SUSPECT_BACKOFF[min(failures, len(SUSPECT_BACKOFF)) - 1]
            if failures >= settings.confirm_checks:
                # Only now does the streak's start matter (one read of this history).
                started = await _failure_streak_start(session, resource.id, failures)
                confirmed_at = started + settings.confirm_span
                if now >= confirmed_at:
                    new_status = LinkStatus.broken.value
                    next_at = now + spread(BROKEN_INTERVAL)
                else:
                    # Enough failures already: look again as soon as the span is covered.
                    next_at = min(now + spread(backoff), confirmed_at)
            else:
                next_at = now + spread(backoff)
            resource.next_check_at = next_at
    else:
        resource.consecutive_failures = 0
        resource.next_check_at = now + spread(settings.check_interval_ok)
        if verdict == "moved":
            new_status = LinkStatus.moved.value
            resource.moved_to = result.moved_to or result.final_url
        else:
            new_status = verdict
            resource.moved_to = result.moved_to if verdict == "ok" else resource.moved_to

    revisions: list[Revision] = []
    if new_status != old_status:
        resource.link_status = new_status
        resource.status_since = now
    details: dict[str, Any] = {
        "link_status": [old_status, new_status],
        "http_status": [None, result.http_status],
        "reason": [None, result.reason],
    }
    action: str | None = None
    if new_status == LinkStatus.broken.value and old_status != new_status:
        action = "link_broken"
    elif new_status == LinkStatus.moved.value and (
        old_status != new_status or old_moved_to != resource.moved_to
    ):
        action = "link_moved"
        details["moved_to"] = [old_moved_to, resource.moved_to]
    elif new_status == LinkStatus.ok.value and old_status in {
        LinkStatus.broken.value,
        LinkStatus.moved.value,
    }:
        action = "link_recovered"
    if action is not None:
        revisions.append(_revision(resource, action, details, now))
    if not was_stale and _is_stale(resource.modified_on, now, settings.stale_after):
        modified = resource.modified_on.isoformat() if resource.modified_on else None
        old = old_modified_on.isoformat() if old_modified_on else None
        revisions.append(
            _revision(
                resource,
                "link_stale",
                {"link_status": [old_status, new_status], "modified_on": [old, modified]},
                now,
            )
        )
    return revisions


async def silence(session: AsyncSession, resource: Resource, *, now: datetime) -> None:
    """Dismiss the current answer as a false alarm (the ``mark_ok`` fix)."""
    assert resource.id is not None
    existing = await session.get(CheckSilence, resource.id)
    if existing is not None:
        await session.delete(existing)
        await session.flush()
    if resource.link_status in {LinkStatus.broken.value, LinkStatus.unverified.value} or (
        resource.consecutive_failures
    ):
        verdict = (
            LinkStatus.unverified.value
            if resource.link_status == LinkStatus.unverified.value
            else LinkStatus.broken.value
        )
        session.add(
            CheckSilence(
                resource_id=resource.id,
                verdict=verdict,
                http_status=resource.http_status,
                reason=resource.reason,
                created_at=now,
            )
        )
    resource.consecutive_failures = 0
    await session.flush()


def _due(now: datetime) -> Any:
    return or_(col(Resource.next_check_at).is_(None), col(Resource.next_check_at) <= now)


def _leased_hosts(now: datetime, *, except_holder: str | None = None) -> Any:
    """Hosts with a batch in flight at ``now`` (a subquery), but those ``except_holder`` holds."""
    statement = select(col(CheckLease.host)).where(col(CheckLease.until) > now)
    if except_holder is not None:
        statement = statement.where(col(CheckLease.holder) != except_holder[:200])
    return statement


CLAIM_LOCK = 0x6C64636C  # pg_advisory_xact_lock key: one claim at a time on PostgreSQL


async def claim_due(
    session: AsyncSession,
    *,
    now: datetime,
    limit: int,
    claim_for: timedelta,
    worker: str = "",
    own_leases: bool = False,
    known: bool = False,
) -> dict[str, list[Claimed]]:
    """Claim up to ``limit`` due resources for ``claim_for``, grouped by host.

    Hosts already leased to a batch in flight are left alone, and each host claimed is
    leased until the claims end, so one host has one batch at a time across every worker
    (give the lease back with :func:`release_hosts` when the batch is done). With
    ``own_leases``, hosts leased to ``worker`` itself may be claimed again (a foreground
    run, whose claims all go to one engine: its per-host limit keeps the host's share).
    With ``known``, each claim carries what :func:`known_answers` knows (a foreground run
    checks what it claimed; a worker's job reads its claims again, fenced, and asks then).

    One ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING`` statement
    claims the links; on PostgreSQL a transaction-level advisory lock makes concurrent
    claims take turns, so two workers cannot both lease one host. SQLite has a single
    writer. Commit soon after, so other workers see the claims and leases.
    """
    if is_postgresql(session):
        await session.execute(select(func.pg_advisory_xact_lock(CLAIM_LOCK)))
    candidates = (
        select(col(Resource.id))
        .where(
            *_due_checkable(now),
            col(Resource.host).not_in(
                _leased_hosts(now, except_holder=worker if own_leases else None)
            ),
        )
        .order_by(col(Resource.next_check_at).asc().nulls_first(), col(Resource.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(Resource)
        .where(col(Resource.id).in_(candidates.scalar_subquery()))
        .values(next_check_at=now + claim_for)
        .returning(
            col(Resource.id),
            col(Resource.host),
            col(Resource.url),
            *(KNOWN_COLUMNS if known else ()),
        )
        .execution_options(synchronize_session=False)
    )
    rows = (await session.execute(statement)).all()
    answers = await known_answers(session, [(r[0], *r[2:]) for r in rows]) if known else {}
    batches: dict[str, list[Claimed]] = {}
    for resource_id, host, url, *_ in sorted(rows, key=lambda row: row[0] or 0):
        assert resource_id is not None
        claimed = Claimed(resource_id, url, answers.get(resource_id))
        batches.setdefault(host, []).append(claimed)
    if batches:
        leases = upsert_into(session, CheckLease)
        await session.execute(
            leases.on_conflict_do_update(
                index_elements=[col(CheckLease.host)],
                set_={"until": leases.excluded.until, "holder": leases.excluded.holder},
            ),
            [{"host": host, "until": now + claim_for, "holder": worker[:200]} for host in batches],
        )
    return batches


async def release_hosts(
    session: AsyncSession, hosts: Iterable[str], *, until: datetime, holder: str | None = None
) -> None:
    """Give back the leases a claim took: those still ending at ``until`` (not retaken),
    or, given ``holder``, those still held by it (a foreground run's later claims move
    its leases' end)."""
    hosts = list(hosts)
    if hosts:
        held = (
            col(CheckLease.until) == until
            if holder is None
            else col(CheckLease.holder) == holder[:200]
        )
        await session.execute(delete(CheckLease).where(col(CheckLease.host).in_(hosts), held))


async def release_claims(
    session: AsyncSession, resource_ids: Iterable[int], *, claimed_until: datetime, now: datetime
) -> list[int]:
    """Make claimed links not yet checked due again at once; the ids given back.

    Only claims still ending at ``claimed_until`` (not checked or claimed again since).
    """
    ids = list(resource_ids)
    if not ids:
        return []
    statement = (
        update(Resource)
        .where(col(Resource.id).in_(ids), col(Resource.next_check_at) == claimed_until)
        .values(next_check_at=now)
        .returning(col(Resource.id))
        .execution_options(synchronize_session=False)
    )
    return sorted(int(rid or 0) for rid in (await session.execute(statement)).scalars())


async def due_on_leased_hosts(session: AsyncSession, *, now: datetime) -> bool:
    """Whether due links wait for a host's batch in flight (a run should wait, not stop)."""
    statement = (
        select(col(Resource.id))
        .where(*_due_checkable(now), col(Resource.host).in_(_leased_hosts(now)))
        .limit(1)
    )
    return (await session.execute(statement)).first() is not None


async def any_due(session: AsyncSession, *, now: datetime) -> bool:
    """Whether any resource is due for a check (claimable or on a leased host)."""
    statement = select(col(Resource.id)).where(*_due_checkable(now)).limit(1)
    return (await session.execute(statement)).first() is not None


async def count_due(session: AsyncSession, *, now: datetime) -> int:
    """How many resources are due for a check."""
    statement = select(func.count()).select_from(Resource).where(*_due_checkable(now))
    return int((await session.execute(statement)).scalar_one())


def _due_checkable(now: datetime) -> tuple[Any, Any]:
    """Resources due for a check: not retired, and due (see ``_due``)."""
    return col(Resource.state) != ResourceState.retired.value, _due(now)


async def history_of(session: AsyncSession, resource_id: int, limit: int = 50) -> list[CheckResult]:
    """The newest check results of one resource, newest first."""
    statement = (
        select(CheckResult)
        .where(col(CheckResult.resource_id) == resource_id)
        .order_by(col(CheckResult.checked_at).desc(), col(CheckResult.id).desc())
        .limit(limit)
    )
    return list((await session.execute(statement)).scalars())


# The report's checks-per-day chart (the report itself: checks/report.py; fixes: fixes.py)

CHART_VERDICTS = ("ok", "moved", "unverified", "broken")


async def checks_per_day(
    session: AsyncSession, *, today: date, days: int = 30
) -> list[tuple[date, dict[str, int]]]:
    """Checks per day and verdict over the last ``days`` days (oldest first, gaps as 0)."""
    # One count per day and verdict, each a range of ix_check_result_verdict_checked that
    # is counted without reading rows: grouping ~400,000 rows of a 1,000,000-row history
    # by date() took 170-700 ms on every report page (bench/README.md, issue 5).
    first = today - timedelta(days=days - 1)
    day_list = [first + timedelta(days=offset) for offset in range(days)]
    bounds = [datetime(d.year, d.month, d.day, tzinfo=UTC) for d in day_list]
    bounds.append(bounds[-1] + timedelta(days=1))
    cells = [(index, verdict) for index in range(days) for verdict in CHART_VERDICTS]
    counts = [
        select(func.count())
        .select_from(CheckResult)
        .where(
            col(CheckResult.verdict) == verdict,
            col(CheckResult.checked_at) >= bounds[index],
            col(CheckResult.checked_at) < bounds[index + 1],
        )
        .scalar_subquery()
        for index, verdict in cells
    ]
    row = (await session.execute(select(*counts))).one()
    by_day = {day: dict.fromkeys(CHART_VERDICTS, 0) for day in day_list}
    for (index, verdict), count in zip(cells, row, strict=True):
        by_day[day_list[index]][verdict] = int(count)
    return sorted(by_day.items())
