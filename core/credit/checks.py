"""Input checks before a credit model is fitted: a binary target, usable features, finite numbers.

Each check raises a typed error with a sentence the analyst can act on (never a traceback), or
returns the notes to show beside the model (e.g. infinite values read as missing).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.errors import SchemaError, TargetError

MIN_CLASS_ROWS = 5  # fewest rows of each outcome that can be split into train, validation and test


def binary_target(frame: pd.DataFrame, target: str | None, positive_label: object) -> np.ndarray:
    """The target as 0/1, or a :class:`TargetError` saying why it cannot be one."""
    if target is None or target not in frame.columns:
        raise TargetError("This dataset has no target column, so no credit model can be trained.",
                          "Mark the default flag (a yes/no column) as the target on Home.")
    s = frame[target]
    values = pd.unique(s.dropna())
    if s.isna().any():
        raise TargetError(f"The target '{target}' is missing in {int(s.isna().sum())} rows.",
                          "Drop the rows without an outcome, or pick another target.")
    if len(values) == 1:
        raise TargetError(f"The target '{target}' has a single class ({values[0]!r}); a model needs both good and bad "
                          "outcomes.", "Load data that contains defaults and non-defaults.")
    if len(values) > 2:
        raise TargetError(f"The target '{target}' has {len(values)} distinct values; a PD model needs a binary outcome.",
                          "Pick a yes/no column (default / no default) as the target.")
    y = (s == positive_label).to_numpy(dtype=np.int8)
    if y.min() == y.max():
        raise TargetError(f"No row of '{target}' equals the positive label {positive_label!r}.",
                          "Check which value means 'default' on Home.")
    fewest = int(min(y.sum(), len(y) - y.sum()))
    if fewest < MIN_CLASS_ROWS:
        rare = "defaults" if y.sum() <= len(y) - y.sum() else "non-defaults"
        raise TargetError(f"The target '{target}' has only {fewest} {rare} in {len(y):,} rows: too few to train, "
                          "calibrate and test a model (each split needs both outcomes).",
                          f"Load data with at least {MIN_CLASS_ROWS} rows of each outcome (many more for a reliable model).")
    return y


def check_features(frame: pd.DataFrame, features: list[str]) -> None:
    """Refuse identifiers used as features (a model would memorise customers, not learn risk)."""
    from core.data.validation import looks_like_id

    if not features:
        raise SchemaError("No feature is left for the credit model.",
                          "Mark numeric or categorical columns as features on Home, or keep fewer columns out.")
    for c in features:
        s = frame[c]
        id_like = looks_like_id(c, s) if not isinstance(s.dtype, pd.CategoricalDtype) else False
        if not id_like and s.dtype == object and len(s) > 50 and s.nunique(dropna=True) >= 0.95 * s.notna().sum():
            id_like = True
        if id_like:
            raise SchemaError(f"'{c}' looks like an identifier (nearly every value is different), so it cannot be a "
                              "credit-model feature.", f"Set the role of '{c}' to id or ignore, or keep it out of the model.")


def infinite_values(frame: pd.DataFrame, features: list[str]) -> dict[str, int]:
    """Numeric features holding +-inf, with how many rows (they are read as missing)."""
    out = {}
    for c in features:
        s = frame[c]
        if pd.api.types.is_float_dtype(s):
            k = int(np.isinf(s.to_numpy(dtype=np.float64, na_value=np.nan)).sum())
            if k:
                out[c] = k
    return out
