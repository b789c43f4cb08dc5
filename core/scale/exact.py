"""Exact sums that do not depend on how the rows were split: the reductions of every batch job.

Each column is cut, with vectorised error-free transformations, into *limbs*: ``q = (r + C) - C``
with ``C = 1.5 * 2**(b + 52)`` rounds the remainder ``r`` to a multiple of ``2**b`` exactly, and
``r - q`` is exact too (Rump, Ogita and Oishi's ExtractScalar). ``b`` is chosen from the column's
largest remainder so that every limb value is an integer multiple of ``2**b`` below
``2**(52 - bitlen(n))`` times it: a sum of ``n`` such values (``np.sum`` or ``np.bincount``, in any
order) never rounds. Limbs are extracted until the remainder is all zeros (two or three passes for
real data; a column of whole numbers below about ``2**30`` takes one). Each limb sum is kept as a
Python integer count of ``2**emin``; partials merge by integer addition in any order, and a total
is rounded once, correctly, at the end (integer true division is correctly rounded). So the sum
over 1, 3 or 7 partitions is the same float, bit for bit, and it is the correctly rounded sum of
the values (what ``math.fsum`` gives).

Non-finite values (NaN, inf) are left out and the finite values are counted, so ``mean`` is the
pandas ``mean`` (which skips NaN) computed exactly. ``squares=True`` sums ``x**2`` exactly (each
square split into three exact parts, Veltkamp/Dekker, all added into the same cell).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

_BLOCK = 16_384  # rows per block (temporaries stay in cache; fewer rows per sum allow wider limbs)
_FEW_GROUPS = 64  # above this many groups, sums per group come from bincount instead of sorted blocks
_SQUARE_LIMIT = 1e150  # squares are summed exactly below this magnitude (x * x stays finite, with room)
_TINY = -1074  # every float64 is an integer multiple of 2**-1074
_SPLIT = 134217729.0  # 2**27 + 1: the Veltkamp splitter of float64


def _zeros(groups: int, columns: int) -> np.ndarray:
    out = np.empty((groups, columns), dtype=object)
    out.fill(0)
    return out


@dataclass
class ExactSums:
    """Exact sums and finite counts of ``columns`` values per ``groups`` group, mergeable in any order.

    ``num`` holds, per (group, column), the exact sum as a Python integer count of ``2**emin``.
    """

    groups: int
    columns: int
    emin: int = 0
    num: np.ndarray = field(default_factory=lambda: _zeros(0, 0))
    count: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))

    @classmethod
    def empty(cls, groups: int, columns: int) -> ExactSums:
        return cls(groups, columns, 0, _zeros(groups, columns), np.zeros((groups, columns), dtype=np.int64))

    @classmethod
    def of(cls, values: np.ndarray, group: np.ndarray | None = None, groups: int = 1, squares: bool = False) -> ExactSums:
        """Sums of ``values`` ((n,) or (n, p)) per group label in ``[0, groups)`` (all in group 0 when None).

        With ``squares`` the cells hold the sums of the squared values (the counts are of finite values).
        """
        x = np.asarray(values, dtype=np.float64)
        if x.ndim == 1:
            x = x[:, None]
        n, p = x.shape
        g = None if group is None else np.asarray(group, dtype=np.int64)
        if g is not None and g.shape != (n,):
            raise ValueError(f"group has shape {g.shape}, expected ({n},)")
        if g is not None and n and (g.min() < 0 or g.max() >= groups):
            raise ValueError(f"group labels must lie in [0, {groups})")
        acc = _Acc(groups, p)
        if groups > _FEW_GROUPS and g is not None:  # many small groups (PD buckets): one bincount per limb and column
            cols = np.ascontiguousarray(x.T)
            width = 52 - int(n).bit_length()
            for j in range(p):
                ok = np.isfinite(cols[j])
                acc.count[:, j] += np.bincount(g, ok, groups).astype(np.int64)
                col = np.where(ok, cols[j], 0.0)
                for part in _parts(col, squares):
                    for b, k in _column_limbs(part, g, groups, width):
                        acc.add_column(j, b, k)
            return acc.result()
        if g is None or groups == 1:
            runs: list[tuple[int, np.ndarray | None, int, int]] = [(0, None, 0, n)]
        else:  # rows sorted by group (a stable sort, shared by the calls on the same labels), each group in blocks
            order, edges = _sorted(g, groups)
            runs = [(gi, order, int(edges[gi]), int(edges[gi + 1])) for gi in range(groups) if edges[gi + 1] > edges[gi]]
        width = 52 - _BLOCK.bit_length()  # a limb is below 2**width units: a block of them sums below 2**52
        for gi, idx, lo, hi in runs:
            for s in range(lo, hi, _BLOCK):
                t = min(hi, s + _BLOCK)
                xb = np.array((x[s:t] if idx is None else x[idx[s:t]]).T, order="C")  # (p, rows): a private copy
                ok = np.isfinite(xb)
                acc.count[gi] += ok.sum(axis=1)
                if not ok.all():
                    xb[~ok] = 0.0
                for part in _parts(xb, squares):
                    _block_limbs(part, width, gi, acc)
        return acc.result()

    def merge(self, other: ExactSums) -> ExactSums:
        """The sums of both (exact; the order of merging never matters)."""
        if (self.groups, self.columns) != (other.groups, other.columns):
            raise ValueError("cannot merge sums of different shapes")
        emin = min(self.emin, other.emin)
        return ExactSums(self.groups, self.columns, emin, _shift(self.num, self.emin - emin) + _shift(other.num, other.emin - emin),
                         self.count + other.count)

    def exact(self, group: int, column: int) -> Fraction:
        """The exact sum of one cell as a fraction."""
        v = int(self.num[group, column])
        return Fraction(v << self.emin) if self.emin >= 0 else Fraction(v, 1 << -self.emin)

    def _ratio(self, group: int, column: int, by: int = 1) -> float:
        v = int(self.num[group, column])
        try:
            if self.emin >= 0:
                return (v << self.emin) / by
            return v / (by << -self.emin)  # integer true division: correctly rounded
        except OverflowError:  # finite values whose sum is beyond the float range
            return float("inf") if v > 0 else float("-inf")

    def totals(self) -> np.ndarray:
        """(groups, columns) float64: each cell's sum, correctly rounded."""
        out = np.zeros((self.groups, self.columns))
        for gi in range(self.groups):
            for j in range(self.columns):
                if self.num[gi, j]:
                    out[gi, j] = self._ratio(gi, j)
        return out

    def means(self) -> np.ndarray:
        """(groups, columns) exact means of the finite values (NaN where a cell has none)."""
        out = np.full((self.groups, self.columns), np.nan)
        for gi in range(self.groups):
            for j in range(self.columns):
                c = int(self.count[gi, j])
                if c:
                    out[gi, j] = self._ratio(gi, j, c)
        return out

    def collapse(self) -> ExactSums:
        """All groups added into one (the population)."""
        return ExactSums(1, self.columns, self.emin, self.num.sum(axis=0, keepdims=True, dtype=object),
                         self.count.sum(axis=0, keepdims=True))


def _shift(num: np.ndarray, by: int) -> np.ndarray:
    return num if by == 0 else num * (1 << by)


class _Acc:
    """Limb sums being added up: per (group, column) a Python integer count of ``2**-1074``."""

    def __init__(self, groups: int, columns: int) -> None:
        self.groups, self.columns = groups, columns
        self.num = _zeros(groups, columns)
        self.count = np.zeros((groups, columns), dtype=np.int64)

    def add_row(self, gi: int, b: np.ndarray, k: np.ndarray) -> None:
        for j in np.flatnonzero(k):
            self.num[gi, j] += int(k[j]) << (int(b[j]) - _TINY)

    def add_column(self, j: int, b: int, k: np.ndarray) -> None:
        for gi in np.flatnonzero(k):
            self.num[gi, j] += int(k[gi]) << (b - _TINY)

    def result(self) -> ExactSums:
        """The sums with the smallest common power of two (a canonical form: equal sums, equal cells)."""
        nz = [abs(int(v)) for v in self.num.ravel() if v]
        if not nz:
            return ExactSums(self.groups, self.columns, 0, self.num, self.count)
        tz = min((v & -v).bit_length() - 1 for v in nz)
        num = self.num if tz == 0 else np.vectorize(lambda v: int(v) >> tz, otypes=[object])(self.num)
        return ExactSums(self.groups, self.columns, _TINY + tz, num, self.count)


def _parts(x: np.ndarray, squares: bool) -> tuple[np.ndarray, ...]:
    if not squares:
        return (x,)
    if x.size and float(np.abs(x).max()) > _SQUARE_LIMIT:  # x * x (and Dekker's split) would overflow
        raise ValueError("squares of values beyond 1e150 cannot be summed exactly")
    c = _SPLIT * x
    xh = c - (c - x)
    xl = x - xh
    if not xl.any():  # at most 26 significant bits (float32 data): x * x is exact
        return (np.multiply(x, x, out=c),)
    return xh * xh, 2.0 * xh * xl, np.multiply(xl, xl, out=c)


_last_sort = threading.local()  # per thread: (labels, groups, order, edges) of its last grouping


def _sorted(g: np.ndarray, groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows sorted by group and the group edges; a partition reduces several blocks by the same labels."""
    last = getattr(_last_sort, "value", None)
    if last is not None and last[1] == groups and np.array_equal(last[0], g):
        return last[2], last[3]
    order = np.argsort(g, kind="stable")
    edges = np.searchsorted(g[order], np.arange(groups + 1))
    _last_sort.value = (g.copy(), groups, order, edges)  # one tuple: another thread never sees half of it
    return order, edges


def _top(r: np.ndarray) -> np.ndarray:
    return np.maximum(r.max(axis=1), -r.min(axis=1))


def _block_limbs(r: np.ndarray, width: int, gi: int, acc: _Acc) -> None:
    """Add the exact row sums of the finite block ``r`` (p, rows) to group ``gi`` (``r`` is overwritten)."""
    top = _top(r)
    if not np.isfinite(top).all():  # callers zero the non-finite cells; an overflowing product must not loop
        raise ValueError("a block to sum exactly holds a value beyond the float range")
    q = np.empty_like(r)
    while top.any():
        b = np.maximum(np.frexp(top)[1] - width, _TINY)  # |r| < 2**(b + width) per column
        big = b > 969
        if big.any():  # near the top of the float range: those columns one by one (no overflow)
            for j in np.flatnonzero(big):
                for bj, k in _column_limbs(r[j], None, 1, width):
                    acc.num[gi, j] += int(k[0]) << (bj - _TINY)
                r[j] = 0.0
            b[big] = 0
        c = (1.5 * np.ldexp(1.0, b + 52))[:, None]
        np.add(r, c, out=q)
        q -= c  # each column rounded to a multiple of its 2**b (exact: C + r stays in one binade)
        r -= q  # the remainders (exact)
        k = np.ldexp(q.sum(axis=1), -b).astype(np.int64)  # integers below 2**52: exact
        acc.add_row(gi, b, k)
        top = _top(r)


def _column_limbs(r: np.ndarray, g: np.ndarray | None, groups: int, width: int) -> list[tuple[int, np.ndarray]]:
    """``(b, integer sums per group)`` limbs whose exact total is the sum of the finite column ``r`` per group."""
    out: list[tuple[int, np.ndarray]] = []
    top = max(float(r.max(initial=0.0)), -float(r.min(initial=0.0)))
    if top == 0.0:
        return out
    r = r.copy()
    q = np.empty_like(r)
    while top != 0.0:
        b = max(int(np.frexp(top)[1]) - width, _TINY)  # |r| < 2**(b + width)
        if b <= 969:
            c = 1.5 * 2.0 ** (b + 52)
            np.add(r, c, out=q)
            q -= c  # r rounded to a multiple of 2**b (exact: C + r stays in one binade)
            s = np.array([q.sum()]) if g is None else np.bincount(g, q, groups)
            k = np.ldexp(s, -b)
        else:  # near the top of the float range: count whole 2**b units instead (also exact, and no overflow)
            np.multiply(r, 2.0 ** -b, out=q)
            np.trunc(q, out=q)
            k = np.array([q.sum()]) if g is None else np.bincount(g, q, groups)
            q *= 2.0 ** b
        r -= q  # the remainder (exact)
        out.append((b, k.astype(np.int64)))  # integers below 2**52: exact
        top = max(float(r.max()), -float(r.min()))
    return out


def _square_parts(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    c = _SPLIT * x
    xh = c - (c - x)
    xl = x - xh
    return xh * xh, 2.0 * xh * xl, xl * xl


def square_parts(x: np.ndarray) -> np.ndarray:
    """Three float64 arrays whose exact sum is ``x**2`` (Veltkamp split), stacked on the last axis."""
    return np.stack(_square_parts(np.asarray(x, dtype=np.float64)), axis=-1)


def exact_variance(s1: Fraction, s2: Fraction, n: int, ddof: int = 1) -> float:
    """Sample variance from exact sums of x and x**2 (NaN with fewer than ``ddof + 1`` values)."""
    if n <= ddof:
        return float("nan")
    return float((s2 - s1 * s1 / n) / (n - ddof))
