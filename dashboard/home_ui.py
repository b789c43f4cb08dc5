"""Home-page widgets: data overview, schema editor, runtime status (the importer is dashboard.importer)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.data import Dataset, Role
from core.data.edits import edit_schema, save_edit
from core.errors import StudioError
from core.formatting import count, pct, plain
from core.runtime.device import device_info
from core.runtime.registry import get_registry
from dashboard import charts, loaders, schema_ui, state
from dashboard.shell import show_error


def overview(ds: Dataset) -> None:
    summary = ds.column_summary()
    target = ds.schema.target
    cols = st.columns(5)
    cols[0].metric("Customers (rows)", count(ds.n_rows))
    cols[1].metric("Columns", count(ds.frame.shape[1]))
    cols[2].metric("Model features", count(len(ds.features())))
    cols[3].metric("Missing cells", pct(ds.frame.isna().to_numpy().mean(), 2))
    if target:
        cols[4].metric("Target rate", pct(ds.target_vector().mean(), 2),
                       help=f"Share of rows where {plain(target)} = {plain(ds.schema.positive_label)}")
    else:
        cols[4].metric("Target", "none")
    facts = [f"Source: {plain(ds.source)}", f"fingerprint {ds.fingerprint}"]
    if ds.schema.id_column:
        facts.append(f"id: {plain(ds.schema.id_column)}")
    if ds.schema.pii:
        facts.append("PII kept away from models and prompts: " + ", ".join(plain(c) for c in ds.schema.pii))
    if ds.schema.protected_columns():
        facts.append("protected or proxy (fairness testing only): "
                     + ", ".join(plain(c) for c in ds.schema.protected_columns()))
    st.caption(" · ".join(facts))

    notes, report = schema_ui.notes_and_report(ds)
    session_notes = state.get(schema_ui.EDIT_NOTES) or []
    schema_ui.show_notes(notes + [n for n in session_notes if n not in notes])
    if report is not None and report.decisions:
        with st.expander(f"How each column was read ({count(len(report.decisions))} decisions with their evidence)",
                         icon=":material/fact_check:"):
            st.dataframe(schema_ui.decisions_table(report), hide_index=True, width="stretch", height=320,
                         key="home_decisions")

    left, right = st.columns(2)
    left.plotly_chart(charts.roles_bar(summary), width="stretch", key="home_roles_chart")
    right.plotly_chart(charts.missing_bar(summary), width="stretch", key="home_missing_chart")

    numeric = ds.schema.numeric
    categorical = ds.schema.categorical
    left, right = st.columns(2)
    if numeric:
        col = left.selectbox("Distribution of", numeric, index=0, key="home_hist_col")
        left.plotly_chart(charts.histogram(ds.frame, col, target if target and target in ds.frame else None,
                                           positive=ds.schema.positive_label),
                          width="stretch", key="home_hist")
    if categorical and target:
        col = right.selectbox("Target rate by", categorical, index=0, key="home_rate_col")
        right.plotly_chart(charts.rate_by_category(ds.frame, col, pd.Series(ds.target_vector())),
                           width="stretch", key="home_rate")


def schema_editor(ds: Dataset) -> None:
    """Let the analyst override roles, tags and the positive label; converted and validated before it takes effect.

    A workspace dataset is stored again with the edit (so every page, session and the CLI see it);
    the embedded default keeps the edit for this session.
    """
    _, report = schema_ui.notes_and_report(ds)
    st.caption("Change a role or the tags of any column. A text column set to numeric is read as numbers "
               "(percent, currency, units); protected and proxy tags keep a column out of credit decisions.")
    edited = schema_ui.edit_table(ds, report)
    label = None
    target = ds.schema.target
    if target:
        values = [str(v) for v in pd.unique(ds.frame[target].dropna())][:50]
        current = str(ds.schema.positive_label)
        label = st.selectbox(f"Value of '{plain(target)}' that means the event (default, bad, churn)", values,
                             index=values.index(current) if current in values else 0, key="home_positive_label")
    if not st.button("Apply changes", key="home_apply_roles", icon=":material/check:"):
        return
    roles, tags = schema_ui.read_edits(ds, edited)
    new_target = next((c for c, r in {**{c: r.value for c, r in ds.schema.roles.items()}, **roles}.items()
                       if r == Role.TARGET.value), None)
    requested = label if label is not None and new_target == target and label != str(ds.schema.positive_label) else None
    if not roles and not tags and requested is None:
        st.info("Nothing changed.")
        return
    try:
        prepared = edit_schema(ds, roles=roles, tags=tags, positive_label=requested)
        if schema_ui.in_workspace(ds):
            save_edit(loaders.workspace(), ds, prepared, schema_ui.current_user())
            state.pop(state.DATASET)  # the sidebar loads the stored version (same name, new fingerprint)
            where = "saved in the workspace"
        else:
            state.put(state.DATASET, prepared.dataset)
            where = "applied for this session (the embedded default is not stored)"
    except StudioError as exc:
        show_error(exc, "The changes were not applied")
        return
    state.put(schema_ui.EDIT_NOTES, list(prepared.notes))
    st.success(f"Changes {where}.")
    st.rerun()


def runtime_status() -> None:
    info = device_info()
    cols = st.columns(3)
    cols[0].metric("Device", info.name.upper(), help=info.label)
    if info.memory_total_gb:
        cols[1].metric("Memory in use", f"{info.memory_used_gb:.1f} / {info.memory_total_gb:.0f} GiB")
    loaded = get_registry().loaded()
    cols[2].metric("Models in memory", len(loaded))
    if loaded:
        st.dataframe(pd.DataFrame([m.__dict__ for m in loaded]), hide_index=True, width="stretch")
    runs = loaders.workspace().runs()
    if runs.empty:
        st.caption("No runs in the workspace yet.")
    else:
        st.dataframe(runs.head(20), hide_index=True, width="stretch")
