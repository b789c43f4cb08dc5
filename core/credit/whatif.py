"""What-if edits of one applicant: validate, clip to the training range, re-score and re-explain.

Rules: a missing value in an edited row is refused (:class:`core.errors.InputError`): the
analyst must say what the value is (a field that was already missing in the record and is left
alone stays missing, as the model saw such rows in training). A number outside the smallest..largest training value is
clipped to that range and a warning says so (trees extrapolate flat, so the model has no
evidence beyond it). An unknown category is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.credit.explain import Explanation
from core.credit.reason_text import value_text
from core.errors import InputError


@dataclass(frozen=True)
class WhatIf:
    """An applicant before and after edits: PD, margin and SHAP on both sides."""

    before: pd.DataFrame  # one row, model features
    after: pd.DataFrame
    pd_before: float
    pd_after: float
    explanation_before: Explanation
    explanation_after: Explanation
    warnings: list[str] = field(default_factory=list)

    def comparison(self) -> pd.DataFrame:
        """Per feature: value and contribution before/after and the change in contribution."""
        b, a = self.explanation_before, self.explanation_after
        df = pd.DataFrame({"feature": b.feature_names,
                           "value_before": [self.before.iloc[0][f] for f in b.feature_names],
                           "value_after": [self.after.iloc[0][f] for f in b.feature_names],
                           "contribution_before": b.values[0], "contribution_after": a.values[0]})
        df["change"] = df["contribution_after"] - df["contribution_before"]
        return df.reindex(df["change"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def validate_row(model, row: pd.DataFrame, allow_missing: set[str] | frozenset = frozenset(),
                 clip_only: set[str] | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Check one edited row: refuse missing values and unknown categories, clip numbers to the training range.

    ``allow_missing`` names fields that were already missing in the original record and were not
    edited: the model handles those as it did in training. ``clip_only`` (when given) limits the
    clipping to those fields: an untouched value (say an out-of-time macro rate) is scored as it was
    before the edit, so the change in PD comes from the edit alone.
    """
    if len(row) != 1:
        raise InputError(f"A what-if needs exactly one applicant, not {len(row)} rows.")
    model.encoder.check_columns(row)
    row = row.copy()
    warnings = []
    missing = [f for f in model.feature_names if pd.isna(row.iloc[0][f]) and f not in allow_missing]
    if missing:
        raise InputError(f"The edited applicant has no value for: {', '.join(missing)}.",
                         "Fill in every field before re-scoring (the original value is a good start).")
    ranges = model.ranges
    for f in model.feature_names:
        v = row.iloc[0][f]
        if pd.isna(v):
            continue  # allowed: missing in the original and not edited
        if f in model.encoder.categories:
            if str(v) not in model.encoder.categories[f]:
                raise InputError(f"'{v}' is not a value of '{f}' the model has seen.",
                                 f"Pick one of: {', '.join(model.encoder.categories[f][:10])}.")
            continue
        try:
            x = float(v)
        except (TypeError, ValueError) as exc:
            raise InputError(f"'{f}' must be a number, not {v!r}.") from exc
        if not np.isfinite(x):
            raise InputError(f"'{f}' must be a finite number, not {v!r}.")
        if f in ranges and (clip_only is None or f in clip_only):
            lo, hi = ranges[f]
            if x < lo or x > hi:
                clipped = min(max(x, lo), hi)
                warnings.append(f"{f} = {value_text(x)} is outside the training range [{value_text(lo)}, "
                                f"{value_text(hi)}]; it was clipped to {value_text(clipped)}.")
                x = clipped
        row[f] = np.array([x], dtype=float)
    return row, warnings


def what_if(model, original: pd.DataFrame, edits: dict[str, object]) -> WhatIf:
    """Apply ``edits`` to one applicant, validate, and score and explain before and after."""
    unknown = [k for k in edits if k not in model.feature_names]
    if unknown:
        raise InputError(f"The model does not use: {', '.join(unknown)}.")
    before = model.raw(original)
    after = original[model.feature_names].copy()
    for k, v in edits.items():
        after[k] = after[k].astype(object)
        after.iloc[0, after.columns.get_loc(k)] = v
    untouched_missing = {f for f in model.feature_names if f not in edits and pd.isna(original.iloc[0][f])}
    after, warnings = validate_row(model, after, untouched_missing, clip_only=set(edits))
    x = np.vstack([model.encoder.native_matrix(original), model.encoder.native_matrix(after)])
    both = model.explain_matrix(x)  # one SHAP call for the two rows
    eb, ea = both.take([0]), both.take([1])
    pds = model.pd_from_margin(both.output_values)
    return WhatIf(before, model.encoder.raw_from_matrix(x[1:], after.index), float(pds[0]), float(pds[1]), eb, ea, warnings)
