"""Realistic HTML pages for the checker benchmarks: navigation, a script, many paragraphs.

A Swedish public-sector page as a CMS renders it: a header with the date, a cookie
banner, a large navigation menu, an inline script, breadcrumbs, a main article of
``kb`` kilobytes of paragraphs with a few headings and a "Senast uppdaterad" line, a
news sidebar and a footer. Deterministic for a given (number, kb).
"""

from __future__ import annotations

import random

_WORDS = [
    "biblioteket",
    "digital",
    "delaktighet",
    "källkritik",
    "medborgare",
    "kommunen",
    "regionen",
    "tjänster",
    "information",
    "utbildning",
    "studiecirkel",
    "vuxna",
    "barn",
    "unga",
    "läsning",
    "litteratur",
    "samverkan",
    "handledning",
    "webbplats",
    "tillgänglighet",
    "e-tjänst",
    "myndighet",
    "rapport",
    "uppdrag",
    "verksamhet",
    "utveckling",
    "kompetens",
    "stöd",
    "material",
    "övning",
    "lärande",
    "skola",
    "folkbibliotek",
    "forskning",
    "arbetssätt",
    "samhälle",
    "demokrati",
    "språk",
    "nyanlända",
    "seniorer",
    "datorer",
    "surfplatta",
    "kurs",
]


def _paragraph(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(_WORDS) for _ in range(words))
    return f"<p>{text[0].upper()}{text[1:]}.</p>"


def page_html(number: int, kb: int = 40) -> bytes:
    """A page of about ``kb`` kilobytes (at least ~3 KB of chrome and text)."""
    rng = random.Random(number * 1000 + kb)
    nav = "".join(
        f"<li><a href='/omrade-{i}/'>{rng.choice(_WORDS).capitalize()}</a><ul>"
        + "".join(
            f"<li><a href='/omrade-{i}/sida-{j}'>{rng.choice(_WORDS)}</a></li>" for j in range(6)
        )
        + "</ul></li>"
        for i in range(8 if kb >= 10 else 2)
    )
    script = (
        "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}"
        "gtag('js',new Date());var menu=document.querySelectorAll('.menu li');"
        "for(var i=0;i<menu.length;i++){menu[i].addEventListener('click',function(e){"
        "this.classList.toggle('open')})}</script>"
    )
    head = (
        f"<!doctype html><html lang='sv'><head><meta charset='utf-8'>"
        f"<title>Dokument {number} – Stadsbiblioteket</title>"
        f"<meta name='viewport' content='width=device-width'>"
        f"<link rel='stylesheet' href='/static/site.css'>{script}</head><body>"
        f"<div class='cookie-consent'>Vi använder kakor. <button>OK</button></div>"
        f"<header><a href='/'>Stadsbiblioteket</a> <span>Idag: 1 december 2026</span>"
        f"<form role='search' action='/sok'><input name='q'></form></header>"
        f"<nav class='menu'><ul>{nav}</ul></nav>"
        f"<ol class='breadcrumbs'><li><a href='/'>Start</a></li><li>Dokument {number}</li></ol>"
        f"<main><article><h1>Dokument {number}: digital delaktighet</h1>"
    )
    tail = (
        f"<p>Senast uppdaterad: 2024-03-0{number % 9 + 1}</p></article></main>"
        "<aside class='news'><h2>Nyheter</h2><ul>"
        "<li>2026-11-30 Nya öppettider</li><li>2026-11-28 Bokcirkel</li></ul></aside>"
        "<footer><p>Stadsbiblioteket, Storgatan 1. Telefon 010-123 45 67.</p>"
        "<a href='/om/tillganglighet'>Tillgänglighet</a></footer></body></html>"
    )
    parts = [head]
    size = len(head) + len(tail)
    section = 0
    while size < kb * 1024:
        if section % 5 == 0:
            heading = f"<h2>Avsnitt {section // 5 + 1}</h2>"
            parts.append(heading)
            size += len(heading)
        paragraph = _paragraph(rng, rng.randint(30, 90))
        parts.append(paragraph)
        size += len(paragraph.encode())
        section += 1
    parts.append(tail)
    return "".join(parts).encode("utf-8")
