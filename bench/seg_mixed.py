"""Three ways to cluster mixed numeric and categorical data, compared on persona recovery.

Used by ``bench_segmentation.py mixed`` only: the product keeps the winner (one-hot encoding with
scaling, :mod:`core.segmentation.preprocess`, then K-means), and these two challengers live here.

* **k-prototypes** (Huang 1998): squared Euclidean distance on the robust-scaled numeric columns
  plus ``gamma`` times the number of mismatched categories; prototypes are numeric means and
  categorical modes. ``gamma`` is half the mean standard deviation of the numeric columns,
  Huang's suggestion.
* **Gower + k-medoids**: Gower's distance (range-normalised absolute differences on numbers,
  0/1 mismatches on categories, averaged) on a sample, k-medoids by alternation from a
  k-medoids++ start, every row then assigned to its nearest medoid.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.segmentation.preprocess import Preprocessor


def split_numeric_categorical(frame: pd.DataFrame, numeric: list[str], categorical: list[str],
                              seed: int = 42) -> tuple[np.ndarray, np.ndarray]:
    """Robust-scaled numeric matrix (the product's preprocessing) and integer category codes."""
    pre = Preprocessor(numeric, [], seed=seed).fit(frame)
    N = pre.transform(frame).astype(np.float64)
    C = np.column_stack([pd.Categorical(frame[c].astype(str)).codes for c in categorical]) if categorical \
        else np.zeros((len(frame), 0), dtype=np.int64)
    return N, C.astype(np.int64)


def _modes(C: np.ndarray) -> np.ndarray:
    return np.array([np.bincount(C[:, j]).argmax() for j in range(C.shape[1])], dtype=np.int64) if C.shape[1] else \
        np.zeros(0, dtype=np.int64)


def _proto_cost(N: np.ndarray, C: np.ndarray, PN: np.ndarray, PC: np.ndarray, gamma: float) -> np.ndarray:
    d = ((N[:, None, :] - PN[None, :, :]) ** 2).sum(-1)
    if C.shape[1]:
        d = d + gamma * (C[:, None, :] != PC[None, :, :]).sum(-1)
    return d


def k_prototypes(N: np.ndarray, C: np.ndarray, k: int, seed: int = 42, fit_rows: int = 20_000, n_init: int = 3,
                 iters: int = 50) -> np.ndarray:
    """Labels of every row from k-prototypes fitted on a sample."""
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(N), min(len(N), fit_rows), replace=False)
    SN, SC = N[idx], C[idx]
    gamma = 0.5 * float(SN.std(axis=0).mean()) if SN.shape[1] else 1.0
    best = None
    for run in range(n_init):
        r = np.random.default_rng(seed + run)
        start = r.choice(len(SN), k, replace=False)
        PN, PC = SN[start].copy(), SC[start].copy()
        lab = np.zeros(len(SN), dtype=np.int64)
        for _ in range(iters):
            new = _proto_cost(SN, SC, PN, PC, gamma).argmin(1)
            if np.array_equal(new, lab) and _ > 0:
                break
            lab = new
            for j in range(k):
                m = lab == j
                if not m.any():
                    m = np.zeros(len(SN), dtype=bool)
                    m[r.integers(len(SN))] = True
                PN[j] = SN[m].mean(0)
                PC[j] = _modes(SC[m])
        cost = float(_proto_cost(SN, SC, PN, PC, gamma).min(1).sum())
        if best is None or cost < best[0]:
            best = (cost, PN.copy(), PC.copy())
    _, PN, PC = best
    out = np.empty(len(N), dtype=np.int64)
    for s in range(0, len(N), 20_000):
        out[s:s + 20_000] = _proto_cost(N[s:s + 20_000], C[s:s + 20_000], PN, PC, gamma).argmin(1)
    return out


def _gower(N1: np.ndarray, C1: np.ndarray, N2: np.ndarray, C2: np.ndarray, span: np.ndarray) -> np.ndarray:
    d = (np.abs(N1[:, None, :] - N2[None, :, :]) / span).sum(-1)
    if C1.shape[1]:
        d = d + (C1[:, None, :] != C2[None, :, :]).sum(-1)
    return d / (N1.shape[1] + C1.shape[1])


def gower_kmedoids(N: np.ndarray, C: np.ndarray, k: int, seed: int = 42, sample_rows: int = 4_000, n_init: int = 3,
                   iters: int = 50) -> np.ndarray:
    """Labels of every row from k-medoids on Gower's distance over a sample."""
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(N), min(len(N), sample_rows), replace=False)
    span = N.max(0) - N.min(0)
    span = np.where(span > 0, span, 1.0)
    D = np.vstack([_gower(N[idx[s:s + 500]], C[idx[s:s + 500]], N[idx], C[idx], span) for s in range(0, len(idx), 500)])
    best = None
    for run in range(n_init):
        r = np.random.default_rng(seed + run)
        med = [int(r.integers(len(D)))]
        for _ in range(1, k):
            p = D[:, med].min(1) ** 2
            med.append(int(r.choice(len(D), p=p / p.sum())))
        medoids = np.array(med)
        for _ in range(iters):
            lab = D[:, medoids].argmin(1)
            new = medoids.copy()
            for j in range(k):
                m = np.flatnonzero(lab == j)
                if m.size:
                    new[j] = m[D[np.ix_(m, m)].sum(1).argmin()]
            if set(new) == set(medoids):
                break
            medoids = new
        cost = float(D[:, medoids].min(1).sum())
        if best is None or cost < best[0]:
            best = (cost, medoids.copy())
    medoids = idx[best[1]]
    out = np.empty(len(N), dtype=np.int64)
    for s in range(0, len(N), 5_000):
        out[s:s + 5_000] = _gower(N[s:s + 5_000], C[s:s + 5_000], N[medoids], C[medoids], span).argmin(1)
    return out
