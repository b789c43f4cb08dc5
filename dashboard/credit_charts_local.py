"""Plotly figure builders for one applicant or a few: waterfall, what-if, decision plot, PDP/ICE, interactions, LIME.

Labels that come from the data (column names, category levels) are HTML-escaped: plotly reads a
subset of HTML in its text, and a column name must never become a link.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.credit.reason_text import value_text
from dashboard.credit_charts import PALETTE, RISK_DOWN, RISK_UP, _layout
from dashboard.credit_charts import feature_text as feat


def safe(text: object) -> str:
    return html.escape(str(text), quote=False)


def waterfall(values: np.ndarray, names: list[str], data: pd.Series, base: float, output: str, top: int = 10) -> go.Figure:
    """One applicant: from the base value through the largest contributions to the final output."""
    order = np.argsort(-np.abs(values))
    keep, rest = order[:top], order[top:]
    labels = [f"{feat(names[i])} = {safe(value_text(data[names[i]]))}" for i in keep]
    vals = [float(values[i]) for i in keep]
    if len(rest):
        labels.append(f"{len(rest)} other features")
        vals.append(float(values[rest].sum()))
    fmt = {"log_odds": ".3f", "points": ".0f"}.get(output, ".2%")
    up, down = (RISK_DOWN, RISK_UP) if output == "points" else (RISK_UP, RISK_DOWN)  # points: higher is safer
    fig = go.Figure(go.Waterfall(
        orientation="h", measure=["absolute"] + ["relative"] * len(vals) + ["total"],
        y=["base value"] + labels + ["applicant"], x=[base] + vals + [base + sum(vals)],
        increasing=dict(marker=dict(color=up)), decreasing=dict(marker=dict(color=down)),
        totals=dict(marker=dict(color="#566573")), texttemplate=f"%{{x:{fmt}}}", textposition="auto",
        cliponaxis=False, connector=dict(line=dict(color="#d5d8dc"))))
    fig.update_yaxes(autorange="reversed")
    title = {"log_odds": "log-odds of default (raw margin)", "points": "score points (higher is safer)"}.get(
        output, "probability of default")
    fig.update_xaxes(title=title, tickformat={"log_odds": ".2f", "points": ",.0f"}.get(output, ".0%"))
    return _layout(fig, "Contributions (waterfall)", height=max(340, 30 * (len(vals) + 2) + 80))


def whatif_bars(cmp: pd.DataFrame, top: int = 12) -> go.Figure:
    d = cmp.head(top).iloc[::-1]
    names = [feat(f) for f in d["feature"]]
    fig = go.Figure()
    fig.add_bar(y=names, x=d["contribution_before"], orientation="h", name="before", marker_color="#aab7b8")
    fig.add_bar(y=names, x=d["contribution_after"], orientation="h", name="after", marker_color=PALETTE[0])
    fig.update_layout(barmode="group")
    fig.update_xaxes(title="contribution (log-odds)", tickformat=".2f")
    return _layout(fig, "Contributions before and after the edit", height=max(320, 34 * len(d) + 80))


def pdp_ice(pdp, own: float | None = None) -> go.Figure:
    """Partial dependence (thick) over the ICE curves of sampled applicants (thin), in PD."""
    x = [safe(g) for g in pdp.grid] if pdp.categorical else pdp.grid
    fig = go.Figure()
    for k, curve in enumerate(pdp.ice):
        fig.add_scatter(x=x, y=curve, mode="lines", line=dict(color="rgba(36,113,163,0.18)", width=1),
                        showlegend=k == 0, name="one applicant (ICE)", hoverinfo="skip")
    fig.add_scatter(x=x, y=pdp.average, mode="lines+markers", line=dict(color=RISK_UP, width=3),
                    name=f"average over {pdp.rows:,} applicants (PDP)")
    if own is not None and not pdp.categorical:
        fig.add_vline(x=own, line_dash="dot", annotation_text="this applicant")
    fig.update_yaxes(title="PD", tickformat=".0%")
    fig.update_xaxes(title=feat(pdp.feature), type="category" if pdp.categorical else None)
    fig.update_layout(legend=dict(orientation="h", y=-0.25))
    return _layout(fig, f"Partial dependence and ICE: {feat(pdp.feature)}", height=400)


def interaction_heatmap(matrix: pd.DataFrame, top: int = 12) -> go.Figure:
    """Mean |SHAP interaction| between the most interacting features (diagonal: main effects left out)."""
    m = matrix.copy()
    np.fill_diagonal(m.values, 0.0)
    order = list((m.sum(axis=1)).sort_values(ascending=False).index[:top])
    sub = m.loc[order, order] * 2
    names = [feat(f) for f in order]
    fig = go.Figure(go.Heatmap(z=sub.to_numpy(), x=names, y=names, colorscale="Blues",
                               hovertemplate="%{y} × %{x}: %{z:.4f}<extra></extra>", colorbar=dict(title="mean |int.|")))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, "SHAP interaction strength (log-odds)", height=max(360, 26 * len(order) + 120))


def interaction_scatter(x: pd.Series, values: np.ndarray, colour: pd.Series, a: str, b: str) -> go.Figure:
    xs = x.astype(str) if isinstance(x.dtype, pd.CategoricalDtype) else x
    cs = colour.cat.codes.where(colour.cat.codes >= 0) if isinstance(colour.dtype, pd.CategoricalDtype) else colour
    fig = go.Figure(go.Scattergl(x=xs, y=values, mode="markers",
                                 marker=dict(size=4, color=cs, colorscale="RdBu_r", opacity=0.6,
                                             colorbar=dict(title=feat(b)))))
    fig.add_hline(y=0, line_color="grey")
    fig.update_xaxes(title=feat(a))
    fig.update_yaxes(title=f"interaction {feat(a)} × {feat(b)} (log-odds)", tickformat=".2f")
    return _layout(fig, f"Interaction of {feat(a)} with {feat(b)}", height=380)


def decision_plot(values: np.ndarray, base: np.ndarray, names: list[str], labels: list[str], top: int = 12) -> go.Figure:
    """Cumulative contributions from the base value to each applicant's log-odds, features in one shared order."""
    order = np.argsort(-np.abs(values).mean(axis=0))
    keep, rest = order[:top], order[top:]
    steps = [feat(names[j]) for j in keep[::-1]] + ([f"{len(rest)} other features"] if len(rest) else [])
    fig = go.Figure()
    for i, lab in enumerate(labels):
        parts = list(values[i, keep[::-1]]) + ([values[i, rest].sum()] if len(rest) else [])
        path = np.concatenate([[base[i]], base[i] + np.cumsum(parts)])
        fig.add_scatter(x=path, y=["base value", *steps], mode="lines+markers", name=safe(lab),
                        line=dict(color=PALETTE[i % len(PALETTE)]))
    fig.update_xaxes(title="log-odds of default (raw margin)", tickformat=".2f")
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, "Decision plot: how each applicant's risk builds up", height=max(380, 26 * (len(steps) + 1) + 120))


def lime_vs_shap(shap: pd.Series, lime: pd.Series, top: int = 10) -> go.Figure:
    order = list(shap.abs().sort_values(ascending=False).index[:top])[::-1]
    names = [feat(f) for f in order]
    fig = go.Figure()
    fig.add_bar(y=names, x=shap[order], orientation="h", name="SHAP (log-odds)", marker_color=PALETTE[0], xaxis="x")
    fig.add_bar(y=names, x=lime.reindex(order), orientation="h", name="LIME (PD)", marker_color="#e67e22", xaxis="x2")
    fig.update_layout(barmode="group", xaxis=dict(title="SHAP (log-odds)", domain=[0, 0.48], tickformat=".2f"),
                      xaxis2=dict(title="LIME weight (PD)", domain=[0.52, 1], tickformat=".2f"),
                      legend=dict(orientation="h", y=-0.2))
    return _layout(fig, "SHAP and LIME for this applicant", height=max(340, 30 * len(order) + 100))


def cohort_drivers(drivers: pd.DataFrame, names: tuple[str, str], top: int = 12) -> go.Figure:
    d = drivers.head(top).iloc[::-1]
    labels = [feat(f) for f in d["feature"]]
    fig = go.Figure()
    fig.add_bar(y=labels, x=d["mean_a"], orientation="h", name=safe(names[0]), marker_color=PALETTE[0])
    fig.add_bar(y=labels, x=d["mean_b"], orientation="h", name=safe(names[1]), marker_color="#e67e22")
    fig.update_layout(barmode="group", legend=dict(orientation="h", y=-0.2))
    fig.update_xaxes(title="mean contribution (log-odds)", tickformat=".2f")
    return _layout(fig, "What drives each cohort's risk", height=max(340, 30 * len(d) + 100))
