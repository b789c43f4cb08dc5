import streamlit as st

from dashboard.shell import page_setup

ds = page_setup("Risk scenarios")
st.title("Risk scenarios")
st.info("Generates portfolios under pinned stresses with a conditional VAE, scores them with the credit model and gives default-rate and loss distributions against baseline. This page is being built; it will appear here when its work lands.", icon=":material/construction:")
