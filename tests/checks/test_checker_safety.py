"""SSRF guard, per-host politeness measured at the server, and streaming many URLs."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from linkdir.checker import Checker, EngineConfig, FetchError
from linkdir.checker.netguard import StaticResolver

PAGE = (
    "<html><head><title>Sida</title></head>"
    "<body><main><p>Innehåll om bibliotek.</p></main></body></html>"
)


async def test_loopback_literals_and_localhost_are_refused_by_default(web):
    site = web.site("victim.test", {"/admin": web.html(PAGE)})
    urls = [
        f"http://{site.ip}:{site.port}/admin",
        f"http://localhost:{site.port}/admin",
        f"http://[::1]:{site.port}/admin",
        f"http://[::ffff:{site.ip}]:{site.port}/admin",
        f"http://0.0.0.0:{site.port}/admin",
        "http://169.254.169.254/latest/meta-data/",
    ]
    async with Checker(EngineConfig(timeout=3)) as checker:
        results = [await checker.check(url) for url in urls]
    assert [(r.status, r.reason) for r in results] == [("broken", "blocked_address")] * len(urls)
    assert site.requests == [] and site.counter.connections == 0


async def test_a_name_resolving_to_loopback_is_refused(web):
    site = web.site("innocent.test", {"/": web.html(PAGE)})
    config = EngineConfig(resolver=StaticResolver({"innocent.test": site.ip}), timeout=3)
    async with Checker(config) as checker:
        result = await checker.check(site.url("/"))
    assert (result.status, result.reason) == ("broken", "blocked_address")
    assert site.counter.connections == 0


async def test_a_redirect_into_a_private_range_is_refused(web):
    inside = web.site("inside.test", {"/secret": web.html(PAGE)})
    outside = web.site("outside.test", {"/link": web.redirect(inside.url("/secret"), 302)})
    # Only the "public" site's address is allowed; the redirect target is not.
    async with web.checker(allow_networks=(f"{outside.ip}/32",)) as checker:
        result = await checker.check(outside.url("/link"))
    assert (result.status, result.reason) == ("broken", "blocked_address")
    assert [r.status for r in result.redirects] == [302]
    assert inside.counter.connections == 0


async def test_a_name_with_public_and_private_addresses_is_dialled_only_on_allowed_ones(web):
    good = web.site("mixed.test", {"/": web.html(PAGE)})
    # The "private" server listens on the SAME port number on another address, so a dial
    # to bad.ip:good.port would reach it and be counted there.
    bad = web.site("mixed-private.test", {"/": web.html(PAGE)}, port=good.port)
    assert bad.port == good.port and bad.ip != good.ip
    web.resolver.add("mixed.test", bad.ip, good.ip)  # the disallowed address comes first
    result = await web.check(good.url("/"), allow_networks=(f"{good.ip}/32",))
    assert bad.counter.connections == 0 and bad.requests == []
    assert result.status == "ok"
    assert [r.path for r in good.requests if r.method == "GET"][:1] == ["/"]


async def test_allow_networks_opens_a_range(web):
    site = web.site("lab.test", {"/": web.html(PAGE)})
    async with web.checker(allow_networks=("127.0.0.0/8",)) as checker:
        result = await checker.check(f"http://{site.ip}:{site.port}/")
    assert result.status == "ok"


async def test_invalid_urls_are_reported_not_raised(web):
    async with web.checker() as checker:
        results = [
            await checker.check(url)
            for url in ("", "not a url", "ftp://files.test/x", "mailto:a@b.se", "http://")
        ]
    assert [(r.status, r.reason) for r in results] == [("broken", "invalid_url")] * 5


async def test_never_more_than_per_host_connections_on_one_host(web):
    def pages(request):
        if "linkdir-probe" in request.path:
            return web.Reply(404, b"", delay=0.03)
        return web.html(PAGE.replace("bibliotek", request.path), delay=0.03)

    site = web.site("busy.test", fallback=pages)
    # Same host name over https on another port: the budget is per host, not per scheme.
    secure = web.site("busy.test", fallback=pages, tls="valid", ip=site.ip)
    # Runs of each scheme, so idle keep-alive sockets of one are around when the other
    # needs new ones: aiohttp alone would then hold four sockets open to this host.
    urls = [
        origin.url(f"/a/{block}-{i}")
        for block in range(10)
        for origin in (site, secure)
        for i in range(4)
    ]
    async with web.checker(per_host=2, concurrency=50) as checker:
        results = [r async for r in checker.check_many(urls)]
    assert len(results) == 80
    assert all(r.status == "ok" for r in results), {(r.reason, r.detail) for r in results}
    assert 1 <= site.counter.max_open <= 2  # counted server-side, both ports together


async def test_per_host_limit_does_not_starve_other_hosts(web):
    # The slow host answers only once every fast link has a result (or after 10 s): an
    # order of events, not of timings, so a loaded machine cannot reorder it. A checker
    # whose queue for the slow host held back the other hosts would see the slow answers
    # first (after those 10 s).
    fast_done = asyncio.Event()

    async def slow_page(_request: Any) -> Any:
        try:
            await asyncio.wait_for(fast_done.wait(), 10)
        except TimeoutError:
            fast_done.set()  # the others need not wait as long
        return web.html(PAGE)

    slow = web.site("slow.test", fallback=slow_page)
    fast = web.site("fast.test", fallback=web.html(PAGE))
    urls = [slow.url(f"/s/{i}") for i in range(10)] + [fast.url(f"/f/{i}") for i in range(10)]
    order = []
    async with web.checker(per_host=1, concurrency=20, probe_soft_404=False) as checker:
        async for result in checker.check_many(urls):
            order.append(result.url)
            if sum("fast.test" in url for url in order) == 10:
                fast_done.set()
    assert all("fast.test" in url for url in order[:10])  # results stream as they finish
    assert len(order) == 20 and slow.counter.max_open == 1


async def test_check_many_reads_its_input_lazily(web):
    site = web.site("lazy.test", fallback=web.html(PAGE))
    pulled = 0

    async def endless():
        nonlocal pulled
        for i in range(1_000_000):
            pulled += 1
            yield site.url(f"/p/{i}")

    async with web.checker(concurrency=10, probe_soft_404=False) as checker:
        stream = checker.check_many(endless())
        got = [await anext(stream) for _ in range(20)]
        await stream.aclose()
    assert len(got) == 20
    assert pulled <= 2000  # a bounded look-ahead, not the whole input


class InFlight:
    """A route that answers after ``delay`` and counts the requests answered at once,
    over every site it serves (the checker's concurrency, seen from the servers)."""

    def __init__(self, web: Any, delay: float = 0.05) -> None:
        self.web, self.delay, self.now, self.peak = web, delay, 0, 0

    async def __call__(self, request: Any) -> Any:
        self.now += 1
        self.peak = max(self.peak, self.now)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.now -= 1
        return self.web.html(PAGE)


async def test_concurrency_bounds_the_checker_across_calls_made_at_once(web):
    """A foreground run and a worker feed one checker from several ``check_many`` calls at
    once (a claim or a job each): LINKDIR_CHECKER_CONCURRENCY bounds them together."""
    route = InFlight(web)
    sites = [web.site(f"samtidigt{n}.test", fallback=route) for n in range(6)]

    async def one_call(checker: Checker, mine: list[Any]) -> list[str]:
        urls = [site.url(f"/sida/{i}") for site in mine for i in range(4)]
        return [result.url async for result in checker.check_many(urls)]

    async with web.checker(per_host=2, concurrency=6, probe_soft_404=False) as checker:
        calls = [one_call(checker, sites[n : n + 2]) for n in range(0, 6, 2)]
        checked = await asyncio.gather(*calls)
    # Three calls of two hosts each could start 3 x 4 at once; the checker allows six.
    assert route.peak == 6, route.peak
    assert [len(urls) for urls in checked] == [8, 8, 8]
    assert len({url for urls in checked for url in urls}) == 24  # each URL once
    assert all(len(site.requests) == 4 for site in sites)


async def test_a_host_busy_with_another_call_s_checks_does_not_hold_a_slot(web):
    """A foreground run's pipelined claims share their hosts: a check of a host whose
    connections another call is using would only wait for one, so it takes no slot and the
    call's other hosts go first; per_host holds across the calls."""
    slow = InFlight(web, delay=0.4)
    busy = web.site("upptagen.test", fallback=slow)
    arrived: list[float] = []

    async def quick(request: Any) -> Any:
        arrived.append(time.monotonic())
        return web.html(PAGE)

    other = web.site("ledig.test", fallback=quick)
    async with web.checker(per_host=1, concurrency=2, probe_soft_404=False) as checker:
        first = asyncio.ensure_future(
            _collect(checker.check_many([busy.url("/a/1"), busy.url("/a/2")]))
        )
        while not slow.now:  # the first call's check of the busy host is running
            await asyncio.sleep(0.01)
        started = time.monotonic()
        second = await _collect(checker.check_many([busy.url("/b/1"), other.url("/b/2")]))
        await first
    # The free host was asked at once, not after the busy host's answer (0.4 s).
    assert arrived and arrived[0] - started < 0.25, arrived[0] - started
    assert [r.status for r in second] == ["ok", "ok"]
    assert slow.peak == 1  # one connection to the busy host, over both calls


async def _collect(stream: Any) -> list[Any]:
    return [result async for result in stream]


async def test_a_call_given_up_midway_gives_its_slots_back(web):
    route = InFlight(web, delay=0.2)
    first = web.site("forst.test", fallback=route)
    then = web.site("sedan.test", fallback=route)
    async with web.checker(per_host=4, concurrency=4, probe_soft_404=False) as checker:
        stream = checker.check_many([first.url(f"/s/{i}") for i in range(40)])
        await anext(stream)  # four running, 35 more waiting
        await stream.aclose()  # the reader stops: its running checks are cancelled
        route.peak = 0
        results = [r async for r in checker.check_many([then.url(f"/s/{i}") for i in range(8)])]
    assert [r.status for r in results] == ["ok"] * 8
    assert route.peak == 4, "the next call had every slot again"


async def test_checks_cancelled_before_they_started_give_their_slots_back(web):
    route = InFlight(web)
    site = web.site("aldrig.test", fallback=route)
    async with web.checker(per_host=8, concurrency=8, probe_soft_404=False) as checker:
        # Seven checks are set off, then an address with no host is answered at once: the
        # reader has a result before the seven ever ran, and stops there.
        stream = checker.check_many([*(site.url(f"/s/{i}") for i in range(7)), "inte en adress"])
        assert (await anext(stream)).reason == "invalid_url"
        await stream.aclose()
        results = [r async for r in checker.check_many([site.url(f"/t/{i}") for i in range(8)])]
    assert [r.status for r in results] == ["ok"] * 8
    assert route.peak == 8, "the next call had every slot again"


async def test_fetch_page_uses_the_same_guard_and_follows_redirects(web):
    site = web.site(
        "import.test", {"/lista": web.redirect("/lankar", 301), "/lankar": web.html(PAGE)}
    )
    async with web.checker() as checker:
        page = await checker.fetch_page(site.url("/lista"), max_bytes=10_000)
    assert (page.status, page.final_url) == (200, site.url("/lankar"))
    assert "Innehåll om bibliotek" in page.text
    async with Checker(EngineConfig(timeout=3)) as strict:
        try:
            await strict.fetch_page(f"http://{site.ip}:{site.port}/lankar", max_bytes=1000)
        except FetchError as error:
            assert error.reason == "blocked_address"
        else:
            raise AssertionError("fetch_page reached a loopback address")


async def test_a_slow_host_does_not_eat_the_deadline_of_queued_checks(web):
    site = web.site("queue.test", fallback=web.html(PAGE, delay=0.25))
    started = time.monotonic()
    async with web.checker(per_host=1, timeout=1.0, probe_soft_404=False) as checker:
        results = await asyncio.gather(*(checker.check(site.url(f"/q/{i}")) for i in range(8)))
    # Eight requests one at a time take ~2 s, twice the 1 s deadline, yet none timed
    # out: waiting politely in line is not the URL's fault.
    assert time.monotonic() - started >= 1.9  # a lower bound the server's delays guarantee
    assert all(r.status == "ok" for r in results), [r.reason for r in results]
    assert site.counter.max_open == 1 and len(site.requests) == 8  # in line, one at a time
    # A check's time starts when it leaves the queue: the last one waited in line while the
    # server answered the seven before it, so counting the wait would make its time at least
    # that span (measured by the server, so a slow machine stretches both alike).
    arrivals = sorted(r.at for r in site.requests)
    in_line_ms = 1000 * (arrivals[-1] - arrivals[0])
    assert max(r.elapsed_ms for r in results) < in_line_ms


def test_engine_config_comes_from_the_settings():
    from linkdir.config import Settings

    settings = Settings.from_env(
        {},
        env="development",
        base_url="https://lankar.example.se",
        checker_per_host=3,
        checker_concurrency=50,
        checker_timeout=12.5,
        checker_allow_networks=("10.0.0.0/8",),
    )
    config = EngineConfig.from_settings(settings)
    assert (config.per_host, config.concurrency, config.timeout) == (3, 50, 12.5)
    assert config.allow_networks == ("10.0.0.0/8",)
    assert "linkdir" in config.user_agent and "https://lankar.example.se" in config.user_agent


async def test_checker_must_be_opened_before_use():
    checker = Checker(EngineConfig())
    try:
        await checker.check("https://example.se/")
    except RuntimeError:
        pass
    else:
        raise AssertionError("an unopened checker pretended to check")


async def test_the_public_client_is_guarded_too(web):
    from linkdir.checker.transport import classify_error

    site = web.site("client.test", {"/": web.html(PAGE)})
    async with Checker(EngineConfig(timeout=3)) as checker:
        for url in (f"http://{site.ip}:{site.port}/", f"http://localhost:{site.port}/"):
            try:
                await checker.client.get(url)
            except Exception as error:
                assert classify_error(error)[0] == "blocked_address"
            else:
                raise AssertionError(f"the client reached {url}")
    assert site.counter.connections == 0
