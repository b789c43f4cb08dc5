"""How close a generator's rows are to the real ones, in one report with a plain verdict.

One call gives what the Fidelity tab, ``studio scenario fidelity`` and the bench show:

* the quality score, column shapes and pair trends (:mod:`core.scenarios.quality`, the
  SDMetrics QualityReport's definitions, computed here);
* the detection AUC of gradient-boosted trees and TSTR (:mod:`core.scenarios.detection`);
* pair and conditional checks (:mod:`core.scenarios.checks`);
* privacy: distance to closest record and membership inference (:mod:`core.scenarios.privacy`);
* a verdict: detection AUC up to 0.6 "hard to tell apart", up to 0.8 "usable with care", above
  0.8 a warning.

Real rows are split as the generator's own training split: it learned from the training rows and
never from the held-out (validation) rows, which TSTR and the privacy checks test on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.scenarios.checks import pair_checks
from core.scenarios.detection import detection_auc, tstr
from core.scenarios.privacy import privacy_report
from core.scenarios.quality import QualityScore, quality_score

WARN_AUC = 0.8
GOOD_AUC = 0.6


@dataclass(frozen=True)
class Verdict:
    level: str  # "good", "fair", "warn"
    text: str


def verdict(auc: float) -> Verdict:
    if not np.isfinite(auc):
        return Verdict("warn", "Detection could not be measured on these rows.")
    if auc <= GOOD_AUC:
        return Verdict("good", f"Generated rows are hard to tell from real ones: a gradient-boosting classifier "
                               f"reaches AUC {auc:.2f} (0.5 means it cannot tell at all).")
    if auc <= WARN_AUC:
        return Verdict("fair", f"A gradient-boosting classifier tells generated from real rows at AUC {auc:.2f}: "
                               "columns and most links between them hold; check the pair checks before relying on "
                               "generated portfolios for tail figures.")
    return Verdict("warn", f"Generated rows are easy to tell from real ones (detection AUC {auc:.2f}, above {WARN_AUC}). "
                           "Column shapes may look right while links between columns do not: treat generated "
                           "portfolios with caution; stresses of existing customers move only the dependent columns.")


@dataclass
class FidelityReport:
    quality: QualityScore
    scores: dict
    checks: pd.DataFrame
    privacy: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> Verdict:
        return verdict(self.scores.get("detection_auc", float("nan")))

    def summary(self) -> dict:
        return {**self.scores, **{f"privacy_{k}": v for k, v in self.privacy.items()}, "verdict": self.verdict.text}


def fidelity_report(real_train: pd.DataFrame, real_holdout: pd.DataFrame | None, syn: pd.DataFrame,
                    categorical: list[str] | set[str], *, target: str | None = None, positive=1,
                    semantics: dict | None = None, max_rows: int = 5000, seed: int = 0,
                    with_privacy: bool = True) -> FidelityReport:
    """Every fidelity figure on at most ``max_rows`` rows of each side."""
    cats = set(categorical)
    real = real_train.sample(max_rows, random_state=seed) if len(real_train) > max_rows else real_train
    gen = syn.sample(max_rows, random_state=seed) if len(syn) > max_rows else syn
    gen = gen[[c for c in real.columns if c in gen.columns]]
    real = real[list(gen.columns)]
    t0 = time.perf_counter()
    q = quality_score(real, gen, cats)
    scores: dict = {"quality_report": q.score, "column_shapes": q.shapes, "pair_trends": q.pairs,
                    "rows_compared": int(min(len(real), len(gen)))}
    scores.update(detection_auc(real, gen, cats, seed))
    notes = []
    if not np.isfinite(q.pairs):
        notes.append("No two columns are related in the real rows (|r| above 0.5, or Cramér's V above 0.3), so pair "
                     "trends are not scored and the quality score is the column shapes alone: the detection AUC is "
                     "the figure that sees links between columns.")
    if target and target in real.columns and real_holdout is not None and len(real_holdout) >= 50:
        scores.update(tstr(real_train[list(gen.columns)], real_holdout[list(gen.columns)], gen, target, positive, cats, seed))
    elif target:
        notes.append("TSTR needs at least 50 held-out real rows; there were not enough.")
    privacy = {}
    if with_privacy and real_holdout is not None and len(real_holdout) >= 50:
        privacy = privacy_report(real_train[list(gen.columns)], real_holdout[list(gen.columns)], gen, cats, seed=seed)
    scores["seconds"] = round(time.perf_counter() - t0, 2)
    return FidelityReport(q, scores, pair_checks(real, gen, semantics), privacy, notes)


def recommend(reports: dict[str, FidelityReport]) -> tuple[str, str]:
    """``(family, why)``: the generator whose rows are hardest to tell apart (then the better quality score)."""
    if not reports:
        return "", "No generator was measured."
    best = min(reports, key=lambda k: (round(reports[k].scores.get("detection_auc", 1.0), 3),
                                       -reports[k].scores.get("quality_report", 0.0)))
    r = reports[best].scores
    others = ", ".join(f"{k} {v.scores.get('detection_auc', float('nan')):.2f}" for k, v in reports.items() if k != best)
    return best, (f"{best} is recommended for this dataset: detection AUC {r.get('detection_auc', float('nan')):.2f} "
                  f"(lower is better; {others}), quality score {r.get('quality_report', float('nan')):.3f}.")
