"""Link monitoring: the state machine of DESIGN §3 with an injected clock, and claims."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col
from tests.conftest import make_resource, make_settings

from linkdir import checker as engine
from linkdir.checks import service as monitoring
from linkdir.checks.models import CheckResult
from linkdir.db import create_engine, session_factory
from linkdir.resources.models import Resource, Revision

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def exact(interval: timedelta) -> timedelta:
    return interval


def verdict(status: str, http_status: int | None = 200, reason: str = "ok", **extra: Any) -> Any:
    values: dict[str, Any] = {
        "url": "https://example.se/",
        "status": status,
        "http_status": http_status,
        "reason": reason,
        "final_url": extra.pop("final_url", "https://example.se/"),
        "redirects": (),
        "modified": None,
        "content_hash": None,
        "elapsed_ms": 12,
        "checked_at": T0,
    }
    values.update(extra)
    return engine.CheckResult(**values)


OK = verdict("ok")
GONE = verdict("broken", 404, "http_404")
WALL = verdict("unverified", 403, "bot_wall")


async def check(session: AsyncSession, resource: Resource, result: Any, at: datetime, **kw: Any):
    settings = kw.pop("settings", None) or make_settings(
        "sqlite+aiosqlite:///unused.db", **kw.pop("overrides", {})
    )
    revisions = await monitoring.record_check(
        session, resource, result, now=at, settings=settings, jitter=exact, **kw
    )
    await session.commit()
    return revisions


async def link_revisions(session: AsyncSession, resource_id: int) -> list[Revision]:
    rows = await session.execute(
        select(Revision)
        .where(Revision.resource_id == resource_id, Revision.actor == "checker")
        .order_by(Revision.id)
    )
    return list(rows.scalars())


async def test_a_failure_makes_a_suspect_confirmed_broken_only_after_checks_and_span(session):
    resource = await make_resource(session)
    await check(session, resource, OK, T0 - timedelta(days=7))
    assert resource.link_status == "ok"

    # 1 h, 6 h, 24 h: three failures within 31 hours are not yet 48 hours apart.
    times = [T0, T0 + HOUR, T0 + 7 * HOUR, T0 + 31 * HOUR]
    expected_next = [T0 + HOUR, T0 + 7 * HOUR, T0 + 31 * HOUR, T0 + 48 * HOUR]
    for at, next_at in zip(times, expected_next, strict=True):
        await check(session, resource, GONE, at)
        assert resource.link_status == "ok", at
        assert resource.next_check_at == next_at
    assert resource.consecutive_failures == 4
    assert resource.reason == "http_404" and resource.http_status == 404
    assert await link_revisions(session, resource.id) == []

    await check(session, resource, GONE, T0 + 48 * HOUR)
    assert resource.link_status == "broken"
    assert resource.status_since == T0 + 48 * HOUR
    assert resource.next_check_at == T0 + 48 * HOUR + timedelta(days=7)
    [revision] = await link_revisions(session, resource.id)
    assert revision.action == "link_broken"
    assert revision.user_id is None
    assert revision.changes["link_status"] == ["ok", "broken"]
    assert revision.changes["reason"][1] == "http_404"
    assert revision.changes["http_status"][1] == 404

    # Still broken a week later: no new revision, weekly rechecks.
    await check(session, resource, GONE, T0 + 48 * HOUR + timedelta(days=7))
    assert resource.link_status == "broken"
    assert len(await link_revisions(session, resource.id)) == 1


async def test_enough_failures_need_the_span_too_and_more_checks_need_no_span(session):
    settings = make_settings("sqlite+aiosqlite:///x.db", confirm_checks=2, confirm_span=2 * HOUR)
    resource = await make_resource(session)
    await check(session, resource, GONE, T0, settings=settings)
    await check(session, resource, GONE, T0 + HOUR, settings=settings)
    assert resource.link_status == "unchecked"
    assert resource.next_check_at == T0 + 2 * HOUR  # the span, sooner than 6 h
    await check(session, resource, GONE, T0 + 2 * HOUR, settings=settings)
    assert resource.link_status == "broken"


async def test_a_working_check_ends_the_suspicion(session):
    resource = await make_resource(session)
    await check(session, resource, OK, T0 - HOUR)
    await check(session, resource, GONE, T0)
    await check(session, resource, GONE, T0 + HOUR)
    await check(session, resource, OK, T0 + 7 * HOUR)
    assert resource.consecutive_failures == 0
    assert resource.next_check_at == T0 + 7 * HOUR + timedelta(days=7)
    # A new streak starts from scratch: three more failures over 48 h are needed.
    for at in (T0 + 30 * HOUR, T0 + 60 * HOUR, T0 + 70 * HOUR):
        await check(session, resource, GONE, at)
    assert resource.link_status == "ok"
    await check(session, resource, GONE, T0 + 78 * HOUR)
    assert resource.link_status == "broken"


async def test_a_confirmed_broken_link_recovers_by_itself(session):
    settings = make_settings("sqlite+aiosqlite:///x.db", confirm_checks=1, confirm_span=HOUR * 0)
    resource = await make_resource(session)
    await check(session, resource, GONE, T0, settings=settings)
    assert resource.link_status == "broken"
    await check(session, resource, OK, T0 + timedelta(days=7), settings=settings)
    assert resource.link_status == "ok"
    assert resource.reason == "ok"
    assert [r.action for r in await link_revisions(session, resource.id)] == [
        "link_broken",
        "link_recovered",
    ]


async def test_unverified_never_becomes_broken(session):
    resource = await make_resource(session)
    for day in range(0, 60, 3):
        await check(session, resource, WALL, T0 + timedelta(days=day))
    assert resource.link_status == "unverified"
    assert resource.consecutive_failures == 0
    assert resource.reason == "bot_wall"
    assert await link_revisions(session, resource.id) == []


async def test_a_permanent_redirect_moves_the_link_and_names_the_new_address(session):
    resource = await make_resource(session)
    await check(session, resource, OK, T0)
    moved = verdict(
        "moved", 200, "moved_permanently", final_url="https://ny.example.se/", moved_to=None
    )
    await check(session, resource, moved, T0 + timedelta(days=7))
    assert resource.link_status == "moved"
    assert resource.moved_to == "https://ny.example.se/"
    [revision] = await link_revisions(session, resource.id)
    assert revision.action == "link_moved"
    assert revision.changes["moved_to"] == [None, "https://ny.example.se/"]
    # The same move seen again is not news.
    await check(session, resource, moved, T0 + timedelta(days=14))
    assert len(await link_revisions(session, resource.id)) == 1


async def test_content_change_and_page_date_are_recorded(session):
    resource = await make_resource(session)
    await check(session, resource, verdict("ok", content_hash="a" * 64), T0)
    assert resource.content_changed_at is None
    await check(session, resource, verdict("ok", content_hash="a" * 64), T0 + HOUR)
    assert resource.content_changed_at is None
    updated = verdict("ok", content_hash="b" * 64, modified=date(2026, 2, 1))
    await check(session, resource, updated, T0 + 2 * HOUR)
    assert resource.content_changed_at == T0 + 2 * HOUR
    assert resource.content_hash == "b" * 64
    assert resource.modified_on == date(2026, 2, 1)


async def test_a_page_last_updated_long_ago_is_reported_stale_once(session):
    resource = await make_resource(session)
    old_page = verdict("ok", modified=date(2018, 10, 26))
    await check(session, resource, old_page, T0)
    await check(session, resource, old_page, T0 + timedelta(days=7))
    [revision] = await link_revisions(session, resource.id)
    assert revision.action == "link_stale"
    assert revision.changes["modified_on"] == [None, "2018-10-26"]


async def test_history_is_bounded_to_the_newest_checks(session):
    resource = await make_resource(session)
    for n in range(6):
        await check(session, resource, OK, T0 + n * HOUR, overrides={"check_history": 3})
    history = await monitoring.history_of(session, resource.id)
    assert [row.checked_at for row in history] == [T0 + n * HOUR for n in (5, 4, 3)]


async def test_ok_rechecks_spread_with_jitter(session):
    settings = make_settings("sqlite+aiosqlite:///x.db")
    resources = [await make_resource(session) for _ in range(12)]
    for resource in resources:
        await monitoring.record_check(session, resource, OK, now=T0, settings=settings)
    await session.commit()
    gaps = {resource.next_check_at - T0 for resource in resources}
    assert all(timedelta(days=6.3) <= gap <= timedelta(days=7.7) for gap in gaps)
    assert len(gaps) > 1


async def test_mark_ok_silences_the_same_answer_until_it_changes(session):
    settings = make_settings("sqlite+aiosqlite:///x.db", confirm_checks=1, confirm_span=0 * HOUR)
    resource = await make_resource(session)
    await check(session, resource, GONE, T0, settings=settings)
    assert resource.link_status == "broken"
    await monitoring.silence(session, resource, now=T0 + HOUR)
    resource.link_status = "ok"
    await session.commit()
    await check(session, resource, GONE, T0 + 2 * HOUR, settings=settings)
    assert (resource.link_status, resource.consecutive_failures) == ("ok", 0)
    # A different answer lifts the silence.
    await check(session, resource, verdict("broken", 500, "http_500"), T0 + 3 * HOUR,
                settings=settings)  # fmt: skip
    assert resource.link_status == "broken"


async def test_claims_take_due_resources_once_grouped_by_host(session):
    a1 = await make_resource(session, url="https://a.example.se/1")
    a2 = await make_resource(session, url="https://a.example.se/2")
    b1 = await make_resource(session, url="https://b.example.se/1")
    later = await make_resource(session, url="https://c.example.se/")
    retired = await make_resource(session, url="https://d.example.se/", state="retired")
    later.next_check_at = T0 + timedelta(days=3)
    for resource in (a1, a2, b1, retired):
        resource.next_check_at = T0 - HOUR
    await session.commit()

    batches = await monitoring.claim_due(
        session, now=T0, limit=100, claim_for=timedelta(minutes=15), worker="w1"
    )
    await session.commit()
    assert {host: [c.resource_id for c in items] for host, items in batches.items()} == {
        "a.example.se": [a1.id, a2.id],
        "b.example.se": [b1.id],
    }
    assert await monitoring.claim_due(session, now=T0, limit=100, claim_for=HOUR) == {}
    # A worker that dies leaves its claims to expire; then they are due again.
    again = await monitoring.claim_due(
        session, now=T0 + timedelta(minutes=16), limit=100, claim_for=HOUR
    )
    assert sum(len(items) for items in again.values()) == 3


async def test_a_host_being_checked_gets_no_second_batch_until_it_is_done(session):
    """Per-host politeness across batches and workers: one batch per host at a time."""
    a = [await make_resource(session, url=f"https://a.example.se/{n}") for n in range(4)]
    b = await make_resource(session, url="https://b.example.se/")
    for resource in (*a, b):
        resource.next_check_at = T0 - HOUR
    await session.commit()
    claim_for = timedelta(minutes=15)

    first = await monitoring.claim_due(session, now=T0, limit=2, claim_for=claim_for, worker="w1")
    await session.commit()
    assert {host: len(items) for host, items in first.items()} == {"a.example.se": 2}
    # a.example.se still has two due links, but its batch is in flight: only b is claimed.
    second = await monitoring.claim_due(session, now=T0, limit=100, claim_for=claim_for)
    await session.commit()
    assert {host: len(items) for host, items in second.items()} == {"b.example.se": 1}
    assert await monitoring.due_on_leased_hosts(session, now=T0)
    assert await monitoring.claim_due(session, now=T0, limit=100, claim_for=claim_for) == {}

    # Giving back someone else's lease (another ``until``) changes nothing.
    await monitoring.release_hosts(session, ["a.example.se"], until=T0 + HOUR)
    assert await monitoring.claim_due(session, now=T0, limit=100, claim_for=claim_for) == {}
    await monitoring.release_hosts(session, first, until=T0 + claim_for)
    await session.commit()
    third = await monitoring.claim_due(
        session, now=T0 + timedelta(minutes=1), limit=100, claim_for=claim_for
    )
    await session.commit()
    assert [c.resource_id for c in third["a.example.se"]] == [a[2].id, a[3].id]
    assert not await monitoring.due_on_leased_hosts(session, now=T0 + timedelta(minutes=1))

    # A lease its worker never gave back (it died) ends with the claims.
    await session.execute(
        update(Resource)
        .where(col(Resource.id).in_([r.id for r in a]))
        .values(next_check_at=T0 - HOUR)
    )
    await session.commit()
    assert (
        await monitoring.claim_due(
            session, now=T0 + timedelta(minutes=2), limit=100, claim_for=claim_for
        )
        == {}
    )
    later = await monitoring.claim_due(
        session, now=T0 + timedelta(minutes=17), limit=100, claim_for=claim_for
    )
    assert len(later["a.example.se"]) == 4


async def test_a_run_may_queue_more_links_of_its_own_hosts_but_nobody_elses(session):
    """A foreground run's claims all go to one engine (its per-host limit keeps the host's
    share), so its next claim may take hosts it leased itself; a host leased to anyone
    else stays theirs, and the lease goes back only to the holder that has it."""
    a = [await make_resource(session, url=f"https://a.example.se/{n}") for n in range(4)]
    b = [await make_resource(session, url=f"https://b.example.se/{n}") for n in range(2)]
    for resource in (*a, *b):
        resource.next_check_at = T0 - HOUR
    await session.commit()
    claim_for = timedelta(minutes=15)
    other = await monitoring.claim_due(
        session, now=T0, limit=1, claim_for=claim_for, worker="elsewhere:7"
    )
    await session.commit()
    assert list(other) == ["a.example.se"]  # a's first link, a leased to elsewhere:7
    run = "here:1 run 3"
    first = await monitoring.claim_due(
        session, now=T0, limit=1, claim_for=claim_for, worker=run, own_leases=True
    )
    await session.commit()
    assert list(first) == ["b.example.se"], "a.example.se is elsewhere's"
    second = await monitoring.claim_due(
        session, now=T0, limit=10, claim_for=claim_for, worker=run, own_leases=True
    )
    await session.commit()
    assert {h: [c.resource_id for c in items] for h, items in second.items()} == {
        "b.example.se": [b[1].id]
    }, "the run's own host is claimed again while its first link is out; a is not"
    # Without own_leases (a dispatch, whose jobs may run on other workers) b is off limits.
    b_more = await make_resource(session, url="https://b.example.se/more")
    b_more.next_check_at = T0 - HOUR
    await session.commit()
    assert (
        await monitoring.claim_due(session, now=T0, limit=10, claim_for=claim_for, worker=run) == {}
    )

    # Given back by holder: the run's release leaves elsewhere's lease alone.
    await monitoring.release_hosts(session, ["a.example.se", "b.example.se"], until=T0, holder=run)
    await session.commit()
    third = await monitoring.claim_due(session, now=T0, limit=10, claim_for=claim_for)
    await session.commit()
    assert {h: len(items) for h, items in third.items()} == {"b.example.se": 1}


async def test_concurrent_claims_never_share_a_resource(settings, session):
    resources = [
        await make_resource(session, url=f"https://h{n % 5}.example.se/{n}") for n in range(40)
    ]
    for resource in resources:
        resource.next_check_at = T0 - HOUR
    await session.commit()
    engines = [create_engine(settings.database_url) for _ in range(3)]

    async def claimer(db: Any) -> list[int]:
        claimed: list[int] = []
        async with session_factory(db)() as own:
            while True:
                batches = await monitoring.claim_due(own, now=T0, limit=7, claim_for=HOUR)
                waiting = not batches and await monitoring.due_on_leased_hosts(own, now=T0)
                await own.commit()
                if waiting:  # another claimer's hosts: they come free when it is done
                    await asyncio.sleep(0.01)
                    continue
                if not batches:
                    return claimed
                claimed += [c.resource_id for items in batches.values() for c in items]
                await monitoring.release_hosts(own, batches, until=T0 + HOUR)
                await own.commit()

    try:
        results = await asyncio.gather(*(claimer(db) for db in engines))
    finally:
        for db in engines:
            await db.dispose()
    everything = [rid for result in results for rid in result]
    assert sorted(everything) == sorted(r.id for r in resources)


async def test_real_checks_against_loopback_servers_move_the_status(web, session):
    page = "<html><head><title>Rapport</title></head><body><main><p>{}</p></main></body></html>"
    site = web.site(
        "rapporter.bibliotek.se",
        {
            "/rapport": web.html(page.format("Om läsfrämjande i hela landet, del ett.")),
            "/gammal": web.redirect("/ny", 301),
            "/ny": web.html(page.format("Den nya adressen för samma rapport om läsning.")),
        },
    )
    settings = make_settings("sqlite+aiosqlite:///x.db", confirm_checks=1, confirm_span=0 * HOUR)
    working = await make_resource(session, url=site.url("/rapport"))
    moved = await make_resource(session, url=site.url("/gammal"))
    gone = await make_resource(session, url=site.url("/borta"))
    async with web.checker() as checker:
        for resource in (working, moved, gone):
            result = await checker.check(resource.url)
            await monitoring.record_check(
                session, resource, result, now=T0, settings=settings, worker="test"
            )
    await session.commit()
    assert working.link_status == "ok" and working.content_hash
    assert (moved.link_status, moved.moved_to) == ("moved", site.url("/ny"))
    assert (gone.link_status, gone.http_status, gone.reason) == ("broken", 404, "http_404")
    count = await session.execute(select(func.count()).select_from(CheckResult))
    assert count.scalar_one() == 3
    [row] = await monitoring.history_of(session, moved.id)
    assert row.redirects == [{"url": site.url("/gammal"), "status": 301}]
    assert row.worker == "test"
