"""Inline SVG plots for the report: mask area over time and a small flag timeline."""

from __future__ import annotations

from collections.abc import Container, Sequence
from html import escape

import numpy as np

from robomask.report.flags import Flag

#: Line colours per stage (match the overlay colours, darkened for a white page).
LINE_COLOURS = {"arm": "#d62728", "gripper": "#1f77b4", "export": "#b8a000"}
SEVERITY_COLOURS = {"high": "#d73a49", "medium": "#e36209", "low": "#959da5"}


def _decimate(values: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) with at most ``max_points`` points: bucket maxima, so spikes stay visible.
    NaN (missing) stays NaN when a whole bucket is missing."""
    n = len(values)
    if n <= max_points:
        return np.arange(n, dtype=float), values
    edges = np.linspace(0, n, max_points + 1).astype(int)
    xs, ys = [], []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        chunk = values[a:b]
        xs.append((a + b - 1) / 2)
        ys.append(np.nan if np.isnan(chunk).all() else np.nanmax(chunk))
    return np.array(xs), np.array(ys)


def _path(xs: np.ndarray, ys: np.ndarray) -> str:
    """SVG path data through (xs, ys), broken where ys is NaN."""
    parts, pen_down = [], False
    for x, y in zip(xs, ys, strict=True):
        if np.isnan(y):
            pen_down = False
            continue
        parts.append(f"{'L' if pen_down else 'M'}{x:.1f},{y:.1f}")
        pen_down = True
    return " ".join(parts)


def _nice_step(span: float, ticks: int) -> float:
    raw = max(span / ticks, 1e-9)
    mag = 10 ** np.floor(np.log10(raw))
    return float(next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw))


def area_plot_svg(percent: dict[str, np.ndarray], flags: Sequence[Flag], *,
                  linked: Container[int] = (), top_percent: float | None = None,
                  width: int = 960, height: int = 260) -> str:
    """Mask area (percent of the frame) per stage over frames, flagged runs shaded.

    Args:
        percent: Stage -> float (N,) area in percent of the frame; NaN = missing mask.
        flags: Runs to shade.
        linked: First frames that have an anchor on the page (``#f00012``): a run
            starting there links to it.
        top_percent: The y axis' top (e.g. 100 for an IoU); None: fit to the data.
        width, height: Size of the SVG in CSS pixels.
    """
    n = max((len(v) for v in percent.values()), default=0)
    left, right, top, bottom = 52, 12, 12, 34
    pw, ph = width - left - right, height - top - bottom
    top_val = top_percent or max([float(np.nanmax(v)) for v in percent.values()
                                  if len(v) and not np.isnan(v).all()] + [0.1]) * 1.1
    step = _nice_step(top_val, 5)
    top_val = step * np.ceil(top_val / step)

    def sx(frame: float) -> float:
        return left + pw * frame / max(n - 1, 1)

    def sy(value: float) -> float:
        return top + ph * (1 - value / top_val)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" width="{width}" '
           f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="mask area over time">']
    for f in flags:
        x0, x1 = sx(f.start - 0.5), sx(f.end + 0.5)
        x0, x1 = max(x0, left), min(max(x1, x0 + 2), left + pw)
        band = (f'<rect class="flag" x="{x0:.1f}" y="{top}" width="{x1 - x0:.1f}" '
                f'height="{ph}" fill="{SEVERITY_COLOURS[f.severity]}" fill-opacity="0.18">'
                f'<title>{escape(f.kind)}: {escape(f.reason)}</title></rect>')
        out.append(f'<a href="#f{f.start:05d}">{band}</a>' if f.start in linked else band)
    for k in range(int(round(top_val / step)) + 1):
        v = k * step
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{sy(v):.1f}" y2="{sy(v):.1f}" '
                   f'stroke="#e1e4e8"/><text x="{left - 6}" y="{sy(v) + 4:.1f}" '
                   f'text-anchor="end" class="tick">{v:g}%</text>')
    xstep = max(1, int(_nice_step(max(n - 1, 1), 8)))
    for frame in range(0, n, xstep):
        out.append(f'<text x="{sx(frame):.1f}" y="{top + ph + 16}" text-anchor="middle" '
                   f'class="tick">{frame}</text>')
    out.append(f'<text x="{left + pw / 2:.1f}" y="{height - 2}" text-anchor="middle" '
               f'class="axis">frame</text>')
    for stage, values in percent.items():
        xs, ys = _decimate(values, max(pw, 2))
        d = _path(np.array([sx(x) for x in xs]), np.array([sy(y) for y in ys]))
        out.append(f'<path d="{d}" fill="none" stroke="{LINE_COLOURS[stage]}" '
                   f'stroke-width="1.6"><title>{stage}</title></path>')
    out.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" '
               f'stroke="#959da5"/></svg>')
    return "".join(out)


def timeline_svg(n_frames: int, flags: Sequence[Flag], *, width: int = 240,
                 height: int = 14) -> str:
    """A thin bar over the scene's frames with each flagged run marked by severity."""
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{width}" '
           f'height="{height}" viewBox="0 0 {width} {height}">'
           f'<rect width="{width}" height="{height}" fill="#f1f3f5"/>']
    scale = width / max(n_frames, 1)
    for f in sorted(flags, key=lambda f: f.score):  # worst drawn last, on top
        x = f.start * scale
        out.append(f'<rect x="{x:.1f}" width="{max(f.frames * scale, 1.5):.1f}" '
                   f'height="{height}" fill="{SEVERITY_COLOURS[f.severity]}">'
                   f'<title>{escape(f.frame_range())}: {escape(f.kind)}</title></rect>')
    out.append("</svg>")
    return "".join(out)
