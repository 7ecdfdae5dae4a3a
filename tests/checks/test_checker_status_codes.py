"""Status codes no other test sends: 406 (Not Acceptable) and 407 (Proxy Authentication)."""

from __future__ import annotations

NOT_FOUND = (
    "<html><head><title>Sidan finns inte</title></head>"
    "<body><main><h1>Sidan finns inte</h1><p>Sidan du söker har tagits bort.</p></main></body>"
    "</html>"
)
PAGE = (
    "<html><head><title>Acceptera</title></head>"
    "<body><main><p>Vi vill inte.</p></main></body></html>"
)


async def test_406_is_a_bot_wall_unless_it_says_not_found(web):
    site = web.site(
        "picky.test",
        {
            "/rapport": web.html(PAGE, status=406),
            "/borta": web.html(NOT_FOUND, status=406),
        },
    )
    async with web.checker(probe_soft_404=False) as checker:
        wall = await checker.check(site.url("/rapport"))
        gone = await checker.check(site.url("/borta"))
    # A 406 to a robot is the site refusing robots, not the page being gone.
    assert (wall.status, wall.reason, wall.http_status) == ("unverified", "bot_wall", 406)
    # ... unless the page itself says it is gone.
    assert (gone.status, gone.reason, gone.http_status) == ("broken", "soft_404", 406)
    assert len(site.hits("/rapport")) == 1  # a refusal is not retried


async def test_407_means_a_login_is_needed_not_a_broken_link(web):
    site = web.site(
        "proxyauth.test",
        {"/intranat": web.Reply(407, b"", headers=[("Proxy-Authenticate", 'Basic realm="proxy"')])},
    )
    result = await web.check(site.url("/intranat"))
    assert (result.status, result.reason, result.http_status) == (
        "unverified",
        "login_required",
        407,
    )
    assert len(site.hits("/intranat")) == 1
