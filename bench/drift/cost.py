"""What content fingerprints cost: bytes per resource stored, CPU per check.

    .venv/bin/python bench/drift/cost.py [--resources 100000] [--pages 2000]

Storage: 100,000 resources each get a baseline and a recent fingerprint of a generated
page (300-2,000 words), written into the real ``content_baseline`` table of a SQLite
file; bytes per resource = file growth / resources (and the JSON's own length).
CPU: per page, building the fingerprint (``of_page``) and comparing it with a baseline
(``compare``), against the reference measured in the same run on the same pages: the
checker's own parse of the page (``classify.analyse``), which every check already pays.
Machines here are shared and noisy: read the ratios.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from sqlalchemy.schema import CreateTable  # noqa: E402

from linkdir.checker import classify  # noqa: E402
from linkdir.checker.fingerprint import compare, of_page  # noqa: E402
from linkdir.checks.drift_models import ContentBaseline  # noqa: E402
from linkdir.db import metadata  # noqa: E402

ROUNDS = 3
WORDS = (  # noqa: SIM905 - a paragraph of words reads better than a list
    "bibliotek biblioteket digital delaktighet medie informationskunnighet källkritik "
    "kompetens rapport undersökning statistik agenda strategi region kommun län äldre unga "
    "skola lärande kurs guide verktyg nätverk samverkan projekt tjänster folkbibliotek "
    "skolbibliotek demokrati yttrandefrihet desinformation nyheter medier säkerhet "
    "myndighet förvaltning tillgänglighet läsning litteratur barn familj språk svenska och "
    "att det som är för med den till av på ett har inte kan om vi de library report "
    "public access inclusion service training survey the and of to in is for with"
).split()


def page_html(rng: random.Random) -> str:
    words = rng.randint(300, 2000)
    paragraphs = []
    while words > 0:
        size = min(words, rng.randint(30, 120))
        paragraphs.append(" ".join(rng.choice(WORDS) for _ in range(size)))
        words -= size
    body = "".join(f"<p>{p}.</p>" for p in paragraphs)
    title = " ".join(rng.choice(WORDS) for _ in range(5))
    return (
        f"<html><head><title>{title} | Region</title><script>var a=1;</script></head><body>"
        "<header><nav><a href='/'>Start</a><a href='/om'>Om oss</a></nav></header>"
        f"<main><h1>{title}</h1>{body}</main><footer>Region · Kontakt</footer></body></html>"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=2000)
    args = parser.parse_args()
    rng = random.Random(14)
    today = date(2026, 12, 1)

    bodies = [page_html(rng).encode() for _ in range(args.pages)]
    pages = [p for p in (classify.analyse(b, "utf-8", today=today) for b in bodies) if p]
    prints = [of_page(p, b) for p, b in zip(pages, bodies, strict=True)]
    pairs = list(zip(prints, prints[1:] + prints[:1], strict=True))
    analyse_s = fingerprint_s = compare_s = float("inf")
    for _ in range(ROUNDS):  # the best of a few rounds: other work on the machine only adds
        started = time.perf_counter()
        for body in bodies:
            classify.analyse(body, "utf-8", today=today)
        analyse_s = min(analyse_s, time.perf_counter() - started)
        started = time.perf_counter()
        for page, body in zip(pages, bodies, strict=True):
            of_page(page, body)
        fingerprint_s = min(fingerprint_s, time.perf_counter() - started)
        started = time.perf_counter()
        for first, second in pairs:
            compare(first, second, resource_text="Digital agenda för biblioteken")
        compare_s = min(compare_s, time.perf_counter() - started)
    per = 1000 / len(pages)
    print(f"pages: {len(pages)}")
    print(f"reference, the check's own parse (classify.analyse): {analyse_s * per:.3f} ms/page")
    print(
        f"fingerprint (of_page): {fingerprint_s * per:.3f} ms/page "
        f"= {fingerprint_s / analyse_s:.2f} × the parse"
    )
    print(
        f"compare with the baseline: {compare_s * per:.3f} ms/page "
        f"= {compare_s / analyse_s:.2f} × the parse"
    )

    metadata()
    print(f"resources: {args.resources}")
    for label, with_recent in (("unchanged pages (baseline only)", False),
                               ("changed pages (baseline + recent)", True)):  # fmt: skip
        json_bytes, grown = store(args.resources, prints, with_recent=with_recent)
        print(
            f"{label}: fingerprint JSON {json_bytes / args.resources:.0f} bytes/resource; "
            f"SQLite content_baseline {grown / args.resources:.0f} bytes/resource "
            f"({grown / 1e6:.1f} MB in all)"
        )


def store(resources: int, prints: list[Any], *, with_recent: bool) -> tuple[int, int]:
    """(JSON bytes, SQLite file growth) of ``resources`` rows of content_baseline."""
    insert = (
        "INSERT INTO content_baseline (resource_id, url, baseline, recent, baseline_at) "
        "VALUES (?, ?, ?, ?, '2026-12-01 00:00:00')"
    )
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "cost.db"
        db = sqlite3.connect(path)
        db.execute(str(CreateTable(ContentBaseline.__table__).compile()))  # type: ignore[arg-type]
        db.commit()
        empty = path.stat().st_size
        json_bytes = 0
        rows = []
        for resource_id in range(1, resources + 1):
            baseline = json.dumps(prints[resource_id % len(prints)].to_json())
            recent = json.dumps(prints[(resource_id * 7) % len(prints)].to_json())
            recent = recent if with_recent else None
            json_bytes += len(baseline) + len(recent or "")
            rows.append((resource_id, f"https://example.se/{resource_id}", baseline, recent))
            if len(rows) == 5000:
                db.executemany(insert, rows)
                rows = []
        if rows:
            db.executemany(insert, rows)
        db.commit()
        db.execute("VACUUM")
        db.close()
        return json_bytes, path.stat().st_size - empty


if __name__ == "__main__":
    main()
