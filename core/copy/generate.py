"""Orchestration: a request in, a ranked batch of compliant, distinct variants out.

1. Validate the request (product in the catalogue, channel, tone, language, a sane segment brief,
   a bounded number of variants) and pick a backend that can serve it, falling back to templates
   when the model cannot load, cannot write the language, or its endpoint fails.
2. Over-generate candidates (streamed to the caller as they are written).
3. Post-process each candidate (first line only, labels and quotes stripped, disclosures the model
   wrote itself removed, a cut-off sentence dropped), run the rule engine on it, and when the only
   objection is length, drop trailing sentences until it fits.
4. Drop near-duplicates, rank what passed (compliance, length fit, readability, benefit coverage)
   and keep the best ``n`` distinct ones. Blocked candidates are kept aside with their reasons.

Edits and approvals go through :func:`edit_variant` and :func:`set_status`; an edit is re-checked
by the engine, and a variant that does not pass cannot be approved or exported.
"""

from __future__ import annotations

import math
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from core.briefs import SegmentBrief
from core.copy.backends.base import Backend, Candidate, StopCheck, StreamCallback
from core.copy.catalogue import LANGUAGES, Catalogue, Product, get_catalogue
from core.copy.prompts import clean_segment, render_prompt, segment_text
from core.copy.engine import RuleEngine, get_engine
from core.copy.verdict import Verdict
from core.errors import InputError, StudioError

MAX_VARIANTS = 500  # hard ceiling of one request, whatever the backend
STATUSES = ("pending", "approved", "rejected")
ProgressCallback = Callable[[int, int, str], None]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class CopyRequest:
    """What the analyst asks for."""

    product_id: str
    channel: str
    segment: SegmentBrief | None
    tone: str = "friendly"
    language: str = "en"
    n: int = 5
    seed: int = 42

    def to_dict(self) -> dict:
        d = asdict(self)
        d["segment"] = self.segment.to_dict() if self.segment else None
        return d


@dataclass
class Variant:
    """One piece of copy with its verdict, score and review state."""

    id: str
    body: str  # the copy the analyst edits (after softening)
    final_text: str  # body + disclosures, as sent
    disclosures: list[dict]
    findings: list[dict]
    passed: bool
    length: int
    budget: int
    unit: str
    segments: int | None
    encoding: str | None
    score: float
    score_parts: dict[str, float]
    raw: str  # what the backend wrote
    candidate_index: int
    backend: str
    tokens: int = 0
    seconds: float = 0.0
    raw_passed: bool = False  # passed with no change at all
    auto_fixes: list[str] = field(default_factory=list)
    status: str = "pending"
    edits: list[dict] = field(default_factory=list)

    @property
    def blocking(self) -> list[dict]:
        return [f for f in self.findings if f["action"] == "block"]

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class CopyBatch:
    """A generation run: request, backend, ranked variants, blocked candidates, notes and statistics."""

    batch_id: str
    request: CopyRequest
    product: Product
    backend: dict[str, Any]
    variants: list[Variant]
    blocked: list[Variant]
    notes: list[str]
    stats: dict[str, Any]
    rules_version: str
    catalogue_fingerprint: str
    created_at: str = field(default_factory=_now)
    events: list[dict] = field(default_factory=list)
    run_id: str | None = None

    def variant(self, variant_id: str) -> Variant:
        for v in self.variants:
            if v.id == variant_id:
                return v
        raise InputError(f"There is no variant '{variant_id}' in this batch.")

    def approved(self) -> list[Variant]:
        return [v for v in self.variants if v.status == "approved" and v.passed]

    def log(self, action: str, variant_id: str = "", detail: str = "", reviewer: str = "") -> None:
        self.events.append({"at": _now(), "action": action, "variant_id": variant_id, "detail": detail,
                            "reviewer": reviewer})


# ---- post-processing ----------------------------------------------------------------------------
_LABEL = re.compile(r"^\s*(?:SMS|Push(?: notification)?|Web banner|Banner|Email subject|Subject|Email body|"
                    r"Copy|Text|Headline)\s*[:：]\s*", re.IGNORECASE)
_SELF_DISCLOSURES = [
    re.compile(p, re.IGNORECASE) for p in (
        r"\bmsg\s*(?:&|and)\s*data rates may apply\.?", r"\breply stop to (?:opt out|unsubscribe|cancel|end)\.?",
        r"\breply help for help\.?", r"\bmember fdic\.?", r"\bequal housing lender\.?", r"\bsee terms\.?",
        r"\b(?:rates (?:&|and) )?terms:\s*\S+", r"\bnmls\s*#?\s*\d+\.?",
        r"可能产生短信及数据费用。?", r"回复STOP退订。?", r"FDIC成员（Member FDIC）。?",
    )
]
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s*")


def postprocess(candidate: Candidate, channel: str, language: str) -> tuple[str, list[str]]:
    """Clean a raw candidate; returns the text and the clean-ups applied."""
    fixes: list[str] = []
    text = candidate.text or ""
    if candidate.finish_reason != "template":
        first = text.strip().split("\n")[0]
        if first != text.strip():
            fixes.append("kept the first line")
        text = first
        text = _LABEL.sub("", text)
        stripped = text.strip().strip('"“”\'`').strip()
        if stripped != text.strip():
            fixes.append("removed quotes")
        text = stripped
        sentences = [x for x in _SENTENCE_END.split(text) if x]
        unique = list(dict.fromkeys(sentences))
        if len(unique) < len(sentences):
            text = (" " if language == "en" else "").join(unique)
            fixes.append("removed a repeated sentence")
        if candidate.finish_reason == "length":
            parts = [p for p in _SENTENCE_END.split(text) if p]
            if len(parts) > 1 and not re.search(r"[.!?。！？]$", text):
                text = " ".join(parts[:-1]) if language == "en" else "".join(parts[:-1])
                fixes.append("dropped a sentence cut off by the token limit")
    for pat in _SELF_DISCLOSURES:
        if pat.search(text):
            text = pat.sub("", text)
            fixes.append("removed a disclosure the model wrote itself (the engine adds it)")
    text = re.sub(r"[ \t]{2,}", " ", text).strip()
    return text, list(dict.fromkeys(fixes))


def _sentences(text: str, language: str) -> list[str]:
    return [p for p in _SENTENCE_END.split(text.strip()) if p]


def check_with_fixes(engine: RuleEngine, text: str, product: Product, channel: str,
                     language: str) -> tuple[Verdict, list[str]]:
    """Engine verdict; when only the length budget blocks, drop trailing sentences until it fits."""
    verdict = engine.check(text, product, channel, language)
    fixes: list[str] = []
    if verdict.passed or any(f.rule_id != "B1" for f in verdict.blocking):
        return verdict, fixes
    parts = _sentences(verdict.body, language)
    joiner = " " if language == "en" else ""
    while len(parts) > 1:
        parts = parts[:-1]
        trial = engine.check(joiner.join(parts), product, channel, language)
        if trial.passed:
            return trial, ["dropped trailing sentences to fit the length budget"]
        if any(f.rule_id != "B1" for f in trial.blocking):
            break
    return verdict, fixes


# ---- ranking ------------------------------------------------------------------------------------
@lru_cache(maxsize=20_000)
def _syllables(word: str) -> int:
    word = word.lower().strip(".,!?;:'\"")
    if not word:
        return 0
    groups = re.findall(r"[aeiouy]+", word)
    n = len(groups) - (1 if word.endswith("e") and len(groups) > 1 else 0)
    return max(1, n)


def readability(text: str, language: str) -> float:
    """0..1: Flesch reading ease for English (clipped), sentence length for Chinese."""
    if language == "zh":
        sents = [s for s in re.split(r"[。！？!?]", text) if s.strip()] or [text]
        mean = sum(len(s) for s in sents) / len(sents)
        return float(max(0.0, min(1.0, 1 - max(0.0, mean - 20) / 40)))
    words = re.findall(r"[A-Za-z][A-Za-z'-]*", text)
    if not words:
        return 0.0
    sents = max(1, len(re.findall(r"[.!?]+", text)) or 1)
    syl = sum(_syllables(w) for w in words)
    fre = 206.835 - 1.015 * (len(words) / sents) - 84.6 * (syl / len(words))
    return float(max(0.0, min(1.0, fre / 100)))


def benefit_coverage(text: str, product: Product, channel: str) -> float:
    low = text.lower()
    hits = sum(1 for b in product.benefits if any(k.lower() in low for k in b.get("keywords", [])))
    need = 2 if channel == "email_body" else 1
    return min(1.0, hits / need)


def length_fit(verdict: Verdict, chan: dict) -> float:
    if verdict.segments is not None:
        target = int(chan.get("target_segments", 1))
        return 1.0 if verdict.segments <= target else max(0.3, 1.0 - 0.35 * (verdict.segments - target))
    lo, hi = chan.get("target_chars", [0, chan["max_chars"]])
    n, top = verdict.length, chan["max_chars"]
    if n < lo:
        return max(0.0, n / lo)
    if n <= hi:
        return 1.0
    return max(0.0, 1.0 - 0.5 * (n - hi) / max(1, top - hi))


def score_variant(verdict: Verdict, product: Product, channel: str, language: str, chan: dict) -> tuple[float, dict]:
    compliance = max(0.4, 1.0 - 0.15 * len(verdict.softened)) if verdict.passed else 0.0
    parts = {
        "compliance": round(compliance, 3),
        "length_fit": round(length_fit(verdict, chan), 3),
        "readability": round(readability(verdict.body, language), 3),
        "benefit_coverage": round(benefit_coverage(verdict.body, product, channel), 3),
    }
    total = 0.4 * parts["compliance"] + 0.25 * parts["length_fit"] + 0.15 * parts["readability"] + 0.2 * parts["benefit_coverage"]
    return round(total, 4), parts


# ---- near-duplicates ----------------------------------------------------------------------------
def _shingles(text: str, language: str) -> set:
    if language == "zh":
        chars = [c for c in text if not c.isspace()]
        return {tuple(chars[i:i + 2]) for i in range(len(chars) - 1)} or {tuple(chars)}
    words = re.findall(r"[a-z0-9$%.']+", text.lower())
    return {tuple(words[i:i + 2]) for i in range(len(words) - 1)} or {tuple(words)}


def jaccard(a: set, b: set) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def distinct_n(texts: list[str], n: int = 2) -> float:
    """Share of distinct word n-grams across texts (diversity of a batch)."""
    grams: list[tuple] = []
    for t in texts:
        w = re.findall(r"\w+", t.lower())
        grams += [tuple(w[i:i + n]) for i in range(len(w) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


def dedupe(variants: list[Variant], language: str, threshold: float = 0.7,
           limit: int | None = None) -> tuple[list[Variant], int]:
    """Keep variants (already ranked best first) unless too similar to one kept before.

    With ``limit``, stops once that many are kept (the rest are not compared, and not counted as dropped).
    """
    kept: list[tuple[Variant, set]] = []
    seen_exact: set[str] = set()
    dropped = 0
    for v in variants:
        if limit is not None and len(kept) >= limit:
            break
        key = re.sub(r"\W+", "", v.body.lower())
        sh = _shingles(v.body, language)
        if key in seen_exact or any(jaccard(sh, other) >= threshold for _, other in kept):
            dropped += 1
            continue
        seen_exact.add(key)
        kept.append((v, sh))
    return [v for v, _ in kept], dropped


# ---- backends -----------------------------------------------------------------------------------
def make_backend(choice: str | None = None, settings: Any = None) -> tuple[Backend, list[str]]:
    """The backend for a setting (``local``, ``openai``, ``template``), with notes on any fallback.

    A local model that fails to load falls back to templates, and the notes say so.
    """
    from core.copy.backends.template import TemplateBackend

    if settings is None:
        from core.settings import get_settings

        settings = get_settings()
    choice = choice or settings.copy_backend
    if choice == "template":
        return TemplateBackend(), []
    if choice == "openai":
        from core.copy.backends.openai_compat import OpenAICompatBackend

        try:
            return OpenAICompatBackend.from_settings(settings), []
        except StudioError as exc:
            return TemplateBackend(), [f"The endpoint backend is not configured ({exc.message}); using templates."]
    if choice == "local":
        from core.copy.backends.local_lm import LocalLMBackend

        try:
            return LocalLMBackend.load(settings), []
        except StudioError as exc:
            return TemplateBackend(), [f"The local language model could not load ({exc.message}); "
                                       "the copy below comes from the template backend."]
    raise InputError(f"Unknown copy backend '{choice}'.", "Use local, openai or template.")


def _oversample(n: int, backend: Backend) -> int:
    if backend.name == "template":
        return min(max(n * 3, n + 10), 3 * MAX_VARIANTS)
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


def generate_copy(
    request: CopyRequest,
    backend: Backend | None = None,
    *,
    engine: RuleEngine | None = None,
    catalogue: Catalogue | None = None,
    stream: StreamCallback | None = None,
    progress: ProgressCallback | None = None,
    should_stop: StopCheck | None = None,
    backend_notes: list[str] | None = None,
) -> CopyBatch:
    """Generate, check, dedupe and rank copy for ``request``."""
    catalogue = catalogue or get_catalogue()
    engine = engine or get_engine()
    product, segment, notes, n = validate_request(request, catalogue)
    notes = list(backend_notes or []) + notes
    if backend is None:
        backend, more = make_backend()
        notes += more
    from core.copy.backends.template import TemplateBackend

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
    theme = TemplateBackend().bank.theme(segment_text(segment)) if backend.name == "template" else "general"
    prompt = render_prompt(catalogue, product, request.channel, request.tone, request.language, segment,
                           theme=theme, seed=request.seed)
    k = _oversample(n, backend)
    max_new = int(chan.get("max_new_tokens", 48))
    started = time.perf_counter()
    if progress:
        progress(0, k, f"Writing {k} candidates with the {backend.label}...")

    done_count = [0]

    def _stream(i: int, delta: str) -> None:
        if stream:
            stream(i, delta)

    try:
        candidates = backend.generate(prompt, k, request.seed, max_new, stream=_stream if stream else None,
                                      should_stop=should_stop)
    except StudioError as exc:
        if backend.name == "template":
            raise
        notes.append(f"The {backend.label} failed ({exc.message}); this batch comes from the template backend.")
        backend = TemplateBackend()
        theme = backend.bank.theme(segment_text(segment))
        prompt = render_prompt(catalogue, product, request.channel, request.tone, request.language, segment,
                               theme=theme, seed=request.seed)
        k = _oversample(n, backend)
        candidates = backend.generate(prompt, k, request.seed, max_new, stream=_stream if stream else None,
                                      should_stop=should_stop)
    gen_seconds = time.perf_counter() - started

    passed: list[Variant] = []
    blocked: list[Variant] = []
    raw_pass = 0
    for cand in candidates:
        text, fixes = postprocess(cand, request.channel, request.language)
        verdict, more_fixes = check_with_fixes(engine, text, product, request.channel, request.language)
        fixes += more_fixes
        if verdict.softened:
            fixes.append("softened: " + ", ".join(f.rule_id for f in verdict.softened))
        score, parts = score_variant(verdict, product, request.channel, request.language, chan)
        raw_ok = verdict.passed and not verdict.softened and verdict.body.strip() == (cand.text or "").strip()
        raw_pass += int(raw_ok)
        v = Variant(
            id=f"c{cand.index:03d}", body=verdict.body, final_text=verdict.final_text,
            disclosures=[d.to_dict() for d in verdict.disclosures], findings=[f.to_dict() for f in verdict.findings],
            passed=verdict.passed, length=verdict.length, budget=verdict.budget, unit=verdict.unit,
            segments=verdict.segments, encoding=verdict.encoding, score=score, score_parts=parts, raw=cand.text,
            candidate_index=cand.index, backend=cand.backend, tokens=cand.tokens, seconds=round(cand.seconds, 3),
            raw_passed=raw_ok, auto_fixes=fixes,
        )
        (passed if verdict.passed else blocked).append(v)
        done_count[0] += 1
        if progress and (done_count[0] % max(1, k // 50) == 0 or done_count[0] == len(candidates)):
            progress(done_count[0], k, f"Checked {done_count[0]} of {k} candidates")

    passed.sort(key=lambda v: (-v.score, v.candidate_index))
    distinct, dupes = dedupe(passed, request.language, limit=n)
    kept = distinct[:n]
    for i, v in enumerate(kept, 1):
        v.id = f"v{i:03d}"
    if len(kept) < n:
        notes.append(f"{len(kept)} of the {n} variants asked for passed the rules and are distinct; "
                     + ("ask again with another seed, or loosen the brief." if kept else
                        "none passed: see the blocked candidates for why."))
    tokens = sum(c.tokens for c in candidates)
    stats = {
        "requested": int(request.n), "made": n, "candidates": len(candidates),
        "passed_raw": raw_pass, "passed_after_fixes": len(passed), "blocked": len(blocked),
        "duplicates_dropped": dupes, "kept": len(kept),
        "pass_rate_after_fixes": round(len(passed) / len(candidates), 4) if candidates else 0.0,
        "distinct_2": round(distinct_n([v.body for v in kept]), 4),
        "mean_length": round(sum(v.length for v in kept) / len(kept), 1) if kept else 0.0,
        "budget": kept[0].budget if kept else None,
        "generation_seconds": round(gen_seconds, 3), "total_seconds": round(time.perf_counter() - started, 3),
        "tokens": tokens, "tokens_per_second": round(tokens / gen_seconds, 2) if tokens and gen_seconds > 0 else None,
    }
    if should_stop is not None and should_stop() and len(candidates) < k:
        notes.append(f"Stopped after {len(candidates)} of {k} candidates.")
    batch = CopyBatch(
        batch_id=uuid.uuid4().hex[:12], request=request, product=product, backend=backend.describe(),
        variants=kept, blocked=sorted(blocked, key=lambda v: v.candidate_index), notes=list(dict.fromkeys(notes)),
        stats=stats, rules_version=engine.version, catalogue_fingerprint=catalogue.fingerprint,
    )
    batch.request = CopyRequest(request.product_id, request.channel, segment, request.tone, request.language,
                                request.n, request.seed)
    batch.log("generated", detail=f"{len(kept)} variants kept of {len(candidates)} candidates ({backend.name})")
    return batch


# ---- review -------------------------------------------------------------------------------------
def edit_variant(batch: CopyBatch, variant_id: str, new_text: str, engine: RuleEngine | None = None,
                 reviewer: str = "") -> Variant:
    """Replace a variant's copy with the analyst's edit and re-run the engine on it.

    The variant goes back to pending; if the edit breaks a rule it stays visible but cannot be approved.
    """
    engine = engine or get_engine()
    v = batch.variant(variant_id)
    if new_text.strip() == v.body.strip():
        return v
    verdict = engine.check(new_text, batch.product, batch.request.channel, batch.request.language)
    chan = engine.catalogue.channel(batch.request.channel)
    v.edits.append({"at": _now(), "before": v.body, "after": verdict.body, "typed": new_text, "reviewer": reviewer,
                    "passed": verdict.passed})
    v.body, v.final_text = verdict.body, verdict.final_text
    v.disclosures = [d.to_dict() for d in verdict.disclosures]
    v.findings = [f.to_dict() for f in verdict.findings]
    v.passed, v.length, v.budget, v.unit = verdict.passed, verdict.length, verdict.budget, verdict.unit
    v.segments, v.encoding = verdict.segments, verdict.encoding
    v.score, v.score_parts = score_variant(verdict, batch.product, batch.request.channel, batch.request.language, chan)
    v.status = "pending"
    batch.log("edited", variant_id, "passes the rules" if verdict.passed else
              "blocked: " + ", ".join(f.rule_id for f in verdict.blocking), reviewer)
    return v


def set_status(batch: CopyBatch, variant_id: str, status: str, reviewer: str = "") -> Variant:
    """Approve, reject or reset a variant. Only a variant that passes the rules can be approved."""
    if status not in STATUSES:
        raise InputError(f"Unknown review status '{status}'.")
    v = batch.variant(variant_id)
    if status == "approved" and not v.passed:
        raise InputError(f"Variant {variant_id} does not pass the compliance rules, so it cannot be approved.",
                         "Edit it until the rules pass, or reject it.")
    v.status = status
    batch.log(status if status != "pending" else "reset", variant_id, reviewer=reviewer)
    return v
