"""Where did it go? Suggestions for broken links, found on real loopback sites."""

from __future__ import annotations

import asyncio
import gzip
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from litestar.testing import AsyncTestClient
from sqlalchemy import select
from tests.checks import rot_pages as rp
from tests.conftest import make_editor, make_resource, make_settings

from linkdir.app import create_app
from linkdir.checks import service as monitoring
from linkdir.checks import suggest
from linkdir.checks.drift_models import LinkSuggestion
from linkdir.checks.models import CheckLease
from linkdir.db import create_engine, session_factory, utcnow
from linkdir.resources.models import Resource

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
FAILING = [T0 + 24 * HOUR, T0 + 25 * HOUR, T0 + 75 * HOUR]


def exact(interval: timedelta) -> timedelta:
    return interval


def no_archive(web: Any) -> Any:
    def available(request: Any) -> Any:
        url = parse_qs(urlsplit(request.target).query)["url"][0]
        body = json.dumps({"url": url, "archived_snapshots": {}}).encode()
        return web.Reply(200, body, content_type="application/json")

    return web.site("127.0.210.2", {"/wayback/available": available}, ip="127.0.210.2")


def sitemap(*urls: str) -> bytes:
    items = "".join(f"<url><loc>{u}</loc><lastmod>2025-01-01</lastmod></url>" for u in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>'
    ).encode()


def sitemap_index(*urls: str) -> bytes:
    items = "".join(f"<sitemap><loc>{u}</loc></sitemap>" for u in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</sitemapindex>'
    ).encode()


async def broken_with_baseline(
    web: Any, session: Any, settings: Any, site: Any, path: str, html: str, **fields: Any
) -> Resource:
    """A resource whose page worked (the baseline) and is now gone, confirmed broken."""
    site.routes[path] = web.html(html)
    resource = await make_resource(session, url=site.url(path), **fields)
    async with web.checker() as checker:
        await monitoring.record_check(
            session, resource, await checker.check(resource.url), now=T0, settings=settings,
            jitter=exact,
        )  # fmt: skip
        del site.routes[path]  # the site is reorganised without redirects
        for at in FAILING:
            result = await checker.check(resource.url)
            await monitoring.record_check(
                session, resource, result, now=at, settings=settings, jitter=exact
            )
    await session.commit()
    assert (resource.link_status, resource.reason) == ("broken", "http_404")
    return resource


async def find(web: Any, settings: Any, **kwargs: Any) -> int:
    engine = create_engine(settings.database_url)
    try:
        return await suggest.find_suggestions(
            session_factory(engine),
            settings,
            kwargs.pop("config", None) or web.config(),
            kwargs.pop("cache", None) or suggest.SitemapCache(),
            now=T0 + 80 * HOUR,
            **kwargs,
        )
    finally:
        await engine.dispose()


async def suggestions(session: Any, resource: Resource) -> list[tuple[str, str]]:
    rows = await session.execute(
        select(LinkSuggestion)
        .where(LinkSuggestion.resource_id == resource.id)
        .order_by(LinkSuggestion.score.desc())
    )
    return [(s.url, s.source) for s in rows.scalars()]


async def test_a_reorganised_site_whose_sitemap_lists_the_moved_page(web, database_url, session):
    archive = no_archive(web)
    site = web.site("www.regionvasterbotten.se")
    new = site.url("/om-regionen/strategier/digital-agenda-for-vasterbotten")
    decoys = [
        site.url("/om-regionen/strategier/regional-utvecklingsstrategi"),
        site.url("/kultur/bibliotek/digital-delaktighet-kurser"),
        site.url("/om-regionen/kontakt"),
    ]
    site.routes["/robots.txt"] = web.Reply(
        200, f"User-agent: *\nDisallow: /sok\nSitemap: {site.url('/sitemaps/index.xml.gz')}\n"
        .encode(), content_type="text/plain",
    )  # fmt: skip
    site.routes["/sitemaps/index.xml.gz"] = web.Reply(
        200,
        gzip.compress(sitemap_index(site.url("/sitemaps/pages.xml"))),
        content_type="application/gzip",
    )
    site.routes["/sitemaps/pages.xml"] = web.Reply(
        200, sitemap(*decoys, new), content_type="application/xml"
    )
    site.routes[urlsplit(new).path] = web.html(rp.agenda(nav=("Hem", "Om regionen"), cookie=True))
    site.routes[urlsplit(decoys[0]).path] = web.html(
        rp.page("Regional utvecklingsstrategi", rp.OTHER_ORG)
    )
    site.routes[urlsplit(decoys[1]).path] = web.html(
        rp.page("Kurser i digital delaktighet", rp.REPORT)
    )
    settings = make_settings(database_url, wayback_api_url=archive.url("/wayback/available"))
    resource = await broken_with_baseline(
        web, session, settings, site, "/kultur/digital-agenda", rp.agenda(),
        title="Digital agenda för Västerbotten", description="Regionens strategi.",
    )  # fmt: skip

    assert await find(web, settings) == 1
    assert await suggestions(session, resource) == [(new, "sitemap")]
    assert len(site.hits("/robots.txt")) == 1
    assert not site.hits("/om-regionen/kontakt")  # unlikely addresses are not fetched


async def test_sitemaps_are_read_once_per_host(web, database_url, session):
    archive = no_archive(web)
    site = web.site("www.kulturradet.se")
    site.routes["/sitemap.xml"] = web.Reply(200, sitemap(site.url("/x")), content_type="text/xml")
    settings = make_settings(database_url, wayback_api_url=archive.url("/wayback/available"))
    for path in ("/a/rapport-ett", "/a/rapport-tva"):
        await broken_with_baseline(web, session, settings, site, path, rp.agenda())
    cache = suggest.SitemapCache()
    assert await find(web, settings, cache=cache) == 2
    assert len(site.hits("/sitemap.xml")) == 1
    assert cache.get(f"www.kulturradet.se:{site.port}", T0 + 80 * HOUR) == (site.url("/x"),)


async def test_a_doi_and_a_urn_the_page_carried_become_suggestions(web, database_url, session):
    archive = no_archive(web)
    publisher = web.site("www.publikationer.se")
    publisher.routes["/2024/digital-agenda"] = web.html(rp.agenda())
    publisher.routes["/urn/agenda"] = web.html(rp.agenda())

    def resolve(request: Any) -> Any:
        if request.path.startswith("/doi/10.1234/agenda.7"):
            return web.redirect(publisher.url("/2024/digital-agenda"), 302)
        urn = parse_qs(urlsplit(request.target).query).get("urn", [""])[0]
        if urn.lower() == "urn:nbn:se:umu:diva-123456":
            return web.redirect(publisher.url("/urn/agenda"), 302)
        return web.Reply(404, b"<title>Not found</title>")

    resolver = web.site("127.0.211.2", ip="127.0.211.2", fallback=resolve)
    site = web.site("www.gammal-projektsajt.se")
    head = (
        '<meta name="citation_doi" content="10.1234/agenda.7">'
        '<meta name="dc.identifier" content="URN:NBN:SE:UMU:DIVA-123456">'
    )
    settings = make_settings(
        database_url,
        wayback_api_url=archive.url("/wayback/available"),
        doi_resolver_url=resolver.url("/doi/"),
        urn_resolver_url=resolver.url("/resolve?urn="),
    )
    resource = await broken_with_baseline(
        web, session, settings, site, "/agenda", rp.agenda(head=head)
    )
    assert await find(web, settings) == 1
    assert sorted(await suggestions(session, resource)) == [
        (publisher.url("/2024/digital-agenda"), "identifier"),
        (publisher.url("/urn/agenda"), "identifier"),
    ]


async def test_a_section_page_linking_the_same_title_is_a_suggestion(web, database_url, session):
    site = web.site("www.biblioteksforeningen.se")
    snapshot = "https://web.archive.org/web/20250101000000/http://x"

    def available(request: Any) -> Any:
        url = parse_qs(urlsplit(request.target).query)["url"][0]
        closest = {"status": "200", "available": True, "url": snapshot, "timestamp": "2025"}
        body = json.dumps({"url": url, "archived_snapshots": {"closest": closest}}).encode()
        return web.Reply(200, body, content_type="application/json")

    archive = web.site("127.0.212.2", {"/wayback/available": available}, ip="127.0.212.2")
    site.routes["/publikationer/rapporter/"] = web.html(
        "<html><body><main><h1>Rapporter</h1><ul>"
        '<li><a href="/publikationer/2024/arsrapport">Årsrapport 2024</a></li>'
        '<li><a href="/publikationer/2024/digital-agenda-vasterbotten">'
        "Digital agenda för Västerbotten</a></li></ul></main></body></html>"
    )
    site.routes["/publikationer/2024/digital-agenda-vasterbotten"] = web.html(rp.agenda())
    settings = make_settings(database_url, wayback_api_url=archive.url("/wayback/available"))
    resource = await broken_with_baseline(
        web, session, settings, site, "/publikationer/rapporter/digital-agenda", rp.agenda()
    )
    assert await find(web, settings) == 1
    assert await suggestions(session, resource) == [
        (site.url("/publikationer/2024/digital-agenda-vasterbotten"), "site"),
        (snapshot.replace("http://web", "https://web"), "archive"),
    ]
    assert not site.hits("/publikationer/2024/arsrapport")  # another title: not fetched


async def test_hosts_stay_within_their_connection_limit_while_suggestions_are_computed(
    web, database_url, session
):
    archive = no_archive(web)
    site = web.site("www.stor-kommun.se")
    slow = web.Reply(200, sitemap(*[site.url(f"/sida/agenda-{i}") for i in range(30)]),
                     content_type="text/xml", delay=0.05)  # fmt: skip
    site.routes["/sitemap.xml"] = slow
    for i in range(30):
        site.routes[f"/sida/agenda-{i}"] = web.html(rp.report(), delay=0.05)
    settings = make_settings(
        database_url, wayback_api_url=archive.url("/wayback/available"), checker_per_host=2
    )
    for i in range(4):
        await broken_with_baseline(web, session, settings, site, f"/gammal/agenda-{i}", rp.agenda())
    site.counter.max_open = site.counter.open
    before = len(site.requests)
    # Two workers at once: the host's lease lets one of them search it.
    searched = await asyncio.gather(
        find(web, settings, config=web.config(per_host=2)),
        find(web, settings, config=web.config(per_host=2)),
    )
    assert sorted(searched) == [0, 4]
    assert site.counter.max_open <= 2
    # A bounded number of requests per link (the sitemap is read once for the host).
    assert len(site.requests) - before <= 4 * settings.suggest_max_fetches

    # A host being checked right now is left alone until its batch is done.
    session.add(CheckLease(host="www.stor-kommun.se", until=utcnow() + HOUR))
    await session.commit()
    during = len(site.requests)
    settings_again = make_settings(database_url, wayback_api_url=archive.url("/wayback/available"))
    engine = create_engine(database_url)
    try:
        factory = session_factory(engine)
        async with factory() as other:
            from sqlalchemy import update

            from linkdir.checks.drift_models import ContentBaseline

            await other.execute(update(ContentBaseline).values(suggested_at=None))
            await other.commit()
    finally:
        await engine.dispose()
    assert await find(web, settings_again) == 0
    assert len(site.requests) == during


async def test_report_items_carry_suggestions_and_one_is_accepted(web, database_url, session):
    archive = no_archive(web)
    site = web.site("www.region-skane.se")
    new = site.url("/kultur/digital-agenda-2024")
    site.routes["/sitemap.xml"] = web.Reply(200, sitemap(new), content_type="text/xml")
    site.routes["/kultur/digital-agenda-2024"] = web.html(rp.agenda())
    settings = make_settings(database_url, wayback_api_url=archive.url("/wayback/available"))
    resource = await broken_with_baseline(
        web, session, settings, site, "/gammal/digital-agenda", rp.agenda()
    )
    await find(web, settings)
    _, token = await make_editor(session)
    headers = {"Authorization": f"Bearer {token}"}
    async with AsyncTestClient(app=create_app(settings), base_url="http://testserver.local") as api:
        before = len(site.requests)
        report = (await api.get("/api/v1/reports/links?status=broken", headers=headers)).json()
        assert len(site.requests) == before  # a web request never fetches suggestions
        (item,) = [i for i in report["items"] if i["id"] == resource.id]
        assert item["suggestions"] == [{"url": new, "source": "sitemap", "score": 1.0}]
        refused = await api.post(
            f"/api/v1/resources/{resource.id}/fix",
            json={"action": "accept_suggestion", "url": "https://evil.example/"},
            headers=headers,
        )
        assert refused.status_code == 422
        assert "föreslagna" in refused.text
        accepted = await api.post(
            f"/api/v1/resources/{resource.id}/fix",
            json={"action": "accept_suggestion", "url": new},
            headers=headers,
        )
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["url"] == new
    await session.refresh(resource)
    assert (resource.url, resource.link_status) == (new, "unchecked")
    assert await suggestions(session, resource) == []


async def test_each_link_gets_a_bounded_number_of_requests(web, database_url, session):
    archive = no_archive(web)
    site = web.site("www.manga-sidor.se")
    candidates = [site.url(f"/agenda/digital-agenda-{i}") for i in range(10)]
    site.routes["/sitemap.xml"] = web.Reply(200, sitemap(*candidates), content_type="text/xml")
    for url in candidates:
        site.routes[urlsplit(url).path] = web.html(rp.report())  # none of them matches
    settings = make_settings(
        database_url, wayback_api_url=archive.url("/wayback/available"), suggest_max_fetches=3
    )
    resource = await broken_with_baseline(
        web, session, settings, site, "/gammal/digital-agenda", rp.agenda()
    )
    before = len(site.requests)
    assert await find(web, settings) == 1
    # robots.txt, the sitemap and one candidate: then the budget is spent.
    assert len(site.requests) - before == 3
    assert await suggestions(session, resource) == []
