"""The scenario report: HTML (through :func:`core.templates.render_html`, autoescaped) or Markdown.

It carries what a risk committee asks for: the run id, every fingerprint (dataset, generator,
credit model, satellite), the scenario and its sources, results against baseline, the loss
distribution and EL by product as inline SVG charts (the file stands alone: no script, no
network), how each shock reached PD, the satellite model's coefficients, IFRS 9 staging, the
comparison with every preset and the probability-weighted ECL, each warning once, and limitations.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
from markupsafe import Markup, escape

from core import formatting as F
from core.scenarios.ifrs9 import probability_weighted
from core.scenarios.results import ScenarioResult
from core.templates import render_html, render_text

LIMITATIONS = [
    "The generator learns the joint distribution of the book's history; a driver pushed past the range it saw is flagged "
    "as an extrapolation (the generator holds its response at the nearest seen value, the satellite model extends its line).",
    "Macro effects come from the satellite model estimated on the book's own history (or, without one, from assumed "
    "elasticities in presets.json); a history of a few years holds one or two cycles, so the coefficients carry the "
    "uncertainty shown.",
    "The loss distribution uses the Basel one-factor model with regulatory retail correlations; it ignores contagion, "
    "prepayment, migration over more than one year and correlation between PD and LGD beyond the downturn add-on.",
    "LGD is a simple documented model (collateral haircut, costs, floors, unsecured rates), not a workout-data estimate.",
    "IFRS 9 staging compares today's lifetime PD with the PD at origination (2x and +1 pp, 30 days past due backstop); "
    "lifetime PD assumes a constant annual hazard over the remaining term.",
]


def _svg_histogram(base: np.ndarray, stress: np.ndarray, width: int = 640, height: int = 220, bins: int = 60) -> Markup:
    hi = float(max(np.quantile(base, 0.9995), np.quantile(stress, 0.9995), 1e-9))
    edges = np.linspace(0.0, hi, bins + 1)
    hb, _ = np.histogram(np.clip(base, 0, hi), edges)
    hs, _ = np.histogram(np.clip(stress, 0, hi), edges)
    top = max(hb.max(), hs.max(), 1)
    bw = (width - 40) / bins
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             'aria-label="Loss distribution, baseline and stressed">']
    for h, colour in ((hb, "#5b8def"), (hs, "#e4572e")):
        for i, v in enumerate(h):
            bh = (height - 40) * v / top
            parts.append(f'<rect x="{30 + i * bw:.1f}" y="{height - 20 - bh:.1f}" width="{bw:.1f}" height="{bh:.1f}" '
                         f'fill="{colour}" fill-opacity="0.55"/>')
    parts.append(f'<line x1="30" y1="{height - 20}" x2="{width - 10}" y2="{height - 20}" stroke="#333"/>')
    parts.append(f'<text x="30" y="{height - 5}" font-size="11">$0</text>')
    parts.append(f'<text x="{width - 120}" y="{height - 5}" font-size="11">{escape(F.money(hi))}</text>')
    parts.append('<text x="40" y="14" font-size="11" fill="#5b8def">baseline</text>')
    parts.append('<text x="110" y="14" font-size="11" fill="#e4572e">stressed</text></svg>')
    return Markup("".join(parts))


def _svg_bars(labels: list[str], base: list[float], stress: list[float], title: str, width: int = 640, row: int = 26) -> Markup:
    height = row * len(labels) + 30
    top = max(max(base, default=0), max(stress, default=0), 1e-9)
    scale = (width - 260) / top
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" aria-label="{escape(title)}">']
    for i, (lab, b, s) in enumerate(zip(labels, base, stress, strict=True)):
        y = 10 + i * row
        parts.append(f'<text x="0" y="{y + 14}" font-size="11">{escape(lab)}</text>')
        parts.append(f'<rect x="150" y="{y}" width="{b * scale:.1f}" height="9" fill="#5b8def"/>')
        parts.append(f'<rect x="150" y="{y + 10}" width="{s * scale:.1f}" height="9" fill="#e4572e"/>')
        parts.append(f'<text x="{155 + s * scale:.1f}" y="{y + 19}" font-size="10">{escape(F.money(s))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _metric_rows(r: ScenarioResult) -> list[dict]:
    money_keys = {"expected_loss", "var_99", "var_999", "es_99", "es_999", "asrf_var_999", "exposure"}
    out = []
    for k, row in r.metrics.iterrows():
        f = F.money if k in money_keys else (lambda v: F.pct(v, 2))
        out.append({"metric": F.humanize(k), "baseline": f(row["baseline"]), "stressed": f(row["stressed"]),
                    "change": F.pct(row["change_pct"], 1)})
    return out


def _frame_rows(t: pd.DataFrame | None, money_cols=(), pct_cols=(), count_cols=()) -> list[dict]:
    if t is None or t.empty:
        return []
    rows = []
    for rec in t.to_dict("records"):
        out = {}
        for k, v in rec.items():
            out[k] = F.money(v) if k in money_cols else F.pct(v, 2) if k in pct_cols else F.count(v) if k in count_cols \
                else (F.number(v, 3) if isinstance(v, float) else v)
        rows.append(out)
    return rows


def render_report(result: ScenarioResult, dataset_name: str, fmt: str = "html", *, comparison: list[ScenarioResult] | None = None,
                  fingerprints: dict | None = None, satellite: pd.DataFrame | None = None, run_id: str | None = None,
                  fidelity: dict | None = None) -> str:
    """The report for one run, with the presets compared and IFRS 9 weighted when ``comparison`` is given."""
    if fmt not in ("html", "md"):
        raise ValueError("fmt must be 'html' or 'md'")
    r = result
    html = fmt == "html"
    comp = []
    for c in comparison or []:
        m = c.metrics["stressed"]
        comp.append({"name": c.scenario.name, "weight": c.scenario.ifrs9_weight, "default_rate": F.pct(m["expected_default_rate"], 2),
                     "expected_loss": F.money(m["expected_loss"]), "var_999": F.money(m["var_999"]),
                     "stage2": F.pct(c.ifrs9["stage2_share"], 1), "ecl": F.money(c.ifrs9["ecl"]),
                     "_ecl": c.ifrs9["ecl"], "_ecl12": c.ifrs9["ecl_12m"], "_s2": c.ifrs9["stage2_share"]})
    weighted = None
    if comp:
        try:
            agg = probability_weighted([{"name": c["name"], "weight": c["weight"], "ecl": c["_ecl"], "ecl_12m": c["_ecl12"],
                                         "stage2_share": c["_s2"]} for c in comp])
            weighted = {"ecl": F.money(agg["weighted_ecl"]), "ecl_12m": F.money(agg["weighted_ecl_12m"]),
                        "weights": ", ".join(f"{k} {F.pct(v, 0)}" for k, v in agg["weights"].items())}
        except Exception as exc:  # weights that do not sum to 1 are reported, never rescaled
            weighted = {"error": str(exc)}
    bp = r.by_product
    ctx = {
        "dataset": dataset_name, "created": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "run_id": run_id,
        "fingerprints": fingerprints or r.fingerprints, "scenario": r.scenario,
        "shocks": [{"driver": row["driver"], "shock": f"{F.signed(row['shock'], 1)} {row['unit']}", "channel": row["channel"],
                    "source": row["source"], "log_odds": F.signed(row["mean_log_odds"], 3)} for row in r.channels.to_dict("records")],
        "params": r.params.to_dict(), "draws": F.count(r.params.n_draws), "metrics": _metric_rows(r),
        "by_product": _frame_rows(bp, ("exposure", "el_base", "el_stress", "el_change"), ("pd_base", "pd_stress", "el_change_pct"),
                                  ("customers",)),
        "shap": [{"feature": s["feature"], "delta": F.signed(s["delta"], 4), "source": s["source"]}
                 for s in r.shap_delta.head(10).to_dict("records")],
        "satellite": _frame_rows(satellite),
        "staging": _frame_rows(r.ifrs9.get("table"), ("exposure", "ecl"), ("share", "coverage"), ("customers",)),
        "staging_base": _frame_rows(r.ifrs9.get("baseline_table"), ("exposure", "ecl"), ("share", "coverage"), ("customers",)),
        "ifrs9_notes": [r.ifrs9.get("origination", ""), r.ifrs9.get("backstop", "")],
        "band": {k: F.money(v) for k, v in r.satellite_band.items()},
        "warnings": list(dict.fromkeys(e.message for e in r.extrapolations)),
        "notes": [n for n in dict.fromkeys(r.notes)],
        "comparison": comp, "weighted": weighted, "fidelity": fidelity, "limitations": LIMITATIONS,
        "hist": _svg_histogram(r.loss_base, r.loss_stress) if html else "",
        "bars": _svg_bars(bp["product"].astype(str).tolist(), bp["el_base"].tolist(), bp["el_stress"].tolist(),
                          "Expected loss by product") if html else "",
        "compare_svg": _svg_bars([c["name"] for c in comp], [float(next(x for x in comparison if x.scenario.name == c["name"])
                                                                      .metrics.loc["expected_loss", "baseline"]) for c in comp],
                                 [float(next(x for x in comparison if x.scenario.name == c["name"])
                                        .metrics.loc["expected_loss", "stressed"]) for c in comp],
                                 "Expected loss by scenario") if html and comp and comparison else "",
    }
    return render_html("scenarios/report.html.j2", **ctx) if html else render_text("scenarios/report.md.j2", **ctx)
