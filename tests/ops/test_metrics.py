"""`/metrics`: off the public site by default, a bearer token when set, and figures that
match what the checks did."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar.testing import AsyncTestClient
from prometheus_client.parser import text_string_to_metric_families

from linkdir.app import create_app
from linkdir.checks.jobs import run_cycle
from linkdir.checks.models import CheckRun
from linkdir.db import create_engine, session_factory, utcnow
from tests.conftest import make_resource, make_settings

TOKEN = "scrape-" + "x7Qp2" * 6
PAGE = b"<html><head><title>Sida</title></head><body><main><p>Text.</p></main></body></html>"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: dict[Any, float], name: str, **labels: str) -> float:
    matching = [v for (n, ls), v in found.items() if n == name and set(labels.items()) <= set(ls)]
    return sum(matching)


async def test_metrics_are_not_on_the_public_site_by_default(client):
    assert (await client.get("/metrics")).status_code == 404


async def test_metrics_want_the_token_when_one_is_set(database_url):
    app = create_app(make_settings(database_url, metrics_token=TOKEN))
    async with AsyncTestClient(app=app) as client:
        assert (await client.get("/metrics")).status_code == 401
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and "Bearer" in wrong.headers["www-authenticate"]
        right = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert right.status_code == 200 and "linkdir_links" in right.text
        assert TOKEN not in right.text


async def test_metrics_count_requests_by_route_and_match_a_known_set_of_checks(
    web, session, database_url
):
    site = web.site(
        "127.0.208.2",
        {"/a": web.Reply(200, PAGE), "/b": web.Reply(200, PAGE), "/x": web.Reply(404)},
        ip="127.0.208.2",
    )
    for path in ("/a", "/b", "/x"):
        await make_resource(session, url=site.url(path))
    await session.commit()
    settings = make_settings(database_url, metrics=True)
    engine = create_engine(database_url)
    try:
        await run_cycle(session_factory(engine), settings)
    finally:
        await engine.dispose()
    waiting = await make_resource(session, url=site.url("/later"))
    waiting.next_check_at = utcnow() - timedelta(hours=1)
    dispatched = utcnow().replace(microsecond=0) - timedelta(minutes=3)
    session.add(CheckRun(scope="scheduled", started_at=dispatched, total=0))
    await session.commit()

    app = create_app(settings)
    async with AsyncTestClient(app=app) as client:
        before = samples((await client.get("/metrics")).text)
        for _ in range(2):
            assert (await client.get(f"/resources/{waiting.id}")).status_code in (200, 404)
        after = samples((await client.get("/metrics")).text)

    route = {"path": "/resources/{resource_id}", "method": "GET"}
    requests = value(after, "linkdir_http_requests_total", **route) - value(
        before, "linkdir_http_requests_total", **route
    )
    assert requests == 2, "counted by route template, not by address"
    assert not any("/resources/" + str(waiting.id) in str(key) for key in after)
    assert value(after, "linkdir_checks_per_minute", verdict="ok") == 2
    assert value(after, "linkdir_checks_per_minute", verdict="broken") == 1
    assert value(after, "linkdir_checks_per_minute", verdict="moved") == 0
    assert value(after, "linkdir_links", status="ok") == 2
    assert value(after, "linkdir_links") == 4
    assert value(after, "linkdir_links_due") == 1
    assert 3500 < value(after, "linkdir_oldest_due_seconds") < 3700
    assert value(after, "linkdir_last_dispatch_timestamp_seconds") == dispatched.timestamp()
