"""Profiles of segments: what sets each one apart from the whole book, in numbers and words.

* sizes and shares; per-feature means and medians against the population; lift (segment mean over
  book mean) and z-scores ((segment mean - book mean) / book standard deviation);
* rules: a shallow decision tree per segment (one-vs-rest) over the original, unscaled features,
  read back as text such as ``annual_income > 85k and digital_share > 70%`` with its precision
  (customers matching the rule who are in the segment) and coverage (segment members it catches);
* names built from the features that deviate most, with the words in
  ``assets/segmentation/naming_vocab.json``; an RFM grid cell when the schema names recency,
  frequency and monetary columns; a templated description.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier

from core.segmentation.cluster import NOISE

VOCAB_PATH = Path(__file__).resolve().parents[2] / "assets" / "segmentation" / "naming_vocab.json"
NOISE_NAME = "Unassigned (outliers)"
NAME_Z = 0.4  # a feature names a segment only when it deviates at least this much


@lru_cache(maxsize=1)
def load_vocab(path: str | None = None) -> dict:
    p = Path(path) if path else VOCAB_PATH
    try:
        return json.loads(p.read_text())
    except (OSError, ValueError):
        return {"fallback_noun": "customers", "entries": [], "rfm_grid": {}}


@dataclass
class SegmentRule:
    text: str
    precision: float
    coverage: float

    def to_dict(self) -> dict:
        return {"text": self.text, "precision": self.precision, "coverage": self.coverage}


@dataclass
class SegmentProfile:
    """Everything that describes the segments, indexed by segment number (NOISE = -1 if present)."""

    sizes: pd.DataFrame  # index segment: size, share
    means: pd.DataFrame  # index segment + "all": numeric feature means
    medians: pd.DataFrame  # same shape as means
    lift: pd.DataFrame  # segment x feature: mean / book mean
    z: pd.DataFrame  # segment x feature: (mean - book mean) / book std
    category_shares: dict[str, pd.DataFrame] = field(default_factory=dict)  # column -> segment x level share
    rules: dict[int, SegmentRule] = field(default_factory=dict)
    auto_names: dict[int, str] = field(default_factory=dict)
    rfm_cells: dict[int, str] = field(default_factory=dict)
    traits: dict[int, list[str]] = field(default_factory=dict)
    descriptions: dict[int, str] = field(default_factory=dict)

    @property
    def segments(self) -> list[int]:
        return [int(s) for s in self.sizes.index]

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


# ---- number formatting ----------------------------------------------------------------------
_SHARE_NAME = re.compile(r"share|frequency|util|prc_|ratio|rate|pct|percent", re.I)


def is_share(column: str, values: pd.Series | None = None) -> bool:
    if values is not None and len(values):
        lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
        return lo >= 0 and hi <= 1.5 and bool(_SHARE_NAME.search(column))
    return bool(_SHARE_NAME.search(column))


def fmt_value(value: float, share: bool = False) -> str:
    """Compact, readable numbers: 0.7 -> 70% (shares), 85300 -> 85k, 1.25e6 -> 1.2M, 3.0 -> 3."""
    if value is None or not np.isfinite(value):
        return "n/a"
    if share:
        pct = value * 100
        return f"{pct:.1f}%" if 0 < abs(pct) < 10 and not float(round(pct, 1)).is_integer() else f"{pct:.0f}%"
    a = abs(value)
    if a >= 1e6:
        return f"{value / 1e6:.1f}M"
    if a >= 1e4:
        return f"{value / 1e3:.0f}k"
    if a >= 1e3:
        return f"{value / 1e3:.1f}k"
    if a >= 100 or float(value).is_integer():
        return f"{value:.0f}"
    if a >= 1:
        return f"{value:.1f}"
    return f"{value:.2f}"


def pretty(column: str) -> str:
    return column.replace("_", " ").lower()


# ---- statistics -------------------------------------------------------------------------------
def _stats(frame: pd.DataFrame, labels: np.ndarray, numeric: list[str], seed: int,
           median_rows: int = 200_000) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    num = frame[numeric].apply(pd.to_numeric, errors="coerce").astype(float) if numeric else pd.DataFrame(index=frame.index)
    lab = pd.Series(labels, index=frame.index, name="segment")
    counts = lab.value_counts().sort_index()
    sizes = pd.DataFrame({"size": counts.astype(int), "share": counts / len(lab)})
    sizes.index.name = "segment"
    if not numeric:  # categorical-only segmentation: empty numeric profile, one row per segment
        empty = pd.DataFrame(index=pd.Index([*sizes.index, "all"], dtype=object))
        seg_only = pd.DataFrame(index=sizes.index)
        return sizes, empty, empty.copy(), seg_only, seg_only.copy()
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


# ---- rules ------------------------------------------------------------------------------------
def _rule_matrix(frame: pd.DataFrame, numeric: list[str], categorical: list[str]) -> tuple[pd.DataFrame, dict]:
    parts = {}
    meta = {}
    for c in numeric:
        x = pd.to_numeric(frame[c], errors="coerce").astype(float)
        parts[c] = x.fillna(x.median())
        meta[c] = ("num", c, is_share(c, x))
    for c in categorical:
        s = frame[c].astype("object").where(frame[c].notna(), "missing").astype(str)
        for lv in s.value_counts().index[:8]:
            key = f"{c}={lv}"
            parts[key] = (s == lv).astype(float)
            meta[key] = ("cat", c, lv)
    return pd.DataFrame(parts, index=frame.index), meta


def _leaf_paths(tree) -> dict[int, list[tuple[int, str, float]]]:
    t = tree.tree_
    paths: dict[int, list] = {}

    def walk(node: int, path: list) -> None:
        if t.children_left[node] == -1:
            paths[node] = path
            return
        f, thr = int(t.feature[node]), float(t.threshold[node])
        walk(t.children_left[node], [*path, (f, "<=", thr)])
        walk(t.children_right[node], [*path, (f, ">", thr)])

    walk(0, [])
    return paths


def _condition_text(cols: list[str], meta: dict, conds: list[tuple[int, str, float]]) -> str:
    # merge repeated conditions on one feature into the tightest bound(s)
    bounds: dict[str, dict[str, float]] = {}
    order: list[str] = []
    for f, op, thr in conds:
        name = cols[f]
        if name not in bounds:
            bounds[name] = {}
            order.append(name)
        b = bounds[name]
        if op == ">":
            b[">"] = max(b.get(">", -np.inf), thr)
        else:
            b["<="] = min(b.get("<=", np.inf), thr)
    texts = []
    for name in order:
        kind = meta[name]
        b = bounds[name]
        if kind[0] == "cat":
            texts.append(f"{kind[1]} is {kind[2]}" if ">" in b else f"{kind[1]} is not {kind[2]}")
            continue
        share = kind[2]
        if ">" in b and "<=" in b:
            texts.append(f"{fmt_value(b['>'], share)} < {name} ≤ {fmt_value(b['<='], share)}")
        elif ">" in b:
            texts.append(f"{name} > {fmt_value(b['>'], share)}")
        else:
            texts.append(f"{name} ≤ {fmt_value(b['<='], share)}")
    return " and ".join(texts)


def segment_rules(frame: pd.DataFrame, labels: np.ndarray, numeric: list[str], categorical: list[str],
                  seed: int = 42, sample_rows: int = 10_000, max_depth: int = 2) -> dict[int, SegmentRule]:
    """One readable rule per segment from a shallow one-vs-rest tree fitted on a sample."""
    n = len(frame)
    idx = np.arange(n) if n <= sample_rows else np.sort(np.random.default_rng(seed).choice(n, sample_rows, replace=False))
    sub = frame.iloc[idx]
    y_all = labels[idx]
    X, meta = _rule_matrix(sub, numeric, categorical)
    if X.shape[1] == 0:
        return {}
    cols = list(X.columns)
    Xv = X.to_numpy()
    rules = {}
    for s in np.unique(y_all):
        if s == NOISE:
            continue
        y = (y_all == s).astype(int)
        if y.sum() < 2 or y.sum() == len(y):
            continue
        best = None
        for depth in sorted({max_depth, max_depth + 1}):
            tree = DecisionTreeClassifier(max_depth=depth, min_samples_leaf=max(5, int(0.005 * len(y))),
                                          class_weight="balanced", random_state=seed).fit(Xv, y)
            leaves = tree.apply(Xv)
            paths = _leaf_paths(tree)
            for leaf, conds in paths.items():
                hit = leaves == leaf
                if not conds or hit.sum() == 0:
                    continue
                tp = float((hit & (y == 1)).sum())
                prec, cov = tp / hit.sum(), tp / y.sum()
                f1 = 0 if tp == 0 else 2 * prec * cov / (prec + cov)
                # a deeper rule must earn its extra condition
                score = f1 - 0.05 * (depth - max_depth)
                if best is None or score > best[0]:
                    best = (score, conds, prec, cov)
        if best is not None:
            rules[int(s)] = SegmentRule(_condition_text(cols, meta, best[1]), round(best[2], 3), round(best[3], 3))
    return rules


# ---- names and words -------------------------------------------------------------------------
def _vocab_entry(column: str, vocab: dict) -> dict | None:
    for e in vocab.get("entries", []):
        if re.search(e["pattern"], column, re.I):
            return e
    return None


def _name_segment(z: pd.Series, vocab: dict) -> str:
    top = z[z.abs() >= NAME_Z].abs().sort_values(ascending=False).index[:4]
    if len(top) == 0:
        return "Mainstream customers"
    adjs: list[str] = []
    noun, noun_col = None, None
    for c in top:  # the noun comes from the strongest feature that has one
        e = _vocab_entry(c, vocab)
        word = (e or {}).get("high" if z[c] > 0 else "low", {})
        if word.get("noun"):
            noun, noun_col = word["noun"], c
            break
    for c in top:
        if c == noun_col or len(adjs) == 2:
            continue
        e = _vocab_entry(c, vocab)
        word = (e or {}).get("high" if z[c] > 0 else "low", {})
        adj = word.get("adj") or f"{'High' if z[c] > 0 else 'Low'} {pretty(c)}"
        if noun and adj.lower() in noun.lower():  # "Cash-advance cash-advance users"
            continue
        if adj not in adjs:
            adjs.append(adj)
    words = [*adjs, noun or vocab.get("fallback_noun", "customers")]
    name = " ".join(w if i == 0 else (w if w[:1].isupper() and w[1:2].isupper() else w[:1].lower() + w[1:])
                    for i, w in enumerate(words))
    return name[:1].upper() + name[1:]


def auto_names(z: pd.DataFrame, vocab: dict | None = None) -> dict[int, str]:
    """A name per segment from its most deviating features; duplicates get a distinguishing number."""
    vocab = vocab or load_vocab()
    names = {int(s): _name_segment(z.loc[s], vocab) for s in z.index if s != NOISE}
    seen: dict[str, int] = {}
    for s in sorted(names):
        n = names[s]
        seen[n] = seen.get(n, 0) + 1
        if seen[n] > 1:
            names[s] = f"{n} ({seen[n]})"
    if NOISE in z.index:
        names[NOISE] = NOISE_NAME
    return names


def rfm_cells(frame: pd.DataFrame, labels: np.ndarray, semantics: dict[str, str], vocab: dict | None = None) -> dict[int, str]:
    """RFM grid cell per segment when the schema names recency, frequency and monetary columns."""
    cols = [semantics.get(k) for k in ("recency", "frequency", "monetary")]
    if not all(c and c in frame.columns for c in cols):
        return {}
    vocab = vocab or load_vocab()
    grid = vocab.get("rfm_grid", {})
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


def traits_for(segment: int, profile: SegmentProfile, n: int = 3) -> list[str]:
    z = profile.z.loc[segment]
    out = []
    for c in z.abs().sort_values(ascending=False).index[:n]:
        if abs(z[c]) < 0.2:
            break
        seg, book = profile.means.loc[segment, c], profile.means.loc["all", c]
        share = is_share(c, profile.means[c])
        lift = profile.lift.loc[segment, c]
        if not share and np.isfinite(lift) and book > 0 and (lift >= 1.5 or lift <= 0.67):
            out.append(f"{pretty(c)} {lift:.1f}× the book ({fmt_value(seg)} vs {fmt_value(book)})")
        else:
            word = "higher" if z[c] > 0 else "lower"
            out.append(f"{word} {pretty(c)} ({fmt_value(seg, share)} vs {fmt_value(book, share)})")
    return out


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


def scaled_z(X_numeric: np.ndarray, labels: np.ndarray, numeric: list[str]) -> pd.DataFrame:
    """Segment z-scores on the modelling scale (log for skewed amounts, robust-scaled).

    Raw z-scores of a heavy-tailed balance are dominated by a few very rich customers; on the
    scale the clustering sees, a deviation means what the clustering meant by it.
    """
    Xs = pd.DataFrame(np.asarray(X_numeric, dtype=np.float64), columns=numeric)
    mu, sd = Xs.mean(), Xs.std().replace(0, np.nan)
    return ((Xs.groupby(labels).mean() - mu) / sd).fillna(0.0)


def profile_segments(frame: pd.DataFrame, labels: np.ndarray, numeric: list[str], categorical: list[str] | None = None,
                     semantics: dict[str, str] | None = None, seed: int = 42, rules: bool = True,
                     X_numeric: np.ndarray | None = None) -> SegmentProfile:
    """Profile every segment of ``labels`` (aligned with ``frame``'s rows) on the original features.

    ``X_numeric`` (the scaled numeric columns, in ``numeric`` order) switches the z-scores that
    drive names and the heat map to the modelling scale; without it they are on the raw scale.
    """
    categorical = categorical or []
    sizes, means, medians, lift, z = _stats(frame, labels, numeric, seed)
    if X_numeric is not None and numeric and X_numeric.shape[1] == len(numeric):
        z = scaled_z(X_numeric, labels, numeric).reindex(z.index).fillna(0.0)
    prof = SegmentProfile(sizes, means, medians, lift, z, _category_shares(frame, labels, categorical))
    if rules:
        prof.rules = segment_rules(frame, labels, numeric, categorical, seed=seed)
    prof.auto_names = auto_names(z) if numeric else {int(s): f"Segment {int(s) + 1}" for s in sizes.index}
    if not numeric:  # categorical only: name by the dominant level
        for s in sizes.index:
            if s == NOISE:
                continue
            bits = []
            for c, tab in prof.category_shares.items():
                lv = tab.loc[s].idxmax()
                bits.append(f"{pretty(c)} {lv}")
            prof.auto_names[int(s)] = ", ".join(bits[:2]).capitalize() or f"Segment {int(s) + 1}"
    prof.rfm_cells = rfm_cells(frame, labels, semantics or {})
    prof.traits = {int(s): traits_for(int(s), prof) for s in sizes.index if s != NOISE and numeric}
    prof.descriptions = {int(s): describe(int(s), prof.auto_names.get(int(s), str(s)), prof, prof.rfm_cells.get(int(s)))
                         for s in sizes.index}
    return prof
