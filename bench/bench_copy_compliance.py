"""Copy compliance benchmarks: the held-out corpus, and the rule-check speed with the semantic step.

Prints one JSON line per figure (with ``uptime`` load beside them):

- ``copy_heldout``: the whole engine (rules, grounding, meaning classifiers) on
  ``assets/copy/corpus/heldout.jsonl``, which was written before any tuning and is never trained
  or tuned on: share of violating sentences flagged (review or block; bar >= 95%), share of
  compliant ones flagged (bar <= 10%), and precision / recall / F1 per violation class (aim
  F1 >= 0.90). Also the training corpus's cross-validated figures, for comparison.
- ``copy_rule_check``: variants checked per second on CPU, semantic step included, for template
  copy of every product and channel, in three states: ``cold`` (a fresh engine, the encoder's
  claim cache emptied: every distinct claim embedded, in one batch), ``warm`` (a fresh engine on the
  loaded model whose claim embeddings are cached: the rules, grounding and heads only) and
  ``cached`` (the same engine again: the verdict cache). Bar: >= 200 variants/s. Beside it, the
  anchors measured in the same run: the encoder's claims/s and this CPU's GEMM GFLOP/s (one thread
  and the configured threads), so a loaded machine reads as one.
- ``copy_model_once``: the meaning model through the lifecycle: first call (artifact load) and
  second call (the registry's copy, the same object).
- ``copy_template``: template backend renders per second (bar >= 1,000 variants/s).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "?"


def emit(name: str, **figures) -> None:
    print(json.dumps({"bench": name, **figures, "load_avg_1_5_15": _load(), "cpus": os.cpu_count()},
                     default=str), flush=True)


def main() -> None:
    from core.copy.backends.template import TemplateBackend
    from core.copy.catalogue import get_catalogue
    from core.copy.corpus import evaluate, load_corpus
    from core.copy.engine import RuleEngine, get_engine
    from core.copy.meaning.service import get_meaning_scorer
    from core.runtime.threads import compute_threads, configure_threads

    configure_threads()
    t = time.perf_counter()
    engine = get_engine()
    emit("copy_engine_ready", seconds=round(time.perf_counter() - t, 1),
         note="includes training the meaning model when its workspace artifact is missing")
    held = evaluate(engine, load_corpus("heldout"))
    emit("copy_heldout", n=held["n"], violating_flagged=held["violating_flagged"],
         compliant_flagged=held["compliant_flagged"], bars={"violating_flagged": ">= 0.95",
                                                            "compliant_flagged": "<= 0.10"},
         per_class=held["per_class"], missed=held["missed"], false_flags=held["false_flags"])
    emit("copy_meaning_cv_on_train", metrics=engine.meaning.model.metrics if engine.meaning else None)

    cat = get_catalogue()
    backend = TemplateBackend()
    ctx = {"product": cat.product("cash_rewards_card"), "channel": "sms", "tone": "friendly", "language": "en",
           "theme": "general"}
    from core.copy.backends.base import Prompt

    backend.generate(Prompt("", ctx), 100, 0)
    n = 20_000
    t = time.perf_counter()
    backend.generate(Prompt("", ctx), n, 1)
    emit("copy_template", variants_per_s=round(n / (time.perf_counter() - t)), n=n, bar=">= 1000 variants/s")

    t = time.perf_counter()
    scorer = get_meaning_scorer()
    emit("copy_model_once", second_call_seconds=round(time.perf_counter() - t, 4),
         same_object=scorer is engine.meaning, note="the registry's copy: the model loads once per process")

    items = []
    for pid, product in cat.products.items():
        for channel in cat.channels:
            for i in range(8):
                c = {"product": product, "channel": channel, "tone": "friendly", "language": "en", "theme": "general"}
                items.append((backend.render_one(c, i, 7), pid, channel, "en"))
    texts = list(dict.fromkeys(t for t, *_ in items))
    anchor = _gemm_anchor()
    scorer.encoder._cache.clear()
    cold_engine = RuleEngine(engine.rules, engine.catalogue, engine.version, scorer)
    t = time.perf_counter()
    verdicts = cold_engine.check_many(items)
    cold_s = time.perf_counter() - t
    claims = list(dict.fromkeys(c for v in verdicts for c in v.claims))
    scorer.encoder._cache.clear()
    t = time.perf_counter()
    scorer.encoder.encode(claims)
    encode_s = time.perf_counter() - t
    warm_engine = RuleEngine(engine.rules, engine.catalogue, engine.version, scorer)
    t = time.perf_counter()
    warm_engine.check_many(items)
    warm_s = time.perf_counter() - t
    t = time.perf_counter()
    warm_engine.check_many(items)
    cached_s = time.perf_counter() - t
    emit("copy_rule_check", variants=len(items), distinct_texts=len(texts), distinct_claims=len(claims),
         cold_variants_per_s=round(len(items) / cold_s, 1), warm_variants_per_s=round(len(items) / warm_s, 1),
         cached_variants_per_s=round(len(items) / cached_s, 1),
         anchor_encoder_claims_per_s=round(len(claims) / encode_s, 1), anchor_encode_seconds=round(encode_s, 2),
         cold_seconds=round(cold_s, 2), **anchor, threads=compute_threads(),
         bar=">= 200 variants/s incl. the semantic step",
         note="cold: every distinct claim embedded once, in one batch; warm: embeddings cached, rules + heads only; "
              "cached: the verdict cache")


def _gemm_anchor() -> dict:
    """This CPU's float32 GEMM speed now, one thread and the configured threads (the anchor of this run)."""
    import torch

    from core.runtime.threads import compute_threads

    a, w = torch.randn(512, 384), torch.randn(1536, 384)
    out = {}
    for label, n in (("one_thread", 1), ("configured", compute_threads())):
        torch.set_num_threads(n)  # bench only: the product sets threads once in configure_threads()
        torch.nn.functional.linear(a, w)
        t = time.perf_counter()
        for _ in range(30):
            torch.nn.functional.linear(a, w)
        out[f"anchor_gemm_gflops_{label}"] = round(30 * 2 * 512 * 384 * 1536 / (time.perf_counter() - t) / 1e9, 1)
    torch.set_num_threads(compute_threads())
    return out


if __name__ == "__main__":
    main()
