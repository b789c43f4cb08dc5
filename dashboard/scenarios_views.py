"""The Risk scenarios page's fidelity, early-warning and runs & report tabs."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.data import Dataset
from core.errors import StudioError
from core.export import csv_bytes
from core.formatting import count, humanize, money, number, pct, plain, ratio
from core.scenarios.engine import ScenarioEngine
from core.scenarios.generators import current_generator
from core.scenarios.results import ScenarioResult
from dashboard import scenarios_charts as charts
from dashboard import scenarios_ui as ui
from dashboard.shell import show_error


@st.cache_resource(show_spinner="Comparing generated rows with held-out real ones...", max_entries=4)
def cached_fidelity(_gens: dict, _ds: Dataset, key: str, n: int, seed: int):
    from core.scenarios.evaluate import compare

    return compare(_gens, _ds, n, seed)


@st.cache_resource(show_spinner="Learning who deteriorates next quarter from the history...", max_entries=4)
def cached_early_warning(_ds: Dataset, _model, _gen, key: str):
    from core.scenarios.early_warning import early_warning

    return early_warning(_ds, _model, _gen)


def fidelity_tab(ds: Dataset, gen) -> None:
    st.caption("How close the generators' rows are to real rows they never trained on: the quality score (column shapes "
               "and pair trends), a gradient-boosting classifier trying to tell them apart, pair checks, train-on-synthetic "
               "test-on-real (TSTR) AUC, and privacy. Every generator trained on this dataset is compared with a Gaussian "
               "copula fitted on the same rows.")
    if not st.toggle("Measure fidelity", key="scen_fid_on"):
        return
    gens = {gen.family: gen}
    for fam in ("vae", "gan"):
        if fam not in gens:
            try:
                other = current_generator(ds, fam)
            except StudioError:
                other = None
            if other is not None:
                gens[fam] = other
    key = ui._key(sorted((f, g.fingerprint) for f, g in gens.items()))
    reports, best, why = cached_fidelity(gens, ds, key, 5000, 0)
    st.success(plain(why), icon=":material/recommend:")
    rows = []
    for fam, rep in reports.items():
        s = rep.scores
        rows.append({"generator": fam, "quality score": number(s["quality_report"], 3),
                     "column shapes": number(s["column_shapes"], 3), "pair trends": number(s["pair_trends"], 3),
                     "detection AUC": number(s["detection_auc"], 3), "TSTR AUC": number(s.get("tstr_auc"), 3),
                     "train on real AUC": number(s.get("trtr_auc"), 3),
                     "DCR vs holdout": ratio(rep.privacy.get("dcr_ratio"), 2),
                     "membership AUC": number(rep.privacy.get("membership_auc"), 3)})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="scen_fid_compare")
    show = st.selectbox("Details for", list(reports), key="scen_fid_pick")
    rep = reports[show]
    v = rep.verdict
    {"good": st.success, "fair": st.info, "warn": st.warning}[v.level](plain(v.text))
    p = rep.privacy
    if p:
        st.caption(plain(f"Privacy: the median generated row lies {ratio(p['dcr_ratio'], 2)} as far from its closest training "
                         f"row as a real held-out row does; {pct(p['share_closer_than_holdout_p5'], 1)} are closer than "
                         f"95% of held-out rows, {pct(p['exact_copies'], 2)} are exact copies; a membership-inference "
                         f"attack reaches AUC {number(p['membership_auc'], 3)} (0.5: it learns nothing)."))
    if not rep.checks.empty:
        c = rep.checks
        st.dataframe(pd.DataFrame({"check": c["check"], "columns": c["columns"], "real": c["real"].map(lambda x: number(x, 3)),
                                   "generated": c["generated"].map(lambda x: number(x, 3)),
                                   "gap": c["gap"].map(lambda x: number(x, 3))}),
                     hide_index=True, width="stretch", key="scen_fid_checks")
    giveaway = rep.scores.get("giveaway_columns") or {}
    if giveaway:
        st.caption("Columns the classifier leans on most to spot generated rows: " + plain(", ".join(giveaway)) + ".")
    left, right = st.columns(2)
    left.plotly_chart(charts.column_shapes(rep.quality.column_shapes), width="stretch", key="scen_shapes_chart")
    col = right.selectbox("Compare a column", gen.columns, key="scen_fid_col", format_func=humanize)
    syn = gens.get(show, gen).sample(2000, seed=1) if show in gens else None
    if syn is not None:
        right.plotly_chart(charts.real_vs_generated(ds.frame[col], syn[col], humanize(col)), width="stretch",
                           key="scen_fid_col_chart")
    for n in rep.notes:
        st.caption(plain(n))


def early_warning_tab(ds: Dataset, model, gen) -> None:
    st.caption("Customers most likely to deteriorate next quarter (fall further behind on payments, or default), learned "
               "from the book's history, with PD, exposure, the PD trend and the reasons behind each rank. The generator's "
               "anomaly score (how unusual the whole profile is) is one more column.")
    top = st.number_input("How many", 5, 500, 25, 5, key="scen_ew_top")
    if not st.toggle("Rank the customers", key="scen_ew_on"):
        return
    ew = cached_early_warning(ds, model, gen, ui._key([ds.fingerprint, model.fingerprint, gen.fingerprint]))
    lift = ew.lift
    if lift:
        c = st.columns(4)
        c[0].metric("Lift over current PD (top 10%)", ratio(lift["lift_over_current_pd"], 2),
                    help=f"Out-of-time test, {lift['test_period']}: share deteriorating in the top 10% by early warning "
                         f"({pct(lift['top_decile_rate_model'], 1)}) over the top 10% by current PD "
                         f"({pct(lift['top_decile_rate_current_pd'], 1)}).")
        c[1].metric("Lift, accounts not yet behind", ratio(lift.get("current_accounts_lift_over_current_pd"), 2))
        c[2].metric("Lift over random (top 10%)", ratio(lift["lift_over_base"], 2))
        c[3].metric("AUC: early warning vs current PD", f"{number(lift['auc_model'], 3)} vs {number(lift['auc_current_pd'], 3)}")
        st.plotly_chart(charts.lift_bars(lift), width="stretch", key="scen_ew_lift")
    t = ew.top(int(top))
    view = pd.DataFrame({"customer": t["id"], "risk next quarter": t["risk_next_quarter"].map(lambda v: pct(v, 1)),
                         "PD (12 months)": t["pd_12m"].map(lambda v: pct(v, 2)), "exposure": t["exposure"].map(money),
                         "days past due": t["days_past_due"].map(count), "PD trend": t["pd_trend"], "why": t["reasons"]})
    if "anomaly_percentile" in t:
        view["profile unusual (percentile)"] = t["anomaly_percentile"].map(lambda v: pct(v, 0))
    st.dataframe(view, hide_index=True, width="stretch", key="scen_ew_table")
    for n in ew.notes:
        st.caption(plain(n))
    if st.button("Prepare the full list (CSV)", key="scen_ew_prepare"):
        st.session_state["scen_ew_csv"] = csv_bytes(ew.ranking, id_columns=["id"])
    if "scen_ew_csv" in st.session_state:
        st.download_button("Download the early-warning list (CSV, customer ids pseudonymised)",
                           st.session_state["scen_ew_csv"], "early_warning.csv", "text/csv", key="scen_ew_download")


def runs_tab(engine: ScenarioEngine, ds: Dataset, r: ScenarioResult) -> None:
    from core.scenarios.runs import default_name, reopen_run, save_run, saved_runs

    left, right = st.columns(2)
    with left:
        run_key = ui._key([r.scenario.to_dict(), r.params.to_dict()])
        if st.session_state.get("scen_run_name_for") != run_key:  # a new run gets its own default name
            st.session_state["scen_run_name_for"] = run_key
            st.session_state["scen_run_name"] = default_name(r, ds)
        name = st.text_input("Run name", key="scen_run_name")
        if st.button("Save this run", key="scen_save", icon=":material/save:"):
            try:
                run_id = save_run(r, ds, name, ui.current_user())
                st.success(f"Saved as run {run_id} with its seed, settings and fingerprints.")
            except StudioError as exc:
                show_error(exc, "Saving the run failed")
        report_section(engine, ds, r)
    with right:
        try:
            runs = saved_runs(ds)
        except StudioError:
            runs = pd.DataFrame()
        if runs.empty:
            st.caption("No saved scenario runs for this dataset yet.")
            return
        st.dataframe(runs[["run_id", "name", "seed", "created_at"]], hide_index=True, width="stretch", key="scen_runs_table")
        labels = {f"{n} ({i})": i for i, n in zip(runs["run_id"], runs["name"], strict=True)}
        pick = st.selectbox("Reopen a run", list(labels), key="scen_reopen_pick")
        if st.button("Reopen and reproduce", key="scen_reopen"):
            try:
                back = reopen_run(labels[pick], engine)
                ui.restore(back.scenario, back.params)
                st.session_state["scen_reopened"] = (back.run_id, back.name, back.identical, back.stored_expected_loss)
                st.rerun()
            except StudioError as exc:
                show_error(exc, "Reopening the run failed")
        done = st.session_state.get("scen_reopened")
        if done:
            run_id, name, same, el = done
            (st.success if same else st.warning)(
                plain(f"Reopened run {run_id} ({name}): the scenario and settings are back in the controls above; expected "
                      f"loss {money(el)} stored, {'reproduced exactly' if same else 'now different'}."))


def report_section(engine: ScenarioEngine, ds: Dataset, r: ScenarioResult) -> None:
    from core.scenarios.report import render_report

    include = st.checkbox("Include the preset comparison and IFRS 9 weighting", value=True, key="scen_report_compare")
    if st.button("Build the report", key="scen_build_report", icon=":material/description:"):
        presets = engine.presets
        others = [ui.run(engine, s, r.params) for s in presets.by_severity()] if include else []
        st.session_state["scen_report"] = {
            "html": render_report(r, ds.name, "html", comparison=others, fingerprints=engine.fingerprints,
                                  satellite=engine.satellite.table(presets)).encode("utf-8"),
            "md": render_report(r, ds.name, "md", comparison=others, fingerprints=engine.fingerprints,
                                satellite=engine.satellite.table(presets)).encode("utf-8")}
    built = st.session_state.get("scen_report")
    if built:
        st.download_button("Scenario report (HTML)", built["html"], "scenario_report.html", "text/html", key="scen_dl_html")
        st.download_button("Scenario report (Markdown)", built["md"], "scenario_report.md", "text/markdown", key="scen_dl_md")
