"""Micro-benchmark of the checker's page analysis on realistic 3, 40 and 200 KB pages.

    python bench/checker/analyse.py [--rounds 5]
    python bench/checker/analyse.py --dump /tmp/after.json [--compare /tmp/before.json]
    valgrind --tool=callgrind python bench/checker/analyse.py --once hash --calls 10 --kb 40

Per page size: CPU ms for ``classify.analyse()`` (parse, metadata, chrome removal, the
status wording, dates), for ``content_hash()`` of its main text and for
``fingerprint.of_page()`` of the page and its body (every check of a 2xx page computes
both), and for lxml's parse alone, the floor any HTML analysis pays, measured in the same
run; the ratio against the parse is what to compare across machines. Best of
``--rounds`` (the machine is shared; the minimum is the least disturbed).

``--dump`` is the differential check for changes that must not change a verdict or a
digest: every ``Page`` field, the content hash of the main text and every fingerprint
field of ~360 pages — the farm's pages in several sizes and seeds, with and without a
charset, the lexicon pages, the HTML in the checker tests, the rot pages, shapes that
steer the analysis's shortcuts (several or nested ``<main>``, chrome around or inside
it, no title, BOM, XML declaration, a mismatched ``<meta charset>``) and
latin-1/cp1252/truncated/binary/empty bodies — written as JSON. Run it on the old code
(``PYTHONPATH=<old src>``) and the new, then ``--compare`` the two: any page whose
fields differ is printed and the exit status is 1.

``--once analyse|hash|fingerprint`` makes ``--calls`` calls of one digest on one page and
nothing else, for an instruction count that does not depend on the machine's load:
run it under callgrind with ``--calls 0`` and ``--calls 10``; the difference / 10 is
one call.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))  # tests.checks.rot_pages

import lxml.etree  # noqa: E402
from pages import page_html  # noqa: E402

from linkdir.checker import classify, fingerprint  # noqa: E402
from linkdir.checker.freshness import content_hash  # noqa: E402

TODAY = date(2026, 12, 1)


def cpu_ms(work: Callable[[], object], repeat: int, rounds: int) -> float:
    """Best-of-rounds CPU milliseconds per call."""
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(repeat):
            work()
        best = min(best, (time.process_time() - started) / repeat * 1000)
    return best


def _test_html() -> Iterator[bytes]:
    """String constants that look like HTML in the checker's tests."""
    files = sorted((ROOT / "tests" / "checker").glob("*.py")) + sorted(
        (ROOT / "tests" / "checks").glob("test_checker_*.py")
    )
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str | bytes):
                value = node.value if isinstance(node.value, bytes) else node.value.encode()
                if b"<" in value and b">" in value and len(value) > 10:
                    yield value


def _shapes() -> Iterator[bytes]:
    """Pages whose shape decides which way the analysis goes."""
    long = "".join(
        f"<p>Stycke {i} om biblioteket och läsning, digital delaktighet.</p>" for i in range(400)
    )
    short = "<p>Sidan du söker finns inte. Gå till startsidan.</p>"
    chrome = (
        "<div class='cookie-consent'>Vi använder kakor.</div><header>Idag: 1 december 2026"
        "</header><nav class='menu'><a href='/'>Start</a> <a href='/a'>A</a></nav>"
    )
    side = "<aside><p>2026-11-30 Nyhet</p></aside><footer>Senast ändrad 2020-01-02</footer>"
    bodies = {
        "plain": f"<main><h1>Rubrik</h1>{long}<p>Uppdaterad 2023-04-01</p></main>",
        "two-mains": f"<main><h1>A</h1>{long}</main><main><h1>B</h1>{short}</main>",
        "main-in-nav": f"<nav><main><h1>Meny</h1>{short}</main></nav><div>{long}</div>",
        "main-in-menu": f"<div class='menu'><main>{short}</main></div><article>{long}</article>",
        "main-in-hidden": f"<div hidden><main>{short}</main></div><main>{long}</main>",
        "main-in-role": f"<div role='navigation'><main>{long}</main></div>",
        "chrome-in-main": f"<main><nav>x</nav><div class='share'>Dela</div>{long}{side}</main>",
        "role-main": f"<div role='main'><h1>404</h1>{short}</div>{long}",
        "article": f"<article><h1>Sidan kunde inte hittas</h1>{short}</article>",
        "no-main": f"<div><h1>Artikel</h1>{long}</div>",
        "not-found": f"<main><h1>Sidan kunde inte hittas</h1>{short}</main>",
        "error-topic": f"<main><h1>404 – Sidan saknas: om felkoder</h1>{long}</main>",
        "tails": f"<main><h1>T</h1><nav>n</nav> svans <span class='menu'>m</span> t{long}</main>",
        "aria-hidden": f"<main><h1>Om oss</h1><div aria-hidden='true'>Sidan finns inte</div>{short}"
        "<span id='skip'>Till innehållet</span></main>",
        "images": "<main><img src='a.png'></main>",
        "empty": "<main></main>",
        "moved": "<main><h1>Sidan har flyttat</h1><p>Den finns nu på en ny adress.</p></main>",
        "search": f"<main><h1>Sökresultat</h1>{short}</main>",
        "login": "<main><h1>Logga in</h1><form><input type='password'></form></main>",
        "parked": "<main><p>This domain is for sale! Buy this domain.</p></main>",
    }
    heads = {
        "titled": "<title>Sida – Stadsbiblioteket</title>",
        "untitled": "",
        "refresh": "<meta http-equiv='refresh' content='0; url=/ny'>",
        "script": "<script>var a = 1;</script>",
    }
    for body in bodies.values():
        for head in heads.values():
            yield (
                f"<!doctype html><html><head>{head}</head><body>{chrome}{body}{side}</body></html>"
            ).encode()
    yield (
        b'<?xml version="1.0" encoding="utf-8"?>'
        + f"<html><body>{bodies['plain']}</body></html>".encode()
    )
    for size in (2990, 3010, 5990, 6005, 6010, 6050, 7999, 8005):  # around the text windows
        words = " ".join(f"ord{i}" for i in range(size // 5))[: size - 60]
        yield (
            "<html><head><title>Sidan kunde inte hittas</title></head><body><main><h1>Rubrik</h1>"
            f"<p>Publicerad 2020-01-0{size % 9 + 1}</p><p>{words}</p><p>Uppdaterad 2023-04-01</p>"
            "</main></body></html>"
        ).encode()
    yield b"\xef\xbb\xbf" + f"<html><body>{bodies['not-found']}</body></html>".encode()
    mismatched = (
        f"<html><head><meta charset='iso-8859-1'></head><body>{bodies['plain']}</body></html>"
    ).encode()
    yield mismatched
    yield mismatched.replace(b"iso-8859-1", b"windows-1251")
    yield b'<meta charset="utf-16">' + mismatched
    yield f"<html><head><meta charset='utf-8'></head><body>{bodies['plain']}</body></html>".encode(
        "cp1252"
    )
    yield b"<html><body><p>Nul\x00byte och \x01kontroll</p></body></html>"


def corpus() -> Iterator[tuple[str, bytes, str | None]]:
    """(name, body, header charset) of every page of the differential check."""
    import lexicon_eval
    from tests.checks import rot_pages

    for kb in (1, 3, 10, 40, 80, 200):
        for number in (1, 11, 12):
            body = page_html(number, kb)
            yield f"farm {kb}KB #{number}", body, "utf-8"
            yield f"farm {kb}KB #{number} no charset", body, None
    page = page_html(7, 40)
    yield "farm latin-1", page.decode().encode("latin-1", "replace"), "iso-8859-1"
    yield "farm cp1252 unlabelled", page.decode().encode("cp1252", "replace"), None
    yield "farm truncated mid-character", page[: page.index("ä".encode()) + 1], "utf-8"
    yield "farm truncated at 30000", page[:30000], "utf-8"
    yield "binary", bytes(range(256)) * 8, None
    yield "empty", b"", "utf-8"
    yield "blank", b"   \n ", "utf-8"
    for row in lexicon_eval.rows():
        yield f"lexicon {row.source}", lexicon_eval.page_for(row), "utf-8"
    for number, html in enumerate(_test_html()):
        yield f"test html {number}", html, None
    for kwargs in ({}, {"cookie": True}, {"sidebar": ["2026-11-30 Nyhet"]}, {"wrapper": "article"},
                   {"wrapper": "div"}):  # fmt: skip
        yield f"rot agenda {kwargs}", rot_pages.agenda(**kwargs).encode(), "utf-8"
        yield f"rot report {kwargs}", rot_pages.report(**kwargs).encode(), "utf-8"
    for number, html in enumerate(_shapes()):
        yield f"shape {number}", html, None
        yield f"shape {number} utf-8", html, "utf-8"


def _fields(page: classify.Page | None, body: bytes) -> object:
    if page is None:
        return None
    fields = {
        name: getattr(page, name) for name in classify.Page.__dataclass_fields__ if name != "main"
    }
    fields["main_text"] = page.main_text
    fields["main_hash"] = content_hash(page.main_text, squashed=True)
    fields["main_hash_unsquashed"] = content_hash(page.main_text)
    printed = fingerprint.of_page(page, body)
    for name in fingerprint.Fingerprint.__dataclass_fields__:
        fields[f"fingerprint.{name}"] = getattr(printed, name)
    fields["fingerprint.json"] = json.dumps(printed.to_json(), ensure_ascii=False)
    return {key: value if isinstance(value, str | bool | None) else repr(value)
            for key, value in fields.items()}  # fmt: skip


def dump(path: Path, compare: Path | None) -> int:
    """Write every corpus page's fields to ``path``; 1 if they differ from ``compare``."""
    pages = {name: _fields(classify.analyse(body, charset, today=TODAY), body)
             for name, body, charset in corpus()}  # fmt: skip
    path.write_text(json.dumps(pages, ensure_ascii=False, indent=0))
    print(f"{len(pages)} pages written to {path}")
    if compare is None:
        return 0
    before = json.loads(compare.read_text())
    differing = [
        name for name in pages.keys() | before.keys() if pages.get(name) != before.get(name)
    ]
    for name in sorted(differing):
        old, new = before.get(name), pages.get(name)
        keys = sorted(k for k in (old or {}).keys() | (new or {}).keys()
                      if (old or {}).get(k) != (new or {}).get(k))  # fmt: skip
        print(f"DIFFERS: {name}: {', '.join(keys) or 'parsed/unparsed'}")
    print(f"{len(pages) - len(differing)} of {len(pages)} pages identical to {compare}")
    return 1 if differing else 0


def once(digest: str, calls: int, kb: int) -> None:
    """``calls`` calls of one digest on the farm page of ``kb`` KB (for callgrind)."""
    body = page_html(11, kb)
    page = classify.analyse(body, "utf-8", today=TODAY)
    assert page is not None
    for _ in range(calls):
        if digest == "analyse":
            classify.analyse(body, "utf-8", today=TODAY)
        elif digest == "hash":
            content_hash(page.main_text, squashed=True)
        else:
            fingerprint.of_page(page, body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--dump", type=Path, help="write every corpus page's fields here")
    parser.add_argument("--compare", type=Path, help="a --dump of other code to compare with")
    parser.add_argument("--once", choices=("analyse", "hash", "fingerprint"), help="only this step")
    parser.add_argument("--calls", type=int, default=10, help="--once: calls to make")
    parser.add_argument("--kb", type=int, default=40, help="--once: the farm page's size")
    args = parser.parse_args()
    if args.dump:
        sys.exit(dump(args.dump, args.compare))
    if args.once:
        once(args.once, args.calls, args.kb)
        return
    print(
        f"{'page':>7} {'bytes':>7} {'parse ms':>9} {'analyse ms':>10} {'x parse':>8} {'hash ms':>8}"
        f" {'fingerprint ms':>14}"
    )
    for kb in (3, 40, 200):
        body = page_html(11, kb)
        repeat = max(5, 2000 // kb)
        page = classify.analyse(body, "utf-8", today=TODAY)
        assert page is not None and page.modified is not None and not page.not_found
        text = body.decode("utf-8")
        parse = cpu_ms(
            lambda t=text: lxml.etree.fromstring(t, classify._PARSER), repeat, args.rounds
        )
        analyse = cpu_ms(
            lambda b=body: classify.analyse(b, "utf-8", today=TODAY), repeat, args.rounds
        )
        hashing = cpu_ms(lambda m=page.main_text: content_hash(m), repeat, args.rounds)
        printing = cpu_ms(lambda p=page, b=body: fingerprint.of_page(p, b), repeat, args.rounds)
        print(
            f"{kb:>5}KB {len(body):>7} {parse:>9.3f} {analyse:>10.3f} {analyse / parse:>7.1f}x "
            f"{hashing:>8.3f} {printing:>14.3f}"
        )


if __name__ == "__main__":
    main()
