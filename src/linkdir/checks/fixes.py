"""A curator's fixes of reported links, the bulk rules around them, and "check now".

Every fix is one entry of :data:`FIXES`: its name (the ``action`` of the API and the
forms), its words, which rows it fits and what it does. The report's buttons, the bulk
menu, the API's validation and :func:`apply_fixes` all read that table, so a new fix is
one :func:`register` call (issue 14 adds ``accept_content`` and ``accept_suggestion``).

A fix that cannot apply raises :class:`FixRefused` before it writes anything; its
``code`` names the reason (:data:`REFUSALS`) so a page can say it beside the row.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from linkdir import checker as engine
from linkdir.changes import report as report_change
from linkdir.checks import drift, runs, suggest
from linkdir.checks import service as monitoring
from linkdir.checks.models import VisitorReport
from linkdir.checks.vocabulary import Verdict, status_of
from linkdir.config import Settings
from linkdir.db import utcnow
from linkdir.errors import N_, Conflict, FieldError, NotFound, ValidationFailed
from linkdir.i18n import gettext
from linkdir.resources import service as directory
from linkdir.resources.models import LinkStatus, Resource, ResourceState, Revision
from linkdir.resources.service import Actor
from linkdir.urls import InvalidUrl, public_http_url

# A bulk action takes at most this many links at once ("all N in this tab" included).
BULK_LIMIT = 1000
# The Internet Archive's availability API answers in well under a second; a curator
# waiting on a click should not wait for a slow archive longer than this.
ARCHIVE_TIMEOUT = 10.0
ARCHIVE_MAX_BYTES = 256 * 1024

REFUSALS: dict[str, str] = {
    "unknown_fix": N_("Choose one of the fixes offered."),
    "not_found": N_("The resource no longer exists."),
    "does_not_fit": N_("This fix does not fit this link."),
    "no_new_address": N_("This link has no new address to accept."),
    "no_snapshot": N_("The Internet Archive has no copy of this page."),
    "archive_unreachable": N_(
        "The Internet Archive could not be reached or did not answer in time. Try again later."
    ),
    "archive_bad_answer": N_("The Internet Archive gave an answer we could not read."),
    "archive_unsafe_address": N_(
        "The Internet Archive offered a copy at an address that is not a public web page "
        "(another scheme, or a local or private network); it was not used."
    ),
    "invalid_address": N_(
        "That is not a web address that can be used. Write the whole address, "
        "beginning with https://."
    ),
    "same_address": N_("That is already the link's address."),
    "address_taken": N_("Another resource in the directory already has that address."),
    "no_new_content": N_("There is no new content to accept: check the link first."),
    "not_a_suggestion": N_("Choose one of the suggested addresses for this link."),
    "not_suspect": N_("Only a link whose last check failed can be confirmed as broken."),
}


class FixRefused(ValidationFailed):
    """A fix that cannot apply to this link; nothing was written."""

    def __init__(self, code: str, detail: FieldError | None = None) -> None:
        self.code = code if code in REFUSALS else "does_not_fit"
        super().__init__([detail or FieldError("action", REFUSALS[self.code])])


def refusal_message(
    code: str | None, *, tried: str = "", allow_networks: tuple[str, ...] = ()
) -> str:
    """Words for a refusal code ("" for none), in the reader's language. For an address
    that was refused, ``tried`` (what the curator typed) gives the URL rule's own reason
    (a private network, a password in it, no host…) instead of the general one."""
    if code == "invalid_address" and tried.strip():
        try:
            public_http_url(tried, allow_networks=allow_networks)
        except InvalidUrl as invalid:
            return invalid.error.render(gettext)
    return gettext(REFUSALS[code]) if code in REFUSALS else ""


# The refusals of a typed address: the row's address field comes back with what was typed.
ADDRESS_REFUSALS = frozenset({"invalid_address", "same_address", "address_taken"})


@dataclass(frozen=True, slots=True)
class FixContext:
    """What a fix needs besides the resource."""

    by: Actor
    settings: Settings
    now: datetime
    url: str | None = None


FixRun = Callable[[AsyncSession, Resource, FixContext], Awaitable[Resource]]


@dataclass(frozen=True, slots=True)
class RowFacts:
    """What a row knows beyond its resource (which fixes fit can depend on it)."""

    open_reports: int = 0
    suggestions: int = 0  # new homes found for the link (checks.suggest)


@dataclass(frozen=True, slots=True)
class Fix:
    """One fix a curator can apply to a link."""

    name: str
    msgid: str  # the button's words (an English msgid)
    fits: Callable[[Resource, RowFacts], bool]
    run: FixRun
    # Silencing and retiring many links at once asks for a second look first.
    confirm_many: bool = False
    needs_url: bool = False
    own_form: bool = False  # offered by a row partial of its own, not the row's buttons
    in_bulk: bool = True
    secondary: bool = False
    refusal: str = "does_not_fit"  # why it does not fit a row (a key of REFUSALS)

    @property
    def label(self) -> str:
        return gettext(self.msgid)


FIXES: dict[str, Fix] = {}


def register(fix: Fix) -> Fix:
    """Add a fix to the table (its position is its place among a row's buttons)."""
    FIXES[fix.name] = fix
    return fix


def available_fixes(resource: Resource, facts: RowFacts | None = None) -> list[Fix]:
    """The fixes that fit one report row, in the order its buttons show them."""
    facts = facts or RowFacts()
    return [fix for fix in FIXES.values() if fix.fits(resource, facts)]


def bulk_fixes() -> list[Fix]:
    """The fixes the bulk menu offers."""
    return [fix for fix in FIXES.values() if fix.in_bulk]


def needs_confirmation(action: str, count: int) -> bool:
    """Whether applying ``action`` to ``count`` links asks for confirmation first."""
    fix = FIXES.get(action)
    return fix is not None and fix.confirm_many and count > 1


# The fixes --------------------------------------------------------------------------------


async def _note_fix(session: AsyncSession, resource: Resource, name: str) -> None:
    """Name the fix in the revision the directory service just wrote."""
    assert resource.id is not None
    newest = await directory.revisions_of(session, resource.id)
    if newest and newest[0].action == "fix":
        newest[0].changes = {**newest[0].changes, "fix": [None, name]}


def _record_fix(
    session: AsyncSession, resource: Resource, context: FixContext, name: str, changes: Any
) -> None:
    resource.updated_at = context.now
    revision = Revision(
        resource_id=resource.id,
        user_id=context.by.user_id,
        actor=context.by.label,
        action="fix",
        resource_url=resource.url,
        resource_title=resource.title,
        changes={**changes, "fix": [None, name]},
        created_at=context.now,
    )
    session.add(revision)
    report_change(session, revision)


async def _accept_redirect(
    session: AsyncSession, resource: Resource, context: FixContext
) -> Resource:
    if not resource.moved_to:
        raise FixRefused("no_new_address")
    assert resource.id is not None
    try:
        updated = await directory.update_resource(
            session,
            resource.id,
            {"url": resource.moved_to},
            by=context.by,
            allow_networks=context.settings.checker_allow_networks,
            action="fix",
        )
    except Conflict as error:
        raise FixRefused("address_taken") from error
    await _note_fix(session, updated, "accept_redirect")
    return updated


async def _change_address(
    session: AsyncSession, resource: Resource, context: FixContext
) -> Resource:
    url = (context.url or "").strip()
    if not url:
        raise FixRefused("invalid_address", FieldError("url", N_("Enter an address (URL).")))
    assert resource.id is not None
    try:
        cleaned = directory.validate_resource(
            {"url": url}, partial=True, allow_networks=context.settings.checker_allow_networks
        )
    except ValidationFailed as error:
        raise FixRefused("invalid_address", error.errors[0]) from error
    if cleaned["url"] == resource.url:
        raise FixRefused("same_address", FieldError("url", REFUSALS["same_address"]))
    try:
        updated = await directory.update_resource(
            session,
            resource.id,
            {"url": cleaned["url"]},
            by=context.by,
            allow_networks=context.settings.checker_allow_networks,
            action="fix",
        )
    except Conflict as error:
        raise FixRefused("address_taken", FieldError("url", REFUSALS["address_taken"])) from error
    await _note_fix(session, updated, "change_address")
    # A curator who typed a new address wants to know at once whether it works.
    await check_now(session, updated, settings=context.settings, worker=f"fix:{context.by.label}")
    return updated


async def _retire(session: AsyncSession, resource: Resource, context: FixContext) -> Resource:
    assert resource.id is not None
    updated = await directory.update_resource(
        session, resource.id, {"state": ResourceState.retired.value}, by=context.by, action="fix"
    )
    await _note_fix(session, updated, "retire")
    return updated


async def _mark_ok(session: AsyncSession, resource: Resource, context: FixContext) -> Resource:
    old_status = resource.link_status
    await monitoring.silence(session, resource, now=context.now)
    resource.link_status = LinkStatus.ok.value
    resource.status_since = context.now
    _record_fix(
        session, resource, context, "mark_ok", {"link_status": [old_status, LinkStatus.ok.value]}
    )
    await session.flush()
    return resource


async def _confirm_broken(
    session: AsyncSession, resource: Resource, context: FixContext
) -> Resource:
    if status_of(resource) != Verdict.suspect:
        raise FixRefused("not_suspect")
    old_status = resource.link_status
    resource.link_status = LinkStatus.broken.value
    resource.status_since = context.now
    # Confirmed now: from here on it is rechecked like any broken link (and recovers alone).
    resource.next_check_at = context.now + monitoring.jittered(monitoring.BROKEN_INTERVAL)
    _record_fix(
        session,
        resource,
        context,
        "confirm_broken",
        {"link_status": [old_status, LinkStatus.broken.value]},
    )
    await session.flush()
    return resource


async def _use_archive(session: AsyncSession, resource: Resource, context: FixContext) -> Resource:
    # The copy must show the page as it was while it worked: ask for one from before.
    broke_at = resource.status_since if resource.link_status == LinkStatus.broken.value else None
    snapshot = await find_snapshot(context.settings, resource.url, broke_at or context.now)
    old = resource.archive_url
    resource.archive_url = snapshot
    _record_fix(session, resource, context, "use_archive", {"archive_url": [old, snapshot]})
    await session.flush()
    return resource


async def _close_reports(
    session: AsyncSession, resource: Resource, context: FixContext
) -> Resource:
    closed = await close_visitor_reports(session, resource, now=context.now)
    _record_fix(session, resource, context, "close_reports", {"visitor_reports": [closed, 0]})
    await session.flush()
    return resource


def _failing(resource: Resource) -> bool:
    return resource.consecutive_failures > 0 or resource.link_status in {
        LinkStatus.broken.value,
        LinkStatus.unverified.value,
    }


def _not_retired(resource: Resource) -> bool:
    return resource.state != ResourceState.retired.value


register(
    Fix(
        "accept_redirect",
        N_("Accept the new address"),
        lambda r, _f: bool(r.moved_to) and _not_retired(r),
        _accept_redirect,
        refusal="no_new_address",
    )
)
register(
    Fix(
        "confirm_broken",
        N_("Mark as broken"),
        lambda r, _f: status_of(r) == Verdict.suspect and _not_retired(r),
        _confirm_broken,
        refusal="not_suspect",
    )
)
register(
    Fix(
        "accept_content",
        N_("Accept the new content"),
        lambda r, _f: r.reason == "content_replaced" and _not_retired(r),
        lambda session, r, c: drift.accept_content(session, r, by=c.by, now=c.now),
        in_bulk=False,
        refusal="no_new_content",
    )
)
register(
    Fix(
        "accept_suggestion",
        N_("Use this address"),
        lambda r, f: f.suggestions > 0 and _not_retired(r),
        lambda session, r, c: suggest.accept(
            session, r, c.url, by=c.by, settings=c.settings, now=c.now
        ),
        needs_url=True,
        own_form=True,  # beside each suggestion (checks/_suggestions.html)
        in_bulk=False,
        refusal="not_a_suggestion",
    )
)
register(
    Fix(
        "use_archive",
        N_("Use an archived copy"),
        lambda r, _f: status_of(r) in {Verdict.broken, Verdict.suspect} and _not_retired(r),
        _use_archive,
    )
)
register(
    Fix(
        "change_address",
        N_("Change address"),
        lambda r, _f: _not_retired(r),
        _change_address,
        needs_url=True,
        in_bulk=False,
    )
)
register(
    Fix(
        "mark_ok",
        N_("Mark as working"),
        lambda r, _f: _failing(r) and _not_retired(r),
        _mark_ok,
        confirm_many=True,
        secondary=True,
    )
)
register(
    Fix(
        "close_reports",
        N_("Close the visitor reports"),
        lambda _r, f: f.open_reports > 0,
        _close_reports,
        secondary=True,
    )
)
register(
    Fix(
        "retire",
        N_("Retire"),
        lambda r, _f: _not_retired(r),
        _retire,
        confirm_many=True,
        secondary=True,
    )  # fmt: skip
)


async def apply_fix(
    session: AsyncSession,
    resource_id: int,
    action: str,
    *,
    by: Actor,
    settings: Settings,
    now: datetime,
    url: str | None = None,
) -> Resource:
    """Apply one fix to one link, recorded as a Revision with action ``fix``.

    A fix ends the link's open visitor reports: a curator has looked at it.
    """
    fix = FIXES.get(action)
    if fix is None:
        raise FixRefused(
            "unknown_fix",
            FieldError("action", N_("Choose one of: %(choices)s."), {"choices": ", ".join(FIXES)}),
        )
    resource = await directory.get_resource(session, resource_id, states=directory.ALL_STATES)
    found = await suggest.suggestions_for(session, [resource_id]) if fix.own_form else {}
    facts = RowFacts(
        open_reports=await count_open_reports(session, resource_id),
        suggestions=len(found.get(resource_id, [])),
    )
    if not fix.fits(resource, facts):
        raise FixRefused(fix.refusal)
    context = FixContext(by=by, settings=settings, now=now, url=url)
    fixed = await fix.run(session, resource, context)
    if action != "close_reports":
        await close_visitor_reports(session, fixed, now=now)
    return fixed


@dataclass(frozen=True, slots=True)
class BulkOutcome:
    """What a bulk fix did: how many it fixed, and which it left with why."""

    done: int
    skipped: list[tuple[int, str]]
    over_limit: int = 0


def parse_ids(raw: list[str]) -> list[int]:
    """Selected ids from a form, deduplicated in order (junk left out)."""
    seen: dict[int, None] = {}
    for value in raw:
        try:
            seen.setdefault(int(value), None)
        except ValueError:
            continue
    return list(seen)


async def apply_fixes(
    session: AsyncSession,
    resource_ids: list[int],
    action: str,
    *,
    by: Actor,
    settings: Settings,
    now: datetime,
) -> BulkOutcome:
    """The same fix for many links; links it does not fit are left and counted."""
    fix = FIXES.get(action)
    if fix is None or not fix.in_bulk:
        raise FixRefused("unknown_fix")
    chosen = resource_ids[:BULK_LIMIT]
    done = 0
    skipped: list[tuple[int, str]] = []
    for resource_id in chosen:
        try:
            # Each fix refuses before it writes anything, so a refusal leaves no trace.
            await apply_fix(session, resource_id, action, by=by, settings=settings, now=now)
            done += 1
        except FixRefused as refused:
            skipped.append((resource_id, refused.code))
        except NotFound:
            skipped.append((resource_id, "not_found"))
    return BulkOutcome(done, skipped, max(0, len(resource_ids) - BULK_LIMIT))


async def check_now(
    session: AsyncSession, resource: Resource, *, settings: Settings, worker: str
) -> list[Revision]:
    """Check one link at once and record it like a scheduled check (a curator is waiting)."""
    async with engine.Checker(engine.EngineConfig.from_settings(settings)) as checker:
        result = await checker.check(resource.url)
    now = utcnow()
    revisions = await monitoring.record_check(
        session, resource, result, now=now, settings=settings, worker=worker
    )
    await runs.snapshot_health(session, today=now.date())
    return revisions


# The Internet Archive ---------------------------------------------------------------------


def _safe_snapshot(value: Any) -> str | None:
    """``value`` if it passes the one URL rule (``urls.public_http_url``), else None.

    Always judged as a public address, whatever LINKDIR_CHECKER_ALLOW_NETWORKS lets the
    checker reach: a snapshot becomes a link on a public page (issue 20).
    """
    if not isinstance(value, str):
        return None
    try:
        snapshot = public_http_url(value, field="archive_url")
    except InvalidUrl:
        return None
    return snapshot.replace("http://web.archive.org/", "https://web.archive.org/", 1)


async def find_snapshot(settings: Settings, url: str, before: datetime) -> str:
    """The Internet Archive snapshot of ``url`` closest to ``before``.

    Asks the availability API at ``LINKDIR_WAYBACK_API_URL`` through the checker's guarded
    client (same address rules and User-Agent as link checks). Fails soft: a slow,
    unreachable, refused, failing or garbled archive raises :class:`FixRefused`
    (``archive_unreachable``, ``archive_bad_answer``), none raises ``no_snapshot``.
    """
    config = engine.EngineConfig.from_settings(settings, probe_soft_404=False)
    params = {"url": url, "timestamp": before.strftime("%Y%m%d%H%M%S")}
    try:
        async with asyncio.timeout(min(settings.checker_timeout, ARCHIVE_TIMEOUT)):
            async with engine.Checker(config) as checker:
                response = await checker.client.get(settings.wayback_api_url, params=params)
    except (TimeoutError, httpx.HTTPError, OSError) as error:
        raise FixRefused("archive_unreachable") from error
    if response.status_code >= 500 or response.status_code == 429:
        raise FixRefused("archive_unreachable")
    if response.status_code != 200 or len(response.content) > ARCHIVE_MAX_BYTES:
        raise FixRefused("archive_bad_answer")
    try:
        body = response.json()
    except ValueError as error:
        raise FixRefused("archive_bad_answer") from error
    if not isinstance(body, dict):
        raise FixRefused("archive_bad_answer")
    snapshots = body.get("archived_snapshots")
    closest = snapshots.get("closest") if isinstance(snapshots, dict) else None
    if not isinstance(closest, dict) or not closest.get("available"):
        raise FixRefused("no_snapshot")
    if not str(closest.get("status", "200")).startswith("2"):
        raise FixRefused("no_snapshot")
    snapshot = _safe_snapshot(closest.get("url"))
    if snapshot is None:
        # javascript:, data:, a private or loopback host in any spelling: never a link.
        raise FixRefused("archive_unsafe_address")
    return snapshot


# Visitor reports, as the fixes see them ------------------------------------------------------


async def count_open_reports(session: AsyncSession, resource_id: int) -> int:
    """How many visitor reports of one resource wait for a curator."""
    statement = select(func.count()).where(
        col(VisitorReport.resource_id) == resource_id, col(VisitorReport.closed_at).is_(None)
    )
    return int((await session.execute(statement)).scalar_one())


async def close_visitor_reports(session: AsyncSession, resource: Resource, *, now: datetime) -> int:
    """Close the open visitor reports of ``resource``; how many were open."""
    result = await session.execute(
        update(VisitorReport)
        .where(
            col(VisitorReport.resource_id) == resource.id, col(VisitorReport.closed_at).is_(None)
        )
        .values(closed_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
