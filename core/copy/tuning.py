"""The embedded model, fine-tuned once on the team's corpus of good copy (a LoRA adapter).

Gemma 3 270M is a base model made for task fine-tuning: few-shot prompting alone leaves it
rambling in the first person, drifting off the product and contradicting itself. A low-rank
adapter (LoRA, Hu et al. 2021) trained on the team's approved copy teaches it the one task it has
here: phrase a plan (product, the claims to say, the audience, the tone, the channel) as copy a
bank could send. The corpus is ``assets/copy/tuning/good_copy.jsonl`` (written and checked by the
team: every line passes the rule engine) plus the approved few-shot examples; the three segments
the copy bench evaluates on are never in it.

* **Once, shipped**: :func:`train_adapter` runs in about 12 minutes on a 2-core CPU (``python -m
  core.copy.tuning``); the adapter (a few MB) is kept under ``assets/copy/tuning/adapters/<base
  fingerprint>/`` with what it was trained on (``training.json``), so no user waits for it.
* **Merged at load**: :func:`core.copy.backends.adapter.merge_adapter` adds each layer's ``scale * B @ A`` to its weight when
  the model loads (before the CPU's int8 step), so inference costs what the base model costs and
  needs no fine-tuning library. ``Settings.llm_adapter`` turns it off (the few-shot prompts return).
* **Same prompt in training and use**: the tuned model is prompted with
  ``assets/copy/prompts/tuned.j2`` (the plan, no examples) through :func:`core.copy.prompts.render_prompt`,
  which is also what :func:`tuning_examples` renders for training.

Training needs ``peft`` (the test and bench requirements pin it); loading a trained adapter does not.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.copy.approved import CORPUS
from core.copy.backends.adapter import ADAPTER_FILE, adapter_dir
from core.copy.catalogue import ASSETS_DIR, Catalogue, get_catalogue
from core.errors import ModelError

logger = logging.getLogger(__name__)

TUNING_DIR = ASSETS_DIR / "tuning"
# the attention and MLP projections of a decoder layer: the modules the adapter adapts
TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass(frozen=True)
class TuningExample:
    prompt: str  # the tuned prompt, ending with the channel label and a colon
    text: str  # the copy the model should write after it
    product: str
    channel: str


def _read_corpus(path: Path) -> list[dict]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except ValueError as exc:
                raise ModelError(f"Line {n} of {path.name} is not JSON: {exc}", "Fix the tuning corpus.") from exc
    return rows


def tuning_examples(catalogue: Catalogue | None = None, corpus: Path = CORPUS, engine: Any = None) -> list[TuningExample]:
    """The training pairs: the corpus and the approved few-shot examples, each as its tuned prompt.

    With ``engine``, a line whose copy does not pass the rules as it stands is left out. Training
    takes the corpus whole (:func:`main`): the adapter's fingerprint must not depend on where a
    borderline meaning score falls on a given machine, and the corpus's test keeps it sendable.
    """
    from core.briefs import SegmentBrief
    from core.copy.plan import Plan
    from core.copy.prompts import PROMPTS_DIR, _examples, _key_point, render_prompt

    catalogue = catalogue or get_catalogue()
    rows = _read_corpus(corpus) if corpus.exists() else []
    by_label = {p.label("en"): pid for pid, p in catalogue.products.items()}
    for kind_examples in _examples(str(PROMPTS_DIR / "examples.json")).values():
        for channel, items in kind_examples.items():
            for ex in items:
                pid = ex.get("product", "")
                pid = pid if pid in catalogue.products else by_label.get(pid, "")
                if pid:
                    rows.append({"product": pid, "channel": channel, "tone": ex.get("tone", "friendly"),
                                 "audience": ex["audience"], "say": [_key_point(ex["text"], catalogue.products[pid])],
                                 "text": ex["text"]})
    out = []
    for r in rows:
        product = catalogue.products.get(r.get("product", ""))
        channel, text = r.get("channel", ""), " ".join(str(r.get("text", "")).split())
        if product is None or channel not in catalogue.channels or not text:
            continue
        tone = str(r["tone"]) if r.get("tone") in catalogue.tones else "friendly"
        if engine is not None and engine.check(text, product, channel, "en").outcome != "pass":
            logger.info("tuning corpus: left out (does not pass the rules): %s", text)
            continue
        plan = Plan(tuple(r.get("say") or ()), "", str(r.get("audience", "")))
        prompt = render_prompt(catalogue, product, channel, tone, "en", SegmentBrief(plan.audience or "Customers", 0, 0.0),
                               plan=plan, style="tuned")
        out.append(TuningExample(prompt.text, text, product.id, channel))
    return out


def corpus_fingerprint(examples: list[TuningExample]) -> str:
    h = hashlib.sha256()
    for ex in examples:
        h.update(ex.prompt.encode())
        h.update(b"\0")
        h.update(ex.text.encode())
    return h.hexdigest()[:16]


def base_weights_folder() -> Path:
    """The embedded model's float weights as converted once (converting them now if needed), without any adapter."""
    from core.copy.backends.local_lm import REGISTRY_NAME, load_lm, resolve_source
    from core.runtime import get_registry

    source = resolve_source("")
    reg = get_registry()
    if not reg.has_artifact(REGISTRY_NAME, source.fingerprint):
        load_lm("", device="cpu", int8=False, adapter=False)
    return reg.artifact_dir(REGISTRY_NAME, source.fingerprint)


def _batches(examples: list[TuningExample], tokenizer: Any, batch: int, rng: random.Random, max_len: int):
    import torch

    order = list(range(len(examples)))
    rng.shuffle(order)
    eos = tokenizer.eos_token or ""
    for i in range(0, len(order), batch):
        ids, labels = [], []
        for j in order[i:i + batch]:
            ex = examples[j]
            p = tokenizer(ex.prompt, add_special_tokens=True)["input_ids"]
            t = tokenizer(" " + ex.text + "\n" + eos, add_special_tokens=False)["input_ids"]
            seq = (p + t)[:max_len]
            ids.append(seq)
            labels.append(([-100] * len(p) + t)[:max_len])
        width = max(len(s) for s in ids)
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        x = torch.full((len(ids), width), pad, dtype=torch.long)
        y = torch.full((len(ids), width), -100, dtype=torch.long)
        mask = torch.zeros((len(ids), width), dtype=torch.long)
        for r, (s, lab) in enumerate(zip(ids, labels, strict=True)):
            x[r, : len(s)] = torch.tensor(s)
            y[r, : len(lab)] = torch.tensor(lab)
            mask[r, : len(s)] = 1
        yield x, y, mask


def _target_loss(model: Any, x: Any, y: Any, mask: Any) -> Any:
    """Cross-entropy on the copy's tokens only, the output layer applied to those positions alone.

    The embedded model's vocabulary has 262k entries: logits for every prompt position would be
    most of a step's time and memory.
    """
    import torch

    base = model.get_base_model()
    hidden = base.model(input_ids=x, attention_mask=mask).last_hidden_state[:, :-1]
    target = y[:, 1:]
    keep = target != -100
    logits = base.lm_head(hidden[keep])
    cap = getattr(base.config, "final_logit_softcapping", None)
    if cap:
        logits = torch.tanh(logits / cap) * cap
    return torch.nn.functional.cross_entropy(logits.float(), target[keep])


def train_adapter(model: Any, tokenizer: Any, examples: list[TuningExample], out: Path, *, base_fingerprint: str,
                  rank: int = 8, alpha: int = 16, epochs: int = 3, lr: float = 2e-4, batch: int = 8, seed: int = 0,
                  max_len: int = 256, progress: Any = None) -> dict:
    """Train a LoRA adapter on ``examples`` for the float ``model`` and write it to ``out``; returns the record.

    ``model`` is changed (the adapter layers are added and removed again); load a fresh copy to use it.
    """
    try:
        from peft import LoraConfig, get_peft_model
    except ImportError as exc:
        raise ModelError("Fine-tuning needs the peft package.", "pip install peft==0.21.2") from exc
    import torch
    from safetensors.torch import save_file

    if not examples:
        raise ModelError("The tuning corpus is empty.", f"Write good copy to {CORPUS}.")
    torch.manual_seed(seed)
    rng = random.Random(seed)
    cfg = LoraConfig(r=rank, lora_alpha=alpha, lora_dropout=0.05, target_modules=list(TARGET_MODULES),
                     task_type="CAUSAL_LM")
    peft_model = get_peft_model(model, cfg)
    params = [p for p in peft_model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    steps = epochs * math.ceil(len(examples) / batch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 10) * max(0.05, 1 - s / steps))
    peft_model.train()
    losses: list[float] = []
    start = time.perf_counter()
    step = 0
    for _epoch in range(epochs):
        for x, y, mask in _batches(examples, tokenizer, batch, rng, max_len):
            loss = _target_loss(peft_model, x, y, mask)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            losses.append(loss.item())
            step += 1
            if progress:
                progress(step / steps, f"Tuning step {step} of {steps} (loss {losses[-1]:.3f})")
            logger.info("tuning step %d/%d loss %.4f", step, steps, losses[-1])
    peft_model.eval()
    tensors = {}
    for name, module in peft_model.named_modules():
        if hasattr(module, "lora_A") and "default" in getattr(module, "lora_A", {}):
            plain = name.replace("base_model.model.", "", 1)
            tensors[plain + ".lora_A"] = module.lora_A["default"].weight.detach().to(torch.float16).contiguous()
            tensors[plain + ".lora_B"] = module.lora_B["default"].weight.detach().to(torch.float16).contiguous()
    out.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out / ADAPTER_FILE))
    record = {"base": base_fingerprint, "rank": rank, "alpha": alpha, "epochs": epochs, "lr": lr, "batch": batch,
              "seed": seed, "steps": step, "examples": len(examples), "corpus": corpus_fingerprint(examples),
              "loss_first": round(sum(losses[:5]) / max(1, len(losses[:5])), 4),
              "loss_last": round(sum(losses[-5:]) / max(1, len(losses[-5:])), 4),
              "seconds": round(time.perf_counter() - start, 1), "target_modules": list(TARGET_MODULES)}
    (out / "training.json").write_text(json.dumps(record, indent=2) + "\n")
    peft_model.unload()
    return record


def main(argv: list[str] | None = None) -> int:
    """Train the shipped adapter for the embedded model: ``python -m core.copy.tuning [--epochs N]``."""
    import argparse

    from core.copy.backends.local_lm import _load_pretrained, resolve_source
    from core.copy.engine import get_engine

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="", help="write the adapter here instead of the shipped folder")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    fingerprint = resolve_source("").fingerprint
    model, tokenizer = _load_pretrained(base_weights_folder(), "cpu")
    examples = tuning_examples()
    engine = get_engine()
    for ex in examples:  # the corpus is curated (its test checks every line); say what the rules now question
        verdict = engine.check(ex.text, ex.product, ex.channel, "en")
        if verdict.outcome != "pass":
            logger.warning("tuning corpus line the rules send to %s: %s", verdict.outcome, ex.text)
    sys.stdout.write(f"{len(examples)} training examples\n")
    record = train_adapter(model, tokenizer, examples, Path(args.out) if args.out else adapter_dir(fingerprint),
                           base_fingerprint=fingerprint, rank=args.rank, epochs=args.epochs, seed=args.seed)
    sys.stdout.write(json.dumps(record) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
