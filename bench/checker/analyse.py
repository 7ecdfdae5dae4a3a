"""Micro-benchmark of the checker's page analysis on realistic 3, 40 and 200 KB pages.

    python bench/checker/analyse.py [--rounds 5]

Per page size: CPU ms for ``classify.analyse()`` (parse, metadata, chrome removal, the
status wording, dates), for ``content_hash()`` of its main text (every check computes
it), and for lxml's parse alone, the floor any HTML analysis pays, measured in the same
run; the ratio against the parse is what to compare across machines. Best of
``--rounds`` (the machine is shared; the minimum is the least disturbed).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import lxml.etree  # noqa: E402
from pages import page_html  # noqa: E402

from linkdir.checker import classify  # noqa: E402
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(
        f"{'page':>7} {'bytes':>7} {'parse ms':>9} {'analyse ms':>10} {'x parse':>8} {'hash ms':>8}"
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
        print(
            f"{kb:>5}KB {len(body):>7} {parse:>9.3f} {analyse:>10.3f} {analyse / parse:>7.1f}x "
            f"{hashing:>8.3f}"
        )


if __name__ == "__main__":
    main()
