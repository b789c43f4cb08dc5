"""The segment profile report: one self-contained HTML file, rendered with autoescape (``core.templates``).

Names, column names and notes are the analyst's or the data's strings: they are escaped like every
other value, so a segment called ``<script>`` prints as those characters.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from core import formatting as F
from core.segmentation.cluster import METHOD_LABELS
from core.segmentation.labels import fmt_value, is_share
from core.segmentation.result import SegmentationResult
from core.templates import render_html

TEMPLATE = "segmentation/segment_report.html.j2"


def _heat(z: float) -> str:
    """A background colour for a z-score: blue below the book, orange above."""
    a = float(min(1.0, abs(z) / 2.0)) * 0.75
    return f"rgba(230,120,30,{a:.2f})" if z > 0 else f"rgba(40,110,200,{a:.2f})"


def _num(v: float, fmt) -> str:
    return "" if v is None or not np.isfinite(v) else fmt(v)


def render_report(result: SegmentationResult, title: str | None = None, max_features: int = 14) -> str:
    """HTML of the profile report for a segmentation."""
    prof = result.profile
    feats = [c for c in prof.means.columns if c in prof.features] or list(prof.means.columns)
    if len(feats) > max_features:  # the most discriminating features first
        feats = list(prof.z[feats].abs().max().sort_values(ascending=False).index[:max_features])
    flags = result.contradictions()
    segs = []
    for s in result.segments:
        rule = prof.rules.get(s)
        offer = result.next_best.get(s)
        cells: list[dict[str, str]] = []
        row: dict[str, object] = {
            "id": s, "name": result.name(s), "size": F.count(prof.sizes.loc[s, "size"]),
            "share": F.pct(prof.sizes.loc[s, "share"]), "description": result.description(s),
            "rule": rule.text if rule else "", "rule_precision": F.pct(rule.precision, 0) if rule else "",
            "rule_coverage": F.pct(rule.coverage, 0) if rule else "", "rfm": prof.rfm_cells.get(s, ""),
            "pd": F.pct(result.mean_pd[s]) if result.mean_pd is not None and s in result.mean_pd.index else "",
            "next_best": offer.label if offer and offer.product else "", "check": "; ".join(flags.get(s, [])),
            "cells": cells,
        }
        for c in feats:
            z = float(prof.z.loc[s, c]) if s in prof.z.index and c in prof.z.columns else 0.0
            cells.append({"value": fmt_value(float(prof.means.loc[s, c]), is_share(c, prof.means[c])),
                                 "z": F.signed(z, 1), "bg": _heat(z)})
        segs.append(row)
    book = [fmt_value(float(prof.means.loc["all", c]), is_share(c, prof.means[c])) for c in feats]
    pen = []
    if not result.penetration.empty:
        for s in result.segments:
            if s in result.penetration.index:
                pen.append({"name": result.name(s), "values": [F.pct(v, 0) for v in result.penetration.loc[s].to_numpy()]})
        pen.append({"name": "Whole book", "values": [F.pct(v, 0) for v in result.penetration.loc["all"].to_numpy()]})
    sweep_rows = []
    if result.sweep is not None:
        for r in result.sweep.table.itertuples():
            sweep_rows.append({
                "k": int(r.k), "chosen": int(r.k) == result.k,
                "silhouette": _num(r.silhouette, lambda v: F.number(v, 3)),
                "ch": _num(r.calinski_harabasz, lambda v: F.number(v, 0)),
                "db": _num(r.davies_bouldin, lambda v: F.number(v, 2)),
                "inertia": _num(r.inertia, lambda v: F.number(v, 0)), "bic": _num(r.bic, lambda v: F.number(v, 0)),
                "stability": _num(r.stability_ari, lambda v: F.number(v, 2)),
            })
    m = result.metrics
    numeric_prep = [{"column": F.humanize(c["column"]), "transform": c["transform"],
                     "impute": F.number(c["impute_median"], 2), "center": F.number(c["robust_center"], 2),
                     "scale": F.number(c["robust_scale"], 2)} for c in result.preprocessing.get("numeric", [])]
    cat_prep = [{"column": F.humanize(c["column"]), "levels": len(c["levels"]), "pooled": bool(c.get("pooled_other"))}
                for c in result.preprocessing.get("categorical", [])]
    return render_html(
        TEMPLATE,
        title=title or f"Segment profiles · {result.dataset_name}",
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        dataset=result.dataset_name, fingerprint=result.dataset_fingerprint,
        method=METHOD_LABELS.get(result.params.method, result.params.method), k=result.k, seed=result.params.seed,
        run_id=result.run_id or "not saved", n_customers=F.count(prof.sizes["size"].sum()),
        features=[F.humanize(c) for c in feats], all_features=[F.humanize(c) for c in result.params.features],
        segments=segs, book=book, products=[F.humanize(str(p)) for p in result.penetration.columns] if pen else [],
        penetration=pen, sweep=sweep_rows, sweep_reason=result.sweep.reason_for(result.k) if result.sweep else "",
        warning=result.warning,
        metrics={"silhouette": F.number(m.get("silhouette"), 3), "calinski_harabasz": F.number(m.get("calinski_harabasz"), 0),
                 "davies_bouldin": F.number(m.get("davies_bouldin"), 2)},
        notes=result.notes, credit=result.credit.message, numeric_prep=numeric_prep, categorical_prep=cat_prep,
        clip=F.number(result.preprocessing.get("clip"), 0),
    )
