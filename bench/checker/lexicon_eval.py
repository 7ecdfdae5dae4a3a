"""Accuracy of the checker's page judgement on real-world wordings, development and held-out halves.

    python bench/checker/lexicon_eval.py                  # both halves of both batches
    python bench/checker/lexicon_eval.py --batch 2 --half heldout
    python bench/checker/lexicon_eval.py --show-heldout   # list the held-out errors too

``tests/checker/data/phrases.tsv`` holds real not-found, removed, maintenance pages and
pages *about* errors (glossaries, articles), each with its source (a repository path or
a URL). Each row is split into a half by a hash of its source, fixed when the row was
collected and before any tuning: the checker was tuned on ``dev`` only
(``tests/checker/test_lexicon_dev.py`` keeps it right); ``heldout`` measures how well
that generalises. Each row becomes a page of its shape (a short status page in a site's
chrome, or a long article) and goes through ``classify.analyse()``.

A false alarm is a working page judged gone or down; a miss is a gone or down page
judged working.

Two batches: ``phrases.tsv`` (the first, 48 rows, whose held-out errors have been read
since), ``phrases_batch2.tsv`` (collected later, chiefly Swedish public-sector sites) and
``phrases_batch3.tsv`` (collected after the rules tuned on batch 2 were fixed).
Only the development half's errors are listed unless ``--show-heldout`` is given: tuning
reads those, the held-out half is counted. A half stays held out only while nobody tunes
on it; once its rows have been listed and read, it is "seen" (say so when quoting it).
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

DATA_DIR = Path(__file__).resolve().parents[2] / "tests" / "checker" / "data"
BATCHES = {
    1: DATA_DIR / "phrases.tsv",
    2: DATA_DIR / "phrases_batch2.tsv",
    3: DATA_DIR / "phrases_batch3.tsv",
}
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
    batch: int = 1


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


def rows(batches: tuple[int, ...] = tuple(BATCHES)) -> list[Row]:
    """Every row of the phrase tables of ``batches``."""
    found: list[Row] = []
    for batch in batches:
        with BATCHES[batch].open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\")
            found.extend(Row(**record, batch=batch) for record in reader)
    return found


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


def evaluate(half: str, batches: tuple[int, ...] = tuple(BATCHES)) -> list[Outcome]:
    """Every row of ``half`` (of ``batches``) with the checker's judgement."""
    return [Outcome(row, judge(row)) for row in rows(batches) if row.half == half]


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
    parser.add_argument("--batch", type=int, choices=sorted(BATCHES), action="append")
    parser.add_argument(
        "--show-heldout", action="store_true", help="list the held-out errors (spoils them)"
    )
    args = parser.parse_args()
    for batch in args.batch or sorted(BATCHES):
        for half in args.half or ["dev", "heldout"]:
            outcomes = evaluate(half, (batch,))
            print(f"batch {batch} {half:>8}: {summary(outcomes)}")
            if half == "heldout" and not args.show_heldout:
                continue
            for outcome in outcomes:
                if outcome.right:
                    continue
                row = outcome.row
                print(
                    f"          {row.expect} judged {outcome.judged} [{row.lang}] "
                    f"{row.title!r}: {row.body[:70]!r}  ({row.source})"
                )


if __name__ == "__main__":
    main()
