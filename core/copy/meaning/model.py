"""The meaning model: per language, one softmax over "compliant" and the violation classes.

``predict(claims, language)`` gives, for every claim, the probability of each label (the first is
``compliant``). A claim is flagged when its probability of being compliant falls below the
language's flag threshold (chosen by cross-validation on the training corpus, never on the
held-out test); it is attributed to the most likely violation class. One softmax, rather than a
head per class, keeps the false flags of many classes from adding up. Saved as ``heads.npz``
(plain float arrays, loaded with ``allow_pickle=False``) and ``meaning.json``; the model's
fingerprint is part of its own state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.copy.meaning.features import features, hashed, uses_embedding
from core.errors import ModelLoadError

LANGUAGES = ("en", "zh")
COMPLIANT = "compliant"


@dataclass(frozen=True)
class Head:
    """The softmax of one language: weights (K, D), intercepts (K,), and the flag threshold on P(compliant)."""

    weights: np.ndarray
    intercepts: np.ndarray
    flag_below: float


@dataclass(frozen=True)
class Screen:
    """The n-gram-only softmax of one language and the P(compliant) above which it passes a claim."""

    weights: np.ndarray
    intercepts: np.ndarray
    pass_above: float


def _softmax(logits: np.ndarray) -> np.ndarray:
    logits = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(logits)
    return e / e.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class MeaningModel:
    """Label probabilities for claims; immutable once built."""

    fingerprint: str
    labels: tuple[str, ...]  # "compliant" first, then the violation classes
    heads: dict[str, Head]
    seed: int
    metrics: dict[str, Any] = field(default_factory=dict)  # cross-validated figures per language
    screens: dict[str, Screen] = field(default_factory=dict)  # language -> screen before the encoder

    @property
    def classes(self) -> tuple[str, ...]:
        return self.labels[1:]

    def predict(self, claims: list[str], language: str, encoder: Any = None) -> np.ndarray:
        """Probabilities (N, K) of each label for each claim."""
        lang = "zh" if language == "zh" else "en"
        if not claims:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        head = self.heads[lang]
        if not uses_embedding(lang):
            return _softmax(np.asarray(features(claims, lang) @ head.weights.T) + head.intercepts).astype(np.float32)
        grams = hashed(claims, lang)
        out = np.zeros((len(claims), len(self.labels)), dtype=np.float64)
        todo = np.arange(len(claims))
        screen = self.screens.get(lang)
        if screen is not None:
            ps = _softmax(np.asarray(grams @ screen.weights.T) + screen.intercepts)
            passed = ps[:, 0] >= screen.pass_above
            out[passed] = ps[passed]
            todo = np.flatnonzero(~passed)
        if len(todo):
            emb = encoder.encode([claims[i] for i in todo])
            x = features([claims[i] for i in todo], lang, emb, grams[todo])
            out[todo] = _softmax(np.asarray(x @ head.weights.T) + head.intercepts)
        return out.astype(np.float32)

    def flag_below(self, language: str) -> float:
        return float(self.heads["zh" if language == "zh" else "en"].flag_below)

    def save(self, folder: Path) -> dict:
        arrays = {}
        for lang, head in self.heads.items():
            arrays[f"{lang}_weights"] = head.weights.astype(np.float32)
            arrays[f"{lang}_intercepts"] = head.intercepts.astype(np.float32)
        for lang, sc in self.screens.items():
            arrays[f"{lang}_screen_weights"] = sc.weights.astype(np.float32)
            arrays[f"{lang}_screen_intercepts"] = sc.intercepts.astype(np.float32)
        np.savez_compressed(folder / "heads.npz", **arrays)  # type: ignore[arg-type]
        meta = {"fingerprint": self.fingerprint, "labels": list(self.labels), "seed": self.seed,
                "flag_below": {lang: h.flag_below for lang, h in self.heads.items()},
                "screen_pass_above": {lang: sc.pass_above for lang, sc in self.screens.items()}, "metrics": self.metrics}
        (folder / "meaning.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        return {"labels": list(self.labels), "metrics": self.metrics}

    @classmethod
    def load(cls, folder: Path) -> MeaningModel:
        try:
            meta = json.loads((folder / "meaning.json").read_text(encoding="utf-8"))
            with np.load(folder / "heads.npz", allow_pickle=False) as data:
                heads = {lang: Head(data[f"{lang}_weights"], data[f"{lang}_intercepts"], float(t))
                         for lang, t in meta["flag_below"].items()}
                screens = {lang: Screen(data[f"{lang}_screen_weights"], data[f"{lang}_screen_intercepts"], float(t))
                           for lang, t in (meta.get("screen_pass_above") or {}).items()}
        except (OSError, KeyError, ValueError) as exc:
            raise ModelLoadError(f"The meaning model in {folder} cannot be read: {exc}",
                                 "It is moved aside and retrained.") from exc
        return cls(fingerprint=str(meta["fingerprint"]), labels=tuple(meta["labels"]), heads=heads,
                   seed=int(meta["seed"]), metrics=dict(meta.get("metrics") or {}), screens=screens)
