"""Review of a batch: edits re-checked by the engine, approvals under the four-eyes rule, bulk actions.

- Only a signed-in reviewer who neither generated nor edited a variant may approve it
  (:func:`core.auth.check_four_eyes`); in single-user local mode nobody can, by design.
- A ``block`` outcome cannot be approved; a ``review`` outcome needs the reviewer's sign-off note
  on its findings; a ``pass`` outcome still needs the reviewer's approval before export.
- Every edit, approval, rejection and reset records the user.
"""

from __future__ import annotations

from core.auth import PermissionDenied, Role, User, check_four_eyes, require
from core.copy.batch import STATUSES, CopyBatch, Variant, now, user_record
from core.copy.engine import RuleEngine, get_engine
from core.copy.ranking import score_variant
from core.errors import InputError


def edit_variant(batch: CopyBatch, variant_id: str, new_text: str, user: User, engine: RuleEngine | None = None) -> Variant:
    """Replace a variant's copy with an edit and re-run the engine on it.

    The variant goes back to pending and its editor can no longer approve it; if the edit breaks a
    rule it stays visible but cannot be approved.
    """
    engine = engine or get_engine()
    v = batch.variant(variant_id)
    if new_text.strip() == v.body.strip():
        return v
    verdict = engine.check(new_text, batch.product, batch.request.channel, batch.request.language)
    chan = engine.catalogue.channel(batch.request.channel)
    v.edits.append({"at": now(), "before": v.body, "after": verdict.body, "typed": new_text,
                    "user_id": user.id, "user": user.name, "outcome": verdict.outcome})
    v.body, v.final_text = verdict.body, verdict.final_text
    v.disclosures = [d.to_dict() for d in verdict.disclosures]
    v.findings = [f.to_dict() for f in verdict.findings]
    v.passed, v.outcome = verdict.passed, verdict.outcome
    v.length, v.budget, v.unit = verdict.length, verdict.budget, verdict.unit
    v.segments, v.encoding = verdict.segments, verdict.encoding
    v.score, v.score_parts = score_variant(verdict, batch.product, batch.request.channel, batch.request.language, chan)
    v.status, v.reviewer, v.signoff = "pending", {}, ""
    if user.id not in v.editor_ids:
        v.editor_ids.append(user.id)
    batch.log("edited", variant_id, f"outcome {verdict.outcome}" + (
        ": " + ", ".join(f.rule_id for f in verdict.blocking + verdict.reviewing)
        if verdict.outcome != "pass" else ""), user)
    return v


def set_status(batch: CopyBatch, variant_id: str, status: str, user: User, signoff: str = "") -> Variant:
    """Approve, reject or reset a variant as ``user``.

    Raises:
        PermissionDenied: the user is not a reviewer, or wrote or edited the variant (four-eyes).
        InputError: the variant is blocked, or needs review and no sign-off note was given.
    """
    if status not in STATUSES:
        raise InputError(f"Unknown review status '{status}'.")
    v = batch.variant(variant_id)
    if status == "approved":
        check_four_eyes(v.authors, user)
        if not v.passed:
            raise InputError(f"Variant {variant_id} is blocked by the compliance rules, so it cannot be approved.",
                             "Edit it until nothing blocks it, or reject it.")
        if v.outcome == "review" and not signoff.strip():
            raise InputError(f"Variant {variant_id} needs compliance review: approve it with a sign-off note on "
                             "its findings.", "Read the findings, then say why the copy may be sent.")
        v.signoff = signoff.strip() if v.outcome == "review" else ""
    else:
        require(user, Role.REVIEWER if status == "rejected" else Role.ANALYST, f"mark copy {status}")
        v.signoff = ""
    v.status = status
    v.reviewer = {**user_record(user), "at": now()} if status != "pending" else {}
    batch.log(status if status != "pending" else "reset", variant_id, v.signoff, user)
    return v


def bulk_set_status(batch: CopyBatch, variant_ids: list[str], status: str, user: User,
                    signoff: str = "") -> dict[str, list[str]]:
    """Set many variants at once; returns which changed and, per reason, which were skipped."""
    done: list[str] = []
    skipped: dict[str, list[str]] = {}
    for vid in variant_ids:
        try:
            set_status(batch, vid, status, user, signoff)
        except (PermissionDenied, InputError) as exc:
            skipped.setdefault(exc.message, []).append(vid)
        else:
            done.append(vid)
    return {"done": done, **{f"skipped: {k}": ids for k, ids in skipped.items()}}
