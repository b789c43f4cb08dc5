import math

import numpy as np
import pytest

from core.scale.exact import ExactSums, exact_variance, square_parts


def _data(rng, n=20_000):
    x = rng.standard_normal((n, 4)) * np.array([1e-3, 1e6, 1.0, 1.0])
    x[:, 3] = rng.integers(-1000, 1000, n)
    x[5, 0], x[7, 1], x[9, 2], x[10, 2], x[11, 2] = np.nan, np.inf, 5e-320, -0.0, -5e-321
    return x, rng.integers(0, 5, n)


def test_sums_are_correctly_rounded(rng):
    x, g = _data(rng)
    s = ExactSums.of(x, g, 5)
    for gi in range(5):
        for j in range(4):
            v = x[g == gi, j]
            v = v[np.isfinite(v)]
            assert s.totals()[gi, j] == math.fsum(v)
            assert s.count[gi, j] == v.size


@pytest.mark.parametrize("cuts", [[3], [1, 2, 19_000], [7_000, 7_001, 15_000]])
def test_merge_in_any_order_is_bit_identical(rng, cuts):
    x, g = _data(rng)
    whole = ExactSums.of(x, g, 5)
    bounds = [0, *cuts, len(x)]
    parts = [ExactSums.of(x[a:b], g[a:b], 5) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    forward = parts[0]
    for p in parts[1:]:
        forward = forward.merge(p)
    backward = parts[-1]
    for p in reversed(parts[:-1]):
        backward = backward.merge(p)
    assert np.array_equal(forward.totals(), whole.totals())
    assert np.array_equal(backward.totals(), whole.totals())
    assert np.array_equal(forward.collapse().totals(), ExactSums.of(x).totals())


def test_cancellation_is_exact():
    x = np.array([1e16, 1.0, -1e16, 1.0, 3e-17])
    assert ExactSums.of(x).totals()[0, 0] == math.fsum(x) == 2.0


def test_variance_from_exact_sums(rng):
    y = rng.standard_normal(5_000) * 10 + 1e6
    s1 = ExactSums.of(y).exact(0, 0)
    sq = ExactSums.of(square_parts(y))
    s2 = sum(sq.exact(0, k) for k in range(3))
    assert exact_variance(s1, s2, y.size) == pytest.approx(np.var(y, ddof=1), rel=1e-12)


def test_bad_group_labels_are_refused():
    with pytest.raises(ValueError):
        ExactSums.of(np.ones(3), np.array([0, 1, 5]), 2)


@pytest.mark.parametrize("groups", [1, 5, 300])  # sorted blocks (few groups) and bincount (many)
def test_sums_are_exact_over_the_whole_float_range(rng, groups):
    from fractions import Fraction

    n = 400
    x = np.ldexp(rng.standard_normal((n, 3)), rng.integers(-1074, 1000, (n, 3)))
    x[:7, 0] = [1.7e308, -1.7e308, 5e-324, -0.0, np.nan, np.inf, 1e-320]
    g = rng.integers(0, groups, n)
    s = ExactSums.of(x, g, groups)
    for gi in range(min(groups, 6)):
        for j in range(3):
            v = x[g == gi, j]
            v = v[np.isfinite(v)]
            assert s.exact(gi, j) == sum((Fraction(a) for a in v), Fraction(0))
            assert s.count[gi, j] == v.size


def test_sums_of_squares_are_exact(rng):
    from fractions import Fraction

    x = np.column_stack([rng.standard_normal(3_000) * 1e3, rng.standard_normal(3_000).astype(np.float32)])
    g = rng.integers(0, 4, 3_000)
    sq = ExactSums.of(x, g, 4, squares=True)
    for gi in range(4):
        for j in range(2):
            assert sq.exact(gi, j) == sum((Fraction(a) ** 2 for a in x[g == gi, j]), Fraction(0))
    with pytest.raises(ValueError):
        ExactSums.of(np.array([1e300]), squares=True)
