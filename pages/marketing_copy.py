import streamlit as st

from dashboard import copy_campaign_ui, copy_review_ui, copy_ui
from dashboard.shell import guarded, page_setup

page_setup("Marketing copy")
st.title("Marketing copy")
st.caption("Copy for a segment, product and channel, planned from the product catalogue, checked claim by claim by "
           "the bank's compliance rules, then reviewed by a second person, exported and measured in campaigns.")

with guarded("The copy page could not start"):
    request, backend, go = copy_ui.request_form()
    copy_ui.rules_reference()
if go:
    copy_ui.run_generation(request, backend)

batch = copy_ui.current_batch()
view = st.segmented_control("View", ["Review", "Audit", "Campaign results", "Check copy"], default="Review",
                            key="copy_view") or "Review"
if view == "Check copy":
    with guarded("The check could not run"):
        copy_campaign_ui.check_copy()
    st.stop()
if view == "Campaign results":
    with guarded("The campaign results could not be shown"):
        copy_campaign_ui.campaign_results(batch)
    st.stop()
if batch is None:
    st.info("Describe a segment (or send one from the segmentation page), pick a product and a channel, and press "
            "Generate.", icon=":material/campaign:")
    st.stop()
with guarded("The batch could not be shown"):
    copy_ui.batch_summary(batch)
    if view == "Audit":
        copy_review_ui.audit_view(batch)
    else:
        copy_review_ui.review(batch)
        copy_review_ui.exports(batch)
