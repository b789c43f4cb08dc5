"""Retail AIGC Studio: the entrypoint routes between Home and the four analyst pages."""

from pathlib import Path

import streamlit as st

HERE = Path(__file__).parent
PAGES = HERE / "pages"

navigation = st.navigation(
    {
        "Studio": [st.Page(PAGES / "home.py", title="Home", icon=":material/home:", default=True)],
        "Analyses": [
            st.Page(PAGES / "segmentation.py", title="Customer segmentation", icon=":material/groups:", url_path="segmentation"),
            st.Page(PAGES / "credit_explanation.py", title="Credit explanation", icon=":material/fact_check:", url_path="credit"),
            st.Page(PAGES / "risk_scenarios.py", title="Risk scenarios", icon=":material/query_stats:", url_path="scenarios"),
            st.Page(PAGES / "marketing_copy.py", title="Marketing copy", icon=":material/campaign:", url_path="copy"),
        ],
    }
)
navigation.run()
