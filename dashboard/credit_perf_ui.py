"""The credit page's decision controls and Performance tab: discrimination, calibration, costs and monitoring."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from core.credit import metrics as M
from core.credit.model import CreditModel
from core.credit.monitoring import compare_models, stability
from core.credit.scores import Scores
from core.credit.store import load_model, stored_models
from core.data import Dataset
from core.errors import StudioError
from core.formatting import count, number, pct
from dashboard import credit_charts as charts
from dashboard import credit_ui as ui
from dashboard.shell import show_error

PSI_COLUMNS = {
    "low": st.column_config.NumberColumn("PD from", format="percent"),
    "high": st.column_config.NumberColumn("PD to", format="percent"),
    "expected": st.column_config.NumberColumn("Share in training", format="percent"),
    "actual": st.column_config.NumberColumn("Share scored now", format="percent"),
    "psi": st.column_config.NumberColumn("PSI contribution", format="%.4f"),
}


def _set_cost_cutoff(model: CreditModel, y: np.ndarray, p: np.ndarray) -> None:
    best = M.cost_based_cutoff(y, p, st.session_state.get("credit_cost_bad", 5.0), st.session_state.get("credit_cost_good", 1.0))
    st.session_state[ui.cutoff_key(model)] = float(np.clip(round(best["cutoff"], 3), ui.CUTOFF_MIN, ui.CUTOFF_MAX))


def decision_controls(model: CreditModel, scores: Scores) -> tuple[float, float, float]:
    """Cutoff and costs: (cutoff, cost of a bad accepted, cost of a good declined). The cutoff belongs to the model."""
    c1, c2, c3, c4 = st.columns([3, 1, 1, 1.3], vertical_alignment="bottom")
    cost_bad = c2.number_input("Cost: bad accepted", 0.01, 1000.0, 5.0, 0.5, key="credit_cost_bad")
    cost_good = c3.number_input("Cost: good declined", 0.01, 1000.0, 1.0, 0.5, key="credit_cost_good")
    y = scores.y if scores.has_target and scores.y is not None else None
    c4.button("Least-cost cutoff", key="credit_use_cost_cutoff", on_click=_set_cost_cutoff, disabled=y is None,
              args=(model, y[scores.test], scores.pd[scores.test]) if y is not None else (model, np.zeros(0), np.zeros(0)),
              help="Sets the cutoff with the least expected cost on the rows the model never learnt from.")
    key = ui.cutoff_key(model)
    if key not in st.session_state:
        st.session_state[key] = ui.default_cutoff(model)
    cutoff = c1.slider("Cutoff: decline when PD ≥", ui.CUTOFF_MIN, ui.CUTOFF_MAX, step=0.001, format="percent", key=key)
    approved = float(np.mean(scores.pd < cutoff))
    msg = f"At this cutoff {pct(approved)} of all {count(len(scores))} applicants in the book are approved."
    if approved == 0 or approved == 1:
        st.warning(msg + " Every applicant gets the same decision, so fairness ratios and reason references are empty; "
                   "move the cutoff.", icon=":material/tune:")
    else:
        st.caption(msg)
    return float(cutoff), float(cost_bad), float(cost_good)


def performance_tab(model: CreditModel, ds: Dataset, scores: Scores, cutoff: float, cost_bad: float, cost_good: float) -> None:
    if not scores.has_target or scores.y is None:
        st.info("This dataset has no known outcome for the rows the model never learnt from, so discrimination and "
                "calibration cannot be measured; stability is shown below.", icon=":material/info:")
        monitoring_section(model, ds, scores)
        return
    te = scores.test
    y, p, lr = scores.y[te], scores.pd[te], scores.lr_pd[te]
    xs, ls = M.summary(y, p), M.summary(y, lr)
    cols = st.columns(5)
    for col, key, name in zip(cols, ["auc", "gini", "ks", "brier", "log_loss"], ["AUC", "Gini", "KS", "Brier", "Log loss"], strict=True):
        col.metric(name, number(xs[key], 3), f"{xs[key] - ls[key]:+.3f} vs logistic",
                   delta_color="inverse" if key in ("brier", "log_loss") else "normal")
    table = pd.DataFrame([{"model": "XGBoost (calibrated)", **xs}, {"model": "Logistic regression", **ls}])
    st.dataframe(table[["model", "auc", "gini", "ks", "brier", "log_loss", "mean_pd", "default_rate", "n"]],
                 hide_index=True, width="stretch",
                 column_config={"model": st.column_config.TextColumn("Model"), "n": st.column_config.NumberColumn("Applicants", format="localized")}
                 | {c: st.column_config.NumberColumn(n, format="%.4f") for c, n in
                    [("auc", "AUC"), ("gini", "Gini"), ("ks", "KS"), ("brier", "Brier"), ("log_loss", "Log loss")]}
                 | {c: st.column_config.NumberColumn(n, format="percent") for c, n in
                    [("mean_pd", "Mean PD"), ("default_rate", "Default rate")]})
    where = (f"the {model.meta.split.how} test split" if scores.trained_here else "every row (the model was trained on "
             f"{ui.label(model.meta.dataset.name)})")
    st.caption(f"Measured on {where}: {count(int(te.sum()))} rows. Train AUC {number(model.meta.metrics.train_auc, 3)}.")
    a, b = st.columns(2)
    fpr, tpr, _ = M.roc(y, p)
    lfpr, ltpr, _ = M.roc(y, lr)
    a.plotly_chart(charts.roc({"XGBoost": (fpr, tpr), "Logistic": (lfpr, ltpr)}), width="stretch", key="credit_fig_roc")
    b.plotly_chart(charts.calibration(M.calibration_table(y, p)), width="stretch", key="credit_fig_cal")
    a, b = st.columns(2)
    a.plotly_chart(charts.score_distribution(p, y, cutoff), width="stretch", key="credit_fig_dist")
    b.plotly_chart(charts.gains(M.gains_table(y, p)), width="stretch", key="credit_fig_gains")
    a, b = st.columns(2)
    conf = M.confusion(y, p, cutoff)
    with a:
        st.markdown(f"**Decisions at cutoff {pct(cutoff)}** on the {count(len(y))} measured rows · approval rate "
                    f"{pct(conf.approval_rate)}")
        st.dataframe(conf.matrix().map(count), width="stretch")
        st.caption(f"Goods declined (FPR) {pct(conf.fpr)} · bads approved (FNR) {pct(conf.fnr)} · expected cost "
                   f"{number(conf.cost(cost_bad, cost_good) / max(len(y), 1), 3)} per applicant.")
    best = M.cost_based_cutoff(y, p, cost_bad, cost_good)
    b.plotly_chart(charts.cost_curve(M.cost_curve(y, p, cost_bad, cost_good), cutoff, best["cutoff"]), width="stretch",
                   key="credit_fig_cost")
    b.caption(f"Least-cost cutoff {pct(best['cutoff'])} (cost {number(best['cost_per_applicant'], 3)}); Bayes cutoff for "
              f"calibrated PDs {pct(best['bayes_cutoff'])}.")
    monitoring_section(model, ds, scores)


def monitoring_section(model: CreditModel, ds: Dataset, scores: Scores) -> None:
    st.markdown("**Stability against the training data**")
    try:
        stab = stability(model, ds, scores)
    except StudioError as exc:
        show_error(exc, "Stability")
        return
    st.write(f"PSI of the scores, {count(stab.rows)} rows ({ui.label(stab.against)}) against the training split: "
             f"**{number(stab.psi, 3)}** ({stab.label}).")
    a, b = st.columns([3, 2])
    a.plotly_chart(charts.drift_bars(stab.features), width="stretch", key="credit_fig_drift")
    with b:
        st.dataframe(ui.labelled(stab.features, "feature"), hide_index=True, width="stretch", height=300,
                     column_config={"feature": "Feature", "csi": st.column_config.NumberColumn("CSI", format="%.4f"),
                                    "label": "Reading"})
    with st.expander("PSI by score bin"):
        st.dataframe(stab.bins, hide_index=True, width="stretch", column_config=PSI_COLUMNS)
    champion_challenger(model, ds)


def champion_challenger(model: CreditModel, ds: Dataset) -> None:
    st.markdown("**Champion and challengers** · stored models on the same rows (none of them trained on)")
    metas = [m for m in stored_models() if m.fingerprint != model.fingerprint and not [f for f in m.profiles if f not in ds.frame.columns]]
    if not metas:
        st.caption("No other stored model can score this dataset yet; train one with other settings to compare.")
        return
    labels = {f"{m.fingerprint} · {m.dataset.name} · test AUC {m.metrics.xgboost.auc:.3f}": m.fingerprint for m in metas}
    picked = st.multiselect("Challengers", list(labels), default=list(labels)[:2], key="credit_challengers")
    if not picked or not st.button("Compare", key="credit_compare", icon=":material/compare_arrows:"):
        return
    try:
        table, rows = compare_models([model, *[load_model(labels[p]) for p in picked]], ds, ui.current_cutoff(model))
    except StudioError as exc:
        show_error(exc, "Comparison")
        return
    table.insert(0, "role", ["champion" if f == model.fingerprint else "challenger" for f in table["model"]])
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        **{c: st.column_config.NumberColumn(c.replace("_", " ").capitalize(), format="%.4f")
           for c in ("auc", "gini", "ks", "brier", "psi_vs_training", "benchmark_auc")},
        **{c: st.column_config.NumberColumn(c.replace("_", " ").capitalize(), format="percent")
           for c in ("mean_pd", "default_rate", "approval_rate")}})
    st.caption(f"Compared on {count(rows)} rows that none of these models was trained on.")
