"""Drift verdicts on the calibration set: both error kinds, development and held-out halves.

    .venv/bin/python bench/drift/run.py [--sweep]

Reads bench/drift/pairs.json (built by collect.py) and judges every pair with
``linkdir.checker.fingerprint.compare`` as the monitoring does. *False alarm*: a page's
later version called replaced. *Miss*: replaced content called the same resource.
``--sweep`` shows the development half's errors for other thresholds (how
REPLACED_BELOW was chosen; the held-out half is not looked at).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from linkdir.checker import fingerprint  # noqa: E402
from linkdir.checker.fingerprint import Fingerprint, compare  # noqa: E402

HERE = Path(__file__).resolve().parent


def load() -> list[dict[str, object]]:
    pairs = json.loads((HERE / "pairs.json").read_text())["pairs"]
    for pair in pairs:
        pair["fa"] = Fingerprint.from_json(pair["a"])
        pair["fb"] = Fingerprint.from_json(pair["b"])
    return pairs


def errors(pairs: list[dict[str, object]], split: str) -> dict[tuple[str, str], list[int]]:
    """(lang, kind) -> [pairs, wrong] for one half."""
    table: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for pair in pairs:
        if pair["split"] != split:
            continue
        verdict = compare(pair["fa"], pair["fb"])  # type: ignore[arg-type]
        wrong = verdict.replaced != (pair["label"] == "replaced")
        cell = table[(str(pair["lang"]), str(pair["kind"]))]
        cell[0] += 1
        cell[1] += int(wrong)
    return table


def summary(table: dict[tuple[str, str], list[int]]) -> tuple[str, str]:
    same = [v for (_, kind), v in table.items() if kind.startswith("later_version")]
    replaced = [v for (_, kind), v in table.items() if not kind.startswith("later_version")]
    alarms = sum(v[1] for v in same), sum(v[0] for v in same)
    misses = sum(v[1] for v in replaced), sum(v[0] for v in replaced)
    return (
        f"{alarms[0]}/{alarms[1]} ({100 * alarms[0] / max(1, alarms[1]):.1f} %)",
        f"{misses[0]}/{misses[1]} ({100 * misses[0] / max(1, misses[1]):.1f} %)",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", action="store_true")
    args = parser.parse_args()
    pairs = load()
    if args.sweep:
        print("| REPLACED_BELOW | false alarms (dev) | misses (dev) |")
        print("|---|---|---|")
        for threshold in (0.1, 0.2, 0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7):
            fingerprint.REPLACED_BELOW = threshold
            alarms, misses = summary(errors(pairs, "dev"))
            print(f"| {threshold:.2f} | {alarms} | {misses} |")
        return
    for split in ("dev", "held_out"):
        table = errors(pairs, split)
        alarms, misses = summary(table)
        print(f"\n{split}: false alarms {alarms}, misses {misses}")
        print("| language | kind | pairs | wrong |")
        print("|---|---|---|---|")
        for (lang, kind), (count, wrong) in sorted(table.items()):
            print(f"| {lang} | {kind} | {count} | {wrong} |")


if __name__ == "__main__":
    main()
