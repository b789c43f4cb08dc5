"""A Gaussian copula: the baseline every tabular generator is measured against (written here, not SDV's).

Each column keeps its own marginal (the training rows' quantiles for numeric columns, the
category frequencies for categorical ones); the dependence between columns is one correlation
matrix of their normal scores. Sampling draws correlated normals and maps each back through its
column's marginal. Fast and honest about the shapes of columns; blind to non-linear links.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from core.scenarios.quality import is_numeric


class GaussianCopula:
    family = "copula"

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def fit(self, frame: pd.DataFrame, categorical: list[str] | None = None) -> GaussianCopula:
        t0 = time.perf_counter()
        cats = set(categorical or [])
        self.columns_ = list(frame.columns)
        self.dtypes_ = frame.dtypes.to_dict()
        self.specs_: dict[str, tuple] = {}
        scores = np.empty((len(frame), len(self.columns_)))
        rng = np.random.default_rng(self.seed)
        for j, c in enumerate(self.columns_):
            s = frame[c]
            if c in cats or not is_numeric(s):
                freq = s.astype(object).where(s.notna(), None).value_counts(normalize=True, dropna=False)
                values, p = list(freq.index), freq.to_numpy()
                cum = np.concatenate([[0.0], np.cumsum(p)])
                codes = pd.Index(values).get_indexer(s.astype(object).where(s.notna(), None))
                u = cum[codes] + rng.random(len(s)) * p[codes]  # spread each category over its probability
                self.specs_[c] = ("cat", values, cum)
            else:
                x = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64)
                finite = np.sort(x[np.isfinite(x)])
                u = (np.searchsorted(finite, np.nan_to_num(x, nan=float(np.median(finite))), side="right") - 0.5) / len(finite)
                self.specs_[c] = ("num", np.quantile(finite, np.linspace(0, 1, 1001)), float(np.mean(np.isnan(x))))
            scores[:, j] = ndtri(np.clip(u, 1e-6, 1 - 1e-6))
        self.corr_ = np.corrcoef(scores, rowvar=False) if len(self.columns_) > 1 else np.ones((1, 1))
        self.corr_ = np.nan_to_num(self.corr_) + 1e-6 * np.eye(len(self.columns_))
        self.seconds_ = time.perf_counter() - t0
        return self

    def sample(self, n: int, seed: int = 0) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        z = rng.multivariate_normal(np.zeros(len(self.columns_)), self.corr_, size=n, method="cholesky")
        u = ndtr(z)
        out = {}
        for j, c in enumerate(self.columns_):
            spec = self.specs_[c]
            if spec[0] == "cat":
                values, cum = spec[1], spec[2]
                idx = np.clip(np.searchsorted(cum, u[:, j], side="right") - 1, 0, len(values) - 1)
                out[c] = pd.Series(np.array(values, dtype=object)[idx])
            else:
                q = spec[1]
                x = np.interp(u[:, j], np.linspace(0, 1, q.size), q)
                out[c] = pd.Series(x)
        frame = pd.DataFrame(out)
        for c, dt in self.dtypes_.items():
            try:
                if pd.api.types.is_integer_dtype(dt):
                    frame[c] = np.round(frame[c].astype(float)).astype(dt)
                elif isinstance(dt, pd.CategoricalDtype):
                    frame[c] = pd.Categorical(frame[c], categories=dt.categories)
                else:
                    frame[c] = frame[c].astype(dt)
            except (TypeError, ValueError):
                pass
        return frame
