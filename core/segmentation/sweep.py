"""The k sweep: how many segments does the evidence support?

For each k in a range (2–12 by default) the method is fitted on one sample and scored with:

* **silhouette** on a smaller sample (it costs n² distances): higher is better;
* **Calinski-Harabasz**: higher is better; **Davies-Bouldin**: lower is better;
* **inertia** (K-means) whose elbow is found with ``kneed``'s Kneedle algorithm;
* **BIC** for the Gaussian mixture: lower is better;
* **stability**: the mean adjusted Rand index between the segmentation of a reference sample and
  the ones fitted on bootstrap resamples. Below about 0.75 the segments are not reproducible and
  should not be acted on.

:func:`core.segmentation.choose_k.choose_k` turns these into one k by consensus, with a sentence
saying why and a warning when the structure is weak.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, calinski_harabasz_score, davies_bouldin_score, silhouette_score
from sklearn.mixture import GaussianMixture

from core.errors import InputError
from core.segmentation.choose_k import KChoice, choose_k

if TYPE_CHECKING:
    from core.segmentation.stable_names import NameChain

logger = logging.getLogger(__name__)



@dataclass
class SweepResult:
    """Scores per k (one row each) and the suggestion drawn from them."""

    method: str
    table: pd.DataFrame  # k, silhouette, calinski_harabasz, davies_bouldin, inertia, bic, stability_ari, stability_sd
    knee_k: int | None
    suggested_k: int
    reason: str
    sample_rows: int
    seed: int
    notes: list[str] = field(default_factory=list)
    centers: dict[int, np.ndarray] = field(default_factory=dict, repr=False)  # k -> fitted centres (warm starts)
    choice: KChoice | None = None
    chain: NameChain | None = field(default=None, repr=False)  # names per k, set by the service

    @property
    def warning(self) -> str:
        return self.choice.warning if self.choice else ""

    def reason_for(self, k: int) -> str:
        """Why this k: the evidence's sentence, prefixed, when the analyst set another k, by what they set."""
        if k == self.suggested_k:
            return self.reason
        return f"k = {k} was set by hand; the evidence suggests k = {self.suggested_k}: {self.reason}"

    def to_dict(self) -> dict:
        return {"method": self.method, "knee_k": self.knee_k, "suggested_k": self.suggested_k, "reason": self.reason,
                "sample_rows": self.sample_rows, "seed": self.seed,
                "choice": self.choice.to_dict() if self.choice else None,
                "table": self.table.replace({np.nan: None}).to_dict(orient="records")}

    @classmethod
    def from_dict(cls, d: dict, seed: int = 42) -> SweepResult:
        """A saved sweep (without the centres, which are not stored)."""
        table = pd.DataFrame(d["table"]).apply(pd.to_numeric, errors="coerce")
        table["k"] = table["k"].astype(int)
        c = d.get("choice")
        choice = KChoice(int(c["k"]), c["reason"], {m: int(k) for m, k in c.get("votes", {}).items()},
                         c.get("warning", ""), bool(c.get("weak")), bool(c.get("stable", True)),
                         c.get("best_silhouette")) if c else None
        return cls(d["method"], table, d.get("knee_k"), int(d["suggested_k"]), d["reason"], int(d.get("sample_rows", 0)),
                   int(d.get("seed", seed)), choice=choice)


def _fit(method: str, k: int, X: np.ndarray, seed: int, n_init: int = 1):
    if method == "gmm":
        return GaussianMixture(k, covariance_type="full", reg_covar=1e-4, max_iter=200, random_state=seed).fit(X)
    return KMeans(k, n_init=n_init, random_state=seed).fit(X)


def sweep_k(X: np.ndarray, method: str = "kmeans", ks: range | list[int] = range(2, 13), seed: int = 42,
            sample_rows: int | None = None, silhouette_rows: int = 3_000, n_boot: int = 3,
            boot_rows: int = 4_000) -> SweepResult:
    """Score every k in ``ks`` on a sample of the scaled matrix ``X``.

    HDBSCAN chooses its own number of segments, so its sweep is the K-means one (as a guide).
    """
    return _sweep(X, method, ks, seed, sample_rows, silhouette_rows, n_boot, boot_rows)


def _sweep(X: np.ndarray, method: str, ks, seed: int, sample_rows: int | None, silhouette_rows: int,
           n_boot: int, boot_rows: int) -> SweepResult:
    fit_method = "gmm" if method == "gmm" else "kmeans"
    n = X.shape[0]
    if sample_rows is None:
        sample_rows = 8_000 if fit_method == "gmm" else 20_000
    ks = [k for k in ks if 2 <= k < n]
    if not ks:
        raise InputError(f"There are too few customers ({n}) to compare numbers of segments.",
                         "Use a dataset with more rows.")
    rng = np.random.default_rng(seed)
    idx = rng.choice(n, min(n, sample_rows), replace=False)
    S = np.ascontiguousarray(X[idx], dtype=np.float64)
    sil_idx = np.arange(min(len(S), silhouette_rows))  # idx is already a random order
    boot_n = min(len(S), boot_rows)
    ref = S[:boot_n]
    rows = []
    centers = {}
    for k in ks:
        est = _fit(fit_method, k, S, seed, n_init=2)
        centers[k] = est.means_ if fit_method == "gmm" else est.cluster_centers_
        labels = est.predict(S)
        n_lab = np.unique(labels).size
        row = {"k": k, "silhouette": np.nan, "calinski_harabasz": np.nan, "davies_bouldin": np.nan,
               "inertia": float(est.inertia_) if fit_method == "kmeans" else np.nan,
               "bic": float(est.bic(S)) if fit_method == "gmm" else np.nan}
        if n_lab > 1:
            sl = labels[sil_idx]
            if np.unique(sl).size > 1:
                row["silhouette"] = float(silhouette_score(S[sil_idx], sl))
            row["calinski_harabasz"] = float(calinski_harabasz_score(S, labels))
            row["davies_bouldin"] = float(davies_bouldin_score(S, labels))
        # stability: refit on bootstrap resamples, compare the labels they give the reference rows
        base = labels[:boot_n]
        aris = []
        for b in range(n_boot):
            bidx = rng.integers(0, len(S), boot_n)
            try:
                other = _fit(fit_method, k, S[bidx], seed + 1 + b, n_init=3).predict(ref)
            except ValueError:  # fewer distinct rows than k in the resample
                continue
            aris.append(adjusted_rand_score(base, other))
        row["stability_ari"] = float(np.mean(aris)) if aris else np.nan
        row["stability_sd"] = float(np.std(aris)) if aris else np.nan
        rows.append(row)
    table = pd.DataFrame(rows)
    knee = find_knee(table, fit_method)
    choice = choose_k(table, knee, fit_method)
    notes = []
    if method == "hdbscan":
        notes.append("HDBSCAN finds its own number of segments; the sweep shown is K-means on the same features, as a guide.")
    return SweepResult(method, table, knee, choice.k, choice.reason, len(S), seed, notes, centers, choice)


def find_knee(table: pd.DataFrame, method: str) -> int | None:
    """The elbow of inertia (K-means) or BIC (mixture) with the Kneedle algorithm, if there is one."""
    col = "bic" if method == "gmm" else "inertia"
    t = table.dropna(subset=[col])
    if len(t) < 3:
        return None
    from kneed import KneeLocator  # imported here: kneed pulls in matplotlib (seconds), wanted only for a sweep

    try:
        knee = KneeLocator(t["k"].to_list(), t[col].to_list(), curve="convex", direction="decreasing",
                           online=True).knee
    except (ValueError, ZeroDivisionError):
        return None
    return int(knee) if knee is not None else None
