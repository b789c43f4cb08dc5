import streamlit as st

from dashboard import credit_applicant_ui as applicant_ui
from dashboard import credit_fair_export_ui as fair_export_ui
from dashboard import credit_global_ui as global_ui
from dashboard import credit_model_ui as model_ui
from dashboard import credit_perf_ui as perf_ui
from dashboard import credit_ui as ui
from dashboard.cluster_ui import cluster_panel
from dashboard.shell import guarded, page_setup

ds = page_setup("Credit explanation", ":material/fact_check:")
st.title("Credit explanation")
st.caption("A calibrated PD model with exact SHAP explanations: how good it is, what drives it, why an applicant "
           "scored as they did, what would change it, and whether groups are treated fairly.")

with guarded("Loading the credit model"):
    model = ui.current_model(ds)
model_ui.corrupt_notice(ds)
if ds.schema.target is None and model is None:
    st.info("This dataset has no target column, so no model can be trained on it. Mark the default flag as the target "
            "on Home (Column roles), or load a stored model with the same columns to score it.", icon=":material/info:")
model_ui.model_panel(ds, model)
with guarded("Loading the credit model"):
    model = ui.current_model(ds)
if model is None:
    if ds.schema.target is not None:
        st.info("No credit model for this dataset yet: set the options above and press **Train model**.",
                icon=":material/model_training:")
    st.stop()
if not model.can_score(ds.frame):
    st.error("The current model needs columns this dataset lacks: "
             + ui.features(model.encoder.missing_columns(ds.frame)[:8]) + ".", icon=":material/error:")
    st.stop()
model_ui.model_banner(model, ds)

with guarded("Scoring the applicants"):
    scores = ui.cached_scores(model, ds, model.fingerprint, ds.fingerprint)
cutoff, cost_bad, cost_good = perf_ui.decision_controls(model, scores)
cluster_panel("score", ds, model=model, key="credit", cutoff=cutoff)

# tabs run lazily: only the open tab's content is computed and sent to the browser
perf, glob, applicant, fair, export = st.tabs(["Performance", "Global explanation", "Applicant", "Fairness", "Export"],
                                              key="credit_tab", on_change="rerun")
if perf.open:
    with perf, guarded("Drawing the performance view"):
        perf_ui.performance_tab(model, ds, scores, cutoff, cost_bad, cost_good)
if glob.open:
    with glob, guarded("Explaining the model"):
        global_ui.global_tab(model, ds, scores, cutoff)
if applicant.open:
    with applicant, guarded("Explaining the applicant"):
        applicant_ui.applicant_tab(model, ds, scores, cutoff)
if fair.open:
    with fair, guarded("Checking fairness"):
        fair_export_ui.fairness_tab(model, ds, scores, cutoff)
if export.open:
    with export, guarded("Exporting"):
        fair_export_ui.export_tab(model, ds, scores, cutoff, cost_bad, cost_good)
