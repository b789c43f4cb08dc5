"""The shared sidebar: who is signed in, dataset picker, device badge, loaded models."""

from __future__ import annotations

import streamlit as st

from core.auth import LOCAL_USER, User
from core.data import Dataset
from core.formatting import plain
from core.runtime.device import device_info
from core.runtime.registry import get_registry
from core.settings import SETTINGS_WARNINGS, get_settings
from dashboard import auth, loaders, state

DEFAULT_LABEL = "Synthetic portfolio (embedded)"


def _choices() -> dict[str, tuple[str, str] | None]:
    choices: dict[str, tuple[str, str] | None] = {DEFAULT_LABEL: None}
    try:
        listing = loaders.workspace().list_datasets()
    except Exception:  # the picker must still offer the default if the workspace is unreadable
        listing = None
    if listing is not None:
        for row in listing.itertuples():
            choices[f"{row.name} ({row.n_rows:,} rows)"] = (row.name, row.fingerprint)
    return choices


def current_dataset() -> Dataset:
    """The dataset picked in the sidebar (the embedded default until the analyst picks another)."""
    choices = _choices()
    label = state.get(state.DATASET_CHOICE, DEFAULT_LABEL)
    if label not in choices:
        label = DEFAULT_LABEL
    pick = choices[label]
    ds = loaders.default_dataset() if pick is None else loaders.workspace_dataset(*pick)
    override = state.get(state.DATASET)
    # a schema edited on Home for this same data replaces the stored one for the session
    if isinstance(override, Dataset) and override.source == ds.source and override.n_rows == ds.n_rows:
        return override
    return ds


def render(user: User = LOCAL_USER) -> Dataset:
    with st.sidebar:
        auth.user_panel(user)
        choices = _choices()
        current = state.get(state.DATASET_CHOICE, DEFAULT_LABEL)
        if current not in choices:
            current = DEFAULT_LABEL
        # an import or a delete elsewhere changes the choice: the widget follows it
        if st.session_state.get("sidebar_dataset") != current:
            st.session_state["sidebar_dataset"] = current
        st.selectbox("Dataset", list(choices), key="sidebar_dataset",
                     on_change=lambda: state.put(state.DATASET_CHOICE, st.session_state["sidebar_dataset"]))
        ds = current_dataset()
        target = ds.schema.target
        st.caption(f"{ds.n_rows:,} rows · {len(ds.features())} features"
                   + (f" · target {plain(target)}" if target else " · no target"))
        st.divider()
        info = device_info()
        badge = {"cuda": ":green-badge[:material/memory: GPU]", "mps": ":green-badge[:material/memory: MPS]"}.get(
            info.name, ":gray-badge[:material/developer_board: CPU]")
        st.markdown(f"{badge} {info.label}")
        for w in [*SETTINGS_WARNINGS, *info.warnings]:
            st.warning(w, icon=":material/warning:")
        loaded = get_registry().loaded()
        if loaded:
            st.caption("Models in memory: " + ", ".join(f"{m.name} ({m.device})" for m in loaded))
        else:
            st.caption("No model loaded yet.")
        st.caption(f"Workspace: {plain(get_settings().workspace_dir)}")
    return ds
