"""Charts drawn on the server as inline SVG.

Why SVG from the server rather than a JavaScript library: the console's
figures are a few dozen points, computed on the server anyway; an ``<svg>``
element needs no script, no vendored asset and no network, prints, and can be
read by a test from the HTML alone. Each point carries a ``<title>`` (the
browser's tooltip), and each chart a ``data-points`` attribute with the
number of non-zero points, so a page (and its tests) can tell an empty chart
from one with data.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

#: colour of each series in turn (the admin's palette, readable on white and dark)
PALETTE = ("#417690", "#e07b39", "#5b9d45", "#a34c8e", "#c9a227", "#6f6f6f", "#2f8f9d")
WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 28


def _number(value: float, percent: bool) -> str:
    if percent:
        return f"{value * 100:.1f}%"
    if float(value).is_integer() or abs(value) >= 10:
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def _frame(title: str, points: int, body: str, legend: Sequence[tuple[str, str]]) -> SafeString:
    keys = "".join(
        format_html(
            '<li><span class="personalize-swatch" style="background:{}"></span>{}</li>', c, n
        )
        for n, c in legend
    )
    svg = format_html(
        '<figure class="personalize-chart" data-points="{}">'
        '<figcaption>{}</figcaption>'
        '<svg viewBox="0 0 {} {}" width="100%" role="img" aria-label="{}">{}</svg>'
        '<ul class="personalize-legend">{}</ul></figure>',
        points,
        title,
        WIDTH,
        HEIGHT,
        title,
        mark_safe(body),
        mark_safe(keys),
    )
    return svg


def _axes(top: float, labels: Sequence[str], percent: bool) -> str:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = []
    for step in range(5):
        value = top * step / 4
        y = TOP + plot_h - plot_h * step / 4
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#ccc" stroke-width="0.5"/>'
            f'<text x="{LEFT - 4}" y="{y + 3:.1f}" text-anchor="end" font-size="10" '
            f'fill="currentColor">{escape(_number(value, percent))}</text>'
        )
    every = max(1, len(labels) // 8)
    for index, label in enumerate(labels):
        if index % every:
            continue
        x = LEFT + (plot_w * index / max(1, len(labels) - 1) if len(labels) > 1 else plot_w / 2)
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="middle" font-size="10" '
            f'fill="currentColor">{escape(label)}</text>'
        )
    return "".join(parts)


def _top(values: Sequence[float]) -> float:
    top = max(values, default=0.0)
    return top if top > 0 else 1.0


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    percent: bool = False,
) -> SafeString:
    """A line per series over ``labels`` (days, say); ``percent`` shows values
    in ``[0, 1]`` as percentages."""
    top = _top([v for values in series.values() for v in values])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    body, legend, points = [_axes(top, labels, percent)], [], 0
    for number, (name, values) in enumerate(series.items()):
        colour = PALETTE[number % len(PALETTE)]
        legend.append((name, colour))
        coords = []
        for index, value in enumerate(values):
            x = LEFT + (plot_w * index / (len(values) - 1) if len(values) > 1 else plot_w / 2)
            y = TOP + plot_h - plot_h * value / top
            coords.append((x, y, labels[index] if index < len(labels) else "", value))
            points += bool(value)
        polyline = " ".join(f"{x:.1f},{y:.1f}" for x, y, _l, _v in coords)
        body.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{polyline}"/>'
        )
        body.extend(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"><title>'
            f"{escape(name)}, {escape(label)}: {escape(_number(value, percent))}</title></circle>"
            for x, y, label, value in coords
        )
    return _frame(title, points, "".join(body), legend)


def bar_chart(
    title: str, bars: Sequence[tuple[str, float]], *, percent: bool = False
) -> SafeString:
    """One bar per ``(label, value)``."""
    top = _top([value for _label, value in bars])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    labels = [label for label, _value in bars]
    body, points = [], 0
    slot = plot_w / max(1, len(bars))
    for index, (label, value) in enumerate(bars):
        height = plot_h * value / top
        x = LEFT + slot * index + slot * 0.15
        colour = PALETTE[index % len(PALETTE)]
        points += bool(value)
        body.append(
            f'<rect x="{x:.1f}" y="{TOP + plot_h - height:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{height:.1f}" fill="{colour}"><title>{escape(label)}: '
            f"{escape(_number(value, percent))}</title></rect>"
            f'<text x="{x + slot * 0.35:.1f}" y="{HEIGHT - 8}" text-anchor="middle" '
            f'font-size="10" fill="currentColor">{escape(label)}</text>'
        )
    axes = _axes(top, [], percent)
    legend = [(label, PALETTE[i % len(PALETTE)]) for i, label in enumerate(labels)]
    return _frame(title, points, axes + "".join(body), legend)
