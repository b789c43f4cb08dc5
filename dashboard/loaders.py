"""Cached loaders: the default dataset and workspace datasets, shared read-only across sessions."""

from __future__ import annotations

import streamlit as st

from core.data import Dataset
from core.data.synthetic import generate_portfolio
from core.settings import get_settings
from core.workspace import Workspace, get_workspace


@st.cache_resource(show_spinner="Generating the synthetic portfolio...", max_entries=4)
def default_dataset(n: int | None = None, seed: int | None = None) -> Dataset:
    s = get_settings()
    return generate_portfolio(n or s.default_rows, seed if seed is not None else s.seed)


@st.cache_resource(show_spinner=False)
def workspace() -> Workspace:
    return get_workspace()


@st.cache_resource(show_spinner="Loading the dataset from the workspace...", max_entries=8)
def workspace_dataset(name: str, fingerprint: str) -> Dataset:
    """A workspace dataset; ``fingerprint`` is part of the key so a replaced table reloads."""
    from core.data.loaders import load_workspace_dataset

    return load_workspace_dataset(workspace(), name)
