"""Exact structure in a table that a generator should not have to learn: found once, applied after sampling.

A classifier tells generated rows from real ones first by the rules real rows never break. Three
kinds are discovered on the training rows (each must hold on every row, within the column's
rounding) and enforced on every generated row, so the generator spends its capacity on what is
really uncertain:

* **Groups**: discrete columns whose combinations are few (regional unemployment, house prices,
  the policy rate and the region of a book observed over quarters take about one joint value per
  region and quarter). The generator still models each column (so any of them can be pinned to any
  value, a stress included); a generated row's unpinned members are then moved to the nearest
  combination that occurs in the data, so a row never carries a combination real rows never have.
* **Sums and products**: a column equal to the sum of a family of flags (``n_products`` =
  ``has_*``) or to the product of two others (``card_balance`` = ``card_limit`` x
  ``card_utilisation``) is recomputed from them.
* **Per-level equalities**: a column equal to a fixed combination of one or two others within each
  level of a categorical column (``ead`` = ``loan_amount`` for loans, the drawn balance plus half
  the undrawn line for cards) is recomputed where the rule holds.
* **Zero with a flag**: a numeric column that is zero exactly when a flag is zero (no card, no limit):
  the generated flag follows the generated amount (or, when the flag is pinned, the amount is set
  to zero where the flag is zero).

Everything is JSON (no pickle); :meth:`Structure.enforce` applies all of it to generated rows,
leaving pinned columns exactly as given.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.scenarios.structure_rows import LevelCodes, level_codes, nearest, take

MAX_GROUP_LEVELS = 256
MAX_LEVELS_DISCRETE = 128
SAMPLE = 5000
PRODUCT_SCREEN_ROWS = 64  # rows a candidate product must fit before the full check


def _num(frame: pd.DataFrame, c: str) -> np.ndarray:
    return pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=np.float64)


def _decimals(x: np.ndarray) -> int:
    x = x[np.isfinite(x)][:SAMPLE]
    for d in range(0, 7):
        if np.allclose(np.round(x, d), x, rtol=0, atol=1e-9):
            return d
    return 7


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


@dataclass
class Structure:
    groups: list[list[str]] = field(default_factory=list)
    group_levels: list[list[list]] = field(default_factory=list)  # per group: observed combinations (JSON values)
    sums: list[dict] = field(default_factory=list)  # {"target", "inputs"}
    products: list[dict] = field(default_factory=list)  # {"target", "a", "b", "decimals"}
    equalities: list[dict] = field(default_factory=list)  # {"target", "by", "rules": {level: [coefs over inputs]}, ...}
    zero_with: list[dict] = field(default_factory=list)  # {"target", "flag"}
    implies: list[dict] = field(default_factory=list)  # {"target", "by", "rules": {level: value}}

    # ---- discovery ---------------------------------------------------------------------------
    @classmethod
    def discover(cls, frame: pd.DataFrame, categorical: set[str], protect: frozenset[str] | set[str] = frozenset()) -> Structure:
        """Find the groups and identities that hold on every row of ``frame`` (``protect``: never derive these)."""
        s = cls()
        sample = frame.sample(SAMPLE, random_state=0) if len(frame) > SAMPLE else frame
        s._find_sums(sample, protect)
        s._find_products(sample, protect)
        s._find_equalities(sample, categorical, protect)
        s._find_zero_with(sample, protect)
        s._find_implies(sample, categorical, protect)
        s._confirm(frame)
        s._find_groups(frame, categorical, set(s.derived))
        return s

    def _confirm(self, frame: pd.DataFrame) -> None:
        """Keep only the identities that also hold on every training row (found on a sample)."""
        for kind in ("sums", "products", "equalities", "zero_with", "implies"):
            kept = []
            for r in getattr(self, kind):
                c = r["target"]
                alone = Structure(**{kind: [r]})  # this rule only, on the real inputs (only the columns it reads or writes)
                a, b = _num(frame, c), _num(alone.enforce(frame[[x for x in frame.columns if x in _rule_columns(r)]].copy()), c)
                scale = 10.0 ** -_decimals(a) + 1e-6
                if kind == "products":
                    xa, xb = _num(frame, r["a"]), _num(frame, r["b"])
                    scale = scale + np.abs(xb) * 0.5 * 10.0 ** -_decimals(xa) + np.abs(xa) * 0.5 * 10.0 ** -_decimals(xb)
                ok = ~np.isfinite(a) | (np.abs(a - b) <= scale)
                if ok.all():
                    kept.append(r)
            setattr(self, kind, kept)

    @property
    def derived(self) -> list[str]:
        return [r["target"] for r in (*self.sums, *self.products)] + [r["target"] for r in self.equalities]

    def _find_sums(self, f: pd.DataFrame, protect: frozenset[str] | set[str]) -> None:
        flags = [c for c in f.columns if _is_numeric(f[c]) and set(pd.unique(f[c].dropna())) <= {0, 1}]
        prefixes: dict[str, list[str]] = {}
        for c in flags:
            prefixes.setdefault(str(c).split("_")[0], []).append(c)
        for members in prefixes.values():
            if len(members) < 3:
                continue
            total = f[members].sum(axis=1).to_numpy(dtype=np.float64)
            for c in f.columns:
                if c in members or c in protect or not _is_numeric(f[c]):
                    continue
                if np.array_equal(_num(f, c), total):
                    self.sums.append({"target": c, "inputs": list(members)})

    def _find_products(self, f: pd.DataFrame, protect: frozenset[str] | set[str]) -> None:
        num = [c for c in f.columns if _is_numeric(f[c]) and f[c].nunique() > 2]
        taken = {r["target"] for r in self.sums}
        x = {c: _num(f, c) for c in num}
        dec = {c: _decimals(x[c]) for c in num}
        pairs = list(itertools.combinations(num, 2))
        if not pairs:
            return
        # a necessary test on a few rows for every pair at once; only the pairs passing it are checked in full
        head = np.arange(min(len(f), PRODUCT_SCREEN_ROWS))
        pa = np.stack([x[a][head] for a, _ in pairs])
        pb = np.stack([x[b][head] for _, b in pairs])
        prod_head = pa * pb
        tol_head = np.abs(pb) * 0.5 * np.array([10.0 ** -dec[a] for a, _ in pairs])[:, None] \
            + np.abs(pa) * 0.5 * np.array([10.0 ** -dec[b] for _, b in pairs])[:, None] + 1e-9
        for c in num:
            if c in protect or c in taken:
                continue
            y = x[c]
            d = dec[c]
            with np.errstate(invalid="ignore"):
                gap = np.abs(prod_head - y[head][None, :])
                screen = np.all(~np.isfinite(gap) | (gap <= tol_head + 10.0 ** -d), axis=1)
            for i in np.flatnonzero(screen):
                a, b = pairs[i]
                if c in (a, b):
                    continue
                xa, xb = x[a], x[b]
                prod = xa * xb
                ok = np.isfinite(prod) & np.isfinite(y)
                # within the rounding of the target and of both inputs, as real rows are
                tol = 10.0 ** -d + np.abs(xb) * 0.5 * 10.0 ** -dec[a] + np.abs(xa) * 0.5 * 10.0 ** -dec[b] + 1e-9
                if ok.mean() > 0.99 and np.all(np.abs(prod[ok] - y[ok]) <= tol[ok]) and np.std(y[ok]) > 0:
                    self.products.append({"target": c, "a": a, "b": b, "decimals": d})
                    taken.add(c)
                    break

    def _find_equalities(self, f: pd.DataFrame, categorical: set[str], protect: frozenset[str] | set[str]) -> None:
        taken = set(self.derived)
        products = {r["target"] for r in self.products}
        num = [c for c in f.columns if _is_numeric(f[c]) and f[c].nunique() > 2 and c not in categorical]
        by_candidates = [c for c in f.columns if (c in categorical or not _is_numeric(f[c])) and 1 < f[c].nunique() <= 12]
        if not num or not by_candidates:
            return
        values = np.column_stack([np.nan_to_num(_num(f, c)) for c in num])
        dec = {c: _decimals(_num(f, c)) for c in num}
        # per (by, level): the correlation matrix of the numeric columns, once
        corr_by: dict[str, dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
        for by in by_candidates:
            levels = f[by].astype(str).to_numpy()
            corr_by[by] = {}
            for level in pd.unique(levels):
                rows = levels == level
                if rows.sum() >= 20:
                    x = values[rows]
                    sd = x.std(axis=0)
                    z = (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
                    corr_by[by][level] = (rows, np.abs(z.T @ z) / rows.sum() + (sd == 0)[:, None] * (sd == 0)[None, :], x)
        for ci in reversed(range(len(num))):  # derived columns usually come after what they are derived from
            c = num[ci]
            if c in protect or c in taken:
                continue
            d = dec[c]
            tol = 10.0 ** -d + 1e-6  # one unit of the last decimal: rounding order differs, nothing else
            pool = [j for j, x in enumerate(num) if x != c and (x not in taken or x in products)]
            for by in by_candidates:
                rules = {}
                for level, (_rows, corr, level_values) in corr_by[by].items():
                    order = sorted(pool, key=lambda j: -corr[ci, j])[:4]
                    yr = level_values[:, ci]
                    for k in (1, 2):
                        hit = None
                        for combo in itertools.combinations(order, k):
                            x = level_values[:, list(combo)]
                            coef, *_ = np.linalg.lstsq(x, yr, rcond=None)
                            coef = np.round(coef, 6)
                            if np.max(np.abs(np.round(x @ coef, d) - yr)) <= tol:
                                hit = {"inputs": [num[j] for j in combo], "coef": coef.tolist()}
                                break
                        if hit:
                            rules[str(level)] = hit
                            break
                covered = sum(int(corr_by[by][lv][0].sum()) for lv in rules)
                if rules and covered >= 0.3 * len(f):
                    self.equalities.append({"target": c, "by": by, "rules": rules, "decimals": d})
                    taken.add(c)
                    break

    def _find_zero_with(self, f: pd.DataFrame, protect: frozenset[str] | set[str]) -> None:
        flags = [c for c in f.columns if _is_numeric(f[c]) and set(pd.unique(f[c].dropna())) == {0, 1}]
        for c in f.columns:
            if c in protect or c in flags or not _is_numeric(f[c]):
                continue
            zero = _num(f, c) == 0
            if not 0.01 < zero.mean() < 0.99:
                continue
            for flag in flags:
                if np.array_equal(zero, _num(f, flag) == 0):
                    self.zero_with.append({"target": c, "flag": flag})
                    break

    def _find_implies(self, f: pd.DataFrame, categorical: set[str], protect: frozenset[str] | set[str]) -> None:
        """A level of a categorical column that fixes a numeric column (a card product: the card flag is 1, no term)."""
        taken = set(self.derived)
        by_candidates = [c for c in f.columns if (c in categorical or not _is_numeric(f[c])) and 1 < f[c].nunique() <= 12]
        targets = [c for c in f.columns if _is_numeric(f[c]) and c not in protect and c not in taken and c not in categorical
                   and f[c].nunique() > 1]
        min_rows = max(30, int(0.01 * len(f)))
        for c in targets:
            y = _num(f, c)
            for by in by_candidates:
                levels = f[by].astype(str).to_numpy()
                rules = {}
                for level in pd.unique(levels):
                    rows = levels == level
                    v = y[rows]
                    if rows.sum() >= min_rows and np.isfinite(v).all() and (v == v[0]).all() and np.mean(y == v[0]) < 0.99:
                        rules[str(level)] = _py(v[0])
                if rules:
                    self.implies.append({"target": c, "by": by, "rules": rules})

    def _find_groups(self, f: pd.DataFrame, categorical: set[str], derived: set[str]) -> None:
        cand = [c for c in f.columns if c not in derived and 1 < f[c].nunique(dropna=False) <= MAX_LEVELS_DISCRETE
                and (c in categorical or not _is_numeric(f[c]) or f[c].nunique() * 30 <= len(f))]
        card = {c: f[c].nunique(dropna=False) for c in cand}
        keys = {c: pd.factorize(f[c], use_na_sentinel=False)[0].astype(np.int64) for c in cand}
        used: set[str] = set()
        for c in sorted(cand, key=lambda c: -card[c]):
            if c in used:
                continue
            group, key, levels = [c], keys[c], card[c]
            for other in sorted(cand, key=lambda c: -card[c]):
                if other in used or other in group:
                    continue
                joint = key * (card[other] + 1) + keys[other]
                n_joint = len(np.unique(joint))
                # few of the possible combinations occur, each often enough to trust: structure, not chance
                if n_joint <= MAX_GROUP_LEVELS and n_joint <= 0.25 * levels * card[other] and len(f) >= 30 * n_joint:
                    group.append(other)
                    key = pd.factorize(joint)[0].astype(np.int64)
                    levels = n_joint
            if len(group) > 1:
                used.update(group)
                combos = f[group].drop_duplicates()
                self.groups.append(group)
                self.group_levels.append([[_py(v) for v in row] for row in combos.itertuples(index=False, name=None)])

    # ---- applying -------------------------------------------------------------------------------
    def snap(self, frame: pd.DataFrame, keep: set[str]) -> pd.DataFrame:
        """Move each row's unpinned group members to the nearest observed combination.

        The distance is the sum of squared scaled differences over numeric members plus 4 per
        categorical member that differs. Up to a per-row constant it is ``|r|^2 - 2 x.r`` over the
        numeric members (one small matmul) minus 4 for each categorical member the combination
        matches (a row of a (levels, combinations) table looked up by the row's integer level
        code, never a string comparison nor a one-hot matrix); the argmin runs on cache-sized
        blocks of rows.
        """
        out = frame
        for group, combos in zip(self.groups, self.group_levels, strict=True):
            free = [c for c in group if c in out.columns and c not in keep]
            if not free or len(out) == 0:
                continue
            table = pd.DataFrame(combos, columns=group)
            n_ref = len(table)
            rr = np.zeros(n_ref)
            rows, refs = [], []  # numeric members: scaled row values (n,), scaled combination values (R,)
            matches = []  # categorical members: (row level codes (n,), (levels + 1, R) table of -4 per match)
            key: np.ndarray | None = np.zeros(len(out), dtype=np.int64)  # the row's level codes as one number, while all are categorical
            for c in group:
                if c not in out.columns:
                    continue
                col = out[c]
                if _is_numeric(col) and _is_numeric(table[c]):
                    key = None
                    ref = table[c].to_numpy(dtype=np.float64)
                    scale = np.nanstd(ref) or 1.0
                    rows.append(_num(out, c) / scale)
                    refs.append(ref / scale)
                    rr += (ref / scale) ** 2
                else:
                    levels, ref_codes = np.unique(table[c].astype(str).to_numpy(), return_inverse=True)
                    codes = level_codes(col, list(levels))
                    key = None if key is None else key * (len(levels) + 1) + codes + 1
                    match = np.zeros((len(levels) + 1, n_ref), dtype=np.float32)  # the last row (code -1, a level no combination has) matches none
                    match[ref_codes.ravel(), np.arange(n_ref)] = -4.0
                    rr += 2.0
                    matches.append((codes, match))
            # float32 distances: half the memory traffic of the (rows, combinations) blocks; only exact ties can differ
            x = np.column_stack(rows).astype(np.float32) if rows else np.zeros((len(out), 0), dtype=np.float32)
            missing = ~np.isfinite(x).all(axis=1)
            x[missing] = 0.0
            rt = (-2.0 * np.stack(refs)).astype(np.float32) if refs else np.zeros((0, n_ref), dtype=np.float32)
            rr = rr.astype(np.float32)
            if key is not None:  # categorical members only: few distinct rows, each solved once
                _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
                best = nearest(x[first], rt, rr, [(codes[first], m) for codes, m in matches])[inverse.ravel()]
            else:
                best = nearest(x, rt, rr, matches)
            best[missing] = 0
            for c in free:
                out[c] = take(table[c], best, out[c].dtype)
        return out

    def enforce(self, frame: pd.DataFrame, keep: frozenset[str] | set[str] = frozenset()) -> pd.DataFrame:
        """Snap groups, then recompute every derived column from its inputs (``keep``: pinned columns, untouched)."""
        out = self.snap(frame, set(keep))
        for r in self.zero_with:
            t, flag = r["target"], r["flag"]
            if t not in out or flag not in out:
                continue
            if flag not in keep:  # the flag follows the amount (no amount, no product), which keeps the amount's own shape
                out[flag] = (_num(out, t) != 0).astype(out[flag].dtype)
            elif t not in keep:  # a pinned flag: no product, no amount
                out[t] = np.where(_num(out, flag) == 0, 0, out[t]).astype(out[t].dtype)
        levels = LevelCodes(out)  # each by-column's level codes, once (rules below never write a by-column they read)
        for r in self.implies:
            t = r["target"]
            if t in keep or t not in out or r["by"] not in out:
                continue
            level_of = levels.of(r["by"], list(r["rules"]))
            hit = level_of >= 0
            if hit.any():
                integer = pd.api.types.is_integer_dtype(out[t].dtype)
                fixed = np.asarray(list(r["rules"].values()), dtype=np.float64)
                y = out[t].to_numpy(dtype=out[t].dtype if integer else np.float64, copy=True)
                y[hit] = fixed.astype(y.dtype)[level_of[hit]]
                out[t] = y
                levels.changed(t)
        for r in self.products:
            if r["target"] not in keep and {r["a"], r["b"]} <= set(out.columns):
                out[r["target"]] = np.round(_num(out, r["a"]) * _num(out, r["b"]), r["decimals"])
        for r in self.equalities:
            if r["target"] in keep or r["by"] not in out:
                continue
            level_of = levels.of(r["by"], list(r["rules"]))
            y = _num(out, r["target"]).copy()
            for i, rule in enumerate(r["rules"].values()):
                rows = level_of == i
                if rows.any() and set(rule["inputs"]) <= set(out.columns):
                    x = np.column_stack([_num(out, a)[rows] for a in rule["inputs"]])
                    y[rows] = np.round(x @ np.asarray(rule["coef"]), r["decimals"])
            out[r["target"]] = y
            levels.changed(r["target"])
        for r in self.sums:
            if r["target"] not in keep and set(r["inputs"]) <= set(out.columns):
                parts = [out[c].to_numpy() for c in r["inputs"]]
                exact = all(p.dtype.kind in "iub" for p in parts)  # integer flags: an integer total, as pandas' row sum gives
                kind = np.int64 if exact else np.float64
                total: np.ndarray = np.zeros(len(out), dtype=kind)
                for p in parts:
                    np.add(total, np.nan_to_num(p.astype(kind)), out=total)  # a missing input counts 0, as pandas skips it
                out[r["target"]] = total.astype(out[r["target"]].dtype) if pd.api.types.is_integer_dtype(out[r["target"]]) \
                    else total
        return out

    def to_dict(self) -> dict:
        return {"groups": self.groups, "group_levels": self.group_levels, "sums": self.sums, "products": self.products,
                "equalities": self.equalities, "zero_with": self.zero_with, "implies": self.implies}

    @classmethod
    def from_dict(cls, d: dict | None) -> Structure:
        d = d or {}
        return cls(list(d.get("groups", [])), list(d.get("group_levels", [])), list(d.get("sums", [])),
                   list(d.get("products", [])), list(d.get("equalities", [])), list(d.get("zero_with", [])),
                   list(d.get("implies", [])))

    def describe(self) -> list[str]:
        lines = [f"modelled together: {', '.join(g)} ({len(lv)} combinations)" for g, lv in zip(self.groups, self.group_levels,
                                                                                                strict=True)]
        lines += [f"{r['target']} = sum of {', '.join(r['inputs'])}" for r in self.sums]
        lines += [f"{r['target']} = {r['a']} x {r['b']}" for r in self.products]
        lines += [f"{r['target']} from {', '.join(sorted({a for x in r['rules'].values() for a in x['inputs']}))} by {r['by']}"
                  for r in self.equalities]
        lines += [f"{r['target']} is 0 where {r['flag']} is 0" for r in self.zero_with]
        lines += [f"{r['target']} fixed by {r['by']} ({', '.join(f'{k}: {v}' for k, v in r['rules'].items())})" for r in self.implies]
        return lines


def _py(v):
    return v.item() if isinstance(v, np.generic) else v


def _rule_columns(r: dict) -> set[str]:
    """Every column a sum, product, equality, zero-with or implication rule reads or writes."""
    cols = {r["target"], *r.get("inputs", ()), *(r[k] for k in ("a", "b", "by", "flag") if k in r)}
    if isinstance(r.get("rules"), dict):
        cols.update(a for rule in r["rules"].values() if isinstance(rule, dict) for a in rule.get("inputs", ()))
    return cols
