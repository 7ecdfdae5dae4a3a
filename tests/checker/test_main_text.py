"""Long pages: the verdict reads the ends of the main text, the whole stays exact (issue 12)."""

from __future__ import annotations

from datetime import date

from linkdir.checker import classify

TODAY = date(2026, 12, 1)


def _paragraphs(count: int, start: int = 0) -> tuple[str, list[str]]:
    words: list[str] = []
    html = []
    for number in range(start, start + count):
        chunk = [f"ord{number}x{k}" for k in range(12)]
        words.extend(chunk)
        # Irregular whitespace and inline markup, as real pages have.
        html.append(f"<p>\n  {' '.join(chunk[:5])}\t<b>{chunk[5]}</b>{' '.join(chunk[6:])}</p>\n")
    return "".join(html), words


def _page(main: str, title: str = "Artikel") -> bytes:
    return (
        f"<!doctype html><html lang='sv'><head><title>{title}</title></head><body>"
        f"<nav><a href='/'>Start</a></nav><main>{main}</main><footer>Biblioteket</footer>"
        "</body></html>"
    ).encode()


def test_the_whole_main_text_of_a_long_page_is_exact_when_asked_for():
    html, words = _paragraphs(600)  # ~60 KB of text: only its ends are read for the verdict
    page = classify.analyse(_page(f"<h1>Rubrik</h1>{html}"), "utf-8", today=TODAY)
    assert page is not None
    expected = " ".join(["Rubrik", *words])
    # <b>x</b>y: the text nodes are separate words, as they always were.
    assert page.main_text == expected


def test_a_date_at_the_bottom_of_a_long_page_is_read():
    html, _ = _paragraphs(600)
    main = f"<h1>Guide</h1>{html}<p>Senast uppdaterad 2019-04-02</p>"
    page = classify.analyse(_page(main), "utf-8", today=TODAY)
    assert page is not None
    assert page.modified == date(2019, 4, 2)


def test_a_long_list_of_links_under_a_not_found_heading_is_a_soft_404():
    links = "".join(
        f"<li><a href='/avdelning/{n}'>Avdelning nummer {n}</a></li>" for n in range(500)
    )
    main = f"<h1>Sidan kunde inte hittas</h1><ul>{links}</ul>"
    page = classify.analyse(_page(main, "Sidan kunde inte hittas"), "utf-8", today=TODAY)
    assert page is not None
    assert page.not_found


def test_a_long_article_under_the_same_heading_is_not_a_soft_404():
    html, _ = _paragraphs(600)
    main = f"<h1>Sidan kunde inte hittas</h1>{html}"
    page = classify.analyse(_page(main, "Sidan kunde inte hittas"), "utf-8", today=TODAY)
    assert page is not None
    assert not page.not_found


def test_main_text_bounds_hold_for_any_whitespace():
    nodes = []
    for number in range(2000):
        nodes.append(
            ["  ", "\n", "\xa0", f" ord{number} ", f"ord{number}\tsteg{number}\n", ""][number % 6]
        )
    full = " ".join(" ".join(nodes).split())
    text = classify.MainText(list(nodes), 100)
    low, high = text.size_bounds()
    assert low <= len(full) <= high
    assert full.startswith(text.head) and full.endswith(text.tail)
    for size in (40, 3000, len(full), len(full) + 1):
        assert text.shorter_than(size) == (len(full) < size)
    assert text.text == full
