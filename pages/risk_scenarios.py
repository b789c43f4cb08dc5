import streamlit as st

from dashboard import scenarios_ui as ui
from dashboard.cluster_ui import cluster_panel
from dashboard.shell import guarded, page_setup

ds = page_setup("Risk scenarios", ":material/thunderstorm:")
st.title("Risk scenarios")
st.caption("Stress the portfolio: a conditional VAE redraws customers under shocked macro drivers, the credit model "
           "scores them, and a one-factor Monte Carlo gives default-rate and loss distributions against baseline.")

with guarded("Loading the credit model"):
    model = ui.credit_model(ds)
if model is None:
    ui.no_credit_model(ds)
    st.stop()
cluster_panel("scenario", ds, model=model, key="scenario")

with guarded("Loading the scenario generator"):
    vae = ui.current_vae(ds)
vae = ui.generator_panel(ds, vae)
if vae is None:
    st.info("No scenario generator for this dataset yet: press **Train generator** above (a short run with early "
            "stopping; the progress bar shows the loss).", icon=":material/neurology:")
    st.stop()

with guarded("Preparing the scenario engine"):
    engine = ui.cached_engine(ds, vae, model, ds.fingerprint, vae.fingerprint, model.fingerprint)
scenario, params = ui.scenario_controls(engine)
with guarded("Running the scenario"):
    result = ui.run(engine, scenario, params)
ui.headline(result)

results, drivers, compare, fidelity, warning, runs = st.tabs(
    ["Results", "Drivers", "Compare & IFRS 9", "Fidelity", "Early warning", "Runs & report"])
with results, guarded("Drawing the results"):
    ui.results_tab(result)
with drivers, guarded("Explaining the change"):
    ui.drivers_tab(result)
with compare, guarded("Comparing scenarios"):
    ui.compare_tab(engine, result, params)
with fidelity, guarded("Measuring fidelity"):
    ui.fidelity_tab(vae, ds)
with warning, guarded("Scoring for early warning"):
    ui.early_warning_tab(vae, ds)
with runs, guarded("Saving or reopening runs"):
    ui.runs_tab(engine, ds, result)
