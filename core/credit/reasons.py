"""Principal reasons (adverse-action reason codes) from exact SHAP values and a reference population.

For one applicant the candidates are the features whose SHAP contribution *raises* the risk
(positive log-odds in the waterfall). They are ranked by the reference-adjusted weight: the
contribution minus the mean contribution of that feature over the reference population (the
approved applicants, or all applicants) -- how much more this feature pushes the applicant's
log-odds up than it does for a typical reference applicant. The top four become the principal
reasons. Each :class:`Reason` carries both numbers: ``contribution`` (the grouped SHAP value the
waterfall shows) and ``weight`` (what ranks it), so the page can show them consistently.

Never a reason (Regulation B and redlining risk): a protected attribute, a proxy of one, a
macro-economic or a regional/geographic condition -- read from the schema tags the model was
trained with. Their effects are returned separately in :attr:`ApplicantReasons.withheld` for the
portfolio and scenario views, never for the applicant's notice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.credit.explain import Explanation
from core.credit.reason_text import sentence
from core.data.schema import Tag

TOP_REASONS = 4
NOT_A_REASON = (Tag.PROTECTED, Tag.PROXY, Tag.MACRO, Tag.GEOGRAPHIC)


@dataclass(frozen=True)
class Reference:
    """What a reference population looks like: mean SHAP per feature and median per numeric feature."""

    name: str
    mean_shap: pd.Series
    medians: dict[str, float]
    n: int
    units: Mapping[str, str] = field(default_factory=dict)  # feature -> unit, so "27%" is not written "0.27"

    @classmethod
    def from_explanation(cls, expl: Explanation, mask: np.ndarray | None = None, name: str = "all applicants") -> Reference:
        sub = expl if mask is None else expl.take(np.flatnonzero(mask))
        if len(sub) == 0:
            sub, name = expl, "all applicants (no applicant in the chosen reference)"
        medians = {}
        for f in sub.feature_names:
            col = sub.data[f]
            if not isinstance(col.dtype, pd.CategoricalDtype):
                v = pd.to_numeric(col, errors="coerce")
                medians[f] = float(v.median()) if v.notna().any() else float("nan")
        return cls(name, pd.Series(sub.values.mean(axis=0), index=sub.feature_names), medians, len(sub), dict(expl.units))


@dataclass(frozen=True)
class Reason:
    rank: int
    feature: str
    code: str
    text: str
    contribution: float  # the SHAP value (log-odds) the waterfall shows
    weight: float  # contribution minus the reference population's mean contribution: what ranks the reasons
    value: object

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "feature": self.feature, "text": self.text, "contribution": self.contribution,
                "weight": self.weight, "rank": self.rank}


@dataclass(frozen=True)
class ApplicantReasons:
    """One applicant's decision and principal reasons (what the CLI prints and the CSV export holds)."""

    id: object
    pd: float
    decision: str  # "declined" | "approved"
    reasons: list[Reason]
    withheld: dict[str, float] = field(default_factory=dict)  # protected/macro/geographic effects, never reasons

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "pd": self.pd, "decision": self.decision, "reasons": [r.to_dict() for r in self.reasons],
                "withheld_effects": dict(self.withheld)}


def not_reasons(tags: Mapping[str, Iterable[str]]) -> set[str]:
    """Features that may never be given as a reason: protected, proxy, macro or geographic by their tags."""
    banned = {t.value for t in NOT_A_REASON}
    return {f for f, ts in tags.items() if banned & set(ts)}


def reasons_for_row(values: np.ndarray, data: pd.Series, feature_names: list[str], reference: Reference,
                    categorical: Iterable[str] = (), excluded: Iterable[str] = (), top: int = TOP_REASONS
                    ) -> tuple[list[Reason], dict[str, float]]:
    """``(reasons, withheld)`` of one applicant: at most ``top`` risk-raising reasons, and the excluded effects."""
    values = np.asarray(values, float)
    banned, cats = set(excluded), set(categorical)
    weight = values - reference.mean_shap.reindex(feature_names).fillna(0.0).to_numpy()
    withheld = {f: float(values[j]) for j, f in enumerate(feature_names) if f in banned and values[j] != 0}
    order = np.lexsort((-values, -weight))  # by weight, then by contribution
    out: list[Reason] = []
    for j in order:
        if len(out) >= top:
            break
        f = feature_names[j]
        if f in banned or values[j] <= 0 or weight[j] <= 0:
            continue
        typical = reference.medians.get(f)
        c, text = sentence(f, data[f], typical, f in cats or f not in reference.medians, reference.units.get(f))
        out.append(Reason(len(out) + 1, f, c, text, float(values[j]), float(weight[j]), data[f]))
    return out, withheld


def reason_rows(records: list[ApplicantReasons], top: int = TOP_REASONS) -> pd.DataFrame:
    """One row per applicant (id, PD, decision, each reason's code/feature/text/contribution) for a CSV."""
    rows = []
    for rec in records:
        row: dict[str, object] = {"id": rec.id, "pd": rec.pd, "decision": rec.decision}
        for k in range(top):
            r = rec.reasons[k] if k < len(rec.reasons) else None
            row[f"reason_{k + 1}_code"] = r.code if r else ""
            row[f"reason_{k + 1}_feature"] = r.feature if r else ""
            row[f"reason_{k + 1}_text"] = r.text if r else ""
            row[f"reason_{k + 1}_contribution"] = r.contribution if r else np.nan
        rows.append(row)
    cols = ["id", "pd", "decision"] + [f"reason_{k + 1}_{p}" for k in range(top) for p in ("code", "feature", "text", "contribution")]
    return pd.DataFrame(rows, columns=cols)
