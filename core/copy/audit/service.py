"""The audit trail: each copy batch is a run in the workspace.

The run records the request, backend and model fingerprint, seed, rule findings, edits, approvals
and exports, so any exported line can be traced back to how it was made.

The run (kind ``copy_batch``) holds the request and a summary; its tables hold every kept variant
(``variants``), every blocked candidate with its reasons (``blocked``) and the review events
(``events``: generated, edited, approved, rejected, exported). Saving again after a review replaces
the tables in one transaction.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from core.auth import User
from core.copy.batch import CopyBatch, Variant
from core.workspace import Workspace, get_workspace

RUN_KIND = "copy_batch"
EVENT_COLUMNS = ("at", "action", "variant_id", "detail", "user_id", "user", "email")


def _frame(variants: list[Variant]) -> pd.DataFrame:
    rows = []
    for v in variants:
        rows.append({
            "variant_id": v.id, "candidate_index": v.candidate_index, "status": v.status, "passed": v.passed,
            "body": v.body, "final_text": v.final_text, "raw": v.raw, "length": v.length, "budget": v.budget,
            "unit": v.unit, "sms_segments": v.segments, "sms_encoding": v.encoding, "score": v.score,
            "backend": v.backend, "tokens": v.tokens, "seconds": v.seconds, "raw_passed": v.raw_passed,
            "findings_json": json.dumps(v.findings, ensure_ascii=False),
            "disclosures_json": json.dumps(v.disclosures, ensure_ascii=False),
            "auto_fixes_json": json.dumps(v.auto_fixes, ensure_ascii=False),
            "edits_json": json.dumps(v.edits, ensure_ascii=False), "outcome": v.outcome,
            "author_id": v.author_id, "reviewer_id": v.reviewer.get("id", ""), "reviewer": v.reviewer.get("name", ""),
            "reviewed_at": v.reviewer.get("at", ""), "signoff": v.signoff,
        })
    cols = ["variant_id", "candidate_index", "status", "passed", "body", "final_text", "raw", "length", "budget",
            "unit", "sms_segments", "sms_encoding", "score", "backend", "tokens", "seconds", "raw_passed",
            "findings_json", "disclosures_json", "auto_fixes_json", "edits_json", "outcome", "author_id", "reviewer_id",
            "reviewer", "reviewed_at", "signoff"]
    frame = pd.DataFrame(rows, columns=cols)
    return frame.astype({"sms_segments": "Int64"}) if not frame.empty else frame.astype(str)


def _events(batch: CopyBatch) -> pd.DataFrame:
    return pd.DataFrame(batch.events, columns=list(EVENT_COLUMNS)).astype(str)


def _summary(batch: CopyBatch) -> dict:
    counts = {s: sum(1 for v in batch.variants if v.status == s) for s in ("pending", "approved", "rejected")}
    return {"batch_id": batch.batch_id, "product": batch.product.id, "channel": batch.request.channel,
            "segment": batch.request.segment.name if batch.request.segment else "", "backend": batch.backend,
            "rules_version": batch.rules_version, "catalogue_fingerprint": batch.catalogue_fingerprint,
            "notes": batch.notes, "stats": batch.stats, "review": counts, "created_at": batch.created_at}


def save_batch(batch: CopyBatch, workspace: Workspace | None = None, user: User | None = None) -> str:
    """Record a new batch (or update it if it was saved before); returns the run id."""
    ws = workspace or get_workspace()
    tables = {"variants": _frame(batch.variants), "blocked": _frame(batch.blocked), "events": _events(batch)}
    if batch.run_id:
        ws.update_run(batch.run_id, result=_summary(batch), tables=tables, status="saved")
        return batch.run_id
    req = batch.request
    batch.run_id = ws.log_run(
        RUN_KIND, name=f"{batch.product.label()} · {req.channel} · {req.segment.name if req.segment else ''}",
        params={**req.to_dict(), "backend": batch.backend}, seed=req.seed,
        dataset_fingerprint=(req.segment.source_run_id if req.segment else None),
        model_fingerprint=str(batch.backend.get("fingerprint")), status="done", result=_summary(batch),
        tables=tables, user=user.id if user is not None else batch.author.get("id", ""),
    )
    return batch.run_id


def record_export(batch: CopyBatch, fmt: str, path: Path | None, n_rows: int, user: User,
                  workspace: Workspace | None = None) -> str:
    """Log an export (who, what, where) in the batch's events and save the batch."""
    batch.log("exported", detail=f"{fmt}: {n_rows} variant(s)" + (f" -> {path}" if path else ""), user=user)
    return save_batch(batch, workspace)


def load_batch_tables(run_id: str, workspace: Workspace | None = None) -> dict[str, pd.DataFrame]:
    """The stored tables of a batch run (for review or reporting)."""
    ws = workspace or get_workspace()
    return {name: ws.run_table(run_id, name) for name in ws.run_table_names(run_id)}


def audit_frame(batch: CopyBatch) -> pd.DataFrame:
    """Who did what when, newest first (the page's audit view)."""
    frame = _events(batch)
    return frame.iloc[::-1].reset_index(drop=True)
