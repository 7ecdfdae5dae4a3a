"""Reference rot: keep a baseline of what a curator meant, judge each check against it.

A baseline fingerprint (:mod:`linkdir.checker.fingerprint`) is taken at a resource's
first good check and again after each curation (created, edited, a fix accepted: the
resource's ``updated_at`` moved past the baseline's ``curated_at``). Every later working
check is compared with it, and with the last page judged to be the resource (so years of
small edits are carried along). A page judged replaced turns the check into a failure
with reason ``content_replaced``: a suspect, confirmed over time like any failure by
:func:`linkdir.checks.service.record_check`, then ``broken``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from linkdir import checker as engine
from linkdir.changes import report as report_change
from linkdir.checks.drift_models import ContentBaseline
from linkdir.errors import N_, FieldError, ValidationFailed
from linkdir.resources.models import LinkStatus, Resource, Revision

if TYPE_CHECKING:  # the resource service (and its search stemmers) is not on a check's path
    from linkdir.checker.fingerprint import Comparison, Fingerprint
    from linkdir.resources.service import Actor

# The fingerprint code (and the page classifier and lexicon it imports) is imported when
# a page is first judged, not before a foreground run's first claim (issue 18).

REPLACED = "content_replaced"
_WORKING = ("ok", "moved")


def _curated_text(resource: Resource) -> str:
    return f"{resource.title} {resource.description or ''}"


def judge_against(
    baseline: Fingerprint, recent: Fingerprint | None, page: Fingerprint, resource_text: str
) -> Comparison:
    """The comparison that decides: with the baseline, or the recent page if that is closer."""
    from linkdir.checker.fingerprint import compare

    verdict = compare(baseline, page, resource_text=resource_text)
    if verdict.replaced and recent is not None and recent != baseline:
        carried = compare(recent, page, resource_text=resource_text)
        if not carried.replaced:
            return carried
    return verdict


def needs_baseline(resource: Resource, result: engine.CheckResult) -> bool:
    """Whether :func:`judge_with` compares this check with a baseline (a working page)."""
    return result.fingerprint is not None and result.status in _WORKING and resource.id is not None


def judge_with(
    row: BaselineRow | None, resource: Resource, result: engine.CheckResult, *, now: datetime
) -> engine.CheckResult:
    """``result`` as recorded: a working page whose content was replaced becomes a failure.

    ``row``: the resource's baseline from :func:`read_baselines` (there is one for every
    check that :func:`needs_baseline`); :func:`write_baselines` stores what this sets.
    """
    from linkdir.checker.fingerprint import Fingerprint

    if row is None or not needs_baseline(resource, result):
        return result
    page = result.fingerprint
    assert page is not None
    baseline = Fingerprint.from_json(row.baseline)
    recent = Fingerprint.from_json(row.recent) or baseline
    curated = row.curated_at is None or (
        resource.updated_at is not None and resource.updated_at > row.curated_at
    )
    if baseline is None or row.url != resource.url:
        _rebaseline(row, resource, page, now)
        return result
    verdict = judge_against(baseline, recent, page, _curated_text(resource))
    row.similarity = verdict.similarity
    if verdict.replaced:
        row.replacing = page.to_json()
        return dataclasses.replace(
            result,
            status="broken",
            reason=REPLACED,
            detail=f"similarity {verdict.similarity:.2f} to the baseline",
        )
    row.replacing = None
    # Most pages do not change between checks: no second copy of the baseline is kept.
    row.recent = None if page == baseline else page.to_json()
    if curated:  # a curator looked at the resource since: what it shows now is meant
        _rebaseline(row, resource, page, now)
    return result


def _rebaseline(row: BaselineRow, resource: Resource, page: Fingerprint, now: datetime) -> None:
    row.url = resource.url
    row.baseline = page.to_json()
    row.recent = None  # the same as the baseline
    row.replacing = None
    row.similarity = None
    row.curated_at = resource.updated_at or now
    row.baseline_at = now


# What judge_with reads and sets of a baseline (not suggested_at: the suggestion search's).
_COLUMNS = (
    "resource_id", "url", "baseline", "recent", "replacing", "similarity", "curated_at",
    "baseline_at",
)  # fmt: skip


def _baseline_table() -> Any:
    return ContentBaseline.__table__  # type: ignore[attr-defined]


class BaselineRow:
    """A content baseline's columns as plain values, for :func:`judge_with` in bulk.

    Stands in for a :class:`ContentBaseline` (judge_with reads and sets only these
    attributes) without the ORM's object construction and flush, most of a first check's
    recording CPU (issue 18); ``stored`` is the row as read, None for a new one.
    """

    __slots__ = (*_COLUMNS, "stored")
    resource_id: int
    url: str
    baseline: dict[str, Any] | None
    recent: dict[str, Any] | None
    replacing: dict[str, Any] | None
    similarity: float | None
    curated_at: datetime | None
    baseline_at: datetime | None  # None: a new row nobody judged yet (not stored)

    def __init__(self, values: Sequence[Any], *, stored: bool) -> None:
        for name, value in zip(_COLUMNS, values, strict=True):
            setattr(self, name, value)
        self.stored = self.values() if stored else None

    def values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in _COLUMNS)


async def read_baselines(
    session: AsyncSession, resources: Iterable[tuple[int, str]]
) -> dict[int, BaselineRow]:
    """The baselines of these resources (id, url): one read; a new row where there is none."""
    wanted = dict(resources)
    if not wanted:
        return {}
    table = _baseline_table()
    statement = select(*(table.c[name] for name in _COLUMNS)).where(
        table.c.resource_id.in_(list(wanted))
    )
    rows = {
        row[0]: BaselineRow(row, stored=True) for row in (await session.execute(statement)).all()
    }
    for resource_id, url in wanted.items():
        if resource_id not in rows:
            empty = (resource_id, url, None, None, None, None, None, None)
            rows[resource_id] = BaselineRow(empty, stored=False)
    return rows


async def baselined(session: AsyncSession, urls: Mapping[int, str]) -> set[int]:
    """Of these resources (id: address), those with a baseline taken at that address.

    Only their pages may go unjudged while unchanged (a 304, or the same content hash):
    one without a baseline (checked before baselines existed, say) is asked in full, so
    its next good check takes one instead of waiting for the page to change — and then
    adopting whatever replaced it.
    """
    if not urls:
        return set()
    table = _baseline_table()
    statement = select(table.c.resource_id, table.c.url).where(
        table.c.resource_id.in_(list(urls)), table.c.baseline.is_not(None)
    )
    return {
        resource_id
        for resource_id, url in (await session.execute(statement)).all()
        if urls.get(resource_id) == url
    }


async def write_baselines(session: AsyncSession, rows: Iterable[BaselineRow]) -> None:
    """Store what :func:`judge_with` did to ``rows``: one INSERT (new), one UPDATE (changed)."""
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for row in rows:
        values = row.values()
        if row.stored is None:
            if row.baseline_at is not None:  # judged (a new row is always re-baselined)
                new.append(dict(zip(_COLUMNS, values, strict=True)))
        elif values != row.stored:
            item = {f"new_{name}": value for name, value in zip(_COLUMNS, values, strict=True)}
            item["row_id"] = row.resource_id
            changed.append(item)
    table = _baseline_table()
    if new:
        await session.execute(insert(table), new)
    if changed:
        assigned = {
            name: bindparam(f"new_{name}", type_=table.c[name].type) for name in _COLUMNS[1:]
        }
        await session.execute(
            update(table).where(table.c.resource_id == bindparam("row_id")).values(assigned),
            changed,
        )


async def accept_content(
    session: AsyncSession, resource: Resource, *, by: Actor, now: datetime
) -> Resource:
    """The ``accept_content`` fix: the page as it is now becomes the resource's baseline."""
    from linkdir.checker.fingerprint import Fingerprint

    assert resource.id is not None
    row = await session.get(ContentBaseline, resource.id)
    current = None if row is None else (row.replacing or row.recent or row.baseline)
    if row is None or current is None:
        raise ValidationFailed(
            [FieldError("action", N_("There is no new content to accept: check the link first."))]
        )
    old_title = Fingerprint.from_json(row.baseline) or Fingerprint.from_json(current)
    new_title = Fingerprint.from_json(current)
    row.baseline = current
    row.recent = None
    row.replacing = None
    row.similarity = None
    row.url = resource.url
    row.curated_at = now
    row.baseline_at = now
    old_status = resource.link_status
    if resource.reason == REPLACED:
        resource.reason = "ok"
        resource.consecutive_failures = 0
        if old_status == LinkStatus.broken.value:
            resource.link_status = LinkStatus.ok.value
            resource.status_since = now
    resource.updated_at = now
    revision = Revision(
        resource_id=resource.id,
        user_id=by.user_id,
        actor=by.label,
        action="fix",
        resource_url=resource.url,
        resource_title=resource.title,
        changes={
            "link_status": [old_status, resource.link_status],
            "page_title": [
                old_title.title if old_title else None,
                new_title.title if new_title else None,
            ],
            "fix": [None, "accept_content"],
        },
        created_at=now,
    )
    session.add(revision)
    report_change(session, revision)
    await session.flush()
    return resource


@dataclass(frozen=True, slots=True)
class Evidence:
    """Drift evidence of one report row; the template puts it in the reader's words."""

    old_title: str
    new_title: str
    similarity: float
    markers: tuple[str, ...]  # closed | gambling | for_sale, new since the baseline

    @property
    def percent(self) -> int:
        """How much of the chosen page is left, in whole per cent."""
        return round(self.similarity * 100)


def _evidence(row: ContentBaseline) -> Evidence | None:
    from linkdir.checker.fingerprint import Fingerprint

    baseline = Fingerprint.from_json(row.baseline)
    current = Fingerprint.from_json(row.replacing)
    if baseline is None or current is None:
        return None
    markers = tuple(m for m in current.markers if m not in baseline.markers)
    return Evidence(baseline.title, current.title, row.similarity or 0.0, markers)


async def evidence_for(session: AsyncSession, resource_ids: list[int]) -> dict[int, Evidence]:
    """Drift evidence of the resources whose page is judged replaced (report rows)."""
    if not resource_ids:
        return {}
    rows = await session.execute(
        select(ContentBaseline).where(
            col(ContentBaseline.resource_id).in_(resource_ids),
            col(ContentBaseline.replacing).is_not(None),
        )
    )
    found: dict[int, Evidence] = {}
    for row in rows.scalars():
        evidence = _evidence(row)
        if evidence is not None:
            found[row.resource_id] = evidence
    return found
