"""Copy compliance benchmarks: the held-out corpus, and the rule-check speed with the semantic step.

Prints one JSON line per figure (with ``uptime`` load beside them):

- ``copy_heldout``: the whole engine (rules, grounding, meaning classifiers) on
  ``assets/copy/corpus/heldout.jsonl``, which was written before any tuning and is never trained
  or tuned on: share of violating sentences flagged (review or block; bar >= 95%), share of
  compliant ones flagged (bar <= 10%), and precision / recall / F1 per violation class (aim
  F1 >= 0.90). Also the training corpus's cross-validated figures, for comparison.
- ``copy_rule_check``: variants checked per second on CPU, semantic step included, for template
  copy of every product and channel: distinct texts with cold caches, then the same texts again
  (the per-text cache). Bar: >= 200 variants/s.
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
    from core.runtime.threads import configure_threads

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

    items = []
    for pid, product in cat.products.items():
        for channel in cat.channels:
            for i in range(8):
                c = {"product": product, "channel": channel, "tone": "friendly", "language": "en", "theme": "general"}
                items.append((backend.render_one(c, i, 7), pid, channel, "en"))
    texts = list(dict.fromkeys(t for t, *_ in items))
    fresh = RuleEngine(engine.rules, engine.catalogue, engine.version, get_meaning_scorer())
    fresh.meaning.encoder._cache.clear()
    t = time.perf_counter()
    fresh.check_many(items)
    cold = len(items) / (time.perf_counter() - t)
    t = time.perf_counter()
    fresh.check_many(items)
    warm = len(items) / (time.perf_counter() - t)
    emit("copy_rule_check", variants=len(items), distinct_texts=len(texts), cold_variants_per_s=round(cold, 1),
         cached_variants_per_s=round(warm, 1), bar=">= 200 variants/s incl. the semantic step",
         note="cold: every claim embedded once (batched); cached: the per-text caches hit")


if __name__ == "__main__":
    main()
