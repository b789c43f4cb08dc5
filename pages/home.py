import streamlit as st

from dashboard import home_ui
from dashboard.shell import guarded, page_setup

ds = page_setup("Home", ":material/home:")
st.title("Retail AIGC Studio")
st.markdown(
    "Segment customers, explain credit decisions, stress the portfolio and write compliant marketing "
    "copy, on the embedded synthetic portfolio or on your own data."
)

with guarded("The data overview could not be drawn"):
    st.subheader(f"Data: {ds.name}")
    home_ui.overview(ds)

with st.expander("Column roles (override what was inferred)", icon=":material/tune:"):
    home_ui.schema_editor(ds)

with st.expander("Bring your own data", icon=":material/upload_file:"):
    home_ui.importer()

st.subheader("Runtime")
home_ui.runtime_status()
