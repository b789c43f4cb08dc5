"""Risk-scenarios widgets: credit model and generator panels, scenario controls, result tabs.

Heavy objects are cached per fingerprint with ``st.cache_resource`` (shared, never mutated): the
scenario engine (which itself keeps the baseline), each scenario result, the fidelity report and
the early-warning scores. Moving a slider therefore recomputes only the stressed side.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import streamlit as st

from core.data import Dataset
from core.errors import StudioError
from core.scenarios import service as svc
from core.scenarios.generator import TabularVAE, VAEParams
from core.scenarios.presets import Presets, Scenario
from dashboard import scenarios_charts as charts
from dashboard import state
from dashboard.shell import show_error

VAE_FP = "scen_vae_fp"  # session key: the generator picked for the current dataset
PAGE_EPOCHS = 20
HIDDEN_CHOICES = [128, 192, 256, 512]


def _money(x: float) -> str:
    a = abs(x)
    for div, unit in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if a >= div:
            return f"{x / div:,.2f}{unit}"
    return f"{x:,.2f}"


# ---- cached core calls --------------------------------------------------------------------------
@st.cache_resource(show_spinner="Preparing the scenario engine...", max_entries=4)
def cached_engine(_ds: Dataset, _vae: TabularVAE, _model, ds_fp: str, vae_fp: str, model_fp: str) -> svc.ScenarioEngine:
    return svc.ScenarioEngine(_ds, _vae, _model)


@st.cache_resource(show_spinner="Running the scenario...", max_entries=32)
def cached_run(_engine: svc.ScenarioEngine, engine_key: str, scenario_json: str, params_json: str) -> svc.ScenarioResult:
    return _engine.run(Scenario.from_dict(json.loads(scenario_json)), svc.ScenarioParams.from_dict(json.loads(params_json)))


@st.cache_resource(show_spinner="Comparing generated rows with the real ones...", max_entries=4)
def cached_fidelity(_vae: TabularVAE, _ds: Dataset, vae_fp: str, ds_fp: str, n: int, seed: int):
    from core.scenarios.fidelity import fidelity_report
    from core.scenarios.trainer import holdout_rows

    real = _ds.frame[_vae.columns]
    hold = holdout_rows(len(real), _vae.params.valid_share, _vae.params.seed)
    train_rows = real.drop(real.index[hold])
    syn = _vae.sample(min(n, len(real)), seed=seed)
    cats = [c for c in _vae.columns if c in set(_ds.schema.categorical) or c == _ds.schema.target]
    report = fidelity_report(train_rows, syn, cats, target=_ds.schema.target, positive=_ds.schema.positive_label,
                             real_holdout=real.iloc[hold], max_rows=n, seed=seed)
    return report, syn


@st.cache_resource(show_spinner="Scoring every customer for early warning...", max_entries=4)
def cached_early_warning(_vae: TabularVAE, _ds: Dataset, vae_fp: str, ds_fp: str, top: int):
    from core.scenarios.early_warning import early_warning

    return early_warning(_vae, _ds, top=top)


def _key(obj) -> str:
    return json.dumps(obj, sort_keys=True, default=str)


# ---- the credit model ----------------------------------------------------------------------------
def credit_model(ds: Dataset):
    """The session's credit model for this dataset, else the newest stored one, else None."""
    from dashboard.credit_ui import current_model

    return current_model(ds)


def no_credit_model(ds: Dataset) -> None:
    st.info("Scenarios score PD with the credit model, and there is none for this dataset yet. Train one on the "
            "**Credit explanation** page (to choose its settings), or train one with default settings here.",
            icon=":material/model_training:")
    if st.button("Train a credit model with default settings", key="scen_train_credit", icon=":material/play_arrow:"):
        try:
            from core.credit.service import CreditParams, train_or_load
        except ImportError:
            st.error("The credit module is not available in this installation.")
            return
        bar = st.progress(0.0, text="Starting")
        try:
            model = train_or_load(ds, CreditParams(), progress=lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m))
            state.put(state.CREDIT_MODEL_FP, model.fingerprint)
            st.rerun()
        except StudioError as exc:
            bar.empty()
            show_error(exc, "Training the credit model failed")


# ---- the generator ------------------------------------------------------------------------------
def current_vae(ds: Dataset) -> TabularVAE | None:
    fp = state.get(VAE_FP)
    if fp:
        try:
            vae = svc.load_vae(fp)
            meta_ok = getattr(vae, "fingerprint", None) == fp
            if meta_ok and fp in {m["fingerprint"] for m in _vae_artifacts(ds)}:
                return vae
        except StudioError:
            pass
        state.pop(VAE_FP)
    vae = svc.latest_vae(ds)
    if vae is not None:
        state.put(VAE_FP, vae.fingerprint)
    return vae


def _vae_artifacts(ds: Dataset) -> list[dict]:
    from core.runtime.registry import get_registry

    return [m for m in get_registry().list_artifacts(svc.VAE_ARTIFACT) if m.get("dataset_fingerprint") == ds.fingerprint]


def generator_panel(ds: Dataset, vae: TabularVAE | None) -> TabularVAE | None:
    """Training settings, the train button with a live loss, and the training curve."""
    with st.expander("Scenario generator (conditional VAE)", expanded=vae is None, icon=":material/neurology:"):
        st.caption("A VAE with arbitrary conditioning (VAEAC) learns the joint distribution of the features. It redraws "
                   "the columns that respond to a stress given the shocked drivers and everything else about each customer.")
        c = st.columns(5)
        epochs = c[0].number_input("Max epochs", 1, 500, PAGE_EPOCHS, key="scen_epochs",
                                   help="Training stops earlier when the validation loss stops improving.")
        latent = c[1].selectbox("Latent size", [8, 16, 32], index=1, key="scen_latent")
        hidden = c[2].selectbox("Hidden units", HIDDEN_CHOICES, index=HIDDEN_CHOICES.index(VAEParams.hidden), key="scen_hidden")
        lr = c[3].number_input("Learning rate", 1e-4, 1e-1, VAEParams.lr, 5e-4, format="%.4f", key="scen_lr")
        seed = c[4].number_input("Seed", 0, 2**31 - 1, 42, key="scen_vae_seed")
        params = VAEParams(epochs=int(epochs), latent_dim=int(latent), hidden=int(hidden), lr=float(lr), seed=int(seed))
        if st.button("Train generator", key="scen_train_vae", type="primary", icon=":material/play_arrow:"):
            bar = st.progress(0.0, text="Starting")

            def progress(epoch: int, total: int, train: float, valid: float) -> None:
                bar.progress(epoch / total, text=f"Epoch {epoch}/{total} · loss {train:.3f} (validation {valid:.3f})")

            try:
                vae = svc.train_or_load_vae(ds, params, progress)
                state.put(VAE_FP, vae.fingerprint)
                h = vae.history_
                bar.progress(1.0, text=f"Generator {vae.fingerprint} ready: {len(h.train_loss)} epochs in {h.seconds:.1f} s"
                                       + (" (stopped early)" if h.stopped_early else ""))
            except StudioError as exc:
                bar.empty()
                show_error(exc, "Training the generator failed")
        stored = _vae_artifacts(ds)
        if len(stored) > 1:
            labels = {f"{m['fingerprint']} · {m['params']['epochs']} epochs, latent {m['params']['latent_dim']}": m["fingerprint"]
                      for m in stored}
            pick = st.selectbox("Stored generators for this dataset", list(labels), key="scen_vae_stored")
            if st.button("Use this generator", key="scen_vae_load"):
                state.put(VAE_FP, labels[pick])
                vae = svc.load_vae(labels[pick])
        if vae is not None:
            h = vae.history_
            if h.train_loss:
                st.plotly_chart(charts.training_curve(h.train_loss, h.valid_loss, h.best_epoch), width="stretch",
                                key="scen_train_curve")
            st.caption(f"Generator `{getattr(vae, 'fingerprint', '-')}` on {len(vae.columns)} columns · trained on "
                       f"{h.device} in {h.seconds:.1f} s · best epoch {h.best_epoch}.")
    return vae


# ---- scenario controls ----------------------------------------------------------------------------
def _apply_preset(presets: Presets) -> None:
    s = presets.scenario(st.session_state["scen_preset"])
    for k in presets.drivers:
        st.session_state[f"scen_shock_{k}"] = float(s.shocks.get(k, 0.0))
    st.session_state["scen_lgd_addon"] = float(s.lgd_downturn_addon)


def scenario_controls(engine: svc.ScenarioEngine) -> tuple[Scenario, svc.ScenarioParams]:
    presets = engine.presets
    if "scen_preset" not in st.session_state:
        st.session_state["scen_preset"] = "severely_adverse"
        _apply_preset(presets)
    left, right = st.columns([2, 3])
    with left:
        key = st.selectbox("Scenario", list(presets.scenarios), format_func=lambda k: presets.scenarios[k].name,
                           key="scen_preset", on_change=_apply_preset, args=(presets,))
        preset = presets.scenario(key)
        st.caption(preset.description)
        with st.popover("Sources", icon=":material/menu_book:"):
            for s in preset.sources:
                st.markdown(f"- **{s['title']}**" + (f" ([link]({s['url']}))" if s.get("url") else "") + f": {s['note']}")
    with right:
        shocks = {}
        cols = st.columns(3)
        for i, (k, d) in enumerate(presets.drivers.items()):
            b = engine.bindings[k]
            shocks[k] = cols[i % 3].slider(d.label_with_unit(), d.min, d.max, step=d.step, key=f"scen_shock_{k}",
                                           help=f"Column: {b.column or 'none in this data'} · channel: {b.channel}. {d.overlay_note}")
        addon = cols[len(presets.drivers) % 3].slider("LGD downturn add-on", 0.0, 0.3, step=0.01, key="scen_lgd_addon")
    same = all(abs(shocks[k] - preset.shocks.get(k, 0.0)) < 1e-9 for k in shocks) and abs(addon - preset.lgd_downturn_addon) < 1e-9
    scenario = preset if same else presets.custom(shocks, addon, name=f"Custom (from {preset.name})")

    with st.expander("Run settings", icon=":material/settings:"):
        c = st.columns(4)
        mode = c[0].radio("Portfolio", ["stress", "generate"], key="scen_mode", horizontal=True,
                          format_func=lambda m: {"stress": "existing customers", "generate": "generated portfolio"}[m])
        n_rows = c[1].number_input("Generated rows", 1_000, 2_000_000, 100_000, 10_000, key="scen_rows",
                                   disabled=mode == "stress")
        draws = c[2].select_slider("Monte Carlo draws", [1_000, 5_000, 10_000, 50_000, 100_000], 10_000, key="scen_draws")
        seed = c[3].number_input("Seed", 0, 2**31 - 1, 42, key="scen_seed")
        default_deps = engine.dependents(svc.ScenarioParams(seed=int(seed)))
        options = [c for c in engine.vae.columns if c not in engine.driver_columns() and c != engine.dataset.schema.target]
        deps = st.multiselect("Columns the generator redraws under the stress", options, default=default_deps,
                              key="scen_dependents", help="By default: the columns most correlated with the drivers, "
                              "leaving out contract terms and identity attributes.")
    params = svc.ScenarioParams(mode=mode, n_rows=None if mode == "stress" else int(n_rows), n_draws=int(draws),
                                seed=int(seed), dependents=tuple(deps))
    return scenario, params


def engine_key(engine: svc.ScenarioEngine) -> str:
    return _key(engine.fingerprints)


def run(engine: svc.ScenarioEngine, scenario: Scenario, params: svc.ScenarioParams) -> svc.ScenarioResult:
    return cached_run(engine, engine_key(engine), _key(scenario.to_dict()), _key(params.to_dict()))


# ---- results --------------------------------------------------------------------------------------
def headline(r: svc.ScenarioResult) -> None:
    m = r.metrics
    cols = st.columns(5)
    for col, (key, label, fmt) in zip(cols, (
            ("expected_default_rate", "Default rate (expected)", lambda v: f"{v:.2%}"),
            ("expected_loss", "Expected loss", _money), ("el_rate", "EL / exposure", lambda v: f"{v:.2%}"),
            ("var_999", "VaR 99.9%", _money), ("es_99", "Expected shortfall 99%", _money)), strict=True):
        b, s = m.loc[key, "baseline"], m.loc[key, "stressed"]
        col.metric(label, fmt(s), delta=f"{(s - b) / abs(b):+.1%} vs baseline" if b else None, delta_color="inverse")
    st.caption(f"{r.scenario.name}: {r.scenario.description} · {r.timings.get('rows', 0):,} exposures · "
               f"{r.params.n_draws:,} draws · seed {r.params.seed} · ran in {r.timings.get('total_s', 0):.2f} s")
    for e in r.extrapolations:
        st.warning(e.message, icon=":material/trending_up:")


def results_tab(r: svc.ScenarioResult) -> None:
    st.plotly_chart(charts.loss_distribution(r.loss_base, r.loss_stress, _summary(r, "baseline"), _summary(r, "stressed")),
                    width="stretch", key="scen_loss_chart")
    left, right = st.columns(2)
    left.plotly_chart(charts.by_group_bars(r.by_product, "product", "Expected loss by product"), width="stretch",
                      key="scen_product_chart")
    if r.by_segment is not None:
        seg = r.by_segment.columns[0]
        right.plotly_chart(charts.by_group_bars(r.by_segment, seg, f"Expected loss by {seg}"), width="stretch",
                           key="scen_segment_chart")
    table = r.metrics.copy()
    st.dataframe(table.style.format("{:,.4g}"), width="stretch", key="scen_metrics_table")
    st.dataframe(r.by_product.style.format({c: "{:,.4g}" for c in r.by_product.columns if c != "product"}),
                 hide_index=True, width="stretch")
    st.caption(f"Analytic Basel ASRF 99.9% loss {_money(r.metrics.loc['asrf_var_999', 'stressed'])} against the simulated "
               f"VaR 99.9% {_money(r.metrics.loc['var_999', 'stressed'])}: a check of the Monte Carlo.")
    for n in r.notes:
        if "outside the range" not in n:
            st.caption(n)


def _summary(r: svc.ScenarioResult, side: str) -> dict:
    return {k: float(r.metrics.loc[k, side]) for k in ("expected_loss", "var_99", "var_999")}


def drivers_tab(r: svc.ScenarioResult) -> None:
    if r.shap_delta.empty:
        st.info("The credit model gave no explanation for this run.")
    else:
        st.plotly_chart(charts.shap_delta(r.shap_delta), width="stretch", key="scen_shap_chart")
    st.plotly_chart(charts.pd_shift(r.pd_base, r.pd_stress), width="stretch", key="scen_pd_chart")
    st.markdown("**Stress transmission**: how each shock reaches PD. The overlay adds "
                "`beta x shock` in log-odds where the credit model cannot carry the driver itself.")
    st.dataframe(r.overlay, hide_index=True, width="stretch", key="scen_overlay_table")
    st.caption(f"Pinned (shocked) columns: {', '.join(r.pinned) or 'none'} · redrawn by the generator: "
               f"{', '.join(r.dependents) or 'none'}.")
    if r.stressed_sample is not None:
        with st.expander("A sample of stressed customers"):
            st.dataframe(r.stressed_sample, width="stretch")


def compare_tab(engine: svc.ScenarioEngine, current: svc.ScenarioResult, params: svc.ScenarioParams) -> None:
    presets = engine.presets
    keys = st.multiselect("Scenarios to compare", list(presets.scenarios), default=list(presets.scenarios),
                          format_func=lambda k: presets.scenarios[k].name, key="scen_compare")
    results = [run(engine, presets.scenario(k), params) for k in keys]
    if current.scenario.key == "custom":
        results.append(current)
    if not results:
        st.info("Pick at least one scenario.")
        return
    rows = []
    for r in results:
        m = r.metrics["stressed"]
        rows.append({"scenario": r.scenario.name, "default_rate": m["expected_default_rate"], "expected_loss": m["expected_loss"],
                     "el_rate": m["el_rate"], "var_99": m["var_99"], "var_999": m["var_999"], "es_99": m["es_99"],
                     "es_999": m["es_999"], "stage2_share": r.ifrs9["stage2_share"], "ecl": r.ifrs9["ecl"]})
    table = pd.DataFrame(rows)
    st.plotly_chart(charts.compare_scenarios(table), width="stretch", key="scen_compare_chart")
    st.dataframe(table.style.format({c: "{:,.4g}" for c in table.columns if c != "scenario"}), hide_index=True,
                 width="stretch", key="scen_compare_table")
    st.markdown("**IFRS 9-style probability-weighted ECL**")
    cols = st.columns(max(1, len(results)))
    weighted = []
    for col, r in zip(cols, results, strict=True):
        w = col.number_input(f"Weight: {r.scenario.name}", 0.0, 1.0, float(r.scenario.ifrs9_weight), 0.05,
                             key=f"scen_w_{r.scenario.key}")
        weighted.append(Scenario(r.scenario.key, r.scenario.name, r.scenario.shocks, r.scenario.lgd_downturn_addon, w))
    view = engine.ifrs9_view([_reweighted(r, s) for r, s in zip(results, weighted, strict=True)])
    if np.isfinite(view.attrs["weighted_ecl"]):
        st.metric("Probability-weighted ECL", _money(view.attrs["weighted_ecl"]),
                  help=f"12-month only: {_money(view.attrs['weighted_ecl_12m'])}. Stage 2 when PD at least doubles against "
                       "baseline and exceeds 1%; lifetime PD from a constant hazard over the remaining term (capped at 5 years).")
    else:
        st.info("Give at least one scenario a positive weight.")
    st.dataframe(view, hide_index=True, width="stretch")


def _reweighted(r: svc.ScenarioResult, s: Scenario) -> svc.ScenarioResult:
    from dataclasses import replace

    return replace(r, scenario=s)


def fidelity_tab(vae: TabularVAE, ds: Dataset) -> None:
    st.caption("How close the generator's rows are to the real ones: per-column shapes, pair trends, SDMetrics' QualityReport, "
               "a classifier trying to tell them apart, and train-on-synthetic-test-on-real (TSTR) AUC on held-out rows.")
    if not st.toggle("Compute the fidelity report", key="scen_fid_on"):
        return
    report, syn = cached_fidelity(vae, ds, vae.fingerprint, ds.fingerprint, 5000, 0)
    s = report.scores
    cols = st.columns(5)
    cols[0].metric("QualityReport", f"{s.get('quality_report', float('nan')):.3f}")
    cols[1].metric("Column shapes", f"{s['column_shapes']:.3f}")
    cols[2].metric("Pair trends", f"{s['pair_trends']:.3f}")
    cols[3].metric("Detection AUC", f"{s.get('detection_auc_gbm', float('nan')):.3f}", help="0.5: indistinguishable")
    cols[4].metric("TSTR AUC", f"{s.get('tstr_auc', float('nan')):.3f}", help=f"Train on real: {s.get('trtr_auc', float('nan')):.3f}")
    for n in report.notes:
        st.caption(n)
    left, right = st.columns(2)
    left.plotly_chart(charts.column_shapes(report.column_shapes), width="stretch", key="scen_shapes_chart")
    col = right.selectbox("Compare a column", vae.columns, key="scen_fid_col")
    right.plotly_chart(charts.real_vs_generated(ds.frame[col], syn[col], col), width="stretch", key="scen_fid_col_chart")


def early_warning_tab(vae: TabularVAE, ds: Dataset) -> None:
    st.caption("Customers whose profiles the generator finds most unusual (highest negative ELBO), with what is unusual "
               "about each: the columns it finds most surprising, against the portfolio's typical value.")
    top = st.number_input("How many", 5, 500, 20, 5, key="scen_ew_top")
    if not st.toggle("Score every customer", key="scen_ew_on"):
        return
    ew = cached_early_warning(vae, ds, vae.fingerprint, ds.fingerprint, int(top))
    st.dataframe(ew.top.drop(columns=["columns"]), hide_index=True, width="stretch", key="scen_ew_table")
    st.download_button("Download all anomaly scores (CSV)", ew.scores.to_csv(index=False).encode(), "anomaly_scores.csv",
                       "text/csv", key="scen_ew_download")


def runs_tab(engine: svc.ScenarioEngine, ds: Dataset, r: svc.ScenarioResult) -> None:
    from core.scenarios.report import render_report

    left, right = st.columns(2)
    with left:
        name = st.text_input("Run name", value=f"{r.scenario.name} on {ds.name}", key="scen_run_name")
        if st.button("Save this run", key="scen_save", icon=":material/save:"):
            try:
                run_id = svc.save_run(r, ds, name)
                st.success(f"Saved as run `{run_id}` with its seed and parameters.")
            except StudioError as exc:
                show_error(exc, "Saving the run failed")
        html = render_report([r], ds.name, "html")
        md = render_report([r], ds.name, "md")
        st.download_button("Scenario report (HTML)", html.encode(), "scenario_report.html", "text/html", key="scen_dl_html")
        st.download_button("Scenario report (Markdown)", md.encode(), "scenario_report.md", "text/markdown", key="scen_dl_md")
    with right:
        try:
            runs = svc.saved_runs(ds)
        except StudioError:
            runs = pd.DataFrame()
        if runs.empty:
            st.caption("No saved scenario runs for this dataset yet.")
            return
        st.dataframe(runs[["run_id", "name", "seed", "created_at"]], hide_index=True, width="stretch", key="scen_runs_table")
        pick = st.selectbox("Reopen a run", runs["run_id"].tolist(), key="scen_reopen_pick")
        if st.button("Reopen and reproduce", key="scen_reopen"):
            try:
                again = svc.reproduce_run(pick, engine)
                from core.workspace import get_workspace

                stored = get_workspace().get_run(pick).result["metrics"]["expected_loss"]["stressed"]
                same = np.isclose(stored, again.metrics.loc["expected_loss", "stressed"], rtol=1e-9)
                st.success(f"Reproduced run `{pick}`: expected loss {_money(again.metrics.loc['expected_loss', 'stressed'])} "
                           f"({'identical to' if same else 'differs from'} the stored {_money(stored)}).")
            except StudioError as exc:
                show_error(exc, "Reopening the run failed")


