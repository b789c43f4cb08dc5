"""Scorecard points: the PD as a familiar score (points-to-double-odds scaling) and points per reason.

``score = offset + factor * ln(odds)`` with ``odds = (1 - PD) / PD`` (good : bad) and
``factor = pdo / ln 2``, ``offset = base_score - factor * ln(base_odds)``: with the defaults,
600 points at odds of 30:1 and every 20 points double the odds. Higher scores are safer.

The points of each feature split the applicant's distance from the base applicant
(``score(x) - score(base)``) in proportion to its SHAP contribution (log-odds of the raw margin),
so they add up exactly: ``base points + sum of feature points == score``. With Platt calibration this
is the linear map ``points = -factor * a * contribution``; a contribution that raises the risk costs
points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.credit.explain import Explanation
from core.errors import InputError

EPS = 1e-9


@dataclass(frozen=True)
class Scaling:
    base_score: float = 600.0
    base_odds: float = 30.0
    pdo: float = 20.0

    def __post_init__(self) -> None:
        if self.pdo <= 0 or self.base_odds <= 0:
            raise InputError("Points to double the odds and the base odds must be positive.")

    @property
    def factor(self) -> float:
        return self.pdo / math.log(2)

    @property
    def offset(self) -> float:
        return self.base_score - self.factor * math.log(self.base_odds)

    def score(self, pd_values: np.ndarray) -> np.ndarray:
        p = np.clip(np.asarray(pd_values, float), EPS, 1 - EPS)
        return self.offset + self.factor * np.log((1 - p) / p)


@dataclass(frozen=True)
class Points:
    """Per applicant: total score, the base applicant's score, and points per feature (summing to the difference)."""

    total: np.ndarray
    base: np.ndarray
    points: pd.DataFrame  # (n, p) feature points

    def row(self, i: int) -> pd.Series:
        return self.points.iloc[i]


def points(expl: Explanation, calibrate, scaling: Scaling | None = None) -> Points:
    """Scorecard points of an explanation in log-odds (``calibrate`` maps margins to PDs: the model's calibrator)."""
    if expl.output != "log_odds":
        raise InputError("Scorecard points are computed from log-odds contributions.")
    s = scaling or Scaling()
    margin, base = expl.output_values, expl.base_values
    total, at_base = s.score(calibrate(margin)), s.score(calibrate(base))
    delta = margin - base
    share = np.divide(total - at_base, delta, out=np.zeros_like(delta), where=np.abs(delta) > 1e-12)
    values = expl.values * share[:, None]
    return Points(total, at_base, pd.DataFrame(values, columns=expl.feature_names))
