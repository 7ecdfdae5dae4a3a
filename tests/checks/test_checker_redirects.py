"""Redirects: permanent moves are reported with the new address, temporary ones are fine."""

from __future__ import annotations

PAGE = (
    "<html><head><title>Guide</title></head><body><main><h1>Guide till e-tjänster</h1>"
    "<p>Så hjälper biblioteket dig med BankID och e-legitimation.</p></main></body></html>"
)


def redirect_site(web, name="redirects.test"):
    site = web.site(name)
    site.routes.update(
        {
            "/guide": web.html(PAGE),
            "/old": web.redirect("/guide", 301),
            "/older": web.redirect("/old", 308),
            "/found": web.redirect("/guide", 302),
            "/see": web.redirect("/guide", 303),
            "/temp": web.redirect("/guide", 307),
            "/perm-then-temp": web.redirect("/found", 301),
            "/temp-then-perm": web.redirect("/old", 302),
            "/relative/deep": web.redirect("../guide", 301),
            "/absolute": web.redirect(site.url("/guide"), 301),
            "/loop-a": web.redirect("/loop-b", 302),
            "/loop-b": web.redirect("/loop-a", 302),
            "/to-404": web.redirect("/gone", 301),
            "/no-location": web.Reply(302, b"", content_type=None),
            "/to-ftp": web.redirect("ftp://files.example/guide.pdf", 301),
        }
    )
    for i in range(15):
        site.routes[f"/hop{i}"] = web.redirect(f"/hop{i + 1}", 302)
    return site


async def test_permanent_redirects_are_moved_with_the_final_address(web):
    site = redirect_site(web)
    async with web.checker() as checker:
        moved = await checker.check(site.url("/old"))
        chain = await checker.check(site.url("/older"))
    assert (moved.status, moved.reason, moved.http_status) == ("moved", "moved_permanently", 200)
    assert moved.final_url == moved.moved_to == site.url("/guide")
    assert [(r.url, r.status) for r in moved.redirects] == [(site.url("/old"), 301)]
    assert chain.status == "moved"
    assert [r.status for r in chain.redirects] == [308, 301]
    assert chain.final_url == site.url("/guide")


async def test_temporary_redirects_are_ok(web):
    site = redirect_site(web)
    async with web.checker() as checker:
        results = [await checker.check(site.url(p)) for p in ("/found", "/see", "/temp")]
    assert [(r.status, r.reason) for r in results] == [("ok", "temporary_redirect")] * 3
    assert [r.redirects[0].status for r in results] == [302, 303, 307]
    assert all(r.final_url == site.url("/guide") for r in results)


async def test_any_temporary_hop_in_a_chain_means_no_permanent_move(web):
    site = redirect_site(web)
    async with web.checker() as checker:
        perm_then_temp = await checker.check(site.url("/perm-then-temp"))
        temp_then_perm = await checker.check(site.url("/temp-then-perm"))
    assert (perm_then_temp.status, perm_then_temp.reason) == ("ok", "temporary_redirect")
    # The permanent first hop is still worth telling a curator about.
    assert perm_then_temp.moved_to == site.url("/found")
    assert (temp_then_perm.status, temp_then_perm.moved_to) == ("ok", None)


async def test_relative_and_absolute_locations_are_followed(web):
    site = redirect_site(web)
    async with web.checker() as checker:
        relative = await checker.check(site.url("/relative/deep"))
        absolute = await checker.check(site.url("/absolute"))
    assert (relative.status, relative.final_url) == ("moved", site.url("/guide"))
    assert (absolute.status, absolute.final_url) == ("moved", site.url("/guide"))


async def test_redirect_to_another_host_is_followed(web):
    new = web.site("ny.test", {"/guide": web.html(PAGE)})
    old = web.site("gammal.test", {"/guide": web.redirect(new.url("/guide"), 301)})
    result = await web.check(old.url("/guide"))
    assert (result.status, result.final_url) == ("moved", new.url("/guide"))


async def test_loops_and_endless_chains_are_broken(web):
    site = redirect_site(web)
    async with web.checker(max_redirects=10) as checker:
        loop = await checker.check(site.url("/loop-a"))
        endless = await checker.check(site.url("/hop0"))
    assert (loop.status, loop.reason) == ("broken", "redirect_loop")
    assert (endless.status, endless.reason) == ("broken", "too_many_redirects")
    assert len(endless.redirects) == 11


async def test_redirect_to_a_missing_page_is_broken(web):
    site = redirect_site(web)
    result = await web.check(site.url("/to-404"))
    assert (result.status, result.reason, result.http_status) == ("broken", "http_404", 404)
    assert result.final_url == site.url("/gone")
    assert result.redirects[0].status == 301


async def test_redirect_without_location_or_to_another_scheme_is_broken(web):
    site = redirect_site(web)
    async with web.checker() as checker:
        nowhere = await checker.check(site.url("/no-location"))
        ftp = await checker.check(site.url("/to-ftp"))
    assert (nowhere.status, nowhere.reason) == ("broken", "redirect_without_location")
    assert (ftp.status, ftp.reason) == ("broken", "unsupported_scheme")


async def test_meta_refresh_is_a_redirect(web):
    def refresh(target, delay="0"):
        return web.html(
            f'<html><head><meta http-equiv="refresh" content="{delay}; url={target}">'
            "<title>Flyttad</title></head><body>Sidan har flyttat.</body></html>"
        )

    site = web.site(
        "refresh.test",
        {
            "/guide": web.html(PAGE),
            "/flyttad": refresh("/guide"),
            "/till-saknad": refresh("'/saknas'"),
            "/reload": refresh("/reload", delay="300"),
        },
    )
    async with web.checker() as checker:
        moved = await checker.check(site.url("/flyttad"))
        missing = await checker.check(site.url("/till-saknad"))
        reload = await checker.check(site.url("/reload"))
    assert (moved.status, moved.final_url) == ("moved", site.url("/guide"))
    assert moved.redirects[0].url == site.url("/flyttad")
    assert (missing.status, missing.reason) == ("broken", "http_404")
    assert (reload.status, reload.redirects) == ("ok", ())


async def test_cookies_set_on_a_redirect_are_kept_for_that_check_only(web):
    def needs_cookie(request):
        if "session=abc" in request.headers.get("cookie", ""):
            return web.html(PAGE)
        return web.redirect("/set-cookie", 302)

    def set_cookie(request):
        if "session=abc" in request.headers.get("cookie", ""):
            return web.html(PAGE)
        return web.redirect("/article", 302, headers=[("Set-Cookie", "session=abc; Path=/")])

    site = web.site(
        "cookies.test",
        {
            "/article": needs_cookie,
            "/set-cookie": set_cookie,
            "/only-with-cookie": lambda r: (
                web.html(PAGE) if "session=abc" in r.headers.get("cookie", "") else web.Reply(404)
            ),
        },
    )
    async with web.checker() as checker:
        article = await checker.check(site.url("/article"))
        without = await checker.check(site.url("/only-with-cookie"))
    assert (article.status, article.final_url) == ("ok", site.url("/article"))
    assert [r.status for r in article.redirects] == [302, 302]
    # The cookie from the first check did not leak into the second one.
    assert (without.status, without.reason) == ("broken", "http_404")
