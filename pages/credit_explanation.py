import streamlit as st

from dashboard.shell import page_setup

ds = page_setup("Credit explanation")
st.title("Credit explanation")
st.info("Trains a calibrated PD model, explains it with SHAP globally and per applicant, gives reason codes, what-if edits, counterfactuals and fairness checks. This page is being built; it will appear here when its work lands.", icon=":material/construction:")
