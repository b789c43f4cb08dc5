import streamlit as st

from dashboard.shell import page_setup

ds = page_setup("Customer segmentation")
st.title("Customer segmentation")
st.info("Clusters customers on behaviour and balances, chooses the number of segments with evidence, profiles and names each segment, and exports who is in which segment. This page is being built; it will appear here when its work lands.", icon=":material/construction:")
