"""The model report: one self-contained HTML file (jinja2) a validator can read without the app.

Sections: data, method, performance (boosted model beside the logistic benchmark, on the held-out
test split), explanations (global importance, additivity check, most frequent principal reasons
of declined applicants), fairness by group, limitations.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from core.credit import metrics as M
from core.credit.fairness import fairness_report
from core.credit.global_shap import sample_explanation
from core.credit.model import TEST
from core.credit.reasons import Reference, reason_table

TEMPLATE = Path(__file__).resolve().parents[2] / "assets" / "credit" / "model_report.html.j2"

LIMITATIONS = [
    "PD is calibrated on a validation split of the training data; it means a probability for applicants like those "
    "in the training period and may drift when the population or the economy changes (watch the PSI).",
    "SHAP values are exact path-dependent TreeSHAP of the raw log-odds margin. The calibrated PD is a monotone map "
    "of that margin, so signs and rankings carry over; probability-scale contributions are a proportional rescaling.",
    "Reason codes rank features by how much more they raise the log-odds than for the reference population; they "
    "describe the model, not causes in the world.",
    "Counterfactuals change one feature at a time on a grid and ignore links between features (e.g. a card balance "
    "and its utilisation); they show a small sufficient change, not a proven minimum nor advice.",
    "Fairness figures are screens (four-fifths rule), not legal conclusions; small groups are flagged and noisy.",
]


def _table(df: pd.DataFrame, pct: tuple[str, ...] = (), digits: int = 4) -> dict:
    rows = []
    for r in df.itertuples(index=False):
        cells = []
        for c, v in zip(df.columns, r, strict=True):
            if isinstance(v, (float, np.floating)):
                cells.append("–" if np.isnan(v) else (f"{v:.1%}" if c in pct else f"{v:,.{digits}g}"))
            else:
                cells.append(str(v))
        rows.append(cells)
    return {"columns": [str(c) for c in df.columns], "rows": rows}


def report_context(model, dataset, cutoff: float, cost_bad_accepted: float = 5.0, cost_good_declined: float = 1.0,
                   sample_rows: int = 5000) -> dict:
    """Everything the template shows, computed on the model's test split of ``dataset``."""
    frame = dataset.frame
    y = dataset.target_vector()
    split = model.split_labels if len(model.split_labels) == len(frame) else np.full(len(frame), TEST)
    te = np.flatnonzero(split == TEST)
    p_all = model.predict_pd(frame)
    p, lr = p_all[te], model.predict_benchmark_pd(frame.iloc[te])
    perf = pd.DataFrame([{"model": "XGBoost (calibrated)", **M.summary(y[te], p)},
                         {"model": "Logistic regression", **M.summary(y[te], lr)}])
    perf = perf[["model", "auc", "gini", "ks", "brier", "log_loss", "mean_pd", "default_rate", "n"]]
    conf = M.confusion(y[te], p, cutoff)
    best = M.cost_based_cutoff(y[te], p, cost_bad_accepted, cost_good_declined)
    gs = sample_explanation(model, frame, y, sample_rows, seed=0)
    e = gs.explanation
    imp = e.mean_abs()
    importance = [{"feature": f, "value": float(v), "width": float(100 * v / imp.iloc[0]) if imp.iloc[0] > 0 else 0}
                  for f, v in imp.items()]
    ref = Reference.from_explanation(e, gs.pd < cutoff, "approved applicants")
    declined = np.flatnonzero(gs.pd >= cutoff)
    reasons = pd.DataFrame()
    if len(declined):
        t = reason_table(e.take(declined[:1000]), ref)
        codes = pd.concat([t[f"reason_{k}_text"] for k in range(1, 5)])
        codes = codes[codes != ""]
        reasons = codes.value_counts().rename_axis("reason").reset_index(name="declined applicants citing it").head(10)
    fair = fairness_report(frame.iloc[te], y[te], p, cutoff, dataset.schema.semantics)
    meta = model.meta
    features = pd.DataFrame({"feature": model.feature_names,
                             "type": ["categorical" if f in model.encoder.categories else "numeric" for f in model.feature_names],
                             "monotone": [model.monotone.get(f, 0) for f in model.feature_names]})
    return {
        "title": f"Credit PD model report: {dataset.name}",
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "model": meta, "params": meta["params"], "dataset": dataset,
        "default_rate": float(y.mean()), "features": _table(features),
        "excluded": meta.get("excluded", []), "protected": meta.get("protected", []),
        "performance": _table(perf, pct=("mean_pd", "default_rate")),
        "train_auc": model.metrics.get("train_auc"), "psi": model.metrics.get("psi_train_vs_test"),
        "psi_label": M.psi_label(model.metrics.get("psi_train_vs_test") or 0.0),
        "calibration": _table(M.calibration_table(y[te], p), pct=("mean_pd", "observed")),
        "gains": _table(M.gains_table(y[te], p)[["decile", "n", "bad_rate", "cum_bads_captured", "lift"]],
                        pct=("bad_rate", "cum_bads_captured")),
        "cutoff": cutoff, "confusion": _table(conf.matrix().reset_index(names="")), "approval_rate": conf.approval_rate,
        "cost_bad": cost_bad_accepted, "cost_good": cost_good_declined, "best_cutoff": best,
        "importance": importance, "sample_n": len(e),
        "additivity": e.additivity_residual(model.predict_margin(frame.iloc[gs.rows])),
        "reasons": _table(reasons) if len(reasons) else None,
        "fairness": {k: _table(v, pct=("default_rate", "mean_pd", "approval_rate", "fpr", "fnr")) for k, v in fair.items()},
        "limitations": LIMITATIONS + list(model.warnings),
    }


def render_report(model, dataset, cutoff: float, cost_bad_accepted: float = 5.0, cost_good_declined: float = 1.0,
                  template: Path | None = None) -> str:
    """The HTML report as a string."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str((template or TEMPLATE).parent)),
                             autoescape=jinja2.select_autoescape(["html", "j2"]))
    ctx = report_context(model, dataset, cutoff, cost_bad_accepted, cost_good_declined)
    return env.get_template((template or TEMPLATE).name).render(**ctx)
