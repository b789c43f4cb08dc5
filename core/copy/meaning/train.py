"""Fitting the meaning heads on the training corpus.

Per language and class, a logistic regression (class-balanced, L2) separates the class's sentences
from every other sentence: the compliant ones, which include contrast pairs written as hard
negatives ("subject to a credit check" against "we never check your credit"), the other classes,
and compliant claims the template backend writes. The threshold of each head maximises F1 on
out-of-fold probabilities of a seeded 5-fold cross-validation of the training corpus; the held-out
corpus is not seen here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from core.copy.corpus import COMPLIANT, MEANING_CLASSES, Example
from core.copy.meaning.features import features, uses_embedding
from core.copy.meaning.model import LANGUAGES, Head, MeaningModel

C_REG = 4.0
FOLDS = 5


def _fit_head(x: Any, y: np.ndarray, seed: int) -> LogisticRegression:
    clf = LogisticRegression(C=C_REG, class_weight="balanced", max_iter=2000, solver="liblinear", random_state=seed)
    return clf.fit(x, y)


def _best_threshold(p: np.ndarray, y: np.ndarray) -> tuple[float, dict]:
    best = (0.0, 0.5, 0.0, 0.0)
    for t in np.arange(0.2, 0.91, 0.025):
        pred = p >= t
        tp = float(np.sum(pred & (y == 1)))
        prec = tp / max(1.0, float(pred.sum()))
        rec = tp / max(1.0, float(y.sum()))
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        if f1 > best[0] + 1e-9:
            best = (f1, float(t), prec, rec)
    return best[1], {"cv_f1": round(best[0], 4), "cv_precision": round(best[2], 4), "cv_recall": round(best[3], 4)}


def fit_meaning_model(examples: list[Example], encoder: Any, *, fingerprint: str, seed: int = 42,
                      extra_negatives: dict[str, list[str]] | None = None,
                      progress: Callable[[float, str], None] | None = None) -> MeaningModel:
    """The heads for every meaning class and language, fitted on ``examples`` (the training split)."""
    extra_negatives = extra_negatives or {}
    heads: dict[str, Head] = {}
    metrics: dict[str, Any] = {}
    for li, lang in enumerate(LANGUAGES):
        rows = [e for e in examples if e.language == lang and (e.label == COMPLIANT or e.label in MEANING_CLASSES)]
        texts = [e.text for e in rows] + list(extra_negatives.get(lang, []))
        labels = [e.label for e in rows] + [COMPLIANT] * len(extra_negatives.get(lang, []))
        emb = encoder.encode(texts) if uses_embedding(lang) else None
        x = features(texts, lang, emb)
        weights, intercepts, thresholds = [], [], []
        lang_metrics = {}
        for ci, cls in enumerate(MEANING_CLASSES):
            if progress:
                progress((li * len(MEANING_CLASSES) + ci) / (len(LANGUAGES) * len(MEANING_CLASSES)),
                         f"Training the {lang} head for {cls.replace('_', ' ')}")
            y = np.array([1 if lab == cls else 0 for lab in labels])
            oof = np.zeros(len(y))
            folds = StratifiedKFold(n_splits=min(FOLDS, int(y.sum())), shuffle=True, random_state=seed)
            for tr, te in folds.split(np.zeros(len(y)), y):
                oof[te] = _fit_head(x[tr], y[tr], seed).predict_proba(x[te])[:, 1]
            thr, m = _best_threshold(oof, y)
            clf = _fit_head(x, y, seed)
            weights.append(clf.coef_[0].astype(np.float32))
            intercepts.append(float(clf.intercept_[0]))
            thresholds.append(thr)
            lang_metrics[cls] = {**m, "threshold": round(thr, 3), "positives": int(y.sum())}
        heads[lang] = Head(np.vstack(weights), np.array(intercepts, dtype=np.float32),
                           np.array(thresholds, dtype=np.float32))
        metrics[lang] = lang_metrics
    return MeaningModel(fingerprint=fingerprint, classes=MEANING_CLASSES, heads=heads, seed=seed, metrics=metrics)
