"""Target leakage: columns that give the outcome away, found by name (schema tags) and by strength.

Two signals, both shown to the analyst, who decides (leave the column out, or keep it with a reason;
the decision is part of the model's parameters and of its run log):

* the schema tags the column :attr:`~core.data.schema.Tag.POST_OUTCOME` (known only after the
  outcome: recoveries, collections, the length of the call that sold the product, ...);
* its univariate AUC is suspiciously high *for retail credit*: a single application attribute that
  separates defaulters this well on its own is far more often a leak than a discovery. Bureau
  scores and repayment history (:attr:`~core.data.schema.Tag.HISTORY`) are scores in their own
  right and legitimately strong (the embedded portfolio's credit score reaches AUC 0.89-0.93
  alone), so they keep the old 0.95 bar.

The thresholds sit well below the 0.95 that only catches blatant leaks: ``duration`` in the UCI
bank-marketing file (the call's length, AUC about 0.81 alone) is flagged, while the strongest
genuine German-credit attribute (``checking_status``, about 0.71) is not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.credit.metrics import auc as fast_auc
from core.data.schema import Tag
from core.errors import DataError

LEAK_AUC = 0.78
LEAK_AUC_HISTORY = 0.95
RARE_LEVEL = 20  # categorical levels with fewer rows are pooled (they would memorise the target in-sample)


class LeakageError(DataError):
    """A column probably leaks the outcome and the analyst asked to refuse training in that case."""


@dataclass(frozen=True)
class LeakFinding:
    """One flagged column and the evidence."""

    column: str
    auc: float
    threshold: float
    post_outcome: bool

    @property
    def reason(self) -> str:
        parts = []
        if self.post_outcome:
            parts.append("its name says it is known only after the outcome")
        if self.auc > self.threshold:
            parts.append(f"on its own it separates the outcomes with AUC {self.auc:.3f} "
                         f"(suspicious above {self.threshold:.2f} for a single attribute)")
        return "Possible target leakage: " + " and ".join(parts) + "."


def univariate_auc(x: pd.Series, y: np.ndarray) -> float:
    """AUC of one feature on its own (direction-free: max(AUC, 1-AUC)); categoricals use their bad rate."""
    if (isinstance(x.dtype, pd.CategoricalDtype) or x.dtype == object or pd.api.types.is_bool_dtype(x)
            or pd.api.types.is_string_dtype(x)):
        key = x.astype(str).where(x.notna(), "<NA>")
        counts = key.value_counts()
        key = key.where(key.map(counts) >= RARE_LEVEL, "<rare>")
        rate = pd.Series(y).groupby(key.to_numpy()).mean()
        score = key.map(rate).to_numpy(dtype=float)
    else:
        v = pd.to_numeric(x, errors="coerce").replace([np.inf, -np.inf], np.nan)
        score = v.fillna(v.median() if v.notna().any() else 0.0).to_numpy(dtype=float)
    if len(score) == 0 or np.all(score == score[0]):
        return 0.5
    a = fast_auc(y, score)
    return 0.5 if np.isnan(a) else float(max(a, 1.0 - a))


def threshold_for(tags: Iterable[str]) -> float:
    return LEAK_AUC_HISTORY if Tag.HISTORY in {Tag(t) for t in tags} else LEAK_AUC


def leakage_scan(frame: pd.DataFrame, features: list[str], y: np.ndarray, tags: dict[str, frozenset[Tag]],
                 max_rows: int = 50_000, seed: int = 0) -> list[LeakFinding]:
    """Flagged columns (post-outcome by tag, or univariate AUC above their bar), strongest first."""
    idx = np.arange(len(frame))
    if len(idx) > max_rows:
        idx = np.sort(np.random.default_rng(seed).choice(idx, max_rows, replace=False))
    sub, ys = frame.iloc[idx], np.asarray(y)[idx]
    out = []
    for c in features:
        col_tags = tags.get(c, frozenset())
        a = univariate_auc(sub[c], ys)
        bar = threshold_for(col_tags)
        post = Tag.POST_OUTCOME in col_tags
        if post or a > bar:
            out.append(LeakFinding(c, a, bar, post))
    return sorted(out, key=lambda f: -f.auc)
