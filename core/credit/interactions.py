"""Exact SHAP interaction values of the credit model (what XGBoost's ``pred_interactions`` returns).

``values[i, j, k]`` is the interaction of features ``j`` and ``k`` for applicant ``i`` in log-odds
(half of the Shapley interaction index on each side of the diagonal), and ``values[i, j, j]`` the
main effect, so that every row sums to that feature's SHAP value and the whole matrix plus the base
value to the margin::

    values[i].sum(axis=1) == shap_values[i]        base + values[i].sum() == margin[i]

On a CUDA device XGBoost's GPUTreeShap computes them. On a CPU XGBoost runs one TreeSHAP pass
per feature and per side, which takes over a minute for 2,000 applicants of the default model;
:func:`interaction_values` instead evaluates every leaf's product game in closed form
(:mod:`core.credit.trees`), all leaves of one path length at once, in a few seconds, and the
tests check it against XGBoost's own values.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache
from math import factorial

import numpy as np
import pandas as pd
import scipy.sparse as sp

from core.credit.trees import LeafGroup, LeafGroups, compile_booster, leaf_groups

CHUNK = 1000  # rows per block (bounds the (rows, leaves, k, depth) arrays)


@dataclass(frozen=True)
class Interactions:
    """Interaction values ``(n, p, p)`` per original feature, the base value, and the rows' feature values."""

    values: np.ndarray
    base_value: float
    feature_names: list[str]
    data: pd.DataFrame
    seconds: float = 0.0

    def shap_values(self) -> np.ndarray:
        return self.values.sum(axis=2)

    def mean_abs(self) -> pd.DataFrame:
        """Mean |interaction| per pair (diagonal: main effects)."""
        m = np.abs(self.values).mean(axis=0)
        return pd.DataFrame(m, index=self.feature_names, columns=self.feature_names)

    def top_pairs(self, k: int = 10) -> pd.DataFrame:
        """The strongest off-diagonal pairs: feature, partner, mean |interaction| (counted once per pair)."""
        m = np.abs(self.values).mean(axis=0) * 2
        iu = np.triu_indices(len(self.feature_names), 1)
        order = np.argsort(-m[iu])[:k]
        return pd.DataFrame({"feature": [self.feature_names[iu[0][o]] for o in order],
                             "partner": [self.feature_names[iu[1][o]] for o in order],
                             "mean_abs_interaction": m[iu][order]})

    def pair(self, a: str, b: str) -> np.ndarray:
        """Per row, the interaction of ``a`` with ``b`` counted on both sides (``values[:, a, b] * 2``)."""
        i, j = self.feature_names.index(a), self.feature_names.index(b)
        return self.values[:, i, j] * 2


def _poly(a: np.ndarray, b: np.ndarray, idx: list[int]) -> list[np.ndarray]:
    """Coefficients (degree 0..len(idx)) of ``prod over g in idx of (b_g + a_g t)``; a (n, L, k), b (L, k)."""
    coef = [np.ones(a.shape[:2])]
    for g in idx:
        ag, bg = a[:, :, g], b[None, :, g]
        new = [coef[0] * bg]
        new += [coef[s] * bg + coef[s - 1] * ag for s in range(1, len(coef))]
        new.append(coef[-1] * ag)
        coef = new
    return coef


@lru_cache(maxsize=64)
def _weights(k: int) -> tuple[np.ndarray, np.ndarray]:
    """Shapley weights s!(k-s-1)!/k! and interaction-index weights s!(k-s-2)!/(k-1)!."""
    w = np.array([factorial(s) * factorial(k - s - 1) / factorial(k) for s in range(k)])
    w2 = np.array([factorial(s) * factorial(k - s - 2) / factorial(k - 1) for s in range(k - 1)]) if k >= 2 else np.zeros(0)
    return w, w2


def _group_terms(g: LeafGroup, follows: np.ndarray, p: int, phi: np.ndarray, inter: np.ndarray | None) -> None:
    """Add one leaf group's SHAP values (and interactions) for a block of rows; ``follows`` is goes_left (n, U + 1)."""
    pad = follows.shape[1] - 1
    nodes = np.where(g.cond_node < 0, pad, g.cond_node)
    a = ((follows[:, nodes] == g.cond_left[None]) | (g.cond_node[None] < 0)).all(axis=3).astype(np.float64)
    n_leaves, k = g.feature.shape
    w, w2 = _weights(k)
    rows = np.arange(n_leaves)
    for q in range(k):
        coef = _poly(a, g.cover, [r for r in range(k) if r != q])
        term = g.value[None] * (a[:, :, q] - g.cover[None, :, q]) * sum(w[s] * coef[s] for s in range(k))
        phi += np.asarray(sp.csr_matrix((np.ones(n_leaves), (rows, g.feature[:, q])), shape=(n_leaves, p)).T
                          @ term.T).T
        if inter is None:
            continue
        for r in range(q + 1, k):
            coef = _poly(a, g.cover, [u for u in range(k) if u not in (q, r)])
            term = 0.5 * g.value[None] * (a[:, :, q] - g.cover[None, :, q]) * (a[:, :, r] - g.cover[None, :, r]) \
                * sum(w2[s] * coef[s] for s in range(k - 1))
            cols = np.r_[g.feature[:, q] * p + g.feature[:, r], g.feature[:, r] * p + g.feature[:, q]]
            scatter = sp.csr_matrix((np.ones(2 * n_leaves), (np.r_[rows, rows], cols)), shape=(n_leaves, p * p))
            inter += np.asarray(scatter.T @ term.T).T


def tree_shap_values(groups: LeafGroups, x: np.ndarray, interactions: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """``(shap (n, p), interactions (n, p, p) or None)`` of booster inputs ``x`` (float32 columns)."""
    x = np.asarray(x, dtype=np.float32)
    n, p = len(x), groups.n_features
    phi = np.zeros((n, p))
    inter = np.zeros((n, p * p)) if interactions else None
    for start in range(0, n, CHUNK):
        block = slice(start, min(n, start + CHUNK))
        follows = groups.goes_left(x[block])
        part_phi = np.zeros((block.stop - block.start, p))
        part_int = np.zeros((block.stop - block.start, p * p)) if interactions else None
        for g in groups.groups:
            _group_terms(g, follows, p, part_phi, part_int)
        phi[block] = part_phi
        if inter is not None and part_int is not None:
            inter[block] = part_int
    if inter is None:
        return phi, None
    out = inter.reshape(n, p, p)
    out[:, np.arange(p), np.arange(p)] = phi - out.sum(axis=2)  # main effects: the rest of each SHAP value
    return phi, out


@lru_cache(maxsize=8)
def _groups_of(model) -> LeafGroups:
    return leaf_groups(compile_booster(model.booster))


def interaction_values(model, frame: pd.DataFrame) -> Interactions:
    """Exact SHAP interaction values of ``model`` on ``frame`` (original features; one-hot columns grouped)."""
    t0 = time.perf_counter()
    x = model.encoder.native_matrix(frame)
    inputs = model.encoder.matrix_to_input(x)
    if model.device == "cuda":
        raw = model.booster.predict(model.encoder.dmatrix(x), pred_interactions=True, validate_features=False)
        values, base = raw[:, :-1, :-1].astype(np.float64), float(raw[0, -1, -1]) if len(raw) else 0.0
    else:
        groups = _groups_of(model)
        _, both = tree_shap_values(groups, inputs, interactions=True)
        assert both is not None
        values, base = both, groups.expected_value
    if model.encoder.encoding == "onehot":
        idx = list(model.encoder.groups.values())
        values = np.stack([np.stack([values[:, a][:, :, b].sum(axis=(1, 2)) for b in idx], axis=1) for a in idx], axis=1)
    return Interactions(values, float(base), model.feature_names, model.encoder.raw_from_matrix(x).reset_index(drop=True),
                        time.perf_counter() - t0)
