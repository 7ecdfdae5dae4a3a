"""Freshness: the page's own last-updated date, and a content hash that ignores noise."""

from __future__ import annotations

import itertools
from datetime import date


def doc(head="", body=""):
    return (
        f"<html><head><title>Rapport</title>{head}</head><body><main><h1>Rapport</h1>"
        "<p>Bibliotekens arbete med digital delaktighet under pandemin.</p>"
        f"{body}</main></body></html>"
    )


async def test_modified_date_comes_from_every_kind_of_source(web):
    site = web.site(
        "dates.test",
        {
            "/header": web.html(
                doc(), headers=[("Last-Modified", "Wed, 03 Mar 2021 10:00:00 GMT")]
            ),
            "/og": web.html(
                doc('<meta property="article:modified_time" content="2020-05-17T08:00:00+02:00">')
            ),
            "/jsonld": web.html(
                doc(
                    '<script type="application/ld+json">{"@graph": [{"@type": "WebPage", '
                    '"datePublished": "2017-01-01", '
                    '"dateModified": "2019-11-30T12:00:00Z"}]}</script>'
                )
            ),
            "/sv-words": web.html(
                doc(body="<p class='meta'>Uppdaterad 26 oktober, 2018 kl 14:59</p>")
            ),
            "/sv-iso": web.html(doc(body="<footer>Senast uppdaterad: 2021-03-03</footer>")),
            "/en-words": web.html(doc(body="<p>Last updated: 3 March 2021</p>")),
            "/en-us": web.html(doc(body="<p>Updated March 4, 2021</p>")),
            "/none": web.html(doc()),
        },
    )
    async with web.checker(probe_soft_404=False) as checker:
        found = {p: (await checker.check(site.url(p))).modified for p in site.routes}
    assert found == {
        "/header": date(2021, 3, 3),
        "/og": date(2020, 5, 17),
        "/jsonld": date(2019, 11, 30),
        "/sv-words": date(2018, 10, 26),
        "/sv-iso": date(2021, 3, 3),
        "/en-words": date(2021, 3, 3),
        "/en-us": date(2021, 3, 4),
        "/none": None,
    }


async def test_page_date_wins_over_the_last_modified_header(web):
    site = web.site(
        "both.test",
        {
            "/page": web.html(
                doc(body="<p>Senast uppdaterad: 2016-09-01</p>"),
                headers=[("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT")],
            )
        },
    )
    result = await web.check(site.url("/page"))
    assert result.modified == date(2016, 9, 1)
    assert result.last_modified == "Mon, 01 Jan 2024 00:00:00 GMT"  # raw, for conditional GETs


async def test_last_modified_that_is_just_the_render_time_is_ignored(web):
    from email.utils import formatdate

    site = web.site(
        "dynamic.test",
        {"/page": lambda _r: web.html(doc(), headers=[("Last-Modified", formatdate(usegmt=True))])},
    )
    result = await web.check(site.url("/page"))
    assert result.modified is None


async def test_content_hash_ignores_markup_noise_but_sees_real_changes(web):
    counter = itertools.count(1000)

    def noisy(_request):
        n = next(counter)
        return web.html(
            "<html><head><title>Rapport</title><script>var t=" + str(n) + ";</script>"
            f"<style>.x{{color:#{n}}}</style></head><body>"
            f"<nav>Meny {n}</nav><div class='cookie-banner'>Vi använder kakor ({n})</div>"
            "<main><h1>Rapport</h1>   <p>Bibliotekens   arbete med\n digital delaktighet.</p>"
            f"<p>Sidan visades {n} gånger. "
            f"Hämtad 2024-05-0{n % 9 + 1} kl 12:{n % 60:02d}.</p></main>"
            f"<footer>© {n} Biblioteket</footer></body></html>"
        )

    site = web.site(
        "hash.test",
        {
            "/noisy": noisy,
            "/edited": web.html(doc(body="<p>Nu med ett nytt kapitel om äldre.</p>")),
            "/original": web.html(doc()),
        },
    )
    async with web.checker(probe_soft_404=False) as checker:
        first = await checker.check(site.url("/noisy"))
        second = await checker.check(site.url("/noisy"))
        original = await checker.check(site.url("/original"))
        edited = await checker.check(site.url("/edited"))
    assert first.content_hash is not None
    assert first.content_hash == second.content_hash
    assert original.content_hash != edited.content_hash
