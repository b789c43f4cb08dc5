"""The credit page's Applicant tab: decision, principal reasons, waterfall, scorecard points, LIME, what-if, counterfactuals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from core.credit.counterfactual import find_counterfactual
from core.credit.lime_local import agreement, lime_explanation
from core.credit.model import CreditModel
from core.credit.reasons import not_reasons, reasons_for_row
from core.credit.scorecard import Scaling, points
from core.credit.scores import Scores
from core.credit.whatif import what_if
from core.data import Dataset
from core.errors import StudioError
from core.export import csv_bytes
from core.formatting import column_label, count, number, pct, pp, signed
from dashboard import credit_charts_local as local
from dashboard import credit_ui as ui
from dashboard.shell import show_error

UNITS = ["log-odds", "probability", "points"]


def _number_format(values: pd.Series) -> str:
    """A what-if column's number format: whole numbers with separators, else as many decimals as its values need."""
    v = values.dropna()
    if v.empty or (v == v.round()).all():
        return "localized"
    return "%.2f" if (v.abs() >= 100).all() else "%.4f"


def _readable(message: str, edits: dict) -> str:
    """A what-if warning that starts with a raw column name (``annual_income = ...``) with the name shown readable."""
    for f in edits:
        if message.startswith(f"{f} = "):
            return column_label(f) + message[len(str(f)):]
    return message


def pick_applicant(ds: Dataset, scores: Scores, cutoff: float) -> int | None:
    ids = ds.ids().reset_index(drop=True)
    mode = st.radio("Pick an applicant", ["Near the cutoff", "By id", "By filter"], horizontal=True, key="credit_pick_mode")
    if mode == "Near the cutoff":
        near = np.argsort(np.abs(scores.pd - cutoff), kind="stable")[:40]
        near = sorted(near, key=lambda i: (scores.pd[i] < cutoff, abs(scores.pd[i] - cutoff)))
        labels = {ui.applicant_label(ids[i], scores.pd[i], cutoff): int(i) for i in near}
        return labels[st.selectbox("Applicants closest to the cutoff (declined first)", list(labels), key="credit_pick_near")]
    if mode == "By id":
        default = str(ids[int(np.argmax(scores.pd >= cutoff))])
        text = st.text_input("Applicant id", value=default, key="credit_pick_id").strip()
        hits = np.flatnonzero(ids.astype(str).to_numpy() == text)
        if not len(hits):
            st.warning(f"No applicant has the id '{ui.label(text)}'.", icon=":material/search_off:")
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
    labels = {ui.applicant_label(ids[i], scores.pd[i], cutoff): int(i) for i in rows}
    return labels[st.selectbox(f"{count(int(mask.sum()))} applicants match (riskiest 500 listed)", list(labels),
                               key="credit_pick_filter")]


def applicant_tab(model: CreditModel, ds: Dataset, scores: Scores, cutoff: float) -> None:
    i = pick_applicant(ds, scores, cutoff)
    if i is None:
        return
    row = ds.frame.iloc[[i]]
    expl = model.explain(row)
    p = float(model.pd_from_margin(expl.output_values)[0])
    declined = p >= cutoff
    scaling = Scaling()
    pts = points(expl, model.pd_from_margin, scaling)
    c = st.columns(5)
    c[0].metric("PD (calibrated)", pct(p, 2))
    c[1].metric("Decision", "Declined" if declined else "Approved", f"cutoff {pct(cutoff)}", delta_color="off")
    c[2].metric("Score", count(pts.total[0]), help="600 points at odds of 30:1, 20 points double the odds")
    c[3].metric("Log-odds (raw margin)", number(expl.output_values[0], 3))
    c[4].metric("Logistic benchmark PD", pct(float(scores.lr_pd[i]), 2))
    left, right = st.columns([2, 3])
    with left:
        kind = st.radio("Reasons measured against", list(ui.REFERENCES), horizontal=True, key="credit_reference")
        ref = ui.reference(model, ds, scores, kind, cutoff)
        reasons, withheld = reasons_for_row(expl.values[0], expl.data.iloc[0], expl.feature_names, ref,
                                            model.encoder.categories, not_reasons(model.meta.tags))
        st.markdown("**Principal reasons**" + (" (adverse action)" if declined else " (what raises the risk most)"))
        if reasons:
            for r in reasons:
                st.markdown(f"{r.rank}\\. {ui.label(r.text)}  \n"
                            f":gray[{ui.label(r.code)} · {signed(r.contribution, 3)} log-odds in the waterfall · "
                            f"{signed(float(pts.points.iloc[0][r.feature]), 0)} points · {signed(r.weight, 3)} above "
                            f"{ui.label(ref.name)}]")
            st.caption(f"Ranked by how much more each feature raises the log-odds than for {ui.label(ref.name)} "
                       "(the “above” figure); the log-odds figure is the waterfall's own contribution. Only features "
                       "that raise this applicant's risk are reasons.")
        else:
            st.write("No feature raises this applicant's risk above the reference population.")
        if withheld:
            with st.expander("Effects never given as reasons"):
                st.caption("Protected attributes, proxies and economic or regional conditions are not the applicant's own "
                           "characteristics; their effects go to portfolio and scenario analysis, not to the notice.")
                st.dataframe(pd.DataFrame({"feature": [column_label(f) for f in withheld],
                                           "contribution": list(withheld.values())}),
                             hide_index=True, width="stretch",
                             column_config={"feature": "Feature", "contribution": st.column_config.NumberColumn("Contribution", format="%+.3f")})
    with right:
        unit = st.segmented_control("Units", UNITS, default=UNITS[0], key="credit_unit_applicant") or UNITS[0]
        if unit == "points":
            st.plotly_chart(local.waterfall(pts.points.iloc[0].to_numpy(), expl.feature_names, expl.data.iloc[0],
                                            float(pts.base[0]), "points"), width="stretch", key="credit_fig_waterfall")
            st.caption(f"Scorecard points (600 at odds of 30:1, 20 points double the odds): from the base applicant's "
                       f"{count(pts.base[0])} to this applicant's {count(pts.total[0])}; each feature's points are its SHAP "
                       "contribution on the score scale, so they add up exactly.")
        else:
            shown = expl if unit == "log-odds" else expl.to_probability(model.pd_from_margin)
            st.plotly_chart(local.waterfall(shown.values[0], shown.feature_names, shown.data.iloc[0],
                                            float(shown.base_values[0]), shown.output), width="stretch",
                            key="credit_fig_waterfall")
        st.caption(f"SHAP explains the raw margin exactly: base {number(expl.base_values[0], 3)} + Σ contributions = "
                   f"{number(expl.output_values[0], 3)} log-odds; calibration ({model.meta.calibration}) maps it "
                   f"monotonically to the PD of {pct(p, 2)}.")
        contributions = pd.DataFrame({"feature": expl.feature_names, "value": [str(v) for v in expl.data.iloc[0]],
                                      "contribution_log_odds": expl.values[0],
                                      "points": pts.points.iloc[0].to_numpy()})
        st.download_button("Download this applicant's contributions (CSV)", csv_bytes(contributions),
                           f"contributions_{i}.csv", "text/csv", key="credit_contrib_download", icon=":material/download:")
    lime_section(model, ds, row, expl)
    st.divider()
    whatif_section(model, row, i, cutoff)
    st.divider()
    counterfactual_section(model, row, i, cutoff, declined)


def lime_section(model: CreditModel, ds: Dataset, row: pd.DataFrame, expl) -> None:
    with st.expander("Second opinion: LIME (a local surrogate) beside SHAP"):
        if not st.toggle("Run LIME for this applicant", key="credit_lime_on"):
            st.caption("LIME perturbs the applicant 2,000 times and fits a weighted linear model around it.")
            return
        try:
            res = lime_explanation(model, row, ds.frame)
        except StudioError as exc:
            show_error(exc, "LIME")
            return
        a = agreement(expl, res)
        st.markdown(f"Agreement with SHAP: **{a.label}** — {count(len(a.common))} of SHAP's top {a.top_k} features are also "
                    f"LIME's top {a.top_k}; same direction for {pct(a.sign_agreement, 0)} of them; rank correlation "
                    f"{number(a.rank_correlation, 2)}. Surrogate fit R² {number(res.score, 2)}.")
        st.plotly_chart(local.lime_vs_shap(pd.Series(expl.values[0], index=expl.feature_names), res.weights), width="stretch",
                        key="credit_fig_lime")


def whatif_section(model: CreditModel, row: pd.DataFrame, i: int, cutoff: float) -> None:
    st.markdown("**What if?** Edit any field and the PD and contributions are recomputed.")
    original = row[model.feature_names].reset_index(drop=True)
    shown = original.copy()
    config = {}
    for f in model.feature_names:
        if f in model.encoder.categories:
            shown[f] = shown[f].astype(str).where(shown[f].notna(), None)
            config[f] = st.column_config.SelectboxColumn(column_label(f), options=model.encoder.categories[f])
        else:
            shown[f] = pd.to_numeric(shown[f], errors="coerce").astype(float)
            config[f] = st.column_config.NumberColumn(column_label(f), format=_number_format(shown[f]))
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
        st.warning(ui.label(_readable(msg, edits)), icon=":material/warning:")
    c1, c2 = st.columns([1, 3])
    c1.metric("PD after the edit", pct(w.pd_after, 2), pp(w.pd_after - w.pd_before, 2), delta_color="inverse")
    c1.caption(f"Before: {pct(w.pd_before, 2)}. Edited: {ui.features(edits)}.")
    before, after = ("declined" if v >= cutoff else "approved" for v in (w.pd_before, w.pd_after))
    c1.markdown(f"Decision at {pct(cutoff)}: **{before}**" + (f" → **{after}**" if after != before else " (unchanged)"))
    c2.plotly_chart(local.whatif_bars(w.comparison()), width="stretch", key="credit_fig_whatif")


def counterfactual_section(model: CreditModel, row: pd.DataFrame, i: int, cutoff: float, declined: bool) -> None:
    st.markdown("**Ways to approval** (up to three plausible, different changes)")
    c1, c2 = st.columns([3, 1])
    extra = c1.multiselect("Also keep fixed", model.feature_names, key="credit_cf_immutable", format_func=ui.option_label)
    max_changes = c2.number_input("At most this many changes each", 1, 6, 3, key="credit_cf_max")
    if not declined:
        st.caption(":material/check_circle: This applicant is already approved at this cutoff, so there is no change to "
                   "search for. Pick a declined applicant.")
    if st.button("Find ways to approval", key="credit_cf", disabled=not declined, icon=":material/alt_route:"):
        try:
            cf = find_counterfactual(model, row, cutoff, set(extra), int(max_changes))
        except StudioError as exc:
            show_error(exc, "Counterfactual search failed")
            return
        st.session_state["credit_cf_result"] = (model.fingerprint, i, cutoff, cf)
    saved = st.session_state.get("credit_cf_result")
    if not (saved and saved[:3] == (model.fingerprint, i, cutoff)):
        return
    cf = saved[3]
    (st.success if cf.found else st.info)(ui.label(cf.message))
    for k, o in enumerate(cf.options):
        st.markdown(f"**Option {k + 1}** · PD {pct(cf.pd_before)} → {pct(o.pd_after)} ({pp(o.pd_after - cf.pd_before)}), "
                    f"{o.decision}")
        st.dataframe(ui.labelled(cf.changes(k), "feature"), hide_index=True, width="stretch", column_config={
            "feature": "Feature", "from": "From", "to": "To"})
    with st.expander("What the search may change, and what it never changes"):
        st.caption("May change (in the plausible direction only): " + (ui.features(cf.actionable) or "none"))
        st.dataframe(pd.DataFrame({"feature": [column_label(f) for f in cf.fixed],
                                   "never changed because": list(cf.fixed.values())}),
                     hide_index=True, width="stretch", column_config={"feature": "Feature",
                                                                     "never changed because": "Never changed because"})
    st.caption(f"{count(cf.candidates_scored)} candidates scored in {count(cf.seconds * 1000)} ms.")
