"""Column shapes and column pair trends: the product's own quality score (the SDMetrics QualityReport's).

The score the Fidelity tab shows is computed here, without SDMetrics (whose dependency ``copulas``
is under the Business Source License). The definitions follow SDMetrics 0.32's QualityReport so
the two agree to 1e-6 on the same data (checked in ``bench/bench_scenarios.py``'s bench venv):

* **Column shapes** (one score per column, then the mean):
  numeric columns: ``KSComplement = 1 - D``, the two-sample Kolmogorov-Smirnov statistic on the
  non-missing values (rounded to 14 decimals); categorical columns: ``TVComplement = 1 - TV``,
  the total variation distance between the category frequencies (a category only the generated
  rows have counts with a real frequency of 1e-6 / n).
* **Column pair trends** (one score per pair, then the mean over the pairs that are related in
  the real data): two numeric columns: ``CorrelationSimilarity = 1 - |r_real - r_gen| / 2`` with
  Pearson's r on the rows where both are present, counted when ``|r_real| > 0.5`` (a constant
  column leaves its pairs out); otherwise ``ContingencySimilarity = 1 - TV`` of the two columns'
  joint frequencies, counted when the real data's Cramer's V exceeds 0.3, a numeric column first
  cut into the 10 ``numpy.histogram_bin_edges`` bins of its own data (real rows by the real
  data's edges, generated rows by their own, as SDMetrics does). Pairs the real data does not
  relate say nothing about whether the generator kept a relation, so they are left out.
* **Quality score**: the mean of the two.
"""

from __future__ import annotations

import itertools
import sys
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp, pearsonr

MAX_DECIMALS = sys.float_info.dig - 1
CORRELATION_THRESHOLD = 0.5
ASSOCIATION_THRESHOLD = 0.3


@dataclass
class QualityScore:
    column_shapes: pd.DataFrame  # column, metric, score
    pair_trends: pd.DataFrame  # column_a, column_b, metric, score, real, synthetic
    shapes: float
    pairs: float

    @property
    def score(self) -> float:
        return float(np.nanmean([self.shapes, self.pairs]))


def is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def kinds(frame: pd.DataFrame, categorical: set[str]) -> dict[str, str]:
    """``"numerical"`` or ``"categorical"`` per column (the SDMetrics sdtype the metrics use)."""
    return {c: "categorical" if (c in categorical or not is_numeric(frame[c])) else "numerical" for c in frame.columns}


def ks_complement(real: pd.Series, syn: pd.Series) -> float:
    a = pd.to_numeric(pd.Series(real).dropna(), errors="coerce").astype(float).round(MAX_DECIMALS)
    b = pd.to_numeric(pd.Series(syn).dropna(), errors="coerce").astype(float).round(MAX_DECIMALS)
    if a.empty or b.empty:
        return float("nan")
    return float(1.0 - ks_2samp(a, b).statistic)


def tv_complement(real: pd.Series, syn: pd.Series) -> float:
    counts_r, s = Counter(pd.Series(real).dropna()), Counter(pd.Series(syn).dropna())
    if not counts_r or not s:
        return float("nan")
    # a value only the generated rows have gets a tiny real weight, so it counts in the distance
    r: dict[object, float] = {v: float(n) for v, n in counts_r.items()}
    for v in s:
        r.setdefault(v, 1e-6)
    n_r, n_s = sum(r.values()), sum(s.values())
    return float(1.0 - 0.5 * sum(abs(s[v] / n_s - r[v] / n_r) for v in r))


def _discrete(x: pd.Series) -> np.ndarray:
    edges = np.histogram_bin_edges(x.dropna())
    return np.digitize(x, bins=edges)


def correlation_similarity(real: pd.DataFrame, syn: pd.DataFrame,
                           threshold: float = CORRELATION_THRESHOLD) -> tuple[float, float, float]:
    """``(score, r_real, r_syn)``; NaN when either side has a constant column or ``|r_real| <= threshold``."""
    if (real.nunique() == 1).any() or (syn.nunique() == 1).any():
        return float("nan"), float("nan"), float("nan")
    a, b = real.dropna(), syn.dropna()
    c1, c2 = real.columns[:2]
    rr = float(pearsonr(a[c1].astype(float), a[c2].astype(float))[0])
    if abs(rr) <= threshold:
        return float("nan"), rr, float("nan")
    rs = float(pearsonr(b[c1].astype(float), b[c2].astype(float))[0])
    if np.isnan(rr) or np.isnan(rs):
        return float("nan"), rr, rs
    return 1.0 - abs(rr - rs) / 2.0, rr, rs


def contingency_similarity(real: pd.DataFrame, syn: pd.DataFrame, threshold: float = ASSOCIATION_THRESHOLD) -> float:
    """``1 - TV`` of the joint frequencies; NaN unless the real data's Cramer's V exceeds ``threshold``."""
    from scipy.stats.contingency import association

    cols = list(real.columns[:2])
    counts = real.groupby(cols, dropna=False, observed=False).size()
    if threshold > 0:
        table = counts.unstack(fill_value=0)
        if table.to_numpy().sum() == 0 or min(table.shape) < 2:
            return float("nan")
        try:
            v = float(association(table.to_numpy(), method="cramer"))
        except (ValueError, ZeroDivisionError):
            return float("nan")
        if not v > threshold:
            return float("nan")
    cr = counts / len(real)
    cs = syn.groupby(cols, dropna=False, observed=False).size() / len(syn)
    idx = cr.index.union(cs.index, sort=False).drop_duplicates()
    diff = (cr.reindex(idx, fill_value=0) - cs.reindex(idx, fill_value=0)).abs().fillna(0)
    return float(1.0 - (diff / 2).sum())


def quality_score(real: pd.DataFrame, syn: pd.DataFrame, categorical: set[str] | list[str],
                  max_pairs: int | None = None) -> QualityScore:
    """Column shapes, pair trends and their mean for ``syn`` against ``real`` (same columns)."""
    cats = set(categorical)
    syn = syn[[c for c in real.columns]]
    kind = kinds(real, cats)
    shapes = []
    for c in real.columns:
        f = ks_complement if kind[c] == "numerical" else tv_complement
        shapes.append({"column": c, "metric": "KSComplement" if kind[c] == "numerical" else "TVComplement",
                       "score": f(real[c], syn[c])})
    disc_r = {c: _discrete(pd.to_numeric(real[c], errors="coerce")) for c in real.columns if kind[c] == "numerical"}
    disc_s = {c: _discrete(pd.to_numeric(syn[c], errors="coerce")) for c in real.columns if kind[c] == "numerical"}
    pairs = []
    for n_pair, (a, b) in enumerate(itertools.combinations(real.columns, 2)):
        if max_pairs is not None and n_pair >= max_pairs:
            break
        ka, kb = kind[a], kind[b]
        rr = rs = float("nan")
        if ka == kb == "numerical":
            score, rr, rs = correlation_similarity(real[[a, b]].apply(pd.to_numeric, errors="coerce"),
                                                   syn[[a, b]].apply(pd.to_numeric, errors="coerce"))
            metric = "CorrelationSimilarity"
        else:
            ra = pd.Series(disc_r[a], index=real.index) if ka == "numerical" else real[a]
            rb = pd.Series(disc_r[b], index=real.index) if kb == "numerical" else real[b]
            sa = pd.Series(disc_s[a], index=syn.index) if ka == "numerical" else syn[a]
            sb = pd.Series(disc_s[b], index=syn.index) if kb == "numerical" else syn[b]
            score = contingency_similarity(pd.DataFrame({a: ra, b: rb}), pd.DataFrame({a: sa, b: sb}))
            metric = "ContingencySimilarity"
        pairs.append({"column_a": a, "column_b": b, "metric": metric, "score": score, "real": rr, "synthetic": rs})
    shape_df = pd.DataFrame(shapes)
    pair_df = pd.DataFrame(pairs, columns=["column_a", "column_b", "metric", "score", "real", "synthetic"])
    return QualityScore(shape_df, pair_df, float(shape_df["score"].mean()) if len(shape_df) else float("nan"),
                        float(pair_df["score"].mean()) if len(pair_df) else float("nan"))
