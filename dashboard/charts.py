"""Plotly figure builders for Home: pure functions from data to figure."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

TEMPLATE = "plotly_white"
PALETTE = px.colors.qualitative.Safe


def roles_bar(summary: pd.DataFrame) -> go.Figure:
    counts = summary["role"].value_counts().rename_axis("role").reset_index(name="columns")
    fig = px.bar(counts, x="columns", y="role", orientation="h", color="role", color_discrete_sequence=PALETTE,
                 template=TEMPLATE, title="Columns by role")
    fig.update_layout(showlegend=False, height=280, margin=dict(l=10, r=10, t=40, b=10), yaxis_title=None)
    return fig


def missing_bar(summary: pd.DataFrame, top: int = 15) -> go.Figure:
    miss = summary[summary["missing_pct"] > 0].nlargest(top, "missing_pct")
    fig = px.bar(miss, x="missing_pct", y="column", orientation="h", template=TEMPLATE,
                 title="Missing values (% of rows)", labels={"missing_pct": "% missing", "column": ""})
    fig.update_layout(height=280, margin=dict(l=10, r=10, t=40, b=10), yaxis={"categoryorder": "total ascending"})
    if miss.empty:
        fig.add_annotation(text="No missing values in any column", showarrow=False, x=0.5, y=0.5, xref="paper",
                           yref="paper", font=dict(size=15))
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
    return fig


def histogram(frame: pd.DataFrame, column: str, target: str | None = None, log_x: bool = False,
              positive: object = None) -> go.Figure:
    """Share of rows per bin; coloured by the outcome when ``target`` is given, in words ("Default 12m: yes / no")."""
    from core.formatting import humanize

    data = frame[[column] + ([target] if target else [])].dropna()
    if len(data) > 100_000:
        data = data.sample(100_000, random_state=0)
    label = humanize(column)
    color = None
    if target:
        v = data[target]
        outcome = humanize(target)
        if pd.api.types.is_numeric_dtype(v) or pd.api.types.is_bool_dtype(v):
            event = v.astype(str) == str(positive) if positive is not None else v.astype(float) > 0
            names = event.map({True: f"{outcome}: yes", False: f"{outcome}: no"})
        else:
            names = outcome + ": " + v.astype(str)
        data = data.assign(**{"outcome": names.to_numpy()})
        color = "outcome"
    fig = px.histogram(data, x=column, color=color, nbins=60, template=TEMPLATE,
                       barmode="overlay", opacity=0.75, histnorm="percent", labels={column: label, "outcome": ""},
                       title=f"Distribution of {label.lower()}", color_discrete_sequence=PALETTE, log_x=log_x)
    # percent of rows (of each outcome when coloured by the target): readable, unlike a probability density
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=40, b=10),
                      yaxis_title="% of each outcome" if target else "% of rows")
    fig.update_yaxes(ticksuffix="%")
    return fig


def rate_by_category(frame: pd.DataFrame, column: str, event: pd.Series) -> go.Figure:
    df = pd.DataFrame({column: frame[column].astype(str), "event": event})
    g = df.groupby(column, observed=True)["event"].agg(["mean", "size"]).reset_index()
    g = g.nlargest(20, "size")
    fig = px.bar(g, x=column, y="mean", template=TEMPLATE, title=f"Target rate by {column}",
                 labels={"mean": "target rate"}, hover_data={"size": ":,"}, color_discrete_sequence=PALETTE)
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=40, b=10), yaxis_tickformat=".1%")
    return fig
