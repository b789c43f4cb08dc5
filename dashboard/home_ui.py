"""Home-page widgets: data overview, schema editor, runtime status (the importer is dashboard.importer)."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from core.data import Dataset, Role
from core.data.loaders import build_dataset
from core.errors import StudioError
from core.runtime.device import device_info
from core.runtime.registry import get_registry
from dashboard import charts, loaders, state
from dashboard.shell import show_error

ROLE_OPTIONS = [r.value for r in Role]


def overview(ds: Dataset) -> None:
    summary = ds.column_summary()
    target = ds.schema.target
    cols = st.columns(5)
    cols[0].metric("Customers (rows)", f"{ds.n_rows:,}")
    cols[1].metric("Columns", f"{ds.frame.shape[1]}")
    cols[2].metric("Model features", f"{len(ds.features())}")
    cols[3].metric("Missing cells", f"{ds.frame.isna().to_numpy().mean():.2%}")
    if target:
        cols[4].metric(f"Target rate ({target} = {ds.schema.positive_label})", f"{ds.target_vector().mean():.2%}")
    else:
        cols[4].metric("Target", "none")
    st.caption(f"Source: `{ds.source}` · fingerprint `{ds.fingerprint}`"
               + (f" · PII columns kept away from models and prompts: {', '.join(ds.schema.pii)}" if ds.schema.pii else ""))

    left, right = st.columns(2)
    left.plotly_chart(charts.roles_bar(summary), width="stretch", key="home_roles_chart")
    right.plotly_chart(charts.missing_bar(summary), width="stretch", key="home_missing_chart")

    numeric = ds.schema.numeric
    categorical = ds.schema.categorical
    left, right = st.columns(2)
    if numeric:
        col = left.selectbox("Distribution of", numeric, index=0, key="home_hist_col")
        skewed = bool(ds.frame[col].min() >= 0 and ds.frame[col].skew() > 3)
        left.plotly_chart(charts.histogram(ds.frame, col, target if target and target in ds.frame else None,
                                           log_x=False if not skewed else False),
                          width="stretch", key="home_hist")
    if categorical and target:
        col = right.selectbox("Target rate by", categorical, index=0, key="home_rate_col")
        right.plotly_chart(charts.rate_by_category(ds.frame, col, pd.Series(ds.target_vector())),
                           width="stretch", key="home_rate")


def schema_editor(ds: Dataset) -> None:
    """Let the analyst override inferred roles; validated before it takes effect."""
    summary = ds.column_summary()
    edited = st.data_editor(
        summary, key=f"home_schema_{ds.fingerprint}", hide_index=True, width="stretch", height=360,
        disabled=["column", "dtype", "missing_pct", "distinct"],
        column_config={"role": st.column_config.SelectboxColumn("role", options=ROLE_OPTIONS, required=True),
                       "missing_pct": st.column_config.NumberColumn("missing %", format="%.2f")},
    )
    if st.button("Apply roles", key="home_apply_roles", icon=":material/check:"):
        roles = dict(zip(edited["column"], edited["role"], strict=True))
        targets = [c for c, r in roles.items() if r == Role.TARGET.value]
        ids = [c for c, r in roles.items() if r == Role.ID.value]
        if len(targets) > 1 or len(ids) > 1:
            st.error("Choose at most one target and one id column.")
            return
        try:
            schema = replace(ds.schema, roles={c: Role(r) for c, r in roles.items()})
            if targets and targets[0] != ds.schema.target:
                from core.data.schema import guess_positive_label

                schema = replace(schema, positive_label=guess_positive_label(ds.frame[targets[0]]))
            new, notes = build_dataset(ds.name, ds.frame, ds.source, schema=schema)
        except StudioError as exc:
            show_error(exc, "The roles were not applied")
            return
        state.put(state.DATASET, new)
        for note in notes:
            st.info(note)
        st.success("Roles applied for this session.")
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
