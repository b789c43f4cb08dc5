import numpy as np
import pandas as pd

from core.segmentation.sweep import STABLE_ARI, suggest_k, sweep_k


def _blobs(k=4, n=3000, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-20, 20, (k, 5))
    lab = rng.integers(0, k, n)
    return (centres[lab] + rng.normal(0, 1, (n, 5))).astype(np.float32)


def test_sweep_scores_every_k_and_suggests_the_true_one_with_a_reason():
    res = sweep_k(_blobs(4), ks=range(2, 9), seed=3)
    assert list(res.table["k"]) == list(range(2, 9))
    for col in ("silhouette", "calinski_harabasz", "davies_bouldin", "inertia", "stability_ari"):
        assert res.table[col].notna().all(), col
    assert res.suggested_k == 4
    assert "k = 4" in res.reason and "stability" in res.reason
    assert res.table.set_index("k").loc[4, "stability_ari"] >= STABLE_ARI
    assert set(res.centers) == set(range(2, 9))


def test_gmm_sweep_has_bic():
    res = sweep_k(_blobs(3, 1500), method="gmm", ks=range(2, 6), seed=0)
    assert res.table["bic"].notna().all() and res.table["inertia"].isna().all()
    assert res.suggested_k == 3


def test_unstable_choices_are_said_to_be_unstable():
    t = pd.DataFrame({"k": [2, 3, 4], "silhouette": [0.1, 0.12, 0.11], "calinski_harabasz": [1, 1, 1],
                      "davies_bouldin": [2, 2, 2], "inertia": [10, 9, 8.5], "bic": [np.nan] * 3,
                      "stability_ari": [0.3, 0.4, 0.35], "stability_sd": [0.1] * 3})
    k, reason = suggest_k(t, None)
    assert k == 3 and "no k is stable" in reason


def test_sweep_on_tiny_data_skips_impossible_k():
    X = np.random.default_rng(0).normal(size=(5, 2)).astype(np.float32)
    res = sweep_k(X, ks=range(2, 13))
    assert res.table["k"].max() <= 4
