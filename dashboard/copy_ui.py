"""The marketing-copy page's request form, generation and batch summary.

Review, audit and export are in :mod:`dashboard.copy_review_ui`; campaign results and the
"check copy" tool in :mod:`dashboard.copy_campaign_ui`. The batch lives in the session
(``COPY_BATCH``); every generation, edit, approval and export is saved to the workspace run log
with the signed-in user through :mod:`core.copy.audit.service`.
"""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from core.auth import User
from core.briefs import SegmentBrief
from core.copy.audit import service as audit
from core.copy.catalogue import get_catalogue
from core.copy.engine import get_engine
from core.copy.generate import MAX_VARIANTS, CopyBatch, CopyRequest, generate_copy, make_backend
from core.errors import StudioError
from core.formatting import count, pct, plain
from core.settings import get_settings
from dashboard import state
from dashboard.shell import show_error

COPY_BATCH = "copy_batch"
WINNERS = "copy_campaign_winners"  # (product, channel) -> {winning copy: lift}, fed into the next batch
USER_KEY = "studio_user"  # set by the sign-in layer (and by tests); no widget uses this key


def current_user() -> User:
    """The signed-in user (single-user local mode when nobody is signed in)."""
    user = st.session_state.get(USER_KEY)
    if isinstance(user, User):
        return user
    from dashboard.auth import current_user as signed_in

    return signed_in()
BACKENDS = {"local": "Local language model", "openai": "OpenAI-compatible endpoint", "template": "Templates (deterministic)"}
CHANNEL_HELP = "Disclosures count against each channel's budget; SMS is counted in GSM-7 / UCS-2 segments."


# ---- request ------------------------------------------------------------------------------------
def _segment_input() -> SegmentBrief | None:
    sent = state.get(state.SEGMENT_FOR_COPY)
    if isinstance(sent, dict):  # a brief restored from JSON
        try:
            sent = SegmentBrief.from_dict(sent)
        except TypeError:
            sent = None
    options = ["Describe by hand"]
    if isinstance(sent, SegmentBrief):
        options.insert(0, f"From segmentation: {sent.name}")
    pick = st.radio("Segment", options, horizontal=True, key="copy_segment_source")
    if isinstance(sent, SegmentBrief) and pick == options[0]:
        share = f" · {pct(sent.share, 0)} of the book" if sent.share else ""
        st.caption(f"**{plain(sent.name)}** · {count(sent.size)} customers{share}. "
                   + plain("; ".join(sent.traits[:5])))
        return sent
    name = st.text_input("Segment name", key="copy_seg_name", placeholder="Young digital savers", max_chars=200)
    traits = st.text_area("Traits (one per line, aggregates only: no customer data)", key="copy_seg_traits",
                          placeholder="Mostly under 35\nUse the mobile app weekly\nLow card balances", height=96)
    return SegmentBrief(name=name, size=0, share=0.0, description="",
                        traits=tuple(t.strip() for t in traits.splitlines() if t.strip()))


def request_form() -> tuple[CopyRequest, str, bool]:
    """The analyst's request, the backend choice, and whether Generate was pressed."""
    cat = get_catalogue()
    settings = get_settings()
    segment = _segment_input()
    c1, c2, c3, c4 = st.columns(4)
    labels = cat.product_labels()
    product_id = str(c1.selectbox("Product", list[str](labels), format_func=labels.__getitem__, key="copy_product"))
    channels = {k: v["label"]["en"] for k, v in cat.channels.items()}
    channel = str(c2.selectbox("Channel", list[str](channels), format_func=channels.__getitem__, key="copy_channel", help=CHANNEL_HELP, index=list[str](channels).index("sms") if "sms" in channels else 0))
    tones = {k: v["en"][:1].upper() + v["en"][1:] for k, v in cat.tones.items()}
    tone = str(c3.selectbox("Tone", list[str](tones), format_func=tones.__getitem__, key="copy_tone"))
    language = str(c4.selectbox("Language", list[str](cat.languages), format_func=cat.languages.__getitem__, key="copy_language"))
    c5, c6, c7, c8 = st.columns([1, 1, 2, 1])
    n = c5.number_input("Variants", min_value=1, max_value=MAX_VARIANTS, value=5, step=1, key="copy_n",
                        help=f"At most {MAX_VARIANTS} per batch; model backends make fewer, and say so.")
    seed = c6.number_input("Seed", min_value=0, max_value=2**31 - 1, value=int(settings.seed), step=1, key="copy_seed")
    default = list[str](BACKENDS).index(settings.copy_backend) if settings.copy_backend in BACKENDS else 2
    backend = str(c7.selectbox("Backend", list[str](BACKENDS), index=default, format_func=BACKENDS.__getitem__, key="copy_backend", help="Set the default with STUDIO_COPY_BACKEND; the model with STUDIO_LLM_MODEL_PATH."))
    c8.write("")
    go = c8.button("Generate", type="primary", key="copy_generate", icon=":material/edit_note:", width="stretch")
    model = settings.llm_model_path or ("Gemma 3 270M (embedded, fine-tuned on the team's approved copy)"
                                        if settings.llm_adapter else "Gemma 3 270M (embedded, few-shot prompts)")
    st.caption({"local": f"Local model: {model}, on the GPU when there is one. It writes English; Chinese copy "
                         "comes from templates. Its copy must read as the team's approved copy reads; when too few "
                         "candidates do, templates fill the batch (marked).",
                "openai": f"Endpoint: {settings.openai_model or '(no model set)'} at {settings.openai_base_url}.",
                "template": "Templates: deterministic, English and Simplified Chinese."}[backend]
               + " Every candidate is checked by the rules; a backend that fails falls back to templates.")
    req = CopyRequest(product_id=product_id, channel=channel, segment=segment, tone=tone, language=language,
                      n=int(n), seed=int(seed))
    return req, backend, go


# ---- generation ---------------------------------------------------------------------------------
def _load_backend(choice: str):
    if choice == "local":
        with st.spinner("Loading the local language model (the first time converts the embedded model: about a minute)..."):
            return make_backend("local")
    return make_backend(choice)


def run_generation(req: CopyRequest, choice: str) -> None:
    """Generate a batch with live streaming and progress, save it to the workspace, keep it in the session."""
    try:
        backend, notes = _load_backend(choice)
    except StudioError as exc:
        show_error(exc, "The backend could not be prepared")
        return
    box = st.status(f"Writing copy with the {backend.label}...", expanded=True)
    # inside the status box, which folds away when done: the batch summary carries the backend line after
    box.caption(f"Backend: **{backend.label}** · `{backend.fingerprint()}`")
    bar = box.progress(0.0, text="Starting...")
    live = box.empty()
    streamed: dict[int, str] = {}
    last = [0.0]

    def on_stream(i: int, delta: str) -> None:
        streamed[i] = streamed.get(i, "") + delta
        now = time.perf_counter()
        if now - last[0] > 0.1:  # repaint at most ten times a second
            last[0] = now
            live.markdown(f"**Candidate {i + 1}:** {plain(streamed[i])}▌")

    def on_progress(fraction: float, message: str) -> None:
        bar.progress(min(1.0, max(0.0, fraction)), text=message)

    try:
        batch = generate_copy(req, backend, stream=on_stream if backend.name != "template" else None,
                              progress=on_progress, backend_notes=notes, user=current_user(),
                              winners=st.session_state.get(WINNERS, {}).get((req.product_id, req.channel)))
    except StudioError as exc:
        box.update(label="Nothing was generated", state="error")
        show_error(exc, "The copy was not generated")
        return
    finally:
        if hasattr(backend, "close"):
            backend.close()
    live.empty()
    box.update(label=f"{batch.stats['kept']} variants ready ({batch.stats['candidates']} candidates checked)",
               state="complete", expanded=False)
    try:
        audit.save_batch(batch, user=current_user())
    except StudioError as exc:
        show_error(exc, "The batch was generated but not saved to the workspace")
    st.session_state[COPY_BATCH] = batch


def current_batch() -> CopyBatch | None:
    batch = st.session_state.get(COPY_BATCH)
    return batch if isinstance(batch, CopyBatch) else None


def save(batch: CopyBatch) -> None:
    try:
        audit.save_batch(batch, user=current_user())
    except StudioError as exc:
        show_error(exc, "The review was not saved to the workspace")


# ---- summary ------------------------------------------------------------------------------------
def batch_summary(batch: CopyBatch) -> None:
    for note in batch.notes:
        st.warning(plain(note), icon=":material/info:")
    s = batch.stats
    cols = st.columns(6)
    cols[0].metric("Variants kept", f"{s['kept']} / {s['made']}")
    cols[1].metric("Candidates checked", count(s["candidates"]))
    cols[2].metric("Grounded in the catalogue", pct(s.get("grounded_rate", 0.0), 0))
    cols[3].metric("Usable", pct(s.get("usable_rate", 0.0), 0))
    cols[4].metric("Distinct-2", f"{s['distinct_2']:.2f}")
    tps = s.get("tokens_per_second")
    cols[5].metric("Tokens / s" if tps else "Seconds", f"{tps:.1f}" if tps else f"{s['total_seconds']:.2f}")
    b = batch.backend
    st.caption(f"Backend **{plain(str(b.get('label')))}** · fingerprint `{b.get('fingerprint')}` · seed "
               f"{batch.request.seed} · rules {batch.rules_version} · catalogue `{batch.catalogue_fingerprint}` · "
               f"written by {plain(batch.author.get('name') or 'unknown')}"
               + (f" · saved as run `{batch.run_id}`" if batch.run_id else ""))


def rules_reference() -> None:
    """The rule file, readable by the analyst."""
    engine = get_engine()
    with st.expander(f"Compliance rules in force ({len(engine.rules)} rules, version {engine.version})"):
        st.dataframe(pd.DataFrame([{"id": r.id, "rule": r.title, "action": r.action.replace("_", " "),
                                    "trigger": f"meaning: {r.meaning.replace('_', ' ')}" if r.meaning else
                                    ("always" if r.always else "phrases"),
                                    "products": ", ".join(r.products),
                                    "channels": ", ".join(r.channels) if r.channels else "all",
                                    "source": r.source} for r in engine.rules]), hide_index=True, width="stretch")
        st.caption("Edit `assets/copy/rules.json` to change them; numbers in copy must come from "
                   "`assets/copy/products.json`; number binding and features from `assets/copy/grounding.json`. "
                   "Not legal advice.")
