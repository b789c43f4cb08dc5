"""AppTest fixtures: Streamlit caches survive between AppTests, so clear them for each test."""

from __future__ import annotations

import pytest
import streamlit as st


@pytest.fixture(autouse=True)
def clear_streamlit_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def default_dataset():
    """The dataset the app opens on: the embedded synthetic portfolio at the configured size and seed."""
    from core.data.synthetic import generate_portfolio
    from core.settings import get_settings

    s = get_settings()
    return generate_portfolio(s.default_rows, s.seed)
