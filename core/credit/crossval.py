"""Stratified k-fold AUC of the boosted model and of its logistic benchmark (model validation)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from core.credit import metrics as M
from core.credit.benchmark import LogisticBenchmark
from core.credit.booster import fit_booster
from core.credit.catalogue import default_monotone
from core.credit.checks import binary_target, check_features
from core.credit.encoder import FeatureEncoder
from core.credit.features import select_features
from core.credit.params import CreditParams
from core.data import Dataset
from core.runtime.lifecycle import on_device


def cross_validate(dataset: Dataset, params: CreditParams | None = None, folds: int = 5, seed: int = 0) -> pd.DataFrame:
    """One row per fold plus a ``mean`` row; columns ``auc_xgboost``, ``auc_logistic``, ``n_trees``, ``depth``.

    Early stopping (and the depth choice) use an inner 20% of each training fold; the features are
    chosen once on the whole dataset with the same rules as a fit (Regulation B, leakage).
    """
    from sklearn.model_selection import StratifiedKFold, train_test_split

    params = params or CreditParams()
    y = binary_target(dataset.frame, dataset.schema.target, dataset.schema.positive_label)
    sel = select_features(dataset, params, y)
    check_features(dataset.frame, sel.features)
    encoder = FeatureEncoder.fit(dataset.frame, sel.features, sel.categorical, params.encoding)
    raw = encoder.raw(dataset.frame)
    monotone = params.monotone_for(sel.features, set(sel.categorical), default_monotone())
    rows = []
    for k, (train, test) in enumerate(StratifiedKFold(folds, shuffle=True, random_state=seed).split(raw, y)):
        inner, valid = train_test_split(train, test_size=0.2, random_state=seed, stratify=y[train])
        def fit(device: str, inner=inner, valid=valid) -> tuple[Any, int]:
            return fit_booster(encoder, raw.iloc[inner], y[inner], raw.iloc[valid], y[valid], params, monotone, device)

        booster, depth = on_device(fit)
        margin = booster.predict(encoder.dmatrix(raw.iloc[test]), output_margin=True, validate_features=False)
        lr = LogisticBenchmark().fit(raw.iloc[train], y[train], sel.categorical)
        rows.append({"fold": str(k + 1), "auc_xgboost": M.auc(y[test], margin),
                     "auc_logistic": M.auc(y[test], lr.margin(raw.iloc[test])), "n_trees": booster.num_boosted_rounds(),
                     "depth": depth})
    out = pd.DataFrame(rows)
    mean = {"fold": "mean", **out.drop(columns="fold").mean().to_dict()}
    return pd.concat([out, pd.DataFrame([mean])], ignore_index=True)
