"""The meaning model: per language, one logistic head per violation class, with a tuned threshold.

``predict(claims, language)`` gives, for every claim, the probability of each class. A head says a
claim is in its class at or above the class's threshold (chosen by cross-validation on the training
corpus, never on the held-out test). Saved as ``heads.npz`` (plain float arrays, loaded with
``allow_pickle=False``) and ``meaning.json``; the model's fingerprint is part of its own state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.copy.meaning.features import features, uses_embedding
from core.errors import ModelLoadError

LANGUAGES = ("en", "zh")


@dataclass(frozen=True)
class Head:
    """The heads of one language: weights (C, D), intercepts (C,), thresholds (C,)."""

    weights: np.ndarray
    intercepts: np.ndarray
    thresholds: np.ndarray


@dataclass(frozen=True)
class MeaningModel:
    """Violation-class probabilities for claims; immutable once built."""

    fingerprint: str
    classes: tuple[str, ...]
    heads: dict[str, Head]
    seed: int
    metrics: dict[str, Any] = field(default_factory=dict)  # cross-validated precision/recall per class

    def predict(self, claims: list[str], language: str, encoder: Any = None) -> np.ndarray:
        """Probabilities (N, C) of each class for each claim."""
        lang = "zh" if language == "zh" else "en"
        if not claims:
            return np.zeros((0, len(self.classes)), dtype=np.float32)
        head = self.heads[lang]
        emb = encoder.encode(claims) if uses_embedding(lang) else None
        x = features(claims, lang, emb)
        logits = np.asarray(x @ head.weights.T) + head.intercepts  # (N, C)
        return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)

    def threshold(self, language: str, cls: str) -> float:
        head = self.heads["zh" if language == "zh" else "en"]
        return float(head.thresholds[self.classes.index(cls)])

    def save(self, folder: Path) -> dict:
        arrays = {}
        for lang, head in self.heads.items():
            arrays[f"{lang}_weights"] = head.weights.astype(np.float32)
            arrays[f"{lang}_intercepts"] = head.intercepts.astype(np.float32)
            arrays[f"{lang}_thresholds"] = head.thresholds.astype(np.float32)
        np.savez_compressed(folder / "heads.npz", **arrays)
        meta = {"fingerprint": self.fingerprint, "classes": list(self.classes), "seed": self.seed,
                "languages": sorted(self.heads), "metrics": self.metrics}
        (folder / "meaning.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        return {"classes": list(self.classes), "metrics": self.metrics}

    @classmethod
    def load(cls, folder: Path) -> MeaningModel:
        try:
            meta = json.loads((folder / "meaning.json").read_text(encoding="utf-8"))
            with np.load(folder / "heads.npz", allow_pickle=False) as data:
                heads = {lang: Head(data[f"{lang}_weights"], data[f"{lang}_intercepts"], data[f"{lang}_thresholds"])
                         for lang in meta["languages"]}
        except (OSError, KeyError, ValueError) as exc:
            raise ModelLoadError(f"The meaning model in {folder} cannot be read: {exc}",
                                 "It is retrained on the next check.") from exc
        return cls(fingerprint=str(meta["fingerprint"]), classes=tuple(meta["classes"]), heads=heads,
                   seed=int(meta["seed"]), metrics=dict(meta.get("metrics") or {}))
