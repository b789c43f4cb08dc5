"""Fitting the meaning softmax on the training corpus.

Per language, a multinomial logistic regression (L2) over "compliant" and the violation classes.
The compliant sentences include contrast pairs written as hard negatives ("subject to a credit
check" against "we never check your credit"); compliant claims the template backend writes are
added as more negatives. The flag threshold on P(compliant) is chosen on out-of-fold
probabilities of a seeded 5-fold cross-validation of the training corpus: the highest recall of
violations with at most ``MAX_FALSE_FLAGS`` of compliant sentences flagged. The held-out corpus is
not seen here.

English also gets the screen (:class:`~core.copy.meaning.model.Screen`): the same softmax on the
hashed n-grams alone. Its pass threshold is the highest out-of-fold P(compliant) it gives any
violating training sentence, plus ``SCREEN_MARGIN`` (and never below the flag threshold), so in
cross-validation it passes no violation; the metrics report the share of compliant sentences it
passes without the encoder.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from core.copy.corpus import MEANING_CLASSES, Example
from core.copy.meaning.features import features, hashed, uses_embedding
from core.copy.meaning.model import COMPLIANT, LANGUAGES, Head, MeaningModel, Screen
from core.progress import Progress

C_REG = 8.0
FOLDS = 5
MAX_FALSE_FLAGS = 0.08
SCREEN_MARGIN = 0.02
LABELS = (COMPLIANT, *MEANING_CLASSES)


def _fit(x: Any, y: np.ndarray, seed: int) -> LogisticRegression:
    return LogisticRegression(C=C_REG, max_iter=5000, random_state=seed).fit(x, y)


def _full_probs(clf: LogisticRegression, x: Any) -> np.ndarray:
    """Probabilities over every label index 0..K-1 (a fold may lack a class)."""
    p = np.zeros((x.shape[0], len(LABELS)))
    p[:, clf.classes_] = clf.predict_proba(x)
    return p


def _flag_threshold(oof: np.ndarray, y: np.ndarray) -> tuple[float, dict]:
    viol = y != 0
    best: tuple[float, float, float] | None = None
    for t in np.arange(0.05, 0.951, 0.025):
        flagged = oof[:, 0] < t
        fpr = float(flagged[~viol].mean()) if (~viol).any() else 0.0
        rec = float(flagged[viol].mean()) if viol.any() else 0.0
        if fpr <= MAX_FALSE_FLAGS and (best is None or rec > best[1] + 1e-9):
            best = (float(t), rec, fpr)
    t, rec, fpr = best or (0.5, 0.0, 0.0)
    flagged = oof[:, 0] < t
    arg = np.where(flagged, 1 + oof[:, 1:].argmax(1), 0)
    per_class = {}
    for k, cls in enumerate(LABELS[1:], start=1):
        tp = float(np.sum((arg == k) & (y == k)))
        prec, recl = tp / max(1.0, float(np.sum(arg == k))), tp / max(1.0, float(np.sum(y == k)))
        per_class[cls] = {"cv_precision": round(prec, 4), "cv_recall": round(recl, 4),
                          "cv_f1": round(2 * prec * recl / (prec + recl), 4) if prec + recl else 0.0}
    return t, {"flag_below": round(t, 3), "cv_violations_flagged": round(rec, 4), "cv_compliant_flagged": round(fpr, 4),
               "per_class": per_class}


def fit_meaning_model(examples: list[Example], encoder: Any, *, fingerprint: str, seed: int = 42,
                      extra_negatives: dict[str, list[str]] | None = None,
                      progress: Progress | None = None) -> MeaningModel:
    """The softmax of every language, fitted on ``examples`` (the training split)."""
    extra_negatives = extra_negatives or {}
    heads: dict[str, Head] = {}
    screens: dict[str, Screen] = {}
    metrics: dict[str, Any] = {}
    for li, lang in enumerate(LANGUAGES):
        if progress:
            progress(li / len(LANGUAGES), f"Training the {lang} meaning classifier")
        rows = [e for e in examples if e.language == lang and e.label in LABELS]
        texts = [e.text for e in rows] + list(extra_negatives.get(lang, []))
        y = np.array([LABELS.index(e.label) for e in rows] + [0] * len(extra_negatives.get(lang, [])))
        emb = encoder.encode(texts) if uses_embedding(lang) else None
        x = features(texts, lang, emb)
        folds = list(StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))
        oof = np.zeros((len(y), len(LABELS)))
        for tr, te in folds:
            oof[te] = _full_probs(_fit(x[tr], y[tr], seed), x[te])
        flag_below, m = _flag_threshold(oof, y)
        if uses_embedding(lang):
            screens[lang], m["screen"] = _screen(hashed(texts, lang), y, folds, flag_below, seed)
        clf = _fit(x, y, seed)
        w = np.zeros((len(LABELS), x.shape[1]), dtype=np.float32)
        b = np.zeros(len(LABELS), dtype=np.float32)
        w[clf.classes_] = clf.coef_
        b[clf.classes_] = clf.intercept_
        b[[k for k in range(len(LABELS)) if k not in set(clf.classes_)]] = -1e4
        heads[lang] = Head(w, b, flag_below)
        metrics[lang] = {**m, "sentences": int(len(y)), "violations": int(np.sum(y != 0))}
    if progress:
        progress(1.0, "Meaning classifiers trained")
    return MeaningModel(fingerprint=fingerprint, labels=LABELS, heads=heads, seed=seed, metrics=metrics,
                        screens=screens)


def _screen(x: Any, y: np.ndarray, folds: list, flag_below: float, seed: int) -> tuple[Screen, dict]:
    """The n-gram screen: passes a claim without the encoder only above every violation's out-of-fold score."""
    oof = np.zeros((len(y), len(LABELS)))
    for tr, te in folds:
        oof[te] = _full_probs(_fit(x[tr], y[tr], seed), x[te])
    viol = y != 0
    top_violation = float(oof[viol, 0].max()) if viol.any() else 0.0
    pass_above = max(flag_below, min(1.0, top_violation + SCREEN_MARGIN))
    clf = _fit(x, y, seed)
    w = np.zeros((len(LABELS), x.shape[1]), dtype=np.float32)
    b = np.full(len(LABELS), -1e4, dtype=np.float32)
    w[clf.classes_], b[clf.classes_] = clf.coef_, clf.intercept_
    passed = oof[:, 0] >= pass_above
    return Screen(w, b, pass_above), {"pass_above": round(pass_above, 4),
                                      "cv_compliant_passed": round(float(passed[~viol].mean()), 4) if (~viol).any() else 0.0,
                                      "cv_violations_passed": round(float(passed[viol].mean()), 4) if viol.any() else 0.0}
