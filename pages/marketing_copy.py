import streamlit as st

from dashboard import copy_ui
from dashboard.shell import guarded, page_setup

page_setup("Marketing copy")
st.title("Marketing copy")
st.caption("Copy for a segment, product and channel, written from the product catalogue only, checked by the "
           "bank's compliance rules, then reviewed, approved and exported with an audit trail.")

with guarded("The copy page could not start"):
    request, backend, go = copy_ui.request_form()
    copy_ui.rules_reference()
if go:
    copy_ui.run_generation(request, backend)

batch = copy_ui.current_batch()
if batch is None:
    st.info("Describe a segment (or send one from the segmentation page), pick a product and a channel, and press "
            "Generate.", icon=":material/campaign:")
    st.stop()

with guarded("The batch could not be shown"):
    copy_ui.batch_summary(batch)
    copy_ui.review(batch)
    copy_ui.exports(batch)
