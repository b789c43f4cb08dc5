"""Counterfactuals worth acting on: up to three diverse, plausible changes that bring an applicant under the cutoff.

Only actionable features move, each only in its plausible direction and within the observed
training range (:mod:`core.credit.actionability`); categorical features move to a better band
where one exists (more savings, a guarantor, property pledged). The search is greedy and batched:
at each step every allowed single change is scored in one ``predict`` call; the cheapest approved
candidate wins, else the change that lowers the log-odds most per unit of cost is taken. A pruning
pass then walks each change back toward the original as far as approval allows.

Cost is an L1 distance in units of each feature's observed 1st..99th-percentile range (a band
step counts as its share of the ordered levels) plus a charge per changed feature, so fewer
changes are preferred. Diversity as in DiCE: after each option is found, its main change is
ruled out for the next search, so the options use different levers. It is a heuristic: each option
is a small sufficient change, not a proven minimum, and links between features (a balance and its
utilisation) are not modelled.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.credit import catalogue as C
from core.credit.actionability import ChangeRule, change_rules, why_fixed
from core.credit.reason_text import value_text
from core.errors import InputError
from core.formatting import pct

FEATURE_CHARGE = 0.05
MAX_OPTIONS = 3


@dataclass(frozen=True)
class Change:
    feature: str
    before: object
    after: object

    @property
    def text(self) -> str:
        return f"{C.label(self.feature)}: {value_text(self.before)} → {value_text(self.after)}"


@dataclass(frozen=True)
class Option:
    """One way to approval: the changes, the new PD and decision."""

    changes: tuple[Change, ...]
    pd_after: float
    decision: str
    cost: float
    row_after: pd.DataFrame = field(repr=False)

    @property
    def text(self) -> str:
        return "; ".join(c.text for c in self.changes)


@dataclass(frozen=True)
class Counterfactual:
    """The result of a search: the options found (best first), or why there is none."""

    found: bool
    message: str
    pd_before: float
    cutoff: float
    options: tuple[Option, ...] = ()
    actionable: tuple[str, ...] = ()
    fixed: dict[str, str] = field(default_factory=dict)  # feature -> why it is never changed
    closest_pd: float = float("nan")
    candidates_scored: int = 0
    seconds: float = 0.0

    @property
    def pd_after(self) -> float:
        return self.options[0].pd_after if self.options else self.closest_pd

    @property
    def row_after(self) -> pd.DataFrame | None:
        return self.options[0].row_after if self.options else None

    def changes(self, option: int = 0) -> pd.DataFrame:
        """One option's changes as a table: feature, from, to."""
        rows = [] if not self.options else [{"feature": c.feature, "from": value_text(c.before), "to": value_text(c.after)}
                                           for c in self.options[option].changes]
        return pd.DataFrame(rows, columns=["feature", "from", "to"])


class _Search:
    """One model, one applicant: the encoded row, the rules and the cost of a candidate."""

    def __init__(self, model, row: pd.DataFrame, cutoff: float, rules: dict[str, ChangeRule], max_changes: int,
                 grid: int) -> None:
        self.model, self.cutoff, self.rules, self.max_changes, self.grid = model, cutoff, rules, max_changes, grid
        self.pos = {f: j for j, f in enumerate(model.feature_names)}
        self.x0 = model.encoder.native_matrix(row)[0]
        bounds, medians = model.bounds, model.medians
        self.integer = set(model.encoder.integer)
        self.scale, self.start, self.level_pos = {}, {}, {}
        for f, rule in rules.items():
            v = self.x0[self.pos[f]]
            if rule.levels:
                cats = model.encoder.categories[f]
                self.level_pos[f] = {cats.index(lv): k for k, lv in enumerate(rule.levels)}
                self.scale[f] = float(max(len(rule.levels) - 1, 1))
            else:
                lo, hi = bounds[f]
                self.scale[f] = hi - lo
                self.start[f] = v if not np.isnan(v) else medians.get(f, lo)
        self.scored = 0

    def cost(self, x: np.ndarray) -> np.ndarray:
        total = np.zeros(len(x))
        for f, rule in self.rules.items():
            j = self.pos[f]
            if rule.levels:
                a, b = self._rank(f, self.x0[j]), np.array([self._rank(f, v) for v in x[:, j]])
                d = np.abs(b - a) / self.scale[f]
                moved = ~((x[:, j] == self.x0[j]) | (np.isnan(x[:, j]) & np.isnan(self.x0[j])))
            else:
                d = np.abs(x[:, j] - self.start[f]) / self.scale[f]
                moved = d > 1e-12
            total += np.where(moved, d + FEATURE_CHARGE, 0.0)
        return total

    def _rank(self, f: str, code: float) -> float:
        """Position of a category code in the rule's order; unordered levels sit one step below the first."""
        return -1.0 if np.isnan(code) else float(self.level_pos[f].get(int(code), -1))

    def changed(self, x: np.ndarray) -> set[str]:
        return {f for f in self.rules if not (x[self.pos[f]] == self.x0[self.pos[f]]
                                              or (np.isnan(x[self.pos[f]]) and np.isnan(self.x0[self.pos[f]])))}

    def candidates(self, x: np.ndarray, allowed: set[str]) -> np.ndarray:
        changed = self.changed(x)
        blocks = []
        for f in allowed:
            if f not in changed and len(changed) >= self.max_changes:
                continue
            j, rule = self.pos[f], self.rules[f]
            if rule.levels:
                cats = self.model.encoder.categories[f]
                cur = None if np.isnan(x[j]) else cats[int(x[j])]
                vals = np.array([cats.index(lv) for lv in rule.targets(cur)], dtype=float)
            else:
                lo, hi = self.model.bounds[f]
                cur = x[j] if not np.isnan(x[j]) else self.start[f]
                end = hi if rule.direction > 0 else lo
                if (rule.direction > 0 and cur >= end) or (rule.direction < 0 and cur <= end):
                    continue
                vals = np.linspace(cur, end, self.grid + 1)[1:]
                vals = np.unique(np.round(vals) if f in self.integer else vals)
                vals = vals[vals != cur]
            if len(vals):
                block = np.repeat(x[None, :], len(vals), axis=0)
                block[:, j] = vals
                blocks.append(block)
        return np.vstack(blocks) if blocks else np.empty((0, len(x)))

    def score(self, cand: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        margins = self.model.margin_from_matrix(cand)
        self.scored += len(cand)
        return margins, self.model.pd_from_margin(margins)

    def run(self, allowed: set[str], max_steps: int) -> tuple[np.ndarray | None, float]:
        """The cheapest approved row found with the ``allowed`` features, and the closest PD reached."""
        x = self.x0.copy()
        m = float(self.model.margin_from_matrix(x[None, :])[0])
        for _ in range(max_steps):
            cand = self.candidates(x, allowed)
            if not len(cand):
                break
            margins, pds = self.score(cand)
            costs = self.cost(cand)
            ok = pds < self.cutoff
            if ok.any():
                best = np.flatnonzero(ok)[np.argmin(costs[ok])]
                final = self.prune(cand[best])
                return final, float(self.score(final[None, :])[1][0])
            gain = (m - margins) / np.maximum(costs - self.cost(x[None, :])[0], 1e-9)
            best = int(np.argmax(gain))
            if margins[best] >= m - 1e-9:
                break  # nothing lowers the risk any further
            x, m = cand[best], float(margins[best])
        return None, float(self.model.pd_from_margin(np.array([m]))[0])

    def prune(self, x: np.ndarray) -> np.ndarray:
        """Walk each change back toward the original value while the applicant stays approved."""
        for f in sorted(self.changed(x), key=lambda f: -float(self.cost(self._only(x, f)[None, :])[0])):
            j, rule = self.pos[f], self.rules[f]
            if rule.levels:
                cats = self.model.encoder.categories[f]
                orig = None if np.isnan(self.x0[j]) else cats[int(self.x0[j])]
                now = cats[int(x[j])]
                path = [lv for lv in rule.targets(orig) if lv != now]
                vals = [self.x0[j]] + [float(cats.index(lv)) for lv in path]
            else:
                steps = np.linspace(self.start[f], x[j], self.grid + 1)
                vals = [*np.unique(np.round(steps) if f in self.integer else steps), self.x0[j]]
            block = np.repeat(x[None, :], len(vals), axis=0)
            block[:, j] = vals
            _, pds = self.score(block)
            ok = np.flatnonzero(pds < self.cutoff)
            if len(ok):
                x = block[ok[np.argmin(self.cost(block[ok]))]]
        return x

    def _only(self, x: np.ndarray, f: str) -> np.ndarray:
        y = self.x0.copy()
        y[self.pos[f]] = x[self.pos[f]]
        return y


def find_counterfactual(model, row: pd.DataFrame, cutoff: float, immutable: set[str] | None = None,
                        max_changes: int = 3, grid: int = 16, max_steps: int = 8,
                        options: int = MAX_OPTIONS) -> Counterfactual:
    """Up to ``options`` diverse plausible changes of at most ``max_changes`` features that give ``PD < cutoff``."""
    t0 = time.perf_counter()
    if len(row) != 1:
        raise InputError("A counterfactual is searched for one applicant at a time.")
    if not 0 < cutoff < 1:
        raise InputError(f"The cutoff must lie strictly between 0 and 1, not {cutoff}.")
    rules = {f: r for f, r in change_rules(model).items() if f not in (immutable or set())}
    fixed = {f: ("kept fixed by the analyst" if f in (immutable or set()) else why_fixed(model, f))
             for f in model.feature_names if f not in rules}
    search = _Search(model, row, cutoff, rules, max_changes, grid)
    pd0 = float(model.pd_from_margin(model.margin_from_matrix(search.x0[None, :]))[0])
    common: dict[str, Any] = dict(pd_before=pd0, cutoff=cutoff, actionable=tuple(rules), fixed=fixed)
    if pd0 < cutoff:
        return Counterfactual(True, "Already approved at this cutoff: no change needed.", **common, closest_pd=pd0,
                              candidates_scored=1, seconds=time.perf_counter() - t0)
    if not rules:
        return Counterfactual(False, "No feature of this model is something the applicant can plausibly change.",
                              **common, closest_pd=pd0, candidates_scored=1, seconds=time.perf_counter() - t0)
    found: list[Option] = []
    allowed, closest = set(rules), pd0
    while len(found) < options and allowed:
        x, reached = search.run(allowed, max_steps)
        closest = min(closest, reached)
        if x is None:
            break
        changes = tuple(Change(f, _value(model, f, search.x0), _value(model, f, x))
                        for f in model.feature_names if f in search.changed(x))
        if not any({c.feature for c in o.changes} == {c.feature for c in changes} for o in found):
            after = model.encoder.raw_from_matrix(x[None, :], row.index)
            found.append(Option(changes, reached, "declined" if reached >= cutoff else "approved",
                                float(search.cost(x[None, :])[0]), after))
        main = max(search.changed(x), key=lambda f: float(search.cost(search._only(x, f)[None, :])[0]))
        allowed.discard(main)  # the next option must do without this lever
    seconds = time.perf_counter() - t0
    if not found:
        names = ", ".join(C.label(f) for f in list(rules)[:6]) + ("..." if len(rules) > 6 else "")
        msg = (f"No plausible change of {names} within the observed range (at most {max_changes} at once) brings the PD "
               f"below {pct(cutoff)}; the closest reached {pct(closest)}.")
        return Counterfactual(False, msg, **common, closest_pd=closest, candidates_scored=search.scored, seconds=seconds)
    best = found[0]
    msg = f"{len(found)} way{'s' if len(found) > 1 else ''} to approval; the smallest: {best.text} (PD {pct(pd0)} → {pct(best.pd_after)})."
    return Counterfactual(True, msg, **common, options=tuple(found), closest_pd=best.pd_after,
                          candidates_scored=search.scored, seconds=seconds)


def _value(model, feature: str, x: np.ndarray) -> object:
    j = model.feature_names.index(feature)
    v = x[j]
    if feature in model.encoder.categories:
        return None if np.isnan(v) else model.encoder.categories[feature][int(v)]
    return float(v)
