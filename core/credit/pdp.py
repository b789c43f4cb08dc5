"""Partial dependence with individual conditional expectation (ICE) curves, in calibrated PD.

For a grid of values of one feature (numeric: quantiles of its observed values, 1st to 99th
percentile; categorical: every level), every applicant is scored with that feature set to each
value and everything else as it is. The ICE curves are those per-applicant PDs for a sample of
applicants; the partial dependence is their mean over *all* rows. It is brute force, exact for the
model, made fast by the trees' structure: trees that never split on the feature contribute the
same to every grid value (their sum comes from one ordinary prediction), and a tree that does is
evaluated once per interval between its own thresholds, not once per grid value
(:mod:`core.credit.trees`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from core.credit.actionability import band_order
from core.credit.catalogue import entry
from core.credit.trees import CompiledTrees, Tree, compile_booster
from core.errors import InputError


@dataclass(frozen=True)
class PartialDependence:
    feature: str
    grid: list[object]  # numbers, or levels for a categorical
    average: np.ndarray  # (G,) mean PD over all rows at each grid value
    ice: np.ndarray  # (m, G) PD of the sampled applicants
    ice_rows: np.ndarray  # their row positions in the frame
    observed: np.ndarray  # (m,) each sampled applicant's own value (NaN when missing)
    categorical: bool
    rows: int
    seconds: float


@lru_cache(maxsize=8)
def _compiled(model) -> CompiledTrees:
    return compile_booster(model.booster)


def _grid(model, feature: str, values: np.ndarray, points: int) -> tuple[np.ndarray, list[object]]:
    if feature in model.encoder.categories:
        levels = list(model.encoder.categories[feature])
        order = [lv for lv in entry(feature).get("order", ()) if lv in levels] or list(band_order(levels))
        ordered = order + [lv for lv in levels if lv not in order]
        return np.array([levels.index(lv) for lv in ordered], dtype=np.float64), ordered
    ok = values[~np.isnan(values)]
    if not len(ok):
        raise InputError(f"'{feature}' has no value in these rows, so its partial dependence cannot be drawn.")
    grid = np.unique(np.quantile(ok, np.linspace(0.01, 0.99, points)))
    if feature in model.encoder.integer:
        grid = np.unique(np.round(grid))
    return grid, [float(g) for g in grid]


def _tree_columns(tree: Tree, column: int, x: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """(n, G) this tree's leaf value for every row at every grid value of ``column``."""
    cuts = np.unique(tree.threshold[(tree.feature == column) & (tree.left != -1)])
    if tree.categories:
        cats = [nd for nd in tree.categories if tree.feature[nd] == column]
        if cats:  # categorical: group the grid levels by the sides they take at this tree's splits
            keys = np.array([[float(np.isin(g, tree.categories[nd])) for nd in cats] for g in grid])
            _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
            reps = grid[first]
            return _at(tree, column, x, reps)[:, np.asarray(inverse).ravel()]
    interval = np.searchsorted(cuts, grid, side="right")  # grid values between the same thresholds share a leaf
    uniq, first, inverse = np.unique(interval, return_index=True, return_inverse=True)
    return _at(tree, column, x, grid[first])[:, inverse]


def _at(tree: Tree, column: int, x: np.ndarray, values: np.ndarray) -> np.ndarray:
    """(n, len(values)) leaf values with ``column`` set to each value (``x`` is restored afterwards)."""
    keep = x[:, column].copy()
    out = np.empty((len(x), len(values)))
    try:
        for i, v in enumerate(values):
            x[:, column] = v
            out[:, i] = tree.leaf_values(x)
    finally:
        x[:, column] = keep
    return out


def _leaf_sum(tree: Tree, decisions: dict[int, np.ndarray | bool], n: int) -> np.ndarray:
    """Each row's leaf value from per-node decisions (True = left); a decision may be one bool for every row."""
    out = np.zeros(n)
    stack: list[tuple[int, np.ndarray | bool]] = [(0, True)]
    while stack:
        node, reach = stack.pop()
        if tree.left[node] == -1:
            out += float(tree.threshold[node]) * np.asarray(reach, dtype=np.float64)
            continue
        d = decisions[node]
        stack.append((int(tree.left[node]), reach & d))
        stack.append((int(tree.right[node]), reach & ~np.asarray(d)))
    return out


def _decisions(tree: Tree, x: np.ndarray, skip: int) -> dict[int, np.ndarray | bool]:
    """Left-or-right of every row at every split of ``tree`` that is not on column ``skip``."""
    out: dict[int, np.ndarray | bool] = {}
    for node in np.flatnonzero(tree.left != -1):
        f = int(tree.feature[node])
        if f == skip:
            continue
        col = x[:, f]
        if int(node) in tree.categories:
            left = ~np.isin(col, tree.categories[int(node)])
        else:
            left = col < tree.threshold[node]
        out[int(node)] = np.where(np.isnan(col), bool(tree.default_left[node]), left)
    return out


def _numeric_margins(trees: list[Tree], j: int, x: np.ndarray, grid: np.ndarray, base: np.ndarray) -> np.ndarray:
    """(n, G) margins with column ``j`` set to each (ascending) grid value.

    A tree's output is a step function of the feature with steps at its own thresholds: the margin
    at the first grid value plus, at each grid value where a tree steps, that tree's change.
    """
    n = len(x)
    start = base.copy()
    steps = np.zeros((n, len(grid)))
    own = x[:, j]
    for t in trees:
        fixed = _decisions(t, x, j)
        j_nodes = [int(nd) for nd in np.flatnonzero((t.left != -1) & (t.feature == j))]
        actual = {**fixed, **{nd: np.where(np.isnan(own), bool(t.default_left[nd]), own < t.threshold[nd])
                              for nd in j_nodes}}
        cuts = np.unique(t.threshold[j_nodes])
        interval = np.searchsorted(cuts, grid, side="right")
        firsts = np.flatnonzero(np.r_[True, np.diff(interval) != 0])  # grid positions where this tree steps
        values = [_leaf_sum(t, {**fixed, **{nd: bool(grid[p] < t.threshold[nd]) for nd in j_nodes}}, n) for p in firsts]
        start += values[0] - _leaf_sum(t, actual, n)
        for k in range(1, len(firsts)):
            steps[:, firsts[k]] += values[k] - values[k - 1]
    return start[:, None] + np.cumsum(steps, axis=1)


def partial_dependence(model, frame: pd.DataFrame, feature: str, points: int = 20, ice: int = 50,
                       seed: int = 0) -> PartialDependence:
    """PDP and ICE of ``feature`` over every row of ``frame``."""
    t0 = time.perf_counter()
    if feature not in model.feature_names:
        raise InputError(f"The model does not use '{feature}'.", "Pick one of the model's features.")
    if model.encoder.encoding != "native":
        return _brute_force(model, frame, feature, points, ice, seed, t0)
    x_native = model.encoder.native_matrix(frame)
    j = model.feature_names.index(feature)
    grid, labels = _grid(model, feature, x_native[:, j], points)
    x = np.asfortranarray(model.encoder.matrix_to_input(x_native))  # column access per split
    compiled = _compiled(model)
    uses = [t for t in compiled.trees if j in t.features]
    base = model.predict_margin(frame)  # every tree, as the rows are
    if feature in model.encoder.categories:
        margins = np.repeat(base[:, None], len(grid), axis=1)
        for t in uses:
            margins += _tree_columns(t, j, x, grid.astype(np.float32)) - t.leaf_values(x)[:, None]
    else:
        margins = _numeric_margins(uses, j, x, grid.astype(np.float32), base)
    pd_grid = model.pd_from_margin(margins)
    rows = np.sort(np.random.default_rng(seed).choice(len(frame), min(ice, len(frame)), replace=False))
    return PartialDependence(feature, labels, pd_grid.mean(axis=0), pd_grid[rows], rows, x_native[rows, j],
                             feature in model.encoder.categories, len(frame), time.perf_counter() - t0)


def _brute_force(model, frame: pd.DataFrame, feature: str, points: int, ice: int, seed: int,
                 t0: float) -> PartialDependence:
    """One-hot models: score every row at every grid value (the same numbers, more work)."""
    x_native = model.encoder.native_matrix(frame)
    j = model.feature_names.index(feature)
    grid, labels = _grid(model, feature, x_native[:, j], points)
    out = np.empty((len(frame), len(grid)))
    for g, v in enumerate(grid):
        xi = x_native.copy()
        xi[:, j] = v
        out[:, g] = model.pd_from_margin(model.margin_from_matrix(xi))
    rows = np.sort(np.random.default_rng(seed).choice(len(frame), min(ice, len(frame)), replace=False))
    return PartialDependence(feature, labels, out.mean(axis=0), out[rows], rows, x_native[rows, j],
                             feature in model.encoder.categories, len(frame), time.perf_counter() - t0)
