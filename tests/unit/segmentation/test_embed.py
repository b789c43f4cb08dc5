"""The map: PCA by default, UMAP computed once and read back from its stored artifact."""

import sys
import types

import numpy as np

from core.segmentation import embed as E
from core.segmentation import service


def test_pca_is_the_default_and_explains_variance(small_portfolio):
    emb = E.embed(service.prepare(small_portfolio))
    assert emb.method == "pca" and emb.coords.shape == (small_portfolio.n_rows, 2) and 0 < emb.explained <= 1


def test_umap_is_computed_once_then_read_back(small_portfolio, monkeypatch):
    calls = []

    class FakeUMAP:  # the real one takes a minute to compile; the cache is what is under test
        def __init__(self, **kw):
            calls.append(kw)

        def fit_transform(self, X):
            return np.asarray(X)[:, :2] * 2.0

    monkeypatch.setitem(sys.modules, "umap", types.SimpleNamespace(UMAP=FakeUMAP))
    prep = service.prepare(small_portfolio)
    assert not E.has_cached_map(prep, "umap", 42)
    first = E.embed(prep, "umap", 42)
    assert not first.cached and len(calls) == 1 and E.has_cached_map(prep, "umap", 42)
    again = E.embed(prep, "umap", 42)
    assert again.cached and len(calls) == 1
    assert np.array_equal(again.coords, first.coords) and np.array_equal(again.index, first.index)
    other_seed = E.embed(prep, "umap", 7)
    assert not other_seed.cached and len(calls) == 2
