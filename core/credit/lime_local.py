"""LIME as a second, model-agnostic local explainer, and how far it agrees with exact SHAP.

Uses the ``lime`` package (Ribeiro et al., BSD-2-Clause, pinned ``lime==0.2.0.1``):
``LimeTabularExplainer`` samples perturbations of the applicant from the training distribution
(quartile-discretised numbers, categorical levels by frequency), scores them with the calibrated
model and fits a weighted ridge regression in their neighbourhood. The weights are in PD units
for the "default" class. Missing values are filled with the training median (numbers) or an extra
"missing" level (categoricals) first, because LIME's discretiser cannot hold NaN.

Agreement with SHAP, for the applicant: the share of SHAP's top-``k`` features (by |value|) that are
also in LIME's top ``k``; the share of those common features whose effects have the same sign; and
the rank correlation of the two |attributions| over all features. Two good explainers of a tree
ensemble should agree on the leading drivers; low agreement says the model is locally non-linear
there and both explanations should be read with care.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.credit.explain import Explanation


@dataclass(frozen=True)
class LimeResult:
    weights: pd.Series  # feature -> LIME weight (PD units), all features
    rules: dict[str, str]  # feature -> LIME's discretised condition for this applicant ("duration > 24.00")
    intercept: float
    local_pd: float  # the surrogate's prediction at the applicant
    model_pd: float
    score: float  # R^2 of the surrogate on its weighted neighbourhood
    samples: int
    seconds: float


@dataclass(frozen=True)
class Agreement:
    top_k: int
    top_overlap: float  # share of SHAP's top-k also in LIME's top-k
    sign_agreement: float  # among the common top features
    rank_correlation: float  # Spearman of |SHAP| and |LIME| over all features
    common: list[str]

    @property
    def label(self) -> str:
        return "strong" if self.top_overlap >= 0.8 else ("partial" if self.top_overlap >= 0.5 else "weak")


def _background(model, frame: pd.DataFrame, rows: int, seed: int) -> np.ndarray:
    sub = frame.iloc[np.sort(np.random.default_rng(seed).choice(len(frame), min(rows, len(frame)), replace=False))]
    return _fill(model, model.encoder.native_matrix(sub))


def _fill(model, x: np.ndarray) -> np.ndarray:
    x = x.copy()
    medians = model.medians
    for j, f in enumerate(model.feature_names):
        col = x[:, j]
        if f in model.encoder.categories:
            col[np.isnan(col)] = len(model.encoder.categories[f])  # the extra "missing" level
        else:
            col[np.isnan(col)] = medians.get(f, 0.0)
    return x


def lime_explanation(model, row: pd.DataFrame, background: pd.DataFrame, samples: int = 2000, seed: int = 0,
                     background_rows: int = 2000) -> LimeResult:
    """LIME weights of one applicant (``row``: one row) against ``background`` (the training population)."""
    from lime.lime_tabular import LimeTabularExplainer

    t0 = time.perf_counter()
    names = model.feature_names
    cats = [j for j, f in enumerate(names) if f in model.encoder.categories]
    cat_names = {j: [*model.encoder.categories[names[j]], "missing"] for j in cats}
    missing_code = {j: len(model.encoder.categories[names[j]]) for j in cats}

    def predict(z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, dtype=np.float64).copy()
        for j, code in missing_code.items():
            z[z[:, j] >= code, j] = np.nan  # the "missing" level is a missing value for the model
        p = model.pd_from_margin(model.margin_from_matrix(z))
        return np.column_stack([1 - p, p])

    explainer = LimeTabularExplainer(_background(model, background, background_rows, seed), mode="classification",
                                     feature_names=names, categorical_features=cats, categorical_names=cat_names,
                                     discretize_continuous=True, random_state=seed)
    x = _fill(model, model.encoder.native_matrix(row))[0]
    exp = explainer.explain_instance(x, predict, labels=(1,), num_features=len(names), num_samples=samples)
    weights = pd.Series(0.0, index=names)
    rules: dict[str, str] = {}
    for j, w in exp.local_exp[1]:
        weights.iloc[j] = float(w)
    for rule, _ in exp.as_list(label=1):
        for f in names:
            if rule.startswith(f"{f}=") or f" {f} " in f" {rule} ":
                rules.setdefault(f, rule)
    local = exp.local_pred
    return LimeResult(weights, rules, float(exp.intercept[1]), float(np.ravel(local)[0]) if local is not None else float("nan"),
                      float(predict(x[None, :])[0, 1]), float(exp.score), samples, time.perf_counter() - t0)


def agreement(shap: Explanation, lime: LimeResult, row: int = 0, k: int = 5) -> Agreement:
    """How far LIME's attribution agrees with SHAP's for one applicant."""
    from scipy.stats import spearmanr

    s = pd.Series(shap.values[row], index=shap.feature_names)
    w = lime.weights.reindex(s.index).fillna(0.0)
    k = min(k, len(s))
    top_s = list(s.abs().sort_values(ascending=False).index[:k])
    top_l = set(w.abs().sort_values(ascending=False).index[:k])
    common = [f for f in top_s if f in top_l]
    signs = [np.sign(s[f]) == np.sign(w[f]) for f in common]
    rho = spearmanr(s.abs(), w.abs()).statistic if len(s) > 2 else float("nan")
    return Agreement(k, len(common) / k if k else float("nan"), float(np.mean(signs)) if signs else float("nan"),
                     float(rho) if rho == rho else float("nan"), common)
