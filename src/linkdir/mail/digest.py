"""Curators' digests: what needs them since their last one, grouped, counted, in words.

A digest covers the time since the curator's last one (``DigestSettings.covered_until``).
Each curator gets at most one per period (a day or an ISO week); the ``digest_period``
row with its unique (user, period) key is the claim, so several workers never send two.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from linkdir import i18n
from linkdir.auth.models import Role, User
from linkdir.config import Settings
from linkdir.db import utcnow
from linkdir.errors import N_
from linkdir.mail.models import DigestPeriod, DigestSettings, Frequency
from linkdir.mail.outbox import Composed, enqueue
from linkdir.reasons import reason_label
from linkdir.resources.models import (
    LinkStatus,
    Resource,
    ResourceState,
    ResourceTopic,
    Revision,
    Topic,
)

log = logging.getLogger("linkdir.mail")

# An unverified link a robot could not judge for this long needs a person to look.
UNVERIFIED_LONG = timedelta(days=14)
ITEMS_PER_GROUP = 50  # a digest lists this many per group and counts the rest

# Groups in the order a digest shows them: (key, report tab, heading).
GROUPS: tuple[tuple[str, str, str], ...] = (
    ("broken", "broken", N_("Newly confirmed broken")),
    ("moved", "moved", N_("Moved to a new address")),
    ("unverified", "unverified", N_("Not verifiable for a long time")),
    ("stale", "stale", N_("Not updated for a long time")),
    ("review_due", "review_due", N_("Due for review")),
    # Visitor reports (#13) go here as ("reported", "reported", N_("Reported by visitors"))
    # once their table exists; see _visitor_reports below.
)


@dataclass(frozen=True, slots=True)
class DigestItem:
    resource_id: int
    title: str
    url: str
    detail: str  # in the reader's words: the reason, the new address, the date
    link: str  # the resource's row in /manage/links


@dataclass
class Digest:
    user: User
    language: str
    since: datetime
    until: datetime
    groups: dict[str, list[DigestItem]] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.totals.values())

    @property
    def counts(self) -> dict[str, int]:
        return {key: count for key, count in self.totals.items() if count}


# Periods ---------------------------------------------------------------------------------


# Digests go out by the library's clock, not UTC.
LIBRARY_TIME = ZoneInfo("Europe/Stockholm")


def local_now(now: datetime) -> datetime:
    return now.astimezone(LIBRARY_TIME)


def due_period(frequency: str, now: datetime, hour: int, *, force: bool = False) -> str | None:
    """The period a digest sent ``now`` belongs to, or None when none is due yet."""
    if frequency == Frequency.never.value:
        return None
    local = local_now(now)
    if frequency == Frequency.daily.value:
        if local.hour < hour and not force:
            return None
        return local.date().isoformat()
    if local.weekday() == 0 and local.hour < hour and not force:
        return None
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


def period_length(frequency: str) -> timedelta:
    return timedelta(days=1) if frequency == Frequency.daily.value else timedelta(days=7)


# Unsubscribing ---------------------------------------------------------------------------


def unsubscribe_signature(settings: Settings, user_id: int) -> str:
    """What proves an unsubscribe link was mailed to ``user_id`` (and no one else)."""
    key = settings.secret_key.encode("utf-8")
    return hmac.new(key, f"unsubscribe:{user_id}".encode(), hashlib.sha256).hexdigest()


def unsubscribe_url(settings: Settings, user_id: int) -> str:
    base = settings.base_url.rstrip("/")
    return f"{base}/mail/unsubscribe?user={user_id}&sig={unsubscribe_signature(settings, user_id)}"


def signature_valid(settings: Settings, user_id: int, signature: str) -> bool:
    return hmac.compare_digest(unsubscribe_signature(settings, user_id), signature)


async def settings_of(session: AsyncSession, user: User) -> DigestSettings:
    """The curator's digest settings (weekly, whole directory, Swedish until changed)."""
    assert user.id is not None
    found = await session.get(DigestSettings, user.id)
    if found is None:
        found = DigestSettings(user_id=user.id)
        session.add(found)
        await session.flush()
    return found


async def unsubscribe(session: AsyncSession, user_id: int) -> bool:
    """Stop ``user_id``'s digests; False when there is no such active account."""
    user = await session.get(User, user_id)
    if user is None or not user.is_active:
        return False
    prefs = await settings_of(session, user)
    prefs.frequency = Frequency.never.value
    return True


async def update_settings(
    session: AsyncSession, user: User, *, frequency: str, topics: list[str], language: str
) -> DigestSettings:
    """Change how ``user`` is told; unknown values are refused by the caller's form."""
    prefs = await settings_of(session, user)
    prefs.frequency = frequency
    prefs.topics = sorted(set(topics))
    prefs.language = language if language in i18n.LOCALES else i18n.DEFAULT_LOCALE
    return prefs


# What goes in a digest -------------------------------------------------------------------


def _row_link(settings: Settings, tab: str, resource_id: int) -> str:
    # #13 gives each row of /manage/links the anchor resource-{id}.
    return f"{settings.base_url.rstrip('/')}/manage/links?tab={tab}#resource-{resource_id}"


def _in_topics(statement: Any, topics: list[str]) -> Any:
    if not topics:
        return statement
    chosen = (
        select(col(ResourceTopic.resource_id))
        .join(Topic, col(Topic.id) == col(ResourceTopic.topic_id))
        .where(col(Topic.slug).in_(topics))
    )
    return statement.where(col(Resource.id).in_(chosen))


async def _from_revisions(
    session: AsyncSession,
    action: str,
    status: str | None,
    since: datetime,
    until: datetime,
    topics: list[str],
) -> list[tuple[Resource, Revision]]:
    statement = (
        select(Resource, Revision)
        .join(Revision, col(Revision.resource_id) == col(Resource.id))
        .where(
            col(Revision.action) == action,
            col(Revision.created_at) > since,
            col(Revision.created_at) <= until,
            col(Resource.state) != ResourceState.retired.value,
        )
        .order_by(col(Revision.created_at).desc())
    )
    if status is not None:  # still so: a link that recovered meanwhile is not news
        statement = statement.where(col(Resource.link_status) == status)
    seen: set[int] = set()
    found: list[tuple[Resource, Revision]] = []
    for resource, revision in (await session.execute(_in_topics(statement, topics))).all():
        if resource.id not in seen:
            seen.add(resource.id)
            found.append((resource, revision))
    return found


async def _visitor_reports(
    session: AsyncSession, since: datetime, until: datetime, topics: list[str]
) -> list[tuple[Resource, str]]:
    """Visitor reports since the last digest: none until #13's report table exists."""
    return []


async def build_digest(
    session: AsyncSession, settings: Settings, user: User, prefs: DigestSettings, until: datetime
) -> Digest:
    """What ``user`` should hear about since their last digest, in their language."""
    since = prefs.covered_until or (until - period_length(prefs.frequency))
    i18n.set_locale(prefs.language)
    digest = Digest(user=user, language=prefs.language, since=since, until=until)
    topics = list(prefs.topics or [])
    raw: dict[str, list[tuple[Resource, str]]] = {}

    broken = await _from_revisions(
        session, "link_broken", LinkStatus.broken.value, since, until, topics
    )
    raw["broken"] = [(r, reason_label(r.reason) or i18n.gettext("Broken")) for r, _ in broken]
    moved = await _from_revisions(
        session, "link_moved", LinkStatus.moved.value, since, until, topics
    )
    raw["moved"] = [
        (r, i18n.gettext("New address: %(url)s") % {"url": r.moved_to or r.final_url or ""})
        for r, _ in moved
    ]
    unverified = (
        await session.execute(
            _in_topics(
                select(Resource).where(
                    col(Resource.link_status) == LinkStatus.unverified.value,
                    col(Resource.state) != ResourceState.retired.value,
                    col(Resource.status_since) <= until - UNVERIFIED_LONG,
                    col(Resource.status_since) > since - UNVERIFIED_LONG,
                ),
                topics,
            )
        )
    ).scalars()
    raw["unverified"] = [(r, reason_label(r.reason)) for r in unverified]
    stale = await _from_revisions(session, "link_stale", None, since, until, topics)
    raw["stale"] = [
        (
            r,
            i18n.gettext("Last updated %(date)s") % {"date": i18n.format_day(r.modified_on)}
            if r.modified_on
            else "",
        )
        for r, _ in stale
    ]
    today: date = local_now(until).date()
    last_day: date = local_now(since).date()
    review = (
        await session.execute(
            _in_topics(
                select(Resource).where(
                    col(Resource.review_by) <= today,
                    col(Resource.review_by) > last_day,
                    col(Resource.state) != ResourceState.retired.value,
                ),
                topics,
            )
        )
    ).scalars()
    raw["review_due"] = [
        (r, i18n.gettext("Review by %(date)s") % {"date": i18n.format_day(r.review_by)})
        for r in review
    ]
    raw["reported"] = await _visitor_reports(session, since, until, topics)

    for key, tab, _heading in GROUPS:
        rows = raw.get(key, [])
        digest.totals[key] = len(rows)
        digest.groups[key] = [
            DigestItem(
                resource_id=r.id or 0,
                title=r.title,
                url=r.url,
                detail=detail,
                link=_row_link(settings, tab, r.id or 0),
            )
            for r, detail in rows[:ITEMS_PER_GROUP]
        ]
    return digest


def compose(settings: Settings, digest: Digest) -> Composed:
    """The digest as a mail: plain text and HTML from the mail templates."""
    from linkdir.web import environment

    assert digest.user.id is not None
    i18n.set_locale(digest.language)
    unsubscribe = unsubscribe_url(settings, digest.user.id)
    groups = [
        {
            "key": key,
            "heading": i18n.gettext(heading),
            "total": digest.totals.get(key, 0),
            "items": digest.groups.get(key, []),
            "more": digest.totals.get(key, 0) - len(digest.groups.get(key, [])),
            "report": f"{settings.base_url.rstrip('/')}/manage/links?tab={tab}",
        }
        for key, tab, heading in GROUPS
        if digest.totals.get(key)
    ]
    subject = i18n.ngettext(
        "%(site)s: %(num)d link needs you",
        "%(site)s: %(num)d links need you",
        digest.total,
    ) % {"site": settings.site_name, "num": digest.total}
    context = {
        "settings": settings,
        "locale": digest.language,
        "subject": subject,
        "groups": groups,
        "digest": digest,
        "unsubscribe": unsubscribe,
        "account": f"{settings.base_url.rstrip('/')}/manage/account",
    }
    env = environment()
    text = env.get_template("mail/digest.txt").render(**context)
    html = env.get_template("mail/digest.html").render(**context)
    return Composed(
        recipient=digest.user.email,
        subject=subject,
        text=text,
        html=html,
        headers=(
            ("List-Unsubscribe", f"<{unsubscribe}>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),  # RFC 8058
            ("Content-Language", digest.language),
        ),
    )


# Sending ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DigestOutcome:
    email: str
    period: str
    counts: dict[str, int]
    queued: bool  # False: nothing new, or a dry run


async def _curators(session: AsyncSession) -> list[User]:
    statement = (
        select(User)
        .where(
            col(User.is_active).is_(True),
            col(User.role).in_([Role.admin.value, Role.editor.value]),
        )
        .order_by(col(User.id))
    )
    return list((await session.execute(statement)).scalars())


async def send_due_digests(
    factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    force: bool = False,
) -> list[DigestOutcome]:
    """Put every due digest in the outbox (one per curator and period); what was done.

    ``force`` ignores the hour of day (``linkdir digest send``); ``dry_run`` writes nothing.
    """
    now = now or utcnow()
    outcomes: list[DigestOutcome] = []
    if not settings.mail_enabled and not settings.is_development and not dry_run:
        return outcomes
    async with factory() as session:
        user_ids = [u.id for u in await _curators(session) if u.id is not None]
    for user_id in user_ids:
        async with factory() as session:
            if await session.get(DigestSettings, user_id) is None and not dry_run:
                # Two workers may both make the default row: the loser uses the winner's.
                session.add(DigestSettings(user_id=user_id))
                try:
                    await session.commit()
                except IntegrityError:
                    await session.rollback()
        async with factory() as session:
            user = await session.get(User, user_id)
            if user is None:
                continue
            prefs = await session.get(DigestSettings, user_id) or DigestSettings(user_id=user_id)
            period = due_period(prefs.frequency, now, settings.digest_hour, force=force)
            if period is None:
                await session.rollback()
                continue
            claimed = (
                await session.execute(
                    select(col(DigestPeriod.id)).where(
                        col(DigestPeriod.user_id) == user_id,
                        col(DigestPeriod.period) == period,
                    )
                )
            ).first()
            # Most minutes the period is long done: no insert (and no failed one) needed.
            if claimed is not None:
                await session.rollback()
                continue
            if dry_run:
                digest = await build_digest(session, settings, user, prefs, now)
                outcomes.append(DigestOutcome(user.email, period, digest.counts, False))
                await session.rollback()
                continue
            record = DigestPeriod(user_id=user_id, period=period)
            session.add(record)
            try:
                await session.flush()  # the claim: a second worker fails here
            except IntegrityError:
                await session.rollback()
                continue
            digest = await build_digest(session, settings, user, prefs, now)
            record.counts = digest.counts
            queued = False
            if digest.total:
                mail = await enqueue(session, settings, "digest", compose(settings, digest))
                record.mail_id = mail.id
                queued = True
            prefs.covered_until = now
            await session.commit()
            outcomes.append(DigestOutcome(user.email, period, digest.counts, queued))
    return outcomes
