"""The k sweep: how many segments does the evidence support?

For each k in a range (2–12 by default) the method is fitted on one sample and scored with:

* **silhouette** on a smaller sample (it costs n² distances): higher is better;
* **Calinski-Harabasz**: higher is better; **Davies-Bouldin**: lower is better;
* **inertia** (K-means) whose elbow is found with ``kneed``'s Kneedle algorithm;
* **BIC** for the Gaussian mixture: lower is better;
* **stability**: the mean adjusted Rand index between the segmentation of a reference sample and
  the ones fitted on bootstrap resamples. Below about 0.75 the segments are not reproducible and
  should not be acted on.

:func:`suggest_k` turns these into one k and a plain sentence saying why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from kneed import KneeLocator
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, calinski_harabasz_score, davies_bouldin_score, silhouette_score
from sklearn.mixture import GaussianMixture

from core.errors import InputError
from core.segmentation.cluster import compute_threads

logger = logging.getLogger(__name__)

STABLE_ARI = 0.75


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

    def to_dict(self) -> dict:
        return {"method": self.method, "knee_k": self.knee_k, "suggested_k": self.suggested_k, "reason": self.reason,
                "sample_rows": self.sample_rows, "seed": self.seed,
                "table": self.table.replace({np.nan: None}).to_dict(orient="records")}


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
    with compute_threads(min(X.shape[0], sample_rows or 20_000)):
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
    k_best, reason = suggest_k(table, knee, fit_method)
    notes = []
    if method == "hdbscan":
        notes.append("HDBSCAN finds its own number of segments; the sweep shown is K-means on the same features, as a guide.")
    return SweepResult(method, table, knee, k_best, reason, len(S), seed, notes, centers)


def find_knee(table: pd.DataFrame, method: str) -> int | None:
    """The elbow of inertia (K-means) or BIC (mixture) with the Kneedle algorithm, if there is one."""
    col = "bic" if method == "gmm" else "inertia"
    t = table.dropna(subset=[col])
    if len(t) < 3:
        return None
    try:
        knee = KneeLocator(t["k"].to_list(), t[col].to_list(), curve="convex", direction="decreasing",
                           online=True).knee
    except (ValueError, ZeroDivisionError):
        return None
    return int(knee) if knee is not None else None


def suggest_k(table: pd.DataFrame, knee: int | None, method: str = "kmeans") -> tuple[int, str]:
    """One k and the reason, in a sentence an analyst can check against the charts.

    Rule: among the stable k (bootstrap ARI ≥ 0.75; if none is, all k), take the elbow (of inertia,
    or of BIC for the mixture) when it is stable and its silhouette is at least 60 % of the best
    stable silhouette; otherwise the lowest BIC (mixture) or the best silhouette.
    """
    t = table.copy()
    stable = t[t["stability_ari"] >= STABLE_ARI]
    pool = stable if not stable.empty else t
    best_sil = pool["silhouette"].max()
    by_k = t.set_index("k")

    def facts(k: int) -> str:
        r = by_k.loc[k]
        sil_rank = int(t["silhouette"].rank(ascending=False, method="min").loc[t["k"] == k].iloc[0]) \
            if pd.notna(r["silhouette"]) else None
        parts = []
        if pd.notna(r["silhouette"]):
            parts.append(f"silhouette {r['silhouette']:.2f} (rank {sil_rank} of {len(t)})")
        if pd.notna(r["stability_ari"]):
            word = "stable" if r["stability_ari"] >= STABLE_ARI else "unstable"
            parts.append(f"bootstrap stability ARI {r['stability_ari']:.2f} ({word})")
        return ", ".join(parts)

    curve = "BIC" if method == "gmm" else "inertia"
    if knee is not None and knee in pool["k"].values:
        sil_knee = by_k.loc[knee, "silhouette"]
        if pd.isna(best_sil) or (pd.notna(sil_knee) and sil_knee >= 0.6 * best_sil):
            return knee, f"k = {knee} is the elbow of the {curve} curve (Kneedle) and it holds up: {facts(knee)}."
    if method == "gmm" and pool["bic"].notna().any():
        k = int(pool.loc[pool["bic"].idxmin(), "k"])
        return k, f"k = {k} has the lowest BIC of the stable mixtures; {facts(k)}."
    if pool["silhouette"].notna().any():
        k = int(pool.loc[pool["silhouette"].idxmax(), "k"])
        why = "the best silhouette among the stable choices" if not stable.empty else \
            "the best silhouette, but no k is stable: treat these segments with caution"
        extra = f" The elbow at k = {knee} was passed over because its segments are less distinct or less stable." \
            if knee is not None and knee != k else ""
        return k, f"k = {k} has {why}; {facts(k)}.{extra}"
    k = int(pool["k"].iloc[0])
    return k, f"k = {k}: the scores could not separate the choices, so the smallest k is suggested."
