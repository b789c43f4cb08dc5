"""The segmentation page's building blocks: cached core calls, widgets and the result sections.

Caching follows the core's steps, each on its own key, so a change of k re-runs only the last one:

=================  ==============================================  ===========================
step               key                                             typical time (50k rows)
=================  ==============================================  ===========================
prepare            dataset fingerprint, features, seed             < 0.5 s
sweep (k 2-12)     + method (names every k too)                    5-15 s, once
segment            + k, the current credit model                   0.5-2 s
map                + map kind (UMAP also stored on disk)           PCA < 0.1 s, UMAP ~60 s once
offers             + response product (on request)                 20-60 s, once
=================  ==============================================  ===========================

The cached objects are shared by every session and never mutated (names are applied on a copy).
Every string from the data or the analyst goes to the screen through :func:`core.formatting.plain`
or a dataframe, never as markdown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from core import formatting as F
from core import resolver
from core.data import Dataset
from core.formatting import plain
from core.segmentation import embed as embed_mod
from core.segmentation import features as features_mod
from core.segmentation import runs, service
from core.segmentation.choose_k import STABLE_ARI
from core.segmentation.cluster import METHOD_LABELS, METHODS
from core.segmentation.labels import column_label, is_share
from core.segmentation.links import CreditView, credit_view
from core.segmentation.result import SegmentationResult
from dashboard import segmentation_charts as charts
from dashboard import state

K_CHOICES = ["auto", *range(2, 13)]
SWEEP_LABELS = {"k": "Segments (k)", "silhouette": "Silhouette ↑", "calinski_harabasz": "Calinski-Harabasz ↑",
                "davies_bouldin": "Davies-Bouldin ↓", "inertia": "Inertia", "bic": "BIC ↓", "stability_ari": "Stability (ARI) ↑",
                "stability_sd": "Stability s.d."}
VOTE_LABELS = {"silhouette": "Silhouette", "calinski_harabasz": "Calinski-Harabasz", "davies_bouldin": "Davies-Bouldin",
               "stability": "Bootstrap stability", "elbow": "Inertia elbow", "bic": "BIC"}
LOADED_RUN = "seg_loaded_run_id"
NAMES_PREFIX = "seg_names::"


# ---- cached core calls ---------------------------------------------------------------------------
@st.cache_resource(show_spinner="Preparing the features...", max_entries=6)
def cached_prepare(_ds: Dataset, fingerprint: str, features: tuple[str, ...], seed: int) -> service.Prepared:
    return service.prepare(_ds, list(features), seed)


@st.cache_resource(show_spinner="Comparing 2 to 12 segments (fit, scores, bootstrap stability, names)...", max_entries=8)
def cached_sweep(_prepared: service.Prepared, _ds: Dataset, fingerprint: str, features: tuple[str, ...], method: str,
                 seed: int):
    return service.run_sweep(_prepared, method, seed, dataset=_ds)


@st.cache_resource(show_spinner="Scoring with the current credit model...", max_entries=4)
def cached_credit(_ds: Dataset, fingerprint: str, model_fp: str | None) -> CreditView:
    return credit_view(_ds)


@st.cache_resource(show_spinner="Segmenting and profiling...", max_entries=24)
def cached_segment(_ds: Dataset, _prepared: service.Prepared, _sweep, _credit: CreditView, fingerprint: str,
                   features: tuple[str, ...], method: str, k: int | None, seed: int, model_fp: str | None):
    return service.segment(_ds, _prepared, method, k, seed, sweep=_sweep, credit=_credit)


@st.cache_resource(show_spinner="Drawing the map...", max_entries=6)
def cached_embed(_prepared: service.Prepared, fingerprint: str, features: tuple[str, ...], seed: int, kind: str):
    return embed_mod.embed(_prepared, kind, seed)


@st.cache_resource(show_spinner="Reloading the saved run...", max_entries=4)
def cached_load(_ds: Dataset, fingerprint: str, run_id: str, model_fp: str | None):
    return runs.load_run(run_id, _ds)


def model_token(ds: Dataset) -> str | None:
    """The current credit model of the dataset, as the resolver says (the same in a fresh session)."""
    try:
        return resolver.current(resolver.CREDIT, ds)
    except Exception:  # the run log unreadable: segment without PD rather than fail
        return None


# ---- inputs --------------------------------------------------------------------------------------
def controls(ds: Dataset) -> tuple[tuple[str, ...], str, object, int]:
    """Features, method, k ('auto' or a number) and seed, from widgets with stable keys."""
    usable = service.usable_features(ds)
    defaults = [c for c in service.default_features(ds) if c in usable]
    if "seg_features" in st.session_state and any(c not in usable for c in st.session_state["seg_features"]):
        del st.session_state["seg_features"]  # a new dataset: start from its defaults
    c1, c2, c3, c4 = st.columns([5, 2, 3, 1])
    features = c1.multiselect("Features", usable, default=defaults, key="seg_features", format_func=column_label,
                              help="Behaviour, balances, income, relationship and products by default (from the "
                                   "column tags on Home). Ids, personal data and the target are never offered.")
    method = c2.selectbox("Method", METHODS, format_func=lambda m: METHOD_LABELS[m], key="seg_method",
                          help="K-means is fast and gives convex segments; the Gaussian mixture allows elongated ones; "
                               "HDBSCAN finds dense groups and its own number of segments, leaving outliers unassigned.")
    k = c3.select_slider("Number of segments", K_CHOICES, value="auto", key="seg_k", disabled=method == "hdbscan",
                         help="'auto' takes the consensus of the evidence in 'How many segments'.")
    seed = int(c4.number_input("Seed", 0, 2**31 - 1, 42, key="seg_seed"))
    left = features_mod.left_out(ds, list(features))
    if left:
        with st.expander("Columns not used by default, and why"):
            st.dataframe(pd.DataFrame({"column": [column_label(c) for c in left], "why": list(left.values())}),
                         hide_index=True, width="stretch")
    return tuple(features), method, k, seed


# ---- names ---------------------------------------------------------------------------------------
def _names_key(result: SegmentationResult) -> str:
    p = result.params
    return f"{NAMES_PREFIX}{result.dataset_fingerprint}:{p.method}:{p.k}:{p.seed}:{hash(p.features)}:{result.run_id}"


def apply_saved_names(result: SegmentationResult) -> SegmentationResult:
    names = st.session_state.get(_names_key(result))
    return result.with_names(names) if names else result


def names_editor(result: SegmentationResult) -> SegmentationResult:
    """The analyst renames segments in a table; every name is checked against the profile."""
    table = result.names_table()
    flagged = bool(table["check"].str.len().sum())
    cols = ["segment", "name", "customers", "share", *(["check"] if flagged else [])]
    edited = st.data_editor(
        table[cols], key=f"seg_names_editor_{abs(hash(_names_key(result))) % 10**8}", hide_index=True, width="stretch",
        disabled=["segment", "customers", "share", "check"],
        column_config={
            "segment": st.column_config.NumberColumn("#", width="small"),
            "name": st.column_config.TextColumn("Name (edit me)", max_chars=80, width="large"),
            "customers": st.column_config.NumberColumn("Customers", format="localized", width="small"),
            "share": st.column_config.ProgressColumn("Share", format="percent", min_value=0.0, max_value=1.0, width="small"),
            "check": st.column_config.TextColumn("Name check", width="large",
                                                 help="What the name claims that the profile contradicts."),
        })
    names = {int(s): str(n) for s, n in zip(edited["segment"], edited["name"], strict=True) if isinstance(n, str) and n.strip()}
    st.session_state[_names_key(result)] = names
    return result.with_names(names)


def rules_table(result: SegmentationResult) -> None:
    """Each segment's rule in full (a static table wraps long text instead of cutting it)."""
    t = result.names_table()
    shown = pd.DataFrame({"Segment": t["name"], "RFM cell": t["rfm_cell"], "Rule that describes it": t["rule"],
                          "Precision": [F.pct(result.profile.rules[s].precision, 0) if s in result.profile.rules else "–"
                                        for s in t["segment"]]})
    if not shown["RFM cell"].str.len().sum():
        shown = shown.drop(columns=["RFM cell"])
    st.table(shown.set_index("Segment"))


def by_name(frame: pd.DataFrame, names: dict[int, str]) -> pd.DataFrame:
    """Index segments by their names (and 'Whole book' for the 'all' row) for display."""
    out = frame.copy()
    out.index = [("Whole book" if i == "all" else names.get(int(i), str(i))) for i in frame.index]
    out.index.name = "segment"
    return out


# ---- sections ------------------------------------------------------------------------------------
def headline(result: SegmentationResult, auto: bool = False) -> None:
    m = result.metrics
    c = st.columns(5)
    auto = auto and result.params.method != "hdbscan"
    c[0].metric("Segments" + (" (auto)" if auto else ""), int((result.profile.sizes.index >= 0).sum()),
                help="'auto' took the consensus of the evidence in 'How many segments'." if auto else None)
    c[1].metric("Customers", F.count(result.profile.sizes["size"].sum()))
    c[2].metric("Silhouette", F.number(m.get("silhouette"), 2),
                help="-1 to 1: how much closer customers are to their own segment than to the next one.")
    stab = None
    if result.sweep is not None and result.params.method != "hdbscan":
        row = result.sweep.table.loc[result.sweep.table["k"] == result.k]
        stab = float(row["stability_ari"].iloc[0]) if not row.empty else None
    c[3].metric("Stability (ARI)", F.number(stab, 2),
                help=f"Agreement of refits on bootstrap resamples; below {STABLE_ARI} the segments are not reproducible.")
    c[4].metric("Fit time", f"{F.number(result.seconds, 1)} s")
    if result.warning:
        st.warning(plain(result.warning), icon=":material/warning:")
    if stab is not None and stab < STABLE_ARI:
        st.warning(plain(f"At k = {result.k} the segments are not reproducible (bootstrap ARI {F.number(stab, 2)} < "
                         f"{STABLE_ARI}): refits on resampled customers draw different borders. Prefer a k whose bar is "
                         "green in 'How many segments'."), icon=":material/warning:")
    for n in result.notes:
        st.caption(":material/info: " + plain(n))


def segments_tab(result: SegmentationResult) -> SegmentationResult:
    st.markdown("**Segments** · rename them in the table; every word of a name is checked against the segment's "
                "profile, and the names flow into the charts, exports, the report and the copy page.")
    result = names_editor(result)
    state.put(state.SEGMENTATION_RESULT, result)
    flags = result.contradictions()
    for s, bad in flags.items():
        st.error(plain(f"“{result.name(s)}”: " + " ".join(bad)), icon=":material/rule:")
    rules_table(result)
    st.caption("Precision: the share of customers matching the rule who are in the segment.")
    st.plotly_chart(charts.sizes_figure(result.names_table()), key="seg_sizes_chart")
    for s in result.segments:
        with st.expander(plain(f"{result.name(s)} · {F.count(result.profile.sizes.loc[s, 'size'])} customers"), expanded=False):
            st.text(result.description(s))
    copy_to_marketing(result)
    return result


def _send_to_copy(brief) -> None:
    state.put(state.SEGMENT_FOR_COPY, brief)
    try:
        st.switch_page("pages/marketing_copy.py")
    except st.errors.StreamlitAPIException:  # the page runs on its own, without the navigation
        st.success(plain(f"'{brief.name}' is ready for the Marketing copy page: open it from the navigation."),
                   icon=":material/check:")


def copy_to_marketing(result: SegmentationResult) -> None:
    st.markdown("**Write copy for a segment**")
    segs = [s for s in result.segments if s >= 0]
    c1, c2 = st.columns([3, 1])
    pick = c1.selectbox("Segment", segs, format_func=lambda s: result.name(s), key="seg_copy_pick",
                        label_visibility="collapsed")
    if c2.button("Write copy for this segment", key="seg_to_copy", icon=":material/campaign:"):
        from core.segmentation.privacy import PersonalData

        ds = state.get(state.DATASET)
        _send_to_copy(result.brief(int(pick), PersonalData(ds if isinstance(ds, Dataset) else None)))


def _number_format(values: pd.Series) -> str:
    """Whole numbers for amounts and counts; one decimal for small measures (age, tenure in years)."""
    v = pd.to_numeric(values, errors="coerce").abs()
    return "{:,.0f}" if v.notna().any() and float(v.max()) >= 1000 else "{:,.1f}"


def profiles_tab(ds: Dataset, result: SegmentationResult) -> None:
    prof = result.profile
    segs = [s for s in prof.z.index if s >= 0]
    feats = [c for c in prof.features if c in prof.z.columns]
    st.plotly_chart(charts.zscore_heatmap(prof.z.loc[segs, feats], result.names, column_label), key="seg_heatmap")
    st.caption("z-scores on the modelling scale (log for skewed amounts, robust-scaled): 0 is the book average, "
               "±1 a large difference. Descriptive columns (e.g. age) are in the table below, not in the map.")
    st.markdown("**Means against the whole book**")
    table = by_name(result.profile_table().drop(columns=["name"]), result.names)
    fmt = {c: ("{:.0%}" if is_share(c, table[c]) else _number_format(table[c])) for c in prof.means.columns}
    fmt.update({"share": "{:.1%}", "size": "{:,}", "mean_pd": "{:.1%}"})
    labels = {c: column_label(c) for c in table.columns} | {"size": "Customers", "share": "Share", "mean_pd": "Mean PD"}
    fmt = {labels[c]: f for c, f in fmt.items() if c in table.columns}
    st.dataframe(table.rename(columns=labels).style.format(fmt, na_rep="–"), width="stretch", key="seg_profile_table")
    with st.expander("Medians and lift (segment mean ÷ book mean)"):
        med = by_name(prof.medians, result.names).rename(columns=column_label)
        st.dataframe(med.style.format({c: _number_format(med[c]) for c in med.columns}, na_rep="–"), width="stretch")
        lift = by_name(prof.lift, result.names).rename(columns=column_label)
        st.dataframe(lift.style.format("{:.2f}×", na_rep="–"), width="stretch")
    if prof.category_shares:
        with st.expander("Categories per segment"):
            for col, tab in prof.category_shares.items():
                st.markdown(f"**{plain(column_label(col))}**")
                st.dataframe(by_name(tab, result.names).style.format("{:.0%}"), width="stretch")
    if len(prof.means.columns):
        sample = map_sample(result, result.params.seed)
        feat = st.selectbox("Distribution of", list(prof.means.columns), format_func=column_label, key="seg_dist_feature")
        vals = ds.frame[feat].iloc[sample].reset_index(drop=True)
        skewed = any(c["column"] == feat and c["transform"].startswith("log") for c in result.preprocessing.get("numeric", []))
        log = skewed and (pd.to_numeric(vals, errors="coerce") > 0).mean() > 0.95
        st.plotly_chart(charts.distribution_figure(vals, result.labels[sample], result.names, column_label(feat), log=log),
                        key="seg_dist_chart")


def map_tab(prepared: service.Prepared, result: SegmentationResult, fingerprint: str) -> None:
    kind = st.radio("Projection", ["pca", "umap"], horizontal=True, key="seg_map",
                    format_func=lambda x: {"pca": "PCA (instant)", "umap": "UMAP (10,000 customers, kept once computed)"}[x])
    if kind == "umap" and not embed_mod.has_cached_map(prepared, "umap", result.params.seed):
        st.caption("UMAP keeps local neighbourhoods better than PCA but takes about a minute the first time; the map "
                   "is then stored for this dataset and these features, for every session.")
        if not st.button("Compute the UMAP map", key="seg_umap_go", icon=":material/scatter_plot:"):
            return
    emb = cached_embed(prepared, fingerprint, prepared.features, result.params.seed, kind)
    st.plotly_chart(charts.map_figure(emb.coords, result.labels[emb.index], result.names, emb.method, emb.explained),
                    key="seg_map_chart")
    if emb.method == "umap":
        st.caption("Read back from the stored map." if emb.cached else f"Computed in {F.number(emb.seconds, 0)} s and stored.")


def evidence_tab(result: SegmentationResult) -> None:
    sw = result.sweep
    if sw is None:
        st.info("No sweep for this run.")
        return
    st.markdown(f"**Suggested: k = {sw.suggested_k}.** " + plain(sw.reason))
    if sw.warning:
        st.warning(plain(sw.warning), icon=":material/warning:")
    for n in sw.notes:
        st.caption(plain(n))
    if sw.choice is not None and sw.choice.votes:
        votes = pd.DataFrame({"Evidence": [VOTE_LABELS.get(m, m) for m in sw.choice.votes],
                              "Prefers k": list(sw.choice.votes.values())})
        st.dataframe(votes, hide_index=True, key="seg_votes_table")
        left_out = sw.table.loc[sw.table["stability_ari"].fillna(0) < STABLE_ARI, "k"].astype(int).tolist()
        if left_out and len(left_out) < len(sw.table):
            st.caption(f"Each measure votes among the k whose refits on resampled customers agree (stability ≥ "
                       f"{STABLE_ARI:.2f}); k = {', '.join(map(str, left_out))} "
                       f"{'is' if len(left_out) == 1 else 'are'} left out, whatever {'its' if len(left_out) == 1 else 'their'}"
                       " scores in the table below.")
    st.plotly_chart(charts.sweep_figure(sw.table, result.k if result.params.method != "hdbscan" else None, sw.knee_k),
                    key="seg_sweep_chart")
    table = sw.table.dropna(axis=1, how="all")  # e.g. no BIC for k-means
    table = table.round({c: 0 for c in ("calinski_harabasz", "inertia", "bic") if c in table.columns})
    cfg = {"k": st.column_config.NumberColumn(SWEEP_LABELS["k"], format="%d"),
           "silhouette": st.column_config.NumberColumn(SWEEP_LABELS["silhouette"], format="%.3f"),
           "calinski_harabasz": st.column_config.NumberColumn(SWEEP_LABELS["calinski_harabasz"], format="localized"),
           "davies_bouldin": st.column_config.NumberColumn(SWEEP_LABELS["davies_bouldin"], format="%.2f"),
           "inertia": st.column_config.NumberColumn(SWEEP_LABELS["inertia"], format="localized"),
           "bic": st.column_config.NumberColumn(SWEEP_LABELS["bic"], format="localized"),
           "stability_ari": st.column_config.NumberColumn(SWEEP_LABELS["stability_ari"], format="%.2f"),
           "stability_sd": st.column_config.NumberColumn(SWEEP_LABELS["stability_sd"], format="%.2f")}
    st.dataframe(table.round(4), hide_index=True, width="stretch", key="seg_sweep_table",
                 column_config={c: v for c, v in cfg.items() if c in table.columns}, height=38 + 35 * len(table))
    st.caption(f"Scores on a {F.count(sw.sample_rows)}-row sample (silhouette on 3,000 rows); stability = mean adjusted "
               "Rand index between a reference fit and refits on bootstrap resamples.")


def links_tab(result: SegmentationResult) -> None:
    if result.mean_pd is not None:
        st.plotly_chart(charts.pd_figure(result.mean_pd, result.names), key="seg_pd_chart")
        st.caption(plain(result.credit.message))
    else:
        st.info(plain(result.credit.message), icon=":material/fact_check:")
    if result.penetration.empty:
        st.info("No product holdings (0/1 or yes/no columns tagged as products) in this dataset, so no penetration "
                "is shown.")
        return
    st.plotly_chart(charts.penetration_figure(result.penetration, result.names), key="seg_pen_chart")
    rows = []
    for s, nb in result.next_best.items():
        rows.append({"Segment": result.name(s), "Segment offer": nb.label or "—",
                     "Lift vs book": "—" if nb.lift is None else f"{F.number(nb.lift, 2)}×",
                     "Held in segment": "—" if nb.penetration is None else F.pct(nb.penetration, 1), "Why": nb.reason,
                     "Withheld": "; ".join(f"{F.humanize(p)}: {w}" for p, w in nb.withheld.items())})
    st.markdown("**The segment rule**: per segment, the suitable product it takes up most above the book's rate, "
                "among those most of it does not hold yet (the benchmark of the per-customer offers).")
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="seg_rule_table",
                 column_config={"Why": st.column_config.TextColumn(width="large"),
                                "Withheld": st.column_config.TextColumn(width="large")})


def export_tab(ds: Dataset, result: SegmentationResult, offers=None) -> None:
    from core.segmentation import exports
    from core.segmentation.report import render_report
    from dashboard.auth import current_user

    stem = f"segments_{result.params.method}_k{result.k}_{result.dataset_fingerprint[:8]}"
    real = st.toggle("Real customer ids (for files that stay in the bank's controlled systems)", key="seg_real_ids",
                     help="Off: ids are replaced by keyed pseudonyms, stable within this workspace.")
    table = offers.offers if offers is not None else None
    c1, c2, c3 = st.columns(3)
    c1.download_button("Members (CSV)", lambda: exports.members_csv(ds, result, table, not real), f"{stem}.csv", "text/csv",
                       key="seg_csv", icon=":material/download:", on_click="ignore")
    c2.download_button("Members (Parquet)", lambda: exports.members_parquet(ds, result, table, not real), f"{stem}.parquet",
                       "application/octet-stream", key="seg_parquet", icon=":material/download:", on_click="ignore")
    c3.download_button("Profile report (HTML)", lambda: render_report(result).encode("utf-8"), f"{stem}_report.html",
                       "text/html", key="seg_report", icon=":material/description:", on_click="ignore")
    st.caption("Members: id, segment and name, the features used, predicted PD (with a credit model), the segment's "
               "offer" + (" and each customer's next-best offer." if table is not None else
                          "; compute the next-best offers in 'Offers' to add each customer's offer."))
    st.divider()
    c1, c2 = st.columns([3, 1])
    default_name = f"{METHOD_LABELS.get(result.params.method, result.params.method)} k={result.k}"
    run_name = c1.text_input("Run name", value=default_name,
                             key=f"seg_run_name_{result.params.method}_{result.k}_{result.params.seed}")
    if c2.button("Save run", key="seg_save", icon=":material/save:"):
        run_id = runs.save_run(result, run_name, user=current_user())
        st.session_state["seg_last_saved"] = run_id
        st.success(plain(f"Saved as run {run_id} with its parameters, seed, names and assignments; it is now this "
                         "dataset's current segmentation."), icon=":material/check:")
    saved = runs.list_runs(ds.fingerprint)
    if saved.empty:
        st.caption("No saved segmentation runs for this dataset yet.")
        return
    labels = {r.run_id: f"{r.name} · {r.created_at:%Y-%m-%d %H:%M} · {r.run_id}" for r in saved.itertuples()}
    c1, c2 = st.columns([3, 1])
    pick = c1.selectbox("Saved runs", list(labels), format_func=lambda r: labels.get(r, r), key="seg_load_pick")
    if c2.button("Reload run", key="seg_load", icon=":material/history:"):
        st.session_state[LOADED_RUN] = pick
        st.rerun()


def loaded_banner(run_id: str) -> None:
    c1, c2 = st.columns([4, 1])
    c1.info(plain(f"Showing saved run {run_id}. Go back to live to change the segmentation."), icon=":material/history:")
    if c2.button("Back to live", key="seg_unload"):
        st.session_state.pop(LOADED_RUN, None)
        st.rerun()


def map_sample(result: SegmentationResult, seed: int, n: int = 20_000) -> np.ndarray:
    return embed_mod.sample_index(len(result.labels), seed, n)
