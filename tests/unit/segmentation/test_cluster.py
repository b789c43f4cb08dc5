import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from core.errors import InputError
from core.segmentation.cluster import NOISE, Segmenter


def _blobs(n=1200, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[0, 0], [10, 0], [0, 10]], dtype=float)
    sizes = np.array([0.5, 0.3, 0.2])
    lab = rng.choice(3, n, p=sizes)
    return (centres[lab] + rng.normal(0, 1, (n, 2))).astype(np.float32), lab


@pytest.mark.parametrize("method", ["kmeans", "gmm"])
def test_methods_recover_blobs_and_number_segments_by_size(method):
    X, lab = _blobs()
    seg = Segmenter(method, 3, seed=1).fit(X)
    pred = seg.predict(X)
    assert adjusted_rand_score(lab, pred) > 0.95
    counts = np.bincount(pred)
    assert list(counts) == sorted(counts, reverse=True)  # 0 is the largest


def test_fit_on_a_sample_predicts_every_row():
    X, lab = _blobs(5000)
    seg = Segmenter("kmeans", 3, seed=1, fit_rows=500).fit(X)
    assert seg.fit_rows_ == 500
    pred = seg.predict(X)
    assert pred.shape == (5000,) and adjusted_rand_score(lab, pred) > 0.95


def test_hdbscan_extends_a_sample_to_all_rows_and_keeps_far_points_as_noise():
    X, lab = _blobs(3000)
    X = np.vstack([X, [[500.0, 500.0]]]).astype(np.float32)
    seg = Segmenter("hdbscan", seed=1, fit_rows=1000).fit(X)
    pred = seg.predict(X)
    assert seg.n_segments_ == 3
    assert pred[-1] == NOISE
    ok = pred[:-1] != NOISE
    assert ok.mean() > 0.9 and adjusted_rand_score(lab[ok], pred[:-1][ok]) > 0.9


def test_fewer_rows_than_k_is_a_plain_error():
    X = np.random.default_rng(0).normal(size=(4, 2))
    with pytest.raises(InputError, match="4 customers but 6 segments"):
        Segmenter("kmeans", 6).fit(X)


def test_warm_start_from_centres_gives_the_same_partition():
    X, _ = _blobs()
    a = Segmenter("kmeans", 3, seed=1).fit(X)
    b = Segmenter("kmeans", 3, seed=1, init=a.transform_centers()).fit(X)
    assert adjusted_rand_score(a.predict(X), b.predict(X)) == pytest.approx(1.0)
