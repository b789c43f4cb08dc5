"""The segment profile report: one self-contained HTML file from a jinja2 template in ``assets/``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from jinja2 import Environment, FileSystemLoader, select_autoescape

from core.segmentation.cluster import METHOD_LABELS
from core.segmentation.profile import column_label as pretty
from core.segmentation.profile import fmt_value, is_share

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "assets" / "segmentation"
TEMPLATE = "segment_report.html.j2"


def _heat(z: float) -> str:
    """A background colour for a z-score: blue below the book, orange above."""
    a = float(min(1.0, abs(z) / 2.0)) * 0.75
    return f"rgba(230,120,30,{a:.2f})" if z > 0 else f"rgba(40,110,200,{a:.2f})"


def render_report(result, title: str | None = None, max_features: int = 14) -> str:
    """HTML of the profile report for a :class:`~core.segmentation.service.SegmentationResult`."""
    env = Environment(loader=FileSystemLoader(str(TEMPLATE_DIR)), autoescape=select_autoescape(["html", "j2"]))
    prof = result.profile
    feats = list(prof.means.columns)
    if len(feats) > max_features:  # the most discriminating features first
        feats = list(prof.z.abs().max().sort_values(ascending=False).index[:max_features])
    segs = []
    for s in result.segments:
        row = {
            "id": s, "name": result.names.get(s, str(s)), "size": int(prof.sizes.loc[s, "size"]),
            "share": f"{prof.sizes.loc[s, 'share']:.1%}", "description": result.description(s),
            "rule": prof.rules[s].text if s in prof.rules else "",
            "rule_precision": f"{prof.rules[s].precision:.0%}" if s in prof.rules else "",
            "rule_coverage": f"{prof.rules[s].coverage:.0%}" if s in prof.rules else "",
            "rfm": prof.rfm_cells.get(s, ""),
            "pd": (f"{result.mean_pd[s]:.1%}" if result.mean_pd is not None and s in result.mean_pd.index else ""),
            "next_best": (result.next_best.get(s) or {}).get("product") or "",
            "cells": [],
        }
        for c in feats:
            z = float(prof.z.loc[s, c]) if s in prof.z.index and c in prof.z.columns else 0.0
            row["cells"].append({"value": fmt_value(float(prof.means.loc[s, c]), is_share(c, prof.means[c])),
                                 "z": f"{z:+.1f}", "bg": _heat(z)})
        segs.append(row)
    book = [fmt_value(float(prof.means.loc["all", c]), is_share(c, prof.means[c])) for c in feats]
    pen = []
    if not result.penetration.empty:
        for s in result.segments:
            if s in result.penetration.index:
                pen.append({"name": result.names.get(s, str(s)),
                            "values": [f"{v:.0%}" for v in result.penetration.loc[s].to_numpy()]})
        pen.append({"name": "Whole book", "values": [f"{v:.0%}" for v in result.penetration.loc["all"].to_numpy()]})
    sweep_rows = []
    if result.sweep is not None:
        for r in result.sweep.table.itertuples():
            sweep_rows.append({
                "k": r.k, "chosen": r.k == result.k,
                "silhouette": "" if np.isnan(r.silhouette) else f"{r.silhouette:.3f}",
                "ch": "" if np.isnan(r.calinski_harabasz) else f"{r.calinski_harabasz:,.0f}",
                "db": "" if np.isnan(r.davies_bouldin) else f"{r.davies_bouldin:.2f}",
                "inertia": "" if np.isnan(r.inertia) else f"{r.inertia:,.0f}",
                "bic": "" if np.isnan(r.bic) else f"{r.bic:,.0f}",
                "stability": "" if np.isnan(r.stability_ari) else f"{r.stability_ari:.2f}",
            })
    m = result.metrics
    tpl = env.get_template(TEMPLATE)
    return tpl.render(
        title=title or f"Segment profiles · {result.dataset_name}",
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        dataset=result.dataset_name, fingerprint=result.dataset_fingerprint,
        method=METHOD_LABELS.get(result.params.method, result.params.method), k=result.k, seed=result.params.seed,
        run_id=result.run_id or "not saved", n_customers=int(prof.sizes["size"].sum()),
        features=[pretty(c) for c in feats], all_features=list(result.params.features),
        segments=segs, book=book, products=[pretty(str(p)) for p in result.penetration.columns] if pen else [],
        penetration=pen, sweep=sweep_rows, sweep_reason=result.sweep.reason if result.sweep else "",
        metrics={"silhouette": f"{m['silhouette']:.3f}" if "silhouette" in m else "n/a",
                 "calinski_harabasz": f"{m['calinski_harabasz']:,.0f}" if "calinski_harabasz" in m else "n/a",
                 "davies_bouldin": f"{m['davies_bouldin']:.2f}" if "davies_bouldin" in m else "n/a"},
        notes=result.notes, credit=result.credit_message,
        preprocessing=result.preprocessing,
    )
