import streamlit as st

from dashboard.shell import page_setup

ds = page_setup("Marketing copy")
st.title("Marketing copy")
st.info("Writes copy per segment, product and channel with a language model, enforces banking-advertising rules and exports approved copy. This page is being built; it will appear here when its work lands.", icon=":material/construction:")
