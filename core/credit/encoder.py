"""The booster's input: :class:`FeatureEncoder` turns a raw frame into fixed columns, categories and order.

``native`` keeps one column per original feature (categoricals as category codes, which XGBoost
splits on natively); ``onehot`` expands categoricals into indicator columns whose SHAP values
are summed back per original column. Infinite numbers are read as missing (the training checks
count and report them). Booster column names are made safe for XGBoost, which refuses ``[``,
``]`` and ``<`` in feature names; the analyst's names stay in :attr:`FeatureEncoder.features`.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.errors import InputError

_UNSAFE = re.compile(r"[\[\]<,]")


def safe_names(names: list[str]) -> list[str]:
    """Names XGBoost accepts (no ``[``, ``]``, ``<`` or ``,``), unique, in the same order."""
    out, seen = [], set()
    for n in names:
        base = _UNSAFE.sub("_", str(n)) or "feature"
        name, k = base, 1
        while name in seen:
            k += 1
            name = f"{base}_{k}"
        seen.add(name)
        out.append(name)
    return out


def as_number(s: pd.Series) -> np.ndarray:
    """A column as float64; text that is not a number and +-inf become NaN."""
    if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        v = s.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return np.where(np.isinf(v), np.nan, v)


@dataclass
class FeatureEncoder:
    """Raw frame -> booster input, with the training categories and column order fixed."""

    features: list[str]
    categories: dict[str, list[str]]  # categorical feature -> its categories (as strings)
    encoding: str = "native"
    integer: list[str] = field(default_factory=list)  # numeric features whose values are whole numbers

    @classmethod
    def fit(cls, frame: pd.DataFrame, features: list[str], categorical: list[str], encoding: str = "native") -> FeatureEncoder:
        cats = {}
        for c in features:
            if c in categorical:
                s = frame[c]
                if isinstance(s.dtype, pd.CategoricalDtype):
                    values = [str(v) for v in s.cat.categories if (s == v).any()]
                else:
                    values = sorted(map(str, pd.unique(s.dropna())))
                cats[c] = values
        integer = []
        for c in features:
            if c not in cats:
                v = as_number(frame[c])
                v = v[~np.isnan(v)]
                if len(v) and bool((v % 1 == 0).all()):
                    integer.append(c)
        return cls(list(features), cats, encoding, integer)

    @property
    def numeric(self) -> list[str]:
        return [c for c in self.features if c not in self.categories]

    @property
    def columns(self) -> list[str]:
        """Names of the booster's input columns (safe for XGBoost)."""
        if self.encoding == "native":
            return safe_names(self.features)
        cols = []
        for c in self.features:
            cols += [f"{c}__{i}" for i in range(len(self.categories[c]))] if c in self.categories else [c]
        return safe_names(cols)

    @property
    def groups(self) -> dict[str, list[int]]:
        """Original feature -> indices of the booster columns it became."""
        out, j = {}, 0
        for c in self.features:
            k = len(self.categories[c]) if (self.encoding == "onehot" and c in self.categories) else 1
            out[c] = list(range(j, j + k))
            j += k
        return out

    def missing_columns(self, frame: pd.DataFrame) -> list[str]:
        return [c for c in self.features if c not in frame.columns]

    def check_columns(self, frame: pd.DataFrame) -> None:
        missing = self.missing_columns(frame)
        if missing:
            raise InputError(f"The data lacks {len(missing)} column(s) the model needs: {', '.join(missing[:8])}.",
                             "Score data that has every column the model was trained on (extra columns are fine).")

    def _codes(self, c: str, s: pd.Series) -> np.ndarray:
        """Category positions of ``s`` in the training categories; -1 for missing or unseen values."""
        cats = pd.Index(self.categories[c])
        if isinstance(s.dtype, pd.CategoricalDtype):
            lookup = cats.get_indexer(s.cat.categories.astype(str))
            codes = s.cat.codes.to_numpy()
            return np.where(codes >= 0, lookup[codes], -1)
        values = s.to_numpy(dtype=object)
        missing = pd.isna(values)
        codes = cats.get_indexer(pd.Index(np.where(missing, "", values).astype(str)))
        return np.where(missing, -1, codes)

    def _native_columns(self, frame: pd.DataFrame) -> np.ndarray:
        """(p, n) float64, one feature per row: :meth:`native_matrix` transposed.

        Filled one contiguous row per feature (writing a column of an (n, p) array strides through
        memory and costs several times the conversions themselves).
        """
        self.check_columns(frame)
        out = np.empty((len(self.features), len(frame)), dtype=np.float64)
        for j, c in enumerate(self.features):
            if c in self.categories:
                codes = self._codes(c, frame[c])
                out[j] = np.where(codes >= 0, codes, np.nan)
            else:
                out[j] = as_number(frame[c])
        return out

    def native_matrix(self, frame: pd.DataFrame) -> np.ndarray:
        """(n, p) float64: numerics as numbers, categoricals as category codes (NaN when missing or unseen)."""
        return np.ascontiguousarray(self._native_columns(frame).T)

    def raw(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The original features, typed: numeric as float, categoricals with the training categories."""
        return self.raw_from_matrix(self.native_matrix(frame), frame.index)

    def raw_from_matrix(self, x: np.ndarray, index: Any = None) -> pd.DataFrame:
        out = {}
        for j, c in enumerate(self.features):
            if c in self.categories:
                codes = np.where(np.isnan(x[:, j]), -1, x[:, j]).astype(np.int64)
                out[c] = pd.Categorical.from_codes(codes, categories=self.categories[c])
            else:
                out[c] = x[:, j]
        return pd.DataFrame(out, index=index)

    @property
    def feature_types(self) -> list[str]:
        if self.encoding == "native":
            return ["c" if c in self.categories else "q" for c in self.features]
        return ["q"] * len(self.columns)

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """The booster's input as float32: category codes (native) or indicator columns (one-hot).

        Native: the float64 columns cast to a C-ordered float32 matrix in one transposing copy (the same
        values as ``matrix_to_input(native_matrix(frame))``, without the float64 (n, p) matrix between).
        """
        if self.encoding == "native":
            return self._native_columns(frame).T.astype(np.float32, order="C")
        return self.matrix_to_input(self.native_matrix(frame))

    def matrix_to_input(self, x: np.ndarray) -> np.ndarray:
        if self.encoding == "native":
            return x.astype(np.float32)
        blocks = []
        for j, c in enumerate(self.features):
            if c in self.categories:
                col = x[:, j]
                block = np.zeros((len(x), len(self.categories[c])), dtype=np.float32)
                ok = ~np.isnan(col)
                block[np.flatnonzero(ok), col[ok].astype(np.int64)] = 1.0
                block[~ok] = np.nan
                blocks.append(block)
            else:
                blocks.append(x[:, j:j + 1].astype(np.float32))
        return np.hstack(blocks) if blocks else np.zeros((len(x), 0), np.float32)

    def dmatrix(self, frame: pd.DataFrame | np.ndarray, nthread: int = -1) -> Any:
        """An XGBoost DMatrix of a raw frame, or of a :meth:`native_matrix` array."""
        import xgboost as xgb

        x = self.matrix_to_input(frame) if isinstance(frame, np.ndarray) else self.transform(frame)
        return xgb.DMatrix(x, feature_names=self.columns, feature_types=self.feature_types,
                           enable_categorical=self.encoding == "native", nthread=nthread)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FeatureEncoder:
        return cls(list(d["features"]), {k: list(v) for k, v in d["categories"].items()}, d.get("encoding", "native"),
                   list(d.get("integer", [])))
