"""One readable rule per segment: a shallow one-vs-rest decision tree read back as text.

The tree is fitted on a sample over the original, unscaled features, so a rule reads like
``Annual income > 85k and Digital share > 70%`` and can be checked by anyone with the data. Each
rule carries its precision (customers matching the rule who are in the segment) and coverage
(segment members it catches).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier

from core.segmentation.cluster import NOISE
from core.segmentation.labels import column_label, fmt_value, is_share


@dataclass
class SegmentRule:
    text: str
    precision: float
    coverage: float

    def to_dict(self) -> dict:
        return {"text": self.text, "precision": self.precision, "coverage": self.coverage}


def _rule_matrix(frame: pd.DataFrame, numeric: list[str], categorical: list[str]) -> tuple[pd.DataFrame, dict]:
    parts = {}
    meta: dict[str, tuple] = {}
    for c in numeric:
        x = pd.to_numeric(frame[c], errors="coerce").astype(float)
        parts[c] = x.fillna(x.median())
        present = x.dropna()
        integral = bool(len(present)) and bool(np.all(np.mod(present.to_numpy(), 1) == 0))
        meta[c] = ("num", c, is_share(c, x), integral)
    for c in categorical:
        s = frame[c].astype("object").where(frame[c].notna(), "missing").astype(str)
        counts = s.value_counts()
        for lv in counts.index[:8]:
            key = f"{c}={lv}"
            parts[key] = (s == lv).astype(float)
            # a two-level column (yes/no, own/rent) says "is not no" as "is yes"
            other = next((str(o) for o in counts.index if o != lv), None) if len(counts) == 2 else None
            meta[key] = ("cat", c, lv, other)
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


def _level_text(level: object) -> str:
    """A category level as a rule reads it: 'self_employed' -> 'self employed'."""
    return str(level).replace("_", " ").strip()


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
            label = column_label(kind[1])
            level, other = _level_text(kind[2]), _level_text(kind[3]) if kind[3] is not None else None
            if ">" in b:
                texts.append(f"{label} is {level}")
            else:
                texts.append(f"{label} is {other}" if other is not None else f"{label} is not {level}")
            continue
        share = kind[2]
        label = column_label(name)
        if kind[3] and not share:  # whole numbers (days, counts): "> 0.5" reads "≥ 1"
            lo = int(np.floor(b[">"])) + 1 if ">" in b else None
            hi = int(np.floor(b["<="])) if "<=" in b else None
            if lo is not None and hi is not None:
                texts.append(f"{label} = {fmt_value(lo, share)}" if lo == hi else
                             f"{fmt_value(lo, share)} ≤ {label} ≤ {fmt_value(hi, share)}")
            elif lo is not None:
                texts.append(f"{label} ≥ {fmt_value(lo, share)}")
            elif hi is not None:
                texts.append(f"{label} ≤ {fmt_value(hi, share)}")
            continue
        if ">" in b and "<=" in b:
            texts.append(f"{fmt_value(b['>'], share)} < {label} ≤ {fmt_value(b['<='], share)}")
        elif ">" in b:
            texts.append(f"{label} > {fmt_value(b['>'], share)}")
        else:
            texts.append(f"{label} ≤ {fmt_value(b['<='], share)}")
    return " and ".join(dict.fromkeys(texts))  # "is yes" read from both of a two-level column's indicators: once


def _mask(X: np.ndarray, conds: list[tuple[int, str, float]]) -> np.ndarray:
    hit = np.ones(len(X), dtype=bool)
    for f, op, thr in conds:
        hit &= (X[:, f] > thr) if op == ">" else (X[:, f] <= thr)
    return hit


def _f1(hit: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    tp = float((hit & (y == 1)).sum())
    if tp == 0:
        return 0.0, 0.0, 0.0
    prec, cov = tp / hit.sum(), tp / y.sum()
    return 2 * prec * cov / (prec + cov), prec, cov


def _prune(X: np.ndarray, y: np.ndarray, conds: list[tuple[int, str, float]]) -> list[tuple[int, str, float]]:
    """The conditions without those that do not earn their place (F1 within 0.005 without them).

    A tree split that sets aside a handful of customers ("Transaction recency days ≥ 1" where
    almost everyone has at least one day) makes the rule longer, not truer.
    """
    kept = list(conds)
    while len(kept) > 1:
        full = _f1(_mask(X, kept), y)[0]
        features = list(dict.fromkeys(f for f, _, _ in kept))
        trials = [(f, _f1(_mask(X, [c for c in kept if c[0] != f]), y)[0]) for f in features]
        f, score = max(trials, key=lambda t: t[1])
        if score < full - 0.005:
            break
        kept = [c for c in kept if c[0] != f]
    return kept


def segment_rules(frame: pd.DataFrame, labels: np.ndarray, numeric: list[str], categorical: list[str],
                  seed: int = 42, sample_rows: int = 8_000, max_depth: int = 2) -> dict[int, SegmentRule]:
    """One readable rule per segment from a shallow one-vs-rest tree fitted on a sample."""
    n = len(frame)
    idx = np.arange(n) if n <= sample_rows else np.sort(np.random.default_rng(seed).choice(n, sample_rows, replace=False))
    sub = frame.iloc[idx]
    y_all = labels[idx]
    X, meta = _rule_matrix(sub, numeric, categorical)
    if X.shape[1] == 0:
        return {}
    cols = list(X.columns)
    Xv = X.to_numpy(dtype=np.float32)
    rules = {}
    for s in np.unique(y_all):
        if s == NOISE:
            continue
        y = (y_all == s).astype(int)
        if y.sum() < 2 or y.sum() == len(y):
            continue
        best = None
        for depth in sorted({max_depth, max_depth + 1}):
            if best is not None and best[0] >= 0.85:  # the shallow rule is good enough: no extra condition
                break
            tree = DecisionTreeClassifier(max_depth=depth, min_samples_leaf=max(5, int(0.005 * len(y))),
                                          class_weight="balanced", random_state=seed).fit(Xv, y)
            leaves = tree.apply(Xv)
            paths = _leaf_paths(tree)
            for leaf, conds in paths.items():
                hit = leaves == leaf
                if not conds or hit.sum() == 0:
                    continue
                score = _f1(hit, y)[0] - 0.05 * (depth - max_depth)  # a deeper rule must earn its extra condition
                if best is None or score > best[0]:
                    best = (score, conds)
        if best is not None:
            conds = _prune(Xv, y, best[1])
            _, prec, cov = _f1(_mask(Xv, conds), y)
            rules[int(s)] = SegmentRule(_condition_text(cols, meta, conds), round(prec, 3), round(cov, 3))
    return rules
