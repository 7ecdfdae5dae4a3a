"""Geometry of the report's stacked bar charts (server-side SVG: no script, no inline styles)."""

from __future__ import annotations

from datetime import date
from typing import Any

from linkdir.checks.vocabulary import verdict_label
from linkdir.errors import N_
from linkdir.i18n import format_day, format_number, gettext

CHART_WIDTH = 600
CHART_HEIGHT = 160
# Room for the axes' labels around the plot.
LEFT = 44
BOTTOM = 22
TOP = 8
COLOURS = {
    "ok": "#2e7d32",
    "moved": "#1565c0",
    "unverified": "#8a6d00",
    "suspect": "#a34700",
    "broken": "#b00020",
    "unchecked": "#5f6368",
}
# The checks-per-day chart counts checks, not links: a failed check is not a broken link.
CHECK_LABELS = {
    "ok": N_("Worked"),
    "moved": N_("Moved"),
    "unverified": N_("Could not be verified"),
    "broken": N_("Failed"),
}


def stacked_bars(
    history: list[tuple[date, dict[str, int]]],
    keys: tuple[str, ...],
    *,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Bars, a date axis (first, middle and last day) and a count axis for ``history``."""
    tallest = max((sum(counts.get(k, 0) for k in keys) for _, counts in history), default=0) or 1
    plot_width = CHART_WIDTH - LEFT
    plot_height = CHART_HEIGHT - BOTTOM - TOP
    slot = plot_width / max(1, len(history))
    baseline = float(CHART_HEIGHT - BOTTOM)

    def label(key: str) -> str:
        return gettext(labels[key]) if labels and key in labels else verdict_label(key)

    bars = []
    for index, (day, counts) in enumerate(history):
        bottom = baseline
        segments = []
        for key in keys:
            count = counts.get(key, 0)
            if count:
                height = count / tallest * plot_height
                bottom -= height
                segments.append(
                    {
                        "verdict": key,
                        "label": label(key),
                        "y": round(bottom, 1),
                        "height": round(height, 1),
                        "count": count,
                        "colour": COLOURS[key],
                    }
                )
        bars.append(
            {
                "day": day,
                "x": round(LEFT + index * slot + 1, 1),
                "width": round(max(slot - 2, 1), 1),
                "segments": segments,
                "counts": {key: counts.get(key, 0) for key in keys},
                "total": sum(counts.get(k, 0) for k in keys),
            }
        )
    ticks = []
    if history:
        last = len(history) - 1
        for index in sorted({0, len(history) // 2, last}):
            anchor = "start" if index == 0 else "end" if index == last else "middle"
            ticks.append(
                {
                    "x": round(LEFT + index * slot + slot / 2, 1),
                    "text": format_day(history[index][0], "short"),
                    "anchor": anchor,
                }
            )
    return {
        "bars": bars,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": LEFT,
        "top": TOP,
        "baseline": baseline,
        "tallest": tallest,
        "tallest_text": format_number(tallest),
        "ticks": ticks,
        "keys": [{"key": key, "label": label(key), "colour": COLOURS[key]} for key in keys],
        "any": any(bar["total"] for bar in bars),
    }
