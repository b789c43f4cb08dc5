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
        from core.credit.store import load_model

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
    """The model's margins (log-odds) of ``frame``: its own encoder and booster, equal to ``predict_margin``.

    Large batches go through the booster's in-place prediction on the encoder's own input matrix
    (no DMatrix copy; the same trees, the same float32 inputs, the same margins bit for bit); the
    parity tests check it against ``predict_margin``.
    """
    encoder, booster = getattr(model, "encoder", None), getattr(model, "booster", None)
    if encoder is None or booster is None or not hasattr(booster, "inplace_predict") or len(frame) <= _SMALL:
        return np.asarray(model.predict_margin(frame), dtype=np.float64)
    x = encoder.transform(frame)  # checks the columns; C-ordered float32, as matrix_to_input(native_matrix(frame))
    return np.asarray(booster.inplace_predict(x, predict_type="margin", validate_features=False), dtype=np.float64)


_SMALL = 4096  # up to this many rows the model's own single-thread path is used as is


def pd_from_margin(model: Any, m: np.ndarray) -> np.ndarray:
    return np.asarray(model.pd_from_margin(m), dtype=np.float64)


def predict_pd(scorer: Any, frame: pd.DataFrame) -> np.ndarray:
    """``scorer.predict_pd(frame)``; for the credit model through :func:`margin`.

    The credit model's ``predict_pd`` is ``pd_from_margin(predict_margin(frame))``: the same PDs bit for bit,
    without a DMatrix per call.
    """
    from core.credit.model import CreditModel

    if isinstance(scorer, CreditModel) and type(scorer).predict_pd is CreditModel.predict_pd:
        return pd_from_margin(scorer, margin(scorer, frame))
    return np.asarray(scorer.predict_pd(frame), dtype=np.float64)


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
    """The reference population of reason codes, as the credit page builds it.

    Exact SHAP of a stratified sample (:func:`core.credit.global_shap.sample_explanation`), restricted to the
    approved applicants at ``cutoff``.
    """
    from core.credit.global_shap import sample_explanation
    from core.credit.reason_export import APPROVED, SAMPLE_ROWS, reference_from_sample

    return reference_from_sample(sample_explanation(model, sample.reset_index(drop=True), None, SAMPLE_ROWS, seed=0),
                                 APPROVED, cutoff)


@dataclass(frozen=True)
class ReasonRules:
    """What the reason builder needs besides the SHAP values: categorical features and the never-a-reason set."""

    categorical: frozenset[str]
    banned: frozenset[str]


def reason_rules(model: Any) -> ReasonRules:
    """The model's categorical features and the features that are never a reason (by their schema tags)."""
    from core.credit.reasons import not_reasons

    return ReasonRules(frozenset(model.encoder.categories), frozenset(not_reasons(model.meta.tags)))


def reasons(model: Any, s: Shap, rows: np.ndarray, ref: Any, top: int = 4,
            rules: ReasonRules | None = None) -> list[list[dict]]:
    """Principal reasons of the given rows of ``s``, through the credit page's ``reasons_for_row``.

    Each: code, feature, sentence and contribution (the grouped SHAP value, log-odds).
    """
    from core.credit.reasons import reasons_for_row

    rules = rules or reason_rules(model)
    out = []
    for i in rows:
        found, _withheld = reasons_for_row(s.values[i], s.data.iloc[i], s.names, ref, rules.categorical, rules.banned, top)
        out.append([{"code": r.code, "feature": r.feature, "text": r.text, "contribution": float(r.contribution)}
                    for r in found])
    return out


def check_cutoff(cutoff: float) -> float:
    if not 0.0 < float(cutoff) < 1.0:
        raise InputError(f"The decline cutoff must be a PD between 0 and 1, not {cutoff}.", "Use for example --cutoff 0.2.")
    return float(cutoff)
