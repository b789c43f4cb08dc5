"""Campaign results for exported copy, and the "check copy written elsewhere" tool.

Results are imported from a CSV keyed by the exported batch and variant ids (or simulated for the
embedded default with known true rates); the analysis (:mod:`core.copy.campaign`) shows CTR and
conversion with Wilson intervals, tests each variant against control with Holm's correction, and
feeds significant winners into the ranking of the next batch for the same product and channel.
"""

from __future__ import annotations

import io

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.copy import campaign
from core.copy.batch import CopyBatch
from core.copy.catalogue import get_catalogue
from core.copy.check import check_texts
from core.errors import StudioError
from core.formatting import count, pct, plain
from dashboard.copy_ui import WINNERS
from dashboard.shell import show_error

RESULTS = "copy_campaign_results"


def _chart(frame: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    low = frame["conversion"] - frame["conversion_low"]
    high = frame["conversion_high"] - frame["conversion"]
    fig.add_bar(x=frame["variant_id"], y=frame["conversion"] * 100, name="conversion",
                error_y={"type": "data", "symmetric": False, "array": high * 100, "arrayminus": low * 100},
                marker_color=["#8a97a5" if v == campaign.CONTROL else "#0b4f6c" for v in frame["variant_id"]])
    fig.update_layout(height=320, margin={"l": 10, "r": 10, "t": 30, "b": 10}, yaxis_title="conversion (%)",
                      yaxis_tickformat=".2f", title="Conversion by variant, 95% Wilson intervals")
    return fig


def _table(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({"variant": frame["variant_id"]})
    if "segment" in frame:
        out.insert(0, "segment", frame["segment"])
    out["sends"] = [count(x) for x in frame["sends"]]
    out["clicks"] = [count(x) for x in frame["clicks"]]
    out["conversions"] = [count(x) for x in frame["conversions"]]
    out["CTR"] = [f"{pct(c, 2)} ({pct(lo, 2)} to {pct(hi, 2)})" for c, lo, hi in
                  zip(frame["ctr"], frame["ctr_low"], frame["ctr_high"], strict=True)]
    out["conversion"] = [f"{pct(c, 2)} ({pct(lo, 2)} to {pct(hi, 2)})" for c, lo, hi in
                         zip(frame["conversion"], frame["conversion_low"], frame["conversion_high"], strict=True)]
    if "p_holm" in frame:
        out["vs control"] = [("—" if v == campaign.CONTROL else
                              f"{'+' if lift >= 0 else ''}{lift * 100:.2f} pp, p = {p:.3f} (Holm)"
                              + (" · winner" if sig else ""))
                             for v, lift, p, sig in zip(frame["variant_id"], frame["lift"], frame["p_holm"],
                                                        frame["significant"], strict=True)]
    return out


def campaign_results(batch: CopyBatch | None) -> None:
    st.subheader("Campaign results")
    st.caption("Import results keyed by the exported batch_id and variant_id (columns: batch_id, variant_id, sends, "
               "opens, clicks, conversions, optional segment; variant_id 'control' is the control group).")
    c1, c2 = st.columns(2)
    upload = c1.file_uploader("Results CSV", type=["csv"], key="copy_results_upload")
    if upload is not None and c1.button("Import results", key="copy_results_import", icon=":material/upload:"):
        try:
            raw = pd.read_csv(io.BytesIO(upload.getvalue()))
            st.session_state[RESULTS] = campaign.import_results(raw, {batch.batch_id} if batch else None)
        except (StudioError, ValueError) as exc:
            show_error(exc if isinstance(exc, StudioError) else StudioError(f"The file cannot be read: {exc}"),
                       "Results not imported")
    if batch is not None and batch.approved() and c2.button("Simulate a campaign (embedded default)",
                                                            key="copy_results_simulate", icon=":material/science:"):
        ids = [v.id for v in batch.approved()]
        true = {vid: 0.025 + (0.012 if i == 0 else 0.0) for i, vid in enumerate(ids)}
        st.session_state[RESULTS] = campaign.import_results(
            campaign.simulate_campaign(batch.batch_id, ids, true, control_rate=0.025, sends_per_arm=8000,
                                       segments=(batch.request.segment.name if batch.request.segment else "all",),
                                       seed=batch.request.seed), {batch.batch_id})
        st.caption(f"Simulated with known true conversion: {ids[0]} 3.7%, the others and control 2.5%.")
    results = st.session_state.get(RESULTS)
    if results is None:
        st.info("No results yet. Export approved copy, run the campaign, then import its results here.",
                icon=":material/monitoring:")
        return
    analysis = campaign.analyse(results)
    st.plotly_chart(_chart(analysis.by_variant), width="stretch", key="copy_results_chart")
    st.dataframe(_table(analysis.by_variant), hide_index=True, width="stretch")
    with st.expander("By segment"):
        st.dataframe(_table(analysis.by_segment), hide_index=True, width="stretch")
    if analysis.winner:
        st.success(plain(f"{analysis.winner} beats control after Holm's correction for {len(analysis.by_variant) - 1} "
                         "variants."), icon=":material/emoji_events:")
        if batch is not None and st.button("Feed the winners into the next batch's ranking", key="copy_results_feed"):
            texts = {v.id: v.body for v in batch.variants}
            key = (batch.request.product_id, batch.request.channel)
            st.session_state.setdefault(WINNERS, {})[key] = campaign.winners(analysis, texts)
            st.caption("The next batch for this product and channel ranks copy close in meaning to the winners higher.")
    else:
        st.info("No variant beats control significantly after the correction for many variants.")


def check_copy() -> None:
    st.subheader("Check copy written elsewhere")
    st.caption("The same engine as generation: rules, claim grounding and the meaning classifiers. One text a line.")
    cat = get_catalogue()
    c1, c2, c3 = st.columns(3)
    labels = cat.product_labels()
    product = str(c1.selectbox("Product", list[str](labels), format_func=labels.__getitem__, key="copy_check_product"))
    channels = {k: v["label"]["en"] for k, v in cat.channels.items()}
    channel = str(c2.selectbox("Channel", list[str](channels), format_func=channels.__getitem__, key="copy_check_channel"))
    language = str(c3.selectbox("Language", list[str](cat.languages), format_func=cat.languages.__getitem__, key="copy_check_language"))
    text = st.text_area("Copy", key="copy_check_text", height=120,
                        placeholder="We won't check your credit. Everyone qualifies.")
    if st.button("Check", key="copy_check_go", icon=":material/fact_check:") and text.strip():
        try:
            results = check_texts([t for t in text.splitlines() if t.strip()], product, channel, language)
        except StudioError as exc:
            show_error(exc, "Check")
            return
        for r in results:
            with st.container(border=True):
                badge = {"pass": ":green-badge[pass]", "review": ":orange-badge[needs review]",
                         "block": ":red-badge[blocked]"}[r["verdict"]]
                st.markdown(badge)
                st.text(r["text"])
                rows = [{"rule": f["rule"], "action": f["action"], "claim": f["claim"], "why": f["message"]}
                        for f in r["findings"] if f["action"] in ("block", "review", "soften")]
                if rows:
                    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
