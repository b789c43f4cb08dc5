"""Does the generated data give away the real customers it was trained on?

Rows are compared in one space: numeric columns by their rank in the training rows (0..1),
categorical columns one-hot scaled by 1/sqrt(2) (so a different category counts as a distance of
1, like a numeric column moved end to end).

* **Distance to closest record (DCR)**: for each generated row, the distance to its nearest
  training row, set against the same distance for real rows the generator never saw. Generated
  rows much closer than those (below the holdout's 5th percentile) or identical to a training row
  are what a privacy review looks for.
* **Membership inference**: an attacker who holds the generated rows guesses that a real row was
  in the training set when a generated row lies close to it. The AUC of that guess over training
  rows against holdout rows: 0.5 means the generated rows say nothing about who was trained on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.scenarios.quality import is_numeric


def _space(train: pd.DataFrame, frames: list[pd.DataFrame], categorical: set[str]) -> list[np.ndarray]:
    parts: list[list[np.ndarray]] = [[] for _ in frames]
    for c in train.columns:
        if c in categorical or not is_numeric(train[c]):
            levels = pd.Index(pd.unique(train[c].astype(str)))
            for k, f in enumerate(frames):
                codes = levels.get_indexer(f[c].astype(str))
                onehot = np.zeros((len(f), len(levels)), dtype=np.float64)
                ok = codes >= 0
                onehot[np.flatnonzero(ok), codes[ok]] = 1 / np.sqrt(2)
                parts[k].append(onehot)
        else:
            ref = np.sort(pd.to_numeric(train[c], errors="coerce").dropna().to_numpy(dtype=np.float64))
            for k, f in enumerate(frames):
                x = pd.to_numeric(f[c], errors="coerce").to_numpy(dtype=np.float64)
                r = np.searchsorted(ref, np.nan_to_num(x, nan=float(np.median(ref)) if ref.size else 0.0)) / max(ref.size, 1)
                parts[k].append(r.astype(np.float64)[:, None])
    return [np.hstack(p) for p in parts]


def privacy_report(train: pd.DataFrame, holdout: pd.DataFrame, syn: pd.DataFrame, categorical: set[str],
                   max_rows: int = 2000, seed: int = 0) -> dict:
    """DCR and membership-inference figures on at most ``max_rows`` rows of each set."""
    from sklearn.metrics import roc_auc_score
    from sklearn.neighbors import NearestNeighbors

    rng = np.random.default_rng(seed)

    def take(f: pd.DataFrame, n: int) -> pd.DataFrame:
        return f.iloc[rng.choice(len(f), min(n, len(f)), replace=False)] if len(f) > n else f

    n = min(max_rows, len(holdout))
    members = take(train, n)
    reference = take(train, 5 * max_rows)  # the training rows the distances are measured to
    hold = take(holdout, n)
    gen = take(syn, max_rows)
    ref_x, mem_x, hold_x, gen_x = _space(reference, [reference, members, hold, gen], categorical)
    nn_train = NearestNeighbors(n_neighbors=1, algorithm="kd_tree").fit(ref_x)
    dcr_gen = nn_train.kneighbors(gen_x)[0][:, 0]
    dcr_hold = nn_train.kneighbors(hold_x)[0][:, 0]
    threshold = float(np.quantile(dcr_hold, 0.05))
    nn_gen = NearestNeighbors(n_neighbors=1, algorithm="kd_tree").fit(gen_x)
    d_mem = nn_gen.kneighbors(mem_x)[0][:, 0]
    d_hold = nn_gen.kneighbors(hold_x)[0][:, 0]
    y = np.r_[np.ones(d_mem.size), np.zeros(d_hold.size)]
    mia = float(roc_auc_score(y, -np.r_[d_mem, d_hold]))
    return {"dcr_generated_median": float(np.median(dcr_gen)), "dcr_holdout_median": float(np.median(dcr_hold)),
            "dcr_ratio": float(np.median(dcr_gen) / max(np.median(dcr_hold), 1e-12)),
            "share_closer_than_holdout_p5": float(np.mean(dcr_gen < threshold)), "exact_copies": float(np.mean(dcr_gen < 1e-9)),
            "membership_auc": mia, "rows_compared": int(gen_x.shape[0])}
