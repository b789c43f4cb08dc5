"""The fine-tuned copy model: the corpus, training, the merge at load, and the tuned prompt."""

from __future__ import annotations

import copy
import json

import pytest
import torch
from safetensors.torch import save_file

from core.copy import tuning
from core.copy.backends import adapter
from core.copy.backends.local_lm import LoadedLM, LocalLMBackend
from core.copy.generate import CopyRequest, generate_copy
from core.errors import ModelLoadError

BENCH_SEGMENTS = ("Young digital savers", "Affluent retirees", "Young families")  # what bench_copy evaluates on


def _loss(model, tokenizer, examples) -> float:
    total = 0.0
    with torch.no_grad():
        for ex in examples:
            p = tokenizer(ex.prompt)["input_ids"]
            t = tokenizer(" " + ex.text + "\n", add_special_tokens=False)["input_ids"]
            x = torch.tensor([p + t])
            y = torch.tensor([[-100] * len(p) + t])
            total += float(model(input_ids=x, labels=y).loss)
    return total / len(examples)


def _examples(n: int = 8) -> list[tuning.TuningExample]:
    texts = ["Earn 4.10% APY with High-Yield Savings.", "Save a little each month with automatic transfers."]
    return [tuning.TuningExample(f"Product: High-Yield Savings\nSay: {texts[i % 2]}\nSMS:", texts[i % 2],
                                 "high_yield_savings", "sms") for i in range(n)]


def test_training_lowers_the_loss_and_the_merged_adapter_carries_what_was_learned(tiny_lm, tmp_path):
    pytest.importorskip("peft")
    examples = _examples()
    base = copy.deepcopy(tiny_lm.model)
    torch.manual_seed(1)
    with torch.no_grad():  # a frozen output layer at init scale (0.02) caps what any adapter can learn
        base.lm_head.weight.normal_(0.0, 1.0)
    before = _loss(base, tiny_lm.tokenizer, examples)
    record = tuning.train_adapter(copy.deepcopy(base), tiny_lm.tokenizer, examples, tmp_path / "ad",
                                  base_fingerprint="tiny-test-llama", epochs=10, lr=1e-2, batch=4)
    assert record["steps"] == 20 and record["examples"] == 8 and record["loss_last"] < record["loss_first"]
    assert json.loads((tmp_path / "ad" / "training.json").read_text())["corpus"] == tuning.corpus_fingerprint(examples)
    merged = copy.deepcopy(base)
    info = adapter.merge_adapter(merged, tmp_path / "ad")
    assert info["merged_layers"] == 2 * len(tuning.TARGET_MODULES)  # every projection of both layers
    after = _loss(merged, tiny_lm.tokenizer, examples)
    assert after < before - 0.5, (before, after)
    assert _loss(base, tiny_lm.tokenizer, examples) == pytest.approx(before)  # training and merging worked on copies


def _adapter(folder, tensors, rank=2, alpha=4):
    folder.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(folder / adapter.ADAPTER_FILE))
    (folder / "training.json").write_text(json.dumps({"rank": rank, "alpha": alpha, "corpus": "c0ffee"}))
    return folder


def test_the_merge_adds_scale_times_b_a_to_the_layer(tiny_lm, tmp_path):
    model = copy.deepcopy(tiny_lm.model)
    name = "model.layers.0.self_attn.q_proj"
    w = dict(model.named_modules())[name].weight
    a, b = torch.randn(2, w.shape[1]), torch.randn(w.shape[0], 2)
    folder = _adapter(tmp_path / "ad", {f"{name}.lora_A": a, f"{name}.lora_B": b})
    before = w.detach().clone()
    adapter.merge_adapter(model, folder)
    assert torch.allclose(dict(model.named_modules())[name].weight, before + 2.0 * (b @ a), atol=1e-5)


def test_an_adapter_for_another_model_leaves_the_base_model_serving_with_the_reason(tiny_lm, tmp_path, monkeypatch):
    model = copy.deepcopy(tiny_lm.model)
    name = "model.layers.0.self_attn.q_proj"
    folder = _adapter(tmp_path / "tiny-test-llama", {f"{name}.lora_A": torch.randn(2, 7), f"{name}.lora_B": torch.randn(5, 2)})
    with pytest.raises(ModelLoadError, match="does not fit"):
        adapter.merge_adapter(copy.deepcopy(model), folder)
    monkeypatch.setattr(adapter, "ADAPTERS", tmp_path)
    before = dict(model.named_modules())[name].weight.detach().clone()
    record, why = adapter.adapter_for(model, "tiny-test-llama")
    assert record is None and "does not fit" in why and "few-shot" in why
    assert torch.equal(dict(model.named_modules())[name].weight, before)
    (folder / adapter.ADAPTER_FILE).write_bytes(b"not a tensor file")
    record, why = adapter.adapter_for(model, "tiny-test-llama")
    assert record is None and "cannot be read" in why


def test_the_tuned_model_is_prompted_with_the_plan_alone_and_the_base_model_with_examples(tiny_lm, segment):
    prompts: dict[str, list[str]] = {}
    for style, record in (("tuned", {"corpus": "c0ffee"}), ("few_shot", None)):
        lm = LoadedLM(tiny_lm.model, tiny_lm.tokenizer, "cpu", tiny_lm.source, adapter=record)
        backend = LocalLMBackend(lm)
        assert backend.prompt_style == style
        seen = prompts.setdefault(style, [])
        real = backend.generate

        def spy(prompt, n, seed, max_new, seen=seen, real=real, **kw):
            seen.append(prompt.text)
            return real(prompt, n, seed, 4, **kw)

        backend.generate = spy  # type: ignore[method-assign]
        generate_copy(CopyRequest("high_yield_savings", "sms", segment, "friendly", "en", 2, 1), backend)
    tuned, few = prompts["tuned"][0], prompts["few_shot"][0]
    assert tuned.startswith("Lakeside Bank - approved marketing copy (SMS).\nProduct: High-Yield Savings\nSay: ")
    assert tuned.endswith("SMS:") and tuned.count("Product:") == 1
    assert few.count("Product:") >= 3  # examples, then the request
    assert "fine-tuned" in LocalLMBackend(LoadedLM(tiny_lm.model, tiny_lm.tokenizer, "cpu", tiny_lm.source,
                                                   adapter={"corpus": "c0ffee"})).label


def test_the_corpus_teaches_only_sendable_copy_on_every_product_and_channel(catalogue, engine):
    rows = [json.loads(line) for line in tuning.CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) >= 250
    assert {(r["product"], r["channel"]) for r in rows} == {(p, c) for p in catalogue.products for c in catalogue.channels}
    assert not [r for r in rows if any(s.lower() in r["audience"].lower() for s in BENCH_SEGMENTS)]  # held out
    questioned = []
    for r in rows:
        assert set(r["say"]) <= set(catalogue.products[r["product"]].benefit_texts("en")), r
        verdict = engine.check(r["text"], catalogue.products[r["product"]], r["channel"], "en")
        assert verdict.outcome != "block" and verdict.body.strip() == r["text"].strip(), (r["text"], verdict.outcome)
        flags = {f.rule_id for f in verdict.findings if f.action in ("review", "block")}
        assert not {f for f in flags if not f.startswith("M")}, (r["text"], flags)  # no rule, only a borderline meaning score
        if flags:
            questioned.append(r["text"])
    # the meaning classifiers are retrained on each machine: a line within a hair of their threshold may go to review
    assert len(questioned) <= 3, questioned


def test_the_shipped_adapter_was_trained_on_the_corpus_as_it_is():
    from core.copy.backends.local_lm import resolve_source

    folder = adapter.find_adapter(resolve_source("").fingerprint)
    assert folder is not None, "no adapter for the embedded model: run python -m core.copy.tuning"
    record = json.loads((folder / "training.json").read_text())
    examples = tuning.tuning_examples()  # trained on the corpus whole, as main() does
    assert record["corpus"] == tuning.corpus_fingerprint(examples), "the corpus changed: retrain the adapter"
    assert record["examples"] == len(examples) and record["loss_last"] < record["loss_first"]
