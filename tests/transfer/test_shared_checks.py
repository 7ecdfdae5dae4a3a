"""The import preview's link checks shared by web processes (issue 16, scale-out mode).

Two apps on one database stand for two stateless web processes behind a load balancer:
a preview started on one is polled and refreshed on the other, and checks a stopped or
dead process left unfinished are taken over, each address checked once.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import lxml.html
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir.checker import EngineConfig
from linkdir.config import Settings
from linkdir.db import create_engine, session_factory, utcnow
from linkdir.transfer.linkcheck import PreviewChecks
from linkdir.transfer.models import PreviewCheckJob, PreviewCheckVerdict
from tests.auth.test_sessions import account, sign_in
from tests.conftest import make_settings
from tests.transfer.conftest import LinksSite
from tests.transfer.test_manage import confirm, form_fields, replace, signed_in
from tests.transfer.test_preview_checks import finished, site_csv, token_of, upload

Client = AsyncTestClient[Any]
BASE = "http://testserver.local"


@asynccontextmanager
async def web_process(app: Any) -> AsyncIterator[Client]:
    """One web process: an app of its own (lifespan and all) on the shared database.

    ``app`` is ``shared_app(settings, n)``: built once per worker for each ``n`` (building
    one costs ~0.3 s of CPU); each lifespan starts from fresh state, with a preview-check
    owner of its own, as a new process would.
    """
    async with AsyncTestClient(app=app, base_url=BASE) as client:
        yield client


def same_browser(source: Client, target: Client) -> None:
    """The load balancer sends the curator's next request to the other process."""
    for name, value in source.cookies.items():
        target.cookies.set(name, value)


def checked(site: LinksSite, start: int = 0) -> list[str]:
    """The pages asked for since ``start`` (leaving out the engine's soft-404 probes)."""
    return [path for path in site.hits[start:] if not path.startswith("/linkdir-probe")]


async def job_row(session: AsyncSession, token: str) -> PreviewCheckJob | None:
    session.expire_all()
    return await session.get(PreviewCheckJob, token)


async def released(session: AsyncSession, token: str) -> PreviewCheckJob:
    """The job once its lease is given back (a separate transaction after the last
    verdict, so a poll may see the job finished a moment before)."""
    for _ in range(400):
        row = await job_row(session, token)
        assert row is not None
        if row.lease_owner is None:
            return row
        await asyncio.sleep(0.05)
    raise AssertionError(f"{token} kept its lease: {row.lease_owner} until {row.lease_until}")


async def progress(client: Client, token: str, done: int) -> dict[str, Any]:
    """Poll until at least ``done`` links have their verdict."""
    for _ in range(600):
        body: dict[str, Any] = (await client.get(f"/manage/import/checks/{token}")).json()
        if body["done"] >= done:
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"{token} did not get {done} verdicts: {body}")


async def test_a_preview_started_on_one_process_is_polled_and_refreshed_on_another(
    settings: Settings, session: AsyncSession, links_site: LinksSite, shared_app: Any
) -> None:
    links_site.pages["/fungerar"] = (200, "text/html; charset=utf-8", b"<h1>Hej</h1>" * 50)
    async with web_process(shared_app(settings, 1)) as a, web_process(shared_app(settings, 2)) as b:
        csrf = await signed_in(a, session)
        preview = await upload(a, csrf, site_csv(links_site))
        assert preview.status_code == 200, preview.text
        token = token_of(preview.text)
        same_browser(a, b)
        # The script's poll reaches B: progress and verdicts from the database.
        body = await finished(b, token)
        assert (body["total"], body["done"], body["next"]) == (2, 2, 2)
        by_url = {item["url"]: item for item in body["verdicts"]}
        assert by_url[links_site.url("/borta")]["text"] == "The page does not exist (HTTP 404)"
        assert by_url[links_site.url("/fungerar")]["label"] == "Works"
        # Without JavaScript the refresh reaches B: the curator's edit is kept, the
        # verdicts are shown, and it is the same job (not started again there).
        fields = replace(form_fields(preview.text), "d0-title", "Min egen rubrik")
        shown = await confirm(b, fields + [("do", "refresh")])
        assert shown.status_code == 200, shown.text
        doc = lxml.html.fromstring(shown.text)
        assert doc.get_element_by_id("d0-title").get("value") == "Min egen rubrik"
        assert doc.get_element_by_id("d1-verdict").text_content() == (
            "Broken: The page does not exist (HTTP 404)"
        )
        assert doc.get_element_by_id("d1-import").get("checked") is None
        assert token_of(shown.text) == token
        # Each address was checked once, by A; B only read the verdicts.
        assert sorted(checked(links_site)) == ["/borta", "/fungerar"]
        # Another curator cannot read the job on either process.
        await account(session, email="annan@region.se")
        b.cookies.clear()
        await sign_in(b, "annan@region.se")
        assert (await b.get(f"/manage/import/checks/{token}")).status_code == 404


async def test_checks_left_unfinished_by_a_stopped_process_are_taken_over(
    database_url: str, session: AsyncSession, links_site: LinksSite, shared_app: Any
) -> None:
    # Four connections to the one loopback host, so the slow page holds up no other.
    settings = make_settings(database_url, checker_per_host=4)
    slow = links_site.gates["/vanta"] = threading.Event()
    data = site_csv(links_site) + f"{links_site.url('/vanta')};Långsam sida\r\n".encode()
    async with web_process(shared_app(settings, 2)) as b:
        async with web_process(shared_app(settings, 1)) as a:
            csrf = await signed_in(a, session)
            token = token_of((await upload(a, csrf, data)).text)
            assert (await progress(a, token, 2))["done"] == 2  # /vanta still on its way
            same_browser(a, b)
        # A stopped (a deploy): it wrote its verdicts and gave the lease back.
        row = await job_row(session, token)
        assert row is not None and row.lease_owner is None
        slow.set()
        before = len(links_site.hits)
        body = await finished(b, token)
        assert (body["total"], body["done"]) == (3, 3)
        assert {item["url"] for item in body["verdicts"]} == {
            links_site.url(path) for path in ("/fungerar", "/borta", "/vanta")
        }
        # B checked only what A had not finished.
        assert checked(links_site, before) == ["/vanta"]


async def test_a_job_whose_process_died_is_taken_over_and_a_live_one_is_not(
    settings: Settings, session: AsyncSession, links_site: LinksSite, shared_app: Any
) -> None:
    ok, gone = links_site.url("/fungerar"), links_site.url("/borta")
    async with web_process(shared_app(settings, 2)) as b:
        await signed_in(b, session)
        owner = (await account(session, email="tredje@region.se")).id
        b.cookies.clear()
        await sign_in(b, "tredje@region.se")
        now = utcnow()
        # What a process that died halfway leaves: one verdict, a lease nobody renews.
        for token, until in (("dog", now - timedelta(seconds=1)), ("lever", now + timedelta(60))):
            session.add(
                PreviewCheckJob(
                    token=token,
                    owner_id=owner,
                    urls=[ok, gone],
                    created_at=now,
                    expires_at=now + timedelta(hours=1),
                    lease_owner="annan-server:4711:abcd",
                    lease_until=until,
                )
            )
            await session.flush()
            session.add(
                PreviewCheckVerdict(
                    job_token=token, url=ok, status="ok", reason="ok", checked_at=now
                )
            )
        await session.commit()
        # A live lease: B answers from the database and leaves the checks to their owner.
        live = (await b.get("/manage/import/checks/lever")).json()
        assert (live["done"], live["finished"]) == (1, False)
        row = await job_row(session, "lever")
        assert row is not None and row.lease_owner == "annan-server:4711:abcd"
        # A stale lease: B takes the unfinished link over and completes the job.
        body = await finished(b, "dog")
        assert (body["total"], body["done"], body["next"]) == (2, 2, 2)
        assert [item["url"] for item in body["verdicts"]] == [ok, gone]
        assert checked(links_site) == ["/borta"]  # the link with a verdict was not checked again
        assert (await released(session, "dog")).lease_until is None  # done: lease given back


async def test_only_one_process_claims_a_job(
    settings: Settings, session: AsyncSession, refused_port: int
) -> None:
    owner = (await account(session)).id
    assert owner is not None
    now = utcnow()
    session.add(
        PreviewCheckJob(
            token="delad",
            owner_id=owner,
            urls=[f"http://127.0.0.1:{refused_port}/x"],
            created_at=now,
            expires_at=now + timedelta(hours=1),
            lease_owner="dod-server:1:ffff",
            lease_until=now - timedelta(seconds=5),
        )
    )
    await session.commit()
    # Two processes, each with its own connections, claim at the same moment.
    engines = [create_engine(settings.database_url) for _ in range(2)]
    config = EngineConfig.from_settings(settings)
    checks = [PreviewChecks(config, session_factory(engine)) for engine in engines]
    try:
        won = await asyncio.gather(*(c.claim("delad") for c in checks * 3))
        assert sorted(claim is not None for claim in won) == [False] * 5 + [True]
        row = await job_row(session, "delad")
        assert row is not None and row.lease_owner in {c.worker for c in checks}
    finally:
        for engine in engines:
            await engine.dispose()


async def test_expired_jobs_and_jobs_beyond_the_limit_are_purged(
    settings: Settings, session: AsyncSession, refused_port: int, shared_app: Any
) -> None:
    data = f"url;title\r\nhttp://127.0.0.1:{refused_port}/a;A\r\n".encode()
    async with web_process(shared_app(settings, 1)) as a:
        csrf = await signed_in(a, session)
        old = token_of((await upload(a, csrf, data)).text)
        await finished(a, old)
        await session.execute(
            update(PreviewCheckJob)
            .where(PreviewCheckJob.token == old)  # type: ignore[arg-type]
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
        assert (await a.get(f"/manage/import/checks/{old}")).status_code == 404
        # The next preview clears it away, verdicts and all.
        tokens = [token_of((await upload(a, csrf, data)).text)]
        assert await job_row(session, old) is None
        verdicts = select(func.count()).where(
            PreviewCheckVerdict.job_token == old  # type: ignore[arg-type]
        )
        assert (await session.execute(verdicts)).scalar() == 0
        # At most max_jobs are kept: the oldest goes first.
        a.app.state.preview_checks.max_jobs = 2
        for _ in range(2):
            tokens.append(token_of((await upload(a, csrf, data)).text))
        assert await job_row(session, tokens[0]) is None
        assert (await a.get(f"/manage/import/checks/{tokens[0]}")).status_code == 404
        for token in tokens[1:]:
            assert (await a.get(f"/manage/import/checks/{token}")).status_code == 200
