"""Figure builders for the segmentation page: pure functions from data to plotly figures.

Plotly reads a few HTML tags in labels (``<b>``, ``<a href>``), so every segment or column name is
HTML-escaped before it becomes a label: a name typed by the analyst is shown, never interpreted.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from core.formatting import humanize

PALETTE = qualitative.Safe + qualitative.Vivid
NOISE_COLOUR = "#b0b7c3"


def pretty(column: object) -> str:
    """A column name as an analyst reads it, safe as a plotly label."""
    return html.escape(humanize(column))


def _t(text: object) -> str:
    """Any name, safe as a plotly label."""
    return html.escape(str(text))


def segment_colours(segments: list[int]) -> dict[int, str]:
    return {s: (NOISE_COLOUR if s < 0 else PALETTE[s % len(PALETTE)]) for s in segments}


def _layout(fig: go.Figure, height: int = 380, **kw) -> go.Figure:
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10), template="plotly_white",
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0), **kw)
    return fig


def sweep_figure(table: pd.DataFrame, chosen_k: int | None = None, knee_k: int | None = None,
                 stable_ari: float = 0.75) -> go.Figure:
    """Four small panels per k: silhouette, inertia or BIC with the elbow, CH and DB, stability."""
    has_bic = table["bic"].notna().any()
    curve = "bic" if has_bic else "inertia"
    fig = make_subplots(rows=2, cols=2, subplot_titles=(
        "Silhouette (higher is better)", f"{'BIC' if has_bic else 'Inertia'} with the elbow",
        "Calinski-Harabasz ↑ / Davies-Bouldin ↓", "Bootstrap stability (ARI)"), vertical_spacing=0.16,
        specs=[[{}, {}], [{"secondary_y": True}, {}]])
    k = table["k"]
    fig.add_trace(go.Scatter(x=k, y=table["silhouette"], mode="lines+markers", name="silhouette"), 1, 1)
    fig.add_trace(go.Scatter(x=k, y=table[curve], mode="lines+markers", name=curve), 1, 2)
    if knee_k is not None and knee_k in set(k):
        y = float(table.loc[table["k"] == knee_k, curve].iloc[0])
        fig.add_trace(go.Scatter(x=[knee_k], y=[y], mode="markers", marker=dict(size=14, symbol="x", color="#d62728"),
                                 name=f"elbow (k={knee_k})"), 1, 2)
    fig.add_trace(go.Scatter(x=k, y=table["calinski_harabasz"], mode="lines+markers", name="Calinski-Harabasz"), 2, 1)
    fig.add_trace(go.Scatter(x=k, y=table["davies_bouldin"], mode="lines+markers", name="Davies-Bouldin",
                             line=dict(dash="dot")), 2, 1, secondary_y=True)
    fig.add_trace(go.Bar(x=k, y=table["stability_ari"], name="stability ARI",
                         error_y=dict(type="data", array=table["stability_sd"].fillna(0)),
                         marker_color=["#2ca02c" if v >= stable_ari else "#ff7f0e" for v in table["stability_ari"].fillna(0)]),
                  2, 2)
    fig.add_hline(y=stable_ari, line_dash="dash", line_color="#888", row=2, col=2)
    if chosen_k is not None:
        for r, c in ((1, 1), (1, 2), (2, 1), (2, 2)):
            fig.add_vline(x=chosen_k, line_color="#d62728", line_width=1, opacity=0.5, row=r, col=c)
    fig.update_yaxes(range=[0, 1.05], row=2, col=2)
    fig.update_yaxes(tickformat=".2f", showgrid=False, row=2, col=1, secondary_y=True)
    fig.update_yaxes(tickformat="~s", row=1, col=2)
    return _layout(fig, height=520, showlegend=False)


def sizes_figure(names: pd.DataFrame) -> go.Figure:
    """Customers per segment (horizontal bars, largest on top)."""
    t = names.sort_values("customers")
    colours = segment_colours(t["segment"].tolist())
    fig = go.Figure(go.Bar(x=t["customers"], y=[_t(n) for n in t["name"]], orientation="h",
                           marker_color=[colours[s] for s in t["segment"]],
                           text=[f"{c:,} ({s:.0%})" for c, s in zip(t["customers"], t["share"], strict=True)],
                           textposition="auto", hovertemplate="%{y}: %{x:,} customers<extra></extra>"))
    return _layout(fig, height=max(240, 42 * len(t) + 60), title="Customers per segment")


def zscore_heatmap(z: pd.DataFrame, names: dict[int, str], label: Callable[[str], str] = humanize,
                   max_features: int = 20) -> go.Figure:
    """Segment x feature deviation from the book (z-score), clipped to ±2 for colour."""
    cols = list(z.abs().max().sort_values(ascending=False).index[:max_features])
    zz = z[cols]
    fig = go.Figure(go.Heatmap(
        z=zz.clip(-2, 2).to_numpy(), x=[_t(label(c)) for c in cols], y=[_t(names.get(int(s), str(s))) for s in zz.index],
        text=zz.round(1).to_numpy(), texttemplate="%{text}", colorscale="RdBu", reversescale=True, zmid=0, zmin=-2, zmax=2,
        colorbar=dict(title="z"), hovertemplate="%{y}<br>%{x}: z = %{text}<extra></extra>"))
    return _layout(fig, height=max(280, 46 * len(zz) + 120), title="How each segment differs from the whole book (z-score)")



def map_figure(coords: np.ndarray, labels: np.ndarray, names: dict[int, str], method: str,
               explained: float | None = None) -> go.Figure:
    """WebGL scatter of the map sample, one trace per segment."""
    fig = go.Figure()
    segs = sorted(np.unique(labels).tolist())
    colours = segment_colours(segs)
    for s in segs:
        m = labels == s
        label = _t(names.get(int(s), str(s)))
        fig.add_trace(go.Scattergl(x=coords[m, 0], y=coords[m, 1], mode="markers", name=label,
                                   marker=dict(size=3, color=colours[s], opacity=0.6), hoverinfo="name"))
    axis = "PC" if method == "pca" else "UMAP "
    title = f"Map of {len(labels):,} customers ({method.upper()}"
    title += f", {explained:.0%} of variance)" if explained is not None else ")"
    fig.update_xaxes(title=f"{axis}1", showticklabels=False)
    fig.update_yaxes(title=f"{axis}2", showticklabels=False)
    _layout(fig, height=600, title=title)
    # legend below the axis title, its markers drawn larger than the 3-px points
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.09, x=0, itemsizing="constant"),
                      margin=dict(l=10, r=10, t=40, b=100))
    return fig


def distribution_figure(values: pd.Series, labels: np.ndarray, names: dict[int, str], feature: str,
                        log: bool = False) -> go.Figure:
    """Box plot of one feature per segment (on a sample)."""
    fig = go.Figure()
    segs = sorted(np.unique(labels).tolist())
    colours = segment_colours(segs)
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    for s in segs:  # horizontal: long segment names stay readable
        fig.add_trace(go.Box(x=v[labels == s], name=_t(names.get(int(s), str(s))), marker_color=colours[s],
                             boxpoints=False, orientation="h"))
    fig.update_xaxes(title=_t(feature) + (" (log scale)" if log else ""), type="log" if log else "linear")
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, height=max(260, 60 * len(segs) + 100), showlegend=False, title=f"{_t(feature)} by segment")


def penetration_figure(pen: pd.DataFrame, names: dict[int, str]) -> go.Figure:
    """Share of each segment holding each product, with the book as the last row."""
    rows = [i for i in pen.index if i != "all"] + ["all"]
    p = pen.loc[rows]
    ylab = [_t(names.get(int(s), str(s))) if s != "all" else "Whole book" for s in rows]
    fig = go.Figure(go.Heatmap(z=p.to_numpy(), x=[pretty(c) for c in p.columns], y=ylab,
                               text=(p * 100).round(0).to_numpy(), texttemplate="%{text:.0f}%", colorscale="Greens",
                               zmin=0, zmax=1, colorbar=dict(title="held"),
                               hovertemplate="%{y}<br>%{x}: %{text:.0f}% hold it<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, height=max(260, 44 * len(rows) + 110), title="Product penetration per segment")


def pd_figure(mean_pd: pd.Series, names: dict[int, str]) -> go.Figure:
    segs = [s for s in mean_pd.index if s != "all"]
    colours = segment_colours([int(s) for s in segs])
    # horizontal bars: long segment names stay readable
    fig = go.Figure(go.Bar(y=[_t(names.get(int(s), str(s))) for s in segs], x=[mean_pd[s] for s in segs], orientation="h",
                           marker_color=[colours[int(s)] for s in segs],
                           text=[f"{mean_pd[s]:.1%}" for s in segs], textposition="outside", cliponaxis=False))
    fig.add_vline(x=float(mean_pd["all"]), line_dash="dash", annotation_text=f"book {mean_pd['all']:.1%}",
                  annotation_position="top")
    fig.update_xaxes(tickformat=".0%", title="mean predicted PD")
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, height=max(260, 50 * len(segs) + 120), title="Mean predicted PD per segment")
