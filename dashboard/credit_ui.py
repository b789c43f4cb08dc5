"""The credit page's building blocks: the model panel, decision controls and one function per tab.

Heavy results are cached per (model fingerprint, dataset fingerprint) with ``st.cache_resource``:
they are immutable arrays shared by every session. A what-if or a counterfactual is computed on
demand for one applicant (milliseconds; see ``bench/bench_credit.py``).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from core.credit import metrics as M
from core.credit.counterfactual import actionable_features, default_immutable, find_counterfactual
from core.credit.fairness import fairness_report
from core.credit.global_shap import GlobalSample, full_shap_job, sample_explanation
from core.credit.model import DEFAULT_MONOTONE, TEST, CreditParams, protected_attributes
from core.credit.reasons import Reference, reason_table, reasons_for_row
from core.credit.report import render_report
from core.credit.service import CreditModel, latest_model, load_model, model_runs, train_or_load
from core.credit.whatif import what_if
from core.data import Dataset
from core.errors import StudioError
from dashboard import credit_charts as charts
from dashboard import state
from dashboard.shell import show_error

SAMPLE_ROWS = 5000
UNITS = ["log-odds", "probability"]
FAIR_COLUMNS = {
    "group": st.column_config.TextColumn("Group"),
    "n": st.column_config.NumberColumn("Applicants", format="localized"),
    "default_rate": st.column_config.NumberColumn("Default rate", format="percent"),
    "mean_pd": st.column_config.NumberColumn("Mean PD", format="percent"),
    "approval_rate": st.column_config.NumberColumn("Approval rate", format="percent"),
    "auc": st.column_config.NumberColumn("AUC", format="%.3f"),
    "fpr": st.column_config.NumberColumn("Goods declined (FPR)", format="percent"),
    "fnr": st.column_config.NumberColumn("Bads approved (FNR)", format="percent"),
    "adverse_impact_ratio": st.column_config.NumberColumn("Adverse-impact ratio", format="%.2f"),
    "four_fifths_flag": st.column_config.CheckboxColumn("Below 4/5"),
    "small_group": st.column_config.CheckboxColumn("Small group (<20)"),
}
PSI_COLUMNS = {
    "low": st.column_config.NumberColumn("PD from", format="percent"),
    "high": st.column_config.NumberColumn("PD to", format="percent"),
    "expected": st.column_config.NumberColumn("Share in training", format="percent"),
    "actual": st.column_config.NumberColumn("Share scored now", format="percent"),
    "psi": st.column_config.NumberColumn("PSI contribution", format="%.4f"),
}
REFERENCES = ["Approved applicants", "All applicants"]


@dataclass(frozen=True)
class Scores:
    """Every row of the dataset scored once: margin, calibrated PD, benchmark PD, target, split."""

    margin: np.ndarray
    pd: np.ndarray
    lr_pd: np.ndarray
    y: np.ndarray
    split: np.ndarray  # 0 train, 1 valid, 2 test (all 2 when the model was trained on other data)

    @property
    def test(self) -> np.ndarray:
        return self.split == TEST


# ---- cached core calls ---------------------------------------------------------------------------
@st.cache_resource(show_spinner="Scoring every applicant...", max_entries=4)
def cached_scores(_model: CreditModel, _ds: Dataset, model_fp: str, ds_fp: str) -> Scores:
    margin = _model.predict_margin(_ds.frame)
    split = _model.split_labels if _model.dataset_fingerprint == ds_fp else np.full(len(margin), TEST, np.int8)
    return Scores(margin, _model.pd_from_margin(margin), _model.predict_benchmark_pd(_ds.frame), _ds.target_vector(), split)


@st.cache_resource(show_spinner="Explaining a stratified sample...", max_entries=4)
def cached_sample(_model: CreditModel, _ds: Dataset, model_fp: str, ds_fp: str, n: int) -> GlobalSample:
    return sample_explanation(_model, _ds.frame, _ds.target_vector(), n, seed=0)


@st.cache_resource(show_spinner=False, max_entries=16)
def cached_reference(_sample: GlobalSample, model_fp: str, ds_fp: str, kind: str, cutoff: float) -> Reference:
    mask = _sample.pd < cutoff if kind == REFERENCES[0] else None
    return Reference.from_explanation(_sample.explanation, mask, kind.lower())


# ---- the model ---------------------------------------------------------------------------------------
def current_model(ds: Dataset) -> CreditModel | None:
    """The model picked this session for this dataset, else the newest stored one, else None."""
    fp = state.get(state.CREDIT_MODEL_FP)
    if fp:
        try:
            model = load_model(fp)
            if model.dataset_fingerprint == ds.fingerprint:
                return model
        except StudioError:
            state.pop(state.CREDIT_MODEL_FP)
    model = latest_model(ds)
    if model is not None:
        state.put(state.CREDIT_MODEL_FP, model.fingerprint)
    return model


def _monotone_editor(ds: Dataset, features: list[str]) -> dict[str, int]:
    numeric = [f for f in features if f in ds.schema.numeric]
    table = pd.DataFrame({"feature": numeric, "direction": [DEFAULT_MONOTONE.get(f, 0) for f in numeric]})
    edited = st.data_editor(
        table, key=f"credit_monotone_{ds.fingerprint}", hide_index=True, height=260, width="stretch", disabled=["feature"],
        column_config={"direction": st.column_config.SelectboxColumn(
            "monotone", options=[-1, 0, 1], required=True,
            help="+1: a higher value never lowers risk; -1: never raises it; 0: free")})
    return {r.feature: int(r.direction) for r in edited.itertuples() if int(r.direction) != 0}


def model_panel(ds: Dataset, model: CreditModel | None) -> CreditModel | None:
    """Settings, the train button (with progress) and the list of stored models to load."""
    with st.expander("Model settings, training and stored models", expanded=model is None, icon=":material/model_training:"):
        features = ds.features()
        protected = protected_attributes(features)
        left, right = st.columns([3, 2])
        with left:
            exclude = st.multiselect("Keep out of the model", features, default=[], key="credit_exclude",
                                     help="Protected attributes kept out are still used on the Fairness tab.")
            if protected:
                st.caption("Protected attributes in the data: " + ", ".join(f"`{p}`" for p in protected) +
                           ". They are never changed by the counterfactual search.")
            c1, c2, c3 = st.columns(3)
            trees = c1.number_input("Max trees", 20, 3000, 400, 20, key="credit_trees")
            depth = c2.number_input("Depth", 1, 10, 4, key="credit_depth")
            lr = c3.number_input("Learning rate", 0.005, 1.0, 0.05, 0.005, format="%.3f", key="credit_lr")
            c1, c2, c3 = st.columns(3)
            encoding = c1.selectbox("Categoricals", ["native", "onehot"], key="credit_encoding")
            calibration = c2.selectbox("Calibration", ["auto", "isotonic", "platt"], key="credit_calibration")
            seed = c3.number_input("Seed", 0, 2**31 - 1, 42, key="credit_seed")
        with right:
            st.caption("Monotone constraints")
            monotone = _monotone_editor(ds, [f for f in features if f not in exclude])
        params = CreditParams(n_estimators=int(trees), max_depth=int(depth), learning_rate=float(lr), encoding=encoding,
                              calibration=calibration, seed=int(seed), exclude=tuple(exclude), monotone=monotone)
        if st.button("Train model", key="credit_train", type="primary", icon=":material/play_arrow:"):
            bar = st.progress(0.0, text="Starting")
            try:
                model = train_or_load(ds, params, progress=lambda f, msg: bar.progress(min(max(f, 0.0), 1.0), text=msg))
                state.put(state.CREDIT_MODEL_FP, model.fingerprint)
                bar.progress(1.0, text=f"Model {model.fingerprint} ready")
            except StudioError as exc:
                bar.empty()
                show_error(exc, "Training failed")
        runs = _stored_runs(ds)
        if not runs.empty:
            labels = {f"{r.created_at:%Y-%m-%d %H:%M} · {r.model_fingerprint}": r.model_fingerprint for r in runs.itertuples()}
            pick = st.selectbox("Stored models for this dataset", list(labels), key="credit_stored")
            if st.button("Load this model", key="credit_load", icon=":material/download:"):
                try:
                    model = load_model(labels[pick])
                    state.put(state.CREDIT_MODEL_FP, model.fingerprint)
                except StudioError as exc:
                    show_error(exc, "Loading failed")
    return model


def _stored_runs(ds: Dataset) -> pd.DataFrame:
    try:
        return model_runs(ds).dropna(subset=["model_fingerprint"]).drop_duplicates("model_fingerprint")
    except StudioError:
        return pd.DataFrame()


def model_banner(model: CreditModel) -> None:
    m = model.metrics["xgboost"]
    st.success(f"Model `{model.fingerprint}`: {model.meta['n_trees']} trees, {len(model.feature_names)} features, "
               f"{model.meta['split']} split, {model.meta['calibration']} calibration · test AUC {m['auc']:.3f} "
               f"(logistic benchmark {model.metrics['logistic']['auc']:.3f}).", icon=":material/check_circle:")
    for w in model.warnings:
        st.warning(w, icon=":material/warning:")


# ---- decision controls -----------------------------------------------------------------------------
def _set_cost_cutoff(y: np.ndarray, p: np.ndarray) -> None:
    best = M.cost_based_cutoff(y, p, st.session_state.get("credit_cost_bad", 5.0), st.session_state.get("credit_cost_good", 1.0))
    st.session_state["credit_cutoff"] = float(np.clip(round(best["cutoff"], 3), 0.005, 0.995))


def decision_controls(scores: Scores) -> tuple[float, float, float]:
    """Cutoff and costs: (cutoff, cost of a bad accepted, cost of a good declined)."""
    c1, c2, c3, c4 = st.columns([3, 1, 1, 1.3], vertical_alignment="bottom")
    cost_bad = c2.number_input("Cost: bad accepted", 0.01, 1000.0, 5.0, 0.5, key="credit_cost_bad")
    cost_good = c3.number_input("Cost: good declined", 0.01, 1000.0, 1.0, 0.5, key="credit_cost_good")
    c4.button("Least-cost cutoff", key="credit_use_cost_cutoff", on_click=_set_cost_cutoff,
              args=(scores.y[scores.test], scores.pd[scores.test]), help="Sets the cutoff with the least expected cost on the test split.")
    if "credit_cutoff" not in st.session_state:
        st.session_state["credit_cutoff"] = round(1.0 / 6.0, 3)
    cutoff = c1.slider("Cutoff: decline when PD ≥", 0.005, 0.995, step=0.005, format="percent", key="credit_cutoff")
    return float(cutoff), float(cost_bad), float(cost_good)


# ---- performance -----------------------------------------------------------------------------------
def performance_tab(model: CreditModel, scores: Scores, cutoff: float, cost_bad: float, cost_good: float) -> None:
    te = scores.test
    y, p, lr = scores.y[te], scores.pd[te], scores.lr_pd[te]
    xs, ls = M.summary(y, p), M.summary(y, lr)
    cols = st.columns(5)
    for col, key, label in zip(cols, ["auc", "gini", "ks", "brier", "log_loss"], ["AUC", "Gini", "KS", "Brier", "Log loss"], strict=True):
        better_low = key in ("brier", "log_loss")
        col.metric(label, f"{xs[key]:.3f}", f"{xs[key] - ls[key]:+.3f} vs logistic",
                   delta_color="inverse" if better_low else "normal")
    table = pd.DataFrame([{"model": "XGBoost (calibrated)", **xs}, {"model": "Logistic regression", **ls}])
    st.dataframe(table[["model", "auc", "gini", "ks", "brier", "log_loss", "mean_pd", "default_rate", "n"]],
                 hide_index=True, width="stretch",
                 column_config={"model": st.column_config.TextColumn("Model"), "n": st.column_config.NumberColumn("Applicants", format="localized")}
                 | {c: st.column_config.NumberColumn(label, format="%.4f") for c, label in
                    [("auc", "AUC"), ("gini", "Gini"), ("ks", "KS"), ("brier", "Brier"), ("log_loss", "Log loss")]}
                 | {c: st.column_config.NumberColumn(label, format="percent") for c, label in
                    [("mean_pd", "Mean PD"), ("default_rate", "Default rate")]})
    st.caption(f"Measured on the {model.meta['split']} test split ({int(te.sum()):,} rows). AUC of the raw margin "
               f"{model.metrics['xgboost'].get('auc_raw_margin', float('nan')):.4f}; train AUC {model.metrics.get('train_auc', float('nan')):.4f}.")
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
        st.markdown(f"**Decisions at cutoff {cutoff:.1%}** · approval rate {conf.approval_rate:.1%}")
        st.dataframe(conf.matrix().map(lambda v: f"{int(v):,}"), width="stretch")
        st.caption(f"Goods declined (FPR) {conf.fpr:.1%} · bads approved (FNR) {conf.fnr:.1%} · expected cost "
                   f"{conf.cost(cost_bad, cost_good) / max(len(y), 1):.3f} per applicant.")
    best = M.cost_based_cutoff(y, p, cost_bad, cost_good)
    b.plotly_chart(charts.cost_curve(M.cost_curve(y, p, cost_bad, cost_good), cutoff, best["cutoff"]), width="stretch",
                   key="credit_fig_cost")
    b.caption(f"Least-cost cutoff {best['cutoff']:.1%} (cost {best['cost_per_applicant']:.3f}); Bayes cutoff for calibrated "
              f"PDs {best['bayes_cutoff']:.1%}.")
    st.markdown("**Population stability**")
    train_ref = model.reference["train_pd"]
    scoring = scores.pd
    value = M.psi(train_ref, scoring)
    st.write(f"PSI of the scores, training vs the data being scored: **{value:.4f}** ({M.psi_label(value)}); "
             f"training vs test split: {model.metrics.get('psi_train_vs_test', float('nan')):.4f}.")
    with st.expander("PSI by score bin"):
        st.dataframe(M.psi_table(train_ref, scoring), hide_index=True, width="stretch", column_config=PSI_COLUMNS)


# ---- global explanation ------------------------------------------------------------------------------
def _full_progress(job) -> None:
    @st.fragment(run_every=1.0)
    def poll() -> None:
        if job.status == "running":
            st.progress(job.progress, text=f"Full SHAP on every row in the background: {job.progress:.0%}")
        elif job.status == "done":
            st.rerun(scope="app")
        elif job.status == "failed":
            st.warning(f"The full SHAP computation failed ({job.error}); the sample view stays.")

    poll()


def global_tab(model: CreditModel, ds: Dataset, scores: Scores) -> None:
    sample = cached_sample(model, ds, model.fingerprint, ds.fingerprint, SAMPLE_ROWS)
    # on a CPU the background job waits a moment so that the sample view paints first
    job = full_shap_job(model, ds.frame, ds.fingerprint, delay=0.0 if model.device == "cuda" else 2.0)
    c1, c2 = st.columns(2)
    unit = c1.segmented_control("Units", UNITS, default=UNITS[0], key="credit_unit") or UNITS[0]
    options = [f"Stratified sample ({len(sample.rows):,} rows)"]
    if job.status == "done" and len(sample.rows) < ds.n_rows:
        options.append(f"All rows ({ds.n_rows:,})")
    rows = c2.radio("Rows explained", options, horizontal=True, key="credit_global_rows")
    if job.status != "done":
        _full_progress(job)
    if rows.startswith("All") and job.status == "done":
        expl, margin = job.result(), scores.margin
    else:
        expl, margin = sample.explanation, sample.margin
    residual = expl.additivity_residual(margin)
    st.caption(f"Exact TreeSHAP of the raw margin. Additivity residual max |base + Σ SHAP − margin| = {residual:.2e} "
               f"(log-odds){' ✓' if residual < 1e-4 else ' — larger than 1e-4, check the model'}. "
               f"Sample explained in {sample.seconds:.2f} s.")
    if unit == "probability":
        expl = expl.to_probability(model.pd_from_margin)
        st.caption("Probability view: each applicant's log-odds contributions rescaled to add up to calibrated PD − PD(base).")
    a, b = st.columns([2, 3])
    a.plotly_chart(charts.importance(expl.mean_abs(), unit=unit), width="stretch", key="credit_fig_importance")
    b.plotly_chart(charts.beeswarm(expl), width="stretch", key="credit_fig_beeswarm")
    ranked = list(expl.mean_abs().index)
    c1, c2 = st.columns(2)
    feature = c1.selectbox("Dependence plot for", ranked, key="credit_dep_feature")
    partner = charts.interaction_partner(expl, feature)
    colour_opts = ["auto (strongest interaction)", "none", *[f for f in ranked if f != feature]]
    colour = c2.selectbox("Colour by", colour_opts, key="credit_dep_colour")
    colour_by = partner if colour.startswith("auto") else (None if colour == "none" else colour)
    st.plotly_chart(charts.dependence(expl, feature, colour_by), width="stretch", key="credit_fig_dependence")


# ---- applicant ---------------------------------------------------------------------------------------------
def _applicant_label(applicant_id: object, p: float, cutoff: float) -> str:
    return f"{applicant_id} · PD {p:.2%} · {'declined' if p >= cutoff else 'approved'}"


def pick_applicant(ds: Dataset, scores: Scores, cutoff: float) -> int | None:
    ids = ds.ids().reset_index(drop=True)
    mode = st.radio("Pick an applicant", ["Near the cutoff", "By id", "By filter"], horizontal=True, key="credit_pick_mode")
    if mode == "Near the cutoff":
        near = np.argsort(np.abs(scores.pd - cutoff), kind="stable")[:40]
        # declined first (closest to the cutoff first): those are the ones with reasons and a counterfactual
        near = sorted(near, key=lambda i: (scores.pd[i] < cutoff, abs(scores.pd[i] - cutoff)))
        labels = {_applicant_label(ids[i], scores.pd[i], cutoff): int(i) for i in near}
        return labels[st.selectbox("Applicants closest to the cutoff (declined first)", list(labels), key="credit_pick_near")]
    if mode == "By id":
        default = str(ids[int(np.argmax(scores.pd >= cutoff))])
        text = st.text_input("Applicant id", value=default, key="credit_pick_id").strip()
        hits = np.flatnonzero(ids.astype(str).to_numpy() == text)
        if not len(hits):
            st.warning(f"No applicant has the id '{text}'.", icon=":material/search_off:")
            return None
        return int(hits[0])
    c1, c2 = st.columns(2)
    decision = c1.radio("Decision", ["declined", "approved", "all"], horizontal=True, key="credit_filter_decision")
    lo, hi = c2.slider("PD between", 0.0, 1.0, (0.0, 1.0), 0.01, format="percent", key="credit_filter_pd")
    mask = (scores.pd >= lo) & (scores.pd <= hi)
    if decision != "all":
        mask &= (scores.pd >= cutoff) if decision == "declined" else (scores.pd < cutoff)
    rows = np.flatnonzero(mask)
    if not len(rows):
        st.info("No applicant matches this filter.")
        return None
    rows = rows[np.argsort(-scores.pd[rows])][:500]
    labels = {_applicant_label(ids[i], scores.pd[i], cutoff): int(i) for i in rows}
    return labels[st.selectbox(f"{int(mask.sum()):,} applicants match (riskiest 500 listed)", list(labels), key="credit_pick_filter")]


def applicant_tab(model: CreditModel, ds: Dataset, scores: Scores, cutoff: float) -> None:
    i = pick_applicant(ds, scores, cutoff)
    if i is None:
        return
    row = ds.frame.iloc[[i]]
    expl = model.explain(row)
    p = float(model.pd_from_margin(expl.output_values)[0])
    declined = p >= cutoff
    c = st.columns(4)
    c[0].metric("PD (calibrated)", f"{p:.2%}")
    c[1].metric("Decision", "Declined" if declined else "Approved", f"cutoff {cutoff:.1%}", delta_color="off")
    c[2].metric("Log-odds (raw margin)", f"{expl.output_values[0]:.3f}")
    c[3].metric("Logistic benchmark PD", f"{float(scores.lr_pd[i]):.2%}")
    sample = cached_sample(model, ds, model.fingerprint, ds.fingerprint, SAMPLE_ROWS)
    left, right = st.columns([2, 3])
    with left:
        kind = st.radio("Reasons measured against", REFERENCES, horizontal=True, key="credit_reference")
        ref = cached_reference(sample, model.fingerprint, ds.fingerprint, kind, round(cutoff, 4))
        reasons = reasons_for_row(expl.values[0], expl.data.iloc[0], expl.feature_names, ref)
        st.markdown("**Principal reasons**" + (" (adverse action)" if declined else " (what raises the risk most)"))
        if reasons:
            for r in reasons:
                st.markdown(f"{r.rank}. {html.escape(r.text)} <span style='color:grey'>({html.escape(r.code)}, "
                            f"{html.escape(r.feature)}, +{r.weight:.2f} log-odds)</span>", unsafe_allow_html=True)
        else:
            st.write("No feature raises this applicant's risk above the reference population.")
    with right:
        unit = st.segmented_control("Units", UNITS, default=UNITS[0], key="credit_unit_applicant") or UNITS[0]
        shown = expl if unit == "log-odds" else expl.to_probability(model.pd_from_margin)
        st.plotly_chart(charts.waterfall(shown.values[0], shown.feature_names, shown.data.iloc[0], float(shown.base_values[0]),
                                         shown.output), width="stretch", key="credit_fig_waterfall")
        st.caption(f"SHAP explains the raw margin exactly: base {expl.base_values[0]:.3f} + Σ contributions = "
                   f"{expl.output_values[0]:.3f} log-odds (sigmoid {1 / (1 + np.exp(-expl.output_values[0])):.2%}). "
                   f"Calibration ({model.meta['calibration']}) maps that margin monotonically to the PD of {p:.2%}.")
    st.divider()
    whatif_section(model, ds, row, i, cutoff)
    st.divider()
    counterfactual_section(model, row, i, cutoff, declined)


def whatif_section(model: CreditModel, ds: Dataset, row: pd.DataFrame, i: int, cutoff: float | None = None) -> None:
    st.markdown("**What if?** Edit any field and the PD and contributions are recomputed.")
    original = row[model.feature_names].reset_index(drop=True)
    shown = original.copy()
    config = {}
    for f in model.feature_names:
        if f in model.encoder.categories:
            shown[f] = shown[f].astype(str).where(shown[f].notna(), None)
            config[f] = st.column_config.SelectboxColumn(f, options=model.encoder.categories[f])
        else:
            shown[f] = pd.to_numeric(shown[f], errors="coerce").astype(float)
    edited = st.data_editor(shown, key=f"credit_whatif_{model.fingerprint}_{i}", hide_index=True, num_rows="fixed",
                            column_config=config, width="stretch")
    edits = {}
    for f in model.feature_names:
        a, b = shown[f].iloc[0], edited[f].iloc[0]
        if not ((pd.isna(a) and pd.isna(b)) or a == b):
            edits[f] = b
    if not edits:
        st.caption("No field edited yet.")
        return
    try:
        w = what_if(model, row, edits)
    except StudioError as exc:
        show_error(exc, "The edited applicant cannot be scored")
        return
    for msg in w.warnings:
        st.warning(msg, icon=":material/warning:")
    c1, c2 = st.columns([1, 3])
    c1.metric("PD after the edit", f"{w.pd_after:.2%}", f"{(w.pd_after - w.pd_before) * 100:+.2f} pp", delta_color="inverse")
    c1.caption(f"Before: {w.pd_before:.2%}. Edited: {', '.join(edits)}.")
    if cutoff is not None:
        before, after = ("declined" if v >= cutoff else "approved" for v in (w.pd_before, w.pd_after))
        c1.markdown(f"Decision at {cutoff:.1%}: **{before}**" + (f" → **{after}**" if after != before else " (unchanged)"))
    c2.plotly_chart(charts.whatif_bars(w.comparison()), width="stretch", key="credit_fig_whatif")


def counterfactual_section(model: CreditModel, row: pd.DataFrame, i: int, cutoff: float, declined: bool) -> None:
    st.markdown("**Smallest realistic change to reach approval** (counterfactual)")
    c1, c2 = st.columns([3, 1])
    immutable = c1.multiselect("Never change", model.feature_names, default=sorted(default_immutable(model)),
                               key="credit_cf_immutable", help="Protected attributes and economic conditions are fixed by default.")
    max_changes = c2.number_input("At most this many features", 1, 6, 3, key="credit_cf_max")
    st.caption("Can change: " + ", ".join(actionable_features(model, set(immutable))) + ". Categorical fields stay fixed.")
    if not declined:
        st.caption(":material/check_circle: This applicant is already approved at this cutoff, so there is no change to "
                   "search for. Pick a declined applicant to find the smallest change to approval.")
    if st.button("Find the smallest change", key="credit_cf", disabled=not declined, icon=":material/alt_route:",
                 help=None if declined else "This applicant is already approved."):
        try:
            cf = find_counterfactual(model, row, cutoff, set(immutable), int(max_changes))
        except StudioError as exc:
            show_error(exc, "Counterfactual search failed")
            return
        st.session_state["credit_cf_result"] = (model.fingerprint, i, cutoff, cf)
    saved = st.session_state.get("credit_cf_result")
    if saved and saved[:3] == (model.fingerprint, i, cutoff):
        cf = saved[3]
        (st.success if cf.found else st.info)(cf.message)
        if not cf.changes.empty:
            st.dataframe(cf.changes.round(2), hide_index=True, width="stretch", column_config={
                "feature": st.column_config.TextColumn("Feature"),
                **{c: st.column_config.NumberColumn(c.capitalize(), format="localized") for c in ("from", "to", "change")}})
        st.caption(f"{cf.candidates_scored:,} candidates scored in {cf.seconds * 1000:.0f} ms.")


# ---- fairness ------------------------------------------------------------------------------------------------
def fairness_tab(model: CreditModel, ds: Dataset, scores: Scores, cutoff: float) -> None:
    c1, c2 = st.columns(2)
    which = c1.radio("Applicants", ["Test split", "All rows"], horizontal=True, key="credit_fair_rows")
    candidates = [c for c in ds.schema.categorical if c in ds.frame.columns]
    extra = c2.multiselect("Also group by", candidates, key="credit_fair_extra")
    rows = np.flatnonzero(scores.test) if which == "Test split" else np.arange(ds.n_rows)
    rep = fairness_report(ds.frame.iloc[rows], scores.y[rows], scores.pd[rows], cutoff, ds.schema.semantics, extra)
    excluded = [c for c in model.meta.get("excluded", [])]
    if excluded:
        st.caption(f"Kept out of the model: {', '.join(excluded)}; still used here for grouping.")
    if not rep:
        st.info("No grouping attribute (age, sex or personal status) was found; pick columns to group by.")
        return
    st.caption("Positive = declined. FPR: goods declined; FNR: bads approved. Adverse-impact ratio (AIR): approval rate "
               "over the best group's; below 0.8 fails the four-fifths screen. Groups under 20 applicants are marked small.")
    for name, table in rep.items():
        st.markdown(f"**{name}**")
        flagged = table.loc[table["four_fifths_flag"] & ~table["small_group"], "group"].tolist()
        if flagged:
            st.warning(f"Four-fifths flag for {name}: {', '.join(flagged)}.", icon=":material/balance:")
        a, b = st.container(), st.container()
        a.dataframe(table, hide_index=True, width="stretch", column_config=FAIR_COLUMNS)
        b.plotly_chart(charts.fairness_bars(table, f"Approval rate by {name}"), width="stretch", key=f"credit_fig_fair_{name}")


# ---- exports ---------------------------------------------------------------------------------------------------
def export_tab(model: CreditModel, ds: Dataset, scores: Scores, cutoff: float, cost_bad: float, cost_good: float) -> None:
    st.markdown("**Reason codes for declined applicants** (CSV, top four reasons each)")
    c1, c2, c3 = st.columns(3)
    lo, hi = c1.slider("PD between", 0.0, 1.0, (float(cutoff), 1.0), 0.005, format="percent", key="credit_export_pd")
    limit = c2.number_input("At most", 1, 50_000, 2000, 500, key="credit_export_max")
    kind = c3.radio("Against", REFERENCES, key="credit_export_reference")
    column = st.selectbox("Only where", ["(no further filter)", *ds.schema.categorical], key="credit_export_col")
    mask = (scores.pd >= max(lo, cutoff)) & (scores.pd <= hi)
    if column != "(no further filter)":
        values = st.multiselect(f"{column} is one of", sorted(ds.frame[column].dropna().astype(str).unique()), key="credit_export_vals")
        if values:
            mask &= ds.frame[column].astype(str).isin(values).to_numpy()
    rows = np.flatnonzero(mask)
    rows = rows[np.argsort(-scores.pd[rows])][: int(limit)]
    st.caption(f"{int(mask.sum()):,} declined applicants match; the {len(rows):,} riskiest are exported.")
    if st.button("Prepare reason codes", key="credit_export_reasons", disabled=not len(rows), icon=":material/list_alt:"):
        sample = cached_sample(model, ds, model.fingerprint, ds.fingerprint, SAMPLE_ROWS)
        ref = cached_reference(sample, model.fingerprint, ds.fingerprint, kind, round(cutoff, 4))
        expl = model.explain(ds.frame.iloc[rows])
        table = reason_table(expl, ref, ds.ids().to_numpy()[rows], scores.pd[rows])
        table.insert(2, "decision", "declined")
        st.session_state["credit_export_csv"] = (model.fingerprint, table)
    saved = st.session_state.get("credit_export_csv")
    if saved and saved[0] == model.fingerprint:
        st.dataframe(saved[1].head(50), hide_index=True, width="stretch")
        st.download_button("Download reason codes (CSV)", saved[1].to_csv(index=False).encode(), "reason_codes.csv", "text/csv",
                           key="credit_export_download", icon=":material/download:")
    st.divider()
    st.markdown("**Model report** (HTML: data, method, performance, explanations, fairness, limitations)")
    if st.button("Build model report", key="credit_report", icon=":material/description:"):
        with st.spinner("Building the report..."):
            st.session_state["credit_report_html"] = (model.fingerprint, render_report(model, ds, cutoff, cost_bad, cost_good))
    saved = st.session_state.get("credit_report_html")
    if saved and saved[0] == model.fingerprint:
        st.download_button("Download model report (HTML)", saved[1].encode("utf-8"), f"credit_model_{model.fingerprint}.html",
                           "text/html", key="credit_report_download", icon=":material/download:")
    st.divider()
    st.markdown("**Model runs for this dataset** (workspace log)")
    runs = _stored_runs(ds)
    if runs.empty:
        st.caption("No run logged yet.")
    else:
        st.dataframe(runs, hide_index=True, width="stretch")
