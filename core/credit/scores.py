"""Every row of a dataset scored once by one model: the domain result the pages, the CLI and reports share.

A model scores any dataset that has the columns it needs. When the dataset is the one the model
was trained on, its split labels say which rows the model learnt from, and every measure of
performance or stability uses only the others (the test split); on any other dataset every row is
out of sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.credit.split import TEST, TRAIN
from core.data import Dataset
from core.errors import StudioError


@dataclass(frozen=True)
class Scores:
    """Margin, calibrated PD and benchmark PD per row; the target (if any) and each row's split."""

    margin: np.ndarray
    pd: np.ndarray
    lr_pd: np.ndarray
    y: np.ndarray | None  # 0/1 outcome, or None when the dataset has no (usable) target
    split: np.ndarray  # 0 train, 1 valid, 2 test; all 2 when the model was trained on other data
    model_fingerprint: str
    dataset_fingerprint: str
    trained_here: bool  # the model was trained on this dataset

    def __len__(self) -> int:
        return len(self.pd)

    @property
    def test(self) -> np.ndarray:
        """Rows the model never learnt from (the test split here, or every row of another dataset)."""
        return self.split == TEST

    @property
    def training(self) -> np.ndarray:
        return self.split == TRAIN

    @property
    def has_target(self) -> bool:
        return self.y is not None and len(np.unique(self.y[self.test])) == 2

    def declined(self, cutoff: float) -> np.ndarray:
        return self.pd >= cutoff


def score_dataset(model, dataset: Dataset) -> Scores:
    """Score every row of ``dataset`` with ``model`` (an :class:`~core.errors.InputError` if columns are missing)."""
    x = model.encoder.native_matrix(dataset.frame)
    margin = model.margin_from_matrix(x)
    here = model.trained_on(dataset.fingerprint) and len(model.split_labels) == len(margin)
    split = model.split_labels if here else np.full(len(margin), TEST, np.int8)
    y = None
    if dataset.schema.target is not None:
        try:
            y = dataset.target_vector()
        except StudioError:
            y = None
    lr_pd = model.benchmark.predict_pd(model.encoder.raw_from_matrix(x))
    return Scores(margin, model.pd_from_margin(margin), lr_pd, y, split, model.fingerprint, dataset.fingerprint, here)
