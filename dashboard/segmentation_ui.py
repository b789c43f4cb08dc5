"""The segmentation page's building blocks: cached core calls, widgets and the result sections.

Caching follows the core's steps, each on its own key, so a change of k re-runs only the last one:

=================  =============================================  ===========================
step               key                                            typical time (50k rows)
=================  =============================================  ===========================
prepare            dataset fingerprint, features, seed            < 0.1 s
sweep (k 2–12)     + method                                       3–8 s, once
segment            + k, credit model                              0.3–0.6 s
map                dataset fingerprint, features, seed, map kind  PCA < 0.1 s, UMAP ~20 s
=================  =============================================  ===========================

The cached objects are shared by every session and never mutated (names are applied on a copy).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from core.data import Dataset
from core.segmentation import service
from core.segmentation.cluster import METHOD_LABELS, METHODS
from core.segmentation.links import CreditLink, credit_link
from core.segmentation.profile import is_share
from core.segmentation.report import render_report
from core.segmentation.sweep import STABLE_ARI
from dashboard import segmentation_charts as charts
from dashboard import state
from dashboard.segmentation_charts import pretty

K_CHOICES = ["auto", *range(2, 13)]
SWEEP_LABELS = {"k": "Segments (k)", "silhouette": "Silhouette", "calinski_harabasz": "Calinski-Harabasz",
                "davies_bouldin": "Davies-Bouldin", "inertia": "Inertia", "bic": "BIC", "stability_ari": "Stability (ARI)",
                "stability_sd": "Stability s.d."}

LOADED_RUN = "seg_loaded_run_id"
NAMES_PREFIX = "seg_names::"


# ---- cached core calls ---------------------------------------------------------------------------
@st.cache_resource(show_spinner="Preparing the features...", max_entries=6)
def cached_prepare(_ds: Dataset, fingerprint: str, features: tuple[str, ...], seed: int) -> service.Prepared:
    return service.prepare(_ds, list(features), seed)


@st.cache_resource(show_spinner="Comparing 2 to 12 segments (fit, scores, bootstrap stability)...", max_entries=8)
def cached_sweep(_prepared: service.Prepared, fingerprint: str, features: tuple[str, ...], method: str, seed: int):
    return service.run_sweep(_prepared, method, seed)


@st.cache_resource(show_spinner=False, max_entries=4)
def cached_credit(_ds: Dataset, fingerprint: str, model_token: str | None) -> CreditLink:
    return credit_link(_ds)


@st.cache_resource(show_spinner="Segmenting and profiling...", max_entries=24)
def cached_segment(_ds: Dataset, _prepared: service.Prepared, _sweep, _credit: CreditLink, fingerprint: str,
                   features: tuple[str, ...], method: str, k: int | None, seed: int, model_token: str | None):
    return service.segment(_ds, _prepared, method, k, seed, sweep=_sweep, credit=_credit)


@st.cache_resource(show_spinner="Drawing the map...", max_entries=6)
def cached_embed(_prepared: service.Prepared, fingerprint: str, features: tuple[str, ...], seed: int, kind: str):
    return service.embed(_prepared, kind, seed, max_points=20_000 if kind == "pca" else 10_000)


@st.cache_resource(show_spinner="Reloading the saved run...", max_entries=4)
def cached_load(_ds: Dataset, fingerprint: str, run_id: str):
    return service.load_run(run_id, _ds)


def model_token() -> str | None:
    tok = state.get(state.CREDIT_MODEL_FP)
    return str(tok) if tok else None


# ---- inputs --------------------------------------------------------------------------------------
def controls(ds: Dataset) -> tuple[tuple[str, ...], str, object, int]:
    """Features, method, k ('auto' or a number) and seed, from widgets with stable keys."""
    usable = service.usable_features(ds)
    defaults = [c for c in service.default_features(ds) if c in usable]
    if "seg_features" in st.session_state and any(c not in usable for c in st.session_state["seg_features"]):
        del st.session_state["seg_features"]  # a new dataset: start from its defaults
    c1, c2, c3, c4 = st.columns([5, 2, 3, 1])
    features = c1.multiselect("Features", usable, default=defaults, key="seg_features",
                              help="Behaviour and balance columns by default. Ids, personal data and the target are never offered.")
    method = c2.selectbox("Method", METHODS, format_func=lambda m: METHOD_LABELS[m], key="seg_method",
                          help="K-means is fast and gives convex segments; the Gaussian mixture allows elongated ones; "
                               "HDBSCAN finds dense groups and its own number of segments, leaving outliers unassigned.")
    k = c3.select_slider("Number of segments", K_CHOICES, value="auto", key="seg_k", disabled=method == "hdbscan",
                         help="'auto' takes the suggestion from the evidence below.")
    seed = int(c4.number_input("Seed", 0, 2**31 - 1, 42, key="seg_seed"))
    return tuple(features), method, k, seed


# ---- names ---------------------------------------------------------------------------------------
def _names_key(result: service.SegmentationResult) -> str:
    p = result.params
    return f"{NAMES_PREFIX}{result.dataset_fingerprint}:{p.method}:{p.k}:{p.seed}:{hash(p.features)}:{result.run_id}"


def apply_saved_names(result: service.SegmentationResult) -> service.SegmentationResult:
    names = st.session_state.get(_names_key(result))
    return result.with_names(names) if names else result


def names_editor(result: service.SegmentationResult) -> service.SegmentationResult:
    """The analyst renames segments in a table; the names stick to this exact segmentation."""
    table = result.names_table()
    edited = st.data_editor(
        table, key=f"seg_names_editor_{abs(hash(_names_key(result))) % 10**8}", hide_index=True, width="stretch",
        disabled=["segment", "customers", "share", "rfm_cell", "rule"],
        column_config={
            "segment": st.column_config.NumberColumn("#", width="small"),
            "name": st.column_config.TextColumn("Name (edit me)", max_chars=80, width="large"),
            "customers": st.column_config.NumberColumn("Customers", format="localized"),
            "share": st.column_config.ProgressColumn("Share", format="percent", min_value=0.0, max_value=1.0),
            "rfm_cell": st.column_config.TextColumn("RFM cell"),
            "rule": st.column_config.TextColumn("Rule that describes it", width="large"),
        })
    names = {int(s): str(n) for s, n in zip(edited["segment"], edited["name"], strict=True) if isinstance(n, str) and n.strip()}
    st.session_state[_names_key(result)] = names
    return result.with_names(names)


def by_name(frame: pd.DataFrame, names: dict[int, str]) -> pd.DataFrame:
    """Index segments by their names (and 'Whole book' for the 'all' row) for display."""
    out = frame.copy()
    out.index = [("Whole book" if i == "all" else names.get(int(i), str(i))) for i in frame.index]
    out.index.name = "segment"
    return out


# ---- sections ------------------------------------------------------------------------------------
def headline(result: service.SegmentationResult, auto: bool = False) -> None:
    m = result.metrics
    c = st.columns(5)
    auto = auto and result.params.method != "hdbscan"
    c[0].metric("Segments" + (" (auto)" if auto else ""), int((result.profile.sizes.index >= 0).sum()),
                help="'auto' took the number suggested by the evidence in 'How many segments'." if auto else None)
    c[1].metric("Customers", f"{int(result.profile.sizes['size'].sum()):,}")
    c[2].metric("Silhouette", f"{m['silhouette']:.2f}" if "silhouette" in m else "n/a",
                help="-1 to 1; above 0.25 the segments are reasonably separated.")
    stab = None
    if result.sweep is not None and result.params.method != "hdbscan":
        row = result.sweep.table.loc[result.sweep.table["k"] == result.k]
        stab = float(row["stability_ari"].iloc[0]) if not row.empty else None
    c[3].metric("Stability (ARI)", f"{stab:.2f}" if stab is not None else "n/a",
                help=f"Agreement of refits on bootstrap resamples; below {STABLE_ARI} the segments are not reproducible.")
    c[4].metric("Fit time", f"{result.seconds:.1f} s")
    if stab is not None and stab < STABLE_ARI:
        st.warning(f"At k = {result.k} the segments are not stable (bootstrap ARI {stab:.2f} < {STABLE_ARI}): refits on "
                   "resampled customers draw different borders. Prefer a k whose bar is green in the evidence tab.",
                   icon=":material/warning:")
    for n in result.notes:
        st.caption(f":material/info: {n}")


def segments_tab(result: service.SegmentationResult) -> service.SegmentationResult:
    st.markdown("**Segments** — rename them in the table; the names flow into charts, exports, the report and the copy page.")
    result = names_editor(result)
    state.put(state.SEGMENTATION_RESULT, result)
    st.plotly_chart(charts.sizes_figure(result.names_table()), key="seg_sizes_chart")
    for s in result.segments:
        with st.expander(f"{result.names.get(s, s)} · {int(result.profile.sizes.loc[s, 'size']):,} customers", expanded=False):
            st.write(result.description(s))
    copy_to_marketing(result)
    return result


def copy_to_marketing(result: service.SegmentationResult) -> None:
    st.markdown("**Write copy for a segment**")
    segs = [s for s in result.segments if s >= 0]
    c1, c2 = st.columns([3, 1])
    pick = c1.selectbox("Segment", segs, format_func=lambda s: result.names.get(s, str(s)), key="seg_copy_pick",
                        label_visibility="collapsed")
    if c2.button("Write copy for this segment", key="seg_to_copy", icon=":material/campaign:"):
        brief = result.brief(int(pick))
        state.put(state.SEGMENT_FOR_COPY, brief)
        try:
            st.switch_page("pages/marketing_copy.py")
        except st.errors.StreamlitAPIException:  # the page runs on its own, without the navigation
            st.success(f"'{brief.name}' is ready for the Marketing copy page: open it from the navigation.",
                       icon=":material/check:")


def profiles_tab(ds: Dataset, result: service.SegmentationResult, sample_index: np.ndarray) -> None:
    prof = result.profile
    st.plotly_chart(charts.zscore_heatmap(prof.z.loc[[s for s in prof.z.index if s >= 0]], result.names),
                    key="seg_heatmap")
    st.caption("z-scores on the modelling scale (log for skewed amounts, robust-scaled): 0 is the book average, "
               "±1 a large difference.")
    st.markdown("**Means against the whole book**")
    table = result.profile_table().drop(columns=["name"])
    table = by_name(table, result.names)
    fmt = {c: ("{:.0%}" if is_share(c, table[c]) else _number_format(table[c])) for c in prof.means.columns}
    fmt.update({"share": "{:.1%}", "size": "{:,}", "mean_pd": "{:.1%}"})
    labels = {c: pretty(c) for c in table.columns} | {"size": "Customers", "share": "Share", "mean_pd": "Mean PD"}
    fmt = {labels[c]: f for c, f in fmt.items() if c in table.columns}
    st.dataframe(table.rename(columns=labels).style.format(fmt, na_rep=""), width="stretch", key="seg_profile_table")
    with st.expander("Medians and lift (segment mean ÷ book mean)"):
        st.caption("Medians")
        med = by_name(prof.medians, result.names).rename(columns=pretty)
        st.dataframe(med.style.format({c: _number_format(med[c]) for c in med.columns}, na_rep=""), width="stretch")
        st.caption("Lift: 1.00× is the book average")
        lift = by_name(prof.lift, result.names).rename(columns=pretty)
        st.dataframe(lift.style.format("{:.2f}×", na_rep=""), width="stretch")
    if prof.category_shares:
        with st.expander("Categories per segment"):
            for col, tab in prof.category_shares.items():
                st.markdown(f"**{pretty(col)}**")
                st.dataframe(by_name(tab, result.names).rename(columns=pretty).style.format("{:.0%}"), width="stretch")
    if len(prof.means.columns):
        feat = st.selectbox("Distribution of", list(prof.means.columns), format_func=pretty, key="seg_dist_feature")
        vals = ds.frame[feat].iloc[sample_index].reset_index(drop=True)
        skewed = any(c["column"] == feat and c["transform"] != "none" for c in result.preprocessing.get("numeric", []))
        log = skewed and (pd.to_numeric(vals, errors="coerce") > 0).mean() > 0.95
        st.plotly_chart(charts.distribution_figure(vals, result.labels[sample_index], result.names, feat, log=log),
                        key="seg_dist_chart")


def map_tab(prepared: service.Prepared, result: service.SegmentationResult, fingerprint: str) -> None:
    kind = st.radio("Projection", ["pca", "umap"], format_func=lambda x: {"pca": "PCA (fast)", "umap": "UMAP (slower, 10k points)"}[x],
                    horizontal=True, key="seg_map")
    if kind == "umap":
        sig = (fingerprint, prepared.features, result.params.seed)
        if st.session_state.get("seg_umap_for") != sig:
            st.caption("UMAP keeps local neighbourhoods better than PCA but takes about a minute the first time "
                       "(it compiles itself); the map is then kept for this dataset and these features.")
            if not st.button("Compute the UMAP map", key="seg_umap_go", icon=":material/scatter_plot:"):
                return
            st.session_state["seg_umap_for"] = sig
    emb = cached_embed(prepared, fingerprint, prepared.features, result.params.seed, kind)
    st.plotly_chart(charts.map_figure(emb.coords, result.labels[emb.index], result.names, emb.method, emb.explained),
                    key="seg_map_chart")


def evidence_tab(result: service.SegmentationResult) -> None:
    sw = result.sweep
    if sw is None:
        st.info("No sweep for this run.")
        return
    st.markdown(f"**Suggested: k = {sw.suggested_k}.** {sw.reason}")
    for n in sw.notes:
        st.caption(n)
    st.plotly_chart(charts.sweep_figure(sw.table, result.k if result.params.method != "hdbscan" else None, sw.knee_k),
                    key="seg_sweep_chart")
    table = sw.table.dropna(axis=1, how="all")  # e.g. no BIC for k-means
    fmt = {"silhouette": "{:.3f}", "calinski_harabasz": "{:,.0f}", "davies_bouldin": "{:.2f}", "inertia": "{:,.0f}",
           "bic": "{:,.0f}", "stability_ari": "{:.2f}", "stability_sd": "{:.2f}"}
    labels = {c: SWEEP_LABELS.get(c, pretty(c)) for c in table.columns}
    st.dataframe(table.rename(columns=labels).style.format({labels[c]: f for c, f in fmt.items() if c in table.columns},
                                                           na_rep=""),
                 hide_index=True, width="stretch", key="seg_sweep_table")
    st.caption(f"Scores on a {sw.sample_rows:,}-row sample (silhouette on 3,000 rows); stability = mean adjusted Rand index "
               "between a reference fit and refits on bootstrap resamples.")


def links_tab(result: service.SegmentationResult) -> None:
    if result.mean_pd is not None:
        st.plotly_chart(charts.pd_figure(result.mean_pd, result.names), key="seg_pd_chart")
    else:
        st.info(result.credit_message, icon=":material/fact_check:")
    if result.penetration.empty:
        st.info("No product columns (has_* flags or a product type) in this dataset, so no penetration is shown.")
        return
    st.plotly_chart(charts.penetration_figure(result.penetration, result.names), key="seg_pen_chart")
    rows = []
    for s, nb in result.next_best.items():
        product, lift = nb.get("product"), nb.get("lift")
        label = pretty(product) if product else "—"
        if product and lift is not None and lift < 1:
            label += " (below book rate)"
        rows.append({"Segment": result.names.get(s, str(s)), "Next-best product": label,
                     "Lift vs book": lift, "Held in segment": nb.get("penetration")})
    if rows:
        st.markdown("**Next-best product**: the highest-lift product that most of the segment does not hold yet.")
        st.caption("Lift = how much more often the segment holds the product than the whole book (1.00× = book rate). "
                   "Below 1× the segment is a weaker prospect than the average customer.")
        st.dataframe(pd.DataFrame(rows).style.format({"Lift vs book": "{:.2f}×", "Held in segment": "{:.0%}"}, na_rep="—"),
                     hide_index=True, width="stretch")


def export_tab(ds: Dataset, result: service.SegmentationResult) -> None:
    stem = f"segments_{result.params.method}_k{result.k}_{result.dataset_fingerprint[:8]}"
    c1, c2, c3 = st.columns(3)
    c1.download_button("Customer → segment (CSV)", service.to_csv_bytes(result), f"{stem}.csv", "text/csv",
                       key="seg_csv", icon=":material/download:")
    c2.download_button("Customer → segment (Parquet)", service.to_parquet_bytes(result), f"{stem}.parquet",
                       "application/octet-stream", key="seg_parquet", icon=":material/download:")
    c3.download_button("Profile report (HTML)", render_report(result).encode("utf-8"), f"{stem}_report.html", "text/html",
                       key="seg_report", icon=":material/description:")
    st.divider()
    c1, c2 = st.columns([3, 1])
    default_name = f"{METHOD_LABELS.get(result.params.method, result.params.method)} k={result.k}"
    # keyed on the segmentation, so the suggested name follows a change of k or method
    run_name = c1.text_input("Run name", value=default_name,
                             key=f"seg_run_name_{result.params.method}_{result.k}_{result.params.seed}")
    if c2.button("Save run", key="seg_save", icon=":material/save:"):
        run_id = service.save_run(result, run_name)
        st.session_state["seg_last_saved"] = run_id
        st.success(f"Saved as run `{run_id}` with its parameters, seed, names and assignments.", icon=":material/check:")
    runs = service.list_runs(ds.fingerprint)
    if runs.empty:
        st.caption("No saved segmentation runs for this dataset yet.")
        return
    labels = {r.run_id: f"{r.name} · {r.created_at:%Y-%m-%d %H:%M} · {r.run_id}" for r in runs.itertuples()}
    c1, c2 = st.columns([3, 1])
    pick = c1.selectbox("Saved runs", list(labels), format_func=labels.get, key="seg_load_pick")
    if c2.button("Reload run", key="seg_load", icon=":material/history:"):
        st.session_state[LOADED_RUN] = pick
        st.rerun()


def _number_format(values: pd.Series) -> str:
    """Whole numbers for amounts and counts; one decimal for small measures (age, tenure in years)."""
    v = pd.to_numeric(values, errors="coerce").abs()
    return "{:,.0f}" if v.notna().any() and float(v.max()) >= 1000 else "{:,.1f}"


def loaded_banner(run_id: str) -> None:
    c1, c2 = st.columns([4, 1])
    c1.info(f"Showing saved run `{run_id}`. Change nothing above to keep it; go back to edit the segmentation.",
            icon=":material/history:")
    if c2.button("Back to live", key="seg_unload"):
        st.session_state.pop(LOADED_RUN, None)
        st.rerun()


def map_sample(result: service.SegmentationResult, seed: int, n: int = 20_000) -> np.ndarray:
    size = len(result.labels)
    return np.arange(size) if size <= n else np.sort(np.random.default_rng(seed).choice(size, n, replace=False))

