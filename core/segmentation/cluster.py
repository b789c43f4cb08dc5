"""Clustering estimators that fit on a sample and assign every row.

Fitting on a sample keeps a million-row book inside seconds and a few hundred MiB; assigning the
rest is one vectorised pass. Threads follow the process policy (:mod:`core.runtime.threads`). Labels are renumbered by size (segment 0 is the largest) so that the
same data and seed always give the same numbering. HDBSCAN leaves density outliers unassigned:
they get the label :data:`NOISE` (-1).
"""

from __future__ import annotations

import logging

import numpy as np
from sklearn.cluster import HDBSCAN, KMeans
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import NearestNeighbors

from core.errors import InputError

logger = logging.getLogger(__name__)

METHODS = ("kmeans", "gmm", "hdbscan")
METHOD_LABELS = {"kmeans": "K-means", "gmm": "Gaussian mixture", "hdbscan": "HDBSCAN (density)"}
NOISE = -1


def _sample_index(n: int, size: int, seed: int) -> np.ndarray:
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False))


class Segmenter:
    """Fit a clustering on a sample of ``X`` and label every row.

    Args:
        method: ``"kmeans"`` (default), ``"gmm"`` or ``"hdbscan"``.
        k: number of segments (ignored by HDBSCAN, which finds its own).
        seed: random state of the sample and of the estimator.
        fit_rows: largest sample the estimator is fitted on.
        n_init: restarts for K-means and the mixture.
        min_cluster_share: HDBSCAN's smallest segment, as a share of the sample.
        init: optional starting centres (k x d), e.g. from the k sweep, so a change of k on the
            page converges in a few iterations instead of several restarts.
    """

    def __init__(self, method: str = "kmeans", k: int = 6, seed: int = 42, fit_rows: int | None = None,
                 n_init: int = 3, min_cluster_share: float = 0.02, init: np.ndarray | None = None) -> None:
        self.method = method
        self.k = k
        self.seed = seed
        self.fit_rows = fit_rows
        self.n_init = n_init
        self.min_cluster_share = min_cluster_share
        self.init = init

    def _check(self, X: np.ndarray) -> None:
        if self.method not in METHODS:
            raise InputError(f"Unknown clustering method '{self.method}'.", f"Use one of {', '.join(METHODS)}.")
        if self.method != "hdbscan":
            if self.k < 2:
                raise InputError("A segmentation needs at least 2 segments.", "Set k to 2 or more.")
            if X.shape[0] < self.k:
                raise InputError(f"There are {X.shape[0]} customers but {self.k} segments were asked for.",
                                 "Lower k or use a larger dataset.")
        elif X.shape[0] < 20:
            raise InputError(f"HDBSCAN needs at least 20 customers; this data has {X.shape[0]}.",
                             "Use K-means on very small data.")

    def fit(self, X: np.ndarray) -> Segmenter:
        self._check(X)
        return self._fit(X)

    def _fit(self, X: np.ndarray) -> Segmenter:
        default_rows = {"kmeans": 50_000, "gmm": 20_000, "hdbscan": 10_000}[self.method]
        idx = _sample_index(X.shape[0], self.fit_rows or default_rows, self.seed)
        S = np.ascontiguousarray(X[idx], dtype=np.float64)
        self.fit_rows_ = S.shape[0]
        if self.method == "kmeans":
            warm = self.init is not None and np.shape(self.init) == (self.k, S.shape[1])
            est = KMeans(self.k, init=np.asarray(self.init, dtype=np.float64) if warm else "k-means++",
                         n_init=1 if warm else self.n_init, random_state=self.seed).fit(S)
            self.estimator_ = est
            self.inertia_ = float(est.inertia_) * X.shape[0] / S.shape[0]
        elif self.method == "gmm":
            warm = self.init is not None and np.shape(self.init) == (self.k, S.shape[1])
            est = GaussianMixture(self.k, covariance_type="full", n_init=1, reg_covar=1e-4, max_iter=200,
                                  means_init=np.asarray(self.init, dtype=np.float64) if warm else None,
                                  random_state=self.seed).fit(S)
            self.estimator_ = est
            self.bic_ = float(est.bic(S))
        else:
            mcs = max(5, int(self.min_cluster_share * S.shape[0]))
            est = HDBSCAN(min_cluster_size=mcs, min_samples=min(10, mcs), copy=True).fit(S)
            self.estimator_ = est
            keep = est.labels_ >= 0
            if not keep.any():
                raise InputError("HDBSCAN found no dense groups in this data: every customer looks like noise.",
                                 "Use K-means or the Gaussian mixture, or choose other features.")
            self._core_X = S[keep]
            self._core_labels = est.labels_[keep]
            self._nn = NearestNeighbors(n_neighbors=1).fit(self._core_X)
            # a row farther from every clustered point than almost any clustered point is from its
            # neighbour stays noise
            d, _ = NearestNeighbors(n_neighbors=2).fit(self._core_X).kneighbors(self._core_X)
            self._noise_radius = float(np.quantile(d[:, 1], 0.99)) * 2.0
        raw = self._raw_predict(S)
        # renumber segments by size on the sample: 0 is the largest
        if self.method == "hdbscan":
            ids, counts = np.unique(raw[raw != NOISE], return_counts=True)
        else:
            ids, counts = np.arange(self.k), np.bincount(raw, minlength=self.k)
        order = ids[np.argsort(-counts, kind="stable")]
        self.mapping_ = {int(old): new for new, old in enumerate(order)}
        self.n_segments_ = len(order)
        return self

    def _raw_predict(self, X: np.ndarray) -> np.ndarray:
        if self.method == "hdbscan":
            out = np.empty(X.shape[0], dtype=np.int64)
            for start in range(0, X.shape[0], 200_000):
                block = X[start:start + 200_000]
                d, j = self._nn.kneighbors(block)
                lab = self._core_labels[j[:, 0]]
                out[start:start + block.shape[0]] = np.where(d[:, 0] <= self._noise_radius, lab, NOISE)
            return out
        out = np.empty(X.shape[0], dtype=np.int64)
        for start in range(0, X.shape[0], 200_000):  # bounded memory on large books
            out[start:start + 200_000] = self.estimator_.predict(np.asarray(X[start:start + 200_000], dtype=np.float64))
        return out

    def predict(self, X: np.ndarray) -> np.ndarray:
        raw = self._raw_predict(X)
        # sized by the fitted labels, not by this block's: a block that lacks the highest cluster is still labelled
        top = max([*self.mapping_, int(raw.max()) if raw.size else 0])
        lut = np.full(top + 2, NOISE, dtype=np.int32)
        for old, new in self.mapping_.items():
            lut[old] = new
        return np.where(raw == NOISE, NOISE, lut[np.maximum(raw, 0)]).astype(np.int32)

    def fit_predict(self, X: np.ndarray) -> np.ndarray:
        return self.fit(X).predict(X)

    def transform_centers(self) -> np.ndarray | None:
        """Segment centres in the scaled space, in segment order (None for HDBSCAN)."""
        if self.method == "kmeans":
            c = self.estimator_.cluster_centers_
        elif self.method == "gmm":
            c = self.estimator_.means_
        else:
            return None
        inv = {new: old for old, new in self.mapping_.items()}
        return np.vstack([c[inv[i]] for i in range(self.n_segments_)])
