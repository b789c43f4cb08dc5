"""Exports of approved copy: CSV, JSON, Markdown and a rendered HTML email; and labelled drafts.

Only variants a reviewer approved are exported ("review" outcomes only with the reviewer's
sign-off), and each is run through the rule engine once more at export time: if any no longer
gives the same outcome and text (the rules file changed, say), the export is refused. The CSV goes
through :func:`core.export.csv_bytes` (formula injection neutralised, UTF-8 with BOM); the HTML
email through :func:`core.templates.render_html` (autoescaped), with every approved email body or
the one chosen.

In single-user local mode nobody can approve (four-eyes needs a second, signed-in user), so the
analyst may export **drafts** instead (:func:`draft_rows`): only variants whose verdict is
``pass`` and that nobody rejected, each re-checked, every row and every file marked
:data:`DRAFT_LABEL`, and never as an HTML email (a draft must not look ready to send).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from core.auth import Role, User, require
from core.copy.batch import CopyBatch, Variant
from core.copy.catalogue import get_catalogue
from core.copy.engine import RuleEngine, get_engine
from core.errors import InputError
from core.export import csv_bytes
from core.templates import render_html

DRAFT_LABEL = "UNAPPROVED DRAFT — NOT REVIEWED"
DRAFT_WHY = ("Nobody has reviewed this copy. Four-eyes approval needs sign-in with two different users: the author "
             "and a reviewer who neither wrote nor edited it. Do not send it.")

COLUMNS = [
    "approval", "batch_id", "variant_id", "product_id", "product", "segment", "channel", "tone", "language", "copy", "body",
    "disclosures", "rules_applied", "length", "budget", "unit", "sms_segments", "sms_encoding", "score",
    "backend", "model_fingerprint", "seed", "status", "outcome", "edited", "author", "reviewer", "reviewed_at",
    "signoff", "rules_version", "created_at",
]


class ExportError(InputError):
    """Nothing can be exported as asked."""


def _recheck(batch: CopyBatch, v: Variant, engine: RuleEngine) -> None:
    verdict = engine.check(v.body, batch.product, batch.request.channel, batch.request.language)
    if not verdict.passed or verdict.final_text != v.final_text or verdict.outcome != v.outcome:
        reasons = ", ".join(f.rule_id for f in verdict.blocking) or "its disclosures changed"
        raise ExportError(f"Variant {v.id} no longer passes the compliance rules ({reasons}); nothing was exported.",
                          "Edit and re-approve it, or reject it.")


def _row(batch: CopyBatch, v: Variant, approval: str) -> dict:
    req = batch.request
    return {
        "approval": approval, "batch_id": batch.batch_id, "variant_id": v.id, "product_id": batch.product.id,
        "product": batch.product.label(req.language), "segment": req.segment.name if req.segment else "",
        "channel": req.channel, "tone": req.tone, "language": req.language, "copy": v.final_text, "body": v.body,
        "disclosures": " | ".join(d["text"] for d in v.disclosures),
        "rules_applied": ", ".join(dict.fromkeys(f["rule_id"] for f in v.findings)),
        "length": v.length, "budget": v.budget, "unit": v.unit, "sms_segments": v.segments,
        "sms_encoding": v.encoding, "score": v.score, "backend": batch.backend.get("backend"),
        "model_fingerprint": batch.backend.get("fingerprint"), "seed": req.seed, "status": v.status,
        "outcome": v.outcome, "edited": bool(v.edits), "author": batch.author.get("name", ""),
        "reviewer": v.reviewer.get("name", ""), "reviewed_at": v.reviewer.get("at", ""), "signoff": v.signoff,
        "rules_version": batch.rules_version, "created_at": batch.created_at,
    }


def export_rows(batch: CopyBatch, engine: RuleEngine | None = None) -> list[dict]:
    """One row per approved variant, each re-checked by the engine."""
    engine = engine or get_engine()
    approved = batch.approved()
    if not approved:
        raise ExportError("No variant is approved yet.", "Approve the variants you want to export.")
    rows = []
    for v in approved:
        _recheck(batch, v, engine)
        rows.append(_row(batch, v, "approved"))
    return rows


def draftable(batch: CopyBatch) -> list[Variant]:
    """Variants a draft may hold: verdict ``pass`` (nothing blocks, nothing needs review) and not rejected."""
    return [v for v in batch.variants if v.passed and v.outcome == "pass" and v.status != "rejected"]


def draft_rows(batch: CopyBatch, user: User, engine: RuleEngine | None = None) -> list[dict]:
    """Rows of an unapproved draft: every ``pass`` variant nobody rejected, re-checked, marked :data:`DRAFT_LABEL`.

    Raises:
        PermissionDenied: the user is not an analyst.
        ExportError: no variant passes the rules, or one no longer does.
    """
    require(user, Role.ANALYST, "export draft copy")
    engine = engine or get_engine()
    variants = draftable(batch)
    if not variants:
        raise ExportError("No variant passes the rules outright, so there is no draft to export.",
                          "'Needs review' and blocked variants are never exported without a reviewer's sign-off.")
    rows = []
    for v in variants:
        _recheck(batch, v, engine)
        rows.append(_row(batch, v, DRAFT_LABEL if v.status != "approved" or not v.reviewer else "approved"))
    return rows


def is_draft(rows: list[dict]) -> bool:
    return any(r["approval"] != "approved" for r in rows)


def file_stem(batch: CopyBatch, draft: bool) -> str:
    """The export file name without its suffix; drafts say so in the name."""
    return f"copy_{batch.batch_id}" + ("_UNAPPROVED_DRAFT" if draft else "")


def to_csv(rows: list[dict]) -> bytes:
    """The rows as CSV through the one CSV writer (formula injection neutralised, UTF-8 with BOM)."""
    return csv_bytes(pd.DataFrame(rows, columns=COLUMNS), pseudonymise=False)


def batch_meta(batch: CopyBatch) -> dict:
    return {"batch_id": batch.batch_id, "run_id": batch.run_id, "created_at": batch.created_at,
            "request": batch.request.to_dict(), "backend": batch.backend, "rules_version": batch.rules_version,
            "catalogue_fingerprint": batch.catalogue_fingerprint, "notes": batch.notes, "stats": batch.stats}


def to_json(batch: CopyBatch, rows: list[dict]) -> bytes:
    by_id = {v.id: v for v in batch.variants}
    variants = []
    for r in rows:
        v = by_id[r["variant_id"]]
        variants.append({**r, "findings": v.findings, "disclosure_items": v.disclosures, "edits": v.edits,
                         "score_parts": v.score_parts, "raw": v.raw})
    head = {"approval": DRAFT_LABEL, "why": DRAFT_WHY} if is_draft(rows) else {"approval": "approved"}
    return json.dumps({**head, "batch": batch_meta(batch), "variants": variants, "events": batch.events},
                      ensure_ascii=False, indent=2, default=str).encode("utf-8")


def _md_escape(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", "<br>")


def to_markdown(batch: CopyBatch, rows: list[dict]) -> str:
    req = batch.request
    cat = get_catalogue()
    channel = (cat.channels.get(req.channel) or {}).get("label", {}).get("en", req.channel)
    tone = (cat.tones.get(req.tone) or {}).get("en", req.tone)
    language = cat.languages.get(req.language, req.language)
    draft = is_draft(rows)
    title = f"{DRAFT_LABEL}: copy" if draft else "Approved copy"
    lines = [f"# {title}: {batch.product.label(req.language)} · {channel} · {req.segment.name if req.segment else ''}",
             *(["", f"**{DRAFT_LABEL}.** {DRAFT_WHY}"] if draft else []),
             "", f"Batch `{batch.batch_id}` · backend {batch.backend.get('label')} (`{batch.backend.get('fingerprint')}`) · "
             f"seed {req.seed} · tone {tone} · language {language} · rules {batch.rules_version}", ""]
    by_id = {v.id: v for v in batch.variants}
    for r in rows:
        v = by_id[r["variant_id"]]
        lines += [f"## {r['variant_id']}" + (f" ({DRAFT_LABEL.lower()})" if r["approval"] != "approved" else ""), "", "```text", r["copy"], "```", "",
                  f"Length {r['length']} / {r['budget']} {r['unit']}"
                  + (f" · {r['sms_segments']} {r['sms_encoding']} segment(s)" if r["sms_segments"] else ""), "",
                  "| rule | action | why | source |", "|---|---|---|---|"]
        for f in v.findings:
            lines.append(f"| {f['rule_id']} | {f['action']} | {_md_escape(f['reason'])} | {_md_escape(f['source'])} |")
        lines.append("")
    return "\n".join(lines)


def to_html_email(batch: CopyBatch, variant_id: str | None = None, subject: str = "",
                  engine: RuleEngine | None = None) -> str:
    """Approved email-body variants (all, or the one chosen) as an HTML email, autoescaped."""
    if batch.request.channel != "email_body":
        raise ExportError("An HTML email can only be made from email-body copy.",
                          "Generate for the 'Email body' channel, or export CSV, JSON or Markdown.")
    engine = engine or get_engine()
    approved = batch.approved()
    if variant_id is not None:
        approved = [v for v in approved if v.id == variant_id]
    if not approved:
        raise ExportError("No approved email body to render.", "Approve a variant first.")
    for v in approved:
        _recheck(batch, v, engine)
    if subject:
        verdict = engine.check(subject, batch.product, "email_subject", batch.request.language)
        if verdict.outcome != "pass":
            raise ExportError("The subject line does not pass the rules: "
                              + "; ".join(f"{f.rule_id} {f.reason}" for f in verdict.blocking + verdict.reviewing),
                              "Change the subject line.")
        subject = verdict.final_text
    emails = [{"variant_id": v.id, "paragraphs": [p.strip() for p in v.body.split("\n") if p.strip()],
               "disclosures": [d["text"] for d in v.disclosures]} for v in approved]
    return render_html("copy/email.html.j2", subject=subject or batch.product.label(batch.request.language),
                       emails=emails, bank=engine.catalogue.bank, product=batch.product,
                       language=batch.request.language, batch_id=batch.batch_id, terms_url=batch.product.terms_url)


def write_export(folder: Path, name: str, data: bytes | str) -> Path:
    """Write an export file atomically into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    tmp.replace(path)
    return path
