"""Plotly figure builders for the credit page's performance, global and fairness views: pure functions from data to figure.

One-applicant figures (waterfall, what-if, decision plot, LIME) live in :mod:`dashboard.credit_charts_local`.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from core.credit.explain import Explanation
from core.formatting import column_label

TEMPLATE = "plotly_white"
PALETTE = px.colors.qualitative.Safe
RISK_UP, RISK_DOWN = "#c0392b", "#2471a3"
MARGIN = dict(l=10, r=10, t=40, b=10)


def feature_text(name: object) -> str:
    """A column name as the analyst reads it, HTML-escaped for plotly text (a column name never becomes markup)."""
    return html.escape(column_label(name), quote=False)


def _layout(fig: go.Figure, title: str, height: int = 340) -> go.Figure:
    fig.update_layout(template=TEMPLATE, title=title, height=height, margin=MARGIN)
    return fig


def roc(curves: dict[str, tuple[np.ndarray, np.ndarray]]) -> go.Figure:
    fig = go.Figure()
    for i, (name, (fpr, tpr)) in enumerate(curves.items()):
        fig.add_scatter(x=fpr, y=tpr, mode="lines", name=name, line=dict(color=PALETTE[i]))
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", name="chance", line=dict(dash="dot", color="grey"))
    fig.update_xaxes(title="false-positive rate (goods declined)")
    fig.update_yaxes(title="true-positive rate (bads declined)")
    return _layout(fig, "ROC curve (test split)")


def calibration(table: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    lim = float(max(table["mean_pd"].max(), table["observed"].max(), 0.01))
    fig.add_scatter(x=[0, lim], y=[0, lim], mode="lines", name="perfect", line=dict(dash="dot", color="grey"))
    fig.add_scatter(x=table["mean_pd"], y=table["observed"], mode="lines+markers", name="model",
                    text=table["n"], hovertemplate="predicted %{x:.2%}<br>observed %{y:.2%}<br>n=%{text}")
    fig.update_xaxes(title="mean predicted PD", tickformat=".0%")
    fig.update_yaxes(title="observed default rate", tickformat=".0%")
    return _layout(fig, "Calibration (PD deciles, test split)")


def score_distribution(p: np.ndarray, y: np.ndarray, cutoff: float) -> go.Figure:
    df = pd.DataFrame({"PD": p, "outcome": np.where(np.asarray(y) == 1, "default", "no default")})
    fig = px.histogram(df, x="PD", color="outcome", nbins=60, histnorm="probability density", barmode="overlay",
                       opacity=0.6, color_discrete_map={"default": RISK_UP, "no default": RISK_DOWN})
    fig.add_vline(x=cutoff, line_dash="dash", annotation_text="cutoff")
    fig.update_xaxes(tickformat=".0%")
    return _layout(fig, "PD by outcome (test split)")


def gains(table: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    fig.add_bar(x=table["decile"], y=table["lift"], name="lift", marker_color=PALETTE[0], yaxis="y2", opacity=0.5)
    fig.add_scatter(x=table["decile"], y=table["cum_bads_captured"], mode="lines+markers", name="cumulative bads captured",
                    line=dict(color=RISK_UP))
    fig.update_layout(yaxis=dict(title="bads captured", tickformat=".0%", range=[0, 1.05]),
                      yaxis2=dict(title="lift (× average)", overlaying="y", side="right", showgrid=False, tickformat=".1f",
                                  ticksuffix="×", rangemode="tozero", tickmode="auto", nticks=6),
                      xaxis=dict(title="decile (riskiest first)", dtick=1), legend=dict(orientation="h", y=-0.25))
    return _layout(fig, "Gains and lift")


def cost_curve(curve: pd.DataFrame, cutoff: float, best: float) -> go.Figure:
    fig = px.line(curve, x="cutoff", y="cost")
    fig.add_vline(x=cutoff, line_dash="dash", annotation_text="chosen")
    fig.add_vline(x=best, line_dash="dot", line_color=RISK_UP, annotation_text="least cost", annotation_position="bottom right")
    fig.update_xaxes(tickformat=".0%", title="cutoff (decline when PD ≥ cutoff)")
    fig.update_yaxes(title="expected cost per applicant")
    return _layout(fig, "Expected cost by cutoff")


def importance(mean_abs: pd.Series, top: int = 20, unit: str = "log-odds", features: list[str] | None = None) -> go.Figure:
    s = (mean_abs.reindex(features).dropna() if features else mean_abs).head(top)[::-1]
    fig = go.Figure(go.Bar(x=s.to_numpy(), y=[feature_text(f) for f in s.index], orientation="h",
                           marker_color=PALETTE[0]))
    fig.update_xaxes(title=f"mean |SHAP| ({unit})")
    return _layout(fig, "Global importance", height=max(300, 22 * len(s) + 80))


def _colour_values(col: pd.Series) -> np.ndarray:
    """Feature values scaled to 0..1 by rank (categoricals by code), for colouring."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        v = col.cat.codes.to_numpy().astype(float)
        v[v < 0] = np.nan
    else:
        v = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
    r = pd.Series(v).rank(pct=True).to_numpy()
    return r


def beeswarm(expl: Explanation, top: int = 15, max_points: int = 4000, seed: int = 0,
             features: list[str] | None = None) -> go.Figure:
    """A beeswarm-like strip plot: one row per feature, one dot per applicant, coloured by the feature's value."""
    ranked = list(expl.mean_abs().index)
    order = [f for f in ranked if f in features][:top] if features else ranked[:top]
    rng = np.random.default_rng(seed)
    idx = np.arange(len(expl)) if len(expl) <= max_points else rng.choice(len(expl), max_points, replace=False)
    xs, ys, cs = [], [], []
    for k, f in enumerate(order[::-1]):
        j = expl.feature_names.index(f)
        v = expl.values[idx, j]
        # spread dots vertically where they are dense (a cheap beeswarm): jitter scaled by local density
        hist, edges = np.histogram(v, bins=50)
        dens = hist[np.clip(np.searchsorted(edges, v) - 1, 0, 49)] / max(hist.max(), 1)
        xs.append(v)
        ys.append(k + (rng.random(len(v)) - 0.5) * 0.8 * np.sqrt(dens))
        cs.append(_colour_values(expl.data[f].iloc[idx]))
    fig = go.Figure(go.Scattergl(
        x=np.concatenate(xs) if xs else [], y=np.concatenate(ys) if ys else [], mode="markers",
        marker=dict(size=3, color=np.concatenate(cs) if cs else [], colorscale="RdBu_r", cmin=0, cmax=1, opacity=0.6,
                    colorbar=dict(title="feature value", tickvals=[0, 1], ticktext=["low", "high"])),
        hoverinfo="skip"))
    fig.add_vline(x=0, line_color="grey")
    fig.update_yaxes(tickvals=list(range(len(order))), ticktext=[feature_text(f) for f in order[::-1]])
    fig.update_xaxes(title=f"SHAP value ({'log-odds' if expl.output == 'log_odds' else 'probability'}; right = riskier)")
    return _layout(fig, "Beeswarm: contributions by applicant", height=max(320, 28 * len(order) + 90))


def interaction_partner(expl: Explanation, feature: str, max_rows: int = 5000) -> str | None:
    """The feature whose values best explain the spread of ``feature``'s SHAP at equal values (like shap's heuristic)."""
    j = expl.feature_names.index(feature)
    n = min(len(expl), max_rows)
    x = _colour_values(expl.data[feature].iloc[:n])
    y = expl.values[:n, j]
    order = np.argsort(np.nan_to_num(x, nan=-1))
    bins = np.array_split(order, 10)
    best, best_score = None, 0.0
    for f in expl.feature_names:
        if f == feature:
            continue
        v = _colour_values(expl.data[f].iloc[:n])
        score = 0.0
        for b in bins:
            if len(b) > 5 and np.nanstd(v[b]) > 0 and np.std(y[b]) > 0:
                ok = ~np.isnan(v[b])
                if ok.sum() > 5:
                    score += abs(np.corrcoef(v[b][ok], y[b][ok])[0, 1])
        if score > best_score:
            best, best_score = f, score
    return best


def dependence(expl: Explanation, feature: str, colour_by: str | None, max_points: int = 5000) -> go.Figure:
    j = expl.feature_names.index(feature)
    n = min(len(expl), max_points)
    x = expl.data[feature].iloc[:n]
    x = x.astype(str) if isinstance(x.dtype, pd.CategoricalDtype) else x
    name = feature_text(feature)
    marker: dict = dict(size=4, opacity=0.6)
    if colour_by:
        c = expl.data[colour_by].iloc[:n]
        marker.update(color=c.cat.codes.where(c.cat.codes >= 0) if isinstance(c.dtype, pd.CategoricalDtype) else c,
                      colorscale="RdBu_r", colorbar=dict(title=feature_text(colour_by)))
    fig = go.Figure(go.Scattergl(x=x.to_numpy(), y=expl.values[:n, j], mode="markers", marker=marker,
                                 hovertemplate="%{x}: SHAP %{y:.3f}<extra></extra>"))
    fig.add_hline(y=0, line_color="grey")
    unit = "log-odds" if expl.output == "log_odds" else "probability"
    fig.update_yaxes(title=f"SHAP for {name} ({unit})", tickformat=".2f")
    fig.update_xaxes(title=name)
    return _layout(fig, f"Dependence: {name}" + (f" (colour: {feature_text(colour_by)})" if colour_by else ""),
                   height=380)


def fairness_bars(table: pd.DataFrame, title: str) -> go.Figure:
    d = table.copy()
    d["group"] = d["group"].map(lambda g: html.escape(str(g), quote=False))
    title = html.escape(title, quote=False)
    d["colour"] = np.where(d["small_group"], "small group (under 20)",
                           np.where(d["four_fifths_flag"], "below 4/5 of best group", "ok"))
    fig = px.bar(d, x="group", y="approval_rate", color="colour", text=d["adverse_impact_ratio"].map(
                 lambda v: "AIR –" if v != v else f"AIR {v:.2f}"),
                 color_discrete_map={"ok": PALETTE[0], "below 4/5 of best group": RISK_UP,
                                     "small group (under 20)": "#aab7b8"},
                 category_orders={"group": list(d["group"])}, labels={"colour": ""})
    fig.update_traces(textposition="outside", textangle=0, cliponaxis=False)
    fig.update_layout(legend=dict(orientation="h", y=1.12, x=1, xanchor="right"))
    best = d.loc[~d["small_group"], "approval_rate"].max() if (~d["small_group"]).any() else d["approval_rate"].max()
    fig.add_hline(y=0.8 * best, line_dash="dot", annotation_text="4/5 of best group")
    fig.update_yaxes(tickformat=".0%", title="approval rate")
    return _layout(fig, title, height=340)


def drift_bars(features: pd.DataFrame, top: int = 15) -> go.Figure:
    """Characteristic stability index per feature, against the training split (0.1 and 0.25 marked)."""
    d = features.head(top).iloc[::-1]
    colour = np.where(d["csi"] >= 0.25, RISK_UP, np.where(d["csi"] >= 0.1, "#e67e22", PALETTE[0]))
    fig = go.Figure(go.Bar(x=d["csi"], y=[feature_text(f) for f in d["feature"]], orientation="h",
                           marker_color=colour,
                           hovertemplate="%{y}: CSI %{x:.3f}<extra></extra>"))
    for x, name in ((0.1, "some shift"), (0.25, "significant")):
        fig.add_vline(x=x, line_dash="dot", line_color="grey", annotation_text=name)
    fig.update_xaxes(title="characteristic stability index", tickformat=".2f")
    return _layout(fig, "Feature drift against the training data", height=max(300, 22 * len(d) + 90))
