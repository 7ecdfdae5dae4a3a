"""Pages that answer 200 but are not the resource, and walls that hide whether it is."""

from __future__ import annotations

ARTICLE = (
    "<html><head><title>Källkritik för nybörjare</title></head><body>"
    "<nav><a href='/'>Start</a></nav><main><h1>Källkritik för nybörjare</h1>"
    "<p>Här lär du dig att granska källor: vem står bakom, när skrevs det och varför?</p>"
    "<p>Övningarna passar studiecirklar på biblioteket och tar en timme.</p></main>"
    "<footer>Hittade du inte det du sökte? Kontakta oss.</footer></body></html>"
)


def page(title, text):
    return (
        f"<html><head><title>{title}</title></head>"
        f"<body><main><h1>{title}</h1><p>{text}</p></main></body></html>"
    )


async def test_not_found_wording_served_with_200_is_soft_404(web):
    site = web.site(
        "soft.test",
        {
            "/sv": web.html(page("Sidan kunde inte hittas", "Kontrollera adressen.")),
            "/sv2": web.html(page("Hoppsan!", "Sidan du söker finns inte längre på webbplatsen.")),
            "/en": web.html(
                page("Oops", "Sorry, the page you were looking for could not be found.")
            ),
            "/en2": web.html(page("404 - Page Not Found", "Try the search.")),
        },
    )
    async with web.checker() as checker:
        results = [await checker.check(site.url(p)) for p in ("/sv", "/sv2", "/en", "/en2")]
    assert [(r.status, r.reason, r.http_status) for r in results] == [
        ("broken", "soft_404", 200)
    ] * 4


async def test_real_page_with_a_search_hint_in_the_footer_is_ok(web):
    site = web.site("real.test", {"/kurser/kallkritik": web.html(ARTICLE)})
    result = await web.check(site.url("/kurser/kallkritik"))
    assert (result.status, result.reason) == ("ok", "ok")


async def test_deep_link_redirected_to_the_home_page_is_broken(web):
    site = web.site(
        "home.test",
        {
            "/": web.html(page("Välkommen till biblioteket", "Nyheter och evenemang.")),
            "/sv/": web.html(page("Välkommen", "Startsidan.")),
            "/arkiv/2019/rapport.html": web.redirect("/", 301),
            "/gammal/sida": web.redirect("/sv/", 302),
            "/sv": web.redirect("/sv/", 301),
        },
    )
    async with web.checker() as checker:
        deep = await checker.check(site.url("/arkiv/2019/rapport.html"))
        language_home = await checker.check(site.url("/gammal/sida"))
        home_itself = await checker.check(site.url("/sv"))
    assert (deep.status, deep.reason) == ("broken", "home_redirect")
    assert deep.final_url == site.url("/")
    assert (language_home.status, language_home.reason) == ("broken", "home_redirect")
    assert home_itself.status == "moved"  # a front page moving to its slash form is fine


async def test_host_answering_every_path_with_the_same_page_is_broken(web):
    site = web.site(
        "catchall.test",
        fallback=web.html(page("Stadsbiblioteket", "Öppettider, evenemang och nyheter.")),
    )
    result = await web.check(site.url("/rapporter/digital-delaktighet-2020.pdf"))
    assert (result.status, result.reason) == ("broken", "same_page_everywhere")
    probes = [r for r in site.requests if "linkdir-probe" in r.path]
    assert len(probes) == 1
    assert probes[0].path.startswith("/rapporter/") and probes[0].path.endswith(".pdf")


async def test_host_redirecting_every_path_to_one_page_is_broken(web):
    site = web.site(
        "redirall.test",
        {"/sok": web.html(page("Sök", "Sök i katalogen."))},
        fallback=web.redirect("/sok", 302),
    )
    result = await web.check(site.url("/gammalt/innehall"))
    assert (result.status, result.reason) == ("broken", "same_page_everywhere")


async def test_probe_is_cached_per_host_and_directory(web):
    site = web.site(
        "many.test",
        {
            f"/kurser/{i}": web.html(
                page(
                    f"Kurs {i}", f"Innehåll om ämne nummer {i} " * (i + 1) + "unik text " + "x" * i
                )
            )
            for i in range(6)
        },
    )
    site.routes.update(
        {
            f"/guider/{i}": web.html(page(f"Guide {i}", "guide text " * (i + 2) + str(i)))
            for i in range(3)
        }
    )
    async with web.checker() as checker:
        results = [await checker.check(site.url(f"/kurser/{i}")) for i in range(6)]
        results += [await checker.check(site.url(f"/guider/{i}")) for i in range(3)]
    assert all(r.status == "ok" for r in results), [r.reason for r in results]
    probes = sorted(r.path.rsplit("/", 1)[0] for r in site.requests if "linkdir-probe" in r.path)
    assert probes == ["/guider", "/kurser"]


async def test_javascript_shell_on_every_path_is_unverified(web):
    shell = (
        "<html><head><title>App</title></head>"
        "<body><div id='root'></div><script src='/app.js'></script></body></html>"
    )
    site = web.site("spa.test", fallback=web.html(shell))
    result = await web.check(site.url("/resurser/42"))
    assert (result.status, result.reason) == ("unverified", "client_rendered")


async def test_parked_and_for_sale_domains_are_broken(web):
    sale = web.site(
        "forsale.test",
        fallback=web.html(page("forsale.test", "This domain may be for sale! Make an offer.")),
    )
    svensk = web.site(
        "parkerad.test",
        {
            "/": web.html(
                page("parkerad.test", "Den här domänen är registrerad hos en webbhotelltjänst.")
            )
        },
    )
    script = web.site(
        "lander.test",
        {
            "/": web.html(
                "<html><head><title>lander.test</title><script src='https://img.sedoparking.com/js/x.js'></script></head><body></body></html>"
            )
        },
    )
    parking = web.site(
        "sedoparking.com", {"/lander": web.html(page("Related links", "Loans Insurance"))}
    )
    redirected = web.site(
        "expired.test", {"/bibliotek/guide": web.redirect(parking.url("/lander"), 302)}
    )
    async with web.checker() as checker:
        results = [
            await checker.check(sale.url("/rapport")),
            await checker.check(svensk.url("/")),
            await checker.check(script.url("/")),
            await checker.check(redirected.url("/bibliotek/guide")),
        ]
    assert [(r.status, r.reason) for r in results] == [("broken", "parked")] * 4


async def test_walls_are_unverified_never_broken(web):
    site = web.site(
        "walls.test",
        {
            "/forbidden": web.Reply(403, b"<html><title>Forbidden</title></html>"),
            "/linkedin": web.Reply(999, b""),
            "/challenge": web.Reply(
                403,
                b"<html><title>Just a moment...</title></html>",
                headers=[("cf-mitigated", "challenge")],
            ),
            "/challenge503": web.Reply(
                503,
                b"<html><title>Just a moment...</title></html>",
                headers=[("cf-mitigated", "challenge")],
            ),
            "/challenge200": web.html(
                "<html><head><title>Just a moment...</title></head>"
                "<body><script>window._cf_chl_opt={}</script></body></html>"
            ),
            "/login": web.Reply(401, b"", headers=[("WWW-Authenticate", 'Basic realm="intra"')]),
        },
    )
    async with web.checker() as checker:
        results = {p: await checker.check(site.url(p)) for p in site.routes}
    reasons = {p: (r.status, r.reason) for p, r in results.items()}
    assert reasons == {
        "/forbidden": ("unverified", "bot_wall"),
        "/linkedin": ("unverified", "bot_wall"),
        "/challenge": ("unverified", "bot_wall"),
        "/challenge503": ("unverified", "bot_wall"),
        "/challenge200": ("unverified", "bot_wall"),
        "/login": ("unverified", "login_required"),
    }
    assert len(site.hits("/challenge503")) == 1  # a challenge is not retried


async def test_a_wall_is_known_by_its_markers_and_a_page_about_walls_is_not_one(web):
    """A bot wall under the site's own title gives itself away by its vendor's markers,
    and says next to nothing else; an article that names those vendors is an article."""
    wall = (
        "<html><head><title>bibliotek.test</title>"
        "<script src='https://ct.captcha-delivery.com/c.js'></script></head>"
        "<body><p>Please enable JS and disable any ad blocker</p></body></html>"
    )
    paragraph = (
        "<p>Många webbplatser skyddar sig mot automatiska besök med tjänster som DataDome "
        "(skripten hämtas från captcha-delivery.com) och ddos-guard. För bibliotekets "
        "användare betyder det ibland en extra fråga innan sidan visas.</p>"
    )
    article = (
        "<html><head><title>Robotspärrar och tillgänglighet</title></head><body><main>"
        "<h1>Robotspärrar och tillgänglighet</h1>" + paragraph * 20 + "</main></body></html>"
    )
    site = web.site("murar.test", {"/wall": web.html(wall), "/om-sparrar": web.html(article)})
    async with web.checker() as checker:
        walled = await checker.check(site.url("/wall"))
        about = await checker.check(site.url("/om-sparrar"))
    assert (walled.status, walled.reason) == ("unverified", "bot_wall")
    assert about.status == "ok", about.reason


async def test_redirect_to_a_login_page_is_unverified(web):
    idp = web.site(
        "idp.test",
        {
            "/login": web.html(
                "<html><head><title>Logga in</title></head>"
                "<body><form><input type='password'></form></body></html>"
            )
        },
    )
    site = web.site(
        "intranet.test",
        {"/dokument/policy": web.redirect(idp.url("/login?return=/dokument/policy"), 302)},
    )
    result = await web.check(site.url("/dokument/policy"))
    assert (result.status, result.reason) == ("unverified", "login_required")


async def test_latin1_page_is_read_in_its_own_encoding(web):
    body = (
        "<html><head><title>Sök i katalogen</title></head><body><main>"
        "<h1>Hoppsan</h1><p>Sidan du söker finns inte.</p></main></body></html>"
    ).encode("iso-8859-1")
    site = web.site(
        "latin.test",
        {"/gammal": web.Reply(200, body, content_type="text/html; charset=iso-8859-1")},
    )
    result = await web.check(site.url("/gammal"))
    assert (result.status, result.reason) == ("broken", "soft_404")
    assert result.title == "Sök i katalogen"
