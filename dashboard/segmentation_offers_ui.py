"""The segmentation page's *Offers* tab: the per-customer next-best offer and target lists, on request.

Nothing here runs until the analyst presses *Compute next-best offers* (the models take tens of
seconds); the result is cached for every session on (dataset, segmentation, response product, seed).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import formatting as F
from core.data import Dataset
from core.formatting import count, plain
from core.segmentation.offers.catalogue import default_catalogue
from core.segmentation.offers.nbo import OfferParams, OfferResult, next_best_offers
from core.segmentation.result import SegmentationResult

OFFERS_FOR = "seg_offers_for"


def _seg_key(result: SegmentationResult) -> str:
    p = result.params
    return f"{p.method}:{p.k}:{p.seed}:{hash(p.features)}:{result.run_id}:{result.credit.model_fingerprint}"


@st.cache_resource(show_spinner="Learning who takes up what (one model per product, checked on a holdout)...",
                   max_entries=4)
def cached_offers(_ds: Dataset, _seg: SegmentationResult, fingerprint: str, seg_key: str, response: str | None,
                  seed: int) -> OfferResult:
    return next_best_offers(_ds, _seg, OfferParams(response_product=response, seed=seed))


def current_offers(ds: Dataset, result: SegmentationResult) -> OfferResult | None:
    """The offers computed for this exact segmentation in this session, or None."""
    want = st.session_state.get(OFFERS_FOR)
    if not want or want[0] != (ds.fingerprint, _seg_key(result)):
        return None
    return cached_offers(ds, result, ds.fingerprint, _seg_key(result), want[1], result.params.seed)


def _ask(key: tuple[str, str], response: str | None) -> None:
    st.session_state[OFFERS_FOR] = (key, response)


def offers_tab(ds: Dataset, result: SegmentationResult) -> OfferResult | None:
    cat = default_catalogue()
    st.markdown("**Next-best offer per customer**: one propensity model per product, learned from who holds it (or "
                "who answered a campaign), then the suitability and risk rules, then the customer's likeliest "
                "allowed product.")
    response = None
    if ds.schema.target is not None:
        options = ["holdings", *cat.products]
        pick = st.selectbox("Learn from", options, key="seg_offer_source",
                            format_func=lambda p: "Product holdings" if p == "holdings" else
                            f"Responses in '{ds.schema.target}' to an offer of: {cat.label(p)}",
                            help="Pick the product the campaign offered when the target column records responses "
                                 "(e.g. 'y' in the bank marketing file is a term-deposit subscription).")
        response = None if pick == "holdings" else pick
    offers = current_offers(ds, result)
    if offers is None or offers.params.response_product != response:
        st.button("Compute next-best offers", key="seg_offers_go", icon=":material/recommend:", type="primary",
                  on_click=_ask, args=((ds.fingerprint, _seg_key(result)), response))
        st.caption(f"One propensity model per product on {count(ds.n_rows)} customers: about a minute per 50,000 on a "
                   "quiet 2-core machine, up to two under load; the result is kept for every session.")
        return None
    _evaluation(offers)
    for n in offers.notes:
        st.caption(":material/info: " + plain(n))
    c1, c2 = st.columns(2)
    c1.markdown("**Top offer per customer**")
    counts = offers.offer_counts()
    counts["share"] = counts["share"] * 100
    c1.dataframe(counts, hide_index=True, key="seg_offer_counts",
                 column_config={"offer": st.column_config.TextColumn("Offer"),
                                "customers": st.column_config.NumberColumn("Customers", format="localized"),
                                "share": st.column_config.NumberColumn("Share", format="%.1f%%")})
    c2.markdown("**Why products were not offered** (customers)")
    c2.dataframe(offers.blocked().set_index("product").T, key="seg_offer_blocked")
    _target_list(ds, result, offers)
    return offers


def _evaluation(offers: OfferResult) -> None:
    ev = offers.evaluation
    st.markdown("**On held-out customers** (half the book, never seen by the model that scored them): the model "
                "against a logistic regression on the same features and the segment rule.")
    cols = {"label": "Product", "base_rate": "Take-up", "model_auc": "AUC model", "logistic_auc": "AUC logistic",
            "segment_rule_auc": "AUC segment rule", "model_precision": "Top 10%: model",
            "logistic_precision": "Top 10%: logistic", "segment_rule_precision": "Top 10%: segment rule",
            "model_lift": "Lift model", "segment_rule_lift": "Lift segment rule"}
    table = ev[[c for c in cols if c in ev.columns]].rename(columns=cols)
    for v in cols.values():
        if (v.startswith("Top") or v == "Take-up") and v in table.columns:
            table[v] = table[v] * 100
    cfg = {v: st.column_config.NumberColumn(v, format="%.3f") for v in cols.values() if v.startswith("AUC")}
    cfg |= {v: st.column_config.NumberColumn(v, format="%.1f%%") for v in cols.values() if v.startswith("Top") or v == "Take-up"}
    cfg |= {v: st.column_config.NumberColumn(v, format="%.2f×") for v in cols.values() if v.startswith("Lift")}
    st.dataframe(table, hide_index=True, width="stretch", key="seg_offer_eval", column_config=cfg)
    st.caption("Top 10%: share of the customers with the highest 10% of scores who hold the product (or answered). "
               "Lift: that share over the take-up of the book.")


def _target_list(ds: Dataset, result: SegmentationResult, offers: OfferResult) -> None:
    from core.segmentation.offers.targets import target_brief, target_list, target_list_csv

    st.divider()
    st.markdown("**Target list for a campaign**")
    c1, c2, c3 = st.columns([2, 2, 1])
    product = str(c1.selectbox("Product", list(offers.products), format_func=lambda p: offers.labels.get(p, p),
                               key="seg_target_product") or offers.products[0])
    share = c2.slider("Size (share of the book)", 0.01, 0.5, 0.10, 0.01, format="percent", key="seg_target_share")
    real = c3.toggle("Real ids", key="seg_target_real_ids", help="Off: keyed pseudonyms (default for files leaving the workspace).")
    preview = target_list(ds, result, offers, product, share)
    st.caption(plain(f"{F.count(len(preview))} customers may be offered {offers.labels[product]} under the rules "
                     f"(at most {F.pct(share, 0)} of the book)."))
    st.dataframe(preview.drop(columns=[result.id_column]).head(200), hide_index=True, width="stretch",
                 key="seg_target_preview", column_config={
                     "propensity": st.column_config.NumberColumn("Propensity", format="%.3f"),
                     "lift": st.column_config.NumberColumn("Lift", format="%.2f×"),
                     "reason": st.column_config.TextColumn("Reason", width="large")})
    c1, c2 = st.columns(2)
    c1.download_button("Target list (CSV)", lambda: target_list_csv(ds, result, offers, product, share, not real),
                       f"targets_{product}_{result.dataset_fingerprint[:8]}.csv", "text/csv", key="seg_target_csv",
                       icon=":material/download:", on_click="ignore")
    if c2.button("Write copy for this target list", key="seg_target_to_copy", icon=":material/campaign:"):
        from dashboard.segmentation_ui import _send_to_copy

        _send_to_copy(target_brief(ds, result, offers, product, share))


def offers_frame(offers: OfferResult | None) -> pd.DataFrame | None:
    return offers.offers if offers is not None else None
