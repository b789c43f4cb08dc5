"""Propensity per product: who looks like the customers who took it up.

For each product a gradient-boosted classifier (scikit-learn's histogram GBM, categorical columns
handled natively) is fitted on a training split of the customers, with a logistic regression on
the same features as the benchmark, and both are scored on the held-out split. The target is a
holding (``has_mortgage``) or a campaign response (the dataset's target, e.g. ``y`` in the bank
marketing file).

Features come from the schema's tags, never from a list: every usable column except

* protected attributes and their proxies (an offer must not be steered by a prohibited basis),
  geography and macro conditions, and anything known only after the outcome (a call's
  ``duration`` gives the response away);
* what describes an existing loan rather than the customer (exposure, collateral, application
  terms) and product counts or types, which contain the target holding itself (``n_products``
  minus the other flags *is* the target);
* the target column.

Other products' flags stay: holding a mortgage says something about wanting a HELOC. A column that
gives one product's holding away on its own (a savings balance is zero exactly when there is no
savings account) is left out of that product's model: :func:`leaks` flags every feature whose
values alone separate holders from non-holders (AUC of 0.98 or more, or of the column being
non-zero).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from core.credit.metrics import auc
from core.data.dataset import Dataset
from core.data.schema import Role, Tag
from core.segmentation.features import looks_like_id

EXCLUDED_TAGS = (Tag.PROTECTED, Tag.PROXY, Tag.GEOGRAPHIC, Tag.MACRO, Tag.POST_OUTCOME, Tag.EXPOSURE, Tag.COLLATERAL,
                 Tag.APPLICATION)
TOP_SHARE = 0.10


def propensity_features(dataset: Dataset, target_columns: list[str]) -> list[str]:
    """The columns a propensity model may read (see the module docstring)."""
    schema, frame = dataset.schema, dataset.frame
    out = []
    for c in schema.features():
        if c in target_columns or looks_like_id(frame[c]):
            continue
        tags = schema.tags_of(c)
        if tags & set(EXCLUDED_TAGS):
            continue
        if Tag.PRODUCT in tags and frame[c].nunique(dropna=True) > 2:  # a count or type of products
            continue
        out.append(c)
    return out


LEAK_AUC = 0.98


def leaks(X: pd.DataFrame, y: np.ndarray, categorical: list[str]) -> dict[str, float]:
    """Features that give the target away on their own: column -> the AUC they reach alone."""
    out = {}
    y = np.asarray(y)
    for c in X.columns:
        x = X[c]
        if c in categorical:
            rate = pd.Series(y).groupby(x.astype(str).to_numpy()).mean()
            score = x.astype(str).map(rate).to_numpy(dtype=float)
            candidates = [score]
        else:
            v = x.to_numpy(dtype=float)
            v = np.where(np.isfinite(v), v, np.nanmedian(v) if np.isfinite(v).any() else 0.0)
            candidates = [v, (v != 0).astype(float)]
        best = max(max(a, 1 - a) for a in (auc(y, sc) for sc in candidates) if np.isfinite(a)) \
            if len(np.unique(y)) == 2 else 0.5
        if best >= LEAK_AUC:
            out[c] = float(best)
    return out


def model_frame(frame: pd.DataFrame, features: list[str], categorical: list[str]) -> pd.DataFrame:
    """Numbers as floats, categories as pandas categoricals (what the GBM reads natively)."""
    out = {}
    for c in features:
        if c in categorical:
            out[c] = frame[c].astype("object").where(frame[c].notna(), "missing").astype(str).astype("category")
        else:
            out[c] = pd.to_numeric(frame[c], errors="coerce").astype(float)
    return pd.DataFrame(out, index=frame.index)


@dataclass
class ProductModel:
    """A fitted propensity model for one product and its logistic benchmark."""

    product: str
    features: list[str]
    categorical: list[str]
    gbm: HistGradientBoostingClassifier
    logistic: Pipeline | None
    base_rate: float

    def score(self, X: pd.DataFrame) -> np.ndarray:
        return self.gbm.predict_proba(X[self.features])[:, 1]

    def score_logistic(self, X: pd.DataFrame) -> np.ndarray:
        if self.logistic is None:
            raise ValueError("This model was fitted without its logistic benchmark.")
        return self.logistic.predict_proba(X[self.features])[:, 1]


def fit_product(product: str, X: pd.DataFrame, y: np.ndarray, categorical: list[str], seed: int = 42,
                benchmark: bool = True) -> ProductModel:
    """Fit the GBM (and the logistic benchmark) on ``X`` (training rows only)."""
    features = list(X.columns)
    cats = [c for c in features if c in categorical]
    gbm = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.08, max_leaf_nodes=31, min_samples_leaf=40,
                                         l2_regularization=1.0, early_stopping=True, validation_fraction=0.15,
                                         n_iter_no_change=20, categorical_features="from_dtype", random_state=seed)
    gbm.fit(X, y)
    if not benchmark:
        return ProductModel(product, features, cats, gbm, None, float(np.mean(y)))
    nums = [c for c in features if c not in cats]
    pre = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), nums),
        ("cat", OneHotEncoder(handle_unknown="ignore", min_frequency=20), cats),
    ])
    logistic = make_pipeline(pre, LogisticRegression(max_iter=2000, C=1.0))
    logistic.fit(X, y)
    return ProductModel(product, features, cats, gbm, logistic, float(np.mean(y)))


def precision_at(y: np.ndarray, score: np.ndarray, share: float = TOP_SHARE, seed: int = 0) -> float:
    """Share of positives among the ``share`` highest scores (ties broken at random, seeded)."""
    y = np.asarray(y).astype(float)
    n = max(1, int(round(share * len(y))))
    jitter = np.random.default_rng(seed).random(len(y)) * 1e-9
    top = np.argsort(-(np.asarray(score, dtype=float) + jitter), kind="stable")[:n]
    return float(y[top].mean())


def evaluate(y: np.ndarray, scores: dict[str, np.ndarray], share: float = TOP_SHARE) -> dict[str, dict[str, float]]:
    """AUC, precision and lift at the top ``share`` for each scorer, on held-out rows."""
    base = float(np.mean(y)) if len(y) else float("nan")
    out = {}
    for name, s in scores.items():
        p = precision_at(y, s, share)
        out[name] = {"auc": auc(y, s), "precision": p, "lift": p / base if base > 0 else float("nan")}
    return out


def split(n: int, y: np.ndarray, holdout: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stratified train / holdout row numbers."""
    rng = np.random.default_rng(seed)
    test = np.zeros(n, dtype=bool)
    for v in np.unique(y):
        idx = np.flatnonzero(y == v)
        test[rng.choice(idx, int(round(holdout * idx.size)), replace=False)] = True
    return np.flatnonzero(~test), np.flatnonzero(test)


def categorical_of(dataset: Dataset, features: list[str]) -> list[str]:
    return [c for c in features if dataset.schema.roles.get(c) == Role.CATEGORICAL]
