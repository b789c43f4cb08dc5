"""Calibration: a monotone map from the booster's raw margin (log-odds) to a probability of default.

Fitted on the validation split. Monotone, so it never changes the ranking of applicants nor the
sign of an explanation; it only rescales what a margin means as a probability.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from core.errors import InputError, TargetError


@dataclass
class Calibrator:
    """A monotone map from raw margin (log-odds) to a calibrated probability."""

    method: str  # "isotonic" | "platt" | "identity"
    x: list[float] = field(default_factory=list)  # isotonic knots (margins)
    y: list[float] = field(default_factory=list)  # isotonic values (probabilities)
    a: float = 1.0  # platt slope
    b: float = 0.0  # platt intercept

    @classmethod
    def fit(cls, margin: np.ndarray, y: np.ndarray, method: str = "auto") -> Calibrator:
        if method == "auto":
            method = "platt"
        if method in ("isotonic", "platt") and len(np.unique(y)) < 2:
            raise TargetError("The calibration split holds a single outcome, so the PD cannot be calibrated.",
                              "Load more rows, or a dataset with more defaults.")
        if method == "isotonic":
            from sklearn.isotonic import IsotonicRegression

            # clipped: a handful of validation rows must not make a PD of exactly 0 or 1
            iso = IsotonicRegression(out_of_bounds="clip", y_min=1e-3, y_max=1 - 1e-3).fit(margin, y)
            return cls("isotonic", x=iso.X_thresholds_.astype(float).tolist(), y=iso.y_thresholds_.astype(float).tolist())
        if method == "platt":
            from sklearn.linear_model import LogisticRegression

            lr = LogisticRegression(C=1e6, max_iter=1000).fit(margin.reshape(-1, 1), y)
            return cls("platt", a=float(lr.coef_[0, 0]), b=float(lr.intercept_[0]))
        if method == "identity":
            return cls("identity")
        raise InputError(f"Unknown calibration method '{method}'.", "Use isotonic or platt.")

    def __call__(self, margin: np.ndarray) -> np.ndarray:
        m = np.asarray(margin, dtype=float)
        if self.method == "isotonic":
            return np.interp(m, self.x, self.y)
        if self.method == "platt":
            return 1.0 / (1.0 + np.exp(-(self.a * m + self.b)))
        return 1.0 / (1.0 + np.exp(-m))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Calibrator:
        return cls(**d)
