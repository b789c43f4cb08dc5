"""Reason codes for many applicants: the one code path behind the page's export and ``studio credit reasons``.

:func:`reference_for` builds the reference population (exact SHAP of a stratified sample, restricted
to the approved applicants at the cutoff, or all of them); :func:`select_applicants` picks the rows
(declined only or all, a PD range, a filter, the riskiest first, at most ``limit``);
:func:`applicant_reasons` explains them and returns one :class:`~core.credit.reasons.ApplicantReasons`
each; :func:`reason_table` is the CSV layout of those records.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.credit.global_shap import GlobalSample, sample_explanation
from core.credit.reasons import TOP_REASONS, ApplicantReasons, Reference, not_reasons, reason_rows, reasons_for_row
from core.credit.scores import Scores
from core.data import Dataset

APPROVED, ALL = "approved applicants", "all applicants"
SAMPLE_ROWS = 5000


def reference_from_sample(sample: GlobalSample, kind: str, cutoff: float) -> Reference:
    mask = sample.pd < cutoff if kind == APPROVED else None
    return Reference.from_explanation(sample.explanation, mask, kind)


def reference_for(model, dataset: Dataset, scores: Scores, kind: str, cutoff: float, rows: int = SAMPLE_ROWS) -> Reference:
    """The reference population for reasons: a stratified sample of the scored data, approved or all."""
    sample = sample_explanation(model, dataset.frame, scores.y, rows, seed=0)
    return reference_from_sample(sample, kind, cutoff)


def select_applicants(scores: Scores, cutoff: float, declined_only: bool = True, limit: int | None = None,
                      pd_range: tuple[float, float] = (0.0, 1.0), mask: np.ndarray | None = None) -> np.ndarray:
    """Row positions to explain, riskiest first."""
    keep = (scores.pd >= pd_range[0]) & (scores.pd <= pd_range[1])
    if declined_only:
        keep &= scores.pd >= cutoff
    if mask is not None:
        keep &= mask
    rows = np.flatnonzero(keep)
    rows = rows[np.argsort(-scores.pd[rows], kind="stable")]
    return rows if limit is None else rows[: max(int(limit), 0)]


def applicant_reasons(model, dataset: Dataset, scores: Scores, rows: np.ndarray, reference: Reference, cutoff: float,
                      top: int = TOP_REASONS, chunk: int = 5000) -> list[ApplicantReasons]:
    """Principal reasons of the applicants at ``rows`` (never from protected, proxy, macro or geographic features)."""
    ids = dataset.ids().to_numpy()
    banned = not_reasons(model.meta.tags)
    cats = set(model.encoder.categories)
    out = []
    for start in range(0, len(rows), chunk):
        part = rows[start:start + chunk]
        expl = model.explain(dataset.frame.iloc[part])
        for k, i in enumerate(part):
            reasons, withheld = reasons_for_row(expl.values[k], expl.data.iloc[k], expl.feature_names, reference, cats,
                                                banned, top)
            p = float(scores.pd[i])
            out.append(ApplicantReasons(_plain(ids[i]), p, "declined" if p >= cutoff else "approved", reasons, withheld))
    return out


def export_reasons(model, dataset: Dataset, scores: Scores, cutoff: float, *, declined_only: bool = True,
                   limit: int | None = None, reference: Reference | None = None, kind: str = APPROVED,
                   pd_range: tuple[float, float] = (0.0, 1.0), mask: np.ndarray | None = None) -> list[ApplicantReasons]:
    """Select, explain and word: what the page's "Prepare reason codes" and the CLI both call."""
    reference = reference or reference_for(model, dataset, scores, kind, cutoff)
    rows = select_applicants(scores, cutoff, declined_only, limit, pd_range, mask)
    return applicant_reasons(model, dataset, scores, rows, reference, cutoff)


def reason_table(records: list[ApplicantReasons]) -> pd.DataFrame:
    return reason_rows(records)


def _plain(v: object) -> object:
    return v.item() if isinstance(v, np.generic) else v


def withheld_effects(model, expl) -> pd.DataFrame:
    """Effects that are never reasons (protected, proxy, macro, geographic), over the explained rows.

    For portfolio and scenario analysis (how much regional unemployment or house prices move the
    book's risk), never for an applicant's notice: feature, its tags, mean contribution, mean
    absolute contribution and the share of rows it raises (log-odds).
    """
    banned = not_reasons(model.meta.tags)
    rows = []
    for j, f in enumerate(expl.feature_names):
        if f in banned:
            v = expl.values[:, j]
            rows.append({"feature": f, "tags": ", ".join(model.meta.tags.get(f, ())), "mean": float(v.mean()),
                         "mean_abs": float(np.abs(v).mean()), "share_raising": float((v > 0).mean())})
    return pd.DataFrame(rows, columns=["feature", "tags", "mean", "mean_abs", "share_raising"]).sort_values(
        "mean_abs", ascending=False, ignore_index=True)
