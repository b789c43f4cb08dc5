import streamlit as st

from core.formatting import plain
from dashboard import home_ui, importer
from dashboard.auth import current_user
from dashboard.shell import guarded, page_setup

ds = page_setup("Home", ":material/home:")
st.title("Retail AIGC Studio")
st.markdown(
    "Segment customers, explain credit decisions, stress the portfolio and write compliant marketing "
    "copy, on the embedded synthetic portfolio or on your own data."
)

user = current_user()
importer.collision_prompt(user)

with guarded("The data overview could not be drawn"):
    st.subheader(f"Data: {plain(ds.name)}")
    home_ui.overview(ds)

with st.expander("Column roles (override what was inferred)", icon=":material/tune:"):
    home_ui.schema_editor(ds)

with st.expander("Bring your own data", icon=":material/upload_file:"):
    importer.importer(user)

with st.expander("Manage datasets", icon=":material/folder_managed:"):
    importer.dataset_admin(user)

st.subheader("Runtime")
home_ui.runtime_status()
