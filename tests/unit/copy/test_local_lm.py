"""The local language-model backend, on a tiny randomly initialised model built in the test.

The real embedded model is only loaded by the ``slow`` test below, and only with STUDIO_TEST_REAL_LM=1.
"""

import os
from types import SimpleNamespace

import pytest

from core.copy.backends.base import Prompt
from core.copy.backends.local_lm import LocalLMBackend, load_lm, mark_dequantised, resolve_source
from core.copy.generate import CopyRequest, generate_copy
from core.errors import ModelLoadError

PROMPT = Prompt("Product: High-Yield Savings\nFacts: 4.10% APY\nSMS:", {})


def test_streams_tokens_and_returns_n_candidates(tiny_lm):
    backend = LocalLMBackend(tiny_lm)
    pieces = []
    out = backend.generate(PROMPT, 3, seed=5, max_new_tokens=12, stream=lambda i, d: pieces.append((i, d)))
    assert len(out) == 3 and {i for i, _ in pieces} == {0, 1, 2}
    for c in out:
        assert c.backend == "local" and 0 < c.tokens <= 12 and c.finish_reason in ("stop", "length")
        streamed = "".join(d for i, d in pieces if i == c.index)
        assert c.text.split("\n")[0].startswith(streamed) or streamed.startswith(c.text.split("\n")[0])


def test_same_seed_same_text_with_and_without_streaming(tiny_lm):
    backend = LocalLMBackend(tiny_lm)
    a = backend.generate(PROMPT, 2, seed=11, max_new_tokens=10)
    b = backend.generate(PROMPT, 2, seed=11, max_new_tokens=10, stream=lambda i, d: None)
    assert [c.text for c in a] == [c.text for c in b]


def test_stops_at_the_end_of_the_line(tiny_lm):
    backend = LocalLMBackend(tiny_lm)
    for c in backend.generate(PROMPT, 6, seed=1, max_new_tokens=40):
        if c.finish_reason == "stop" and c.tokens < 40:
            assert "\n" in c.text or c.tokens < 40


def test_random_model_output_never_passes_unchecked(tiny_lm, engine, segment):
    batch = generate_copy(CopyRequest("high_yield_savings", "sms", segment, "friendly", "en", 3, 2), LocalLMBackend(tiny_lm))
    for v in batch.variants:
        assert engine.check(v.body, "high_yield_savings", "sms").passed
    assert batch.stats["tokens"] > 0 and batch.backend["fingerprint"] == "tiny-test-llama"


def test_local_model_says_it_writes_english_only(tiny_lm, segment):
    batch = generate_copy(CopyRequest("cd_12_month", "push", segment, "friendly", "zh", 2, 1), LocalLMBackend(tiny_lm))
    assert batch.backend["backend"] == "template" and any("does not write" in n for n in batch.notes)


def test_mark_dequantised_lets_save_pretrained_run(tiny_lm, tmp_path):
    model = tiny_lm.model
    model.hf_quantizer = SimpleNamespace(quantization_config=SimpleNamespace(quant_method="gguf"))
    model.config.quantization_config = {"quant_method": "gguf"}
    with pytest.raises(ValueError, match="not serializable"):
        model.save_pretrained(tmp_path / "refused")
    mark_dequantised(model)
    model.save_pretrained(tmp_path / "saved")
    assert (tmp_path / "saved" / "model.safetensors").exists()
    assert "quantization_config" not in (tmp_path / "saved" / "config.json").read_text()


def test_a_local_model_folder_loads_through_the_registry(tiny_lm, tmp_path):
    folder = tmp_path / "tiny-model"
    tiny_lm.model.save_pretrained(folder)
    tiny_lm.tokenizer.save_pretrained(folder)
    lm = load_lm(str(folder), device="cpu")
    assert lm.source.kind == "dir" and lm.device == "cpu"
    again = load_lm(str(folder), device="cpu")
    assert again is lm  # cached by the registry
    from core.runtime import get_registry

    assert any(m.name == "copy-lm" for m in get_registry().loaded())
    out = LocalLMBackend(lm).generate(PROMPT, 1, seed=0, max_new_tokens=5)
    assert len(out) == 1


def test_bad_model_path_is_a_load_error(tmp_path):
    with pytest.raises(ModelLoadError, match="neither a GGUF file nor a model folder"):
        resolve_source(str(tmp_path / "nope"))
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{}")
    with pytest.raises(ModelLoadError):
        load_lm(str(broken), device="cpu")


def test_embedded_model_source_is_the_packaged_gguf():
    src = resolve_source("")
    assert src.kind == "embedded" and src.fingerprint.startswith("gemma3-270m-")


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("STUDIO_TEST_REAL_LM") != "1", reason="set STUDIO_TEST_REAL_LM=1 to load the real model")
def test_real_embedded_model_writes_checked_copy(segment, engine):
    backend = LocalLMBackend.load()
    assert backend.lm.source.kind == "embedded"
    batch = generate_copy(CopyRequest("high_yield_savings", "sms", segment, "friendly", "en", 1, 7), backend)
    assert batch.stats["candidates"] >= 1 and batch.stats["tokens"] > 0
    for v in batch.variants:
        assert engine.check(v.body, "high_yield_savings", "sms").passed


def test_batched_sampling_gives_n_candidates_and_is_reproducible(tiny_lm):
    backend = LocalLMBackend(tiny_lm, batch=True)
    a = backend.generate(PROMPT, 4, seed=3, max_new_tokens=8)
    b = backend.generate(PROMPT, 4, seed=3, max_new_tokens=8)
    assert len(a) == 4 and [c.index for c in a] == [0, 1, 2, 3]
    assert [c.text for c in a] == [c.text for c in b]
    assert all(0 < c.tokens <= 8 for c in a)


def test_on_the_cpu_the_model_runs_int8_unless_settings_say_float(tiny_lm, tmp_path):
    import torch

    from core.runtime import registry

    folder = tmp_path / "tiny-int8"
    tiny_lm.model.save_pretrained(folder)
    tiny_lm.tokenizer.save_pretrained(folder)
    registry._reset_for_tests()
    lm = load_lm(str(folder), device="cpu", int8=True)
    linears = [m for m in lm.model.modules() if isinstance(m, torch.nn.Linear)]
    quantised = [m for m in lm.model.modules() if type(m).__module__.startswith("torch.ao.nn.quantized")]
    assert lm.int8 and quantised and not linears
    assert LocalLMBackend(lm).describe()["int8"] is True
    out = LocalLMBackend(lm).generate(PROMPT, 2, seed=0, max_new_tokens=6)
    assert len(out) == 2 and all(c.tokens > 0 for c in out)
    registry._reset_for_tests()
    plain = load_lm(str(folder), device="cpu", int8=False)
    assert not plain.int8 and any(isinstance(m, torch.nn.Linear) for m in plain.model.modules())
    registry._reset_for_tests()


def test_the_prompt_cache_changes_no_candidate(tiny_lm):
    """Candidates continue from a copy of the prompt's cache: the same text as reading the prompt each time."""
    backend = LocalLMBackend(tiny_lm)
    cached = backend.generate(PROMPT, 3, seed=11, max_new_tokens=10)
    backend._prompt_cache = lambda enc: None  # the path without a reusable cache
    fresh = backend.generate(PROMPT, 3, seed=11, max_new_tokens=10)
    assert [c.text for c in cached] == [c.text for c in fresh]
