"""Charts as SVG built on the server: no JavaScript, readable in print and by screen readers.

Every chart is an ``<svg role="img">`` labelled by its ``<title>`` (and ``<desc>``) through
``aria-labelledby``. Every value is printed as text beside its bar (colour never carries meaning
alone: the series name is printed too), so a black-and-white printout says everything. Every
label is escaped with markupsafe: a walk title or a stop name typed by someone is text, never
markup. A value that is suppressed ("not enough answers") draws no bar and prints its text.
"""

from __future__ import annotations

import math
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


def _cut(label: str, limit: int) -> tuple[str, str]:
    """(shown text, <title> with the whole label or "") for a label cut to `limit` characters."""
    shown = label if len(label) <= limit else label[: limit - 1] + "…"
    return shown, (f"<title>{escape(label)}</title>" if shown != label else "")


def _label(x: int, y: int, label: str) -> str:
    shown, whole = _cut(label, MAX_LABEL_CHARS)
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


# --- The compass (spider) chart of the appropriation index, after the Place Standard tool ------

SPIDER_RADIUS = 110
SPIDER_RINGS = (0.25, 0.5, 0.75, 1.0)
# Axis labels sit around the ring, where room is short: cut sooner than the bar charts' labels.
SPIDER_LABEL_CHARS = 28
LINE_HEIGHT = 14
# Outline of each series' polygon: the dash tells the series apart in greyscale, the printed
# "series: value" lines say which is which.
SERIES_DASHES = ("", "6 3", "2 2", "8 3 2 3")


@dataclass(frozen=True)
class SpiderSeries:
    name: str  # e.g. "Before the works"
    values: tuple[float | None, ...]  # one per axis; None: nothing to draw (suppressed)
    texts: tuple[str, ...]  # one per axis, printed: e.g. "63 (n = 40)" or "not enough answers"


def _text(x: float, y: float, anchor: str, body: str, size: int = 12) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
        f'fill="currentColor">{body}</text>'
    )


def _dash(si: int) -> str:
    dash = SERIES_DASHES[si % len(SERIES_DASHES)]
    return f' stroke-dasharray="{dash}"' if dash else ""


@dataclass(frozen=True)
class _Compass:
    cx: float
    cy: float
    count: int  # axes

    def at(self, i: float, radius: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / self.count  # the first axis up, clockwise
        return self.cx + radius * math.cos(angle), self.cy + radius * math.sin(angle)


def _spider_grid(c: _Compass, max_value: float) -> list[str]:
    parts = []
    for fraction in SPIDER_RINGS:
        r = SPIDER_RADIUS * fraction
        parts.append(
            f'<circle cx="{c.cx}" cy="{c.cy}" r="{r:.1f}" fill="none" stroke="currentColor" '
            f'stroke-width="0.5" stroke-opacity="0.5"/>'
        )
        # Each ring's value on it, halfway between the first two spokes: the points sit on the
        # spokes, so the numbers stay clear of them.
        x, y = c.at(0.5, r)
        parts.append(_text(x + 2, y - 2, "start", f"{max_value * fraction:.3g}", 10))
    for i in range(c.count):
        x, y = c.at(i, SPIDER_RADIUS)
        parts.append(
            f'<line x1="{c.cx}" y1="{c.cy}" x2="{x:.1f}" y2="{y:.1f}" stroke="currentColor" '
            f'stroke-width="0.5" stroke-opacity="0.5"/>'
        )
    return parts


def _spider_series(
    c: _Compass, si: int, s: SpiderSeries, axes: Sequence[str], max_value: float
) -> list[str]:
    """The series' polygon through its values (none without any) and a titled dot on each."""
    points = [
        (c.at(i, SPIDER_RADIUS * min(max(v / max_value, 0.0), 1.0)), axes[i], s.texts[i])
        for i, v in enumerate(s.values)
        if v is not None
    ]
    if not points:
        return []
    fill = SERIES_FILLS[si % len(SERIES_FILLS)]
    coords = " ".join(f"{x:.1f},{y:.1f}" for (x, y), _, _ in points)
    parts = [
        f'<polygon points="{coords}" fill="{fill}" fill-opacity="0.25" '
        f'stroke="currentColor" stroke-width="1.5"{_dash(si)}/>'
    ]
    for (x, y), axis, text in points:
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{fill}" stroke="currentColor">'
            f"<title>{escape(s.name)}, {escape(axis)}: {escape(text)}</title></circle>"
        )
    return parts


def _spider_labels(
    c: _Compass, shown: Sequence[tuple[str, str]], series: Sequence[SpiderSeries]
) -> list[str]:
    """Outside the ring, each axis label with one "series: text" line per series under it."""
    parts = []
    block = (1 + len(series)) * LINE_HEIGHT
    for i, (label, whole) in enumerate(shown):
        x, y = c.at(i, SPIDER_RADIUS + 10)
        dx, dy = x - c.cx, y - c.cy
        anchor = "middle" if abs(dx) < 0.3 * SPIDER_RADIUS else ("start" if dx > 0 else "end")
        if dy < -0.3 * SPIDER_RADIUS:  # above the ring: the block ends over it
            top = y - block + 10
        elif dy > 0.3 * SPIDER_RADIUS:  # below: it starts under it
            top = y + 12
        else:
            top = y - block / 2 + 10
        parts.append(_text(x, top, anchor, f"{escape(label)}{whole}"))
        for si, s in enumerate(series):
            line = f"{escape(s.name)}: {escape(s.texts[i])}"
            parts.append(_text(x, top + (si + 1) * LINE_HEIGHT, anchor, line))
    return parts


def _spider_legend(top: float, series: Sequence[SpiderSeries]) -> list[str]:
    """Each series' outline (its dash), then its name."""
    parts = []
    for si, s in enumerate(series):
        y = top + si * LINE_HEIGHT
        parts.append(
            f'<line x1="16" y1="{y - 4}" x2="40" y2="{y - 4}" stroke="currentColor" '
            f'stroke-width="1.5"{_dash(si)}/>'
        )
        parts.append(_text(46, y, "start", escape(s.name)))
    return parts


def spider_chart(
    chart_id: str,
    title: str,
    axes: Sequence[str],
    series: Sequence[SpiderSeries],
    *,
    desc: str = "",
    max_value: float = 100,
) -> Markup:
    """A compass (radar) chart: one spoke per axis from the centre (0) to the outer ring
    (max_value), rings at 25, 50, 75 and 100 % with their values, one outlined polygon per
    series through its values. Beside each axis label, one line per series, "name: text", so the
    chart reads without telling colours or dashes apart; a None value draws no point and its
    text (e.g. "not enough answers") is printed all the same. Without `desc`, the description
    read by screen readers lists every axis with the series' texts."""
    chart_id = _checked_id(chart_id)
    if len(axes) < 3:
        raise ValueError("a spider chart needs at least 3 axes")
    if not max_value > 0:
        raise ValueError("max_value must be positive")
    for s in series:
        if len(s.values) != len(axes) or len(s.texts) != len(axes):
            raise ValueError(f"series {s.name!r} needs one value and one text per axis")

    shown = [_cut(axis, SPIDER_LABEL_CHARS) for axis in axes]
    lines = [label for label, _ in shown] + [f"{s.name}: {t}" for s in series for t in s.texts]
    # Room around the ring for the label blocks: the longest line across, the block's lines down.
    margin_x = max(len(line) for line in lines) * CHAR_WIDTH + 16
    margin_y = (1 + len(series)) * LINE_HEIGHT + 16
    c = _Compass(margin_x + SPIDER_RADIUS, margin_y + SPIDER_RADIUS, len(axes))
    legend_top = c.cy + SPIDER_RADIUS + margin_y + 8
    width, height = 2 * c.cx, legend_top + LINE_HEIGHT * len(series) + 8

    parts = _spider_grid(c, max_value)
    for si, s in enumerate(series):
        parts += _spider_series(c, si, s, axes, max_value)
    parts += _spider_labels(c, shown, series)
    parts += _spider_legend(legend_top, series)
    if not desc:
        desc = " ".join(
            f"{axis} — " + ", ".join(f"{s.name}: {s.texts[i]}" for s in series) + "."
            for i, axis in enumerate(axes)
        )
    head = _head(chart_id, title, desc, width, height)
    return Markup(head + "".join(parts) + "</svg>")
