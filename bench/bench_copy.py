"""Marketing-copy benchmarks. Prints one JSON line per figure.

Parts (``--parts``, comma-separated):

- ``template``: template backend speed: raw renders per second, and the whole pipeline (render,
  post-process, rule engine, dedupe, rank) in candidates checked per second, per channel. Bar: >= 1,000
  variants/s.
- ``lm``: the embedded model on this machine, in a fresh process: load time from the cached
  artifact (the first run converts the GGUF and says so), time for one SMS variant, tokens/s.
  Bars: load <= 10 s, one SMS variant <= 10 s.
- ``quality``: per channel over every product x 3 segments: share of raw model candidates that pass
  the rules after auto-fixes, distinct-2 across each batch, mean length against the budget; plus
  variants per second. Writes a handful of real outputs (good and bad) to ``bench/out/``, and every
  exported variant to ``copy_kept_<backend><tag>.jsonl`` (what a blind read samples). Runs the
  template backend as a reference row too. The embedded model serves with its fine-tuned adapter
  (``core/copy/tuning.py``); ``STUDIO_LLM_ADAPTER=false`` measures the base model with few-shot
  prompts beside it.

``--gguf PATH`` loads a GGUF file directly (no workspace, no registry): used on a GPU machine where
only the model file and this repository travel. ``--device`` forces cpu or cuda.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

try:
    from bench._common import emit
except ImportError:  # pragma: no cover - bench/_common needs psutil, absent on some GPU images
    def emit(name: str, **figures) -> None:
        print(json.dumps({"bench": name, **figures}, default=str), flush=True)

from core.briefs import SegmentBrief  # noqa: E402

OUT = Path(os.environ.get("BENCH_OUT_DIR") or Path(__file__).resolve().parent / "out")  # samples land here
SEGMENTS = [
    SegmentBrief("Young digital savers", 9000, 0.18, "Under 35, bank mostly on their phones",
                 ("low balances", "use the mobile app weekly")),
    SegmentBrief("Affluent retirees", 4000, 0.08, "Retired customers with high deposit balances",
                 ("premium service", "pension income")),
    SegmentBrief("Young families", 7000, 0.14, "Parents with children, busy households",
                 ("high card spend", "homeowners")),
]


# ---- template speed -----------------------------------------------------------------------------
def bench_template() -> None:
    from core.copy.backends.base import Prompt
    from core.copy.backends.template import TemplateBackend
    from core.copy.catalogue import get_catalogue
    from core.copy.generate import CopyRequest, generate_copy

    cat = get_catalogue()
    backend = TemplateBackend()
    ctx = {"product": cat.product("cash_rewards_card"), "channel": "sms", "tone": "friendly", "language": "en",
           "theme": "family"}
    backend.generate(Prompt("", ctx), 100, 0)  # warm-up
    n = 20_000
    t = time.perf_counter()
    backend.generate(Prompt("", ctx), n, 1)
    raw = n / (time.perf_counter() - t)
    emit("copy_template_raw_render", variants_per_s=round(raw), n=n, bar=">= 1000 variants/s")
    for channel in cat.channels:
        req = CopyRequest("high_yield_savings", channel, SEGMENTS[0], "friendly", "en", 500, seed=1)
        generate_copy(CopyRequest("high_yield_savings", channel, SEGMENTS[0], "friendly", "en", 5, 0), backend)
        t = time.perf_counter()
        batch = generate_copy(req, backend)
        dt = time.perf_counter() - t
        emit("copy_template_pipeline", channel=channel, candidates=batch.stats["candidates"],
             candidates_checked_per_s=round(batch.stats["candidates"] / dt), kept=batch.stats["kept"],
             seconds=round(dt, 3), bar=">= 1000 variants/s")


# ---- embedded model on this machine --------------------------------------------------------------
LM_CHILD = r"""
import json, time, os
t0 = time.perf_counter()
from core.copy.backends.local_lm import LocalLMBackend, load_lm, resolve_source, REGISTRY_NAME
from core.runtime import get_registry
src = resolve_source("")
cached = get_registry().has_artifact(REGISTRY_NAME, src.fingerprint)
t = time.perf_counter()
lm = load_lm("")
load_s = time.perf_counter() - t
from core.copy.generate import CopyRequest, generate_copy
from core.briefs import SegmentBrief
seg = SegmentBrief("Young digital savers", 9000, 0.18, "Under 35, bank mostly on their phones", ("low balances",))
b = LocalLMBackend(lm)
t = time.perf_counter()
batch = generate_copy(CopyRequest("high_yield_savings", "sms", seg, "friendly", "en", 1, 7), b)
one = batch.stats
print(json.dumps({"artifact_was_cached": cached, "load_seconds": load_s, "device": lm.device,
                  "converted_now": lm.converted_now, "import_seconds": t - t0 - load_s,
                  "candidates": one["candidates"], "generation_seconds": one["generation_seconds"],
                  "seconds_per_variant": one["generation_seconds"] / max(1, one["candidates"]),
                  "tokens": one["tokens"], "tokens_per_s": one["tokens_per_second"],
                  "sample": [v.raw for v in batch.variants + batch.blocked][:3]}))
"""


def bench_lm() -> None:
    import subprocess

    root = Path(__file__).resolve().parent.parent
    for _attempt in range(2):  # the first run may convert the GGUF; the second then measures a cached load
        out = subprocess.run([sys.executable, "-c", LM_CHILD], cwd=root, capture_output=True, text=True, check=True)
        res = json.loads(out.stdout.strip().splitlines()[-1])
        emit("copy_lm_cpu", **res, bar="load <= 10 s from the cached artifact; one SMS variant <= 10 s")
        if res["artifact_was_cached"]:
            break


# ---- quality ------------------------------------------------------------------------------------
DTYPE = None  # --dtype: None = what the product uses for this model (float32)


def _direct_lm(gguf: str, device: str):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from core.copy.backends.local_lm import EMBEDDED_LABEL, LoadedLM, ModelSource, mark_dequantised

    path = Path(gguf)
    t = time.perf_counter()
    tok = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, dtype=torch.float32)
    mark_dequantised(model)
    dtype = getattr(torch, DTYPE) if DTYPE else torch.float32  # as the product loads a model under 1B parameters
    model.to(device=device, dtype=dtype).eval()
    lm = LoadedLM(model, tok, device, ModelSource("gguf", path, "gemma3-270m-a5fd3b62230a", EMBEDDED_LABEL),
                  time.perf_counter() - t)
    import transformers

    emit("copy_lm_direct_load", device=device, dtype=str(dtype), transformers=transformers.__version__,
         seconds=round(lm.load_seconds, 2), note="GGUF de-quantised in place")
    return lm


def _lm_backend(gguf: str | None, device: str | None):
    from core.copy.backends.local_lm import LocalLMBackend, load_lm

    lm = _direct_lm(gguf, device or "cuda") if gguf else load_lm("", device=device)
    return LocalLMBackend(lm, batch=True)


def bench_quality(backend_name: str, per_batch: int, gguf: str | None, device: str | None, dump: int,
                  products: list[str] | None = None, channels: list[str] | None = None,
                  segments: int = len(SEGMENTS), tag: str = "", backend=None):
    from core.copy.backends.template import TemplateBackend
    from core.copy.catalogue import get_catalogue
    from core.copy.generate import CopyRequest, generate_copy
    from core.copy.ranking import distinct_n

    cat = get_catalogue()
    if backend is None:  # not already loaded by the throughput part
        backend = TemplateBackend() if backend_name == "template" else _lm_backend(gguf, device)
    rows, samples = [], []
    started = time.perf_counter()
    OUT.mkdir(parents=True, exist_ok=True)
    jsonl = OUT / f"copy_samples_{backend.name}{tag}.jsonl"
    kept_path = OUT / f"copy_kept_{backend.name}{tag}.jsonl"
    kept_path.unlink(missing_ok=True)
    product_ids = products or list(cat.products)
    segs = SEGMENTS[:segments]
    for channel in channels or list(cat.channels):
        cand = passed = raw_ok = kept = topped = grounded = usable = 0
        d2, d2_raw, lengths, budgets, secs, toks = [], [], [], [], 0.0, 0
        pooled: list[str] = []
        for pid in product_ids:
            for s, seg in enumerate(segs):
                tone = list(cat.tones)[s % len(cat.tones)]
                req = CopyRequest(pid, channel, seg, tone, "en", per_batch, seed=100 + s)
                batch = generate_copy(req, backend)
                st = batch.stats
                print(f"  {channel} {pid} {seg.name}: {st['passed_after_fixes']}/{st['candidates']} pass, "
                      f"{st['generation_seconds']:.1f} s", file=sys.stderr, flush=True)
                cand += st["candidates"]
                passed += st["passed_after_fixes"]
                raw_ok += st["passed_raw"]
                grounded += st.get("grounded", 0)
                usable += st.get("usable", 0)
                own = [v for v in batch.variants if v.backend == backend.name]  # the model's, not the template top-up
                kept += len(own)
                topped += len(batch.variants) - len(own)
                secs += st["generation_seconds"]
                toks += st["tokens"]
                if own:
                    d2.append(distinct_n([v.body for v in own]))
                d2_raw.append(distinct_n([v.raw for v in batch.variants + batch.blocked]))
                pooled += [v.body for v in own]
                with kept_path.open("a", encoding="utf-8") as fh:  # every exported variant: the blind read samples these
                    for v in batch.variants:
                        fh.write(json.dumps({"channel": channel, "product": pid, "segment": seg.name, "tone": tone,
                                             "backend": v.backend, "outcome": v.outcome, "text": v.body,
                                             "final": v.final_text},
                                            ensure_ascii=False) + "\n")
                for v in own:
                    lengths.append(v.length)
                    budgets.append(v.budget)
                for v in (batch.variants[:1] + batch.blocked[:1]):
                    sample = {"channel": channel, "product": pid, "segment": seg.name, "tone": tone,
                              "passed": v.passed and bool(v.usability.get("usable", True)), "outcome": v.outcome,
                              "score": v.score, "usability": v.usability.get("reasons", []), "plan": v.plan,
                              "raw": v.raw, "final": v.final_text,
                                    "blocked_by": [f"{f['rule_id']}: {f['title']} ({f['matched']})"
                                                   for f in v.findings if f["action"] == "block"],
                                    "auto_fixes": v.auto_fixes}
                    samples.append(sample)
                    with jsonl.open("a", encoding="utf-8") as fh:  # written as it goes: a stopped run keeps its samples
                        fh.write(json.dumps(sample, ensure_ascii=False) + "\n")
        row = {
            "backend": backend.name, "channel": channel, "batches": len(product_ids) * len(segs),
            "candidates": cand, "pass_after_fixes": round(passed / cand, 3) if cand else None,
            "pass_raw_untouched": round(raw_ok / cand, 3) if cand else None, "kept": kept,
            "asked": per_batch * len(product_ids) * len(segs), "topped_up_from_templates": topped,
            "grounded_rate": round(grounded / cand, 3) if cand else None,
            "usable_rate": round(usable / cand, 3) if cand else None,
            "distinct2_kept": round(statistics.mean(d2), 3) if d2 else None,
            "distinct2_raw": round(statistics.mean(d2_raw), 3) if d2_raw else None,
            "distinct2_pooled_kept": round(distinct_n(pooled), 3) if pooled else None,
            "mean_length": round(statistics.mean(lengths), 1) if lengths else None,
            "budget": budgets[0] if budgets else None,
            "length_vs_budget": round(statistics.mean(lengths) / budgets[0], 3) if lengths else None,
            "unit": "SMS units" if channel == "sms" else "chars",
            "generation_seconds": round(secs, 2), "candidates_per_s": round(cand / secs, 1) if secs else None,
            "tokens_per_s": round(toks / secs, 1) if secs and toks else None,
        }
        rows.append(row)
        emit("copy_quality", **row, device=getattr(getattr(backend, "lm", None), "device", "cpu"))
    emit("copy_quality_total", backend=backend.name, seconds=round(time.perf_counter() - started, 1),
         candidates=sum(r["candidates"] for r in rows),
         candidates_per_s_all=round(sum(r["candidates"] for r in rows) / (time.perf_counter() - started), 1))
    OUT.mkdir(parents=True, exist_ok=True)
    good = sorted([s for s in samples if s["passed"]], key=lambda s: -s["score"])[: dump]
    bad = sorted([s for s in samples if not s["passed"]], key=lambda s: s["score"])[: dump]
    worst_kept = sorted([s for s in samples if s["passed"]], key=lambda s: s["score"])[: dump]
    path = OUT / f"copy_samples_{backend.name}{tag}.json"
    path.write_text(json.dumps({"best_kept": good, "worst_kept": worst_kept, "set_aside": bad, "table": rows},
                               ensure_ascii=False, indent=2))
    emit("copy_quality_samples", path=str(path), good=len(good), bad=len(bad))
    return backend


def bench_throughput(backend, n: int) -> None:
    """Variants per second for one large SMS batch (batched generation on a GPU)."""
    from core.copy.generate import CopyRequest, generate_copy

    req = CopyRequest("cash_rewards_card", "sms", SEGMENTS[2], "friendly", "en", n, seed=7)
    t = time.perf_counter()
    batch = generate_copy(req, backend)
    dt = time.perf_counter() - t
    st = batch.stats
    emit("copy_lm_throughput", device=backend.lm.device, requested=n, made=st["made"], candidates=st["candidates"],
         kept=st["kept_from_model"], seconds=round(dt, 2), candidates_per_s=round(st["candidates"] / dt, 1),
         kept_variants_per_s=round(st["kept_from_model"] / dt, 2), tokens_per_s=st["tokens_per_second"],
         pass_after_fixes=st["pass_rate_after_fixes"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--parts", default="template", help="comma-separated: template, lm, quality, quality-template")
    ap.add_argument("--per-batch", type=int, default=3, help="variants asked per (product, segment, channel)")
    ap.add_argument("--gguf", default=None, help="load this GGUF directly (GPU machine)")
    ap.add_argument("--device", default=None, choices=[None, "cpu", "cuda"])
    ap.add_argument("--dump", type=int, default=8)
    ap.add_argument("--products", default="", help="comma-separated product ids (default: all)")
    ap.add_argument("--channels", default="", help="comma-separated channels (default: all)")
    ap.add_argument("--segments", type=int, default=len(SEGMENTS), help="how many of the 3 segments")
    ap.add_argument("--tag", default="", help="suffix of the samples file names")
    ap.add_argument("--throughput", type=int, default=0, help="time one batch of this many SMS variants (before any quality part)")
    ap.add_argument("--dtype", default=None, choices=[None, "float32", "bfloat16"], help="with --gguf: weights dtype")
    args = ap.parse_args()
    global DTYPE
    DTYPE = args.dtype
    parts = {p.strip() for p in args.parts.split(",")}
    if "template" in parts:
        bench_template()
    if "lm" in parts:
        bench_lm()
    sel = {"products": [p for p in args.products.split(",") if p] or None,
           "channels": [c for c in args.channels.split(",") if c] or None, "segments": args.segments,
           "tag": f"_{args.tag}" if args.tag else ""}
    if "quality-template" in parts:
        bench_quality("template", args.per_batch, None, None, args.dump, **sel)
    backend = None
    if args.throughput:  # first: on a leased GPU this is the figure that must come back
        backend = _lm_backend(args.gguf, args.device)
        bench_throughput(backend, 12)  # warm-up: kernels, caches
        bench_throughput(backend, args.throughput)
    if "quality" in parts:
        bench_quality("local", args.per_batch, args.gguf, args.device, args.dump, backend=backend, **sel)


if __name__ == "__main__":
    main()
