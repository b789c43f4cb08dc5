"""The logistic-regression benchmark every credit model is measured against (on the same split).

Fitted with scikit-learn, then kept as plain arrays so it serialises to JSON and predicts in
numpy. ``contributions`` gives each original column's term ``coef * (z - mean z)`` (one-hot
terms summed per column), an exact additive explanation of the linear model.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd


@dataclass
class LogisticBenchmark:
    """Logistic regression on median-imputed, standardised numerics and one-hot categoricals."""

    numeric: list[str] = field(default_factory=list)
    medians: list[float] = field(default_factory=list)
    means: list[float] = field(default_factory=list)
    scales: list[float] = field(default_factory=list)
    categories: dict[str, list[str]] = field(default_factory=dict)
    coef: list[float] = field(default_factory=list)
    intercept: float = 0.0
    col_means: list[float] = field(default_factory=list)
    C: float = 1.0

    def _design(self, raw: pd.DataFrame) -> np.ndarray:
        x_num = raw[self.numeric].to_numpy(dtype=float) if self.numeric else np.zeros((len(raw), 0))
        x_num = np.where(np.isnan(x_num), np.asarray(self.medians), x_num)
        x_num = (x_num - np.asarray(self.means)) / np.asarray(self.scales)
        blocks = [x_num]
        for c, cats in self.categories.items():
            s = raw[c]
            if isinstance(s.dtype, pd.CategoricalDtype) and list(s.cat.categories) == cats:
                codes = s.cat.codes.to_numpy()
            else:
                codes = pd.Categorical(s.astype(str).where(s.notna()), categories=cats).codes
            block = np.zeros((len(raw), len(cats)))
            ok = codes >= 0
            block[np.flatnonzero(ok), codes[ok]] = 1.0
            blocks.append(block)
        return np.hstack(blocks)

    def groups(self) -> dict[str, list[int]]:
        out = {c: [i] for i, c in enumerate(self.numeric)}
        j = len(self.numeric)
        for c, cats in self.categories.items():
            out[c] = list(range(j, j + len(cats)))
            j += len(cats)
        return out

    def fit(self, raw: pd.DataFrame, y: np.ndarray, categorical: list[str]) -> LogisticBenchmark:
        from sklearn.linear_model import LogisticRegression

        self.numeric = [c for c in raw.columns if c not in categorical]
        num = raw[self.numeric].to_numpy(dtype=float) if self.numeric else np.zeros((len(raw), 0))
        med = np.nanmedian(num, axis=0) if num.shape[1] else np.zeros(0)
        med = np.where(np.isnan(med), 0.0, med)
        filled = np.where(np.isnan(num), med, num)
        sd = filled.std(axis=0)
        self.medians, self.means = med.tolist(), filled.mean(axis=0).tolist()
        self.scales = np.where(sd > 0, sd, 1.0).tolist()
        self.categories = {c: [str(v) for v in raw[c].cat.categories] for c in categorical if c in raw.columns}
        x = self._design(raw)
        lr = LogisticRegression(C=self.C, max_iter=500, solver="newton-cholesky").fit(x, y)
        self.coef, self.intercept = lr.coef_[0].tolist(), float(lr.intercept_[0])
        self.col_means = x.mean(axis=0).tolist()
        return self

    def margin(self, raw: pd.DataFrame) -> np.ndarray:
        return self._design(raw) @ np.asarray(self.coef) + self.intercept

    def predict_pd(self, raw: pd.DataFrame) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.margin(raw)))

    def contributions(self, raw: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Per-original-column log-odds terms ``(n, p)`` and the base value (margin at the mean)."""
        x = self._design(raw)
        coef = np.asarray(self.coef)
        terms = (x - np.asarray(self.col_means)) * coef
        base = float(self.intercept + np.asarray(self.col_means) @ coef)
        groups = self.groups()
        return np.column_stack([terms[:, idx].sum(axis=1) for idx in groups.values()]), np.full(len(raw), base)

    @property
    def feature_names(self) -> list[str]:
        return list(self.groups())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LogisticBenchmark:
        return cls(**d)
