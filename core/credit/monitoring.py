"""Monitoring a stored model on data it scores: stability against its training data, champion vs challengers.

* :func:`stability` -- PSI of the PD and CSI of every feature of the scored rows the model never
  learnt from (the test split of its own dataset, or every row of another dataset), always
  against the model's **training** split, never the scored data against itself.
* :func:`compare_models` -- stored models (a champion and challengers, possibly trained on other
  datasets) scored on the *same* rows: those that none of them was trained on. AUC, Gini, KS,
  Brier and calibration-in-the-large, beside each model's PSI against its own training data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.credit import metrics as M
from core.credit.drift import drift_table
from core.credit.scores import Scores, score_dataset
from core.data import Dataset
from core.errors import InputError


@dataclass(frozen=True)
class Stability:
    psi: float
    label: str
    bins: pd.DataFrame  # PD bin: training share, scored share, term
    features: pd.DataFrame  # feature, csi, label (largest first)
    rows: int  # scored rows compared
    against: str  # what the scored rows are


def stability(model, dataset: Dataset, scores: Scores) -> Stability:
    """PSI and per-feature CSI of the out-of-sample rows of ``dataset`` against the model's training split."""
    rows = np.flatnonzero(scores.test)
    if not len(rows):
        raise InputError("No scored row lies outside the model's training data, so there is nothing to compare.")
    train_pd = model.reference["train_pd"]
    table = M.psi_table(train_pd, scores.pd[rows])
    value = float(table["psi"].sum())
    against = ("the test split of the training dataset" if scores.trained_here
               else f"every row of '{dataset.name}' (the model was trained on '{model.meta.dataset.name}')")
    return Stability(value, M.psi_label(value), table, drift_table(model, dataset.frame.iloc[rows]), len(rows), against)


def compare_models(models: list, dataset: Dataset, cutoff: float | None = None) -> tuple[pd.DataFrame, int]:
    """One row per model on the rows none of them was trained on; returns ``(table, rows compared)``."""
    if not models:
        raise InputError("Pick at least one stored model to compare.")
    usable = [m for m in models if m.can_score(dataset.frame)]
    missing = [m.fingerprint for m in models if m not in usable]
    if missing:
        raise InputError(f"{len(missing)} model(s) need columns this dataset lacks ({', '.join(missing[:3])}).",
                         "Compare models that were trained on the same columns.")
    scored = [score_dataset(m, dataset) for m in usable]
    if scored[0].y is None:
        raise InputError("This dataset has no target, so models cannot be compared on outcomes.",
                         "Score a dataset with known outcomes (its stability can still be checked).")
    common = np.logical_and.reduce([s.test for s in scored])
    rows = np.flatnonzero(common)
    y = scored[0].y[rows]
    if len(np.unique(y)) < 2:
        raise InputError("The rows no compared model was trained on hold a single outcome.",
                         "Compare on a dataset with both outcomes outside every model's training rows.")
    out = []
    for m, s in zip(usable, scored, strict=True):
        p = s.pd[rows]
        summ = M.summary(y, p)
        at = cutoff if cutoff is not None else m.meta.default_cutoff
        out.append({"model": m.fingerprint, "trained_on": m.meta.dataset.name, "features": len(m.feature_names),
                    "auc": summ["auc"], "gini": summ["gini"], "ks": summ["ks"], "brier": summ["brier"],
                    "mean_pd": summ["mean_pd"], "default_rate": summ["default_rate"],
                    "approval_rate": float(np.mean(p < at)), "psi_vs_training": M.psi(m.reference["train_pd"], p),
                    "benchmark_auc": M.auc(y, s.lr_pd[rows])})
    table = pd.DataFrame(out).sort_values("auc", ascending=False, ignore_index=True)
    return table, len(rows)
