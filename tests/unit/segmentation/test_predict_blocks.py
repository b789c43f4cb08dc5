"""Segmenter.predict labels any block of rows, however few: a block need not contain every cluster."""

import numpy as np
import pytest

from core.segmentation.cluster import Segmenter


@pytest.mark.parametrize("method", ["kmeans", "gmm"])
def test_a_block_without_the_highest_cluster_is_labelled_as_in_the_whole(method):
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0], [6.0, 6.0]])
    X = np.vstack([c + rng.normal(0, 0.3, (60 + 20 * i, 2)) for i, c in enumerate(centres)])
    seg = Segmenter(method, 4, seed=1).fit(X)
    whole = seg.predict(X)
    raw = seg._raw_predict(X)
    highest = int(raw.max())
    assert highest == 3 and set(whole) == {0, 1, 2, 3}
    # one row at a time, and a block of every row but the highest raw cluster's
    for i in range(0, len(X), 17):
        assert seg.predict(X[i:i + 1])[0] == whole[i]
    keep = raw != highest
    np.testing.assert_array_equal(seg.predict(X[keep]), whole[keep])
    assert seg.predict(X[:0]).shape == (0,)
