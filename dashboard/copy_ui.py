"""The marketing-copy page's building blocks.

The request form, generation with streaming, the review list (verdicts, edits, approvals), exports
and the audit trail.

The batch lives in the session (``COPY_BATCH``); every generation, edit, approval and export is
saved to the workspace run log through :mod:`core.copy.audit.service`.
"""

from __future__ import annotations

import html
import time

import pandas as pd
import streamlit as st

from core.briefs import SegmentBrief
from core.copy import export as exporter
from core.copy.audit import service as audit
from core.copy.catalogue import get_catalogue
from core.copy.generate import (
    MAX_VARIANTS,
    CopyBatch,
    CopyRequest,
    Variant,
    edit_variant,
    generate_copy,
    make_backend,
    set_status,
)
from core.copy.engine import get_engine
from core.errors import StudioError
from core.settings import get_settings
from dashboard import state
from dashboard.shell import show_error

COPY_BATCH = "copy_batch"
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
        share = f" · {sent.share:.0%} of the book" if sent.share else ""
        st.caption(f"**{sent.name}** · {sent.size:,} customers{share}. " + "; ".join(sent.traits[:5]))
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
    product_id = c1.selectbox("Product", list(labels), format_func=labels.get, key="copy_product")
    channels = {k: v["label"]["en"] for k, v in cat.channels.items()}
    channel = c2.selectbox("Channel", list(channels), format_func=channels.get, key="copy_channel", help=CHANNEL_HELP,
                           index=list(channels).index("sms") if "sms" in channels else 0)
    tones = {k: v["en"][:1].upper() + v["en"][1:] for k, v in cat.tones.items()}
    tone = c3.selectbox("Tone", list(tones), format_func=tones.get, key="copy_tone")
    language = c4.selectbox("Language", list(cat.languages), format_func=cat.languages.get, key="copy_language")
    c5, c6, c7, c8 = st.columns([1, 1, 2, 1])
    n = c5.number_input("Variants", min_value=1, max_value=MAX_VARIANTS, value=5, step=1, key="copy_n",
                        help=f"At most {MAX_VARIANTS} per batch; model backends make fewer, and say so.")
    seed = c6.number_input("Seed", min_value=0, max_value=2**31 - 1, value=int(settings.seed), step=1, key="copy_seed")
    default = list(BACKENDS).index(settings.copy_backend) if settings.copy_backend in BACKENDS else 2
    backend = c7.selectbox("Backend", list(BACKENDS), index=default, format_func=BACKENDS.get, key="copy_backend",
                           help="Set the default with STUDIO_COPY_BACKEND; the model with STUDIO_LLM_MODEL_PATH.")
    c8.write("")
    go = c8.button("Generate", type="primary", key="copy_generate", icon=":material/edit_note:", width="stretch")
    model = settings.llm_model_path or "Gemma 3 270M (embedded)"
    st.caption({"local": f"Local model: {model}, on the GPU when there is one. It writes English; Chinese copy "
                         "comes from templates.",
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
            live.markdown(f"**Candidate {i + 1}:** {html.escape(streamed[i])}▌")

    def on_progress(done: int, total: int, message: str) -> None:
        bar.progress(min(1.0, done / max(1, total)), text=message)

    try:
        batch = generate_copy(req, backend, stream=on_stream if backend.name != "template" else None,
                              progress=on_progress, backend_notes=notes)
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
        audit.save_batch(batch)
    except StudioError as exc:
        show_error(exc, "The batch was generated but not saved to the workspace")
    st.session_state[COPY_BATCH] = batch


def current_batch() -> CopyBatch | None:
    batch = st.session_state.get(COPY_BATCH)
    return batch if isinstance(batch, CopyBatch) else None


def _save(batch: CopyBatch) -> None:
    try:
        audit.save_batch(batch)
    except StudioError as exc:
        show_error(exc, "The review was not saved to the workspace")


# ---- summary and review -------------------------------------------------------------------------
def batch_summary(batch: CopyBatch) -> None:
    for note in batch.notes:
        st.warning(note, icon=":material/info:")
    s = batch.stats
    cols = st.columns(5)
    cols[0].metric("Variants kept", f"{s['kept']} / {s['made']}")
    cols[1].metric("Candidates checked", s["candidates"])
    cols[2].metric("Pass after auto-fixes", f"{s['pass_rate_after_fixes']:.0%}")
    cols[3].metric("Distinct-2", f"{s['distinct_2']:.2f}")
    tps = s.get("tokens_per_second")
    cols[4].metric("Tokens / s" if tps else "Seconds", f"{tps:.1f}" if tps else f"{s['total_seconds']:.2f}")
    b = batch.backend
    st.caption(f"Backend **{b.get('label')}** · fingerprint `{b.get('fingerprint')}` · seed {batch.request.seed} · "
               f"rules {batch.rules_version} · catalogue `{batch.catalogue_fingerprint}`"
               + (f" · saved as run `{batch.run_id}`" if batch.run_id else ""))


def _length_badge(v: Variant) -> str:
    if v.segments is not None:
        color = "green" if v.segments == 1 else "orange" if v.passed else "red"
        return (f":{color}-badge[{v.segments} {v.encoding} segment{'s' if v.segments != 1 else ''} · "
                f"{v.length} / {v.budget} units]")
    color = "green" if v.length <= v.budget else "red"
    return f":{color}-badge[{v.length} / {v.budget} chars]"


def _findings_table(v: Variant) -> pd.DataFrame:
    return pd.DataFrame([{"rule": f["rule_id"], "action": f["action"].replace("_", " "), "matched": f["matched"],
                          "what": f["detail"] if f["action"] == "append_disclosure" else f["detail"] or "",
                          "why": f["reason"], "source": f["source"]} for f in v.findings])


def _variant_card(batch: CopyBatch, v: Variant) -> None:
    with st.container(border=True):
        top = st.columns([5, 2])
        verdict = ":green-badge[:material/verified: passes the rules]" if v.passed else ":red-badge[:material/block: blocked]"
        status = {"approved": ":blue-badge[approved]", "rejected": ":gray-badge[rejected]"}.get(v.status, ":gray-badge[pending]")
        top[0].markdown(f"**{v.id}** {verdict} {_length_badge(v)} {status} · score {v.score:.2f}")
        st.text(v.final_text)
        appended = [f for f in v.findings if f["action"] == "append_disclosure"]
        softened = [f for f in v.findings if f["action"] == "soften"]
        blocking = [f for f in v.findings if f["action"] == "block"]
        summary = []
        if appended:
            summary.append("disclosures added: " + "; ".join(dict.fromkeys(f"{f['rule_id']} {f['title']}" for f in appended)))
        if softened:
            summary.append("softened: " + "; ".join(dict.fromkeys(f"{f['rule_id']} {f['title']}" for f in softened)))
        if blocking:
            summary.append("blocked by: " + "; ".join(f"{f['rule_id']} ({f['title']})" for f in blocking))
        if summary:
            st.caption(" · ".join(summary))
        with st.expander("Why: rules, edits, raw output"):
            if v.findings:
                st.dataframe(_findings_table(v), hide_index=True, width="stretch")
            st.caption(f"Raw output: {v.raw!r}")
            if v.auto_fixes:
                st.caption("Auto-fixes: " + "; ".join(v.auto_fixes))
            for e in v.edits:
                st.caption(f"Edited {e['at']}: {e['before']!r} → {e['after']!r}")
        edited = st.text_area("Edit the copy (disclosures are added by the rules)", v.body, key=f"copy_edit_{batch.batch_id}_{v.id}",
                              height=68 if batch.request.channel != "email_body" else 160, label_visibility="collapsed")
        b1, b2, b3, _ = st.columns([1, 1, 1, 3])
        if b1.button("Save edit", key=f"copy_save_{batch.batch_id}_{v.id}", icon=":material/save:",
                     disabled=edited.strip() == v.body.strip()):
            edit_variant(batch, v.id, edited)
            _save(batch)
            st.rerun()
        if b2.button("Approve", key=f"copy_approve_{batch.batch_id}_{v.id}", icon=":material/check:",
                     disabled=not v.passed or v.status == "approved"):
            try:
                set_status(batch, v.id, "approved")
            except StudioError as exc:
                show_error(exc)
            else:
                _save(batch)
                st.rerun()
        if b3.button("Reject", key=f"copy_reject_{batch.batch_id}_{v.id}", icon=":material/close:",
                     disabled=v.status == "rejected"):
            set_status(batch, v.id, "rejected")
            _save(batch)
            st.rerun()


def review(batch: CopyBatch) -> None:
    st.subheader("Variants")
    if not batch.variants:
        st.error("No candidate passed the compliance rules. The blocked candidates below say why.",
                 icon=":material/block:")
    for v in batch.variants:
        _variant_card(batch, v)
    if batch.blocked:
        with st.expander(f"Blocked candidates ({len(batch.blocked)}): never exported"):
            rows = [{"candidate": v.candidate_index, "copy": v.body or v.raw,
                     "blocked by": "; ".join(f"{f['rule_id']}: {f['title']}" + (f" ({f['matched']})" if f["matched"] else "")
                                             for f in v.findings if f["action"] == "block")} for v in batch.blocked[:200]]
            st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


# ---- export -------------------------------------------------------------------------------------
def _on_export(batch: CopyBatch, fmt: str, name: str, data: bytes | str, n_rows: int) -> None:
    try:
        path = exporter.write_export(get_settings().exports_dir, name, data)
        audit.record_export(batch, fmt, path, n_rows)
    except (StudioError, OSError) as exc:  # the download itself already happened
        st.session_state["copy_export_error"] = str(exc)


def exports(batch: CopyBatch) -> None:
    st.subheader("Export approved copy")
    approved = batch.approved()
    if not approved:
        st.info("Approve at least one variant to export it. Only approved variants that pass the rules are exported.",
                icon=":material/task_alt:")
        return
    try:
        rows = exporter.export_rows(batch)
    except StudioError as exc:
        show_error(exc, "Export refused")
        return
    stem = f"copy_{batch.batch_id}"
    cols = st.columns(4)
    files = [("CSV", f"{stem}.csv", exporter.to_csv(rows), "text/csv"),
             ("JSON", f"{stem}.json", exporter.to_json(batch, rows), "application/json"),
             ("Markdown", f"{stem}.md", exporter.to_markdown(batch, rows), "text/markdown")]
    for col, (fmt, name, data, mime) in zip(cols, files, strict=False):
        col.download_button(f"{fmt} ({len(rows)})", data, file_name=name, mime=mime, key=f"copy_dl_{fmt}_{batch.batch_id}",
                            on_click=_on_export, args=(batch, fmt, name, data, len(rows)), icon=":material/download:")
    if batch.request.channel == "email_body":
        subject = cols[3].text_input("Subject line for the HTML email", key=f"copy_subject_{batch.batch_id}")
        try:
            page = exporter.to_html_email(batch, subject=subject)
        except StudioError as exc:
            show_error(exc, "HTML email")
        else:
            cols[3].download_button("HTML email", page, file_name=f"{stem}.html", mime="text/html",
                                    key=f"copy_dl_html_{batch.batch_id}", icon=":material/mail:",
                                    on_click=_on_export, args=(batch, "HTML", f"{stem}.html", page, 1))
            with st.expander("Preview the HTML email"):
                st.html(page)
    err = st.session_state.pop("copy_export_error", None)
    if err:
        st.warning(f"The download worked but the export was not recorded: {err}")
    st.caption(f"{len(rows)} approved variant(s). Exports are also written to `{get_settings().exports_dir}` and "
               "logged in the batch's audit trail.")


def rules_reference() -> None:
    """The rule file, readable by the analyst."""
    engine = get_engine()
    with st.expander(f"Compliance rules in force ({len(engine.rules)} rules, version {engine.version})"):
        st.dataframe(pd.DataFrame([{"id": r.id, "rule": r.title, "action": r.action.replace("_", " "),
                                    "products": ", ".join(r.products),
                                    "channels": ", ".join(r.channels) if r.channels else "all",
                                    "source": r.source} for r in engine.rules]), hide_index=True, width="stretch")
        st.caption("Edit `assets/copy/rules.json` to change them; numbers in copy must come from "
                   "`assets/copy/products.json`. Not legal advice.")
