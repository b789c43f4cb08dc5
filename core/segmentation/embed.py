"""The 2-D map of customers: PCA by default (instant), UMAP on request (slow, so it is kept).

A UMAP map of 10,000 customers takes about a minute on a laptop (most of it numba compiling), so
it is computed once per (dataset, features, seed, sample) and stored as a small artifact
(``segmentation_map/<fingerprint>``: the sample's row numbers and coordinates, read with
``allow_pickle=False``). Every later session, page load or restart reads it back in milliseconds.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA

from core.errors import InputError
from core.progress import Progress, no_progress
from core.runtime.registry import fingerprint_of, get_registry
from core.segmentation.result import Embedding, Prepared

MAX_MAP_POINTS = 20_000
UMAP_POINTS = 10_000
ARTIFACT = "segmentation_map"


def sample_index(n: int, seed: int, cap: int) -> np.ndarray:
    return np.arange(n) if n <= cap else np.sort(np.random.default_rng(seed).choice(n, cap, replace=False))


def map_key(prepared: Prepared, method: str, seed: int, points: int) -> str:
    return fingerprint_of("segmentation_map", 1, prepared.dataset_fingerprint, list(prepared.features), method, seed, points)


def has_cached_map(prepared: Prepared, method: str = "umap", seed: int = 42, max_points: int = UMAP_POINTS) -> bool:
    return get_registry().has_artifact(ARTIFACT, map_key(prepared, method, seed, min(max_points, MAX_MAP_POINTS)))


def embed(prepared: Prepared, method: str = "pca", seed: int = 42, max_points: int | None = None,
          progress: Progress | None = None) -> Embedding:
    """2-D map of a sample: PCA (<= 20k rows) by default, UMAP (<= 10k rows) when asked, cached on disk."""
    say = progress or no_progress
    cap = min(max_points or (MAX_MAP_POINTS if method == "pca" else UMAP_POINTS), MAX_MAP_POINTS)
    n = prepared.X.shape[0]
    idx = sample_index(n, seed, cap)
    S = np.asarray(prepared.X[idx], dtype=np.float64)
    t0 = time.perf_counter()
    if S.shape[1] == 1:
        jitter = np.random.default_rng(seed).normal(0, 0.05, len(idx))
        return Embedding(idx, np.column_stack([S[:, 0], jitter]), "1 feature (jittered)", None)
    if method == "pca":
        pca = PCA(n_components=2, random_state=seed).fit(S)
        return Embedding(idx, pca.transform(S), "pca", float(pca.explained_variance_ratio_.sum()),
                         time.perf_counter() - t0)
    if method != "umap":
        raise InputError(f"Unknown map '{method}'.", "Use 'pca' or 'umap'.")
    reg = get_registry()
    key = map_key(prepared, method, seed, cap)
    if reg.has_artifact(ARTIFACT, key):
        with np.load(reg.artifact_dir(ARTIFACT, key) / "map.npz", allow_pickle=False) as z:
            return Embedding(z["index"], z["coords"], "umap", None, time.perf_counter() - t0, cached=True)
    try:
        import umap  # optional and slow to import
    except ImportError as exc:
        raise InputError("UMAP is not installed here.", "Use the PCA map, or install umap-learn.") from exc
    say(0.1, f"Computing UMAP on {len(idx):,} customers (about a minute the first time)")
    coords = np.asarray(umap.UMAP(n_components=2, random_state=seed, n_neighbors=15, min_dist=0.1).fit_transform(S))
    seconds = time.perf_counter() - t0

    def write(folder: Path) -> dict:
        np.savez(folder / "map.npz", index=idx, coords=coords)
        return {"dataset_fingerprint": prepared.dataset_fingerprint, "features": list(prepared.features), "seed": seed,
                "points": int(len(idx)), "seconds": round(seconds, 2)}

    reg.save_artifact(ARTIFACT, key, write)
    say(1.0, "Map ready")
    return Embedding(idx, coords, "umap", None, seconds)
