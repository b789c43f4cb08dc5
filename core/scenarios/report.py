"""The scenario report: HTML or Markdown from the jinja2 templates in ``assets/scenarios/``.

Scenario and assumptions, results against baseline, loss distribution and EL by product (inline
SVG, so the HTML file stands alone with no script and no network), drivers of the PD change, the
transmission overlay, extrapolation flags, the IFRS 9 view and the model's limitations.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import jinja2
import numpy as np

from core.scenarios.service import ScenarioResult

TEMPLATES = Path(__file__).resolve().parents[2] / "assets" / "scenarios"

LIMITATIONS = [
    "The generator learns the joint distribution of the data it was trained on; shocked drivers beyond the range it saw are "
    "held at the nearest seen extreme for the redraw, and the macro overlay carries the rest into PD.",
    "The macro-to-PD overlay uses assumed elasticities (assets/scenarios/presets.json); validate them on the bank's own default history.",
    "The loss distribution uses the Basel one-factor model with regulatory retail correlations; it ignores contagion, "
    "prepayment, migration over more than one year and correlation between PD and LGD beyond the downturn add-on.",
    "LGD is a simple documented model (collateral haircut, costs, floors, unsecured rates), not a workout-data estimate.",
    "The IFRS 9 view is illustrative: stage 2 when PD doubles against baseline and exceeds 1%, lifetime PD from a constant hazard.",
]


def _money(x: float) -> str:
    a = abs(x)
    if a >= 1e9:
        return f"{x / 1e9:,.2f}bn"
    if a >= 1e6:
        return f"{x / 1e6:,.2f}m"
    if a >= 1e3:
        return f"{x / 1e3:,.1f}k"
    return f"{x:,.2f}"


def _pct(x: float, digits: int = 2) -> str:
    return f"{x * 100:.{digits}f}%"


def histogram_svg(base: np.ndarray, stress: np.ndarray, width: int = 640, height: int = 220, bins: int = 60) -> str:
    """Two overlaid loss histograms as a standalone SVG."""
    lo, hi = 0.0, float(max(np.quantile(base, 0.9995), np.quantile(stress, 0.9995), 1e-9))
    edges = np.linspace(lo, hi, bins + 1)
    hb, _ = np.histogram(np.clip(base, lo, hi), edges)
    hs, _ = np.histogram(np.clip(stress, lo, hi), edges)
    top = max(hb.max(), hs.max(), 1)
    bw = (width - 40) / bins
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" aria-label="Loss distribution">']
    for h, colour in ((hb, "#5b8def"), (hs, "#e4572e")):
        for i, v in enumerate(h):
            bh = (height - 40) * v / top
            parts.append(f'<rect x="{30 + i * bw:.1f}" y="{height - 20 - bh:.1f}" width="{bw:.1f}" height="{bh:.1f}" '
                         f'fill="{colour}" fill-opacity="0.55"/>')
    parts.append(f'<line x1="30" y1="{height - 20}" x2="{width - 10}" y2="{height - 20}" stroke="#333"/>')
    parts.append(f'<text x="30" y="{height - 5}" font-size="11">0</text>')
    parts.append(f'<text x="{width - 90}" y="{height - 5}" font-size="11">{_money(hi)}</text>')
    parts.append('<text x="40" y="14" font-size="11" fill="#5b8def">baseline</text>')
    parts.append('<text x="110" y="14" font-size="11" fill="#e4572e">stressed</text></svg>')
    return "".join(parts)


def bars_svg(labels: list[str], base: list[float], stress: list[float], width: int = 640, row: int = 26) -> str:
    height = row * len(labels) + 30
    top = max(max(base, default=0), max(stress, default=0), 1e-9)
    scale = (width - 200) / top
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" aria-label="Expected loss by product">']
    for i, (lab, b, s) in enumerate(zip(labels, base, stress, strict=True)):
        y = 10 + i * row
        parts.append(f'<text x="0" y="{y + 14}" font-size="11">{jinja2.filters.escape(lab)}</text>')
        parts.append(f'<rect x="110" y="{y}" width="{b * scale:.1f}" height="9" fill="#5b8def"/>')
        parts.append(f'<rect x="110" y="{y + 10}" width="{s * scale:.1f}" height="9" fill="#e4572e"/>')
        parts.append(f'<text x="{115 + s * scale:.1f}" y="{y + 19}" font-size="10">{_money(s)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=jinja2.select_autoescape(["html"]),
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["money"] = _money
    env.filters["pct"] = _pct
    return env


def render_report(results: list[ScenarioResult], dataset_name: str, fmt: str = "html", fidelity: dict | None = None,
                  ifrs9: dict | None = None, run_ids: dict | None = None) -> str:
    """The report for one or more scenario results (each against its baseline)."""
    if fmt not in ("html", "md"):
        raise ValueError("fmt must be 'html' or 'md'")
    items = []
    for r in results:
        m = r.metrics
        items.append({
            "r": r, "scenario": r.scenario, "params": r.params.to_dict(), "metrics": m.reset_index().to_dict("records"),
            "by_product": r.by_product.to_dict("records"), "shap": r.shap_delta.head(10).to_dict("records"),
            "overlay": r.overlay.to_dict("records"), "flags": [e.message for e in r.extrapolations], "notes": r.notes,
            "run_id": (run_ids or {}).get(r.scenario.name),
            "hist": histogram_svg(r.loss_base, r.loss_stress) if fmt == "html" else "",
            "bars": bars_svg(r.by_product.iloc[:, 0].astype(str).tolist(), r.by_product["el_base"].tolist(),
                             r.by_product["el_stress"].tolist()) if fmt == "html" else "",
        })
    tpl = _env().get_template(f"report.{fmt}.j2")
    return tpl.render(dataset=dataset_name, items=items, fidelity=fidelity, ifrs9=ifrs9, limitations=LIMITATIONS,
                      created=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
