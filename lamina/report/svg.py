"""Charts as inline SVG text, for the HTML report: no plotting library, no script, no fonts to
fetch (the page's own sans-serif font renders the labels).

>>> svg = line_chart({"loss": [0.9, 0.5, 0.4], "val_loss": [1.0, 0.7, 0.6]}, title="loss")
>>> svg.startswith("<svg") and svg.count("<polyline") == 2
True
"""

from __future__ import annotations

import math
from html import escape

COLORS = ("#2563eb", "#ea580c", "#16a34a", "#9333ea", "#0891b2", "#be123c")


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering ``[low, high]`` (steps of 1, 2 or 5 times a power of ten).

    >>> nice_ticks(0.03, 0.97)
    [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        return [0.0, 1.0]
    if high <= low:
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    raw = (high - low) / max(1, count)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    start = math.floor(low / step) * step
    ticks, value = [], start
    while value < high + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    if ticks[-1] < high - step * 1e-9:
        ticks.append(round(ticks[-1] + step, 12))
    return [0.0 if t == 0 else t for t in ticks]


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1e4 or abs(value) < 1e-3:
        return f"{value:.0e}"
    return f"{value:.4g}"


def el(tag: str, text: str | None = None, **attrs) -> str:
    """One SVG element: ``el("line", x1=0, class_="grid")`` (a trailing ``_`` is dropped, other
    ``_`` become ``-``); ``text`` is escaped.

    >>> el("text", "a < b", x=1, text_anchor="end")
    '<text x="1" text-anchor="end">a &lt; b</text>'
    """
    parts = []
    for key, value in attrs.items():
        if value is None:
            continue
        key = key[:-1] if key.endswith("_") else key.replace("_", "-")
        if isinstance(value, float):
            value = f"{value:.1f}"
        parts.append(f'{key}="{escape(str(value))}"')
    head = f"<{tag} {' '.join(parts)}" if parts else f"<{tag}"
    return f"{head}/>" if text is None else f"{head}>{escape(text)}</{tag}>"


def _open(width, height, title):
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">'
        + el("text", title, x=width / 2, y=18, text_anchor="middle", class_="chart-title")
    )


def line_chart(
    series: dict,
    title: str = "",
    width: int = 440,
    height: int = 250,
    xlabel: str = "epoch",
) -> str:
    """An SVG line chart of ``series`` (name -> values, one per epoch; None or NaN leave a gap).
    Names starting with ``val_`` are drawn dashed (and, beside one training series, orange)."""
    left, right, top, bottom = 56, 14, 46, 42
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for vs in series.values() for v in vs if v is not None and math.isfinite(v)]
    n = max((len(vs) for vs in series.values()), default=0)
    ticks = nice_ticks(min(values), max(values)) if values else [0.0, 1.0]
    y0, y1 = ticks[0], ticks[-1]

    def px(i):
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def py(v):
        return top + plot_h * (1 - (v - y0) / ((y1 - y0) or 1))

    parts = [_open(width, height, title)]
    for t in ticks:
        y = py(t)
        parts.append(el("line", x1=left, y1=y, x2=left + plot_w, y2=y, class_="grid"))
        parts.append(el("text", _fmt(t), x=left - 6, y=y + 4, text_anchor="end", class_="tick"))
    bottom_y = top + plot_h
    for i in range(0, n, max(1, math.ceil(n / 10))):
        x = px(i)
        parts.append(el("line", x1=x, y1=bottom_y, x2=x, y2=bottom_y + 4, class_="axis"))
        parts.append(el("text", str(i + 1), x=x, y=bottom_y + 16, text_anchor="middle",
                        class_="tick"))  # fmt: skip
    parts.append(el("rect", x=left, y=top, width=plot_w, height=plot_h, class_="frame"))
    parts.append(el("text", xlabel, x=left + plot_w / 2, y=height - 6, text_anchor="middle",
                    class_="label"))  # fmt: skip
    colors, legend_x = {}, left
    for name, vs in series.items():
        base = name[4:] if name.startswith("val_") else name
        if len(series) <= 2:  # training blue, validation orange
            color = COLORS[1] if name.startswith("val_") else COLORS[0]
        else:
            color = colors.setdefault(base, COLORS[len(colors) % len(COLORS)])
        dash = "6 4" if name.startswith("val_") else None
        for run in _runs(vs):
            if len(run) > 1:
                points = " ".join(f"{px(i):.1f},{py(v):.1f}" for i, v in run)
                parts.append(
                    f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2"'
                    + (f' stroke-dasharray="{dash}"' if dash else "")
                    + f"><title>{escape(name)}</title></polyline>"
                )
            if len(run) == 1 or n <= 20:
                for i, v in run:
                    tip = el("title", f"{name} epoch {i + 1}: {v:.5g}")
                    parts.append(f'<circle cx="{px(i):.1f}" cy="{py(v):.1f}" r="2.5" '
                                 f'fill="{color}">{tip}</circle>')  # fmt: skip
        label = name if len(series) > 2 else "validation" if dash else "training"
        parts.append(el("line", x1=legend_x, y1=32, x2=legend_x + 20, y2=32,
                        stroke=color, stroke_width=2, stroke_dasharray=dash))  # fmt: skip
        parts.append(el("text", label, x=legend_x + 24, y=36, class_="legend"))
        legend_x += 34 + 7 * len(label)
    parts.append("</svg>")
    return "".join(parts)


def _runs(values):
    """Consecutive finite ``(index, value)`` stretches of ``values``."""
    runs, current = [], []
    for i, v in enumerate(values):
        if v is None or not math.isfinite(v):
            if current:
                runs.append(current)
            current = []
        else:
            current.append((i, float(v)))
    if current:
        runs.append(current)
    return runs


def bar_chart(names, values, title: str = "", width: int = 300, bar_height: int = 16) -> str:
    """A horizontal SVG bar chart of signed ``values`` (positive right, in red; negative left,
    in blue), one bar per name: how the report shows attributions of tabular features.

    >>> bar_chart(["a", "b"], [0.5, -0.25]).count("<rect")
    2
    """
    label_w, pad = 90, 6
    height = 26 + len(values) * (bar_height + 4)
    peak = max((abs(v) for v in values), default=0) or 1.0
    half = (width - label_w - pad) / 2
    center = label_w + half
    parts = [_open(width, height, title), el("line", x1=center, y1=22, x2=center, y2=height,
                                             class_="axis")]  # fmt: skip
    for k, (name, v) in enumerate(zip(names, values)):
        y = 24 + k * (bar_height + 4)
        w = half * abs(v) / peak
        tip = el("title", f"{name}: {v:.4g}")
        parts.append(
            f'<rect x="{center if v >= 0 else center - w:.1f}" y="{y}" width="{w:.1f}" '
            f'height="{bar_height}" fill="{"#dc2626" if v >= 0 else "#2563eb"}">{tip}</rect>'
        )
        parts.append(el("text", str(name), x=label_w - 4, y=y + bar_height - 4,
                        text_anchor="end", class_="tick"))  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)
