"""The data-quality report as one self-contained HTML page.

Charts are inline SVG drawn here (events per type, the long-tail curve,
events over time): no JavaScript, no stylesheet or font to fetch, so the file
can be mailed, archived as a CI artefact or opened offline. Every value taken
from the data is escaped.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any, Sequence

from .findings import CheckReport

_W, _H = 640, 220
_PAD_L, _PAD_B, _PAD_T, _PAD_R = 56, 36, 12, 12
_COLOURS = {"error": "#b42318", "warning": "#b54708", "info": "#175cd3"}


def _fmt(n: float) -> str:
    return f"{n:,.0f}" if float(n).is_integer() else f"{n:,.2f}"


def bar_chart(labels: Sequence[str], values: Sequence[float], *, title: str, vertical: bool = False) -> str:
    """Horizontal bars (one per label) or, with ``vertical``, columns (a time series)."""
    if not values:
        return f'<p class="empty">{escape(title)}: no data.</p>'
    top = max(values) or 1
    # Horizontal bars get a fixed row height, so three event types make a short chart.
    height = _H if vertical else _PAD_T + 24 * len(values) + 8
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
             f'viewBox="0 0 {_W} {height}" width="{_W}" height="{height}">', f"<title>{escape(title)}</title>"]
    if vertical:
        inner_w, inner_h = _W - _PAD_L - _PAD_R, _H - _PAD_T - _PAD_B
        step = inner_w / len(values)
        for i, (label, value) in enumerate(zip(labels, values)):
            h = inner_h * value / top
            x, y = _PAD_L + i * step, _PAD_T + inner_h - h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(step - 1, 0.5):.1f}" height="{h:.1f}" '
                         f'fill="#2e90fa"><title>{escape(label)}: {_fmt(value)}</title></rect>')
        last = len(labels) - 1
        for i in sorted({0, last // 2, last}):
            anchor = "end" if i == last and i else ("middle" if i else "start")
            x = _PAD_L + (i + 1) * step if anchor == "end" else _PAD_L + i * step
            parts.append(f'<text x="{x:.1f}" y="{_H - 12}" font-size="11" text-anchor="{anchor}">'
                         f"{escape(labels[i])}</text>")
        parts.append(f'<text x="4" y="{_PAD_T + 10}" font-size="11">{_fmt(top)}</text>')
    else:
        row_h = 24.0
        label_w = 150
        for i, (label, value) in enumerate(zip(labels, values)):
            y = _PAD_T + i * row_h
            w = (_W - label_w - 90) * value / top
            parts.append(f'<text x="{label_w - 6}" y="{y + row_h * 0.65:.1f}" font-size="12" '
                         f'text-anchor="end">{escape(label[:24])}</text>')
            parts.append(f'<rect x="{label_w}" y="{y + 2:.1f}" width="{w:.1f}" height="{row_h - 4:.1f}" '
                         f'fill="#2e90fa"><title>{escape(label)}: {_fmt(value)}</title></rect>')
            parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + row_h * 0.65:.1f}" '
                         f'font-size="12">{_fmt(value)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def curve_chart(points: Sequence[Sequence[float]], *, title: str) -> str:
    """A log-log line of ``(rank, count)`` points: the long tail of item popularity."""
    if not points:
        return f'<p class="empty">{escape(title)}: no data.</p>'
    max_x = max(p[0] for p in points)
    max_y = max(p[1] for p in points)
    lx, ly = math.log10(max(max_x, 10)), math.log10(max(max_y, 10))
    inner_w, inner_h = _W - _PAD_L - _PAD_R, _H - _PAD_T - _PAD_B

    def xy(rank: float, count: float) -> str:
        x = _PAD_L + inner_w * math.log10(max(rank, 1)) / lx
        y = _PAD_T + inner_h * (1 - math.log10(max(count, 1)) / ly)
        return f"{x:.1f},{y:.1f}"

    line = " ".join(xy(r, c) for r, c in points)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {_W} {_H}" width="{_W}" height="{_H}"><title>{escape(title)}</title>'
        f'<polyline points="{line}" fill="none" stroke="#2e90fa" stroke-width="2"/>'
        f'<line x1="{_PAD_L}" y1="{_PAD_T + inner_h}" x2="{_W - _PAD_R}" y2="{_PAD_T + inner_h}" stroke="#98a2b3"/>'
        f'<line x1="{_PAD_L}" y1="{_PAD_T}" x2="{_PAD_L}" y2="{_PAD_T + inner_h}" stroke="#98a2b3"/>'
        f'<text x="4" y="{_PAD_T + 10}" font-size="11">{_fmt(max_y)}</text>'
        f'<text x="{_PAD_L}" y="{_H - 12}" font-size="11">item rank 1 (log scale)</text>'
        f'<text x="{_W - _PAD_R}" y="{_H - 12}" font-size="11" text-anchor="end">{_fmt(max_x)}</text>'
        "</svg>"
    )


def _table(rows: Sequence[tuple[str, Any]]) -> str:
    body = "".join(f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in rows)
    return f'<table class="summary">{body}</table>'


def render_html(report: CheckReport, *, title: str = "Data-quality report") -> str:
    """The whole page, as a string."""
    s = report.summary
    tail = s.get("long_tail", {})
    facts: list[tuple[str, Any]] = [
        ("Interactions", f"{s.get('interactions', 0):,}"),
        ("Users (with 2 or more interactions)", f"{s.get('users', 0):,} ({s.get('users_with_2_or_more', 0):,})"),
        ("Items with interactions", f"{s.get('items_with_interactions', 0):,}"),
    ]
    if s.get("sessions") is not None:
        facts.append(("Sessions", f"{s['sessions']:,}"))
    if s.get("catalogue_items") is not None:
        coverage = s.get("catalogue_coverage", 0)
        facts.append(("Catalogue items (coverage)", f"{s['catalogue_items']:,} ({coverage:.1%})"))
    if tail:
        facts.append(("Share of events on the top 1% / 10% / 20% of items",
                      f"{tail.get('top_1pct_share', 0):.1%} / {tail.get('top_10pct_share', 0):.1%} / "
                      f"{tail.get('top_20pct_share', 0):.1%}"))
        facts.append(("Items with a single event", f"{tail.get('items_with_one_event', 0):,}"))
    findings = []
    for f in report.findings:
        colour = _COLOURS[f.severity]
        examples = "".join(f"<li><code>{escape(str(e.get('message', '')))}</code></li>" for e in f.examples)
        findings.append(
            f'<tr><td style="color:{colour};font-weight:600">{escape(f.severity)}</td>'
            f"<td><code>{escape(f.code)}</code></td><td>{f.count:,}</td>"
            f"<td>{escape(f.message)}<ul>{examples}</ul></td></tr>"
        )
    types = s.get("event_types", {})
    timeline = s.get("events_over_time", {"bucket": "day", "counts": []})
    verdict = "No errors" if report.ok else f"{len(report.errors)} error(s)"
    timeline_chart = bar_chart(
        [k for k, _ in timeline["counts"]], [v for _, v in timeline["counts"]], title="Events over time", vertical=True
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>
body {{ font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #101828; }}
table {{ border-collapse: collapse; width: 100%; margin: 1rem 0; }}
th, td {{ text-align: left; vertical-align: top; padding: .35rem .5rem; border-bottom: 1px solid #eaecf0; }}
table.summary th {{ width: 22rem; font-weight: 500; color: #475467; }}
code {{ font-size: 12px; }} ul {{ margin: .3rem 0; padding-left: 1.2rem; }} .empty {{ color: #667085; }}
</style></head><body>
<h1>{escape(title)}</h1>
<p><strong>{escape(verdict)}</strong>, {len(report.warnings)} warning(s).</p>
{_table(facts)}
<h2>Findings</h2>
<table><tr><th>Severity</th><th>Code</th><th>Count</th><th>Message and examples</th></tr>{"".join(findings)}</table>
<h2>Events per type</h2>
{bar_chart(list(types), list(types.values()), title="Events per type")}
<h2>Long tail of item popularity</h2>
{curve_chart(tail.get("curve", []), title="Events per item, by popularity rank")}
<h2>Events over time (per {escape(timeline["bucket"])})</h2>
{timeline_chart}
</body></html>
"""


def write_html(report: CheckReport, path: str, *, title: str = "Data-quality report") -> None:
    with open(path, "w", encoding="utf-8") as stream:
        stream.write(render_html(report, title=title))
