"""Cohort comparison: two groups of applicants side by side (who they are, how they score, what drives them).

A cohort is a filter on the data (:class:`Filter`: a column and the values or the range it keeps);
:func:`compare` puts two of them next to each other: size, observed default rate, mean PD,
approval rate at the cutoff, and per feature the mean SHAP contribution in each cohort and the
difference (what makes one cohort riskier than the other, in log-odds).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.credit.explain import Explanation
from core.credit.reason_text import value_text
from core.errors import InputError


@dataclass(frozen=True)
class Filter:
    """Rows where ``column`` is one of ``values`` (categorical) or within ``[low, high]`` (numeric); empty = all rows."""

    column: str | None = None
    values: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    label: str = ""

    def mask(self, frame: pd.DataFrame) -> np.ndarray:
        if self.column is None:
            return np.ones(len(frame), bool)
        if self.column not in frame.columns:
            raise InputError(f"The data has no column '{self.column}' to filter on.")
        s = frame[self.column]
        if self.values:
            return s.astype(str).isin(self.values).to_numpy()
        v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
        ok = ~np.isnan(v)
        if self.low is not None:
            ok &= v >= self.low
        if self.high is not None:
            ok &= v <= self.high
        return ok

    @property
    def name(self) -> str:
        if self.label:
            return self.label
        if self.column is None:
            return "all applicants"
        if self.values:
            return f"{self.column} in {', '.join(self.values)}"
        return f"{self.column} from {value_text(self.low)} to {value_text(self.high)}" if self.low is not None and self.high is not None \
            else f"{self.column} filtered"


@dataclass(frozen=True)
class CohortComparison:
    summary: pd.DataFrame  # one row per cohort: cohort, n, default_rate, mean_pd, approval_rate
    drivers: pd.DataFrame  # feature, mean contribution A, B, difference (B - A), by |difference|
    names: tuple[str, str] = field(default=("A", "B"))


def compare(expl: Explanation, pd_values: np.ndarray, y: np.ndarray | None, mask_a: np.ndarray, mask_b: np.ndarray,
            cutoff: float, names: tuple[str, str] = ("A", "B")) -> CohortComparison:
    """Compare two cohorts of the rows of ``expl`` (masks over those rows)."""
    rows = []
    means = []
    for name, mask in zip(names, (mask_a, mask_b), strict=True):
        idx = np.flatnonzero(mask)
        if not len(idx):
            raise InputError(f"The cohort '{name}' holds no applicant.", "Widen its filter.")
        rows.append({"cohort": name, "n": len(idx), "default_rate": float(np.mean(y[idx])) if y is not None else np.nan,
                     "mean_pd": float(np.mean(pd_values[idx])), "approval_rate": float(np.mean(pd_values[idx] < cutoff))})
        means.append(expl.values[idx].mean(axis=0))
    drivers = pd.DataFrame({"feature": expl.feature_names, "mean_a": means[0], "mean_b": means[1]})
    drivers["difference"] = drivers["mean_b"] - drivers["mean_a"]
    drivers = drivers.reindex(drivers["difference"].abs().sort_values(ascending=False).index).reset_index(drop=True)
    return CohortComparison(pd.DataFrame(rows), drivers, names)
