"""Answers a checker meets every day: odd HEAD handling, chunking, PDFs, big and bomb bodies."""

from __future__ import annotations

import asyncio
import gzip
import tracemalloc
import zlib

PAGE = (
    "<!doctype html><html lang='sv'><head><title>Digital delaktighet</title></head>"
    "<body><nav>Start Om oss Kontakt</nav><main><h1>Digital delaktighet</h1>"
    "<p>En rapport om hur bibliotek arbetar med digital kompetens i hela landet.</p>"
    "</main></body></html>"
)


async def test_a_working_page_is_ok_and_the_request_is_honest(web):
    site = web.site("bibliotek.test", {"/rapport": web.html(PAGE)})
    result = await web.check(site.url("/rapport"))
    assert (result.status, result.http_status, result.reason) == ("ok", 200, "ok")
    assert result.final_url == site.url("/rapport")
    assert result.title == "Digital delaktighet"
    request = site.hits("/rapport")[0]
    assert request.method == "GET"
    assert "linkdir" in request.headers["user-agent"]
    assert "text/html" in request.headers["accept"]
    assert request.headers["accept-language"].startswith("sv")


async def test_head_refused_wrong_or_hanging_does_not_matter_when_get_works(web):
    async def hang(_request, _reader, _writer):
        await asyncio.sleep(5)
        return False

    def refuse_head(request):
        return web.Reply(405, b"") if request.method == "HEAD" else web.html(PAGE)

    def wrong_head(request):
        return web.Reply(404, b"") if request.method == "HEAD" else web.html(PAGE)

    def hanging_head(request):
        return web.Raw(hang) if request.method == "HEAD" else web.html(PAGE)

    site = web.site(
        "head.test", {"/refused": refuse_head, "/wrong": wrong_head, "/hangs": hanging_head}
    )
    async with web.checker() as checker:
        results = [await checker.check(site.url(p)) for p in ("/refused", "/wrong", "/hangs")]
    assert [r.status for r in results] == ["ok", "ok", "ok"]
    # The engine never sends HEAD (DESIGN: one GET per hop), so these HEAD answers are never
    # seen: every request the server got was a GET, one per page (soft-404 probes aside).
    assert [r.method for r in site.requests] == ["GET"] * len(site.requests)
    assert [len(site.hits(p, method="GET")) for p in ("/refused", "/wrong", "/hangs")] == [1, 1, 1]
    assert site.hits(method="HEAD") == []


async def test_chunked_body_is_read_and_hashed(web):
    site = web.site(
        "chunks.test",
        {"/plain": web.html(PAGE), "/chunked": web.html(PAGE, chunked=True)},
    )
    async with web.checker() as checker:
        plain = await checker.check(site.url("/plain"))
        chunked = await checker.check(site.url("/chunked"))
    assert chunked.status == "ok"
    assert chunked.content_hash is not None
    assert chunked.content_hash == plain.content_hash


async def test_broken_chunking_after_a_good_start_still_shows_the_page(web):
    async def bad_chunks(_request, _reader, writer):
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        body = PAGE.encode()
        writer.write(b"%x\r\n%s\r\n" % (len(body), body))
        await writer.drain()
        await asyncio.sleep(0.05)  # the page is out; then the stream goes bad
        writer.write(b"zz-not-a-size\r\n")
        await writer.drain()
        return False

    site = web.site("badchunks.test", {"/page": web.Raw(bad_chunks)})
    result = await web.check(site.url("/page"), read_timeout=0.5)
    assert result.status == "ok"
    assert result.title == "Digital delaktighet"


async def hung_up(site) -> None:
    """Until the server saw the checker close its connection (counted, not timed)."""
    for _ in range(500):
        if site.counter.open == 0:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the checker kept the connection open")


async def test_pdf_is_ok_without_reading_it_all(web):
    sent = {"bytes": 0}

    async def pdf_body():
        yield b"%PDF-1.7\n" + b"0" * 65536
        for _ in range(400):  # 25 MB more than anyone needs to read
            sent["bytes"] += 65536
            yield b"1" * 65536

    site = web.site(
        "pdf.test",
        {
            "/rapport.pdf": web.Reply(
                200, pdf_body, content_type="application/pdf", length=65545 + 400 * 65536
            )
        },
    )
    result = await web.check(site.url("/rapport.pdf"))
    assert (result.status, result.http_status) == ("ok", 200)
    assert result.content_type == "application/pdf"
    await hung_up(site)
    assert sent["bytes"] < 10 * 2**20  # the checker hung up early


async def test_huge_html_body_is_read_only_up_to_the_cap(web):
    sent = {"bytes": 0}

    async def endless():
        yield PAGE.encode()
        for _ in range(3200):  # 200 MB
            sent["bytes"] += 65536
            yield b"<p>" + b"x" * 65529 + b"</p>"

    site = web.site("huge.test", {"/page": web.Reply(200, endless)})
    result = await web.check(site.url("/page"), max_body_bytes=256 * 1024)
    assert result.status == "ok"
    assert result.title == "Digital delaktighet"
    await hung_up(site)
    assert sent["bytes"] < 20 * 2**20


def _bomb(megabytes: int, wbits: int) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, wbits)
    parts = [packer.compress(PAGE.encode())]
    zeros = b"\0" * 2**20
    parts += [packer.compress(zeros) for _ in range(megabytes)]
    parts.append(packer.flush())
    return b"".join(parts)


async def test_compression_bomb_is_inflated_only_up_to_the_cap(web):
    bomb = _bomb(200, 16 + zlib.MAX_WBITS)  # gzip: 200 MB of zeros in about 200 KB
    assert len(bomb) < 2**20
    deflate = _bomb(200, zlib.MAX_WBITS)
    site = web.site(
        "bomb.test",
        {
            "/gzip": web.Reply(200, bomb, headers=[("Content-Encoding", "gzip")]),
            "/deflate": web.Reply(200, deflate, headers=[("Content-Encoding", "deflate")]),
        },
    )
    peaks = []
    results = []
    async with web.checker(max_body_bytes=256 * 1024) as checker:
        for path in ("/gzip", "/deflate"):
            # The peak of Python allocations during this one inflation (tracemalloc sees
            # every bytes object zlib hands back), not the process's lifetime peak.
            tracemalloc.start()
            try:
                results.append(await checker.check(site.url(path)))
                peaks.append(tracemalloc.get_traced_memory()[1])
            finally:
                tracemalloc.stop()
    gz, zl = results
    assert (gz.status, zl.status) == ("ok", "ok")
    assert gz.title == zl.title == "Digital delaktighet"
    # 200 MB inflated would show as 200 MB; the cap (256 KB) plus buffers stays far below.
    assert max(peaks) < 16 * 2**20, peaks


async def test_gzip_page_is_decoded_like_a_plain_one(web):
    site = web.site(
        "gz.test",
        {
            "/plain": web.html(PAGE),
            "/gz": web.Reply(
                200, gzip.compress(PAGE.encode()), headers=[("Content-Encoding", "gzip")]
            ),
            "/raw-deflate": web.Reply(
                200,
                zlib.compress(PAGE.encode())[2:-4],  # deflate without the zlib wrapper (old IIS)
                headers=[("Content-Encoding", "deflate")],
            ),
        },
    )
    async with web.checker() as checker:
        plain, gz, raw = [
            await checker.check(site.url(p)) for p in ("/plain", "/gz", "/raw-deflate")
        ]
    assert gz.content_hash == plain.content_hash == raw.content_hash


async def test_swedish_letters_spaces_and_idn_hosts_are_encoded_not_broken(web):
    site = web.site(
        "xn--bibliotek--b6a8r.test",  # bibliotek-åö.test
        {
            "/s%C3%B6k/min%20fil.html": web.html(PAGE),
            "/%C3%A5rsrapport": web.html(PAGE),
        },
    )
    async with web.checker() as checker:
        spaced = await checker.check(f"http://bibliotek-åö.test:{site.port}/sök/min fil.html")
        plain = await checker.check(f"http://Bibliotek-ÅÖ.test:{site.port}/årsrapport?q=rät väg")
    assert (spaced.status, spaced.reason) == ("ok", "ok")
    assert plain.status == "ok"
    targets = [r.target for r in site.requests if "probe" not in r.target]
    assert "/s%C3%B6k/min%20fil.html" in targets
    assert any(t.startswith("/%C3%A5rsrapport?q=r%C3%A4t") for t in targets)
    assert site.requests[0].headers["host"].startswith("xn--bibliotek--b6a8r.test")


async def test_a_page_whose_content_hash_is_still_the_known_one_is_not_fingerprinted_again(web):
    """Like a 304 for a server that sends no validators: the content the last good check
    judged is back, so the drift fingerprint (most of a large page's CPU) is not redone."""
    site = web.site("samma.test", {"/sida": web.html(PAGE)})
    async with web.checker() as checker:
        first = await checker.check(site.url("/sida"))
        again = await checker.check(site.url("/sida"), known_hash=first.content_hash)
        site.routes["/sida"] = web.html(PAGE.replace("hela landet", "Norrbottens län"))
        changed = await checker.check(site.url("/sida"), known_hash=first.content_hash)
    assert first.fingerprint is not None and first.content_hash
    assert (again.status, again.content_hash, again.fingerprint) == ("ok", first.content_hash, None)
    assert changed.content_hash != first.content_hash and changed.fingerprint is not None


async def test_conditional_request_answered_304_is_ok_and_unchanged(web):
    def conditional(request):
        if request.headers.get("if-none-match") == '"v1"':
            return web.Reply(304, b"", headers=[("ETag", '"v1"')])
        return web.html(PAGE, headers=[("ETag", '"v1"')])

    site = web.site("etag.test", {"/page": conditional})
    async with web.checker() as checker:
        first = await checker.check(site.url("/page"))
        again = await checker.check(site.url("/page"), etag=first.etag)
    assert first.etag == '"v1"'
    assert (again.status, again.http_status, again.reason) == ("ok", 304, "not_modified")
    assert again.etag == '"v1"'
