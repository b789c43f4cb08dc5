"""The Risk scenarios page's tabs: results, drivers, compare & IFRS 9, fidelity, early warning, runs & report.

Each tab function runs only when its tab is open (the page's lazy tabs); exports and reports are
built when the analyst asks for them.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.errors import StudioError
from core.formatting import column_label, count, humanize, money, pct, plain, pp, signed
from core.scenarios.engine import ScenarioEngine
from core.scenarios.ifrs9 import probability_weighted
from core.scenarios.results import ScenarioParams, ScenarioResult
from dashboard import scenarios_charts as charts
from dashboard import scenarios_ui as ui
from dashboard.shell import show_error

MONEY_METRICS = {"expected_loss", "var_99", "var_999", "es_99", "es_999", "asrf_var_999", "exposure"}
METRIC_LABELS = {"expected_default_rate": "Default rate (expected)", "exposure_weighted_pd": "Exposure-weighted PD",
                 "mean_lgd": "Mean LGD", "expected_loss": "Expected loss", "el_rate": "EL / exposure",
                 "var_99": "VaR 99%", "var_999": "VaR 99.9%", "es_99": "Expected shortfall 99%",
                 "es_999": "Expected shortfall 99.9%", "default_rate_p99": "Default rate, 99th percentile draw",
                 "asrf_var_999": "Basel ASRF 99.9% (analytic)", "exposure": "Exposure"}


def _fmt(metric: str, v: float) -> str:
    return money(v) if metric in MONEY_METRICS else pct(v, 2)


def metrics_frame(r: ScenarioResult) -> pd.DataFrame:
    m = r.metrics
    return pd.DataFrame({"measure": [METRIC_LABELS.get(k, humanize(k)) for k in m.index],
                         "baseline": [_fmt(k, v) for k, v in m["baseline"].items()],
                         "stressed": [_fmt(k, v) for k, v in m["stressed"].items()],
                         "change": [ui.signed_pct(v) for v in m["change_pct"]]})


def group_frame(t: pd.DataFrame) -> pd.DataFrame:
    g = t.columns[0]
    return pd.DataFrame({humanize(g): t[g].astype(str), "customers": t["customers"].map(count),
                         "exposure": t["exposure"].map(money), "PD baseline": t["pd_base"].map(lambda v: pct(v, 2)),
                         "PD stressed": t["pd_stress"].map(lambda v: pct(v, 2)), "EL baseline": t["el_base"].map(money),
                         "EL stressed": t["el_stress"].map(money), "EL change": t["el_change_pct"].map(ui.signed_pct)})


def results_tab(r: ScenarioResult) -> None:
    st.plotly_chart(charts.loss_distribution(r.loss_base, r.loss_stress, _summary(r, "baseline"), _summary(r, "stressed")),
                    width="stretch", key="scen_loss_chart")
    left, right = st.columns(2)
    left.plotly_chart(charts.by_group_bars(r.by_product, "product", "Expected loss by product"), width="stretch",
                      key="scen_product_chart")
    if r.by_segment is not None:
        seg = r.by_segment.columns[0]
        right.plotly_chart(charts.by_group_bars(r.by_segment, seg, f"Expected loss by {humanize(seg).lower()}"),
                           width="stretch", key="scen_segment_chart")
    st.dataframe(metrics_frame(r), hide_index=True, width="stretch", key="scen_metrics_table")
    st.dataframe(group_frame(r.by_product), hide_index=True, width="stretch", key="scen_product_table")
    st.caption(f"Analytic Basel ASRF 99.9% loss {money(r.metrics.loc['asrf_var_999', 'stressed'])} against the simulated "
               f"VaR 99.9% {money(r.metrics.loc['var_999', 'stressed'])}: a check of the Monte Carlo.")
    for n in r.notes:
        st.caption(plain(n))


def _summary(r: ScenarioResult, side: str) -> dict:
    return {k: float(r.metrics.loc[k, side]) for k in ("expected_loss", "var_99", "var_999")}


def drivers_tab(engine: ScenarioEngine, r: ScenarioResult) -> None:
    if not r.shap_delta.empty:
        st.plotly_chart(charts.shap_delta(r.shap_delta), width="stretch", key="scen_shap_chart")
    st.plotly_chart(charts.pd_shift(r.pd_base, r.pd_stress), width="stretch", key="scen_pd_chart")
    st.markdown("**How each shock reaches PD**")
    ch = r.channels
    st.dataframe(pd.DataFrame({"driver": ch["driver"], "shock": [f"{signed(v, 1)} {u}" for v, u in zip(ch["shock"], ch["unit"],
                                                                                                           strict=True)],
                               "column": [column_label(c) if c and c != "-" else c for c in ch["column"]],
                               "channel": ch["channel"], "source": ch["source"],
                               "log-odds added outside the credit model": ch["mean_log_odds"].map(lambda v: signed(v, 3)),
                               "a rise or a fall is adverse": ch["adverse"]}),
                 hide_index=True, width="stretch", key="scen_channels_table")
    sat = engine.satellite
    if sat.terms:
        t = sat.table(engine.presets)
        st.plotly_chart(charts.satellite_effects(t), width="stretch", key="scen_satellite_chart")
        st.dataframe(pd.DataFrame({"driver": t["driver"], "per": t["unit"], "log-odds per unit": t["log_odds_per_unit"].map(
            lambda v: signed(v, 4)), "95% interval": [f"{signed(a, 4)} to {signed(b, 4)}" for a, b in zip(
                t["ci95_low"], t["ci95_high"], strict=True)], "applies to": t["applies_to"], "source": t["source"]}),
            hide_index=True, width="stretch", key="scen_satellite_table")
        for n in sat.notes:
            st.caption(plain(n))
    effects = ui._effects(engine)
    if effects is not None:
        st.markdown("**What each driver does on this book** (one driver at a time, measured)")
        st.dataframe(pd.DataFrame({"driver": effects["driver"], "shock": [f"{signed(v, 1)} {u}" for v, u in zip(
            effects["shock"], effects["unit"], strict=True)], "mean PD": [f"{pct(a, 2)} to {pct(b, 2)}" for a, b in zip(
                effects["pd_base"], effects["pd_stressed"], strict=True)],
            "PD change": (effects["pd_stressed"] - effects["pd_base"]).map(lambda v: pp(v, 2)),
            "expected loss": effects["el_change_relative"].map(ui.signed_pct), "through": effects["channel"]}),
            hide_index=True, width="stretch", key="scen_effects_table")
    st.caption(f"Pinned (shocked) columns: {plain(', '.join(map(column_label, r.pinned)) or 'none')} · moved by the "
               f"generator: {plain(', '.join(map(column_label, r.dependents)) or 'none')}.")
    table = getattr(engine, "response_table", None)
    if table:
        dropped = [t for t in table if not t["used"]]
        if dropped:
            st.caption("Not used from the generator (its learned response pointed the wrong way, confounded in the history): "
                       + plain("; ".join(f"{t['driver']} ({t['direction']})" for t in dropped)) + ".")


def compare_tab(engine: ScenarioEngine, current: ScenarioResult, params: ScenarioParams) -> None:
    presets = engine.presets
    order = [s.key for s in presets.by_severity()]
    keys = st.multiselect("Scenarios to compare", order, default=order, format_func=lambda k: presets.scenarios[k].name,
                          key="scen_compare")
    results = [ui.run(engine, presets.scenario(k), params) for k in keys]  # cached per (engine, scenario, settings)
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
                     "stage2_share": r.ifrs9["stage2_share"], "ecl": r.ifrs9["ecl"]})
    table = pd.DataFrame(rows)
    st.plotly_chart(charts.compare_scenarios(table), width="stretch", key="scen_compare_chart")
    st.dataframe(pd.DataFrame({"scenario": table["scenario"], "default rate": table["default_rate"].map(lambda v: pct(v, 2)),
                               "expected loss": table["expected_loss"].map(money), "EL / exposure": table["el_rate"].map(
                                   lambda v: pct(v, 2)), "VaR 99%": table["var_99"].map(money),
                               "VaR 99.9%": table["var_999"].map(money), "ES 99%": table["es_99"].map(money),
                               "stage 2": table["stage2_share"].map(lambda v: pct(v, 1)), "ECL": table["ecl"].map(money)}),
                 hide_index=True, width="stretch", key="scen_compare_table")
    ifrs9_section(results)


def ifrs9_section(results: list[ScenarioResult]) -> None:
    st.markdown("**IFRS 9: staging against origination and probability-weighted ECL**")
    first = results[0]
    st.caption(plain(f"Stage 2 when the lifetime PD is at least twice the lifetime PD at origination and at least 1 pp "
                     f"higher, or 30+ days past due; stage 3 at 90+ days past due. Origination: {first.ifrs9['origination']}; "
                     f"backstop: {first.ifrs9['backstop']}. Lifetime ECL over the remaining term, discounted at 5%."))
    base_table = first.ifrs9["baseline_table"]
    st.dataframe(staging_frame(base_table, "as it stands"), hide_index=True, width="stretch", key="scen_staging_base")
    cols = st.columns(max(1, len(results)))
    weights = {}
    for col, r in zip(cols, results, strict=True):
        weights[r.scenario.name] = col.number_input(f"Weight: {r.scenario.name}", 0.0, 1.0, float(r.scenario.ifrs9_weight),
                                                    0.05, key=f"scen_w_{r.scenario.key}", format="%.2f")
    rows = [{"name": r.scenario.name, "weight": weights[r.scenario.name], "ecl": r.ifrs9["ecl"], "ecl_12m": r.ifrs9["ecl_12m"],
             "stage2_share": r.ifrs9["stage2_share"]} for r in results]
    try:
        agg = probability_weighted(rows)
    except StudioError as exc:
        show_error(exc, "The probability-weighted ECL is refused")
        return
    c = st.columns(3)
    c[0].metric("Probability-weighted ECL", money(agg["weighted_ecl"]))
    c[1].metric("of which 12-month ECL", money(agg["weighted_ecl_12m"]))
    c[2].metric("Weighted stage 2 share", pct(agg["weighted_stage2_share"], 1))
    pick = st.selectbox("Staging under", [r.scenario.name for r in results], key="scen_staging_pick")
    r = next(x for x in results if x.scenario.name == pick)
    st.dataframe(staging_frame(r.ifrs9["table"], pick), hide_index=True, width="stretch", key="scen_staging_table")


def staging_frame(t: pd.DataFrame, label: str) -> pd.DataFrame:
    return pd.DataFrame({"stage": t["stage"].map(lambda s: f"Stage {s}" if s != "total" else "Total"),
                         "customers": t["customers"].map(count), "share": t["share"].map(lambda v: pct(v, 1)),
                         "exposure": t["exposure"].map(money), f"ECL ({label})": t["ecl"].map(money),
                         "coverage": t["coverage"].map(lambda v: pct(v, 2))})
