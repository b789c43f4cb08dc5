"""Exact sums that do not depend on how the rows were split: the reductions of every batch job.

A float64 ``x`` is ``m * 2**(e - 1075)`` with an integer ``m`` (|m| < 2**53) and its biased
exponent ``e``, both read from its bits. Split
``m`` into a high and a low part of at most 27 bits; per (group, column, exponent) the parts are
summed as integers (exactly: ``bincount`` stays exact while a partial sum is below 2**53, i.e.
up to 2**26 rows per call). Partials merge by integer addition in any order, and the total is
rounded once, correctly, at the end. So the sum over 1, 3 or 7 partitions is the same float,
bit for bit, and it is the correctly rounded sum of the values (what ``math.fsum`` gives).

Non-finite values (NaN, inf) are left out and the finite values are counted, so ``mean`` is the
pandas ``mean`` (which skips NaN) computed exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

_HALF = 26
_LOW_MASK = (1 << _HALF) - 1
_MAX_ROWS = 1 << 26
_MANT_MASK = (1 << 52) - 1
_BIAS = 1075  # a float64 with biased exponent e and integer significand m is m * 2**(e - 1075)


@dataclass
class ExactSums:
    """Exact sums and finite counts of ``columns`` values per ``groups`` group, mergeable in any order.

    ``hi``/``lo`` hold, per (group, column, exponent - ``emin``), the integer sums of the high and
    low mantissa parts (Python ints after a merge, so they never overflow).
    """

    groups: int
    columns: int
    emin: int = 0
    hi: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 0), dtype=np.int64))
    lo: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 0), dtype=np.int64))
    count: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    ints: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))  # exact sums of whole-number columns

    @classmethod
    def empty(cls, groups: int, columns: int) -> ExactSums:
        z = np.zeros((groups, columns, 0), dtype=np.int64)
        zeros = np.zeros((groups, columns), dtype=np.int64)
        return cls(groups, columns, 0, z, z.copy(), zeros, zeros.copy())

    @classmethod
    def of(cls, values: np.ndarray, group: np.ndarray | None = None, groups: int = 1) -> ExactSums:
        """Sums of ``values`` ((n,) or (n, p)) per group label in ``[0, groups)`` (all in group 0 when None)."""
        x = np.asarray(values, dtype=np.float64)
        if x.ndim == 1:
            x = x[:, None]
        n, p = x.shape
        g = np.zeros(n, dtype=np.int64) if group is None else np.asarray(group, dtype=np.int64)
        if g.shape != (n,):
            raise ValueError(f"group has shape {g.shape}, expected ({n},)")
        if n and (g.min() < 0 or g.max() >= groups):
            raise ValueError(f"group labels must lie in [0, {groups})")
        out = cls.empty(groups, p)
        if n == 0:
            return out
        if n > _MAX_ROWS:  # keep every bincount below 2**53
            for s in range(0, n, _MAX_ROWS):
                out = out.merge(cls.of(x[s:s + _MAX_ROWS], g[s:s + _MAX_ROWS], groups))
            return out
        whole = [j for j in range(p) if _whole(x[:, j])]
        for j in whole:  # whole numbers: a plain bincount is exact (every partial sum stays below 2**53)
            out.count[:, j] = np.bincount(g, None, groups)
            out.ints[:, j] = np.rint(np.bincount(g, x[:, j], groups)).astype(np.int64)
        rest = [j for j in range(p) if j not in set(whole)]
        if not rest:
            return out
        part = cls._bits(x[:, rest], g, groups)
        out.count[:, rest] = part.count
        if part.hi.shape[2]:
            out.emin = part.emin
            out.hi = np.zeros((groups, p, part.hi.shape[2]), dtype=np.int64)
            out.lo = out.hi.copy()
            out.hi[:, rest], out.lo[:, rest] = part.hi, part.lo
        return out

    @classmethod
    def _bits(cls, x: np.ndarray, g: np.ndarray, groups: int) -> ExactSums:
        p = x.shape[1]
        out = cls.empty(groups, p)
        bits = np.ascontiguousarray(x.T).view(np.uint64)  # (p, n): each column contiguous
        e = ((bits >> np.uint64(52)) & np.uint64(0x7FF)).astype(np.int64)
        finite = e != 0x7FF
        out.count = np.stack([np.bincount(g, finite[j], groups) for j in range(p)], axis=1).astype(np.int64)
        m = (bits & np.uint64(_MANT_MASK)).view(np.int64)
        m |= (e > 0).view(np.int8).astype(np.int64) << 52  # the implicit leading bit of normal numbers
        m *= finite  # NaN and inf are left out
        np.maximum(e, 1, out=e)  # subnormals share the smallest normal exponent
        sign = (bits >> np.uint64(63)).view(np.int64)
        m ^= -sign
        m += sign  # two's-complement negation where the sign bit is set
        nz = m != 0
        if not nz.any():
            return out
        emin = int(np.where(nz, e, 0x7FF).min())
        emax = int(np.where(nz, e, 0).max())
        ne = emax - emin + 1
        np.clip(e, emin, emax, out=e)  # zeros, NaN and inf (which add nothing) stay inside the table
        H = np.zeros((groups, p, ne), dtype=np.int64)
        L = np.zeros((groups, p, ne), dtype=np.int64)
        base = g * ne - emin
        for j in range(p):
            key = base + e[j]
            H[:, j, :] = np.rint(np.bincount(key, m[j] >> _HALF, groups * ne)).astype(np.int64).reshape(groups, ne)
            L[:, j, :] = np.rint(np.bincount(key, m[j] & _LOW_MASK, groups * ne)).astype(np.int64).reshape(groups, ne)
        out.emin, out.hi, out.lo = emin, H, L
        return out

    def merge(self, other: ExactSums) -> ExactSums:
        """The sums of both (exact; the order of merging never matters)."""
        if (self.groups, self.columns) != (other.groups, other.columns):
            raise ValueError("cannot merge sums of different shapes")
        ints = self.ints.astype(object) + other.ints.astype(object)
        if self.hi.shape[2] == 0 or other.hi.shape[2] == 0:
            keep = other if self.hi.shape[2] == 0 else self
            return ExactSums(self.groups, self.columns, keep.emin, keep.hi.astype(object), keep.lo.astype(object),
                             self.count + other.count, ints)
        emin = min(self.emin, other.emin)
        emax = max(self.emin + self.hi.shape[2], other.emin + other.hi.shape[2])
        shape = (self.groups, self.columns, emax - emin)
        H = np.zeros(shape, dtype=object)
        L = np.zeros(shape, dtype=object)
        for part in (self, other):
            a = part.emin - emin
            H[:, :, a:a + part.hi.shape[2]] += part.hi.astype(object)
            L[:, :, a:a + part.lo.shape[2]] += part.lo.astype(object)
        return ExactSums(self.groups, self.columns, emin, H, L, self.count + other.count, ints)

    def exact(self, group: int, column: int) -> Fraction:
        """The exact sum of one cell as a fraction."""
        total = 0
        for k in range(self.hi.shape[2]):
            h, low = int(self.hi[group, column, k]), int(self.lo[group, column, k])
            if h or low:
                total += ((h << _HALF) + low) << k
        scale = self.emin - _BIAS
        bits = Fraction(total * (1 << scale)) if scale >= 0 else Fraction(total, 1 << -scale)
        return bits + int(self.ints[group, column])

    def totals(self) -> np.ndarray:
        """(groups, columns) float64: each cell's sum, correctly rounded."""
        out = np.zeros((self.groups, self.columns))
        for gi in range(self.groups):
            for j in range(self.columns):
                out[gi, j] = float(self.exact(gi, j))
        return out

    def means(self) -> np.ndarray:
        """(groups, columns) exact means of the finite values (NaN where a cell has none)."""
        out = np.full((self.groups, self.columns), np.nan)
        for gi in range(self.groups):
            for j in range(self.columns):
                c = int(self.count[gi, j])
                if c:
                    out[gi, j] = float(self.exact(gi, j) / c)
        return out

    def collapse(self) -> ExactSums:
        """All groups added into one (the population)."""
        return ExactSums(1, self.columns, self.emin, self.hi.sum(axis=0, keepdims=True, dtype=object),
                         self.lo.sum(axis=0, keepdims=True, dtype=object), self.count.sum(axis=0, keepdims=True),
                         self.ints.sum(axis=0, keepdims=True, dtype=object))


def _whole(col: np.ndarray) -> bool:
    """Whether a column holds only whole numbers small enough for an exact float bincount."""
    if col.size == 0:
        return True
    top = float(np.max(np.abs(col))) if np.isfinite(col).all() else np.inf
    return top * col.size < 2.0**53 and bool(np.array_equal(col, np.rint(col)))


def square_parts(x: np.ndarray) -> np.ndarray:
    """Three float64 arrays whose exact sum is ``x**2`` (Veltkamp split), stacked on the last axis.

    Sums of squares reduced with :class:`ExactSums` over these parts are exact, so a variance from
    exact sums is exact before its final rounding.
    """
    x = np.asarray(x, dtype=np.float64)
    c = 134217729.0 * x  # 2**27 + 1
    xh = c - (c - x)
    xl = x - xh
    return np.stack([xh * xh, 2.0 * xh * xl, xl * xl], axis=-1)


def exact_variance(s1: Fraction, s2: Fraction, n: int, ddof: int = 1) -> float:
    """Sample variance from exact sums of x and x**2 (NaN with fewer than ``ddof + 1`` values)."""
    if n <= ddof:
        return float("nan")
    return float((s2 - s1 * s1 / n) / (n - ddof))
