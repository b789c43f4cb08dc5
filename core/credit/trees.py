"""The booster's trees as numpy arrays, read from XGBoost's own JSON model (exact float32 thresholds).

Two uses that XGBoost's predict API makes slow on a CPU:

* **SHAP interaction values** (:mod:`core.credit.interactions`). Path-dependent TreeSHAP values the
  game ``v(S) = sum over leaves of value * prod over the path's features f of (x follows f's splits
  if f in S, else the cover share of f's splits)``; each leaf is a product game over at most
  ``depth`` features, so its Shapley values and Shapley interaction indices have closed forms in
  the elementary symmetric polynomials of those factors. :class:`LeafGroups` holds every leaf's
  factors, grouped by path length so that all leaves of one length are computed at once.
* **Partial dependence** (:mod:`core.credit.pdp`): only trees that split on the feature change
  when it is set to a grid value, and only at their own thresholds.

Split semantics follow XGBoost: numeric ``x < threshold`` goes left; a categorical split sends the
listed categories right; a missing value follows ``default_left``. The tests check predictions,
SHAP values and interaction values against XGBoost's own to float32 precision.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Tree:
    left: np.ndarray  # child ids, -1 at a leaf
    right: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray  # float32 split value; the leaf value at a leaf
    default_left: np.ndarray
    cover: np.ndarray  # sum of hessians per node
    categories: dict[int, np.ndarray] = field(default_factory=dict)  # node -> categories sent right

    @property
    def features(self) -> set[int]:
        return {int(f) for f, left in zip(self.feature, self.left, strict=True) if left != -1}

    def goes_left(self, node: np.ndarray, x: np.ndarray) -> np.ndarray:
        """For rows at ``node`` (one node id per row), whether each goes to the left child."""
        rows = np.arange(len(x))
        v = x[rows, self.feature[node]]
        left = np.where(np.isnan(v), self.default_left[node], v < self.threshold[node])
        for nd, cats in self.categories.items():
            at = (node == nd) & ~np.isnan(v)
            left[at] = ~np.isin(v[at], cats)
        return left

    def leaf_values(self, x: np.ndarray) -> np.ndarray:
        """The leaf value each row of ``x`` (float32, booster columns) reaches."""
        node = np.zeros(len(x), dtype=np.int64)
        for _ in range(len(self.left)):
            inner = self.left[node] != -1
            if not inner.any():
                break
            left = self.goes_left(node, x)
            node = np.where(inner, np.where(left, self.left[node], self.right[node]), node)
        return self.threshold[node].astype(np.float64)


@dataclass(frozen=True)
class CompiledTrees:
    trees: list[Tree]
    base_margin: float  # the model's base score in log-odds
    n_features: int

    def predict_margin(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float32)
        return self.base_margin + sum((t.leaf_values(x) for t in self.trees), np.zeros(len(x)))


def compile_booster(booster: Any) -> CompiledTrees:
    """Read the booster's trees from its JSON model."""
    model = json.loads(booster.save_raw("json"))
    learner = model["learner"]
    base = float(str(learner["learner_model_param"]["base_score"]).strip("[]"))
    base_margin = math.log(base / (1 - base)) if 0 < base < 1 else 0.0
    trees = []
    for t in learner["gradient_booster"]["model"]["trees"]:
        cats = {int(nd): np.asarray(t["categories"][s:s + z], dtype=np.float32)
                for nd, s, z in zip(t["categories_nodes"], t["categories_segments"], t["categories_sizes"], strict=True)}
        trees.append(Tree(np.asarray(t["left_children"], np.int64), np.asarray(t["right_children"], np.int64),
                          np.asarray(t["split_indices"], np.int64), np.asarray(t["split_conditions"], np.float32),
                          np.asarray(t["default_left"], bool), np.asarray(t["sum_hessian"], np.float64), cats))
    return CompiledTrees(trees, base_margin, int(learner["learner_model_param"]["num_feature"]))


@dataclass(frozen=True)
class LeafGroup:
    """All leaves whose paths involve ``k`` distinct features.

    ``value`` (L,), ``feature`` (L, k), ``cover`` (L, k): the product of the cover shares of each
    feature's splits on the path; ``cond_node`` / ``cond_left`` (L, k, D): the global ids of the
    splits (``-1`` = padding) and the side the path takes.
    """

    k: int
    value: np.ndarray
    feature: np.ndarray
    cover: np.ndarray
    cond_node: np.ndarray
    cond_left: np.ndarray


@dataclass(frozen=True)
class LeafGroups:
    groups: list[LeafGroup]
    node_feature: np.ndarray  # per global split node
    node_threshold: np.ndarray
    node_default_left: np.ndarray
    node_categories: dict[int, np.ndarray]
    expected_value: float  # base margin + every tree's cover-weighted mean leaf value
    n_features: int

    def goes_left(self, x: np.ndarray) -> np.ndarray:
        """(n, U + 1) whether each row goes left at each global split; the last column is always True."""
        v = x[:, self.node_feature]
        left = np.where(np.isnan(v), self.node_default_left[None, :], v < self.node_threshold[None, :])
        for u, cats in self.node_categories.items():
            col = v[:, u]
            left[:, u] = np.where(np.isnan(col), self.node_default_left[u], ~np.isin(col, cats))
        return np.concatenate([left, np.ones((len(x), 1), bool)], axis=1)


def leaf_groups(compiled: CompiledTrees) -> LeafGroups:
    """Every leaf's path factors (see :class:`LeafGroup`), grouped by the number of distinct path features."""
    feats: list[int] = []
    thr: list[float] = []
    dleft: list[bool] = []
    node_cats: dict[int, np.ndarray] = {}
    leaves: list[tuple[float, dict[int, tuple[list[tuple[int, bool]], float]]]] = []
    expected = compiled.base_margin
    for t in compiled.trees:
        gid = {}
        for nd in np.flatnonzero(t.left != -1):
            gid[int(nd)] = len(feats)
            feats.append(int(t.feature[nd]))
            thr.append(float(t.threshold[nd]))
            dleft.append(bool(t.default_left[nd]))
            if int(nd) in t.categories:
                node_cats[len(feats) - 1] = t.categories[int(nd)]
        stack: list[tuple[int, dict[int, tuple[list[tuple[int, bool]], float]]]] = [(0, {})]
        while stack:
            nd, path = stack.pop()
            if t.left[nd] == -1:
                value = float(t.threshold[nd])
                expected += value * float(np.prod([c for _, c in path.values()])) if path else value
                if path:
                    leaves.append((value, path))
                continue
            f = int(t.feature[nd])
            for child, left in ((int(t.left[nd]), True), (int(t.right[nd]), False)):
                conds, share = path.get(f, ([], 1.0))
                stack.append((child, {**path, f: ([*conds, (gid[nd], left)], share * t.cover[child] / t.cover[nd])}))
    by_k: dict[int, list[tuple[float, dict[int, tuple[list[tuple[int, bool]], float]]]]] = {}
    for leaf in leaves:
        by_k.setdefault(len(leaf[1]), []).append(leaf)
    groups = []
    for k, ls in sorted(by_k.items()):
        depth = max(len(conds) for _, path in ls for conds, _ in path.values())
        n = len(ls)
        value, feature, cover = np.empty(n), np.zeros((n, k), np.int64), np.zeros((n, k))
        cond_node, cond_left = np.full((n, k, depth), -1, np.int64), np.ones((n, k, depth), bool)
        for i, (v, path) in enumerate(ls):
            value[i] = v
            for q, (f, (conds, share)) in enumerate(sorted(path.items())):
                feature[i, q], cover[i, q] = f, share
                for d, (node, left) in enumerate(conds):
                    cond_node[i, q, d], cond_left[i, q, d] = node, left
        groups.append(LeafGroup(k, value, feature, cover, cond_node, cond_left))
    return LeafGroups(groups, np.asarray(feats, np.int64), np.asarray(thr, np.float32), np.asarray(dleft, bool),
                      node_cats, float(expected), compiled.n_features)
