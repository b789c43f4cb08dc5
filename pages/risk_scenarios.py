import streamlit as st

from dashboard import scenarios_tabs as tabs
from dashboard import scenarios_ui as ui
from dashboard import scenarios_views as views
from dashboard.cluster_ui import cluster_panel
from dashboard.shell import guarded, page_setup

ds = page_setup("Risk scenarios", ":material/thunderstorm:")
st.title("Risk scenarios")
st.caption("Stress the book: the economy moves the drivers, a generator trained on the book's history moves the columns "
           "that respond, the credit model and a satellite model estimated over the cycle score PD, and a one-factor "
           "Monte Carlo gives default-rate and loss distributions against the book as it stands.")

with guarded("Loading the credit model"):
    model = ui.credit_model(ds)
if model is None:
    ui.no_credit_model(ds)
    st.stop()
cluster_panel("scenario", ds, model=model, key="scenario")

with guarded("Loading the scenario generator"):
    gen = ui.current_generator(ds)
gen = ui.generator_panel(ds, gen)
if gen is None:
    st.info("No scenario generator for this dataset yet: press **Train generator** above (it runs in the background with "
            "a stop button; the progress bar shows the loss and the time left).", icon=":material/neurology:")
    st.stop()

with guarded("Preparing the scenario engine"):
    engine = ui.cached_engine(ds, gen, model, ds.fingerprint, gen.fingerprint, model.fingerprint)
scenario, params = ui.scenario_controls(engine)
with guarded("Running the scenario"):
    result = ui.run(engine, scenario, params)
ui.headline(result)

# tabs run lazily: only the open tab's content is computed and sent to the browser
results, drivers, compare, fidelity, warning, runs = st.tabs(
    ["Results", "Drivers", "Compare & IFRS 9", "Fidelity", "Early warning", "Runs & report"], key="scen_tab",
    on_change="rerun")
if results.open:
    with results, guarded("Drawing the results"):
        tabs.results_tab(result)
if drivers.open:
    with drivers, guarded("Explaining the change"):
        tabs.drivers_tab(engine, result)
if compare.open:
    with compare, guarded("Comparing scenarios"):
        tabs.compare_tab(engine, result, params)
if fidelity.open:
    with fidelity, guarded("Measuring fidelity"):
        views.fidelity_tab(ds, gen)
if warning.open:
    with warning, guarded("Ranking customers for early warning"):
        views.early_warning_tab(ds, model, gen)
if runs.open:
    with runs, guarded("Saving or reopening runs"):
        views.runs_tab(engine, ds, result)
