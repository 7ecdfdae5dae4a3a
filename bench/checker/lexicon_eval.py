"""Accuracy of the checker's page judgement on real-world wordings, development and held-out halves.

    python bench/checker/lexicon_eval.py            # both halves, with every miss listed
    python bench/checker/lexicon_eval.py --half heldout

``tests/checker/data/phrases.tsv`` holds real not-found, removed, maintenance pages and
pages *about* errors (glossaries, articles), each with its source (a repository path or
a URL). Each row is split into a half by a hash of its source, fixed when the row was
collected and before any tuning: the checker was tuned on ``dev`` only
(``tests/checker/test_lexicon_dev.py`` keeps it right); ``heldout`` measures how well
that generalises. Each row becomes a page of its shape (a short status page in a site's
chrome, or a long article) and goes through ``classify.analyse()``.

A false alarm is a working page judged gone or down; a miss is a gone or down page
judged working.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
from dataclasses import dataclass
from datetime import date
from html import escape
from pathlib import Path

from linkdir.checker import classify

DATA = Path(__file__).resolve().parents[2] / "tests" / "checker" / "data" / "phrases.tsv"
TODAY = date(2026, 12, 1)
FILLER = (
    "Webbplatsen uppdateras löpande av redaktionen. Innehållet riktar sig till alla som "
    "arbetar med webbplatser, sökmotorer och användarupplevelse, och exemplen kommer "
    "från verkliga projekt hos kommuner, regioner och bibliotek. "
)


@dataclass(frozen=True)
class Row:
    half: str
    lang: str
    expect: str  # gone | maintenance | ok
    shape: str  # short | long
    source: str
    title: str
    h1: str
    body: str


@dataclass(frozen=True)
class Outcome:
    row: Row
    judged: str

    @property
    def right(self) -> bool:
        return self.row.expect == self.judged


def half_of(source: str) -> str:
    """The row's half, from a hash of its source (the rule the TSV was written with)."""
    return "dev" if int(hashlib.sha256(source.encode()).hexdigest(), 16) % 2 == 0 else "heldout"


def rows(path: Path = DATA) -> list[Row]:
    """Every row of the phrase table."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\")
        return [Row(**record) for record in reader]


def page_for(row: Row) -> bytes:
    """The row as a page: the site's chrome around a heading and the wording."""
    filler = "".join(f"<p>{FILLER * 3}</p>" for _ in range(8)) if row.shape == "long" else ""
    heading = f"<h1>{escape(row.h1)}</h1>" if row.h1 else ""
    return (
        f"<!doctype html><html><head><title>{escape(row.title)}</title></head><body>"
        "<header><a href='/'>Start</a><nav><a href='/om'>Om oss</a> <a href='/kontakt'>"
        "Kontakt</a></nav><form role='search' action='/sok'><input name='q'></form></header>"
        f"<main>{heading}<p>{escape(row.body)}</p>{filler}</main>"
        "<footer>Kontakt · Tillgänglighet · Cookies</footer></body></html>"
    ).encode()


def judge(row: Row) -> str:
    """What the checker makes of the row's page: gone, maintenance or ok."""
    page = classify.analyse(page_for(row), "utf-8", today=TODAY)
    if page is None:
        return "unparsed"
    if page.not_found:
        return "gone"
    return "maintenance" if page.maintenance else "ok"


def evaluate(half: str, path: Path = DATA) -> list[Outcome]:
    """Every row of ``half`` with the checker's judgement."""
    return [Outcome(row, judge(row)) for row in rows(path) if row.half == half]


def summary(outcomes: list[Outcome]) -> str:
    """One line: accuracy, false alarms among working pages, misses among gone pages."""
    working = [o for o in outcomes if o.row.expect == "ok"]
    down = [o for o in outcomes if o.row.expect != "ok"]
    false_alarms = sum(1 for o in working if not o.right)
    misses = sum(1 for o in down if o.judged == "ok")
    confused = sum(1 for o in down if not o.right and o.judged != "ok")
    right = sum(1 for o in outcomes if o.right)
    return (
        f"{right}/{len(outcomes)} right ({right / max(1, len(outcomes)):.0%}); "
        f"false alarms {false_alarms}/{len(working)}; misses {misses}/{len(down)}; "
        f"gone/maintenance confused {confused}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--half", choices=["dev", "heldout"], action="append")
    args = parser.parse_args()
    for half in args.half or ["dev", "heldout"]:
        outcomes = evaluate(half)
        print(f"{half:>8}: {summary(outcomes)}")
        for outcome in outcomes:
            if not outcome.right:
                row = outcome.row
                print(
                    f"          {row.expect} judged {outcome.judged} [{row.lang}] "
                    f"{row.title!r}: {row.body[:70]!r}  ({row.source})"
                )


if __name__ == "__main__":
    main()
