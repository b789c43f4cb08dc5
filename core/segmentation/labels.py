"""How segment columns and numbers read to an analyst: humanised column names, shares, compact numbers.

One place for the words and numbers that profiles, rules, names and reports print.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from core import formatting as F
from core.formatting import column_label

__all__ = ["column_label", "fmt_value", "is_share"]

_SHARE_NAME = re.compile(r"share|frequency|util|prc_|ratio|rate|pct|percent|^has_", re.I)


def is_share(column: str, values: pd.Series | None = None) -> bool:
    if values is not None and len(values):
        lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
        return lo >= 0 and hi <= 1.5 and bool(_SHARE_NAME.search(column))
    return bool(_SHARE_NAME.search(column))


def fmt_value(value: float, share: bool = False) -> str:
    """Compact, readable numbers: 0.7 -> 70% (shares), 85300 -> 85k, 1.25e6 -> 1.2M, 3.0 -> 3 (never scientific)."""
    if value is None or not np.isfinite(value):
        return "n/a"
    if share:
        pct = value * 100
        small = 0 < abs(pct) < 10 and not float(round(pct, 1)).is_integer()
        return F.pct(value, 1 if small else 0)
    a = abs(value)
    if a >= 1e6:
        return f"{F.number(value / 1e6, 1)}M"
    if a >= 1e4:
        return f"{F.number(value / 1e3, 0)}k"
    if a >= 1e3:
        return f"{F.number(value / 1e3, 1)}k"
    if a >= 100 or float(value).is_integer():
        return F.number(value, 0)
    if a >= 1:
        return F.number(value, 1)
    return F.number(value, 2)
