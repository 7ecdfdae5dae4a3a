"""Transient failures are retried before a verdict; network and TLS failures say exactly why."""

from __future__ import annotations

import asyncio
import socket
import time

PAGE = (
    "<html><head><title>Kurs</title></head>"
    "<body><main><p>Kursmaterial om källkritik.</p></main></body></html>"
)


def flaky(web, failures, failure):
    """A route that answers ``failure`` the first ``failures`` times, then the page."""
    seen = {"n": 0}

    def route(_request):
        seen["n"] += 1
        return failure if seen["n"] <= failures else web.html(PAGE)

    return route


async def test_429_with_retry_after_that_clears_is_ok(web):
    site = web.site(
        "busy.test",
        {"/kurs": flaky(web, 1, web.Reply(429, b"slow down", headers=[("Retry-After", "1")]))},
    )
    result = await web.check(site.url("/kurs"))
    assert (result.status, result.http_status) == ("ok", 200)
    first, second = site.hits("/kurs")
    assert second.at - first.at >= 0.9  # Retry-After was honoured


async def test_503_with_retry_after_that_clears_is_ok(web):
    site = web.site(
        "maint.test",
        {"/kurs": flaky(web, 2, web.Reply(503, b"", headers=[("Retry-After", "0")]))},
    )
    result = await web.check(site.url("/kurs"))
    assert result.status == "ok"
    assert result.attempts == 3


async def test_rate_limit_slows_the_whole_host_not_just_one_check(web):
    def limited(request):
        if request.path == "/first" and len(site.hits("/first")) == 1:
            return web.Reply(429, b"", headers=[("Retry-After", "1")])
        return web.html(PAGE.replace("Kurs", request.path))

    site = web.site("ratelimit.test", fallback=limited)
    async with web.checker(probe_soft_404=False) as checker:
        first = asyncio.ensure_future(checker.check(site.url("/first")))
        deadline = time.monotonic() + 5
        while not checker.held_back("ratelimit.test"):  # the 429 reached the checker ...
            assert time.monotonic() < deadline, "the checker never heard the 429"
            await asyncio.sleep(0.005)
        # ... and now others want the host
        others = await asyncio.gather(*(checker.check(site.url(f"/p{i}")) for i in range(4)))
        assert (await first).status == "ok"
    assert all(r.status == "ok" for r in others)
    limited_at = site.hits("/first")[0].at
    later = [r.at for r in site.requests if r.path.startswith("/p")]
    assert min(later) - limited_at >= 0.9


async def test_rate_limit_that_does_not_clear_is_unverified_not_broken(web):
    site = web.site(
        "always429.test",
        {"/kurs": web.Reply(429, b"", headers=[("Retry-After", "0")])},
    )
    result = await web.check(site.url("/kurs"))
    assert (result.status, result.reason, result.http_status) == ("unverified", "rate_limited", 429)
    assert len(site.hits("/kurs")) == 3  # first try and two retries


async def test_retry_after_longer_than_we_wait_is_not_waited_for(web):
    site = web.site(
        "later.test",
        {"/kurs": web.Reply(503, b"", headers=[("Retry-After", "3600")])},
    )
    result = await web.check(site.url("/kurs"))
    assert (result.status, result.reason) == ("unverified", "http_503")
    # Counted, not timed: asked once, never again after being told to wait an hour.
    assert len(site.hits("/kurs")) == 1 and result.attempts == 1


async def test_persistent_server_errors_are_broken_after_retries(web):
    site = web.site("down.test", {"/kurs": web.Reply(500, b"oops"), "/gw": web.Reply(503, b"")})
    async with web.checker() as checker:
        error = await checker.check(site.url("/kurs"))
        unavailable = await checker.check(site.url("/gw"))
    assert (error.status, error.reason) == ("broken", "http_500")
    assert (unavailable.status, unavailable.reason) == ("broken", "http_503")
    assert len(site.hits("/kurs")) == 3


async def test_dropped_connection_is_retried(web):
    async def drop(_request, _reader, _writer):
        return False  # close without a word

    site = web.site("drops.test", {"/kurs": flaky(web, 1, web.Raw(drop))})
    result = await web.check(site.url("/kurs"))
    assert result.status == "ok"
    assert len(site.hits("/kurs")) == 2


async def test_reset_every_time_is_broken_reset(web):
    async def reset(_request, _reader, writer):
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        writer.transport.abort()
        return False

    site = web.site("resets.test", {"/kurs": web.Raw(reset)})
    result = await web.check(site.url("/kurs"))
    assert (result.status, result.reason) == ("broken", "reset")
    assert len(site.hits("/kurs")) == 3


async def test_unknown_name_is_broken_dns(web):
    result = await web.check("http://no-such-host.test/kurs")
    assert (result.status, result.reason, result.http_status) == ("broken", "dns", None)


async def test_closed_port_is_broken_refused(web):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    web.resolver.add("refuses.test", "127.0.0.1")
    result = await web.check(f"http://refuses.test:{port}/kurs")
    assert (result.status, result.reason) == ("broken", "refused")


async def test_connect_timeout_is_broken_timeout(web):
    listener = socket.socket()
    listener.bind(("127.0.0.77", 0))
    listener.listen(0)
    filler = socket.create_connection(listener.getsockname())  # the one queue slot
    web.resolver.add("blackhole.test", "127.0.0.77")
    try:
        result = await web.check(
            f"http://blackhole.test:{listener.getsockname()[1]}/", connect_timeout=0.3
        )
    finally:
        filler.close()
        listener.close()
    assert (result.status, result.reason) == ("broken", "timeout")
    assert result.http_status is None


async def test_server_that_never_answers_is_broken_timeout(web):
    async def silent(_request, _reader, _writer):
        await asyncio.sleep(4)
        return False

    site = web.site("silent.test", {"/kurs": web.Raw(silent)})
    result = await web.check(site.url("/kurs"), read_timeout=0.3, max_retries=1)
    assert (result.status, result.reason) == ("broken", "timeout")
    # The first try and the one retry allowed, each given up on the read timeout: had
    # the checker waited for the server (4 s each), the test would end with its answer.
    assert len(site.hits("/kurs")) == 2 and result.attempts == 2


async def test_total_deadline_stops_a_server_that_trickles_headers(web):
    lines = {"sent": 0}

    async def trickle(_request, _reader, writer):
        writer.write(b"HTTP/1.1 200 OK\r\n")
        for i in range(100):  # each line comes well within the read timeout
            writer.write(b"X-Slow-%d: yes\r\n" % i)
            await writer.drain()
            lines["sent"] += 1
            await asyncio.sleep(0.2)
        return False

    site = web.site("trickle.test", {"/kurs": web.Raw(trickle)})
    result = await web.check(site.url("/kurs"), timeout=1.5, read_timeout=1.0)
    assert (result.status, result.reason) == ("broken", "timeout")
    # Counted at the server: the checker hung up after about 1.5 s of lines (7 or 8),
    # long before the 100 a read timeout alone would have waited for (20 s).
    for _ in range(500):
        if site.counter.open == 0:
            break
        await asyncio.sleep(0.01)
    assert site.counter.open == 0 and 1 <= lines["sent"] < 50, lines
    assert len(site.hits("/kurs")) == 1  # a deadline is not retried


async def test_tls_valid_certificate_is_ok(web):
    site = web.site("secure.test", {"/kurs": web.html(PAGE)}, tls="valid")
    result = await web.check(site.url("/kurs"))
    assert (result.status, result.reason) == ("ok", "ok")


async def test_expired_certificate_is_broken_tls(web):
    site = web.site("expired.test", {"/kurs": web.html(PAGE)}, tls="expired")
    result = await web.check(site.url("/kurs"))
    assert (result.status, result.reason) == ("broken", "tls")
    assert "expired" in result.detail
    assert site.hits() == []  # nothing was sent over the untrusted connection


async def test_untrusted_certificate_is_broken_tls(web):
    site = web.site("selfsigned.test", {"/kurs": web.html(PAGE)}, tls="untrusted")
    result = await web.check(site.url("/kurs"))
    assert (result.status, result.reason) == ("broken", "tls")
    assert "issuer" in result.detail or "self" in result.detail


async def test_certificate_for_another_name_is_broken_tls(web):
    site = web.site("mismatch.test", {"/kurs": web.html(PAGE)}, tls="wrong_name")
    result = await web.check(site.url("/kurs"))
    assert (result.status, result.reason) == ("broken", "tls")
    assert "mismatch" in result.detail.lower() or "match" in result.detail.lower()


async def test_without_the_extra_ca_only_certifi_roots_are_trusted(web):
    site = web.site("secure2.test", {"/kurs": web.html(PAGE)}, tls="valid")
    result = await web.check(site.url("/kurs"), extra_ca_file=None)
    assert (result.status, result.reason) == ("broken", "tls")
