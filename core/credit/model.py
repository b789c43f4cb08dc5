"""The fitted PD model: a calibrated XGBoost booster, its encoder, the logistic benchmark and its metadata.

Outputs, and how they relate:

* ``margin`` -- the booster's raw log-odds. SHAP values explain this exactly
  (``base + sum(values) == margin``).
* ``pd`` -- the calibrated probability of default, ``calibrator(margin)``: a monotone map of the
  margin, so it never changes the ranking of applicants nor the sign of any explanation.

A :class:`CreditModel` is immutable once built and shared by every session through the registry;
its fingerprint is part of its own metadata, set when it is fitted. It scores any frame that has
the columns it needs (extra columns are ignored), not only the dataset it was trained on.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from core.credit.benchmark import LogisticBenchmark
from core.credit.calibration import Calibrator
from core.credit.encoder import FeatureEncoder
from core.credit.explain import Explanation, tree_shap
from core.credit.metadata import ModelMeta
from core.credit.params import CreditParams

SMALL_BATCH = 4096  # rows up to which scoring runs on one thread


class CreditModel:
    """A fitted PD model. Never mutate one: registered models are shared across sessions."""

    def __init__(self, booster: Any, encoder: FeatureEncoder, calibrator: Calibrator, benchmark: LogisticBenchmark,
                 meta: ModelMeta, reference: dict[str, np.ndarray], device: str = "cpu") -> None:
        self.booster = booster
        # small batches (one applicant, a counterfactual grid) run single-threaded: thread start-up
        # costs more than it saves there, and on a busy CPU an oversubscribed OpenMP team is far slower
        self._booster_1t = booster.copy()
        self._booster_1t.set_param({"nthread": 1})
        self.encoder = encoder
        self.calibrator = calibrator
        self.benchmark = benchmark
        self.meta = meta
        self.reference = reference
        self.device = device

    # ---- identity -----------------------------------------------------------------------------
    @property
    def fingerprint(self) -> str:
        return self.meta.fingerprint

    @property
    def dataset_fingerprint(self) -> str:
        return self.meta.dataset.fingerprint

    @property
    def feature_names(self) -> list[str]:
        return list(self.encoder.features)

    @property
    def categorical(self) -> list[str]:
        return list(self.encoder.categories)

    @property
    def params(self) -> CreditParams:
        return self.meta.params

    @property
    def monotone(self) -> dict[str, int]:
        return dict(self.meta.monotone)

    @property
    def warnings(self) -> list[str]:
        """Data warnings from training plus the model's health checks (benchmark, overfitting)."""
        return [*self.meta.warnings, *self.meta.health()]

    @property
    def bounds(self) -> dict[str, tuple[float, float]]:
        """Per numeric feature, the 1st and 99th training percentiles: the realistic range for edits."""
        return {f: (float(p.p01), float(p.p99)) for f, p in self.meta.profiles.items()
                if p.kind == "numeric" and p.p01 is not None and p.p99 is not None}

    @property
    def ranges(self) -> dict[str, tuple[float, float]]:
        """Per numeric feature, the smallest and largest training value: edits outside are clipped."""
        return {f: (float(p.min), float(p.max)) for f, p in self.meta.profiles.items()
                if p.kind == "numeric" and p.min is not None and p.max is not None}

    @property
    def medians(self) -> dict[str, float]:
        return {f: float(p.median) for f, p in self.meta.profiles.items() if p.kind == "numeric" and p.median is not None}

    @property
    def split_labels(self) -> np.ndarray:
        """Per row of the training dataset: 0 train, 1 validation, 2 test."""
        return self.reference["split"]

    def trained_on(self, dataset_fingerprint: str) -> bool:
        return dataset_fingerprint == self.dataset_fingerprint

    def can_score(self, frame: pd.DataFrame) -> bool:
        return not self.encoder.missing_columns(frame)

    # ---- scoring ------------------------------------------------------------------------------
    def raw(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The model's features of ``frame``, typed as in training (extra columns dropped)."""
        return self.encoder.raw(frame)

    def predict_margin(self, frame: pd.DataFrame) -> np.ndarray:
        """Raw booster output in log-odds (what SHAP explains)."""
        return self.margin_from_matrix(self.encoder.native_matrix(frame))

    def predict_pd(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of default in [0, 1]."""
        return self.pd_from_margin(self.predict_margin(frame))

    def pd_from_margin(self, margin: np.ndarray) -> np.ndarray:
        return np.clip(self.calibrator(margin), 0.0, 1.0)

    def predict_benchmark_pd(self, frame: pd.DataFrame) -> np.ndarray:
        """PD of the logistic-regression benchmark."""
        return self.benchmark.predict_pd(self.encoder.raw(frame))

    def margin_from_matrix(self, x: np.ndarray) -> np.ndarray:
        """Margins of rows given as :meth:`FeatureEncoder.native_matrix` arrays (the fast path for search)."""
        small = len(x) <= SMALL_BATCH
        booster = self._booster_1t if small else self.booster
        return booster.predict(self.encoder.dmatrix(x, nthread=1 if small else -1), output_margin=True,
                               validate_features=False).astype(np.float64)

    # ---- explanations -------------------------------------------------------------------------
    def explain(self, frame: pd.DataFrame) -> Explanation:
        """Exact TreeSHAP in log-odds per original feature; ``base + sum == predict_margin``."""
        return self.explain_matrix(self.encoder.native_matrix(frame))

    def explain_matrix(self, x: np.ndarray) -> Explanation:
        groups = self.encoder.groups if self.encoder.encoding == "onehot" else None
        small = len(x) <= SMALL_BATCH
        expl = tree_shap(self._booster_1t if small else self.booster, self.encoder.dmatrix(x, nthread=1 if small else -1),
                         self.encoder.raw_from_matrix(x), self.feature_names, groups)
        return replace(expl, units=self.meta.units) if self.meta.units else expl

    def explain_benchmark(self, frame: pd.DataFrame) -> Explanation:
        """Exact additive explanation of the logistic benchmark (one-hot terms grouped per column)."""
        raw = self.encoder.raw(frame)
        values, base = self.benchmark.contributions(raw)
        return Explanation(values, base, raw.reset_index(drop=True), self.benchmark.feature_names)
