"""Reference rot on real loopback sites: replaced content is caught after confirmation,
benign changes stay ``ok``, and a curator can accept the new content as the baseline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from tests.checks import rot_pages as rp
from tests.checks.test_runs import claim_all
from tests.conftest import make_editor, make_resource

from linkdir.checks import fixes, jobs
from linkdir.checks import service as monitoring
from linkdir.checks.drift_models import ContentBaseline
from linkdir.checks.runner import CheckRunner
from linkdir.db import create_engine, session_factory, utcnow
from linkdir.errors import ValidationFailed
from linkdir.resources import service as directory
from linkdir.resources.models import Resource, Revision

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
# With the default 3 checks over 48 hours: a suspect, a suspect, then broken.
CONFIRMING = [T0 + 24 * HOUR, T0 + 25 * HOUR, T0 + 75 * HOUR]


def exact(interval: timedelta) -> timedelta:
    return interval


@pytest.fixture(params=["one", pytest.param("batch", marks=pytest.mark.both_databases)])
def check(request: Any) -> Any:
    """Check a resource and record it: as a curator's check-now does (``record_check``, the
    ORM objects) or as a batch is recorded (``record_checks``: plain rows, the baseline
    written in bulk, issue 18); every drift rule holds either way."""

    async def check(web: Any, session: Any, resource: Resource, at: datetime, settings: Any) -> Any:
        async with web.checker() as checker:
            result = await checker.check(resource.url)
        if request.param == "one":
            await monitoring.record_check(
                session, resource, result, now=at, settings=settings, jitter=exact
            )
            await session.commit()
            return result
        assert resource.id is not None
        recorded = await monitoring.record_checks(
            session, [monitoring.Checked(resource.id, result, at)], claimed_until=None,
            now=at, settings=settings, jitter=exact,
        )  # fmt: skip
        assert list(recorded.hosts) == [resource.id]
        await session.commit()
        session.expire_all()  # written by Core statements: read back what is stored
        await session.refresh(resource)
        return result

    return check


async def agenda_site(
    web: Any, session: Any, html: str | None = None, *, ip: str | None = None, route: Any = None
) -> tuple[Any, Resource]:
    """The region's digital agenda as a resource. ``ip``: the site is named by its address
    (a run's checker resolves names for real); ``route``: answers instead of the page."""
    page = route or web.html(html or rp.agenda())
    site = web.site(ip or "www.regionvasterbotten.se", {"/digital-agenda": page}, ip=ip)
    resource = await make_resource(
        session,
        url=site.url("/digital-agenda"),
        title="Digital agenda för Västerbotten",
        description="Regionens strategi för digitalisering, med bibliotekens roll.",
    )
    return site, resource


REPLACEMENTS = {
    "casino": rp.page(rp.CASINO_TITLE, rp.CASINO),
    "unrelated-business": rp.page(rp.GROOMER_TITLE, rp.GROOMER),
    "other-organisation": rp.page(rp.OTHER_ORG_TITLE, rp.OTHER_ORG),
    "project-ended": rp.page(rp.AGENDA_TITLE, rp.TOMBSTONE),
    "for-sale": rp.page(rp.FOR_SALE_TITLE, rp.FOR_SALE, lang="en"),
}


@pytest.mark.parametrize("kind", list(REPLACEMENTS))
async def test_replaced_content_is_a_suspect_then_broken(web, session, settings, kind, check):
    site, resource = await agenda_site(web, session)
    await check(web, session, resource, T0, settings)
    assert (resource.link_status, resource.reason) == ("ok", "ok")

    site.routes["/digital-agenda"] = web.html(REPLACEMENTS[kind])
    statuses = []
    for at in CONFIRMING:
        result = await check(web, session, resource, at, settings)
        assert result.status == "ok"  # the engine alone sees a working page
        statuses.append((resource.link_status, resource.reason, resource.consecutive_failures))
    assert statuses == [
        ("ok", "content_replaced", 1),
        ("ok", "content_replaced", 2),
        ("broken", "content_replaced", 3),
    ]
    broke = (
        await session.execute(
            select(Revision).where(
                Revision.resource_id == resource.id, Revision.action == "link_broken"
            )
        )
    ).scalar_one()
    assert broke.changes["reason"] == [None, "content_replaced"]


BENIGN = {
    "edited": (rp.page(rp.AGENDA_TITLE, rp.EDITED), True),
    "re-dated": (rp.agenda(updated="2025-10-12"), False),
    "redesigned": (
        rp.agenda(
            nav=("Hem", "Regional utveckling", "Kultur", "Jobba hos oss"),
            cookie=True,
            sidebar=["Ny webbplats lanserad", "Regionfullmäktige sammanträder i juni"],
            wrapper="article",
        ),
        None,
    ),
    "grown-by-a-paragraph": (rp.page(rp.AGENDA_TITLE, rp.GROWN), True),
}


@pytest.mark.parametrize("kind", list(BENIGN))
async def test_benign_changes_stay_ok(web, session, settings, kind, check):
    site, resource = await agenda_site(web, session)
    await check(web, session, resource, T0, settings)
    html, text_changed = BENIGN[kind]
    site.routes["/digital-agenda"] = web.html(html)
    for at in CONFIRMING:
        await check(web, session, resource, at, settings)
        assert (resource.link_status, resource.reason, resource.consecutive_failures) == (
            "ok",
            "ok",
            0,
        )
    if text_changed is not None:
        # A real text change is still news for the freshness report; a new date is not.
        assert (resource.content_changed_at is not None) is text_changed


async def test_accepting_the_new_content_makes_it_the_baseline(web, session, settings, check):
    site, resource = await agenda_site(web, session)
    await check(web, session, resource, T0, settings)
    site.routes["/digital-agenda"] = web.html(rp.page(rp.AGENDA_TITLE, rp.TOMBSTONE))
    for at in CONFIRMING:
        await check(web, session, resource, at, settings)
    assert resource.link_status == "broken"

    user, _ = await make_editor(session)
    fixed = await fixes.apply_fix(
        session,
        resource.id,
        "accept_content",
        by=directory.Actor(user.email, user.id),
        settings=settings,
        now=T0 + 80 * HOUR,
    )
    await session.commit()
    assert (fixed.link_status, fixed.reason, fixed.consecutive_failures) == ("ok", "ok", 0)
    revision = (
        (
            await session.execute(
                select(Revision)
                .where(Revision.resource_id == resource.id, Revision.action == "fix")
                .order_by(Revision.id.desc())
            )
        )
        .scalars()
        .first()
    )
    assert revision.changes["fix"] == [None, "accept_content"]
    assert revision.changes["link_status"] == ["broken", "ok"]

    # The tombstone is what the curator now means: it no longer counts as replaced ...
    await check(web, session, resource, T0 + 200 * HOUR, settings)
    assert (resource.link_status, resource.reason, resource.consecutive_failures) == ("ok", "ok", 0)
    # ... and the old agenda coming back would be the change now.
    site.routes["/digital-agenda"] = web.html(rp.page(rp.CASINO_TITLE, rp.CASINO))
    await check(web, session, resource, T0 + 300 * HOUR, settings)
    assert resource.reason == "content_replaced"


async def test_accept_content_needs_a_page_seen(session, settings):
    resource = await make_resource(session)
    with pytest.raises(ValidationFailed) as raised:
        await fixes.apply_fix(
            session, resource.id, "accept_content", by=directory.Actor("tests"),
            settings=settings, now=T0,
        )  # fmt: skip
    assert "no new content" in raised.value.errors[0].message


async def test_a_curators_edit_takes_a_new_baseline_but_never_hides_a_replacement(
    web, session, settings, check
):
    site, resource = await agenda_site(web, session)
    await check(web, session, resource, T0, settings)
    site.routes["/digital-agenda"] = web.html(rp.page(rp.AGENDA_TITLE, rp.GROWN))
    await directory.update_resource(
        session, resource.id, {"description": "Strategin, nu med AI."}, by=directory.Actor("t")
    )
    await session.commit()
    await check(web, session, resource, T0 + HOUR, settings)
    row = await session.get(ContentBaseline, resource.id)
    await session.refresh(row)
    grown_words = row.baseline["words"]
    assert grown_words > sum(len(p.split()) for p in rp.AGENDA)  # the grown page is the baseline

    # An edit made without noticing the casino that arrived meanwhile does not adopt it.
    site.routes["/digital-agenda"] = web.html(rp.page(rp.CASINO_TITLE, rp.CASINO))
    await directory.update_resource(
        session, resource.id, {"description": "Strategin för länet."}, by=directory.Actor("t")
    )
    await session.commit()
    await check(web, session, resource, T0 + 2 * HOUR, settings)
    assert resource.reason == "content_replaced"
    await session.refresh(row)
    assert row.baseline["words"] == grown_words


async def test_a_new_address_chosen_by_a_curator_is_a_new_baseline(web, session, settings, check):
    site, resource = await agenda_site(web, session)
    await check(web, session, resource, T0, settings)
    site.routes["/en/report"] = web.html(rp.report())
    await directory.update_resource(
        session,
        resource.id,
        {"url": site.url("/en/report"), "title": "Digital inclusion in public libraries"},
        by=directory.Actor("tests"),
        allow_networks=("127.0.0.0/8",),
    )
    await session.commit()
    await check(web, session, resource, T0 + HOUR, settings)
    assert (resource.link_status, resource.reason) == ("ok", "ok")
    row = await session.get(ContentBaseline, resource.id)
    await session.refresh(row)
    assert row.baseline["title"] == rp.REPORT_TITLE


async def test_gradual_edits_are_carried_along(web, session, settings, check):
    """Years of small edits add up to a new text; no single check sees a replacement."""
    site, resource = await agenda_site(web, session)
    await check(web, session, resource, T0, settings)
    paragraphs = list(rp.AGENDA)
    steps = [(rp.AGENDA_TITLE, i, new) for i, new in enumerate(rp.REPORT)]
    steps.append((rp.REPORT_TITLE, 4, rp.AGENDA[4] + " Updated."))  # at last, a new title
    for step, (title, index, new) in enumerate(steps):  # one paragraph rewritten per check
        paragraphs[index] = new
        site.routes["/digital-agenda"] = web.html(rp.page(title, paragraphs))
        await check(web, session, resource, T0 + (step + 1) * 24 * HOUR, settings)
        assert resource.reason == "ok", step


@pytest.mark.both_databases
async def test_runs_judge_a_page_again_only_when_its_content_changed(web, session, settings):
    """A run passes the content hash of a link's last good check to the engine: the same
    page is not fingerprinted again (as with a 304), a replaced one is, and is caught."""
    site, resource = await agenda_site(web, session, ip="127.0.204.21")
    await session.commit()
    engine = create_engine(settings.database_url)

    async def run() -> Resource:
        await jobs.run_cycle(session_factory(engine), settings, everything=True)
        session.expire_all()
        await session.refresh(resource)
        return resource

    try:
        first = await run()
        assert (first.link_status, first.reason) == ("ok", "ok")
        hash_then = first.content_hash
        again = await run()  # unchanged (no validators, so a full answer): still fine
        assert (again.link_status, again.reason, again.content_hash) == ("ok", "ok", hash_then)
        site.routes["/digital-agenda"] = web.html(rp.page(rp.CASINO_TITLE, rp.CASINO))
        replaced = await run()
    finally:
        await engine.dispose()
    assert replaced.reason == "content_replaced"
    assert replaced.consecutive_failures == 1  # a suspect, confirmed over time as ever


@pytest.mark.both_databases
@pytest.mark.parametrize("how", ["run", "worker"])
async def test_a_working_link_without_a_baseline_is_asked_in_full_and_gets_one(
    web, session, settings, how
):
    """A link checked before baselines existed (or whose baseline is gone) would answer
    304 — or the same content hash — for ever, and the first changed page would become
    its baseline, a casino included. It is asked in full until it has one."""
    agenda = rp.agenda()

    def page(request: Any) -> Any:
        if request.headers.get("if-none-match") == '"v1"':
            return web.Reply(304, b"", headers=[("ETag", '"v1"')])
        return web.Reply(200, agenda.encode(), headers=[("ETag", '"v1"')])

    ip = "127.0.204.22" if how == "run" else "127.0.204.23"
    site, resource = await agenda_site(web, session, ip=ip, route=page)
    await session.commit()
    engine = create_engine(settings.database_url)

    async def run() -> None:
        if how == "run":  # linkdir check, a curator-started run
            await jobs.run_cycle(session_factory(engine), settings, everything=True)
            return
        # A worker's batch: claimed by a dispatch, checked by a job.
        await session.execute(update(Resource).values(next_check_at=utcnow()))
        await session.commit()
        ids, claimed_until = await claim_all(session, settings)
        await CheckRunner(settings, engine, worker="test:1").check_batch(ids, claimed_until)

    try:
        await run()
        await session.execute(ContentBaseline.__table__.delete())  # as before baselines
        await session.commit()
        await run()  # asked in full: it takes its baseline
        baseline = (await session.execute(select(ContentBaseline))).scalar_one()
        await run()  # from now on conditional again
    finally:
        await engine.dispose()
    asked = [r.headers.get("if-none-match") for r in site.hits("/digital-agenda", method="GET")]
    assert asked == [None, None, '"v1"']
    assert baseline.url == resource.url and baseline.baseline["title"] == rp.AGENDA_TITLE
