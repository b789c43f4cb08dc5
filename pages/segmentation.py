import streamlit as st

from dashboard import segmentation_ui as ui
from dashboard.cluster_ui import cluster_panel
from dashboard.shell import guarded, page_setup

ds = page_setup("Customer segmentation", ":material/groups:")
st.title("Customer segmentation")
st.caption("Groups customers on behaviour and balances, shows the evidence for the number of segments, "
           "profiles and names each one, and exports who is in which segment.")

features, method, k, seed = ui.controls(ds)
if not features:
    st.info("Pick at least one feature to segment on.", icon=":material/tune:")
    st.stop()
cluster_panel("segment", ds, key="seg", features=tuple(features), method=method, k=None if k == "auto" else int(k), seed=seed)

loaded = st.session_state.get(ui.LOADED_RUN)
if loaded:
    ui.loaded_banner(loaded)
    with guarded("reloading the saved run"):
        result = ui.cached_load(ds, ds.fingerprint, loaded)
        prepared = ui.cached_prepare(ds, ds.fingerprint, tuple(result.params.features), result.params.seed)
else:
    with guarded("preparing the features"):
        prepared = ui.cached_prepare(ds, ds.fingerprint, features, seed)
    with guarded("comparing numbers of segments"):
        sweep = ui.cached_sweep(prepared, ds.fingerprint, features, method, seed)
    with guarded("segmenting"):
        token = ui.model_token()
        credit = ui.cached_credit(ds, ds.fingerprint, token)
        result = ui.cached_segment(ds, prepared, sweep, credit, ds.fingerprint, features, method,
                                   None if k == "auto" else int(k), seed, token)

result = ui.apply_saved_names(result)
ui.headline(result, auto=not loaded and k == "auto")
tabs = st.tabs(["Segments", "Profiles", "Map", "How many segments", "Products & risk", "Export & runs"])
with tabs[0]:
    result = ui.segments_tab(result)
with tabs[1]:
    ui.profiles_tab(ds, result, ui.map_sample(result, result.params.seed))
with tabs[2], guarded("drawing the map"):
    ui.map_tab(prepared, result, ds.fingerprint)
with tabs[3]:
    ui.evidence_tab(result)
with tabs[4]:
    ui.links_tab(result)
with tabs[5], guarded("exporting"):
    ui.export_tab(ds, result)
