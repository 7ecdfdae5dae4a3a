"""`linkdir check --due|--all`, run as a real process against loopback servers."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from tests.conftest import make_resource
from tests.test_cli import base_env, run

from linkdir.checks.models import CheckResult, CheckRun
from linkdir.db import utcnow
from linkdir.resources.models import Resource

PAGE = (
    "<html><head><title>Läsfrämjande</title></head><body><main>"
    "<p>En rapport om läsfrämjande arbete på folkbibliotek i hela landet.</p>"
    "</main></body></html>"
)


async def test_check_due_checks_due_links_once_and_prints_a_summary(web, session, database_url):
    site = web.site(
        "127.0.201.2",
        {"/rapport": web.html(PAGE), "/gammal": web.redirect("/rapport", 301)},
        ip="127.0.201.2",
    )
    working = await make_resource(session, url=site.url("/rapport"))
    moved = await make_resource(session, url=site.url("/gammal"))
    gone = await make_resource(session, url=site.url("/borta"))
    later = await make_resource(session, url=site.url("/senare"))
    later.next_check_at = utcnow() + timedelta(days=3)
    await session.commit()

    done = run(["check", "--due"], base_env(database_url))
    assert done.returncode == 0, done.stderr
    assert "checked 3 links: ok 1, moved 1, broken 1, unverified 0" in done.stdout
    assert "checked 3/3" in done.stderr
    assert not site.hits("/senare")
    assert len(site.hits("/gammal")) == 1 and len(site.hits("/borta")) == 1

    session.expire_all()
    statuses = {
        r.url: (r.link_status, r.consecutive_failures)
        for r in (await session.execute(select(Resource))).scalars()
    }
    assert statuses[working.url] == ("ok", 0)
    assert statuses[moved.url] == ("moved", 0)
    assert statuses[gone.url] == ("unchecked", 1)  # a suspect, not yet broken
    history = await session.execute(select(func.count()).select_from(CheckResult))
    assert history.scalar_one() == 3
    [cycle] = (await session.execute(select(CheckRun))).scalars()
    assert (cycle.scope, cycle.total, cycle.done) == ("due", 3, 3)
    assert cycle.finished_at is not None and cycle.counts["broken"] == 1

    await session.commit()  # end the read transaction: the next runs update these rows
    # Nothing is due any more; --all checks everything again.
    again = run(["check"], base_env(database_url))
    assert again.returncode == 0 and "checked 0 links" in again.stdout
    every = run(["check", "--all"], base_env(database_url))
    assert every.returncode == 0, every.stderr
    assert "checked 4 links" in every.stdout
