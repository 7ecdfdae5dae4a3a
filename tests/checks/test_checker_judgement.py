"""Verdicts from principles: topic is not verdict, wordings nobody listed, redirect targets
judged by what they are, empty answers, time, and dates as people write them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime

LOREM = (
    "Biblioteken arbetar med digital delaktighet i hela landet. Personalen ger stöd i "
    "e-tjänster, källkritik och vardagens digitala ärenden, och samverkar med kommunens "
    "medborgarservice. "
)


def page(title, body, *, h1=None, extra=""):
    return (
        f"<html><head><title>{title}</title></head><body>"
        "<header><a href='/'>Start</a><form role='search' action='/sok'><input name='q'></form>"
        f"</header><main><h1>{h1 or title}</h1>{body}</main>{extra}"
        "<footer>Biblioteket, Storgatan 1</footer></body></html>"
    )


def article(title, paragraphs):
    return page(title, "".join(f"<p>{p}</p>" for p in paragraphs))


# ------------------------------------------------------------------ topic is not verdict


async def test_pages_about_errors_are_not_errors(web):
    about_404 = article(
        "404-fel: så hittar du trasiga länkar på bibliotekets webbplats",
        [
            "När en besökare får beskedet ”Sidan kunde inte hittas” betyder det att "
            "adressen inte längre leder någonstans. Det kallas ett 404-fel."
        ]
        + [LOREM * 3] * 6,
    )
    book = article(
        "Not Found – en roman av Maja Lind",
        ["Not Found är en roman om en arkivarie som letar efter ett försvunnet brev."]
        + [LOREM * 2] * 5,
    )
    english = article(
        "Error 404: what it means and how to fix broken links",
        [
            "If a page cannot be found, the server answers 404 Not Found. When the page "
            "you requested does not exist, a good site offers a search."
        ]
        + [LOREM * 3] * 6,
    )
    site = web.site(
        "topic.test",
        {
            "/artiklar/404-fel": web.html(about_404),
            "/bocker/not-found": web.html(book),
            "/guider/404-sidor-och-soft-404": web.html(english),
        },
    )
    async with web.checker() as checker:
        results = [await checker.check(site.url(path)) for path in site.routes]
    assert [(r.status, r.reason) for r in results] == [("ok", "ok")] * 3, [
        r.detail for r in results
    ]


async def test_gone_pages_in_wordings_no_example_listed_are_broken(web):
    pages = {
        "/sv/hoppsan": page("Hoppsan…", "<p>Dokumentet är inte längre tillgängligt.</p>"),
        "/no/side": page("Beklager", "<p>Siden du leter etter finnes ikke.</p>"),
        "/da/side": page("Ups!", "<p>Vi kunne desværre ikke finde den side, du leder efter.</p>"),
        "/fi/sivu": page("Hups", "<p>Valitettavasti etsimääsi sivua ei löytynyt.</p>"),
        "/fi-sv/sida": page("Ett fel uppstod", "<p>Sidan du efterfrågar har tagits bort.</p>"),
        "/en/item": page("Archive", "<p>This publication is no longer available.</p>"),
        "/sv/annons": page("Platsannons", "<p>Ansökningstiden har gått ut.</p>"),
        "/sv/heading": page("Sidan hittades inte | Region Exempel", "<p>Prova sökningen.</p>"),
    }
    site = web.site("gone.test", {path: web.html(body) for path, body in pages.items()})
    async with web.checker() as checker:
        results = {path: await checker.check(site.url(path)) for path in pages}
    assert {p: (r.status, r.reason) for p, r in results.items()} == {
        p: ("broken", "soft_404") for p in pages
    }
    assert "inte längre tillgängligt" in results["/sv/hoppsan"].detail


async def test_gone_pages_said_in_the_ways_sites_say_it_are_broken(web):
    # Each wording follows a rule of its language, not a listed phrase: the verb before
    # its subject after an adverbial, "may have been", "is missing", a terse sentence
    # about any one thing, an event that is over, a bare page that only says 404.
    pages = {
        "/sv/omvant": page("Ett fel", "<p>Av någon anledning hittas inte sidan du sökte.</p>"),
        "/sv/kanske": page("Fel", "<p>Sidan du letar efter kan ha flyttats eller tagits bort.</p>"),
        "/sv/kort": page("Kartarkivet", "<p>Kartan kunde inte hittas.</p>"),
        "/sv/konsert": page("Konserthuset", "<p>Konserten har redan ägt rum.</p>"),
        "/no/kanskje": page("Oi", "<p>Siden kan ha blitt flyttet.</p>"),
        "/da/mangler": page("Øv", "<p>Siden, du leder efter, mangler.</p>"),
        "/fi/sisalto": page("Hups", "<p>Sisältöä ei löytynyt.</p>"),
        "/en/may": page("Sorry", "<p>The page you requested may have been removed.</p>"),
        "/en/missing": page("Hmm", "<p>Looks like the page you wanted is missing.</p>"),
        "/en/seem": page("Oh dear", "<p>We can't seem to find the page you asked for.</p>"),
        "/en/event": page("Events", "<p>This event has already ended.</p>"),
        "/sv/adressen": page("Stadsarkivet", "<p>Vi hittade tyvärr inte adressen.</p>"),
        "/bare": "<html><body><p>404</p><p>Tillbaka</p></body></html>",
    }
    site = web.site("said.test", {path: web.html(body) for path, body in pages.items()})
    async with web.checker() as checker:
        results = {path: await checker.check(site.url(path)) for path in pages}
    assert {p: (r.status, r.reason) for p, r in results.items()} == {
        p: ("broken", "soft_404") for p in pages
    }


async def test_maintenance_said_without_a_listed_phrase_is_unverified(web):
    # The work being done together with "for a while" (or "temporarily down").
    notices = {
        "/sv": page("Biblioteket", "<p>Vi uppdaterar katalogen. Försök igen om en stund.</p>"),
        "/sv-tjanst": page("E-tjänster", "<p>Tjänsten är tillfälligt otillgänglig.</p>"),
        "/sv-drift": page("Driftstörning", "<p>Vi arbetar med att lösa problemet.</p>"),
        "/fi": page("Kirjasto", "<p>Sivustoa huolletaan. Yritä myöhemmin uudelleen.</p>"),
        "/en": page("Catalogue", "<p>We're upgrading the catalogue and will be back shortly.</p>"),
    }
    site = web.site("works.test", {path: web.html(body) for path, body in notices.items()})
    async with web.checker(max_retries=0) as checker:
        results = {path: await checker.check(site.url(path)) for path in notices}
    assert {p: (r.status, r.reason) for p, r in results.items()} == {
        p: ("unverified", "maintenance") for p in notices
    }
    # The evidence is the sentence that says it, not a single word.
    assert results["/sv"].detail == 'the page says "vi uppdaterar katalogen"'
    assert "huolletaan" in results["/fi"].detail


async def test_glossaries_cited_messages_and_notices_are_not_errors(web):
    # Short pages that use the same words: a glossary entry defining its term, an error
    # message reported in a sentence, an explanation, a page that is updated regularly,
    # and a news item in which something could not be found.
    pages = {
        "/ordlista/dod-lank": page(
            "Död länk",
            "<p>En död länk är en länk till en sida som saknas: sidan har tagits bort eller "
            "flyttats.</p>",
        ),
        "/ordlista/webbadress": page(
            "Webbadress",
            "<p>Webbadress - den text man skriver i adressfältet. Sidan kan ha flyttats när "
            "adressen inte fungerar.</p>",
        ),
        "/felkoder": page(
            "Felkoder", "<p>Webbläsaren visar då meddelandet sidan kunde inte hittas.</p>"
        ),
        "/glossary/410": page(
            "410 Gone",
            "<p>An answer of 410 indicates that the page has been removed for good.</p>",
        ),
        "/oppettider": page(
            "Öppettider",
            "<p>Biblioteket har tillfälligt ändrade öppettider i sommar. Sidan uppdateras "
            "löpande.</p>",
        ),
        "/gator": page(
            "Gator och vägar", "<p>Kommunen sköter underhållet av gator och cykelvägar.</p>"
        ),
        "/nyheter/kartan": page(
            "Nyheter",
            "<p>Kartan kunde inte hittas trots flera sökningar i arkivet, berättar arkivarien.</p>",
        ),
    }
    site = web.site("words.test", {path: web.html(body) for path, body in pages.items()})
    async with web.checker() as checker:
        results = {path: await checker.check(site.url(path)) for path in pages}
    assert {p: (r.status, r.reason) for p, r in results.items()} == {
        p: ("ok", "ok") for p in pages
    }, {p: r.detail for p, r in results.items()}


async def test_a_200_page_that_is_the_sites_own_not_found_template_is_broken(web):
    # No known wording at all: only the sibling probe shows it is the site's error page.
    template = page("Stadsarkivet", "<p>Ojdå. Här blev det fel. Gå till startsidan.</p>")
    site = web.site(
        "template.test",
        {
            "/samlingar/kartor": web.html(template),
            "/samlingar/brev": web.html(article("Brevsamlingen", [LOREM * 2])),
        },
        fallback=web.html(template, status=404),
    )
    async with web.checker() as checker:
        gone = await checker.check(site.url("/samlingar/kartor"))
        real = await checker.check(site.url("/samlingar/brev"))
    assert (gone.status, gone.reason) == ("broken", "soft_404")
    assert "not-found page" in gone.detail
    assert (real.status, real.reason) == ("ok", "ok")


async def test_maintenance_pages_are_unverified_not_broken(web):
    notice = page("Underhåll", "<p>Webbplatsen genomgår schemalagt underhåll. Välkommen åter!</p>")
    site = web.site(
        "service.test",
        {
            "/e-tjanst": web.html(notice),
            "/katalog": web.html(notice, status=503),
        },
    )
    async with web.checker(max_retries=0) as checker:
        ok_status = await checker.check(site.url("/e-tjanst"))
        unavailable = await checker.check(site.url("/katalog"))
    assert (ok_status.status, ok_status.reason) == ("unverified", "maintenance")
    assert (unavailable.status, unavailable.reason) == ("unverified", "maintenance")


# ------------------------------------------------------------------ redirect targets


async def test_deep_link_sent_to_the_sites_search_is_broken(web):
    site = web.site(
        "search.test",
        {
            "/rapporter/2019/digital-delaktighet.pdf": web.redirect(
                "/sok?q=digital+delaktighet", 302
            ),
            "/nyheter/2018/ny-filial": web.redirect("/nyheter/", 301),
            "/sok": web.html(page("Sök", "<p>Sökresultat för din sökning.</p>")),
            "/nyheter/": web.html(article("Nyheter", [LOREM] * 3)),
            "/gamla-sidor/om-oss": web.redirect("/om-biblioteket/", 301),
            "/om-biblioteket/": web.html(article("Om biblioteket", [LOREM] * 3)),
        },
    )
    async with web.checker() as checker:
        to_search = await checker.check(site.url("/rapporter/2019/digital-delaktighet.pdf"))
        to_index = await checker.check(site.url("/nyheter/2018/ny-filial"))
        real_move = await checker.check(site.url("/gamla-sidor/om-oss"))
    assert (to_search.status, to_search.reason) == ("broken", "search_redirect")
    assert (to_index.status, to_index.reason) == ("broken", "search_redirect")
    assert (real_move.status, real_move.reason) == ("moved", "moved_permanently")


async def test_deep_link_sent_to_a_login_page_is_unverified(web):
    site = web.site(
        "intranet.test",
        {
            "/dokument/policy.pdf": web.redirect("/login?next=/dokument/policy.pdf", 302),
            "/login": web.html(page("Logga in", "<form><input type='password'></form>")),
        },
    )
    result = await web.check(site.url("/dokument/policy.pdf"))
    assert (result.status, result.reason) == ("unverified", "login_required")


async def test_redirect_to_another_organisations_front_page_is_broken(web):
    other = web.site("www.kommunen.se", {"/": web.html(article("Kommunen", [LOREM] * 3))})
    project = web.site(
        "projekt.digitalt.se", {"/material/handledning": web.redirect(other.url("/"), 301)}
    )
    result = await web.check(project.url("/material/handledning"))
    assert (result.status, result.reason) == ("broken", "home_redirect")
    assert result.other_site is True
    assert "another site" in result.detail


async def test_redirect_to_a_name_that_does_not_resolve_is_broken_dns(web):
    site = web.site("flytt.test", {"/guide": web.redirect("http://finns-inte.invalid/guide", 301)})
    result = await web.check(site.url("/guide"))
    assert (result.status, result.reason) == ("broken", "dns")


async def test_permanent_move_to_another_site_is_moved_and_flagged(web):
    new = web.site(
        "www.kulturradet.se", {"/guide/lasframjande": web.html(article("Guide", [LOREM]))}
    )
    same_org_new = web.site("www.bibliotek.se", {"/guide": web.html(article("Guide", [LOREM]))})
    old = web.site(
        "gamla.bibliotek.se",
        {
            "/guide/lasframjande": web.redirect(new.url("/guide/lasframjande"), 301),
            "/guide": web.redirect(same_org_new.url("/guide"), 301),
        },
    )
    async with web.checker() as checker:
        elsewhere = await checker.check(old.url("/guide/lasframjande"))
        same_site = await checker.check(old.url("/guide"))
    assert (elsewhere.status, elsewhere.reason, elsewhere.other_site) == (
        "moved", "moved_other_site", True,
    )  # fmt: skip
    assert elsewhere.to_json()["other_site"] is True
    assert (same_site.status, same_site.reason, same_site.other_site) == (
        "moved", "moved_permanently", False,
    )  # fmt: skip


# ------------------------------------------------------------------ empty answers


async def test_empty_200_to_an_html_address_is_broken_unless_the_type_says_otherwise(web):
    site = web.site(
        "empty.test",
        {
            "/sida.html": web.Reply(200, b""),
            "/blank": web.Reply(200, b"  \n  "),
            "/skal": web.html("<html><head></head><body> </body></html>"),
            "/api/status": web.Reply(200, b"", content_type="application/json"),
        },
    )
    async with web.checker() as checker:
        results = {path: await checker.check(site.url(path)) for path in site.routes}
    assert {p: (r.status, r.reason) for p, r in results.items()} == {
        "/sida.html": ("broken", "empty_response"),
        "/blank": ("broken", "empty_response"),
        "/skal": ("broken", "empty_response"),
        "/api/status": ("ok", "ok"),
    }


# ------------------------------------------------------------------ time


async def test_retry_after_as_an_http_date_is_honoured(web):
    answers = iter([429, 200])

    def limited(_request):
        status = next(answers, 200)
        when = format_datetime(datetime.now(UTC) + timedelta(seconds=2), usegmt=True)
        headers = [("Retry-After", when)] if status == 429 else []
        return web.html(article("Rapport", [LOREM]), status=status, headers=headers)

    site = web.site("datelimit.test", {"/rapport": limited})
    result = await web.check(site.url("/rapport"), probe_soft_404=False)
    assert (result.status, result.reason) == ("ok", "ok")
    hits = site.hits("/rapport")
    # HTTP dates have whole seconds: "in 2 s" is at least 1 s away.
    assert len(hits) == 2 and hits[1].at - hits[0].at >= 0.9  # it waited for the date


async def test_rate_limit_outlasting_the_deadline_is_unverified_never_broken(web):
    later = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    site = web.site(
        "busy.test",
        {
            "/a": web.html("slow down", status=429, headers=[("Retry-After", later)]),
            "/b": web.html("slow down", status=429, headers=[("Retry-After", "3600")]),
        },
    )
    async with web.checker() as checker:
        results = [await checker.check(site.url(p)) for p in ("/a", "/b")]
    assert [(r.status, r.reason) for r in results] == [("unverified", "rate_limited")] * 2
    # Not waited for an hour: each asked exactly once, then given up on.
    assert [len(site.hits(p)) for p in ("/a", "/b")] == [1, 1]


async def test_slow_but_answering_site_is_ok(web):
    site = web.site("trog.test", {"/sida": web.html(article("Sida", [LOREM]), delay=2.5)})
    result = await web.check(
        site.url("/sida"), timeout=20.0, read_timeout=8.0, probe_soft_404=False
    )
    assert (result.status, result.reason) == ("ok", "ok")


# ------------------------------------------------------------------ dates


async def test_dates_as_people_write_them(web):
    def dated(line, *, header="", aside=""):
        return (
            "<html><head><title>Rapport</title></head><body>"
            f"<header>{header}</header><main><h1>Rapport</h1><p>{LOREM}</p><p>{line}</p></main>"
            f"<aside>{aside}</aside></body></html>"
        )

    pages = {
        "/iso-tid": dated("Senast granskad: 2019-04-02T09:15"),
        "/andrad": dated("Senast ändrad 26/10 2018"),
        "/ar-forst": dated("Reviderad 2018.10.26"),
        "/punkter": dated("Sidan uppdaterades 26.10.2018 kl. 10.15"),
        "/veckodag": dated("Uppdaterad tisdag 26 oktober 2018 kl 14:59"),
        "/norska": dated("Sist oppdatert 14. desember 2020"),
        "/danska": dated("Opdateret den 3. marts 2019"),
        "/bara-sidhuvud": dated(
            "Ingen datering.",
            header="Idag: 1 december 2026. Uppdaterad 2026-12-01",
            aside="<h2>Nyheter</h2><p>Publicerad 2026-11-30: Nya öppettider</p>",
        ),
    }
    site = web.site("datum.test", {path: web.html(body) for path, body in pages.items()})
    async with web.checker(probe_soft_404=False) as checker:
        found = {p: (await checker.check(site.url(p))).modified for p in pages}
    assert found == {
        "/iso-tid": date(2019, 4, 2),
        "/andrad": date(2018, 10, 26),
        "/ar-forst": date(2018, 10, 26),
        "/punkter": date(2018, 10, 26),
        "/veckodag": date(2018, 10, 26),
        "/norska": date(2020, 12, 14),
        "/danska": date(2019, 3, 3),
        "/bara-sidhuvud": None,
    }


async def test_content_hashes_can_be_left_out_when_nobody_reads_them(web):
    site = web.site("hashless.test", {"/sida": web.html(article("Sida", [LOREM]))})
    async with web.checker(probe_soft_404=False) as checker:
        hashed = await checker.check(site.url("/sida"))
    async with web.checker(probe_soft_404=False, content_hashes=False) as checker:
        plain = await checker.check(site.url("/sida"))
    assert hashed.content_hash is not None and plain.content_hash is None
    assert (plain.status, plain.modified) == (hashed.status, hashed.modified)
