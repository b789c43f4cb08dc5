"""Counterfactual search: the smallest realistic change that brings an applicant under the cutoff.

Only *actionable* features move: numeric model features that are not immutable. Immutable are
protected attributes (age, sex, personal status, ...), macro-economic conditions, and whatever
the analyst adds. Each feature moves only within its realistic range (the 1st..99th training
percentile) and only in a direction that can lower risk under its monotone constraint (a
feature constrained ``+1`` can only go down). Categorical features stay fixed.

The search is greedy and batched: at each step every actionable feature is tried at a grid of
values toward its bound, all candidates are scored in a single ``predict`` call, and the step
that lowers the log-odds most per unit of change is taken (or, as soon as some candidate is
approved, the cheapest approved one). A pruning pass then moves each changed feature back toward
its original value as far as approval allows. Change is measured in units of each feature's
1st..99th-percentile range (an L1 distance), plus a small charge per changed feature so that
fewer changes are preferred. It is a heuristic: it finds a small change, not a proven minimum.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.credit.model import protected_attributes
from core.errors import InputError

MACRO = ("regional_unemployment", "unemployment", "unemployment_rate", "policy_rate", "base_rate",
         "house_price_change", "hpi_change")
# features that describe the past or the person rather than something the applicant can change now
HISTORY = ("tenure_months", "residence_since", "num_dependents")
FEATURE_CHARGE = 0.05


@dataclass(frozen=True)
class Counterfactual:
    """The result of a search: ``found`` or not, and the changes as a small table."""

    found: bool
    message: str
    pd_before: float
    pd_after: float
    cutoff: float
    changes: pd.DataFrame = field(repr=False)  # feature, from, to, change
    row_after: pd.DataFrame | None = field(default=None, repr=False)
    cost: float = float("nan")
    candidates_scored: int = 0
    seconds: float = 0.0


def default_immutable(model, extra: list[str] | tuple[str, ...] = ()) -> set[str]:
    feats = model.feature_names
    return set(protected_attributes(feats)) | {f for f in feats if f in MACRO or f in HISTORY} | set(extra)


def actionable_features(model, immutable: set[str] | None = None) -> list[str]:
    immutable = default_immutable(model) if immutable is None else set(immutable)
    bounds = model.bounds
    return [f for f in model.feature_names
            if f not in model.encoder.categories and f not in immutable and f in bounds and bounds[f][1] > bounds[f][0]]


def _moved(a: float, b: float) -> bool:
    return not (a == b or (np.isnan(a) and np.isnan(b)))


def _round(values: np.ndarray, integer: bool) -> np.ndarray:
    return np.round(values) if integer else values


def find_counterfactual(model, row: pd.DataFrame, cutoff: float, immutable: set[str] | None = None,
                        max_changes: int = 3, grid: int = 16, max_steps: int = 8) -> Counterfactual:
    """Search the smallest change of actionable features that gives ``PD < cutoff``."""
    t0 = time.perf_counter()
    if len(row) != 1:
        raise InputError("A counterfactual is searched for one applicant at a time.")
    if not 0 < cutoff < 1:
        raise InputError(f"The cutoff must lie strictly between 0 and 1, not {cutoff}.")
    enc = model.encoder
    x0 = enc.native_matrix(row)[0]
    m0 = float(model.margin_from_matrix(x0[None, :])[0])
    pd0 = float(model.pd_from_margin(np.array([m0]))[0])
    empty = pd.DataFrame(columns=["feature", "from", "to", "change"])
    if pd0 < cutoff:
        return Counterfactual(True, "Already approved at this cutoff: no change needed.", pd0, pd0, cutoff, empty,
                              row, 0.0, 1, time.perf_counter() - t0)
    feats = actionable_features(model, immutable)
    if not feats:
        return Counterfactual(False, "No feature can be changed: every model feature is immutable or categorical.",
                              pd0, pd0, cutoff, empty, None, float("nan"), 1, time.perf_counter() - t0)
    pos = {f: j for j, f in enumerate(model.feature_names)}
    bounds, mono, integer = model.bounds, model.monotone, set(enc.integer)
    medians = model.meta.get("medians", {})
    scale = {f: bounds[f][1] - bounds[f][0] for f in feats}
    start = {f: (x0[pos[f]] if not np.isnan(x0[pos[f]]) else medians.get(f, bounds[f][0])) for f in feats}

    def cost_of(x: np.ndarray) -> np.ndarray:
        """(k,) cost of candidate rows x (k, p) relative to the applicant."""
        total = np.zeros(len(x))
        for f in feats:
            d = np.abs(x[:, pos[f]] - start[f]) / scale[f]
            total += d + FEATURE_CHARGE * (d > 1e-12)
        return total

    def candidates(x: np.ndarray, changed: set[str]) -> np.ndarray:
        rows = []
        for f in feats:
            if f not in changed and len(changed) >= max_changes:
                continue
            lo, hi = bounds[f]
            cur = x[pos[f]] if not np.isnan(x[pos[f]]) else start[f]
            targets = []
            if mono.get(f, 0) >= 0 and cur > lo:  # lower values may lower risk
                targets.append(np.linspace(cur, lo, grid + 1)[1:])
            if mono.get(f, 0) <= 0 and cur < hi:
                targets.append(np.linspace(cur, hi, grid + 1)[1:])
            if not targets:
                continue
            vals = np.unique(_round(np.concatenate(targets), f in integer))
            vals = vals[(vals != cur) & (vals >= min(lo, cur)) & (vals <= max(hi, cur))]
            if len(vals):
                block = np.repeat(x[None, :], len(vals), axis=0)
                block[:, pos[f]] = vals
                rows.append(block)
        return np.vstack(rows) if rows else np.empty((0, len(x)))

    x, m, changed, scored = x0.copy(), m0, set(), 1
    found = False
    for _ in range(max_steps):
        cand = candidates(x, changed)
        if len(cand) == 0:
            break
        margins = model.margin_from_matrix(cand)
        pds = model.pd_from_margin(margins)
        scored += len(cand)
        costs = cost_of(cand)
        ok = pds < cutoff
        if ok.any():
            best = np.flatnonzero(ok)[np.argmin(costs[ok])]
            x, m, found = cand[best], float(margins[best]), True
            break
        gain = (m - margins) / np.maximum(costs - cost_of(x[None, :])[0], 1e-9)
        best = int(np.argmax(gain))
        if margins[best] >= m - 1e-9:
            break  # nothing lowers the risk any further
        x, m = cand[best], float(margins[best])
        changed = {f for f in feats if _moved(x[pos[f]], x0[pos[f]])}

    if found:  # pruning: walk each change back toward the original while the applicant stays approved
        for f in sorted(feats, key=lambda f: -abs(x[pos[f]] - start[f]) / scale[f]):
            if not _moved(x[pos[f]], x0[pos[f]]):
                continue
            orig = x0[pos[f]] if not np.isnan(x0[pos[f]]) else start[f]
            vals = np.unique(_round(np.linspace(orig, x[pos[f]], grid + 1), f in integer))
            block = np.repeat(x[None, :], len(vals) + 1, axis=0)
            block[:-1, pos[f]] = vals
            block[-1, pos[f]] = x0[pos[f]]  # fully reverted (may be missing)
            margins = model.margin_from_matrix(block)
            pds = model.pd_from_margin(margins)
            scored += len(block)
            ok = np.flatnonzero(pds < cutoff)
            if len(ok):
                best = ok[np.argmin(cost_of(block[ok]))]
                x, m = block[best], float(margins[best])

    pd_after = float(model.pd_from_margin(np.array([m]))[0])
    rows = [{"feature": f, "from": x0[pos[f]], "to": x[pos[f]], "change": x[pos[f]] - x0[pos[f]]}
            for f in model.feature_names if f in scale and _moved(x[pos[f]], x0[pos[f]])]
    changes = pd.DataFrame(rows, columns=["feature", "from", "to", "change"])
    seconds = time.perf_counter() - t0
    if not found:
        msg = (f"No change of {', '.join(feats[:6])}{'...' if len(feats) > 6 else ''} within their realistic ranges "
               f"(and at most {max_changes} features) brings the PD below {cutoff:.1%}; the closest reached {pd_after:.1%}.")
        return Counterfactual(False, msg, pd0, pd_after, cutoff, changes, None, float("nan"), scored, seconds)
    after = row.copy()
    for r in rows:
        col = r["feature"]
        after[col] = after[col].astype(float)
        after.iloc[0, after.columns.get_loc(col)] = r["to"]
    total = float(cost_of(x[None, :])[0])
    msg = "Approved with " + "; ".join(f"{r['feature']} {_num(r['from'])} → {_num(r['to'])}" for r in rows) + \
          f" (PD {pd0:.1%} → {pd_after:.1%})."
    return Counterfactual(True, msg, pd0, pd_after, cutoff, changes, after, total, scored, seconds)


def _num(v: float) -> str:
    """A value as an analyst reads it: 14,300 and 12,712 (not 1.43e+04), 0.35, 2."""
    v = float(v)
    if np.isnan(v):
        return "missing"
    if abs(v) >= 100 or v.is_integer():
        return f"{v:,.0f}"
    return f"{v:.2f}" if abs(v) >= 1 else f"{v:.3g}"
