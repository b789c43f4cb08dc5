import streamlit as st

from dashboard import credit_ui as ui
from dashboard.cluster_ui import cluster_panel
from dashboard.shell import guarded, page_setup

ds = page_setup("Credit explanation", ":material/fact_check:")
st.title("Credit explanation")
st.caption("A calibrated PD model with exact SHAP explanations: how good it is, what drives it, why an applicant "
           "scored as they did, what would change it, and whether groups are treated fairly.")

if ds.schema.target is None:
    st.info("This dataset has no target column, so there is nothing to predict. Mark the default flag as the target "
            "on Home (Column roles).", icon=":material/info:")
    st.stop()

with guarded("Loading the credit model"):
    model = ui.current_model(ds)
model = ui.model_panel(ds, model)
if model is None:
    st.info("No credit model for this dataset yet: set the options above and press **Train model**.", icon=":material/model_training:")
    st.stop()
ui.model_banner(model)

with guarded("Scoring the applicants"):
    scores = ui.cached_scores(model, ds, model.fingerprint, ds.fingerprint)
cutoff, cost_bad, cost_good = ui.decision_controls(scores)
cluster_panel("score", ds, model=model, key="credit", cutoff=cutoff)

# tabs run lazily: only the open tab's content is computed and sent to the browser
perf, glob, applicant, fair, export = st.tabs(["Performance", "Global explanation", "Applicant", "Fairness", "Export"],
                                              key="credit_tab", on_change="rerun")
if perf.open:
    with perf, guarded("Drawing the performance view"):
        ui.performance_tab(model, scores, cutoff, cost_bad, cost_good)
if glob.open:
    with glob, guarded("Explaining the model"):
        ui.global_tab(model, ds, scores)
if applicant.open:
    with applicant, guarded("Explaining the applicant"):
        ui.applicant_tab(model, ds, scores, cutoff)
if fair.open:
    with fair, guarded("Checking fairness"):
        ui.fairness_tab(model, ds, scores, cutoff)
if export.open:
    with export, guarded("Exporting"):
        ui.export_tab(model, ds, scores, cutoff, cost_bad, cost_good)
