"""Pair and conditional checks a risk analyst reads: do generated rows keep the book's own rules?

Each check compares one share or correlation between real and generated rows:

* **balance <= limit**: the share of rows whose balance exceeds the limit (schema semantics
  ``balance`` and ``limit``, or the ``BILL_AMT*``/``LIMIT_BAL`` pair of card files);
* **consecutive months**: for a family of monthly columns (``bill_amt1`` ... ``bill_amt6``,
  ``pay_0`` ... ``pay_6``), the mean correlation of each month with the next;
* **zero share**: the share of exact zeros in each zero-inflated column (at least 5% zeros);
* **granularity**: the share of values on the column's observed rounding (whole units, cents).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from core.scenarios.quality import is_numeric

_FAMILY = re.compile(r"^(.*?)(\d+)$")


def month_families(columns: list[str], min_members: int = 3) -> dict[str, list[str]]:
    """Column families with a numeric suffix, in suffix order (e.g. ``bill_amt1..6``)."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for c in columns:
        m = _FAMILY.match(str(c))
        if m and m.group(1):
            groups.setdefault(m.group(1), []).append((int(m.group(2)), c))
    return {k: [c for _, c in sorted(v)] for k, v in groups.items() if len(v) >= min_members}


def _lag_corr(frame: pd.DataFrame, cols: list[str]) -> float:
    vals = []
    for a, b in zip(cols, cols[1:], strict=False):
        x = pd.to_numeric(frame[a], errors="coerce")
        y = pd.to_numeric(frame[b], errors="coerce")
        if x.nunique() > 1 and y.nunique() > 1:
            vals.append(float(x.corr(y)))
    return float(np.nanmean(vals)) if vals else float("nan")


def _decimals(x: np.ndarray) -> int:
    for d in range(0, 5):
        if np.allclose(np.round(x, d), x, rtol=0, atol=1e-9):
            return d
    return 5


def pair_checks(real: pd.DataFrame, syn: pd.DataFrame, semantics: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per check: ``check``, ``columns``, ``real``, ``generated``, ``gap`` (absolute difference)."""
    rows = []
    sem = semantics or {}
    cols = [c for c in real.columns if c in syn.columns]
    lower = {str(c).lower(): c for c in cols}
    pairs = []
    if sem.get("balance") in cols and sem.get("limit") in cols:
        pairs.append((sem["balance"], sem["limit"]))
    if "limit_bal" in lower:
        for fam_cols in month_families([c for c in cols if str(c).lower().startswith("bill_amt")]).values():
            pairs += [(c, lower["limit_bal"]) for c in fam_cols[:1]]
    for bal, lim in pairs:
        def over(f: pd.DataFrame, b: str = bal, m: str = lim) -> float:
            x, y = pd.to_numeric(f[b], errors="coerce"), pd.to_numeric(f[m], errors="coerce")
            return float(((x > y * 1.0001) & (y > 0)).mean())

        rows.append({"check": "balance over the limit", "columns": f"{bal} > {lim}", "real": over(real), "generated": over(syn)})
    for members in month_families(cols).values():
        if all(is_numeric(real[c]) for c in members):
            rows.append({"check": "consecutive months (mean correlation)", "columns": f"{members[0]} ... {members[-1]}",
                         "real": _lag_corr(real, members), "generated": _lag_corr(syn, members)})
    for c in cols:
        if not is_numeric(real[c]) or real[c].nunique() <= 15:
            continue
        x = pd.to_numeric(real[c], errors="coerce")
        zeros = float((x == 0).mean())
        if zeros >= 0.05:
            rows.append({"check": "zero share", "columns": c, "real": zeros,
                         "generated": float((pd.to_numeric(syn[c], errors="coerce") == 0).mean())})
        d = _decimals(x.dropna().to_numpy()[:5000])
        if d < 5:
            y = pd.to_numeric(syn[c], errors="coerce").dropna().to_numpy()
            on_grid = float(np.mean(np.isclose(np.round(y, d), y, rtol=0, atol=1e-9))) if y.size else float("nan")
            if on_grid < 0.999:
                rows.append({"check": f"on the observed rounding ({d} decimals)", "columns": c, "real": 1.0,
                             "generated": on_grid})
    out = pd.DataFrame(rows, columns=["check", "columns", "real", "generated"])
    out["gap"] = (out["generated"] - out["real"]).abs()
    return out.sort_values("gap", ascending=False).reset_index(drop=True)
