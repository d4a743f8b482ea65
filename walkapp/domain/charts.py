"""Charts as SVG built on the server: no JavaScript, readable in print and by screen readers.

Every chart is an ``<svg role="img">`` labelled by its ``<title>`` (and ``<desc>``) through
``aria-labelledby``. Every value is printed as text beside its bar (colour never carries meaning
alone: the series name is printed too), so a black-and-white printout says everything. Every
label is escaped with markupsafe: a walk title or a stop name typed by someone is text, never
markup. A value that is suppressed ("not enough answers") draws no bar and prints its text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

ROW_HEIGHT = 22
BAR_HEIGHT = 14
BAR_WIDTH = 300
TOP = 8
# Text is 12 px: about 7 px a character on average. Label columns grow with the longest label
# up to MAX_LABEL_CHARS; a longer label is cut with "…" and kept whole in its <title> (a tooltip
# and the accessible name) and in the chart's <desc>.
CHAR_WIDTH = 7
MAX_LABEL_CHARS = 48
# Fills that differ in lightness too (they stay apart in greyscale print); the text says which.
SERIES_FILLS = ("#2b5c8a", "#9fc0de", "#6b4c9a", "#d6b656")

_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: nothing to draw (suppressed or missing)
    text: str  # printed after the bar, e.g. "42 % (n = 17)" or "not enough answers"


@dataclass(frozen=True)
class Group:
    label: str
    bars: tuple[Bar, ...]  # one per series, in the series' order


def _checked_id(chart_id: str) -> str:
    if not _ID.fullmatch(chart_id):
        raise ValueError(f"chart id must match {_ID.pattern}")
    return chart_id


def _head(chart_id: str, title: str, desc: str, width: int, height: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>'
    )


def _label(x: int, y: int, label: str) -> str:
    shown = label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1] + "…"
    whole = f"<title>{escape(label)}</title>" if shown != label else ""
    return (
        f'<text x="{x}" y="{y}" text-anchor="end" font-size="12" fill="currentColor">'
        f"{escape(shown)}{whole}</text>"
    )


def _bar_row(y: int, bar: Bar, scale: float, fill: str, label: str, left: int) -> str:
    parts = [_label(left - 6, y + BAR_HEIGHT - 3, label)] if label else []
    length = 0.0
    if bar.value is not None and bar.value > 0 and scale > 0:
        length = min(bar.value / scale, 1.0) * BAR_WIDTH
        parts.append(
            f'<rect x="{left}" y="{y}" width="{length:.1f}" height="{BAR_HEIGHT}" '
            f'fill="{fill}" stroke="currentColor" stroke-width="0.5"/>'
        )
    parts.append(
        f'<text x="{left + length + 6:.1f}" y="{y + BAR_HEIGHT - 3}" font-size="12" '
        f'fill="currentColor">{escape(bar.text)}</text>'
    )
    return "".join(parts)


def _widths(labels: Sequence[str], texts: Sequence[str]) -> tuple[int, int]:
    """(label column, whole chart) in px, from the longest label and value text."""
    longest_label = min(max((len(t) for t in labels), default=0), MAX_LABEL_CHARS)
    longest_text = max((len(t) for t in texts), default=0)
    left = longest_label * CHAR_WIDTH + 12
    return left, left + BAR_WIDTH + longest_text * CHAR_WIDTH + 12


def _scale(values: Sequence[float | None], max_value: float | None) -> float:
    if max_value is not None:
        return max_value
    return max((v for v in values if v is not None), default=0.0)


def bar_chart(
    chart_id: str,
    title: str,
    bars: Sequence[Bar],
    *,
    desc: str = "",
    max_value: float | None = None,
) -> Markup:
    """A horizontal bar chart: one row per bar, its label left, its value printed right."""
    chart_id = _checked_id(chart_id)
    scale = _scale([b.value for b in bars], max_value)
    left, width = _widths([b.label for b in bars], [b.text for b in bars])
    height = TOP * 2 + ROW_HEIGHT * max(len(bars), 1)
    rows = [
        _bar_row(TOP + i * ROW_HEIGHT, bar, scale, SERIES_FILLS[0], bar.label, left)
        for i, bar in enumerate(bars)
    ]
    return Markup(_head(chart_id, title, desc, width, height) + "".join(rows) + "</svg>")


def grouped_bar_chart(
    chart_id: str,
    title: str,
    groups: Sequence[Group],
    series: Sequence[str],
    *,
    desc: str = "",
    max_value: float | None = None,
) -> Markup:
    """Several bars per group (e.g. day and night per place); each bar's text starts with its
    series name, so the chart reads without telling colours apart."""
    chart_id = _checked_id(chart_id)
    scale = _scale([b.value for g in groups for b in g.bars], max_value)
    named = [
        [
            Bar(b.label, b.value, f"{name}: {b.text}")
            for name, b in zip(series, g.bars, strict=False)
        ]
        for g in groups
    ]
    left, width = _widths([g.label for g in groups], [b.text for bars in named for b in bars])
    per_group = ROW_HEIGHT * max(len(series), 1) + 8
    height = TOP * 2 + per_group * max(len(groups), 1)
    rows = []
    for gi, (group, bars) in enumerate(zip(groups, named, strict=True)):
        y0 = TOP + gi * per_group
        for si, bar in enumerate(bars):
            fill = SERIES_FILLS[si % len(SERIES_FILLS)]
            label = group.label if si == 0 else ""
            rows.append(_bar_row(y0 + si * ROW_HEIGHT, bar, scale, fill, label, left))
    return Markup(_head(chart_id, title, desc, width, height) + "".join(rows) + "</svg>")
