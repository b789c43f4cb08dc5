"""Orchestration: a request in, a ranked batch of compliant, usable, distinct variants out.

1. Validate the request and pick a backend that can serve it (templates when the model cannot load,
   cannot write the language, or its endpoint fails).
2. **Plan** (:mod:`core.copy.plan`): choose the grounded claims and the segment trait each candidate
   will carry, from the catalogue and the segment brief.
3. **Write**: the backend phrases each plan in the chosen tone (streamed to the caller).
4. Post-process each candidate, run the rule engine on it (one batched meaning step for all), and
   when only the length budget objects, drop trailing sentences until it fits.
5. **Usability** (:mod:`core.copy.usability`): reject first-person, off-product, incoherent and
   trait-blind candidates before ranking.
6. Rank what is left (compliance, sense, length fit, readability, past campaign winners), drop
   near-duplicates and keep the best ``n``. Blocked and unusable candidates are kept aside with
   their reasons.

Review (edits, four-eyes approvals, bulk actions) lives in :mod:`core.copy.review`.
"""

from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.briefs import SegmentBrief
from core.copy.approved import CORPUS, ApprovedCopy, get_approved
from core.copy.backends.base import Backend, Candidate, StopCheck, StreamCallback
from core.copy.backends.factory import make_backend
from core.copy.batch import CopyBatch, CopyRequest, Variant, user_record
from core.copy.catalogue import LANGUAGES, Catalogue, Product, get_catalogue
from core.copy.engine import RuleEngine, get_engine
from core.copy.plan import Plan, make_plans
from core.copy.postprocess import check_with_fixes, postprocess
from core.copy.prompts import clean_segment, render_prompt, segment_text
from core.copy.ranking import dedupe, distinct_n, score_variant
from core.copy.usability import assess
from core.errors import InputError, StudioError
from core.progress import Progress

if TYPE_CHECKING:
    from core.auth import User

MAX_VARIANTS = 500  # hard ceiling of one request, whatever the backend
PLAN_GROUPS = 3  # a model batch is written from this many plans (each a prompt of its own)

__all__ = ["MAX_VARIANTS", "CopyBatch", "CopyRequest", "Variant", "generate_copy", "make_backend",
           "validate_request"]


def _oversample(n: int, backend: Backend) -> int:
    if backend.name == "template":
        return min(max(n * 3, n + 10), 3 * MAX_VARIANTS)
    if backend.approved_check:  # about one in seven of the embedded model's candidates reads as the team's copy
        return n * 3 + 2
    return n + max(2, math.ceil(n / 2))


def validate_request(request: CopyRequest, catalogue: Catalogue) -> tuple[Product, SegmentBrief, list[str], int]:
    """Check a request; returns the product, the cleaned segment, notes and the bounded count."""
    product = catalogue.product(request.product_id)
    catalogue.channel(request.channel)
    if request.tone not in catalogue.tones:
        raise InputError(f"'{request.tone}' is not a tone.", f"Pick one of: {', '.join(catalogue.tones)}.")
    if request.language not in LANGUAGES or request.language not in catalogue.languages:
        raise InputError(f"Copy in '{request.language}' is not supported.",
                         "Choose English (en) or Simplified Chinese (zh).")
    segment, notes = clean_segment(request.segment)
    try:
        n = int(request.n)
    except (TypeError, ValueError):
        raise InputError("The number of variants must be a whole number.") from None
    if n < 1:
        raise InputError("Ask for at least one variant.")
    if n > MAX_VARIANTS:
        notes.append(f"{n:,} variants were requested; a batch holds at most {MAX_VARIANTS}, so {MAX_VARIANTS} are made.")
        n = MAX_VARIANTS
    return product, segment, notes, n


def _with_progress(stream: StreamCallback | None, progress: Progress | None, k: int) -> StreamCallback | None:
    """The stream callback, also reporting each candidate as it starts (writing is the first 60% of the bar)."""
    if progress is None:
        return stream
    started: set[int] = set()

    def relay(i: int, delta: str) -> None:
        if i not in started:
            started.add(i)
            progress(0.6 * (len(started) - 1) / max(k, 1), f"Writing candidate {len(started)} of {k}...")
        if stream is not None:
            stream(i, delta)

    return relay


def _write(backend: Backend, catalogue: Catalogue, product: Product, request: CopyRequest, segment: SegmentBrief,
           plans: list[Plan], k: int, max_new: int, stream: StreamCallback | None,
           should_stop: StopCheck | None) -> tuple[list[Candidate], list[Plan]]:
    """``k`` candidates and the plan each was written from."""
    theme = backend.bank.theme(segment_text(segment)) if backend.name == "template" else "general"  # type: ignore[attr-defined]
    if backend.name == "template":
        prompt = render_prompt(catalogue, product, request.channel, request.tone, request.language, segment,
                               theme=theme, seed=request.seed, plan=plans[0])
        prompt.context["plans"] = plans
        cands = backend.generate(prompt, k, request.seed, max_new, stream=stream, should_stop=should_stop)
        return cands, [plans[c.index % len(plans)] for c in cands]
    groups = plans[:max(1, min(PLAN_GROUPS, k // 2))]  # small batches stay one batched model call
    out: list[Candidate] = []
    used: list[Plan] = []
    per = [k // len(groups) + (1 if g < k % len(groups) else 0) for g in range(len(groups))]
    for g, (plan, m) in enumerate(zip(groups, per, strict=True)):
        if m == 0 or (should_stop is not None and should_stop()):
            continue
        prompt = render_prompt(catalogue, product, request.channel, request.tone, request.language, segment,
                               seed=request.seed + g, plan=plan, style=backend.prompt_style)
        base = len(out)

        def relay(i: int, delta: str, base: int = base) -> None:
            if stream:
                stream(base + i, delta)

        cands = backend.generate(prompt, m, request.seed + 1000 * g, max_new, stream=relay if stream else None,
                                 should_stop=should_stop)
        for c in cands:
            c.index = base + c.index
        out += cands
        used += [plan] * len(cands)
    return out, used


def generate_copy(
    request: CopyRequest,
    backend: Backend | None = None,
    *,
    engine: RuleEngine | None = None,
    catalogue: Catalogue | None = None,
    stream: StreamCallback | None = None,
    progress: Progress | None = None,
    should_stop: StopCheck | None = None,
    backend_notes: list[str] | None = None,
    user: User | None = None,
    winners: dict[str, float] | None = None,
) -> CopyBatch:
    """Plan, write, check, assess, dedupe and rank copy for ``request`` as ``user``.

    ``winners`` (variant text -> lift, from :mod:`core.copy.campaign`) raises candidates that
    resemble copy that won past campaigns for this product and channel.
    """
    from core.copy.backends.template import TemplateBackend

    catalogue = catalogue or get_catalogue()
    engine = engine or get_engine()
    product, segment, notes, n = validate_request(request, catalogue)
    notes = list(backend_notes or []) + notes
    if backend is None:
        backend, more = make_backend()
        notes += more
    if not backend.supports(request.language):
        lang = catalogue.languages.get(request.language, request.language)
        notes.append(f"The {backend.label} does not write {lang}; this batch comes from the template backend, "
                     f"which has {lang} templates.")
        backend = TemplateBackend()
    if n > backend.max_variants:
        notes.append(f"The {backend.label} makes at most {backend.max_variants} variants per batch; "
                     f"making {backend.max_variants} of the {n} asked for.")
        n = backend.max_variants
    chan = catalogue.channel(request.channel)
    encoder = engine.meaning.encoder if engine.meaning is not None else None
    approved = get_approved(catalogue) if backend.approved_check else None
    if approved is not None and request.language == "en" and not approved.lines.get(product.id):
        notes.append(f"The team's approved copy has no line for {product.label('en')} "
                     f"({CORPUS.relative_to(CORPUS.parents[3])}), so the {backend.label}'s candidates are held to its "
                     "catalogue entry alone and most are set aside: add approved lines for it to let the model write.")
    k = _oversample(n, backend)
    plans = make_plans(product, segment, request.channel, request.language, max(k, 1), request.seed, encoder)
    max_new = int(chan.get("max_new_tokens", 48))
    started = time.perf_counter()
    if progress:
        progress(0.0, f"Writing {k} candidates with the {backend.label}...")
    stream = _with_progress(stream, progress, k)
    try:
        candidates, used = _write(backend, catalogue, product, request, segment, plans, k, max_new, stream, should_stop)
    except StudioError as exc:
        if backend.name == "template":
            raise
        notes.append(f"The {backend.label} failed ({exc.message}); this batch comes from the template backend.")
        backend, approved = TemplateBackend(), None
        k = _oversample(n, backend)
        candidates, used = _write(backend, catalogue, product, request, segment, plans, k, max_new, stream,
                                  should_stop)
    gen_seconds = time.perf_counter() - started
    if progress:
        progress(0.6, f"Checking {len(candidates)} candidates against the rules and the catalogue...")
    ctx = _Checking(engine, catalogue, product, request, chan, encoder, winners, user, segment)
    kept_pool, blocked, (raw_pass, grounded, usable_n) = _check_all(ctx, candidates, used, backend, approved)
    kept_pool.sort(key=lambda v: (v.outcome != "pass", -v.score, v.candidate_index))
    distinct, dupes = dedupe(kept_pool, request.language, limit=n)
    kept = distinct[:n]
    from_model = len(kept)
    if len(kept) < n and backend.name != "template" and not (should_stop is not None and should_stop()):
        kept = _top_up(ctx, kept, n, plans, max_new, should_stop)
        if len(kept) > from_model:
            notes.append(f"The {backend.label} wrote {from_model} usable, distinct variant{'' if from_model == 1 else 's'} "
                         f"of the {n} asked for; {len(kept) - from_model} more come from the template backend "
                         "(marked 'templates'). The set-aside candidates say why the model's were not kept.")
    for i, v in enumerate(kept, 1):
        v.id = f"v{i:03d}"
    if len(kept) < n:
        notes.append(f"Only {len(kept)} of the {n} variants asked for {'passes' if len(kept) == 1 else 'pass'} the rules "
                     f"and {'is' if len(kept) == 1 else 'are'} usable and distinct; "
                     + ("ask again with another seed, or loosen the brief." if kept else
                        "see the set-aside candidates for why."))
    tokens = sum(c.tokens for c in candidates)
    m = len(candidates)
    stats = {
        "requested": int(request.n), "made": n, "candidates": m,
        "passed_raw": raw_pass, "grounded": grounded, "usable": usable_n,
        "passed_after_fixes": sum(1 for v in kept_pool + blocked if v.passed), "blocked": len(blocked),
        "duplicates_dropped": dupes, "kept": len(kept), "kept_from_model": from_model,
        "grounded_rate": round(grounded / m, 4) if m else 0.0, "usable_rate": round(usable_n / m, 4) if m else 0.0,
        "pass_rate_after_fixes": round(sum(1 for v in kept_pool + blocked if v.passed) / m, 4) if m else 0.0,
        "distinct_2": round(distinct_n([v.body for v in kept]), 4),
        "mean_length": round(sum(v.length for v in kept) / len(kept), 1) if kept else 0.0,
        "budget": kept[0].budget if kept else None,
        "generation_seconds": round(gen_seconds, 3), "total_seconds": round(time.perf_counter() - started, 3),
        "tokens": tokens, "tokens_per_second": round(tokens / gen_seconds, 2) if tokens and gen_seconds > 0 else None,
    }
    if should_stop is not None and should_stop() and m < k:
        notes.append(f"Stopped after {m} of {k} candidates.")
    batch = CopyBatch(
        batch_id=uuid.uuid4().hex[:12], request=CopyRequest(request.product_id, request.channel, segment, request.tone,
                                                            request.language, request.n, request.seed),
        product=product, backend=backend.describe(), variants=kept,
        blocked=sorted(blocked, key=lambda v: v.candidate_index), notes=list(dict.fromkeys(notes)), stats=stats,
        rules_version=engine.version, catalogue_fingerprint=catalogue.fingerprint, author=user_record(user),
    )
    batch.log("generated", detail=f"{len(kept)} variants kept of {m} candidates ({backend.name})", user=user)
    if progress:
        progress(1.0, f"{len(kept)} variants ready")
    return batch


@dataclass(frozen=True)
class _Checking:
    """What checking a request's candidates needs (one request)."""

    engine: RuleEngine
    catalogue: Catalogue
    product: Product
    request: CopyRequest
    channel: dict
    encoder: Any
    winners: dict[str, float] | None
    user: User | None
    segment: SegmentBrief


def _check_all(ctx: _Checking, candidates: list[Candidate], used: list[Plan], backend: Backend,
               approved: ApprovedCopy | None) -> tuple[list[Variant], list[Variant], tuple[int, int, int]]:
    """Check, assess and score every candidate.

    Returns the usable ones, the set-aside ones, and the counts (untouched passes, grounded, usable).
    """
    req, product = ctx.request, ctx.product
    cleaned = [postprocess(c, req.channel, req.language) for c in candidates]
    ctx.engine.check_many([(t, product, req.channel, req.language) for t, _ in cleaned])
    kept_pool: list[Variant] = []
    blocked: list[Variant] = []
    raw_pass = grounded = usable_n = 0
    for cand, plan, (text, fixes) in zip(candidates, used, cleaned, strict=True):
        verdict, more_fixes = check_with_fixes(ctx.engine, text, product, req.channel, req.language)
        fixes = fixes + more_fixes
        if verdict.softened:
            fixes.append("softened: " + ", ".join(f.rule_id for f in verdict.softened))
        score, parts = score_variant(verdict, product, req.channel, req.language, ctx.channel)
        use = assess(verdict.body, product, plan, req.language, ctx.encoder, check_trait=backend.name != "template",
                     catalogue=ctx.catalogue, approved=approved,
                     brief=(ctx.segment.name, ctx.segment.description, *ctx.segment.traits))
        parts["sense"] = use.score
        score = round(0.7 * score + 0.3 * use.score + _winner_bonus(verdict.body, ctx.winners, ctx.encoder), 4)
        raw_ok = verdict.outcome == "pass" and not verdict.softened and verdict.body.strip() == (cand.text or "").strip()
        raw_pass += int(raw_ok)
        grounded += int(not any(f.rule_id in ("G1", "G2", "G3", "G4") for f in verdict.findings))
        usable_n += int(use.usable)
        v = Variant(
            id=f"c{cand.index:03d}", body=verdict.body, final_text=verdict.final_text,
            disclosures=[d.to_dict() for d in verdict.disclosures], findings=[f.to_dict() for f in verdict.findings],
            passed=verdict.passed, length=verdict.length, budget=verdict.budget, unit=verdict.unit,
            segments=verdict.segments, encoding=verdict.encoding, score=score, score_parts=parts, raw=cand.text,
            candidate_index=cand.index, backend=cand.backend, tokens=cand.tokens, seconds=round(cand.seconds, 3),
            raw_passed=raw_ok, auto_fixes=fixes, outcome=verdict.outcome, author_id=ctx.user.id if ctx.user else "",
            plan=plan.to_dict(), usability=use.to_dict(),
        )
        (kept_pool if verdict.passed and use.usable else blocked).append(v)
    return kept_pool, blocked, (raw_pass, grounded, usable_n)


def _top_up(ctx: _Checking, kept: list[Variant], n: int, plans: list[Plan], max_new: int,
            should_stop: StopCheck | None) -> list[Variant]:
    """``kept`` (the model's), then template variants for the shortfall, checked the same way and distinct from it."""
    from core.copy.backends.template import TemplateBackend

    tb = TemplateBackend()
    need = n - len(kept)
    cands, used = _write(tb, ctx.catalogue, ctx.product, ctx.request, ctx.segment, plans,
                         _oversample(need, tb), max_new, None, should_stop)
    pool, _, _ = _check_all(ctx, cands, used, tb, None)
    pool.sort(key=lambda v: (v.outcome != "pass", -v.score, v.candidate_index))
    merged, _ = dedupe(kept + pool, ctx.request.language, limit=n)
    return merged


def _winner_bonus(text: str, winners: dict[str, float] | None, encoder: Any) -> float:
    """Up to +0.1 for copy close in meaning to past winners (lift-weighted)."""
    if not winners or encoder is None:
        return 0.0
    refs = list(winners)
    vecs = encoder.encode([text, *refs])
    sims = vecs[1:] @ vecs[0]
    best = max(float(s) * max(0.0, min(1.0, winners[r])) for s, r in zip(sims, refs, strict=True))
    return round(0.1 * max(0.0, best), 4)
