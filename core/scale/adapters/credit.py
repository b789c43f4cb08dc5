"""The credit area as batch jobs see it: the fitted model's own scoring, SHAP and reason codes.

Only this module knows the credit area's names. Every figure comes from the product's fitted
model (its encoder, calibrator and one-hot grouping), never from a re-implementation:
``predict_margin`` (log-odds), ``pd_from_margin`` (calibrated PD) and ``explain`` (exact TreeSHAP,
``base + sum == margin``); reason codes from the area's reason builder and catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.errors import InputError, ModelLoadError


def load(fingerprint: str | None = None, dataset: Any = None) -> Any:
    """A stored credit model: by fingerprint, else the resolver's current one for ``dataset``."""
    if fingerprint:
        from core.credit.service import load_model

        return load_model(fingerprint)
    if dataset is not None:
        from core import resolver

        model = resolver.credit_model(dataset)
        if model is not None:
            return model
    raise ModelLoadError("No credit model was given for the batch job.",
                         "Pass --model FINGERPRINT (see 'studio credit train'), or --dataset NAME to use its current model.")


def fingerprint(model: Any) -> str:
    return str(model.fingerprint)


def features(model: Any) -> list[str]:
    """The input columns the model reads."""
    return list(model.feature_names)


def margin(model: Any, frame: pd.DataFrame) -> np.ndarray:
    return np.asarray(model.predict_margin(frame), dtype=np.float64)


def pd_from_margin(model: Any, m: np.ndarray) -> np.ndarray:
    return np.asarray(model.pd_from_margin(m), dtype=np.float64)


@dataclass(frozen=True)
class Shap:
    """Exact SHAP per original feature: ``base + values.sum(1) == margin``; ``data`` the typed features."""

    values: np.ndarray
    base: np.ndarray
    names: list[str]
    data: pd.DataFrame


def shap(model: Any, frame: pd.DataFrame) -> Shap:
    e = model.explain(frame)
    return Shap(np.asarray(e.values, dtype=np.float64), np.asarray(e.base_values, dtype=np.float64),
                list(e.feature_names), e.data)


def reference(model: Any, sample: pd.DataFrame, cutoff: float) -> Any:
    """The reference population of reason codes: the approved applicants of a sample (as the credit report does)."""
    from core.credit.reasons import Reference

    e = model.explain(sample)
    p = pd_from_margin(model, np.asarray(e.base_values) + np.asarray(e.values).sum(axis=1))
    return Reference.from_explanation(e, p < cutoff, "approved applicants")


def reasons(model: Any, s: Shap, rows: np.ndarray, ref: Any, top: int = 4) -> list[list[dict]]:
    """Principal reasons of the given rows of ``s``: code, feature, sentence and contribution (log-odds)."""
    from core.credit.reasons import load_catalogue, reasons_for_row

    catalogue = load_catalogue()
    out = []
    for i in rows:
        found = reasons_for_row(s.values[i], s.data.iloc[i], s.names, ref, catalogue, top)
        out.append([{"code": r.code, "feature": r.feature, "text": r.text, "contribution": float(r.weight)} for r in found])
    return out


def check_cutoff(cutoff: float) -> float:
    if not 0.0 < float(cutoff) < 1.0:
        raise InputError(f"The decline cutoff must be a PD between 0 and 1, not {cutoff}.", "Use for example --cutoff 0.2.")
    return float(cutoff)
