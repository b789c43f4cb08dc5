"""The one place the meaning model is trained (once, seeded) and loaded after.

The model is a workspace artifact (``copy-meaning/<fingerprint>``): the heads (``heads.npz``,
``meaning.json``) and either the fine-tuned sentence encoder (``encoder/``, safetensors +
tokenizer) or, when the encoder is the packaged one left frozen, ``encoder.json`` naming it and
whether its Linear layers run in int8 (the heads are trained on the very embeddings they see).
Its fingerprint covers the training corpus, the training parameters and the encoder, so editing
``assets/copy/corpus/train.jsonl`` retrains it on the next check. The held-out corpus never enters.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.copy.corpus import COMPLIANT, corpus_fingerprint, load_corpus
from core.copy.meaning.encoder import ENCODER_NAME, SentenceEncoder
from core.copy.meaning.model import MeaningModel
from core.progress import Progress
from core.runtime.lifecycle import ArtifactKind, load_or_fit

if TYPE_CHECKING:
    from core.auth import User

ARTIFACT_NAME = "copy-meaning"
VERSION = 3  # 3: the n-gram screen before the encoder; encoder.json for the packaged frozen encoder


@dataclass(frozen=True)
class MeaningParams:
    """How the meaning model is trained; part of its fingerprint."""

    seed: int = 42
    # SetFit pairs per sentence; 0 = frozen encoder, heads only. Measured on this 2-core machine under load:
    # about 8 s per contrastive step, so the ~600 steps of a full fine-tune do not fit a first check. Set it
    # where a GPU or a quiet CPU is available.
    pairs_per_text: int = 0
    epochs: int = 1
    template_negatives: int = 240  # compliant claims written by the template backend, as extra negatives
    # int8 Linear layers for the frozen encoder on the CPU: 1.6x the claims/s at cosine 0.96 to the float
    # embeddings (the heads are then trained on the int8 ones). Off: dynamic quantisation scales the
    # activations per batch, so a claim's embedding, and its verdict, would depend on the claims batched
    # with it (a cluster batch and the same batch in memory scored differently)
    quantize: bool = False

    def fingerprint(self) -> str:
        payload = json.dumps({"v": VERSION, "encoder": ENCODER_NAME, "corpus": corpus_fingerprint("train"),
                              **self.__dict__}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


class MeaningScorer:
    """A loaded meaning model with its encoder: probabilities per claim."""

    def __init__(self, model: MeaningModel, encoder: SentenceEncoder) -> None:
        self.model, self.encoder = model, encoder
        self.fingerprint = model.fingerprint  # the lifecycle checks it against the artifact

    @property
    def labels(self) -> tuple[str, ...]:
        return self.model.labels

    def flag_below(self, language: str) -> float:
        return self.model.flag_below(language)

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
        for product in cat.products.values():
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


def fit_scorer(params: MeaningParams, progress: Progress | None = None,
               device: str = "cpu") -> MeaningScorer:
    """Train the model: fine-tune the encoder on the training corpus (SetFit pairs), then fit the heads."""
    from core.copy.meaning.contrastive import finetune
    from core.copy.meaning.train import fit_meaning_model

    examples = load_corpus("train")
    base = SentenceEncoder.load(device, quantize=_quantized(params, device))
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


def _quantized(params: MeaningParams, device: str) -> bool:
    return params.quantize and params.pairs_per_text == 0 and device == "cpu"


def write_scorer(scorer: MeaningScorer, folder: Path) -> dict:
    meta = scorer.model.save(folder)
    if scorer.encoder.packaged:
        (folder / "encoder.json").write_text(json.dumps({"packaged": ENCODER_NAME, "quantized": scorer.encoder.quantized}),
                                             encoding="utf-8")
        return meta
    (folder / "encoder").mkdir(exist_ok=True)
    scorer.encoder.model.save_pretrained(folder / "encoder")
    scorer.encoder.tokenizer.save_pretrained(folder / "encoder")
    return meta


def load_scorer(folder: Path, device: str = "cpu") -> MeaningScorer:
    from transformers import AutoModel, AutoTokenizer

    from core.errors import ModelLoadError

    model = MeaningModel.load(folder)
    marker = folder / "encoder.json"
    if marker.exists():
        try:
            spec = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"The meaning model's encoder note in {folder} cannot be read: {exc}",
                                 "It is moved aside and retrained.") from exc
        if spec.get("packaged") != ENCODER_NAME:
            raise ModelLoadError(f"The meaning model in {folder} was trained on the encoder {spec.get('packaged')!r}, "
                                 f"not the installed {ENCODER_NAME}.", "It is moved aside and retrained.")
        return MeaningScorer(model, SentenceEncoder.load(device, quantize=bool(spec.get("quantized"))))
    enc_dir = folder / "encoder"
    encoder = SentenceEncoder(AutoModel.from_pretrained(str(enc_dir)).eval().to(device),
                              AutoTokenizer.from_pretrained(str(enc_dir)), device)
    return MeaningScorer(model, encoder)


KIND = ArtifactKind(ARTIFACT_NAME, "copy_meaning_model", VERSION)


def describe_scorer(scorer: MeaningScorer) -> dict:
    return {"name": "Copy meaning classifiers", "params": {"encoder": scorer.encoder.fingerprint,
                                                           "labels": list(scorer.labels)},
            "seed": scorer.model.seed, "result": scorer.model.metrics}


def get_meaning_scorer(params: MeaningParams | None = None, progress: Progress | None = None,
                       user: User | None = None) -> MeaningScorer:
    """The meaning model for ``params``: from memory, from its workspace artifact, or trained once now."""
    params = params or MeaningParams()
    return load_or_fit(KIND, params.fingerprint(), fit=lambda device: fit_scorer(params, progress, "cpu"),
                       load=lambda folder, device: load_scorer(folder, "cpu"), write=write_scorer,
                       describe=describe_scorer, user=user, progress=progress, device="cpu")
