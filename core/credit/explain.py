"""Exact TreeSHAP through XGBoost's own ``pred_contribs`` and the :class:`Explanation` result.

Invariant (checked by :meth:`Explanation.additivity_residual` and the tests)::

    base_values[i] + values[i].sum() == margin[i]      (log-odds of the raw booster output)

XGBoost computes exact (path-dependent) TreeSHAP in C++, and on the GPU with ``device="cuda"``
(GPUTreeShap); it is the same algorithm as ``shap.TreeExplainer``'s default for tree models.
The calibrated PD is a monotone function of the margin (see :mod:`core.credit.model`); the
probability view rescales the log-odds contributions so that they add up to the probability
change instead (:meth:`Explanation.to_probability`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Explanation:
    """Parallel arrays: ``values`` (n, p), ``base_values`` (n,), ``data`` (n rows x p features)."""

    values: np.ndarray
    base_values: np.ndarray
    data: pd.DataFrame
    feature_names: list[str]
    output: str = "log_odds"  # or "probability"
    units: Mapping[str, str] = field(default_factory=dict)  # feature -> unit of its values ("%", "$", "months")

    def __post_init__(self) -> None:
        if self.values.ndim != 2 or self.values.shape != (len(self.base_values), len(self.feature_names)):
            raise ValueError(f"values {self.values.shape} do not match base_values ({len(self.base_values)},) "
                             f"and {len(self.feature_names)} feature names")

    def __len__(self) -> int:
        return len(self.base_values)

    @property
    def output_values(self) -> np.ndarray:
        """``base + sum(values)`` per row: the explained output (margin or probability)."""
        return self.base_values + self.values.sum(axis=1)

    def additivity_residual(self, output: np.ndarray) -> float:
        """Largest ``|base + sum(values) - output|`` over rows (0 for an exact explanation)."""
        if len(self) == 0:
            return 0.0
        return float(np.max(np.abs(self.output_values - np.asarray(output, dtype=float))))

    def mean_abs(self) -> pd.Series:
        """Mean |SHAP| per feature, largest first (global importance)."""
        return pd.Series(np.abs(self.values).mean(axis=0), index=self.feature_names).sort_values(ascending=False)

    def row(self, i: int) -> pd.DataFrame:
        """One applicant: feature, value, contribution, sorted by |contribution|."""
        df = pd.DataFrame({"feature": self.feature_names, "value": [self.data.iloc[i][f] for f in self.feature_names],
                           "contribution": self.values[i]})
        return df.reindex(df["contribution"].abs().sort_values(ascending=False).index).reset_index(drop=True)

    def take(self, idx: np.ndarray | list[int]) -> Explanation:
        idx = np.asarray(idx)
        return replace(self, values=self.values[idx], base_values=self.base_values[idx], data=self.data.iloc[idx])

    def to_probability(self, calibrate: Callable[[np.ndarray], np.ndarray] | None = None) -> Explanation:
        """The same explanation in probability units: contributions rescaled to add up to ``p(x) - p(base)``.

        Each row's log-odds contributions are multiplied by ``(p(margin) - p(base)) / (margin - base)``,
        so signs and ranking are kept and ``p(base) + sum == p(margin)`` holds exactly. ``calibrate``
        maps margins to probabilities (the model's calibrator); the default is the logistic function.
        """
        if self.output != "log_odds":
            return self
        f = calibrate or (lambda m: 1.0 / (1.0 + np.exp(-np.asarray(m, dtype=float))))
        margin, base = self.output_values, self.base_values
        p, p0 = f(margin), f(base)
        delta = margin - base
        scale = np.divide(p - p0, delta, out=np.zeros_like(delta), where=np.abs(delta) > 1e-12)
        return replace(self, values=self.values * scale[:, None], base_values=np.asarray(p0, dtype=float), output="probability")


def tree_shap(booster, dmatrix, data: pd.DataFrame, feature_names: list[str] | None = None,
              groups: dict[str, list[int]] | None = None) -> Explanation:
    """Exact TreeSHAP of ``booster`` on ``dmatrix``; one-hot columns summed back per original feature."""
    contribs = booster.predict(dmatrix, pred_contribs=True, validate_features=False).astype(np.float64)
    values, base = contribs[:, :-1], contribs[:, -1]
    if groups is not None:
        values = np.column_stack([values[:, idx].sum(axis=1) for idx in groups.values()]) if groups else values[:, :0]
        feature_names = list(groups)
    names = list(feature_names) if feature_names is not None else list(data.columns)
    return Explanation(values, base, data.reset_index(drop=True), names)


def group_explanation(expl: Explanation, groups: dict[str, list[str]]) -> Explanation:
    """Sum signed contributions of columns that belong together (one-hot indicators) per row.

    ``groups`` maps an original column to the explanation columns it became; columns not named in
    any group stay as they are. Magnitudes are taken only after summing, as one-hot SHAP must be.
    """
    claimed = {c for cols in groups.values() for c in cols}
    pos = {f: i for i, f in enumerate(expl.feature_names)}
    names, cols, data = [], [], {}
    for f in expl.feature_names:
        if f in claimed:
            for g, members in groups.items():
                if f == members[0]:
                    names.append(g)
                    cols.append(expl.values[:, [pos[m] for m in members]].sum(axis=1))
                    data[g] = expl.data[g] if g in expl.data.columns else expl.data[members].idxmax(axis=1)
        else:
            names.append(f)
            cols.append(expl.values[:, pos[f]])
            data[f] = expl.data[f]
    values = np.column_stack(cols) if cols else np.zeros((len(expl), 0))
    return replace(expl, values=values, data=pd.DataFrame(data), feature_names=names)


def stratified_sample(y: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """Row indices of a class-stratified random sample of size ``min(n, len(y))``, sorted."""
    y = np.asarray(y)
    if n >= len(y):
        return np.arange(len(y))
    rng = np.random.default_rng(seed)
    out = []
    for cls in np.unique(y):
        rows = np.flatnonzero(y == cls)
        k = max(1, int(round(n * len(rows) / len(y))))
        out.append(rng.choice(rows, min(k, len(rows)), replace=False))
    return np.sort(np.concatenate(out))
