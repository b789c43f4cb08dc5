"""Plotly figure builders for the Risk scenarios page: pure functions from data to figure."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from core.formatting import column_label
from core.scenarios.results import SHAP_SOURCE

TEMPLATE = "plotly_white"
BASE, STRESS = "#5b8def", "#e4572e"
MARGIN = dict(l=10, r=10, t=40, b=10)


def loss_distribution(base: np.ndarray, stress: np.ndarray, summary_base: dict, summary_stress: dict,
                      title: str = "Portfolio loss distribution (one-factor Monte Carlo)") -> go.Figure:
    hi = float(max(np.quantile(base, 0.9995), np.quantile(stress, 0.9995)))
    fig = go.Figure()
    for name, x, colour in (("baseline", base, BASE), ("stressed", stress, STRESS)):
        fig.add_trace(go.Histogram(x=np.clip(x, 0, hi), name=name, marker_color=colour, opacity=0.55, nbinsx=80,
                                   histnorm="probability"))
    for s, colour, label in ((summary_base, BASE, "base"), (summary_stress, STRESS, "stress")):
        for key, dash in (("expected_loss", "dot"), ("var_99", "dash"), ("var_999", "solid")):
            fig.add_vline(x=s[key], line_color=colour, line_dash=dash, line_width=1)
        fig.add_annotation(x=s["var_999"], y=1, yref="paper", text=f"VaR 99.9% {label}", showarrow=False,
                           font=dict(size=10, color=colour), textangle=-90, xanchor="right", yanchor="top")
    fig.update_layout(barmode="overlay", template=TEMPLATE, title=title, height=360, margin=MARGIN,
                      xaxis=dict(title="loss · lines: dotted expected loss, dashed VaR 99%, solid VaR 99.9%", tickformat=",.0f",
                                 tickprefix="$"), yaxis=dict(title="share of draws",
                                                                                          tickformat=".1%"),
                      legend=dict(orientation="h", y=1.1))
    return fig


def by_group_bars(frame: pd.DataFrame, group: str, title: str) -> go.Figure:
    long = frame.melt(id_vars=[group], value_vars=["el_base", "el_stress"], var_name="side", value_name="expected loss")
    long["side"] = long["side"].map({"el_base": "baseline", "el_stress": "stressed"})
    fig = px.bar(long, x="expected loss", y=group, color="side", barmode="group", orientation="h", template=TEMPLATE,
                 color_discrete_map={"baseline": BASE, "stressed": STRESS}, title=title)
    fig.update_layout(height=max(260, 60 * len(frame) + 80), margin=MARGIN, yaxis_title=None,
                      legend=dict(orientation="h", y=1.12, title_text=""), xaxis_tickformat=",.0f", xaxis_tickprefix="$")
    return fig


def shap_delta(frame: pd.DataFrame, top: int = 12) -> go.Figure:
    data = frame.head(top).iloc[::-1]
    colours = [STRESS if d > 0 else BASE for d in data["delta"]]
    # credit-model lines name a raw column (shown readable); outside-the-model lines already read "source: driver"
    names = [html.escape(column_label(f) if src == SHAP_SOURCE else str(f), quote=False)
             for f, src in zip(data["feature"], data["source"], strict=True)]
    fig = go.Figure(go.Bar(x=data["delta"], y=names, orientation="h", marker_color=colours,
                           customdata=data[["baseline", "stressed", "source"]].to_numpy(),
                           hovertemplate="%{y}: %{x:+.4f} log-odds<br>baseline %{customdata[0]:.4f}, stressed %{customdata[1]:.4f}"
                                         "<br>%{customdata[2]}<extra></extra>"))
    fig.update_layout(template=TEMPLATE, height=max(280, 26 * len(data) + 80), margin=MARGIN,
                      title="What moved PD: change in mean contribution (log-odds)", xaxis_title="stressed minus baseline")
    return fig


def pd_shift(pd_base: np.ndarray, pd_stress: np.ndarray, max_points: int = 200_000) -> go.Figure:
    """PD per customer, baseline and stressed, on log-spaced bins (PDs span several orders of magnitude)."""
    both = np.concatenate([pd_base[:max_points], pd_stress[:max_points]])
    lo = max(float(np.quantile(both, 0.001)), 1e-5)
    edges = np.geomspace(lo, 1.0, 41)
    fig = go.Figure()
    for name, x, colour in (("baseline", pd_base, BASE), ("stressed", pd_stress, STRESS)):
        counts, _ = np.histogram(np.clip(x[:max_points], lo, 1.0), edges)
        share = counts / max(1, counts.sum())
        centres = np.sqrt(edges[:-1] * edges[1:])
        fig.add_trace(go.Bar(x=centres, y=share, width=np.diff(edges), name=name, marker_color=colour, opacity=0.55,
                             customdata=np.c_[edges[:-1], edges[1:]],
                             hovertemplate="PD %{customdata[0]:.2%} to %{customdata[1]:.2%}: %{y:.1%} of customers"
                                           "<extra>" + name + "</extra>"))
    ticks = [t for t in (1e-4, 1e-3, 0.01, 0.03, 0.1, 0.3, 1.0) if t >= lo * 0.8]
    fig.update_layout(barmode="overlay", template=TEMPLATE, title="PD per customer", height=320, margin=MARGIN,
                      xaxis=dict(type="log", title="12-month PD", tickvals=ticks, ticktext=[f"{t:.2%}".rstrip("0").rstrip(".")
                                                                                             for t in ticks]),
                      yaxis=dict(title="share of customers", tickformat=".0%"), legend=dict(orientation="h", y=1.1))
    return fig


def compare_scenarios(table: pd.DataFrame) -> go.Figure:
    long = table.melt(id_vars=["scenario"], value_vars=["expected_loss", "var_99", "es_99", "var_999"], var_name="measure",
                      value_name="loss")
    long["measure"] = long["measure"].map({"expected_loss": "expected loss", "var_99": "VaR 99%", "es_99": "ES 99%",
                                           "var_999": "VaR 99.9%"})
    fig = px.bar(long, x="scenario", y="loss", color="measure", barmode="group", template=TEMPLATE,
                 title="Scenarios side by side", color_discrete_sequence=px.colors.qualitative.Safe)
    fig.update_layout(height=380, margin=dict(MARGIN, t=80), legend=dict(orientation="h", y=1.02, yanchor="bottom", title_text=""),
                      yaxis_tickformat=",.0f", yaxis_tickprefix="$", yaxis_title="loss")
    return fig


def satellite_effects(table: pd.DataFrame) -> go.Figure:
    """Each macro driver's satellite coefficient with its 95% interval (log-odds per driver unit)."""
    t = table.iloc[::-1]
    fig = go.Figure(go.Scatter(x=t["log_odds_per_unit"], y=[f"{d} (per {u})" for d, u in zip(t["driver"], t["unit"], strict=True)],
                               mode="markers", marker=dict(size=10, color=STRESS),
                               error_x=dict(type="data", symmetric=False, array=t["ci95_high"] - t["log_odds_per_unit"],
                                            arrayminus=t["log_odds_per_unit"] - t["ci95_low"]),
                               hovertemplate="%{y}: %{x:.4f} log-odds<extra></extra>"))
    fig.add_vline(x=0, line_color="#999", line_dash="dot")
    fig.update_layout(template=TEMPLATE, height=80 + 45 * len(t), margin=MARGIN, xaxis_title="log-odds per unit (95% interval)",
                      title="Satellite model: macro effects on the 12-month default odds")
    return fig


def lift_bars(lift: dict) -> go.Figure:
    labels = ["all customers", "customers not yet behind"]
    model = [lift.get("top_decile_rate_model"), lift.get("current_accounts_top_decile_rate_model")]
    current = [lift.get("top_decile_rate_current_pd"), lift.get("current_accounts_top_decile_rate_current_pd")]
    fig = go.Figure([go.Bar(x=labels, y=current, name="top 10% by current PD", marker_color=BASE),
                     go.Bar(x=labels, y=model, name="top 10% by early warning", marker_color=STRESS)])
    fig.update_layout(template=TEMPLATE, barmode="group", height=300, margin=MARGIN, yaxis_tickformat=".0%",
                      title="Who deteriorated next quarter (out-of-time test)", legend=dict(orientation="h", y=1.15))
    return fig


def training_curve(train: list[float], valid: list[float], best_epoch: int) -> go.Figure:
    epochs = list(range(1, len(train) + 1))
    fig = go.Figure([go.Scatter(x=epochs, y=train, name="train", mode="lines+markers"),
                     go.Scatter(x=epochs, y=valid, name="validation", mode="lines+markers")])
    if best_epoch:
        fig.add_vline(x=best_epoch, line_dash="dot", annotation_text="kept")
    fig.update_layout(template=TEMPLATE, height=260, margin=MARGIN, title="Generator training loss (negative ELBO)",
                      xaxis_title="epoch", yaxis_title="loss")
    return fig


def column_shapes(frame: pd.DataFrame) -> go.Figure:
    data = frame.sort_values("score")
    fig = px.bar(data, x="score", y="column", color="kind", orientation="h", template=TEMPLATE, range_x=[0, 1],
                 title="Per-column shape similarity (1 = identical)", color_discrete_sequence=[BASE, STRESS])
    fig.update_layout(height=max(300, 18 * len(data) + 80), margin=MARGIN, yaxis_title=None)
    return fig


def real_vs_generated(real: pd.Series, generated: pd.Series, column: str) -> go.Figure:
    fig = go.Figure()
    numeric = pd.api.types.is_numeric_dtype(real) and not pd.api.types.is_bool_dtype(real)
    if numeric:
        for name, s, colour in (("real", real, BASE), ("generated", generated, STRESS)):
            fig.add_trace(go.Histogram(x=s, name=name, marker_color=colour, opacity=0.55, nbinsx=60, histnorm="probability"))
        fig.update_layout(barmode="overlay")
    else:
        shares = pd.DataFrame({"real": real.astype(str).value_counts(normalize=True),
                               "generated": generated.astype(str).value_counts(normalize=True)}).fillna(0)
        for name, colour in (("real", BASE), ("generated", STRESS)):
            fig.add_trace(go.Bar(x=shares.index, y=shares[name], name=name, marker_color=colour))
    fig.update_layout(template=TEMPLATE, height=300, margin=MARGIN, title=f"{column}: real vs generated",
                      legend=dict(orientation="h", y=1.12))
    return fig
