import re

import numpy as np
import pandas as pd

from core.segmentation.choose_k import STABLE_ARI, WEAK_SILHOUETTE, choose_k
from core.segmentation.sweep import SweepResult, sweep_k


def _blobs(k=4, n=3000, seed=0, spread=1.0):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-20, 20, (k, 5))
    lab = rng.integers(0, k, n)
    return (centres[lab] + rng.normal(0, spread, (n, 5))).astype(np.float32)


def _table(**cols):
    k = cols.pop("k", [2, 3, 4, 5])
    n = len(k)
    base = {"k": k, "silhouette": [0.3] * n, "calinski_harabasz": [100.0] * n, "davies_bouldin": [1.0] * n,
            "inertia": list(np.linspace(10, 5, n)), "bic": [np.nan] * n, "stability_ari": [0.95] * n,
            "stability_sd": [0.01] * n}
    base.update(cols)
    return pd.DataFrame(base)


def test_sweep_scores_every_k_and_chooses_the_true_one_with_a_reason():
    res = sweep_k(_blobs(4), ks=range(2, 13), seed=3)
    assert list(res.table["k"]) == list(range(2, 13))  # k = 12 included
    for col in ("silhouette", "calinski_harabasz", "davies_bouldin", "inertia", "stability_ari"):
        assert res.table[col].notna().all(), col
    assert res.suggested_k == 4
    assert res.reason.startswith("k = 4 wins") and "votes" in res.reason and res.reason.endswith(".")
    assert len(re.split(r"\.\s", res.reason)) == 1  # one sentence
    assert res.table.set_index("k").loc[4, "stability_ari"] >= STABLE_ARI
    assert res.warning == "" and res.choice.stable and not res.choice.weak
    assert set(res.centers) == set(range(2, 13))


def test_the_elbow_is_only_one_vote():
    # the inertia elbow says 3; silhouette, Calinski-Harabasz, Davies-Bouldin and stability agree on 4
    t = _table(silhouette=[0.30, 0.27, 0.32, 0.25], calinski_harabasz=[900, 950, 1000, 800],
               davies_bouldin=[1.3, 1.2, 1.1, 1.4], stability_ari=[0.99, 0.98, 0.99, 0.90])
    c = choose_k(t, knee=3)
    assert c.k == 4 and c.votes["elbow"] == 3 and c.votes["stability"] == 4
    assert "4 of 5 votes" in c.reason and "the inertia elbow prefers k = 3" in c.reason


def test_stability_votes_for_the_most_detailed_k_as_reproducible_as_the_best():
    t = _table(stability_ari=[0.995, 0.99, 0.991, 0.80])
    assert choose_k(t).votes["stability"] == 4


def test_unstable_k_are_not_candidates():
    t = _table(silhouette=[0.3, 0.4, 0.31, 0.2], calinski_harabasz=[100, 200, 120, 90], davies_bouldin=[1.2, 0.9, 1.1, 1.4],
               stability_ari=[0.95, 0.5, 0.92, 0.9])
    c = choose_k(t)
    assert c.k != 3 and 3 not in c.votes.values()


def test_weak_structure_gets_a_plain_warning_instead_of_stable():
    t = _table(silhouette=[0.11, 0.12, 0.10, 0.09])
    c = choose_k(t)
    assert c.weak and "Weak structure" in c.warning and "0.120" in c.warning and str(WEAK_SILHOUETTE) in c.warning
    assert "stable" not in c.warning.lower()


def test_no_reproducible_k_is_said():
    t = _table(stability_ari=[0.3, 0.4, 0.35, 0.2])
    c = choose_k(t)
    assert not c.stable and "not act on these segments" in c.warning


def test_a_complete_split_takes_the_median_of_the_choices():
    t = _table(silhouette=[0.30, 0.35, 0.31, 0.2], calinski_harabasz=[100, 90, 200, 80], davies_bouldin=[1.0, 1.1, 1.2, 0.9],
               stability_ari=[0.99, 0.95, 0.90, 0.80])
    c = choose_k(t)  # silhouette 3, CH 4, DB 5, stability 2, elbow None: no two agree
    assert len(set(c.votes.values())) == 4
    assert c.k == 3  # the middle choices are 3 and 4; 3 has the better mean rank (2.25 against 2.5)
    assert c.reason.startswith("No two measures agree") and "median" in c.reason


def test_ties_between_agreeing_measures_go_to_the_best_mean_rank():
    t = _table(silhouette=[0.30, 0.35, 0.34, 0.2], calinski_harabasz=[100, 90, 200, 80], davies_bouldin=[1.0, 1.1, 0.95, 0.9],
               stability_ari=[0.99, 0.95, 0.90, 0.80])
    c = choose_k(t, knee=3)  # silhouette 3, elbow 3, CH 4, stability 2, DB 5: 3 has two votes
    assert c.k == 3 and "2 of 5 votes" in c.reason


def test_gmm_sweep_has_bic_as_a_vote():
    res = sweep_k(_blobs(3, 1500), method="gmm", ks=range(2, 6), seed=0)
    assert res.table["bic"].notna().all() and res.table["inertia"].isna().all()
    assert res.suggested_k == 3 and "bic" in res.choice.votes


def test_sweep_on_tiny_data_skips_impossible_k():
    X = np.random.default_rng(0).normal(size=(5, 2)).astype(np.float32)
    res = sweep_k(X, ks=range(2, 13))
    assert res.table["k"].max() <= 4


def test_a_saved_sweep_round_trips():
    res = sweep_k(_blobs(3, 1500), ks=range(2, 6), seed=0)
    back = SweepResult.from_dict(res.to_dict())
    assert back.suggested_k == res.suggested_k and back.choice == res.choice
    assert back.table["k"].tolist() == res.table["k"].tolist()


def test_a_silhouette_just_below_the_bar_never_reads_as_the_bar():
    c = choose_k(_table(silhouette=[0.1996, 0.15, 0.12, 0.10]))
    assert c.weak and "0.199 (below 0.20)" in c.warning
