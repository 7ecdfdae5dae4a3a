"""The curator's link report: which resources each tab holds, their counts, CSV rows.

Each tab is one SQL condition (:func:`tab_condition`); the tab's rows, its count in the
tab bar, the "links by status" table and the daily health snapshot all use the same
conditions, so a number never contradicts the list beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from linkdir.checks.models import CheckResult, VisitorReport
from linkdir.checks.vocabulary import TABS, Tab, Verdict, status_of
from linkdir.config import Settings
from linkdir.reasons import reason_label
from linkdir.resources.models import LinkStatus, Resource, ResourceState, ResourceTopic, Topic

PER_PAGE = 50
MAX_PER_PAGE = 100
CSV_LIMIT = 10_000
# The statuses of the "links by status" table and the health chart, in reading order.
SHOWN_STATUSES: tuple[str, ...] = (
    Verdict.ok.value,
    Verdict.moved.value,
    Verdict.unverified.value,
    Verdict.suspect.value,
    Verdict.broken.value,
    Verdict.unchecked.value,
)


def tab_name(raw: str | None) -> str:
    """``raw`` if it names a tab, else the first tab (broken)."""
    return raw if raw in TABS else TABS[0]


def _open_reports() -> Any:
    return select(col(VisitorReport.resource_id)).where(col(VisitorReport.closed_at).is_(None))


def _failing() -> Any:
    return col(Resource.consecutive_failures) > 0


def shown_status_is(value: str) -> Any:
    """Resources whose link status *as shown* (:func:`vocabulary.shown_status`) is
    ``value``: failing checks not yet confirmed make a link *suspect* whatever its stored
    status, so a moved link that now fails is one row, one status. The report's tabs and
    the curators' resource filter both read this."""
    if value == Verdict.suspect.value:
        return (col(Resource.link_status) != LinkStatus.broken.value) & _failing()
    if value == Verdict.broken.value:
        return col(Resource.link_status) == LinkStatus.broken.value
    return (col(Resource.link_status) == value) & ~_failing()


def tab_condition(tab: str, *, today: date, stale_after: timedelta) -> Any:
    """The one definition of which resources a tab holds (rows and counts alike)."""
    if tab in {Tab.suspect, Tab.broken, Tab.moved, Tab.unverified}:
        return shown_status_is(tab)
    if tab == Tab.reported:
        return col(Resource.id).in_(_open_reports())
    if tab == Tab.review_due:
        return col(Resource.review_by) <= today
    if tab == Tab.stale:
        return col(Resource.modified_on) < today - stale_after
    raise ValueError(tab)


@dataclass(frozen=True, slots=True)
class LinkReport:
    """One page of a report tab, with the counts of every tab."""

    tab: str
    items: list[Resource]
    total: int
    page: int
    per_page: int
    counts: dict[str, int]
    # Open visitor reports of the resources on this page, oldest first.
    visitor_reports: dict[int, list[VisitorReport]]
    # When the current run of failing checks began, for the suspects on the page.
    first_failures: dict[int, datetime]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _filtered(statement: Any, *, topic: str | None, host: str | None) -> Any:
    statement = statement.where(col(Resource.state) != ResourceState.retired.value)
    if topic:
        topic_ids = select(col(ResourceTopic.resource_id)).join(
            Topic, col(Topic.id) == col(ResourceTopic.topic_id)
        )
        statement = statement.where(col(Resource.id).in_(topic_ids.where(col(Topic.slug) == topic)))
    if host:
        statement = statement.where(col(Resource.host) == host.strip().lower())
    return statement


async def tab_counts(
    session: AsyncSession,
    *,
    settings: Settings,
    today: date,
    topic: str | None = None,
    host: str | None = None,
) -> dict[str, int]:
    """How many resources each tab holds."""
    counts: dict[str, int] = {}
    if topic:
        # One pass over the topic's resources: counts joining the topic each took
        # 15-35 ms at 100,000 resources on PostgreSQL (bench/monitoring).
        tallies = [
            func.count().filter(tab_condition(name, today=today, stale_after=settings.stale_after))
            for name in TABS
        ]
        statement = _filtered(select(*tallies).select_from(Resource), topic=topic, host=host)
        row = (await session.execute(statement)).one()
        return {name: int(count) for name, count in zip(TABS, row, strict=True)}
    # Without a topic each count reads a range of one index (ix_resource_*_state).
    for name in TABS:
        condition = tab_condition(name, today=today, stale_after=settings.stale_after)
        statement = _filtered(
            select(func.count()).select_from(Resource).where(condition), host=host, topic=None
        )
        counts[name] = int((await session.execute(statement)).scalar_one())
    return counts


def _order(tab: str) -> list[Any]:
    if tab == Tab.review_due:
        return [col(Resource.review_by).asc()]
    if tab == Tab.stale:
        return [col(Resource.modified_on).asc()]
    if tab == Tab.suspect:
        return [col(Resource.consecutive_failures).desc(), col(Resource.last_checked_at).asc()]
    return [col(Resource.status_since).asc()]


async def link_report(
    session: AsyncSession,
    *,
    tab: str,
    settings: Settings,
    today: date,
    topic: str | None = None,
    host: str | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> LinkReport:
    """Resources with a link problem of one kind (a report tab), longest-standing first."""
    tab = tab_name(tab)
    counts = await tab_counts(session, settings=settings, today=today, topic=topic, host=host)
    condition = tab_condition(tab, today=today, stale_after=settings.stale_after)
    statement = _filtered(select(Resource).where(condition), topic=topic, host=host)
    statement = statement.order_by(*_order(tab), col(Resource.id)).offset((page - 1) * per_page)
    items = list((await session.execute(statement.limit(per_page))).scalars())
    reports = await open_reports_of(session, [r.id for r in items if r.id is not None])
    # Only suspects need it: a broken link's evidence is when it was confirmed.
    failing = [r.id for r in items if r.id is not None and status_of(r) == Verdict.suspect]
    first = await first_failures(session, failing)
    return LinkReport(tab, items, counts[tab], page, per_page, counts, reports, first)


async def first_failures(session: AsyncSession, resource_ids: list[int]) -> dict[int, datetime]:
    """When each resource's current run of failing checks began (one query for a page)."""
    if not resource_ids:
        return {}
    later = aliased(CheckResult)
    last_success = (
        select(func.max(col(later.checked_at)))
        .where(
            col(later.resource_id) == col(CheckResult.resource_id),
            col(later.verdict) != LinkStatus.broken.value,
        )
        .correlate(CheckResult)
        .scalar_subquery()
    )
    statement = (
        select(col(CheckResult.resource_id), func.min(col(CheckResult.checked_at)))
        .where(
            col(CheckResult.resource_id).in_(resource_ids),
            col(CheckResult.verdict) == LinkStatus.broken.value,
            or_(last_success.is_(None), col(CheckResult.checked_at) > last_success),
        )
        .group_by(col(CheckResult.resource_id))
    )
    return {int(rid): at for rid, at in (await session.execute(statement)).all()}


async def tab_ids(
    session: AsyncSession,
    *,
    tab: str,
    settings: Settings,
    today: date,
    topic: str | None = None,
    host: str | None = None,
    limit: int,
) -> list[int]:
    """The ids of every resource in a tab (for "select all N in this tab"), up to ``limit``."""
    condition = tab_condition(tab_name(tab), today=today, stale_after=settings.stale_after)
    statement = _filtered(select(col(Resource.id)).where(condition), topic=topic, host=host)
    statement = statement.order_by(*_order(tab_name(tab)), col(Resource.id)).limit(limit)
    return [int(value) for value in (await session.execute(statement)).scalars()]


async def open_reports_of(
    session: AsyncSession, resource_ids: list[int]
) -> dict[int, list[VisitorReport]]:
    """Open visitor reports of these resources, oldest first."""
    if not resource_ids:
        return {}
    statement = (
        select(VisitorReport)
        .where(
            col(VisitorReport.resource_id).in_(resource_ids),
            col(VisitorReport.closed_at).is_(None),
        )
        .order_by(col(VisitorReport.created_at), col(VisitorReport.id))
    )
    found: dict[int, list[VisitorReport]] = {}
    for report in (await session.execute(statement)).scalars():
        found.setdefault(report.resource_id, []).append(report)
    return found


async def status_counts(session: AsyncSession) -> dict[str, int]:
    """How many (not retired) resources show each status (suspect apart, as in the tabs)."""
    # Two index reads instead of a CASE over every row: all links by stored status
    # (ix_resource_link_status_state), then the few failing ones (ix_resource_failures_state),
    # which move from their stored status to "suspect".
    live = col(Resource.state) != ResourceState.retired.value
    everything = select(col(Resource.link_status), func.count()).where(live)
    counts = dict.fromkeys(SHOWN_STATUSES, 0)
    for status, count in await session.execute(everything.group_by(col(Resource.link_status))):
        counts[str(status)] = counts.get(str(status), 0) + int(count)
    # Rows, not GROUP BY: grouping makes SQLite scan the link-status index instead.
    failing = select(col(Resource.link_status)).where(
        live, _failing(), col(Resource.link_status) != LinkStatus.broken.value
    )
    for status in (await session.execute(failing)).scalars():
        counts[str(status)] -= 1
        counts[Verdict.suspect.value] += 1
    return counts


# CSV --------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "id",
    "title",
    "url",
    "state",
    "link_status",
    "shown_status",
    "shown_status_label",
    "status_since",
    "last_checked_at",
    "next_check_at",
    "consecutive_failures",
    "http_status",
    "reason",
    "reason_label",
    "final_url",
    "moved_to",
    "archive_url",
    "modified_on",
    "review_by",
)


def iso(value: date | datetime | None) -> str:
    """A date or time as ISO 8601 (UTC with ``Z``), "" for none."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds").replace("+00:00", "Z")
    return value.isoformat()


def csv_rows(items: list[Resource]) -> list[list[str]]:
    """The report's CSV (header first) in the reader's language; codes keep their column.

    Plain strings: the caller's CSV writer (one for every export) neutralises formulas.
    """
    rows = [list(CSV_COLUMNS)]
    for resource in items:
        shown = status_of(resource)
        values: dict[str, Any] = {name: getattr(resource, name, None) for name in CSV_COLUMNS}
        values["shown_status"] = shown.value
        values["shown_status_label"] = shown.label
        values["reason_label"] = reason_label(resource.reason)
        rows.append(
            [
                iso(value)
                if isinstance(value, date | datetime)
                else ("" if value is None else str(value))
                for value in values.values()
            ]
        )
    return rows
