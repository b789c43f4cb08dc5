"""The gradient-boosted trees: XGBoost parameters, early stopping and the choice of tree depth.

``max_depth=None`` tries the depths of :data:`core.credit.params.DEPTHS` in order and keeps the one
with the least validation log-loss, stopping at the first depth that does not improve: a
1,000-row file gets shallow trees (which do not overfit it), a large portfolio deeper ones. On
large data the search runs at a quicker learning rate (:data:`SEARCH_RATE`) and only the chosen
depth is then boosted at the requested one, so the search costs about one extra fit.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from core.credit.encoder import FeatureEncoder
from core.credit.params import DEPTHS, CreditParams
from core.progress import Progress, scaled

SEARCH_ROWS = 10_000  # training rows from which the depth search runs at SEARCH_RATE
SEARCH_RATE = 0.2


def xgb_params(params: CreditParams, encoder: FeatureEncoder, monotone: dict[str, int], device: str,
               depth: int) -> dict[str, Any]:
    if encoder.encoding == "native":
        mono = [monotone.get(c, 0) for c in encoder.features]
    else:
        mono = []
        for c in encoder.features:
            mono += [0] * len(encoder.categories[c]) if c in encoder.categories else [monotone.get(c, 0)]
    p: dict[str, Any] = {
        "objective": "binary:logistic",
        "eval_metric": "logloss",
        "eta": params.learning_rate,
        "max_depth": depth,
        "min_child_weight": params.min_child_weight,
        "subsample": params.subsample,
        "colsample_bytree": params.colsample_bytree,
        "lambda": params.reg_lambda,
        "tree_method": "hist",
        "max_cat_to_onehot": 4,
        "device": "cuda" if device == "cuda" else "cpu",
        "seed": params.seed,
        "verbosity": 0,
    }
    if any(mono):
        p["monotone_constraints"] = "(" + ",".join(str(int(v)) for v in mono) + ")"
    return p


def _train(encoder: FeatureEncoder, dtrain: Any, dvalid: Any, params: CreditParams, monotone: dict[str, int],
           device: str, depth: int, progress: Progress) -> tuple[Any, float]:
    import xgboost as xgb

    class _Report(xgb.callback.TrainingCallback):
        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:  # noqa: D102
            if epoch % 10 == 0:
                progress(min(1.0, (epoch + 1) / params.n_estimators),
                         f"Depth {depth}: boosting round {epoch + 1} of up to {params.n_estimators}")
            return False

    booster = xgb.train(xgb_params(params, encoder, monotone, device, depth), dtrain, num_boost_round=params.n_estimators,
                        evals=[(dvalid, "valid")], early_stopping_rounds=params.early_stopping_rounds,
                        verbose_eval=False, callbacks=[_Report()])
    best = getattr(booster, "best_iteration", None)
    score = float(getattr(booster, "best_score", np.nan))  # read before slicing: a slice keeps no attributes
    if best is not None and best + 1 < booster.num_boosted_rounds():
        booster = booster[: best + 1]
    return booster, score


def fit_booster(encoder: FeatureEncoder, raw_train: pd.DataFrame, y_train: np.ndarray, raw_valid: pd.DataFrame,
                y_valid: np.ndarray, params: CreditParams, monotone: dict[str, int], device: str = "cpu",
                progress: Progress | None = None) -> tuple[Any, int]:
    """Train with early stopping on the validation split; returns ``(booster cut at its best round, depth)``."""
    dtrain, dvalid = encoder.dmatrix(raw_train), encoder.dmatrix(raw_valid)
    dtrain.set_label(y_train)
    dvalid.set_label(y_valid)
    if params.max_depth is not None:
        return _train(encoder, dtrain, dvalid, params, monotone, device, params.max_depth, progress or _quiet)[0], \
            params.max_depth
    quick = len(y_train) >= SEARCH_ROWS and params.learning_rate < SEARCH_RATE
    search = replace(params, learning_rate=SEARCH_RATE) if quick else params
    share = 0.5 if quick else 1.0
    best: tuple[Any, float, int] | None = None
    for k, depth in enumerate(DEPTHS):
        booster, score = _train(encoder, dtrain, dvalid, search, monotone, device, depth,
                                scaled(progress, share * k / len(DEPTHS), share * (k + 1) / len(DEPTHS)))
        if best is not None and not score < best[1] - 1e-5:
            break  # deeper trees stopped helping on the validation split
        best = (booster, score, depth)
    assert best is not None
    if not quick:
        return best[0], best[2]
    return _train(encoder, dtrain, dvalid, params, monotone, device, best[2], scaled(progress, 0.5, 1.0))[0], best[2]


def _quiet(fraction: float, message: str) -> None:
    """No progress report."""
