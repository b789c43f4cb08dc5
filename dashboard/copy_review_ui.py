"""Review of a copy batch: verdict filter, bulk approve/reject with sign-off, variant cards, audit view, exports.

Approvals follow the four-eyes rule (:func:`core.copy.review.set_status`): the signed-in reviewer
must not have written or edited the variant; a "review" verdict needs a sign-off note. In
single-user local mode nobody can approve, so the tab says why and exports labelled drafts instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from core.copy import export as exporter
from core.copy.audit import service as audit
from core.copy.batch import CopyBatch, Variant
from core.copy.review import bulk_set_status, edit_variant, set_status
from core.errors import StudioError
from core.formatting import count, plain
from core.settings import get_settings
from dashboard.copy_ui import current_user, save
from dashboard.shell import show_error

VERDICT_BADGE = {"pass": ":green-badge[:material/verified: pass]",
                 "review": ":orange-badge[:material/rate_review: needs review]",
                 "block": ":red-badge[:material/block: blocked]"}
STATUS_BADGE = {"approved": ":blue-badge[approved]", "rejected": ":gray-badge[rejected]", "pending": ":gray-badge[pending]"}
PAGE_SIZE = 10
LOCAL_MODE_WHY = ("This studio runs in single-user local mode: everyone here is the one local user, who also wrote "
                  "this copy. Four-eyes review needs a reviewer who neither wrote nor edited a variant, so approval "
                  "needs sign-in with two different users (see 'Deploying for a team' in the README). Until then "
                  "you can export only drafts labelled 'unapproved draft \u2014 not reviewed'.")


def local_mode_notice() -> None:
    """Why nothing can be approved here, shown on the review tab in single-user local mode."""
    if current_user().local:
        st.warning(LOCAL_MODE_WHY, icon=":material/lock_person:")


def _length_badge(v: Variant) -> str:
    if v.segments is not None:
        color = "green" if v.segments == 1 else "orange" if v.passed else "red"
        return (f":{color}-badge[{v.segments} {v.encoding} segment{'s' if v.segments != 1 else ''} · "
                f"{v.length} / {v.budget} units]")
    color = "green" if v.length <= v.budget else "red"
    return f":{color}-badge[{v.length} / {v.budget} chars]"


def _findings_table(v: Variant) -> pd.DataFrame:
    return pd.DataFrame([{"rule": f["rule_id"], "action": f["action"].replace("_", " "), "claim": f.get("claim", ""),
                          "matched": f["matched"], "why": f["reason"], "detail": f["detail"],
                          "source": f["source"]} for f in v.findings])


def _written_by(batch: CopyBatch, v: Variant) -> str:
    """'model' or 'templates' where a model batch was topped up from the templates; "" otherwise."""
    if batch.backend.get("backend") == "template" or all(x.backend == v.backend for x in batch.variants):
        return ""
    return "templates" if v.backend == "template" else "model"


def _overview(batch: CopyBatch, variants: list[Variant]) -> pd.DataFrame:
    mixed = any(_written_by(batch, v) for v in variants)
    return pd.DataFrame([{"select": False, "id": v.id, "verdict": v.outcome, "status": v.status,
                          "score": round(v.score, 2), "copy": v.body,
                          **({"written by": _written_by(batch, v)} if mixed else {}),
                          "reviewer": v.reviewer.get("name", "")} for v in variants])


def bulk_actions(batch: CopyBatch) -> list[Variant]:
    """The verdict filter, the selectable overview and the bulk buttons; returns the filtered variants."""
    c1, c2 = st.columns([2, 3])
    verdict = c1.segmented_control("Show", ["all", "pass", "review", "block"], default="all", key="copy_filter") or "all"
    shown = batch.by_outcome(verdict)
    counts = {o: len(batch.by_outcome(o)) for o in ("pass", "review", "block")}
    c2.caption(f"{count(len(batch.variants))} variant{'' if len(batch.variants) == 1 else 's'}: {counts['pass']} pass, "
               f"{counts['review']} need{'s' if counts['review'] == 1 else ''} review, "
               f"{counts['block']} blocked (after edits). Signed in as {plain(current_user().label)}.")
    if not shown:
        st.info("No variant has this verdict.", icon=":material/filter_alt:")
        return shown
    frame = _overview(batch, shown)
    edited = st.data_editor(frame, hide_index=True, width="stretch", key=f"copy_pick_{batch.batch_id}",
                            disabled=[c for c in frame.columns if c != "select"],
                            column_config={"select": st.column_config.CheckboxColumn("select", width="small"),
                                           "copy": st.column_config.TextColumn("copy", width="large")})
    picked = [str(i) for i in edited.loc[edited["select"], "id"]] if len(edited) else []
    b1, b2, b3, b4 = st.columns([1, 1, 1, 3])
    note = b4.text_input("Sign-off note (needed to approve 'needs review' variants)", key=f"copy_signoff_{batch.batch_id}",
                         placeholder="Checked the flagged claims against the terms: accurate and not misleading.")
    targets = picked or [v.id for v in shown]
    label = f"{len(picked)} selected" if picked else f"all {len(shown)} shown"
    for col, status, icon in ((b1, "approved", ":material/done_all:"), (b2, "rejected", ":material/close:"),
                              (b3, "pending", ":material/undo:")):
        verb = {"approved": "Approve", "rejected": "Reject", "pending": "Reset"}[status]
        if col.button(f"{verb} {label}", key=f"copy_bulk_{status}_{batch.batch_id}", icon=icon,
                      disabled=status == "approved" and current_user().local,
                      help="Needs sign-in with two different users (four-eyes)." if current_user().local else None):
            result = bulk_set_status(batch, targets, status, current_user(), note)
            save(batch)
            st.session_state["copy_bulk_result"] = result
            st.rerun()
    result = st.session_state.pop("copy_bulk_result", None)
    if result:
        if result["done"]:
            st.success(f"{len(result['done'])} variant(s) updated.", icon=":material/task_alt:")
        for why, ids in result.items():
            if why != "done" and ids:
                st.warning(plain(f"{len(ids)} skipped ({', '.join(ids[:8])}): {why.removeprefix('skipped: ')}"))
    return shown


def variant_card(batch: CopyBatch, v: Variant) -> None:
    with st.container(border=True):
        who = f" · reviewed by {plain(v.reviewer.get('name', ''))}" if v.reviewer else ""
        who += " · from the templates" if _written_by(batch, v) == "templates" else ""
        st.markdown(f"**{v.id}** {VERDICT_BADGE[v.outcome]} {_length_badge(v)} {STATUS_BADGE.get(v.status, '')} · "
                    f"score {v.score:.2f}{who}")
        st.text(v.final_text)
        flagged = [f for f in v.findings if f["action"] in ("block", "review")]
        if flagged:
            st.caption(plain(" · ".join(f"{f['rule_id']} {f['title']}" + (f": \u201c{f['claim']}\u201d" if f.get("claim")
                                                                             else "") for f in flagged)))
        with st.expander("Why: rules, plan, edits, raw output"):
            if v.findings:
                st.dataframe(_findings_table(v), hide_index=True, width="stretch")
            if v.plan:
                st.text(f"Plan: say {v.plan.get('claims')}; speak to {v.plan.get('trait') or 'the segment'}")
            st.text(f"Raw output: {v.raw!r}")
            if v.auto_fixes:
                st.text("Auto-fixes: " + "; ".join(v.auto_fixes))
            for e in v.edits:
                st.text(f"Edited {e['at']} by {e.get('user', '')}: {e['before']!r} -> {e['after']!r}")
        edited = st.text_area("Edit the copy (disclosures are added by the rules)", v.body,
                              key=f"copy_edit_{batch.batch_id}_{v.id}", label_visibility="collapsed",
                              height=68 if batch.request.channel != "email_body" else 160)
        b1, b2, b3, _ = st.columns([1, 1, 1, 3])
        user = current_user()
        if b1.button("Save edit", key=f"copy_save_{batch.batch_id}_{v.id}", icon=":material/save:",
                     disabled=edited.strip() == v.body.strip()):
            edit_variant(batch, v.id, edited, user)
            save(batch)
            st.rerun()
        for col, status, icon in ((b2, "approved", ":material/check:"), (b3, "rejected", ":material/close:")):
            verb = {"approved": "Approve", "rejected": "Reject"}[status]
            blocked = status == "approved" and (not v.passed or user.local)
            if col.button(verb, key=f"copy_{status}_{batch.batch_id}_{v.id}", icon=icon,
                          disabled=v.status == status or blocked,
                          help="Needs sign-in with two different users (four-eyes)." if user.local else None):
                try:
                    set_status(batch, v.id, status, user,
                               st.session_state.get(f"copy_signoff_{batch.batch_id}", ""))
                except StudioError as exc:
                    show_error(exc)
                else:
                    save(batch)
                    st.rerun()


def review(batch: CopyBatch) -> None:
    st.subheader("Review")
    local_mode_notice()
    if not batch.variants:
        st.error("No candidate passed the rules and the usability check. The set-aside candidates below say why.",
                 icon=":material/block:")
    shown = bulk_actions(batch) if batch.variants else []
    pages = max(1, (len(shown) + PAGE_SIZE - 1) // PAGE_SIZE)
    page = st.number_input("Page", 1, pages, 1, key=f"copy_page_{batch.batch_id}") if pages > 1 else 1
    for v in shown[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]:
        variant_card(batch, v)
    if batch.blocked:
        with st.expander(f"Set-aside candidates ({len(batch.blocked)}): blocked or unusable, never exported"):
            rows = [{"candidate": v.candidate_index, "copy": v.body or v.raw, "verdict": v.outcome,
                     "why": "; ".join([f"{f['rule_id']}: {f['title']}" for f in v.findings if f["action"] == "block"]
                                      + list(v.usability.get("reasons", [])))} for v in batch.blocked[:200]]
            st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def audit_view(batch: CopyBatch) -> None:
    st.subheader("Audit trail")
    st.caption("Who did what, when: generation, edits, approvals with sign-off notes, rejections and exports.")
    frame = audit.audit_frame(batch)
    st.dataframe(frame.rename(columns={"at": "when (UTC)", "user_id": "user id", "variant_id": "variant"}),
                 hide_index=True, width="stretch")
    decided = [{"variant": v.id, "verdict": v.outcome, "status": v.status, "author": batch.author.get("name", ""),
                "edited by": ", ".join(v.editor_ids), "reviewer": v.reviewer.get("name", ""),
                "reviewed at": v.reviewer.get("at", ""), "sign-off": v.signoff} for v in batch.variants
               if v.status != "pending" or v.editor_ids]
    if decided:
        st.dataframe(pd.DataFrame(decided), hide_index=True, width="stretch")


def _on_export(batch: CopyBatch, fmt: str, name: str, data: bytes | str, n_rows: int) -> None:
    try:
        path = exporter.write_export(get_settings().exports_dir, name, data)
        audit.record_export(batch, fmt, path, n_rows, current_user())
    except (StudioError, OSError) as exc:  # the download itself already happened
        st.session_state["copy_export_error"] = str(exc)


def _downloads(batch: CopyBatch, rows: list[dict], cols: Sequence[Any], draft: bool) -> None:
    stem = exporter.file_stem(batch, draft)
    what = "draft" if draft else ""
    files: list[tuple[str, str, bytes | str, str]] = [("CSV", f"{stem}.csv", exporter.to_csv(rows), "text/csv"),
             ("JSON", f"{stem}.json", exporter.to_json(batch, rows), "application/json"),
             ("Markdown", f"{stem}.md", exporter.to_markdown(batch, rows), "text/markdown")]
    for col, (fmt, name, data, mime) in zip(cols, files, strict=False):
        col.download_button(f"{fmt} {what} ({len(rows)})".replace("  ", " "), data, file_name=name, mime=mime,
                            key=f"copy_dl_{fmt}_{'draft_' if draft else ''}{batch.batch_id}", on_click=_on_export,
                            args=(batch, f"{fmt} {what}".strip(), name, data, len(rows)), icon=":material/download:")


def draft_exports(batch: CopyBatch) -> None:
    """Single-user local mode: drafts of the 'pass' variants, labelled unapproved in the file and here."""
    st.subheader("Export an unapproved draft")
    st.error(f"{exporter.DRAFT_LABEL}. {exporter.DRAFT_WHY}", icon=":material/draft:")
    try:
        rows = exporter.draft_rows(batch, current_user())
    except StudioError as exc:
        show_error(exc, "No draft")
        return
    _downloads(batch, rows, st.columns(4), draft=True)
    st.caption(f"{len(rows)} variant(s) with the verdict 'pass' that nobody rejected. Every row and every file is "
               "marked as an unapproved draft; 'needs review' and blocked variants are left out, and there is no "
               "HTML email of a draft.")


def exports(batch: CopyBatch) -> None:
    approved = batch.approved()
    if current_user().local and not approved:
        draft_exports(batch)
        return
    st.subheader("Export approved copy")
    if not approved:
        st.info("A reviewer must approve variants before they can be exported (four-eyes: not their author). "
                "'Needs review' variants also need the reviewer's sign-off note.", icon=":material/task_alt:")
        return
    try:
        rows = exporter.export_rows(batch)
    except StudioError as exc:
        show_error(exc, "Export refused")
        return
    stem = exporter.file_stem(batch, draft=False)
    cols = st.columns(4)
    _downloads(batch, rows, cols, draft=False)
    if batch.request.channel == "email_body":
        subject = cols[3].text_input("Subject line for the HTML email", key=f"copy_subject_{batch.batch_id}")
        which = cols[3].selectbox("Variants in the email", ["all approved", *[v.id for v in approved]],
                                  key=f"copy_email_pick_{batch.batch_id}")
        try:
            page = exporter.to_html_email(batch, None if which == "all approved" else which, subject=subject)
        except StudioError as exc:
            show_error(exc, "HTML email")
        else:
            n = len(approved) if which == "all approved" else 1
            cols[3].download_button(f"HTML email ({n})", page, file_name=f"{stem}.html", mime="text/html",
                                    key=f"copy_dl_html_{batch.batch_id}", icon=":material/mail:",
                                    on_click=_on_export, args=(batch, "HTML", f"{stem}.html", page, n))
            with st.expander("Preview the HTML email"):
                st.html(page)
    err = st.session_state.pop("copy_export_error", None)
    if err:
        st.warning(plain(f"The download worked but the export was not recorded: {err}"))
    st.caption(f"{len(rows)} approved variant(s). Exports are also written to the workspace's exports folder and "
               "logged in the batch's audit trail with your name.")
