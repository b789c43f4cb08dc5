"""The segmentation area as batch jobs see it: fit on a sample, assign every row, profile from reductions.

Only this module knows the segmentation area's names. The preprocessor and the clusterer are the
area's own (fitted once on the driver, on a sample drawn by hashing ids, as the page fits them on
a sample), then broadcast; :func:`assign` is exactly ``segmenter.predict(preprocessor.transform(frame))``.
:func:`profile` builds the area's :class:`SegmentProfile` from exact reductions (sizes, means,
category counts, holdings) plus the hashed sample (medians, rules, RFM cells), naming segments
with the area's own functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

NOISE = -1


@dataclass(frozen=True)
class Fitted:
    """A fitted segmentation: the preprocessor, the clusterer and what they were fitted on."""

    preprocessor: Any
    segmenter: Any
    features: tuple[str, ...]
    numeric: tuple[str, ...]  # numeric columns in use, in the preprocessor's order
    categorical: tuple[str, ...]
    method: str
    k: int
    seed: int
    notes: tuple[str, ...] = ()

    @property
    def columns(self) -> list[str]:
        """Input columns :func:`assign` reads."""
        return list(dict.fromkeys([*self.numeric, *self.categorical]))

    @property
    def segments(self) -> list[int]:
        return list(range(int(self.segmenter.n_segments_)))


def default_features(dataset: Any) -> list[str]:
    from core.segmentation.service import default_features as area_default

    return list(area_default(dataset))


def fit(sample: Any, features: list[str] | None = None, method: str = "kmeans", k: int | None = None,
        seed: int = 42) -> Fitted:
    """Prepare features and fit the clusterer on a sample :class:`Dataset` (the sweep picks k when not given)."""
    from core.segmentation.cluster import Segmenter
    from core.segmentation.service import prepare, run_sweep

    prepared = prepare(sample, features or None, seed)
    if k is None:
        k = int(run_sweep(prepared, method, seed).suggested_k)
    seg = Segmenter(method, int(k), seed).fit(prepared.X)
    return Fitted(prepared.preprocessor, seg, tuple(prepared.features), tuple(prepared.numeric),
                  tuple(prepared.categorical), method, int(seg.n_segments_), seed, tuple(prepared.notes))


def assign(fitted: Fitted, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``(labels, X)``: each row's segment (NOISE = -1 for outliers) and the scaled matrix it was assigned on."""
    X = fitted.preprocessor.transform(frame)
    return np.asarray(fitted.segmenter.predict(X), dtype=np.int32), X


def product_columns(sample: Any) -> dict[str, str]:
    """Product -> the flag column the segmentation page reads its holding from, on a sample :class:`Dataset`."""
    from core.segmentation.offers.catalogue import holding_columns

    return dict(holding_columns(sample))


def holdings(frame: pd.DataFrame, schema: Any, products: list[str]) -> np.ndarray:
    """(rows, products) 0/1 holdings, the segmentation page's :func:`holdings` on these rows (0 where a flag is unread)."""
    from types import SimpleNamespace

    from core.segmentation.offers.catalogue import holdings as area_holdings

    view: Any = SimpleNamespace(schema=schema, frame=frame)
    held = area_holdings(view)
    x = (held if list(held.columns) == list(products) else held.reindex(columns=products)).to_numpy(dtype=np.float64)
    return np.where(np.isnan(x), 0.0, x)  # fillna(0.0) of the matrix


@dataclass
class Reduced:
    """What the batch reduction knows about the whole book, per segment (index ``segments`` + NOISE)."""

    segments: list[int]
    sizes: np.ndarray  # (G,) int counts
    raw_means: np.ndarray  # (G + 1, numeric): per segment then the book
    scaled_means: np.ndarray  # (G, numeric)
    scaled_mean_all: np.ndarray  # (numeric,)
    scaled_std_all: np.ndarray  # (numeric,)
    categories: dict[str, pd.DataFrame]  # column -> segment x level counts
    holdings: pd.DataFrame  # segment (+ "all") x product share


def profile(fitted: Fitted, red: Reduced, sample: pd.DataFrame, sample_labels: np.ndarray,
            semantics: dict[str, str], pd_mean: dict[Any, float] | None = None) -> Any:
    """The area's :class:`SegmentProfile` from exact reductions and the hashed sample.

    Statistics are the exact reductions (sizes, means, lift, z on the modelling scale, category shares);
    medians, rules and RFM cells come from the hashed sample; names, traits and descriptions from the
    area's own functions (:func:`build_names` on the profile's facts, as :func:`profile_segments` does).
    """
    from core.segmentation import profile as P
    from core.segmentation.naming import build_names
    from core.segmentation.rules import segment_rules

    numeric, categorical = list(fitted.numeric), list(fitted.categorical)
    seg_index = pd.Index(red.segments, name="segment")
    n = int(red.sizes.sum())
    sizes = pd.DataFrame({"size": red.sizes.astype(int), "share": red.sizes / max(n, 1)}, index=seg_index)
    means = pd.DataFrame(red.raw_means, index=pd.Index([*red.segments, "all"], dtype=object), columns=numeric)
    num = sample[numeric].apply(pd.to_numeric, errors="coerce").astype(float) if numeric else pd.DataFrame(index=sample.index)
    medians = num.groupby(sample_labels).median().reindex(seg_index) if numeric else pd.DataFrame(index=seg_index)
    if numeric:
        medians.loc["all"] = num.median()
    pop_mean = means.loc["all"]
    seg_means = means.drop(index="all")
    lift = seg_means / pop_mean.where(pop_mean.abs() > 1e-12)
    sd = pd.Series(red.scaled_std_all, index=numeric).replace(0, np.nan)
    z = ((pd.DataFrame(red.scaled_means, index=seg_index, columns=numeric) - red.scaled_mean_all) / sd).fillna(0.0)
    shares = {}
    for c, counts in red.categories.items():
        book = counts.sum(axis=0)
        top = book.sort_values(ascending=False, kind="stable").index[:8]
        pooled = counts[top].copy()
        rest = counts.drop(columns=top).sum(axis=1)
        if (rest > 0).any():
            pooled["other"] = rest
        tab = pooled.div(pooled.sum(axis=1).replace(0, np.nan), axis=0)
        tab.loc["all"] = pooled.sum(axis=0) / max(1, pooled.to_numpy().sum())
        shares[c] = tab.fillna(0.0)
    prof = P.SegmentProfile(sizes, means, medians, lift, z, shares, features=(*numeric, *categorical),
                            semantics=dict(semantics))
    mean_pd = None if pd_mean is None else pd.Series(pd_mean)
    prof.rules = segment_rules(sample, sample_labels, numeric, categorical, seed=fitted.seed)
    prof.auto_names = build_names(prof.facts(mean_pd))
    prof.rfm_cells = P.rfm_cells(sample, sample_labels, semantics)
    prof.traits = {int(s): P.traits_for(int(s), prof) for s in sizes.index if s != NOISE}
    prof.descriptions = {int(s): P.describe(int(s), prof.auto_names.get(int(s), str(s)), prof, prof.rfm_cells.get(int(s)))
                         for s in sizes.index}
    return prof


def names(prof: Any) -> dict[int, str]:
    """Segment names as the page shows them (its ``SegmentationResult.names`` are the profile's names)."""
    return {int(k): str(v) for k, v in prof.auto_names.items()}


def brief(prof: Any, segment: int, name: str, holdings: pd.DataFrame, mean_pd: float | None, run_id: str | None) -> Any:
    """The aggregate-only brief the copy area receives for one segment."""
    from core.briefs import SegmentBrief

    means = prof.means
    aggregates = {c: float(means.loc[segment, c]) for c in means.columns if np.isfinite(means.loc[segment, c])}
    held = {str(p): float(v) for p, v in holdings.loc[segment].items()} if segment in holdings.index else {}
    return SegmentBrief(name=name, size=int(prof.sizes.loc[segment, "size"]), share=float(prof.sizes.loc[segment, "share"]),
                        description=prof.descriptions.get(segment, ""), traits=tuple(prof.traits.get(segment, [])),
                        aggregates=aggregates, products_held=held, mean_pd=mean_pd, source_run_id=run_id)
