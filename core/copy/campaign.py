"""The campaign results loop: import results of exported copy, analyse them, feed the winners back.

- :func:`import_results` reads a results table keyed by the exported ``batch_id`` and
  ``variant_id`` (``sends``, ``opens``, ``clicks``, ``conversions``; optional ``segment``); a
  variant id ``control`` is the control arm. Counts are validated (whole, non-negative, opens ≤
  sends, clicks ≤ opens or sends, conversions ≤ clicks or sends).
- :func:`analyse` gives CTR (clicks / sends) and conversion (conversions / sends) by variant and by
  segment with Wilson score intervals, and tests each variant against control (two-proportion
  z-test on conversion), with Holm's step-down correction for the number of variants.
- :func:`winners` turns significant winners into a ranking bonus for the next batch
  (:func:`core.copy.generate.generate_copy` ``winners=``).
- :func:`simulate_campaign` is the embedded default's campaign simulator: known true response rates
  per variant, seeded binomial draws, so tests check that the analysis finds the true winner.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from core.errors import InputError

CONTROL = "control"
COUNTS = ("sends", "opens", "clicks", "conversions")
REQUIRED = ("batch_id", "variant_id", "sends", "clicks", "conversions")
Z95 = 1.959963984540054


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (0..1); (0, 0) when n is 0."""
    if n <= 0:
        return 0.0, 0.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def two_proportion_p(x1: int, n1: int, x2: int, n2: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test (1.0 when undefined)."""
    if n1 <= 0 or n2 <= 0:
        return 1.0
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    z = (x1 / n1 - x2 / n2) / se
    return float(2 * norm.sf(abs(z)))


def holm(p_values: list[float]) -> list[float]:
    """Holm step-down adjusted p-values (family-wise error control), in the input order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def import_results(frame: pd.DataFrame, batch_ids: set[str] | None = None) -> pd.DataFrame:
    """Validated campaign results (one row per batch, variant and segment)."""
    cols = {c.lower().strip(): c for c in frame.columns}
    missing = [c for c in REQUIRED if c not in cols]
    if missing:
        raise InputError(f"The results file lacks the column(s): {', '.join(missing)}.",
                         "Give batch_id, variant_id, sends, clicks and conversions (opens and segment are optional).")
    out = pd.DataFrame({c: frame[cols[c]] for c in cols if c in (*REQUIRED, "opens", "segment")})
    if "opens" not in out:
        out["opens"] = np.nan
    if "segment" not in out:
        out["segment"] = "all"
    out["batch_id"] = out["batch_id"].astype(str).str.strip()
    out["variant_id"] = out["variant_id"].astype(str).str.strip()
    out["segment"] = out["segment"].fillna("all").astype(str)
    for c in COUNTS:
        values = pd.to_numeric(out[c], errors="coerce")
        if c != "opens" and values.isna().any():
            raise InputError(f"Column '{c}' has empty or non-numeric values.", "Every row needs whole-number counts.")
        if (values.dropna() < 0).any() or (values.dropna() % 1 != 0).any():
            raise InputError(f"Column '{c}' must hold whole numbers of at least 0.", "Fix the counts in the file.")
        out[c] = values
    if (out["clicks"] > out["sends"]).any() or (out["conversions"] > out["sends"]).any():
        raise InputError("Some rows have more clicks or conversions than sends.", "Check the counts in the file.")
    if out["opens"].notna().any() and (out["opens"] > out["sends"]).any():
        raise InputError("Some rows have more opens than sends.", "Check the counts in the file.")
    if batch_ids is not None:
        unknown = sorted(set(out["batch_id"]) - set(batch_ids))
        if unknown:
            raise InputError(f"Results name batches that were never exported: {', '.join(unknown[:5])}.",
                             "Import results only for batches exported from the studio.")
    if not (out["variant_id"] == CONTROL).any():
        raise InputError("The results have no control arm (variant_id 'control').",
                         "Add the control group's sends and conversions so each variant can be tested against it.")
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class Analysis:
    by_variant: pd.DataFrame  # variant, sends, clicks, conversions, ctr + interval, conversion + interval, tests
    by_segment: pd.DataFrame  # segment x variant
    winner: str | None  # the best variant significantly better than control after correction, if any
    alpha: float


def _rates(g: pd.DataFrame) -> pd.DataFrame:
    out = g.copy()
    out["ctr"] = out["clicks"] / out["sends"].where(out["sends"] > 0)
    out["conversion"] = out["conversions"] / out["sends"].where(out["sends"] > 0)
    for what, col in (("ctr", "clicks"), ("conversion", "conversions")):
        ci = [wilson(int(x), int(n)) for x, n in zip(out[col], out["sends"], strict=True)]
        out[f"{what}_low"] = [c[0] for c in ci]
        out[f"{what}_high"] = [c[1] for c in ci]
    return out


def analyse(results: pd.DataFrame, alpha: float = 0.05) -> Analysis:
    """Rates with Wilson intervals by variant and segment; each variant against control, Holm-corrected."""
    sums = results.groupby("variant_id", as_index=False)[list(COUNTS)].sum(min_count=1)
    sums["opens"] = sums["opens"].fillna(0)
    by_variant = _rates(sums)
    ctrl = by_variant[by_variant["variant_id"] == CONTROL].iloc[0]
    arms = by_variant[by_variant["variant_id"] != CONTROL]
    raw = [two_proportion_p(int(r.conversions), int(r.sends), int(ctrl.conversions), int(ctrl.sends))
           for r in arms.itertuples()]
    adj = holm(raw)
    by_variant["lift"] = by_variant["conversion"] - float(ctrl["conversion"])
    by_variant["p_value"] = np.nan
    by_variant["p_holm"] = np.nan
    by_variant.loc[arms.index, "p_value"] = raw
    by_variant.loc[arms.index, "p_holm"] = adj
    by_variant["significant"] = (by_variant["p_holm"] < alpha) & (by_variant["lift"] > 0)
    wins = by_variant[by_variant["significant"]].sort_values("conversion", ascending=False)
    winner = str(wins.iloc[0]["variant_id"]) if len(wins) else None
    seg = results.groupby(["segment", "variant_id"], as_index=False)[list(COUNTS)].sum(min_count=1)
    seg["opens"] = seg["opens"].fillna(0)
    return Analysis(by_variant.sort_values("variant_id").reset_index(drop=True), _rates(seg), winner, alpha)


def winners(analysis: Analysis, texts: dict[str, str]) -> dict[str, float]:
    """Copy text -> relative lift of each significant winner (for the next batch's ranking)."""
    out = {}
    for r in analysis.by_variant[analysis.by_variant["significant"]].itertuples():
        base = float(analysis.by_variant.loc[analysis.by_variant["variant_id"] == CONTROL, "conversion"].iloc[0])
        if r.variant_id in texts and base > 0:
            out[texts[str(r.variant_id)]] = float(r.lift) / base
    return out


def simulate_campaign(batch_id: str, variant_ids: list[str], true_rates: dict[str, float], *,
                      control_rate: float, sends_per_arm: int = 5000, segments: tuple[str, ...] = ("all",),
                      open_rate: float = 0.3, click_given_open: float = 0.2, seed: int = 0) -> pd.DataFrame:
    """Seeded campaign results for known true conversion rates.

    A variant missing from ``true_rates`` converts at the control rate.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for seg in segments:
        n = sends_per_arm // len(segments)
        for vid in [CONTROL, *variant_ids]:
            rate = control_rate if vid == CONTROL else true_rates.get(vid, control_rate)
            opens = int(rng.binomial(n, open_rate))
            clicks = int(rng.binomial(opens, click_given_open))
            conversions = int(rng.binomial(n, rate))
            rows.append({"batch_id": batch_id, "variant_id": vid, "segment": seg, "sends": n, "opens": opens,
                         "clicks": max(clicks, 0), "conversions": conversions})
    return pd.DataFrame(rows)
