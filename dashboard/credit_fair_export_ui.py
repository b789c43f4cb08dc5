"""The credit page's Fairness and Export tabs: group outcomes, reason codes (CSV), the model report (HTML), the run log."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.credit.fairness import fairness_report
from core.credit.model import CreditModel
from core.credit.reason_export import export_reasons, reason_table
from core.credit.report import render_report
from core.credit.scores import Scores
from core.data import Dataset
from core.errors import StudioError
from core.export import csv_bytes
from core.formatting import column_label, count, humanize, pct
from dashboard import credit_charts as charts
from dashboard import credit_ui as ui
from dashboard.credit_model_ui import stored_runs
from dashboard.shell import show_error

NO_FILTER = "(no further filter)"
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


def fairness_tab(model: CreditModel, ds: Dataset, scores: Scores, cutoff: float) -> None:
    if scores.y is None:
        st.info("This dataset has no known outcome, so error rates by group cannot be measured.", icon=":material/info:")
        return
    c1, c2 = st.columns(2)
    which = c1.radio("Applicants", ["Held-out rows", "All rows"], horizontal=True, key="credit_fair_rows")
    candidates = [c for c in ds.schema.categorical if c in ds.frame.columns]
    extra = c2.multiselect("Also group by", candidates, key="credit_fair_extra", format_func=ui.option_label)
    rows = np.flatnonzero(scores.test) if which == "Held-out rows" else np.arange(ds.n_rows)
    approved = float(np.mean(scores.pd[rows] < cutoff))
    if approved == 0:
        st.warning(f"No applicant is approved at the cutoff of {pct(cutoff)}, so approval rates and adverse-impact ratios "
                   "are undefined. Move the cutoff to compare groups.", icon=":material/tune:")
        return
    rep = fairness_report(ds.frame.iloc[rows], scores.y[rows], scores.pd[rows], cutoff, ds.schema, extra)
    kept_out = [c for c in ds.schema.protected_columns() if c not in model.feature_names]
    if kept_out:
        st.caption("Kept out of the model (Regulation B) and used here only: " + ui.features(kept_out) + ".")
    if not rep:
        st.info("No protected attribute or proxy is marked in this dataset's schema (Home → Column roles); pick columns to "
                "group by.")
        return
    st.caption("Positive = declined. FPR: goods declined; FNR: bads approved. Adverse-impact ratio (AIR): approval rate "
               "over the best group's; below 0.8 fails the four-fifths screen. Groups under 20 applicants are marked small.")
    for name, table in rep.items():
        st.markdown(f"**{ui.feature(name)}**")
        flagged = table.loc[table["four_fifths_flag"] & ~table["small_group"], "group"].tolist()
        if flagged:
            st.warning(f"Four-fifths flag for {ui.feature(name)}: {', '.join(ui.label(g) for g in flagged)}.",
                       icon=":material/balance:")
        rates = [c for c in ("default_rate", "mean_pd", "approval_rate", "fpr", "fnr") if c in table.columns]
        st.dataframe(table.round({c: 3 for c in rates}), hide_index=True, width="stretch",  # one decimal of a percent
                     column_config=FAIR_COLUMNS)
        st.plotly_chart(charts.fairness_bars(table, f"Approval rate by {column_label(name).lower()}"), width="stretch", key=f"credit_fig_fair_{name}")


def export_tab(model: CreditModel, ds: Dataset, scores: Scores, cutoff: float, cost_bad: float, cost_good: float) -> None:
    st.markdown("**Reason codes** (CSV, top four reasons each; never a protected, macro or geographic reason)")
    c1, c2, c3 = st.columns(3)
    lo, hi = c1.slider("PD between", 0.0, 1.0, (float(cutoff), 1.0), 0.005, format="percent", key="credit_export_pd")
    limit = c2.number_input("At most", 1, 50_000, 2000, 500, key="credit_export_max")
    kind = c3.radio("Against", list(ui.REFERENCES), key="credit_export_reference")
    declined_only = st.toggle("Declined applicants only", value=True, key="credit_export_declined")
    column = st.selectbox("Only where", [NO_FILTER, *ds.schema.categorical], key="credit_export_col",
                          format_func=lambda o: o if o == NO_FILTER else ui.option_label(o))
    mask = None
    if column != NO_FILTER:
        values = st.multiselect(f"{ui.feature(column)} is one of", sorted(ds.frame[column].dropna().astype(str).unique()),
                                key="credit_export_vals")
        if values:
            mask = ds.frame[column].astype(str).isin(values).to_numpy()
    if st.button("Prepare reason codes", key="credit_export_reasons", icon=":material/list_alt:"):
        try:
            records = export_reasons(model, ds, scores, cutoff, declined_only=declined_only, limit=int(limit),
                                     reference=ui.reference(model, ds, scores, kind, cutoff), pd_range=(lo, hi), mask=mask)
        except StudioError as exc:
            show_error(exc, "Reason codes")
            return
        st.session_state["credit_export_csv"] = (model.fingerprint, reason_table(records))
    saved = st.session_state.get("credit_export_csv")
    if saved and saved[0] == model.fingerprint:
        table = saved[1]
        st.caption(f"{count(len(table))} applicants, riskiest first.")
        # the preview reads like the page (readable features and headers); the CSV keeps its field names and raw values
        preview = ui.labelled(table.head(50), *[f"reason_{k}_feature" for k in range(1, 5)])
        st.dataframe(preview, hide_index=True, width="stretch", column_config={
            **{c: humanize(c) for c in preview.columns},
            "pd": st.column_config.NumberColumn("PD", format="percent"),
            **{f"reason_{k}_contribution": st.column_config.NumberColumn(f"Reason {k} contribution", format="%+.3f")
               for k in range(1, 5)}})
        pseudonymise = st.toggle("Pseudonymise applicant ids", value=True, key="credit_export_pseudonymise",
                                 help="Keyed pseudonyms for files that leave the workspace; switch off only for the "
                                      "bank's own notice system, which needs the real ids.")
        st.download_button("Download reason codes (CSV)", csv_bytes(table, id_columns=["id"], pseudonymise=pseudonymise),
                           "reason_codes.csv", "text/csv", key="credit_export_download", icon=":material/download:")
    st.divider()
    st.markdown("**Model report** (HTML: data, method, performance, stability, explanations, fairness, limitations)")
    if st.button("Build model report", key="credit_report", icon=":material/description:"):
        with st.spinner("Building the report..."):
            try:
                html = render_report(model, ds, cutoff, cost_bad, cost_good, scores)
            except StudioError as exc:
                show_error(exc, "The report")
                return
            st.session_state["credit_report_html"] = (model.fingerprint, html)
    saved = st.session_state.get("credit_report_html")
    if saved and saved[0] == model.fingerprint:
        st.download_button("Download model report (HTML)", saved[1].encode("utf-8"), f"credit_model_{model.fingerprint}.html",
                           "text/html", key="credit_report_download", icon=":material/download:")
    st.divider()
    st.markdown("**Model runs for this dataset** (workspace log)")
    runs = stored_runs(ds)
    if runs.empty:
        st.caption("No run logged yet.")
    else:
        st.dataframe(runs, hide_index=True, width="stretch")
