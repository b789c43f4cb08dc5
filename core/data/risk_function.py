"""The documented risk function of the embedded default: the ground-truth 12-month default log-odds.

:mod:`core.data.synthetic` documents the formula; :mod:`core.data.synthetic_panel` scores every
quarter of the cycle with it, and the tests check models and stresses against it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

# Features that carry most of the variance of the true log-odds, most important first.
TRUE_DRIVERS = ("credit_score", "debt_to_income", "card_utilisation")
# Log-odds added for days past due now: (from, below, log-odds).
DPD_LOG_ODDS = ((1, 30, 0.5), (30, 60, 1.5), (60, 90, 2.3))


def _num(frame: Mapping | pd.DataFrame, col: str) -> np.ndarray:
    return np.asarray(frame[col], dtype=float)


def _is(frame: Mapping | pd.DataFrame, col: str, value: str) -> np.ndarray:
    x = frame[col]
    if isinstance(getattr(x, "dtype", None), pd.CategoricalDtype):
        cats = list(x.cat.categories)
        return x.cat.codes.to_numpy() == cats.index(value) if value in cats else np.zeros(len(x), dtype=bool)
    arr = np.asarray(x)
    return arr == value if arr.dtype.kind in "OU" else arr.astype(str) == value


def true_logit(frame: pd.DataFrame | Mapping[str, np.ndarray]) -> np.ndarray:
    """The ground-truth 12-month default log-odds of each row (see the module docstring).

    ``frame`` is a DataFrame or a mapping of column -> array; a frame without ``days_past_due``
    counts every row as current.
    """
    score, dti, util = _num(frame, "credit_score"), _num(frame, "debt_to_income"), _num(frame, "card_utilisation")
    unemp, rate = _num(frame, "regional_unemployment"), _num(frame, "policy_rate")
    income, tenure = _num(frame, "annual_income"), _num(frame, "tenure_months")
    self_emp = _is(frame, "employment_status", "self_employed")
    is_mortgage = _is(frame, "product_type", "mortgage")
    collateral = _num(frame, "collateral_value")
    ltv = np.where(is_mortgage & (collateral > 0), _num(frame, "ead") / np.maximum(collateral, 1.0), 0.0)
    dpd = _num(frame, "days_past_due") if "days_past_due" in frame else np.zeros(score.size)
    late = sum(w * ((dpd >= lo) & (dpd < hi)) for lo, hi, w in DPD_LOG_ODDS)

    s = (700.0 - score) / 60.0
    m = 1.0 + 0.35 * (unemp - 4.0)
    return (
        -4.30
        + 0.85 * s + 0.45 * np.maximum(s, 0.0) ** 2
        + 0.9 * dti + 3.2 * np.maximum(dti - 0.40, 0.0)
        + 1.6 * util**2
        + 0.55 * np.log1p(_num(frame, "delinquencies_24m"))
        + 0.10 * _num(frame, "inquiries_6m")
        + 2.4 * util * np.maximum(dti - 0.20, 0.0) * m
        + 0.22 * (unemp - 4.0) * np.where(self_emp, 1.6, 1.0)
        + 0.35 * (rate - 4.5) * dti
        + 1.5 * np.maximum(ltv - 0.80, 0.0)
        - 0.25 * np.log(np.maximum(income, 5_000.0) / 50_000.0)
        - 0.12 * np.log1p(tenure / 12.0)
        + late
    )
