"""The model report: one self-contained HTML file a validator can read without the app.

Sections: data (with every column decision and its reason), method, performance (boosted model
beside the logistic benchmark on the same held-out rows, with the health warnings), stability
against the training data, explanations (global importance, additivity check, the most frequent
principal reasons of declined applicants, and the effects that are never given as reasons),
fairness by group, limitations. Charts are inline SVG (:mod:`core.credit.report_charts`);
rendering goes through :func:`core.templates.render_html` (autoescaped).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from core.credit import metrics as M
from core.credit import report_charts as C
from core.credit.fairness import fairness_report
from core.credit.global_shap import sample_explanation
from core.credit.monitoring import stability
from core.credit.reason_export import APPROVED, applicant_reasons, reference_from_sample
from core.credit.scores import Scores, score_dataset
from core.data import Dataset
from core.formatting import count, number, pct
from core.templates import render_html

TEMPLATE = "credit/model_report.html.j2"
LIMITATIONS = [
    "PD is calibrated on a validation split of the training data; it means a probability for applicants like those "
    "in the training period and may drift when the population or the economy changes (watch the PSI).",
    "SHAP values are exact path-dependent TreeSHAP of the raw log-odds margin. The calibrated PD is a monotone map "
    "of that margin, so signs and rankings carry over; probability-scale contributions are a proportional rescaling.",
    "Principal reasons are features that raise the applicant's risk, ranked by how much more than for the reference "
    "population; they describe the model, not causes in the world. Protected attributes, their proxies and macro, "
    "regional or geographic conditions are never reasons.",
    "Counterfactuals change only what an applicant can plausibly change, in one direction, within the observed range; "
    "they ignore links between features (a balance and its utilisation) and are not advice.",
    "Fairness figures are screens (four-fifths rule), not legal conclusions; small groups are flagged and noisy.",
]
PCT_COLUMNS = ("mean_pd", "default_rate", "approval_rate", "fpr", "fnr", "bad_rate", "cum_bads_captured", "observed",
               "expected", "actual")


def _cell(column: str, v: object) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return count(v)
    if isinstance(v, (float, np.floating)):
        return pct(v) if column in PCT_COLUMNS else number(v, 3)
    return str(v)


def table(df: pd.DataFrame, labels: dict[str, str] | None = None) -> dict[str, Any]:
    labels = labels or {}
    numeric = [bool(pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])) for c in df.columns]
    return {"columns": [labels.get(str(c), str(c)) for c in df.columns], "numeric": numeric,
            "rows": [[_cell(str(c), v) for c, v in zip(df.columns, r, strict=True)] for r in df.itertuples(index=False)]}


def report_context(model, dataset: Dataset, cutoff: float, cost_bad_accepted: float = 5.0,
                   cost_good_declined: float = 1.0, scores: Scores | None = None, sample_rows: int = 5000) -> dict[str, Any]:
    """Everything the template shows, measured on the rows of ``dataset`` the model never learnt from."""
    scores = scores or score_dataset(model, dataset)
    meta = model.meta
    te = np.flatnonzero(scores.test)
    has_y = scores.has_target and scores.y is not None
    perf = calib = gains = conf = best = None
    charts: dict[str, Any] = {}
    if has_y:
        assert scores.y is not None
        y, p, lr = scores.y[te], scores.pd[te], scores.lr_pd[te]
        perf = pd.DataFrame([{"model": "XGBoost (calibrated)", **M.summary(y, p)}, {"model": "Logistic regression", **M.summary(y, lr)}])
        perf = perf[["model", "auc", "gini", "ks", "brier", "log_loss", "mean_pd", "default_rate", "n"]]
        cal_table = M.calibration_table(y, p)
        calib = table(cal_table)
        gains = table(M.gains_table(y, p)[["decile", "n", "bad_rate", "cum_bads_captured", "lift"]])
        c = M.confusion(y, p, cutoff)
        conf = {"matrix": table(c.matrix().reset_index(names="")), "approval_rate": c.approval_rate,
                "fpr": c.fpr, "fnr": c.fnr}
        best = M.cost_based_cutoff(y, p, cost_bad_accepted, cost_good_declined)
        fpr, tpr, _ = M.roc(y, p)
        lfpr, ltpr, _ = M.roc(y, lr)
        charts = {"roc": C.roc_chart({"XGBoost": (fpr, tpr), "Logistic": (lfpr, ltpr)}),
                  "calibration": C.calibration_chart(cal_table), "distribution": C.histogram_chart(p, y, cutoff)}
    stab = stability(model, dataset, scores)
    gs = sample_explanation(model, dataset.frame, scores.y, sample_rows, seed=0)
    imp = gs.explanation.mean_abs()
    charts["importance"] = C.bar_chart(list(imp.index[:15]), [float(v) for v in imp.values[:15]],
                                       "Global importance: mean |SHAP| (log-odds)")
    charts["drift"] = C.bar_chart(list(stab.features["feature"][:12]), [float(v) for v in stab.features["csi"][:12]],
                                  "Feature drift against the training split (CSI)",
                                  highlight=[v >= 0.1 for v in stab.features["csi"][:12]], reference=0.1)
    declined = np.flatnonzero(scores.pd >= cutoff)
    reasons = withheld = None
    if len(declined):
        ref = reference_from_sample(gs, APPROVED, cutoff)
        rows = declined[np.argsort(-scores.pd[declined])][:1000]
        records = applicant_reasons(model, dataset, scores, rows, ref, cutoff)
        texts = pd.Series([r.text for rec in records for r in rec.reasons], dtype=object)
        if len(texts):
            reasons = table(texts.value_counts().rename_axis("reason").reset_index(name="declined applicants citing it").head(10))
        effects = pd.DataFrame([{"feature": f, "effect": v} for rec in records for f, v in rec.withheld.items()])
        if len(effects):
            withheld = table(effects.groupby("feature")["effect"].agg(["mean", "size"]).reset_index()
                             .rename(columns={"mean": "mean log-odds effect", "size": "declined applicants"}))
    fair = {}
    if has_y:
        assert scores.y is not None
        fair = {k: {"table": table(v), "chart": C.bar_chart(list(v["group"]), list(v["approval_rate"]), f"Approval rate by {k}",
                                                            "pct", highlight=list(v["four_fifths_flag"]))}
                for k, v in fairness_report(dataset.frame.iloc[te], scores.y[te], scores.pd[te], cutoff, dataset.schema).items()}
    features = pd.DataFrame({"feature": model.feature_names,
                             "type": ["categorical" if f in model.encoder.categories else "numeric" for f in model.feature_names],
                             "monotone": [model.monotone.get(f, 0) for f in model.feature_names],
                             "tags": [", ".join(meta.tags.get(f, ())) for f in model.feature_names]})
    decisions = pd.DataFrame([{"column": d.column, "decision": d.kind.replace("_", " "), "reason": d.reason}
                              for d in meta.decisions])
    return {
        "title": f"Credit PD model report: {dataset.name}", "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "meta": meta, "params": meta.params, "dataset": dataset, "scored_here": scores.trained_here,
        "n_rows": count(dataset.n_rows), "n_test": count(len(te)), "default_rate": meta.metrics.xgboost.default_rate,
        "features": table(features), "decisions": table(decisions) if len(decisions) else None,
        "performance": table(perf) if perf is not None else None, "health": meta.health(),
        "train_auc": meta.metrics.train_auc, "calibration": calib, "gains": gains, "confusion": conf, "best_cutoff": best,
        "cutoff": cutoff, "cost_bad": cost_bad_accepted, "cost_good": cost_good_declined,
        "stability": {"psi": stab.psi, "label": stab.label, "against": stab.against, "rows": count(stab.rows),
                      "features": table(stab.features.head(15))},
        "sample_n": count(len(gs.explanation)), "additivity": gs.explanation.additivity_residual(gs.margin),
        "reasons": reasons, "withheld": withheld, "fairness": fair, "charts": charts,
        "limitations": LIMITATIONS + list(model.warnings),
    }


def render_report(model, dataset: Dataset, cutoff: float, cost_bad_accepted: float = 5.0, cost_good_declined: float = 1.0,
                  scores: Scores | None = None) -> str:
    """The HTML report as a string."""
    return render_html(TEMPLATE, **report_context(model, dataset, cutoff, cost_bad_accepted, cost_good_declined, scores))
