import streamlit as st

from dashboard import segmentation_offers_ui as offers_ui
from dashboard import segmentation_ui as ui
from dashboard import state
from dashboard.cluster_ui import cluster_panel
from dashboard.shell import guarded, page_setup

ds = page_setup("Customer segmentation", ":material/groups:")
st.title("Customer segmentation")
st.caption("Groups customers on what they do and hold, shows the evidence for the number of segments, names each "
           "segment with words its profile bears out, and recommends each customer's next-best offer.")

features, method, k, seed = ui.controls(ds)
if not features:
    st.info("Pick at least one feature to segment on.", icon=":material/tune:")
    st.stop()
cluster_panel("segment", ds, key="seg", features=tuple(features), method=method, k=None if k == "auto" else int(k), seed=seed)

token = ui.model_token(ds)
loaded = st.session_state.get(ui.LOADED_RUN)
if loaded:
    ui.loaded_banner(loaded)
    with guarded("Reloading the saved run"):
        result = ui.cached_load(ds, ds.fingerprint, loaded, token)
        prepared = ui.cached_prepare(ds, ds.fingerprint, tuple(result.params.features), result.params.seed)
else:
    with guarded("Preparing the features"):
        prepared = ui.cached_prepare(ds, ds.fingerprint, features, seed)
    with guarded("Comparing numbers of segments"):
        sweep = ui.cached_sweep(prepared, ds, ds.fingerprint, features, method, seed)
    with guarded("Segmenting"):
        credit = ui.cached_credit(ds, ds.fingerprint, token)
        result = ui.cached_segment(ds, prepared, sweep, credit, ds.fingerprint, features, method,
                                   None if k == "auto" else int(k), seed, token)

result = ui.apply_saved_names(result)
state.put(state.SEGMENTATION_RESULT, result)
ui.headline(result, auto=not loaded and k == "auto")

# tabs run lazily: only the open tab's content is computed and sent to the browser
segs, profiles, map_, evidence, links, offers, export = st.tabs(
    ["Segments", "Profiles", "Map", "How many segments", "Products & risk", "Offers", "Export & runs"],
    key="seg_tab", on_change="rerun")
if segs.open:
    with segs, guarded("Showing the segments"):
        result = ui.segments_tab(result)
if profiles.open:
    with profiles, guarded("Profiling"):
        ui.profiles_tab(ds, result)
if map_.open:
    with map_, guarded("Drawing the map"):
        ui.map_tab(prepared, result, ds.fingerprint)
if evidence.open:
    with evidence, guarded("Showing the evidence"):
        ui.evidence_tab(result)
if links.open:
    with links, guarded("Linking products and risk"):
        ui.links_tab(result)
if offers.open:
    with offers, guarded("Computing the next-best offers"):
        offers_ui.offers_tab(ds, result)
if export.open:
    with export, guarded("Exporting"):
        ui.export_tab(ds, result, offers_ui.current_offers(ds, result))
