"""The one place the meaning model is trained (once, seeded) and loaded after.

The model is a workspace artifact (``copy-meaning/<fingerprint>``): the fine-tuned sentence
encoder (``encoder/``, safetensors + tokenizer) and the heads (``heads.npz``, ``meaning.json``).
Its fingerprint covers the training corpus, the training parameters and the encoder, so editing
``assets/copy/corpus/train.jsonl`` retrains it on the next check. The held-out corpus never enters.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.copy.corpus import COMPLIANT, corpus_fingerprint, load_corpus
from core.copy.meaning.encoder import ENCODER_NAME, SentenceEncoder
from core.copy.meaning.model import MeaningModel

ARTIFACT_NAME = "copy-meaning"
VERSION = 1


@dataclass(frozen=True)
class MeaningParams:
    """How the meaning model is trained; part of its fingerprint."""

    seed: int = 42
    pairs_per_text: int = 4  # SetFit pairs per sentence (0: frozen encoder, heads only)
    epochs: int = 1
    template_negatives: int = 240  # compliant claims written by the template backend, as extra negatives

    def fingerprint(self) -> str:
        payload = json.dumps({"v": VERSION, "encoder": ENCODER_NAME, "corpus": corpus_fingerprint("train"),
                              **self.__dict__}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


class MeaningScorer:
    """A loaded meaning model with its encoder: probabilities per claim."""

    def __init__(self, model: MeaningModel, encoder: SentenceEncoder) -> None:
        self.model, self.encoder = model, encoder
        self.fingerprint = model.fingerprint

    @property
    def classes(self) -> tuple[str, ...]:
        return self.model.classes

    def threshold(self, language: str, cls: str) -> float:
        return self.model.threshold(language, cls)

    def predict(self, claims: list[str], language: str) -> np.ndarray:
        return self.model.predict(claims, language, self.encoder)


def template_negatives(n: int, seed: int) -> dict[str, list[str]]:
    """Distinct compliant claims of the template backend, per language (extra negatives for the heads)."""
    from core.copy.backends.template import TemplateBackend
    from core.copy.catalogue import get_catalogue
    from core.copy.claims import split_claims

    cat = get_catalogue()
    backend = TemplateBackend()
    out: dict[str, list[str]] = {}
    for lang in ("en", "zh"):
        seen: dict[str, None] = {}
        i = 0
        for pid, product in cat.products.items():
            for channel in cat.channels:
                for theme in ("general", *backend.bank.theme_keywords):
                    ctx = {"product": product, "channel": channel, "tone": "friendly", "language": lang,
                           "theme": theme}
                    text = backend.render_one(ctx, i, seed)
                    i += 1
                    for c in split_claims(text, lang):
                        seen.setdefault(c.text, None)
        out[lang] = list(seen)[:n]
    return out


def fit_scorer(params: MeaningParams, progress: Callable[[float, str], None] | None = None,
               device: str = "cpu") -> MeaningScorer:
    """Train the model: fine-tune the encoder on the training corpus (SetFit pairs), then fit the heads."""
    from core.copy.meaning.contrastive import finetune
    from core.copy.meaning.train import fit_meaning_model

    examples = load_corpus("train")
    base = SentenceEncoder.load(device)
    en = [e for e in examples if e.language == "en" and not e.label.startswith(("number_", "unsupported_"))]
    encoder = base
    if params.pairs_per_text > 0:
        encoder = finetune(base, [e.text for e in en], [e.label for e in en], seed=params.seed,
                           per_text=params.pairs_per_text, epochs=params.epochs,
                           progress=(lambda f, m: progress(0.7 * f, m)) if progress else None)
    negatives = template_negatives(params.template_negatives, params.seed) if params.template_negatives else {}
    negatives = {lang: [t for t in items if t not in {e.text for e in examples if e.label != COMPLIANT}]
                 for lang, items in negatives.items()}
    model = fit_meaning_model(examples, encoder, fingerprint=params.fingerprint(), seed=params.seed,
                              extra_negatives=negatives,
                              progress=(lambda f, m: progress(0.7 + 0.3 * f, m)) if progress else None)
    return MeaningScorer(model, encoder)


def write_scorer(scorer: MeaningScorer, folder: Path) -> dict:
    meta = scorer.model.save(folder)
    (folder / "encoder").mkdir(exist_ok=True)
    scorer.encoder.model.save_pretrained(folder / "encoder")
    scorer.encoder.tokenizer.save_pretrained(folder / "encoder")
    return meta


def load_scorer(folder: Path, device: str = "cpu") -> MeaningScorer:
    from transformers import AutoModel, AutoTokenizer

    model = MeaningModel.load(folder)
    enc_dir = folder / "encoder"
    encoder = SentenceEncoder(AutoModel.from_pretrained(str(enc_dir)).eval().to(device),
                              AutoTokenizer.from_pretrained(str(enc_dir)), device)
    return MeaningScorer(model, encoder)


_lock = threading.Lock()


def get_meaning_scorer(params: MeaningParams | None = None, progress: Any = None, user: Any = None) -> MeaningScorer:
    """The meaning model for ``params``: from the process registry, else the artifact, else trained once."""
    from core.runtime import get_registry

    params = params or MeaningParams()
    fp = params.fingerprint()
    registry = get_registry()
    with _lock:
        def loader(device: str) -> MeaningScorer:
            if not registry.has_artifact(ARTIFACT_NAME, fp):
                with registry.training_lock(ARTIFACT_NAME, fp):
                    if not registry.has_artifact(ARTIFACT_NAME, fp):
                        scorer = fit_scorer(params, progress)
                        registry.save_artifact(ARTIFACT_NAME, fp, lambda tmp: write_scorer(scorer, tmp))
                        return scorer
            return load_scorer(registry.artifact_dir(ARTIFACT_NAME, fp), "cpu")

        return registry.get(ARTIFACT_NAME, fp, loader, "cpu")
