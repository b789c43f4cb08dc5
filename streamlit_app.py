"""Retail AIGC Studio: the entrypoint routes between Home and the four analyst pages (sign-in: dashboard.auth)."""

from pathlib import Path

import streamlit as st

from dashboard.auth import sign_in_enabled

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
    },
    # before sign-in the pages are not even listed; each page shows the sign-in prompt (dashboard.auth)
    position="hidden" if sign_in_enabled() and not st.user.is_logged_in else "sidebar",
)
navigation.run()
