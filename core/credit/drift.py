"""Stability against the training data: feature profiles, PSI of the score and CSI per feature.

At fit time every feature's distribution on the **training split** is kept in the model's metadata
(:class:`~core.credit.metadata.FeatureProfile`: decile edges and shares for numbers, level shares
for categories, each with a share for missing values), and a sample of training PDs is kept in
the artifact. Any dataset scored later is compared with *that* reference, never with itself: the
population stability index of the PD and, per feature, the characteristic stability index (the
same formula on the feature's own bins). Rule of thumb: below 0.1 stable, 0.1-0.25 some shift,
above 0.25 a significant shift.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.credit.metadata import FeatureProfile
from core.credit.metrics import psi_label
from core.credit.reason_text import value_text

FLOOR = 1e-4  # empty bins count as this share, so the index stays finite


def profile_numeric(values: np.ndarray, bins: int = 10) -> FeatureProfile:
    v = np.asarray(values, dtype=float)
    ok = v[~np.isnan(v)]
    if not len(ok):
        return FeatureProfile("numeric", shares=(1.0,))
    edges = np.unique(np.quantile(ok, np.linspace(0, 1, bins + 1)))
    inner = tuple(float(e) for e in edges[1:-1])
    shares = _numeric_shares(v, inner)
    return FeatureProfile("numeric", float(np.percentile(ok, 1)), float(np.percentile(ok, 99)), float(ok.min()),
                          float(ok.max()), float(np.median(ok)), inner, tuple(shares))


def _numeric_shares(v: np.ndarray, inner: tuple[float, ...]) -> list[float]:
    """Shares of the bins cut at ``inner`` edges (open at both ends), plus the share missing."""
    v = np.asarray(v, dtype=float)
    n = max(len(v), 1)
    missing = np.isnan(v)
    idx = np.searchsorted(np.asarray(inner), v[~missing], side="right")
    counts = np.bincount(idx, minlength=len(inner) + 1)
    return [float(c) / n for c in counts] + [float(missing.sum()) / n]


def profile_categorical(codes: np.ndarray, levels: list[str]) -> FeatureProfile:
    """``codes``: category positions (NaN for missing/unseen) as the encoder's native matrix holds them."""
    return FeatureProfile("categorical", levels=tuple(levels), shares=tuple(_categorical_shares(codes, len(levels))))


def _categorical_shares(codes: np.ndarray, k: int) -> list[float]:
    c = np.asarray(codes, dtype=float)
    n = max(len(c), 1)
    missing = np.isnan(c)
    counts = np.bincount(c[~missing].astype(np.int64), minlength=k)[:k]
    return [float(x) / n for x in counts] + [float(missing.sum()) / n]


def stability_index(expected: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """Per-bin terms ``(a - e) ln(a / e)`` of the stability index (empty bins floored)."""
    e = np.clip(np.asarray(expected, float), FLOOR, None)
    a = np.clip(np.asarray(actual, float), FLOOR, None)
    return (a - e) * np.log(a / e)


@dataclass(frozen=True)
class FeatureDrift:
    feature: str
    csi: float
    label: str
    table: pd.DataFrame  # bin, training share, scored share, term


def feature_drift(feature: str, profile: FeatureProfile, column: np.ndarray) -> FeatureDrift:
    """CSI of one feature: ``column`` is the scored data's native-matrix column (numbers or category codes)."""
    if profile.kind == "numeric":
        actual = _numeric_shares(column, profile.edges)
        cuts = ["-inf", *[value_text(e) for e in profile.edges], "inf"]
        bins = [f"{lo} to {hi}" for lo, hi in zip(cuts[:-1], cuts[1:], strict=True)] + ["missing"]
    else:
        actual = _categorical_shares(column, len(profile.levels))
        bins = [*profile.levels, "missing or unseen"]
    expected = np.asarray(profile.shares, float)
    terms = stability_index(expected, np.asarray(actual, float))
    keep = (expected > 0) | (np.asarray(actual) > 0)
    table = pd.DataFrame({"bin": bins, "expected": expected, "actual": actual, "psi": terms})[keep].reset_index(drop=True)
    value = float(terms.sum())
    return FeatureDrift(feature, value, psi_label(value), table)


def drift_table(model, frame: pd.DataFrame) -> pd.DataFrame:
    """CSI of every model feature of ``frame`` against the training split, largest first."""
    x = model.encoder.native_matrix(frame)
    rows = []
    for j, f in enumerate(model.feature_names):
        prof = model.meta.profiles.get(f)
        if prof is None:
            continue
        d = feature_drift(f, prof, x[:, j])
        rows.append({"feature": f, "csi": d.csi, "label": d.label})
    return pd.DataFrame(rows, columns=["feature", "csi", "label"]).sort_values("csi", ascending=False, ignore_index=True)


def profiles_of(encoder, raw_train_matrix: np.ndarray) -> dict[str, FeatureProfile]:
    """The training profile of every feature from the training split's native matrix."""
    out = {}
    for j, f in enumerate(encoder.features):
        col = raw_train_matrix[:, j]
        out[f] = profile_categorical(col, encoder.categories[f]) if f in encoder.categories else profile_numeric(col)
    return out
