"""Turn a bank's customer table into a matrix that distance-based clustering can use.

Every choice is recorded in :attr:`Preprocessor.choices_` (and so in the saved run):

* constant and all-missing columns are dropped, with a note;
* missing values are imputed (median for numbers, a ``"missing"`` level for categories);
* skewed non-negative amounts (balances, spend, limits) go through ``log1p(x / m)`` where ``m``
  is the column's median non-zero value. Plain ``log1p`` puts "no savings account" (0) eight
  log-units away from a typical balance, and the clustering then splits on product holding
  instead of behaviour; scaling by ``m`` first keeps zeros close and still tames the tail;
* every numeric column is robust-scaled (median / inter-quartile range) and clipped at
  ``±clip`` so one huge outlier cannot own a cluster; a 0/1 flag (a product held) is kept as it
  is, so that holding or not moves a customer as far as one inter-quartile range;
* categoricals are one-hot encoded on their most frequent levels (the rest pooled as
  ``"other"``), each indicator weighted so a category counts about as much as a numeric column.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.errors import DataError
from core.formatting import number

MISSING = "missing"
OTHER = "other"


@dataclass
class NumericStep:
    column: str
    impute: float
    log: bool
    log_scale: float
    center: float
    scale: float
    binary: bool = False


@dataclass
class CategoricalStep:
    column: str
    levels: list[str]
    pooled: bool
    weight: float


@dataclass
class Preprocessor:
    """sklearn-style transformer from a frame to a float32 matrix, fitted on a sample.

    Args:
        numeric: numeric columns to use.
        categorical: categorical columns to use.
        skew_threshold: a non-negative column with sample skewness above this is log-transformed.
        clip: robust z-scores are clipped to ``[-clip, clip]``.
        max_levels: categories kept per categorical column (the rest pooled as "other").
        fit_rows: rows sampled to fit the medians and scales.
        seed: seed of that sample.
    """

    numeric: list[str]
    categorical: list[str] = field(default_factory=list)
    skew_threshold: float = 1.0
    clip: float = 5.0
    max_levels: int = 10
    fit_rows: int = 200_000
    seed: int = 42

    def fit(self, frame: pd.DataFrame) -> Preprocessor:
        n = len(frame)
        sample = frame if n <= self.fit_rows else frame.sample(self.fit_rows, random_state=self.seed)
        self.notes_: list[str] = []
        self.dropped_: dict[str, str] = {}
        self.numeric_steps_: list[NumericStep] = []
        self.categorical_steps_: list[CategoricalStep] = []
        for c in self.numeric:
            x = pd.to_numeric(sample[c], errors="coerce").astype(float).to_numpy()
            x = x[np.isfinite(x)]
            if x.size == 0:
                self._drop(c, "all values are missing")
                continue
            if np.nanmax(x) == np.nanmin(x):
                self._drop(c, "it has a single value")
                continue
            impute = float(np.median(x))
            if np.isin(x, (0.0, 1.0)).all():  # a 0/1 flag (e.g. a product held): a flip counts like a category
                self.numeric_steps_.append(NumericStep(c, impute, False, 1.0, 0.0, 1.0, binary=True))
                continue
            nunique = np.unique(x[: 5000]).size
            log = bool(x.min() >= 0 and nunique > 10 and pd.Series(x).skew() > self.skew_threshold)
            log_scale = 1.0
            if log:
                pos = x[x > 0]
                log_scale = float(np.median(pos)) if pos.size else 1.0
                x = np.log1p(x / log_scale)
            q1, med, q3 = np.percentile(x, [25, 50, 75])
            scale = float(q3 - q1)
            if scale <= 1e-12:  # mostly one value (e.g. 0) with a tail: fall back to the std
                scale = float(np.std(x)) or 1.0
            self.numeric_steps_.append(NumericStep(c, impute, log, log_scale, float(med), scale))
        for c in self.categorical:
            if sample[c].isna().all():
                self._drop(c, "all values are missing")
                continue
            s = sample[c].astype("object").where(sample[c].notna(), MISSING).astype(str)
            counts = s.value_counts()
            if counts.size <= 1:
                self._drop(c, "it has a single value")
                continue
            levels = counts.index[: self.max_levels].tolist()
            pooled = counts.size > self.max_levels
            if pooled:
                levels = counts.index[: self.max_levels - 1].tolist()
                self.notes_.append(f"'{c}' has {counts.size} levels; the {len(levels)} most frequent are kept "
                                   f"and the rest pooled as '{OTHER}'.")
            # a one-hot difference of 1 between two rows spans 2 indicators; scale so that a changed
            # category moves a row about as far as one IQR on a numeric column
            self.categorical_steps_.append(CategoricalStep(c, levels, pooled, float(1 / np.sqrt(2))))
        if not self.numeric_steps_ and not self.categorical_steps_:
            raise DataError("None of the chosen features can be used: every one is constant or empty.",
                            "Pick other features (behaviour and balance columns work best).")
        if not self.numeric_steps_:
            self.notes_.append("Only categorical features were chosen: customers are grouped on their category "
                               "combinations, which gives coarse segments. Add numeric behaviour columns for finer ones.")
        if len(self.numeric_steps_) + len(self.categorical_steps_) == 1:
            self.notes_.append("Only one feature is in use: the segments are ranges of that one column.")
        self.feature_names_out_ = [s.column for s in self.numeric_steps_] + [
            f"{s.column}={lv}" for s in self.categorical_steps_ for lv in [*s.levels, *([OTHER] if s.pooled else [])]]
        return self

    def _drop(self, column: str, why: str) -> None:
        self.dropped_[column] = why
        self.notes_.append(f"'{column}' was left out because {why}.")

    @property
    def used_columns(self) -> list[str]:
        return [s.column for s in self.numeric_steps_] + [s.column for s in self.categorical_steps_]

    @property
    def used_numeric(self) -> list[str]:
        return [s.column for s in self.numeric_steps_]

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        n = len(frame)
        # filled one output column per row of a (columns, n) array, then transposed once: writing columns
        # of an (n, columns) array strides through memory and costs more than the arithmetic
        out = np.empty((len(self.feature_names_out_), n), dtype=np.float32)
        j = 0
        for s in self.numeric_steps_:
            x = pd.to_numeric(frame[s.column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            x = np.where(np.isfinite(x), x, s.impute)
            if s.log:
                x = np.log1p(np.maximum(x, 0.0) / s.log_scale)
            out[j] = np.clip((x - s.center) / s.scale, -self.clip, self.clip)
            j += 1
        for s in self.categorical_steps_:
            cats = [*s.levels, *([OTHER] if s.pooled else [])]
            codes = _level_codes(frame[s.column], s.levels)  # -1 for unseen / pooled levels
            block = out[j:j + len(cats)]
            block[:] = 0.0
            known = codes >= 0
            block[codes[known], np.flatnonzero(known)] = s.weight
            if s.pooled:
                block[-1, ~known] = s.weight
            j += len(cats)
        return np.ascontiguousarray(out.T)

    def fit_transform(self, frame: pd.DataFrame) -> np.ndarray:
        return self.fit(frame).transform(frame)

    @property
    def choices_(self) -> dict:
        """The recorded preprocessing decisions (JSON-serialisable)."""
        return {
            "numeric": [{"column": s.column, "impute_median": s.impute,
                         "transform": ("0/1 flag" if s.binary else f"log1p(x / {number(s.log_scale, 2)})" if s.log
                                       else "none"),
                         "robust_center": s.center, "robust_scale": s.scale} for s in self.numeric_steps_],
            "categorical": [{"column": s.column, "levels": s.levels, "pooled_other": s.pooled, "weight": s.weight}
                            for s in self.categorical_steps_],
            "clip": self.clip,
            "skew_threshold": self.skew_threshold,
            "dropped": dict(self.dropped_),
            "notes": list(self.notes_),
        }


def _level_codes(col: pd.Series, levels: list[str]) -> np.ndarray:
    """Position of each value's text in ``levels`` (missing as :data:`MISSING`); -1 where it is not a level.

    A categorical column is looked up once per category (the same text as ``astype(str)`` of each value);
    any other column value by value.
    """
    if isinstance(col.dtype, pd.CategoricalDtype):
        where = {lv: i for i, lv in enumerate(levels)}
        texts = [str(v) for v in col.cat.categories.astype("object")]
        lookup = np.array([where.get(t, -1) for t in texts] + [where.get(MISSING, -1)], dtype=np.int64)
        cat = col.cat.codes.to_numpy()
        return lookup[np.where(cat < 0, len(texts), cat)]
    v = col.astype("object").where(col.notna(), MISSING).astype(str).to_numpy()
    return np.asarray(pd.Categorical(v, categories=levels).codes, dtype=np.int64)
