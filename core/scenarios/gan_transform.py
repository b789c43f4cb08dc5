"""Mode-specific normalisation for the GAN (the CTGAN paper's idea, written here).

A continuous column is a mixture of a few modes (a spike at zero, a salary band, a cap). Each value
is encoded as the one-hot of the mode it most likely came from plus its offset inside that mode,
``alpha = (x - mu_k) / (4 sigma_k)`` clipped to [-1, 1]; decoding picks the mode and inverts the
offset, then rounds to the column's observed granularity and clips to its seen range. Categorical
columns (and integer columns with few levels) are one-hot. Fitted state is plain JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.scenarios.quality import is_numeric
from core.scenarios.transforms import _decimals

MAX_MODES = 6
DISCRETE_LEVELS = 15


@dataclass
class ColumnCode:
    name: str
    kind: str  # "continuous" or "discrete"
    width: int  # encoded width: modes + 1 (continuous) or number of categories
    means: list[float] = field(default_factory=list)
    stds: list[float] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    categories: list = field(default_factory=list)
    frequencies: list[float] = field(default_factory=list)
    decimals: int = -1
    vmin: float = 0.0
    vmax: float = 0.0
    dtype: str = "float64"

    def to_dict(self) -> dict:
        return dict(self.__dict__)


class ModeNormalizer:
    def fit(self, frame: pd.DataFrame, categorical: set[str], seed: int = 0) -> ModeNormalizer:
        from sklearn.mixture import GaussianMixture

        self.columns_: list[ColumnCode] = []
        for c in frame.columns:
            s = frame[c]
            if is_numeric(s) and c not in categorical and s.nunique() > DISCRETE_LEVELS:
                x = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64)
                x = x[np.isfinite(x)]
                sample = x if x.size <= 20_000 else np.random.default_rng(seed).choice(x, 20_000, replace=False)
                k = min(MAX_MODES, max(1, len(np.unique(sample)) // 5))
                gm = GaussianMixture(k, random_state=seed, reg_covar=1e-6 * (np.var(sample) + 1e-12)).fit(sample[:, None])
                keep = gm.weights_ > 0.005
                means = gm.means_[keep, 0]
                stds = np.sqrt(np.maximum(gm.covariances_[keep, 0, 0], 1e-12))
                w = gm.weights_[keep] / gm.weights_[keep].sum()
                self.columns_.append(ColumnCode(c, "continuous", int(keep.sum()) + 1, means.tolist(), stds.tolist(), w.tolist(),
                                                decimals=_decimals(x), vmin=float(x.min()), vmax=float(x.max()),
                                                dtype=str(s.dtype)))
            else:
                vals = s.astype(object).where(s.notna(), None)
                freq = vals.value_counts(normalize=True, dropna=False)
                cats = [_py(v) for v in freq.index]
                self.columns_.append(ColumnCode(c, "discrete", len(cats), categories=cats, frequencies=freq.tolist(),
                                                dtype=str(s.dtype)))
        return self

    @property
    def width(self) -> int:
        return sum(c.width for c in self.columns_)

    def spans(self) -> list[tuple[int, int, str]]:
        out, start = [], 0
        for c in self.columns_:
            out.append((start, start + c.width, c.kind))
            start += c.width
        return out

    def transform(self, frame: pd.DataFrame, rng: np.random.Generator | None = None) -> np.ndarray:
        n = len(frame)
        out = np.zeros((n, self.width), dtype=np.float32)
        start = 0
        for c in self.columns_:
            if c.kind == "continuous":
                x = pd.to_numeric(frame[c.name], errors="coerce").to_numpy(dtype=np.float64)
                x = np.where(np.isfinite(x), x, np.nanmedian(x) if np.isfinite(x).any() else 0.0)
                mu, sd, w = np.asarray(c.means), np.asarray(c.stds), np.asarray(c.weights)
                logp = np.log(w)[None, :] - 0.5 * ((x[:, None] - mu[None, :]) / sd[None, :]) ** 2 - np.log(sd)[None, :]
                if rng is not None:  # sample the mode in training (as the paper does), the likeliest otherwise
                    p = np.exp(logp - logp.max(axis=1, keepdims=True))
                    p /= p.sum(axis=1, keepdims=True)
                    k = (p.cumsum(axis=1) < rng.random((n, 1))).sum(axis=1).clip(0, len(mu) - 1)
                else:
                    k = logp.argmax(axis=1)
                out[:, start] = np.clip((x - mu[k]) / (4 * sd[k]), -1, 1)
                out[np.arange(n), start + 1 + k] = 1.0
            else:
                lookup = {v: i for i, v in enumerate(c.categories)}
                vals = frame[c.name].astype(object).where(frame[c.name].notna(), None).to_numpy()
                idx = np.fromiter((lookup.get(_py(v), -1) for v in vals), dtype=np.int64, count=n)
                ok = idx >= 0
                out[np.flatnonzero(ok), start + idx[ok]] = 1.0
            start += c.width
        return out

    def inverse(self, data: np.ndarray) -> pd.DataFrame:
        cols = {}
        start = 0
        for c in self.columns_:
            block = data[:, start:start + c.width]
            if c.kind == "continuous":
                k = block[:, 1:].argmax(axis=1)
                mu, sd = np.asarray(c.means)[k], np.asarray(c.stds)[k]
                x = np.clip(np.tanh(block[:, 0]) if np.abs(block[:, 0]).max(initial=0) > 1 else block[:, 0], -1, 1) * 4 * sd + mu
                x = np.clip(x, c.vmin, c.vmax)
                if c.decimals >= 0:
                    x = np.round(x, c.decimals)
                cols[c.name] = np.round(x).astype(c.dtype) if c.dtype.startswith(("int", "uint")) else x
            else:
                idx = block.argmax(axis=1)
                values = np.array(c.categories, dtype=object)[idx]
                cols[c.name] = values
            start += c.width
        return pd.DataFrame(cols)

    def to_dict(self) -> dict:
        return {"columns": [c.to_dict() for c in self.columns_]}

    @classmethod
    def from_dict(cls, d: dict) -> ModeNormalizer:
        m = cls()
        m.columns_ = [ColumnCode(**c) for c in d["columns"]]
        return m


def _py(v):
    return v.item() if isinstance(v, np.generic) else v
