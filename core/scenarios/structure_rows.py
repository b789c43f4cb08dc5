"""Row-level helpers :class:`core.scenarios.structure.Structure` uses on generated rows.

The nearest observed combination of a group (blocked distance matrices), each row's position in a
rule's level names (one look-up of a column's own levels), and typed takes from a table of
combinations (categoricals by code, never through an object array).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SNAP_BLOCK = 2048  # rows per distance block in snap (the block stays in cache)


def nearest(x: np.ndarray, rt: np.ndarray, rr: np.ndarray, matches: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """For each row, the combination minimising ``rr + x @ rt + sum of match[codes]`` (see :meth:`core.scenarios.structure.Structure.snap`)."""
    best = np.empty(len(x), dtype=np.int64)
    for s0 in range(0, len(x), SNAP_BLOCK):
        d = x[s0:s0 + SNAP_BLOCK] @ rt
        d += rr
        for codes, match in matches:
            d += match.take(codes[s0:s0 + SNAP_BLOCK], axis=0)
        best[s0:s0 + SNAP_BLOCK] = d.argmin(axis=1)
    return best


class LevelCodes:
    """Rows' positions in a rule's level names, one look-up of each column's own levels per :meth:`core.scenarios.structure.Structure.enforce`."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.cache: dict[str, tuple[np.ndarray, pd.Index]] = {}

    def of(self, column: str, names: list[str]) -> np.ndarray:
        hit = self.cache.get(column)
        if hit is None:
            col = self.frame[column]
            if isinstance(col.dtype, pd.CategoricalDtype):
                codes = col.cat.codes.to_numpy().astype(np.int64)
                uniques = pd.Index(col.cat.categories.astype(str).tolist() + ["nan"])
                codes = np.where(codes >= 0, codes, len(uniques) - 1)
            else:
                codes, raw = pd.factorize(col, use_na_sentinel=False)
                uniques = pd.Index(raw).astype(str)
            hit = self.cache[column] = (codes, uniques)
        codes, uniques = hit
        return pd.Index(names).get_indexer(uniques)[codes]

    def changed(self, column: str) -> None:
        self.cache.pop(column, None)


def level_codes(col: pd.Series, levels: list[str]) -> np.ndarray:
    """Each row's position in ``levels`` (compared as strings), -1 where absent: one lookup per distinct value."""
    lookup = pd.Index(levels)
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy()
        per_cat = lookup.get_indexer(col.cat.categories.astype(str))
        return np.where(codes >= 0, per_cat[codes], lookup.get_indexer(["nan"])[0])
    codes, uniques = pd.factorize(col, use_na_sentinel=False)
    return lookup.get_indexer(pd.Index(uniques).astype(str))[codes]


def take(values: pd.Series, rows: np.ndarray, dtype) -> object:
    """``values[rows]`` in ``dtype`` (categoricals by code, never through an object array)."""
    if isinstance(dtype, pd.CategoricalDtype):
        cats = pd.Index(dtype.categories)
        codes = cats.get_indexer(values.to_numpy(dtype=object))
        if (codes >= 0).all():
            return pd.Categorical.from_codes(codes[rows], dtype=dtype)
    return _cast(values.to_numpy()[rows], dtype)


def _cast(values: np.ndarray, dtype) -> object:
    if dtype is None:
        return values
    try:
        if isinstance(dtype, pd.CategoricalDtype):
            return pd.Categorical(values, categories=dtype.categories)
        return pd.Series(values).astype(dtype).to_numpy()
    except (TypeError, ValueError):
        return values
