"""Can a strong classifier tell generated rows from real ones, and do generated rows teach a model?

* **Detection AUC**: gradient-boosted trees (XGBoost, 200 trees of depth 6) trained to separate
  real from generated rows, 3-fold stratified cross-validation, ROC AUC of the out-of-fold
  predictions (the protocol of TabSyn / TabDiff). 0.5: indistinguishable; 1.0: every row gives
  itself away. Column shapes alone cannot see joint structure; this can.
* **TSTR**: the same classifier trained on generated rows to predict the target, tested on
  held-out real rows, beside the same model trained on real rows (TRTR).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from core.runtime.threads import compute_threads
from core.scenarios.quality import is_numeric


def encode(frames: list[pd.DataFrame], categorical: set[str]) -> list[np.ndarray]:
    """Numeric matrices with shared category codes across the frames (missing stays NaN)."""
    cols = list(frames[0].columns)
    out = [np.empty((len(f), len(cols)), dtype=np.float64) for f in frames]
    for j, c in enumerate(cols):
        if c in categorical or not is_numeric(frames[0][c]):
            values = pd.concat([f[c].astype(str) for f in frames], ignore_index=True)
            codes, _ = pd.factorize(values)
            start = 0
            for k, f in enumerate(frames):
                out[k][:, j] = codes[start:start + len(f)]
                start += len(f)
        else:
            for k, f in enumerate(frames):
                out[k][:, j] = pd.to_numeric(f[c], errors="coerce").to_numpy(dtype=np.float64)
    return out


def _classifier(seed: int, n_estimators: int = 200):
    from xgboost import XGBClassifier

    return XGBClassifier(n_estimators=n_estimators, max_depth=6, learning_rate=0.1, subsample=0.9,
                         colsample_bytree=0.9, tree_method="hist", n_jobs=compute_threads(), random_state=seed,
                         eval_metric="logloss", verbosity=0)


def detection_auc(real: pd.DataFrame, syn: pd.DataFrame, categorical: set[str], seed: int = 0,
                  folds: int = 3) -> dict:
    """Cross-validated ROC AUC of XGBoost separating real from generated rows (balanced samples)."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    n = min(len(real), len(syn))
    r = real.sample(n, random_state=seed) if len(real) > n else real
    s = syn.sample(n, random_state=seed) if len(syn) > n else syn
    xr, xs = encode([r, s[r.columns]], categorical)
    x = np.vstack([xr, xs])
    y = np.r_[np.zeros(len(xr)), np.ones(len(xs))]
    pred = np.zeros(len(y))
    for tr, te in StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, y):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pred[te] = _classifier(seed).fit(x[tr], y[tr]).predict_proba(x[te])[:, 1]
    auc = float(roc_auc_score(y, pred))
    clf = _classifier(seed).fit(x, y)
    importance = pd.Series(clf.feature_importances_, index=list(r.columns)).sort_values(ascending=False)
    return {"detection_auc": auc, "detection_rows": int(2 * n), "giveaway_columns": importance.head(5).round(4).to_dict()}


def tstr(real_train: pd.DataFrame, real_test: pd.DataFrame, syn: pd.DataFrame, target: str, positive,
         categorical: set[str], seed: int = 0) -> dict:
    """Train-on-synthetic, test-on-real ROC AUC, beside train-on-real (same model, same test rows)."""
    from sklearn.metrics import roc_auc_score

    feats = [c for c in real_train.columns if c != target]
    cats = set(categorical) - {target}
    xtr, xte, xs = encode([real_train[feats], real_test[feats], syn[feats]], cats)

    def y_of(f: pd.DataFrame) -> np.ndarray:
        return (f[target].astype(str) == str(positive)).to_numpy().astype(int) if not is_numeric(f[target]) else \
            np.isclose(pd.to_numeric(f[target], errors="coerce").to_numpy(dtype=float), float(positive)).astype(int)

    ytr, yte, ys = y_of(real_train), y_of(real_test), y_of(syn)
    out: dict = {}
    for name, (x, y) in (("tstr_auc", (xs, ys)), ("trtr_auc", (xtr, ytr))):
        if len(np.unique(y)) < 2 or len(np.unique(yte)) < 2:
            out[name] = float("nan")
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf = _classifier(seed, 150).fit(x, y)
        out[name] = float(roc_auc_score(yte, clf.predict_proba(xte)[:, 1]))
    return out
