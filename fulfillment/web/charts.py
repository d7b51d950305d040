"""Small charts drawn on the server as SVG (no script, no CDN): horizontal bars for a
funnel or a split, lines for a series. Labels are untrusted text and only ever escaped
character data; every mark carries `data-value` so a test can read what was drawn."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

from markupsafe import Markup

PALETTE = ("#2f6fdf", "#e0823d", "#2f9e5a", "#b04ac4", "#8a8a8a")
_QUOTES = {'"': "&quot;", "'": "&apos;"}


def _t(text: object) -> str:
    return escape(str(text), _QUOTES)


def _svg(kind: str, width: int, height: int, title: str) -> str:
    """Scales down to its container (no sideways scroll on a phone), never up past its size."""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {kind}" role="img" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'style="max-width:100%;height:auto" aria-label="{_t(title)}">'
            f"<title>{_t(title)}</title>")


def bars(rows: Sequence[tuple[str, int]], *, title: str, width: int = 520,
         bar_height: int = 22, unit: str = "count") -> Markup:
    """One horizontal bar per row, scaled to the largest; the value printed at its end and
    shown on hover; `unit` names the axis under the bars."""
    label_w, gap = 130, 8
    height = gap + len(rows) * (bar_height + gap) + 4 + 18
    top = max([v for _, v in rows] + [1])
    parts = [_svg("bars", width, height, title),
             f'<text class="axis-label" x="{label_w}" y="{height - 4}" font-size="11" '
             f'fill="#555">{_t(unit)} (0 – {top})</text>']
    span = width - label_w - 60
    for i, (label, value) in enumerate(rows):
        y = gap + i * (bar_height + gap)
        w = 0 if value <= 0 else max(1, round(span * value / top))
        parts.append(
            f'<text x="{label_w - 6}" y="{y + bar_height * 0.7:.0f}" text-anchor="end" '
            f'font-size="12">{_t(label)}</text>'
            f'<rect class="bar" data-label="{_t(label)}" data-value="{int(value)}" '
            f'x="{label_w}" y="{y}" width="{w}" height="{bar_height}" '
            f'fill="{PALETTE[0]}"><title>{_t(label)}: {int(value)}</title></rect>'
            f'<text x="{label_w + w + 6}" y="{y + bar_height * 0.7:.0f}" '
            f'font-size="12">{int(value)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def lines(labels: Sequence[str], series: Sequence[tuple[str, Sequence[int]]], *, title: str,
          width: int = 640, height: int = 240, x_label: str = "day",
          y_label: str = "count") -> Markup:
    """One line per named series over the same x labels (days or weeks); both axes named,
    each point's value on hover."""
    left, right, top_pad, bottom = 48, 110, 12, 44
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    top = max([max(values, default=0) for _, values in series] + [1])
    n = max(len(labels), 1)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: int) -> float:
        return top_pad + plot_h - plot_h * v / top

    parts = [_svg("lines", width, height, title),
             f'<text class="axis-label" x="{left + plot_w / 2:.0f}" y="{height - 4}" '
             f'text-anchor="middle" font-size="11" fill="#555">{_t(x_label)}</text>',
             f'<text class="axis-label" x="12" y="{top_pad + plot_h / 2:.0f}" '
             f'text-anchor="middle" font-size="11" fill="#555" '
             f'transform="rotate(-90 12 {top_pad + plot_h / 2:.0f})">{_t(y_label)}</text>',
             f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{left + plot_w}" '
             f'y2="{top_pad + plot_h}" stroke="#999"/>',
             f'<text x="{left - 6}" y="{top_pad + 10}" text-anchor="end" font-size="11">'
             f"{top}</text>",
             f'<text x="{left - 6}" y="{top_pad + plot_h}" text-anchor="end" '
             f'font-size="11">0</text>']
    for i in sorted({0, n - 1, (n - 1) // 2}):
        if i < len(labels):
            parts.append(f'<text x="{x(i):.1f}" y="{height - 22}" text-anchor="middle" '
                         f'font-size="11">{_t(labels[i])}</text>')
    for k, (name, values) in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        parts.append(f'<g class="series" data-series="{_t(name)}" '
                     f'data-total="{sum(values)}">'
                     f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
                     f'points="{points}"/>')
        for i, v in enumerate(values):
            if v:
                parts.append(f'<circle class="point" data-value="{int(v)}" '
                             f'cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}">'
                             f"<title>{_t(name)} {_t(labels[i])}: {int(v)}</title></circle>")
        parts.append("</g>")
        parts.append(f'<text x="{left + plot_w + 10}" y="{top_pad + 14 + 16 * k}" '
                     f'font-size="12" fill="{colour}">{_t(name)} ({sum(values)})</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
