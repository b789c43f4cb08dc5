"""Principal reasons (adverse-action reason codes) from SHAP values and a reference population.

A feature's reason weight for an applicant is its SHAP value minus the mean SHAP value of that
feature over the reference population (all applicants, or the approved ones): how much more
this feature pushes the applicant's log-odds of default up than it does for a typical reference
applicant. The top four positive weights become the principal reasons, each worded from the
catalogue in ``assets/credit/reason_codes.json``: the ``high`` or ``low`` sentence depending on
whether the applicant's value is above or below the reference median, the ``category`` sentence
for categorical features. A feature missing from the catalogue gets the generic sentence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from core.credit.explain import Explanation

CATALOGUE = Path(__file__).resolve().parents[2] / "assets" / "credit" / "reason_codes.json"
TOP_REASONS = 4


@lru_cache(maxsize=4)
def _read(path: str) -> dict:
    return json.loads(Path(path).read_text())


def load_catalogue(path: Path | str | None = None) -> dict:
    """The reason-code catalogue (feature -> code, label, sentences), with a generic fallback."""
    cat = dict(_read(str(path or CATALOGUE)))
    cat.setdefault("_generic", {"code": "R99", "label": "{feature}", "high": "{label} is higher than for most reference applicants.",
                                "low": "{label} is lower than for most reference applicants.",
                                "category": "{label} ('{value}') is associated with higher risk."})
    return cat


@dataclass(frozen=True)
class Reference:
    """What a reference population looks like: mean SHAP per feature and median per numeric feature."""

    name: str
    mean_shap: pd.Series
    medians: dict[str, float]
    n: int

    @classmethod
    def from_explanation(cls, expl: Explanation, mask: np.ndarray | None = None, name: str = "all applicants") -> Reference:
        sub = expl if mask is None else expl.take(np.flatnonzero(mask))
        if len(sub) == 0:
            sub = expl
        medians = {}
        for f in sub.feature_names:
            col = sub.data[f]
            if not isinstance(col.dtype, pd.CategoricalDtype):
                v = pd.to_numeric(col, errors="coerce")
                medians[f] = float(v.median()) if v.notna().any() else float("nan")
        return cls(name, pd.Series(sub.values.mean(axis=0), index=sub.feature_names), medians, len(sub))


@dataclass(frozen=True)
class Reason:
    rank: int
    feature: str
    code: str
    text: str
    weight: float  # log-odds above the reference mean
    value: object


def _fmt(v: object) -> str:
    if isinstance(v, (float, np.floating)):
        if np.isnan(v):
            return "missing"
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.3g}"
    return str(v)


def sentence(feature: str, value: object, reference: Reference, catalogue: dict) -> tuple[str, str]:
    """(code, sentence) for one feature at one value."""
    entry = catalogue.get(feature) or {}
    generic = catalogue["_generic"]
    label = entry.get("label") or feature.replace("_", " ").capitalize()
    median = reference.medians.get(feature)
    if feature not in reference.medians or median is None:
        template = entry.get("category") or generic["category"]
    else:
        try:
            above = float(value) > median
        except (TypeError, ValueError):
            above = False
        template = entry.get("high" if above else "low") or generic["high" if above else "low"]
    code = entry.get("code") or generic["code"]
    text = template.format(label=label, value=_fmt(value), typical=_fmt(median) if median is not None else "",
                           feature=feature)
    return code, text[0].upper() + text[1:] if text else text


def reasons_for_row(values: np.ndarray, data: pd.Series, feature_names: list[str], reference: Reference,
                    catalogue: dict | None = None, top: int = TOP_REASONS) -> list[Reason]:
    """The principal reasons of one applicant (at most ``top``; only features that raise risk)."""
    catalogue = catalogue or load_catalogue()
    weight = np.asarray(values, float) - reference.mean_shap.reindex(feature_names).fillna(0.0).to_numpy()
    order = np.argsort(-weight)
    out = []
    for j in order:
        if weight[j] <= 0 or len(out) >= top:
            break
        f = feature_names[j]
        code, text = sentence(f, data[f], reference, catalogue)
        out.append(Reason(len(out) + 1, f, code, text, float(weight[j]), data[f]))
    return out


def reason_table(expl: Explanation, reference: Reference, ids: pd.Series | np.ndarray | None = None,
                 pd_values: np.ndarray | None = None, catalogue: dict | None = None, top: int = TOP_REASONS) -> pd.DataFrame:
    """One row per applicant: id, PD, and the top reasons' codes, features and sentences (for CSV export)."""
    catalogue = catalogue or load_catalogue()
    ids = np.arange(len(expl)) if ids is None else np.asarray(ids)
    rows = []
    for i in range(len(expl)):
        row = {"id": ids[i]}
        if pd_values is not None:
            row["pd"] = float(pd_values[i])
        reasons = reasons_for_row(expl.values[i], expl.data.iloc[i], expl.feature_names, reference, catalogue, top)
        for k in range(top):
            r = reasons[k] if k < len(reasons) else None
            row[f"reason_{k + 1}_code"] = r.code if r else ""
            row[f"reason_{k + 1}_feature"] = r.feature if r else ""
            row[f"reason_{k + 1}_text"] = r.text if r else ""
        rows.append(row)
    return pd.DataFrame(rows)
