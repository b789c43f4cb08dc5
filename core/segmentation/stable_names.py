"""Names that stay with a group across k.

The sweep fits every k on one sample. :func:`name_chain` names the segments of each k on that
sample, smallest k first, and a segment that is the same group as one of the previous k (members
overlapping by a Jaccard index of 0.6 or more) inherits its name when the name is still true of
it. :func:`inherited_names` then maps a full segmentation at some k onto the chain's segments of
that k, so the page shows "Affluent high-limit savers" for the same customers at k = 4, 5 and 6
whichever k the analyst opens first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.segmentation.naming import match_segments
from core.segmentation.profile import profile_segments


@dataclass
class ChainLink:
    """One k of the chain: the sample's labels and the names of those segments."""

    k: int
    labels: np.ndarray = field(repr=False)
    names: dict[int, str] = field(default_factory=dict)


@dataclass
class NameChain:
    """Names for every k of a sweep, on a fixed sample of rows."""

    index: np.ndarray = field(repr=False)  # rows of the dataset the chain was built on
    links: dict[int, ChainLink] = field(default_factory=dict)

    def names(self, k: int) -> dict[int, str]:
        return dict(self.links[k].names) if k in self.links else {}


def _nearest(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
    d = (X**2).sum(1)[:, None] - 2 * X @ centers.T + (centers**2).sum(1)[None, :]
    return np.asarray(d.argmin(axis=1), dtype=np.int32)


def name_chain(frame: pd.DataFrame, X: np.ndarray, numeric: list[str], categorical: list[str],
               centers: dict[int, np.ndarray], semantics: dict[str, str] | None = None, seed: int = 42,
               rows: int = 20_000) -> NameChain:
    """Name the segments of every k in ``centers`` on one sample, passing names up the chain."""
    n = X.shape[0]
    idx = np.arange(n) if n <= rows else np.sort(np.random.default_rng(seed).choice(n, rows, replace=False))
    S = np.asarray(X[idx], dtype=np.float64)
    sub = frame.iloc[idx].reset_index(drop=True)
    chain = NameChain(idx)
    previous: ChainLink | None = None
    for k in sorted(centers):
        labels = _nearest(S, np.asarray(centers[k], dtype=np.float64))
        inherit = {}
        if previous is not None:
            pairs = match_segments(previous.labels, labels)
            inherit = {c: previous.names[p] for c, p in pairs.items() if p in previous.names}
        prof = profile_segments(sub, labels, numeric, categorical, semantics, seed=seed, rules=False,
                                X_numeric=S[:, :len(numeric)], inherit_names=inherit)
        link = ChainLink(k, labels, dict(prof.auto_names))
        chain.links[k] = link
        previous = link
    return chain


def inherited_names(chain: NameChain | None, k: int, labels: np.ndarray) -> dict[int, str]:
    """The chain's names for the segments of a full segmentation at ``k`` (matched by overlap)."""
    if chain is None or k not in chain.links:
        return {}
    link = chain.links[k]
    pairs = match_segments(link.labels, np.asarray(labels)[chain.index])
    return {c: link.names[p] for c, p in pairs.items() if p in link.names}
