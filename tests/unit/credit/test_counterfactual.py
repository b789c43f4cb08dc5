import time

import numpy as np
import pytest

from core.credit.counterfactual import actionable_features, default_immutable, find_counterfactual
from core.errors import InputError


def _declined(model, portfolio, cutoff, k=12):
    p = model.predict_pd(portfolio.frame)
    return np.flatnonzero(p >= cutoff)[:k]


def test_counterfactual_reaches_cutoff_without_touching_immutables(model, portfolio):
    cutoff = 0.15
    assert "age" in default_immutable(model) and "regional_unemployment" in default_immutable(model)
    feats = actionable_features(model)
    assert "age" not in feats and "employment_status" not in feats
    found = 0
    for i in _declined(model, portfolio, cutoff):
        row = portfolio.frame.iloc[[i]]
        cf = find_counterfactual(model, row, cutoff)
        if not cf.found:
            assert "No change" in cf.message
            continue
        found += 1
        assert cf.pd_after < cutoff <= cf.pd_before
        assert model.predict_pd(cf.row_after)[0] == pytest.approx(cf.pd_after)
        assert float(cf.row_after["age"].iloc[0]) == float(row["age"].iloc[0])
        for r in cf.changes.itertuples():
            lo, hi = model.bounds[r.feature]
            assert r.feature in feats
            assert min(lo, r._2) - 1e-9 <= r.to <= max(hi, r._2) + 1e-9
            d = model.monotone.get(r.feature, 0)
            assert d == 0 or np.sign(r.change) == -d  # moves only the way that lowers risk
        assert len(cf.changes) <= 3
    assert found >= 6


def test_none_exists_when_nothing_may_change(model, portfolio):
    i = _declined(model, portfolio, 0.15, 1)[0]
    cf = find_counterfactual(model, portfolio.frame.iloc[[i]], 0.15, immutable=set(model.feature_names))
    assert not cf.found and "No feature" in cf.message
    cf = find_counterfactual(model, portfolio.frame.iloc[[i]], 0.0005)
    assert not cf.found and cf.row_after is None


def test_already_approved_and_bad_input(model, portfolio):
    p = model.predict_pd(portfolio.frame)
    i = int(np.argmin(p))
    cf = find_counterfactual(model, portfolio.frame.iloc[[i]], 0.5)
    assert cf.found and cf.changes.empty
    with pytest.raises(InputError):
        find_counterfactual(model, portfolio.frame.iloc[:2], 0.5)
    with pytest.raises(InputError):
        find_counterfactual(model, portfolio.frame.iloc[[i]], 1.5)


def test_counterfactual_is_fast(model, portfolio):
    times = []
    for i in _declined(model, portfolio, 0.1, 20):
        t = time.perf_counter()
        find_counterfactual(model, portfolio.frame.iloc[[i]], 0.1)
        times.append(time.perf_counter() - t)
    assert np.percentile(times, 95) < 1.0
