"""The credit page's Global explanation tab: importance, beeswarm, and one deeper view at a time.

Views (only the chosen one is computed): SHAP dependence, partial dependence with ICE curves,
SHAP interaction values, a decision plot across selected applicants, and two cohorts side by side.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from core.credit.cohorts import Filter, compare
from core.credit.global_shap import full_shap_job
from core.credit.interactions import Interactions, interaction_values
from core.credit.model import CreditModel
from core.credit.pdp import PartialDependence, partial_dependence
from core.credit.scores import Scores
from core.data import Dataset
from core.errors import StudioError
from core.formatting import column_label, count, number, pct
from dashboard import credit_charts as charts
from dashboard import credit_charts_local as local
from dashboard import credit_ui as ui
from dashboard.shell import show_error

UNITS = ["log-odds", "probability"]
VIEWS = ["Dependence", "PDP / ICE", "Interactions", "Decision plot", "Cohorts"]
AUTO, NONE = "auto (strongest interaction)", "none"
EVERYONE = "(all applicants)"


@st.cache_resource(show_spinner="Computing partial dependence on every row...", max_entries=16)
def cached_pdp(_model: CreditModel, _ds: Dataset, model_fp: str, ds_fp: str, feature: str, points: int,
               ice: int) -> PartialDependence:
    return partial_dependence(_model, _ds.frame, feature, points, ice)


@st.cache_resource(show_spinner="Computing SHAP interaction values...", max_entries=4)
def cached_interactions(_model: CreditModel, _ds: Dataset, _rows: np.ndarray, model_fp: str, ds_fp: str,
                        n: int) -> Interactions:
    return interaction_values(_model, _ds.frame.iloc[_rows])


def _full_progress(job) -> None:
    @st.fragment(run_every=1.0)
    def poll() -> None:
        if job.status == "running":
            st.progress(job.progress, text=f"Full SHAP on every row in the background: {pct(job.progress, 0)}")
        elif job.status == "done":
            st.rerun(scope="app")
        elif job.status == "failed":
            st.warning("The full SHAP computation failed; the sample view stays.", icon=":material/warning:")

    poll()


def global_tab(model: CreditModel, ds: Dataset, scores: Scores, cutoff: float) -> None:
    sample = ui.sample_of(model, ds, scores)
    job = full_shap_job(model, ds.frame, ds.fingerprint, delay=0.0 if model.device == "cuda" else 2.0)
    c1, c2 = st.columns(2)
    unit = c1.segmented_control("Units", UNITS, default=UNITS[0], key="credit_unit") or UNITS[0]
    options = [f"Stratified sample ({count(len(sample.rows))} rows)"]
    if job.status == "done" and len(sample.rows) < ds.n_rows:
        options.append(f"All rows ({count(ds.n_rows)})")
    which = c2.radio("Rows explained", options, horizontal=True, key="credit_global_rows")
    if job.status != "done":
        _full_progress(job)
    everything = job.result() if which.startswith("All") and job.status == "done" else None
    full = everything is not None
    expl, margin = (everything, scores.margin) if everything is not None else (sample.explanation, sample.margin)
    residual = expl.additivity_residual(margin)
    st.caption(f"Exact TreeSHAP of the raw margin. Additivity residual max |base + Σ SHAP − margin| = {number(residual, 6)} "
               f"log-odds{' ✓' if residual < 1e-4 else ' — larger than expected, check the model'}. "
               f"Sample explained in {number(sample.seconds, 2)} s.")
    shown = expl.to_probability(model.pd_from_margin) if unit == "probability" else expl
    ranked = list(expl.mean_abs().index)
    c1, c2 = st.columns([3, 1])
    picked = c1.multiselect("Features in the global plots (empty: the most important)", ranked, key="credit_global_features",
                            format_func=ui.option_label)
    top = c2.slider("How many", 3, max(3, min(30, len(ranked))), min(15, len(ranked)), key="credit_global_top")
    a, b = st.columns([2, 3])
    a.plotly_chart(charts.importance(shown.mean_abs(), top, unit, picked or None), width="stretch", key="credit_fig_importance")
    b.plotly_chart(charts.beeswarm(shown, top, features=picked or None), width="stretch", key="credit_fig_beeswarm")
    view = st.segmented_control("Look closer", VIEWS, default=VIEWS[0], key="credit_global_view") or VIEWS[0]
    if view == "Dependence":
        _dependence(shown, ranked)
    elif view == "PDP / ICE":
        _pdp(model, ds, ranked)
    elif view == "Interactions":
        _interactions(model, ds, sample.rows)
    elif view == "Decision plot":
        _decision(expl, sample.rows if not full else np.arange(ds.n_rows), ds, scores, cutoff)
    else:
        _cohorts(expl, sample.rows if not full else np.arange(ds.n_rows), ds, scores, cutoff, ranked[0] if ranked else None)


def _dependence(expl, ranked: list[str]) -> None:
    c1, c2 = st.columns(2)
    feature = c1.selectbox("Dependence plot for", ranked, key="credit_dep_feature", format_func=ui.option_label)
    partner = charts.interaction_partner(expl, feature)
    colour_opts = [AUTO, NONE, *[f for f in ranked if f != feature]]
    colour = c2.selectbox("Colour by", colour_opts, key="credit_dep_colour",
                          format_func=lambda o: o if o in (AUTO, NONE) else ui.option_label(o))
    colour_by = partner if colour == AUTO else (None if colour == NONE else colour)
    st.plotly_chart(charts.dependence(expl, feature, colour_by), width="stretch", key="credit_fig_dependence")


def _pdp(model: CreditModel, ds: Dataset, ranked: list[str]) -> None:
    c1, c2, c3 = st.columns([2, 1, 1])
    feature = c1.selectbox("Partial dependence of", ranked, key="credit_pdp_feature", format_func=ui.option_label)
    points = c2.slider("Grid points", 5, 40, 20, key="credit_pdp_points")
    ice = c3.slider("ICE curves", 0, 200, 50, 10, key="credit_pdp_ice")
    try:
        pdp = cached_pdp(model, ds, model.fingerprint, ds.fingerprint, feature, points, ice)
    except StudioError as exc:
        show_error(exc, "Partial dependence")
        return
    st.plotly_chart(local.pdp_ice(pdp), width="stretch", key="credit_fig_pdp")
    st.caption(f"Every one of the {count(pdp.rows)} applicants scored at each of {len(pdp.grid)} values of "
               f"{ui.feature(feature)} (everything else as it is), in {number(pdp.seconds, 2)} s; the thin lines follow "
               f"{count(len(pdp.ice_rows))} applicants.")


def _interactions(model: CreditModel, ds: Dataset, rows: np.ndarray) -> None:
    n = st.select_slider("Applicants (a stratified sample)", [500, 1000, 2000, 5000], value=2000, key="credit_int_n")
    take = rows[: min(n, len(rows))]
    if not st.toggle("Compute interaction values", key="credit_int_on",
                     help="Exact SHAP interaction values; a few seconds for 2,000 applicants."):
        return
    try:
        iv = cached_interactions(model, ds, take, model.fingerprint, ds.fingerprint, len(take))
    except StudioError as exc:
        show_error(exc, "Interaction values")
        return
    a, b = st.columns([3, 2])
    a.plotly_chart(local.interaction_heatmap(iv.mean_abs()), width="stretch", key="credit_fig_int_heat")
    pairs = iv.top_pairs(10)
    b.dataframe(ui.labelled(pairs, "feature", "partner"), hide_index=True, width="stretch", column_config={
        "feature": "Feature", "partner": "With", "mean_abs_interaction": st.column_config.NumberColumn(
            "Mean |interaction|", format="%.4f")})
    b.caption(f"{count(len(iv.values))} applicants in {number(iv.seconds, 2)} s. Each row of the matrix adds up to the "
              "feature's SHAP value; the diagonal (main effects) is left out of the picture.")
    if len(pairs):
        labels = [f"{column_label(r.feature)} × {column_label(r.partner)}" for r in pairs.itertuples()]
        k = st.selectbox("Pair", range(len(labels)), format_func=lambda i: labels[i], key="credit_int_pair")
        f, g = pairs.iloc[k]["feature"], pairs.iloc[k]["partner"]
        st.plotly_chart(local.interaction_scatter(iv.data[f], iv.pair(f, g), iv.data[g], f, g), width="stretch",
                        key="credit_fig_int_pair")


def _decision(expl, rows: np.ndarray, ds: Dataset, scores: Scores, cutoff: float) -> None:
    ids = ds.ids().to_numpy()
    order = np.argsort(np.abs(scores.pd[rows] - cutoff))[:60]
    choices = {ui.applicant_label(ids[rows[k]], scores.pd[rows[k]], cutoff): int(k) for k in order}
    picked = st.multiselect("Applicants (closest to the cutoff listed first; up to 10)", list(choices),
                            default=list(choices)[:5], max_selections=10, key="credit_decision_rows")
    if not picked:
        st.info("Pick applicants to draw their decision paths.")
        return
    idx = [choices[p] for p in picked]
    st.plotly_chart(local.decision_plot(expl.values[idx], expl.base_values[idx], expl.feature_names, picked), width="stretch",
                    key="credit_fig_decision")
    st.caption("Each line starts at the base value and adds one feature's contribution at a time, in the same order for "
               "everyone; it ends at that applicant's log-odds.")


def _filter(ds: Dataset, side: str, default: str | None) -> Filter:
    cols = [c for c in ds.features() if c in ds.frame.columns]
    col = st.selectbox(f"Cohort {side}: where", [EVERYONE, *cols], key=f"credit_cohort_{side}_col",
                       index=(cols.index(default) + 1) if default in cols else 0,
                       format_func=lambda o: o if o == EVERYONE else ui.option_label(o))
    if col == EVERYONE:
        return Filter(label=f"{side}: all")
    s = ds.frame[col]
    if pd.api.types.is_numeric_dtype(s) and s.nunique() > 12:
        lo, hi = float(s.quantile(0.01)), float(s.quantile(0.99))
        mid = float(s.median())
        a, b = st.slider(f"{ui.feature(col)} between", lo, hi, (lo, mid) if side == "A" else (mid, hi),
                         key=f"credit_cohort_{side}_range")
        return Filter(col, low=a, high=b, label=f"{side}: {column_label(col)} {number(a)}–{number(b)}")
    levels = sorted(s.dropna().astype(str).unique())
    vals = st.multiselect(f"{ui.feature(col)} is one of", levels, default=levels[:1] if side == "A" else levels[-1:],
                          key=f"credit_cohort_{side}_vals")
    return Filter(col, tuple(vals), label=f"{side}: {column_label(col)} in {', '.join(vals)}") if vals else Filter(label=f"{side}: all")


def _cohorts(expl, rows: np.ndarray, ds: Dataset, scores: Scores, cutoff: float, default: str | None) -> None:
    """Two cohorts side by side; by default the two ends of the most important feature."""
    left, right = st.columns(2)
    with left:
        fa = _filter(ds, "A", default)
    with right:
        fb = _filter(ds, "B", default)
    frame = ds.frame.iloc[rows]
    try:
        cmp = compare(expl, scores.pd[rows], scores.y[rows] if scores.y is not None else None, fa.mask(frame), fb.mask(frame),
                      cutoff, (fa.name, fb.name))
    except StudioError as exc:
        show_error(exc, "Cohorts")
        return
    st.dataframe(cmp.summary, hide_index=True, width="stretch", column_config={
        "cohort": "Cohort", "n": st.column_config.NumberColumn("Applicants", format="localized"),
        "default_rate": st.column_config.NumberColumn("Default rate", format="percent"),
        "mean_pd": st.column_config.NumberColumn("Mean PD", format="percent"),
        "approval_rate": st.column_config.NumberColumn("Approval rate", format="percent")})
    st.plotly_chart(local.cohort_drivers(cmp.drivers, cmp.names), width="stretch", key="credit_fig_cohorts")
