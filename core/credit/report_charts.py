"""Small inline SVG charts for the HTML model report (no script, no network: the file reads anywhere).

Every chart is built from numbers; every label is escaped here (``markupsafe.escape``), so a
column called ``<script>`` stays text, and the result is :class:`markupsafe.Markup` the autoescaped
template inserts as it is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from markupsafe import Markup, escape

from core.formatting import number, pct

W, H, PAD = 460, 260, 42
BLUE, RED, GREY = "#3e7cb1", "#c0392b", "#9aa5b1"


def _frame(title: str, body: str, width: int = W, height: int = H) -> Markup:
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
                  f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
                  f'style="font:11px system-ui,sans-serif;background:#fff">'
                  f'<text x="{PAD}" y="16" font-weight="600">{escape(title)}</text>{body}</svg>')


def _sx(v: float, lo: float, hi: float, width: int = W) -> float:
    return PAD + (v - lo) / ((hi - lo) or 1.0) * (width - 2 * PAD)


def _sy(v: float, lo: float, hi: float, height: int = H) -> float:
    return height - PAD + 12 - (v - lo) / ((hi - lo) or 1.0) * (height - 2 * PAD)


def _axes(xlabel: str, ylabel: str, ticks_x: list[tuple[float, str]], ticks_y: list[tuple[float, str]],
          width: int = W, height: int = H) -> str:
    x0, y0, x1, y1 = PAD, height - PAD + 12, width - PAD, PAD - 4
    out = [f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y0}" stroke="{GREY}"/>',
           f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y1}" stroke="{GREY}"/>',
           f'<text x="{(x0 + x1) / 2}" y="{height - 4}" text-anchor="middle">{escape(xlabel)}</text>',
           f'<text x="10" y="{(y0 + y1) / 2}" transform="rotate(-90 10 {(y0 + y1) / 2})" text-anchor="middle">'
           f'{escape(ylabel)}</text>']
    out += [f'<text x="{x:.1f}" y="{y0 + 13}" text-anchor="middle">{escape(t)}</text>' for x, t in ticks_x]
    out += [f'<text x="{x0 - 4}" y="{y + 4:.1f}" text-anchor="end">{escape(t)}</text>' for y, t in ticks_y]
    return "".join(out)


def _polyline(xs: np.ndarray, ys: np.ndarray, colour: str, dash: str = "") -> str:
    pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
    return f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>'


def roc_chart(curves: dict[str, tuple[np.ndarray, np.ndarray]]) -> Markup:
    body = [_polyline(np.array([_sx(0, 0, 1), _sx(1, 0, 1)]), np.array([_sy(0, 0, 1), _sy(1, 0, 1)]), GREY,
                      ' stroke-dasharray="4 3"')]
    for k, (name, (fpr, tpr)) in enumerate(curves.items()):
        colour = (BLUE, RED)[k % 2]
        body.append(_polyline(np.array([_sx(v, 0, 1) for v in fpr]), np.array([_sy(v, 0, 1) for v in tpr]), colour))
        body.append(f'<text x="{W - PAD - 4}" y="{H - PAD - 6 - 14 * k}" text-anchor="end" fill="{colour}">{escape(name)}</text>')
    ticks = [(_sx(v, 0, 1), pct(v, 0)) for v in (0, 0.5, 1)]
    body.append(_axes("goods declined (false-positive rate)", "bads declined", ticks,
                      [(_sy(v, 0, 1), pct(v, 0)) for v in (0, 0.5, 1)]))
    return _frame("ROC curve (test split)", "".join(body))


def calibration_chart(table: pd.DataFrame) -> Markup:
    hi = float(max(table["mean_pd"].max(), table["observed"].max(), 0.01)) * 1.05
    body = [_polyline(np.array([_sx(0, 0, hi), _sx(hi, 0, hi)]), np.array([_sy(0, 0, hi), _sy(hi, 0, hi)]), GREY,
                      ' stroke-dasharray="4 3"'),
            _polyline(np.array([_sx(v, 0, hi) for v in table["mean_pd"]]),
                      np.array([_sy(v, 0, hi) for v in table["observed"]]), BLUE)]
    body += [f'<circle cx="{_sx(a, 0, hi):.1f}" cy="{_sy(b, 0, hi):.1f}" r="3" fill="{BLUE}"/>'
             for a, b in zip(table["mean_pd"], table["observed"], strict=True)]
    ticks = [(_sx(v, 0, hi), pct(v, 0)) for v in np.linspace(0, hi, 3)]
    body.append(_axes("mean predicted PD", "observed default rate", ticks,
                      [(_sy(v, 0, hi), pct(v, 0)) for v in np.linspace(0, hi, 3)]))
    return _frame("Calibration by PD decile (test split)", "".join(body))


def bar_chart(labels: list[str], values: list[float], title: str, fmt: str = "number", highlight: list[bool] | None = None,
              reference: float | None = None) -> Markup:
    """Horizontal bars (one row per label)."""
    n = max(len(labels), 1)
    height = 40 + 20 * n
    left, right = 190, W - 60
    hi = max([abs(v) for v in values if v == v] + [1e-12])
    body = []
    for i, (lab, v) in enumerate(zip(labels, values, strict=True)):
        y = 30 + 20 * i
        width = 0.0 if v != v else abs(v) / hi * (right - left)
        colour = RED if highlight and highlight[i] else BLUE
        text = pct(v) if fmt == "pct" else number(v, 3)
        body.append(f'<text x="{left - 6}" y="{y + 12}" text-anchor="end">{escape(lab)}</text>'
                    f'<rect x="{left}" y="{y + 2}" width="{width:.1f}" height="13" fill="{colour}"/>'
                    f'<text x="{left + width + 4:.1f}" y="{y + 12}">{escape(text)}</text>')
    if reference is not None and hi > 0:
        x = left + reference / hi * (right - left)
        body.append(f'<line x1="{x:.1f}" y1="24" x2="{x:.1f}" y2="{height - 6}" stroke="{RED}" stroke-dasharray="4 3"/>')
    return _frame(title, "".join(body), W, height)


def histogram_chart(p: np.ndarray, y: np.ndarray, cutoff: float, bins: int = 30) -> Markup:
    edges = np.linspace(0, 1, bins + 1)
    hi_pd = float(np.quantile(p, 0.995)) if len(p) else 1.0
    edges = np.linspace(0, max(hi_pd, cutoff) * 1.05, bins + 1)
    good = np.histogram(p[y == 0], edges)[0] / max((y == 0).sum(), 1)
    bad = np.histogram(p[y == 1], edges)[0] / max((y == 1).sum(), 1)
    top = float(max(good.max(initial=0), bad.max(initial=0), 1e-12))
    body = []
    for series, colour in ((good, BLUE), (bad, RED)):
        xs = np.repeat([_sx(e, 0, edges[-1]) for e in edges], 2)[1:-1]
        ys = np.repeat([_sy(v, 0, top) for v in series], 2)
        body.append(_polyline(xs, ys, colour))
    x = _sx(cutoff, 0, edges[-1])
    body.append(f'<line x1="{x:.1f}" y1="{PAD - 4}" x2="{x:.1f}" y2="{H - PAD + 12}" stroke="#333" stroke-dasharray="4 3"/>'
                f'<text x="{x + 3:.1f}" y="{PAD + 6}">cutoff {escape(pct(cutoff))}</text>'
                f'<text x="{W - PAD}" y="{PAD + 6}" text-anchor="end" fill="{BLUE}">no default</text>'
                f'<text x="{W - PAD}" y="{PAD + 20}" text-anchor="end" fill="{RED}">default</text>')
    body.append(_axes("PD", "share of applicants", [(_sx(v, 0, edges[-1]), pct(v, 0)) for v in np.linspace(0, edges[-1], 4)],
                      []))
    return _frame("PD by outcome (test split)", "".join(body))
