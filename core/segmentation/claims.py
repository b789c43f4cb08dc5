"""What a word of a segment name claims, and whether the profile bears it out.

Every word of a name makes a claim about one column (or about the predicted PD): "big spenders"
says the segment's spend is above the book's. :func:`claim` reads a claim against a segment's
profile at two bars: *strict* for automatic names (the mean beyond the book's by at least 10 %,
the median not on the other side; a level or product held by at least half the segment and well
above the book's share) and *contradiction* for names typed by the analyst (only a mean on the
wrong side, or a level most of the segment does not have, fails).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.segmentation.labels import fmt_value, is_share
from core.segmentation.vocabulary import HIGH, LOW, Meaning, level_key

MIN_LIFT = 0.10  # the raw mean must differ from the book's by this share
LEVEL_SHARE, LEVEL_LIFT = 0.5, 1.5
HOLDING_SHARE, HOLDING_LIFT = 0.5, 1.3
VERY = 2.5  # "very high-balance": the mean at least 2.5x the book's (at most 1/2.5 for a low word)
NOISE = -1


@dataclass
class SegmentFacts:
    """What names are checked against, per segment, plus the book as row ``"all"``.

    ``means``/``medians`` cover every numeric column profiled (features and descriptive ones);
    ``z`` covers the numeric features on the modelling scale; ``shares`` holds, per categorical
    column, the share of each level; ``pd_mean`` the mean predicted PD when a credit model exists.
    """

    means: pd.DataFrame
    medians: pd.DataFrame
    z: pd.DataFrame
    shares: dict[str, pd.DataFrame]
    features: tuple[str, ...]
    semantics: dict[str, str]
    pd_mean: pd.Series | None = None

    @property
    def segments(self) -> list[int]:
        return [int(s) for s in self.z.index if s != NOISE]


def _num(frame: pd.DataFrame, row, column: str) -> float:
    try:
        return float(frame.loc[row, column])
    except (KeyError, TypeError, ValueError):
        return float("nan")


def _fmt(value: float, column: str) -> str:
    return fmt_value(value, is_share(column))


def claim(facts: SegmentFacts, segment: int, meaning_or_pd: Meaning | str, direction: str,
          strict: bool) -> tuple[bool | None, str]:
    """Whether the profile bears a claim out: (True/False, or None when it cannot be read; why).

    ``strict`` is the bar for automatic names; otherwise only a contradiction fails (the mean on
    the other side of the book's, or a level or product that most of the segment does not have).
    """
    if meaning_or_pd == "pd":
        if facts.pd_mean is None or segment not in facts.pd_mean.index:
            return None, "there is no credit model to read the predicted PD from"
        s, b = float(facts.pd_mean[segment]), float(facts.pd_mean["all"])
        ok = (s > b * (1 + MIN_LIFT)) if direction == HIGH else (s < b * (1 - MIN_LIFT))
        if not strict:
            ok = s > b if direction == HIGH else s < b
        return ok, f"mean predicted PD {s:.1%} against {b:.1%} for the book"
    m = meaning_or_pd
    assert isinstance(m, Meaning)
    col = m.column
    if m.concept.levels and direction not in (HIGH, LOW):
        tab = facts.shares.get(col)
        if tab is None:
            return None, f"'{col}' is not in the profile"
        levels = {level_key(c): c for c in tab.columns}
        if direction not in levels or segment not in tab.index:
            return False, f"no customer in this segment has '{direction}'"
        s, b = float(tab.loc[segment, levels[direction]]), float(tab.loc["all", levels[direction]])
        ok = s >= LEVEL_SHARE and s >= LEVEL_LIFT * b if strict else (s >= LEVEL_SHARE and s > b)
        return ok, f"{s:.0%} of the segment against {b:.0%} of the book"
    s, b = _num(facts.means, segment, col), _num(facts.means, "all", col)
    if not np.isfinite(s) or not np.isfinite(b):
        return None, f"'{col}' is not in the profile"
    if m.concept.holding:
        if direction == HIGH:
            ok = s >= HOLDING_SHARE and s >= HOLDING_LIFT * b if strict else (s >= HOLDING_SHARE and s > b)
        else:
            ok = s <= 0.5 * b if strict else s < b
        return ok, f"{s:.0%} hold it against {b:.0%} of the book"
    ms, mb = _num(facts.medians, segment, col), _num(facts.medians, "all", col)
    why = f"{_fmt(s, col)} on average against {_fmt(b, col)} for the book"
    if not strict:
        return (s > b if direction == HIGH else s < b), why
    margin = MIN_LIFT * abs(b) if abs(b) > 1e-12 else 0.0
    if direction == HIGH:
        ok = s > b + margin and not (np.isfinite(ms) and np.isfinite(mb) and ms < mb)
    else:
        ok = s < b - margin and not (np.isfinite(ms) and np.isfinite(mb) and ms > mb)
    return ok, why


def very(facts: SegmentFacts, segment: int, column: str, direction: str) -> bool:
    """Whether the segment's mean is far from the book's: 2.5x above (high) or below 1/2.5 (low)."""
    s, b = _num(facts.means, segment, column), _num(facts.means, "all", column)
    if not (np.isfinite(s) and np.isfinite(b)) or b <= 0:
        return False
    return s >= VERY * b if direction == HIGH else s <= b / VERY
