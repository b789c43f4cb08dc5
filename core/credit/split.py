"""Train / validation / test split of a credit dataset: out-of-time when there is a date, else stratified.

Every part must hold both outcomes (early stopping, calibration and the test AUC need them); a
small file whose random split would leave a part with one class gets a row swapped in from the
training part instead of crashing the calibrator.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.errors import TargetError

TRAIN, VALID, TEST = 0, 1, 2


def _both_classes(y: np.ndarray, labels: np.ndarray) -> bool:
    return all(len(np.unique(y[labels == k])) == 2 for k in (TRAIN, VALID, TEST))


def _repair(y: np.ndarray, labels: np.ndarray, seed: int) -> np.ndarray:
    """Swap rows with the training part until validation and test hold both classes."""
    rng = np.random.default_rng(seed)
    labels = labels.copy()
    for part in (VALID, TEST):
        for cls in (0, 1):
            rows = labels == part
            if (y[rows] == cls).any():
                continue
            donors = np.flatnonzero((labels == TRAIN) & (y == cls))
            takers = np.flatnonzero(rows & (y != cls))
            if len(donors) < 2 or not len(takers):
                raise TargetError(f"Too few rows of one outcome ({int((y == cls).sum())}) to give the train, validation "
                                  "and test splits both outcomes.", "Load more rows, or a dataset with more defaults.")
            a, b = rng.choice(donors), rng.choice(takers)
            labels[a], labels[b] = part, TRAIN
    return labels


def split_rows(y: np.ndarray, test_size: float, valid_size: float, seed: int,
               dates: pd.Series | None = None) -> tuple[np.ndarray, str]:
    """Label every row train (0), validation (1) or test (2); returns ``(labels, how)``.

    With dates the latest ``test_size`` of rows is the test set and the ``valid_size`` before
    it the validation set (out-of-time); otherwise both are stratified random draws.
    """
    n = len(y)
    labels = np.zeros(n, dtype=np.int8)
    if dates is not None:
        order = np.argsort(pd.to_datetime(dates).to_numpy(), kind="stable")
        n_test, n_valid = int(round(n * test_size)), int(round(n * valid_size))
        labels[order[n - n_test:]] = TEST
        labels[order[n - n_test - n_valid:n - n_test]] = VALID
        if _both_classes(y, labels):
            return labels, "time"
        labels[:] = TRAIN
    from sklearn.model_selection import train_test_split

    idx = np.arange(n)
    strat = y if np.bincount(y, minlength=2).min() >= 3 else None
    rest, test = train_test_split(idx, test_size=test_size, random_state=seed, stratify=strat)
    strat_rest = y[rest] if strat is not None else None
    _, valid = train_test_split(rest, test_size=valid_size / (1 - test_size), random_state=seed, stratify=strat_rest)
    labels[valid] = VALID
    labels[test] = TEST
    if not _both_classes(y, labels):
        labels = _repair(y, labels, seed)
    return labels, "random"
