"""Profiles of segments: what sets each one apart from the whole book, in numbers and words.

* sizes and shares; per-column means and medians against the book; lift (segment mean over
  book mean) and z-scores (on the modelling scale for features: log for skewed amounts,
  robust-scaled; on the raw scale for descriptive columns);
* the share of each level of every categorical column;
* one readable rule per segment (:mod:`core.segmentation.rules`);
* names that are true and unique (:mod:`core.segmentation.naming`); an RFM grid cell beside the
  name when the schema names recency, frequency and monetary columns; traits and a templated
  description.

Descriptive columns (``describe``) are profiled and can be checked against a name, but never
name a segment on their own: only the features the segmentation was built on do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.segmentation.labels import column_label, fmt_value, is_share
from core.segmentation.naming import NOISE_NAME, SegmentFacts, build_names
from core.segmentation.vocabulary import Vocabulary, default_vocabulary

NOISE = -1
__all__ = ["NOISE_NAME", "SegmentProfile", "profile_segments", "fmt_value", "is_share", "column_label"]

@dataclass
class SegmentProfile:
    """Everything that describes the segments, indexed by segment number (NOISE = -1 if present)."""

    sizes: pd.DataFrame  # index segment: size, share
    means: pd.DataFrame  # index segment + "all": numeric means (features, then descriptive columns)
    medians: pd.DataFrame  # same shape as means
    lift: pd.DataFrame  # segment x column: mean / book mean
    z: pd.DataFrame  # segment x column: deviation from the book (modelling scale for features)
    category_shares: dict[str, pd.DataFrame] = field(default_factory=dict)  # column -> segment+"all" x level share
    rules: dict = field(default_factory=dict)  # segment -> SegmentRule
    auto_names: dict[int, str] = field(default_factory=dict)
    rfm_cells: dict[int, str] = field(default_factory=dict)
    traits: dict[int, list[str]] = field(default_factory=dict)
    descriptions: dict[int, str] = field(default_factory=dict)
    features: tuple[str, ...] = ()
    semantics: dict[str, str] = field(default_factory=dict)

    @property
    def segments(self) -> list[int]:
        return [int(s) for s in self.sizes.index]

    def facts(self, pd_mean: pd.Series | None = None) -> SegmentFacts:
        """What names are read against (see :func:`core.segmentation.naming.check_name`)."""
        z = self.z.reindex(columns=[c for c in self.features if c in self.z.columns])
        return SegmentFacts(self.means, self.medians, z, self.category_shares, self.features, self.semantics, pd_mean)

    def table(self, names: dict[int, str] | None = None, columns: list[str] | None = None) -> pd.DataFrame:
        """The analyst's profile table: one row per segment with name, size, share and key means."""
        names = names or self.auto_names
        cols = columns or list(self.means.columns)
        out = self.sizes.copy()
        out.insert(0, "name", [names.get(int(s), str(s)) for s in out.index])
        for c in cols:
            out[c] = self.means.loc[out.index, c].to_numpy()
        book = pd.DataFrame({"name": ["Whole book"], "size": [int(self.sizes["size"].sum())], "share": [1.0],
                             **{c: [self.means.loc["all", c]] for c in cols}}, index=pd.Index(["all"]))
        return pd.concat([out, book])


# ---- statistics -------------------------------------------------------------------------------
def _stats(frame: pd.DataFrame, labels: np.ndarray, numeric: list[str], seed: int,
           median_rows: int = 200_000) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    lab = pd.Series(labels, index=frame.index, name="segment")
    counts = lab.value_counts().sort_index()
    sizes = pd.DataFrame({"size": counts.astype(int), "share": counts / len(lab)})
    sizes.index.name = "segment"
    if not numeric:  # categorical-only segmentation: empty numeric profile, one row per segment
        empty = pd.DataFrame(index=pd.Index([*sizes.index, "all"], dtype=object))
        seg_only = pd.DataFrame(index=sizes.index)
        return sizes, empty, empty.copy(), seg_only, seg_only.copy()
    num = frame[numeric].apply(pd.to_numeric, errors="coerce").astype(float)
    means = num.groupby(lab.to_numpy()).mean()
    means.loc["all"] = num.mean()
    if len(frame) > median_rows:
        idx = np.random.default_rng(seed).choice(len(frame), median_rows, replace=False)
        med_src, med_lab = num.iloc[idx], labels[idx]
    else:
        med_src, med_lab = num, labels
    medians = med_src.groupby(med_lab).median().reindex(sizes.index)
    medians.loc["all"] = med_src.median()
    pop_mean, pop_std = means.loc["all"], num.std().replace(0, np.nan)
    seg_means = means.drop(index="all")
    lift = seg_means / pop_mean.where(pop_mean.abs() > 1e-12)
    z = (seg_means - pop_mean) / pop_std
    return sizes, means, medians, lift, z.fillna(0.0)


def _category_shares(frame: pd.DataFrame, labels: np.ndarray, categorical: list[str]) -> dict[str, pd.DataFrame]:
    out = {}
    for c in categorical:
        s = frame[c].astype("object").where(frame[c].notna(), "missing").astype(str)
        top = s.value_counts().index[:8]
        s = s.where(s.isin(top), "other")
        tab = pd.crosstab(labels, s, normalize="index")
        tab.loc["all"] = s.value_counts(normalize=True)
        out[c] = tab.fillna(0.0)
    return out


def scaled_z(X_numeric: np.ndarray, labels: np.ndarray, numeric: list[str]) -> pd.DataFrame:
    """Segment z-scores on the modelling scale (log for skewed amounts, robust-scaled).

    Raw z-scores of a heavy-tailed balance are dominated by a few very rich customers; on the
    scale the clustering sees, a deviation means what the clustering meant by it.
    """
    Xs = pd.DataFrame(np.asarray(X_numeric, dtype=np.float64), columns=numeric)
    mu, sd = Xs.mean(), Xs.std().replace(0, np.nan)
    return ((Xs.groupby(labels).mean() - mu) / sd).fillna(0.0)


def rfm_cells(frame: pd.DataFrame, labels: np.ndarray, semantics: dict[str, str], vocab: Vocabulary | None = None) -> dict[int, str]:
    """RFM grid cell per segment when the schema names recency, frequency and monetary columns."""
    cols = [semantics.get(k) for k in ("recency", "frequency", "monetary")]
    if not all(c and c in frame.columns for c in cols):
        return {}
    grid = (vocab or default_vocabulary()).rfm_grid
    x = frame[cols].apply(pd.to_numeric, errors="coerce").astype(float)
    pop = x.median()
    seg = x.groupby(labels).median()
    out = {}
    for s, row in seg.iterrows():
        if s == NOISE:
            continue
        key = ("H" if row[cols[0]] <= pop[cols[0]] else "L") + ("H" if row[cols[1]] > pop[cols[1]] else "L") + \
              ("H" if row[cols[2]] > pop[cols[2]] else "L")
        out[int(s)] = grid.get(key, key)
    return out


# ---- words -----------------------------------------------------------------------------------
def traits_for(segment: int, profile: SegmentProfile, n: int = 3) -> list[str]:
    """The segment's strongest differences from the book, as short aggregate facts."""
    out = []
    feats = [c for c in profile.features if c in profile.z.columns]
    z = profile.z.loc[segment, feats] if feats else pd.Series(dtype=float)
    for c in z.abs().sort_values(ascending=False).index[:n]:
        if abs(z[c]) < 0.2:
            break
        seg, book = profile.means.loc[segment, c], profile.means.loc["all", c]
        share = is_share(c, profile.means[c])
        lift = profile.lift.loc[segment, c] if c in profile.lift.columns else np.nan
        label = column_label(c)
        if c.lower().startswith("has_") and 0 <= book <= 1:  # a product flag: who holds it
            from core.segmentation.vocabulary import product_words

            out.append(f"{fmt_value(seg, True)} hold {product_words(c[4:])} (book {fmt_value(book, True)})")
            continue
        if not share and np.isfinite(lift) and book > 0 and (lift >= 1.5 or lift <= 0.67):
            out.append(f"{label} {lift:.1f}× the book ({fmt_value(seg)} vs {fmt_value(book)})")
        else:
            word = "higher" if seg > book else "lower"
            out.append(f"{word} {label.lower()} ({fmt_value(seg, share)} vs {fmt_value(book, share)})")
    for c, tab in profile.category_shares.items():
        if c not in profile.features or segment not in tab.index:
            continue
        level = tab.loc[segment].idxmax()
        s, b = float(tab.loc[segment, level]), float(tab.loc["all", level])
        if s >= 0.5 and s >= 1.5 * b:
            out.append(f"{fmt_value(s, True)} with {column_label(c).lower()} '{level}' (book {fmt_value(b, True)})")
    return out[: n + 1]


def describe(segment: int, name: str, profile: SegmentProfile, rfm: str | None = None,
             extra: list[str] | None = None) -> str:
    """A short description from a template (a language model may replace it later)."""
    size = int(profile.sizes.loc[segment, "size"])
    share = float(profile.sizes.loc[segment, "share"])
    if segment == NOISE:
        return (f"{size:,} customers ({share:.0%} of the book) sit in no dense group; "
                "look at them one by one rather than as a segment.")
    text = f"{name}: {size:,} customers ({share:.0%} of the book)."
    traits = profile.traits.get(segment) or traits_for(segment, profile)
    if traits:
        text += " Compared with the whole book: " + "; ".join(traits) + "."
    rule = profile.rules.get(segment)
    if rule:
        text += f" Typically {rule.text} ({rule.precision:.0%} of customers matching that are in this segment)."
    if rfm:
        text += f" RFM cell: {rfm}."
    for e in extra or []:
        text += f" {e}"
    return text


# ---- the whole profile ---------------------------------------------------------------------------
def profile_segments(frame: pd.DataFrame, labels: np.ndarray, numeric: list[str], categorical: list[str] | None = None,
                     semantics: dict[str, str] | None = None, seed: int = 42, rules: bool = True,
                     X_numeric: np.ndarray | None = None, describe_columns: list[str] | None = None,
                     pd_mean: pd.Series | None = None, inherit_names: dict[int, str] | None = None,
                     vocab: Vocabulary | None = None) -> SegmentProfile:
    """Profile every segment of ``labels`` (aligned with ``frame``'s rows).

    ``numeric``/``categorical`` are the features; ``X_numeric`` (the scaled numeric features, in
    ``numeric`` order) puts their z-scores on the modelling scale. ``describe_columns`` are
    profiled too (e.g. age when it is not a feature) but never name a segment.
    ``inherit_names`` proposes names (e.g. those of the same groups at a neighbouring k).
    """
    from core.segmentation.rules import segment_rules

    categorical = categorical or []
    extra_num = [c for c in (describe_columns or []) if c in frame.columns and c not in numeric
                 and pd.api.types.is_numeric_dtype(frame[c])]
    extra_cat = [c for c in (describe_columns or []) if c in frame.columns and c not in categorical
                 and c not in extra_num and c not in numeric]
    sizes, means, medians, lift, z = _stats(frame, labels, numeric + extra_num, seed)
    if X_numeric is not None and numeric and X_numeric.shape[1] == len(numeric):
        zs = scaled_z(X_numeric, labels, numeric).reindex(z.index).fillna(0.0)
        z = pd.concat([zs, z[extra_num]], axis=1) if extra_num else zs
    prof = SegmentProfile(sizes, means, medians, lift, z, _category_shares(frame, labels, categorical + extra_cat),
                          features=tuple(numeric + categorical), semantics=dict(semantics or {}))
    if rules:
        prof.rules = segment_rules(frame, labels, numeric, categorical, seed=seed)
    prof.auto_names = build_names(prof.facts(pd_mean), vocab, inherit=inherit_names)
    prof.rfm_cells = rfm_cells(frame, labels, semantics or {}, vocab)
    prof.traits = {int(s): traits_for(int(s), prof) for s in sizes.index if s != NOISE}
    prof.descriptions = {int(s): describe(int(s), prof.auto_names.get(int(s), str(s)), prof, prof.rfm_cells.get(int(s)))
                         for s in sizes.index}
    return prof
