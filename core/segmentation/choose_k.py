"""Choosing k: a consensus of the sweep's evidence, said in one sentence, with a plain warning.

Every k that refits reproduce (bootstrap stability ARI >= 0.75; all k when none does) is a
candidate. Each piece of evidence votes for one candidate:

* **silhouette**: the highest; **Calinski-Harabasz**: the highest; **Davies-Bouldin**: the lowest;
* **stability**: the most detailed k that is as reproducible as the best one (its bootstrap ARI
  within two standard deviations of the best k's, at least 0.01). Stability saturates near 1 for
  every k the data supports, so "the most reproducible" alone is noise; "the largest k still as
  reproducible as the best" is the reading of Ben-Hur, Elisseeff & Guyon (2002);
* **the elbow** of inertia (K-means, Kneedle) or the lowest **BIC** (Gaussian mixture): one vote.

Calinski-Harabasz and Davies-Bouldin do not vote when their best is the largest k tried and they
improved at each of the last three candidate ks: on one or two continuous features (income alone) they improve with almost every further slice of a
continuum, so a best at the end of the range says "finer slices fit", not where the book splits
(on a loan book segmented on income alone they carried k = 12 against silhouette and stability).
The sentence says so.

The k with the most votes wins; a tie goes to the k with the best mean rank on silhouette,
Calinski-Harabasz, Davies-Bouldin and stability, then to the smaller k. When no two pieces of
evidence agree at all, the median of their choices is taken (the k that disagrees least with every
one of them), and the sentence says so.

When the best silhouette over every k is below 0.20, the choice comes with a warning that the
segments are slices of a continuum rather than distinct groups (Kaufman & Rousseeuw put "no
substantial structure" at 0.25; customer books seldom clear that, so the warning is kept for
structure that is clearly weak); when no k is reproducible, with a warning not to act on them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

STABLE_ARI = 0.75
STABILITY_TIE = 0.01
WEAK_SILHOUETTE = 0.20
METRIC_LABELS = {"silhouette": "silhouette", "calinski_harabasz": "Calinski-Harabasz",
                 "davies_bouldin": "Davies-Bouldin", "stability": "stability", "elbow": "the inertia elbow",
                 "bic": "BIC"}


@dataclass(frozen=True)
class KChoice:
    """The chosen k, the evidence's votes, the sentence that says why, and any warning."""

    k: int
    reason: str
    votes: dict[str, int] = field(default_factory=dict)  # evidence -> the k it prefers
    warning: str = ""
    weak: bool = False
    stable: bool = True
    best_silhouette: float | None = None

    def to_dict(self) -> dict:
        return {"k": self.k, "reason": self.reason, "votes": dict(self.votes), "warning": self.warning,
                "weak": self.weak, "stable": self.stable, "best_silhouette": self.best_silhouette}


def _value(table: pd.DataFrame, k: int, col: str) -> float:
    v = table.loc[table["k"] == k, col]
    return float(v.iloc[0]) if len(v) and pd.notna(v.iloc[0]) else float("nan")


def votes(table: pd.DataFrame, knee: int | None, method: str = "kmeans",
          at_edge: list[str] | None = None) -> tuple[dict[str, int], pd.DataFrame]:
    """Each piece of evidence's preferred k among the candidates, and the candidate table.

    ``at_edge`` (when given) receives the scores left out for being best at the largest k tried.
    """
    stable = table[table["stability_ari"] >= STABLE_ARI]
    pool = stable if not stable.empty else table
    out: dict[str, int] = {}
    k_max = int(table["k"].max())
    for col, best in (("silhouette", "max"), ("calinski_harabasz", "max"), ("davies_bouldin", "min")):
        s = pool[col].dropna()
        if not s.empty:
            k = int(pool.loc[s.idxmax() if best == "max" else s.idxmin(), "k"])
            if col != "silhouette" and k == k_max and _still_improving(pool, col, best):
                if at_edge is not None:
                    at_edge.append(col)
                continue
            out[col] = k
    st = pool["stability_ari"].dropna()
    if not st.empty:
        sd = pool.loc[st.idxmax(), "stability_sd"] if "stability_sd" in pool else np.nan
        band = max(STABILITY_TIE, 2 * float(sd)) if pd.notna(sd) else STABILITY_TIE
        near = pool.loc[st[st >= st.max() - band].index, "k"]
        out["stability"] = int(near.max())
    if method == "gmm" and "bic" in pool and pool["bic"].notna().any():
        out["bic"] = int(pool.loc[pool["bic"].idxmin(), "k"])
    elif knee is not None and knee in set(pool["k"]):
        out["elbow"] = int(knee)
    return out, pool


def _still_improving(pool: pd.DataFrame, col: str, best: str, steps: int = 3) -> bool:
    """The score got better at each of the last ``steps`` candidate ks (a trend, not a peak)."""
    s = pool.sort_values("k")[col].dropna().to_numpy(dtype=float)
    if len(s) < steps + 1:
        return False
    d = np.diff(s[-(steps + 1):])
    return bool(np.all(d > 0) if best == "max" else np.all(d < 0))


def choose_k(table: pd.DataFrame, knee: int | None = None, method: str = "kmeans") -> KChoice:
    """The consensus k of a sweep table.

    The table has the columns k, silhouette, calinski_harabasz, davies_bouldin, stability_ari, and
    inertia or bic.
    """
    t = table.reset_index(drop=True)
    edge: list[str] = []
    v, pool = votes(t, knee, method, edge)
    sil = t["silhouette"].dropna()
    best_sil = float(sil.max()) if not sil.empty else None
    if not v:
        k = int(pool["k"].iloc[0])
        return KChoice(k, f"k = {k}: the scores could not separate the choices, so the smallest k is suggested.",
                       {}, "The evidence could not be computed; treat these segments with caution.", True, False,
                       best_sil)
    ranks = pd.DataFrame({
        "silhouette": pool["silhouette"].rank(ascending=False),
        "calinski_harabasz": pool["calinski_harabasz"].rank(ascending=False),
        "davies_bouldin": pool["davies_bouldin"].rank(ascending=True),
        "stability": pool["stability_ari"].rank(ascending=False),
    }).mean(axis=1)
    mean_rank = dict(zip(pool["k"].astype(int), ranks, strict=True))
    tally: dict[int, int] = {}
    for k in v.values():
        tally[k] = tally.get(k, 0) + 1
    if len(v) >= 3 and max(tally.values()) == 1:
        # no two pieces of evidence agree: the median of their choices is the k that disagrees least with all of
        # them (for an even count, the better mean rank of the two middle ones)
        ordered = sorted(v.values())
        middle = ordered[(len(ordered) - 1) // 2: len(ordered) // 2 + 1]
        k = min(middle, key=lambda c: (mean_rank.get(c, np.inf), c))
        reason = _split_sentence(k, v)
    else:
        k = min(tally, key=lambda c: (-tally[c], mean_rank.get(c, np.inf), c))
        reason = _sentence(t, k, v, tally)
    if edge:
        names = " and ".join(METRIC_LABELS[m] for m in edge)
        reason += (f" {names} {'keeps' if len(edge) == 1 else 'keep'} improving up to the largest k tried "
                   f"(k = {int(t['k'].max())}), which says finer slices fit, not where the book splits: "
                   f"{'it does' if len(edge) == 1 else 'they do'} not vote.")
    stable_k = _value(t, k, "stability_ari") >= STABLE_ARI
    warning, weak = "", False
    if best_sil is not None and best_sil < WEAK_SILHOUETTE:
        weak = True
        shown = math.floor(best_sil * 1000 + 1e-9) / 1000  # rounded down: 0.1996 must not read "0.200 (below 0.20)"
        warning = (f"Weak structure: the best silhouette over k = {int(t['k'].min())}–{int(t['k'].max())} is "
                   f"{shown:.3f} (below {WEAK_SILHOUETTE:.2f}), so these segments are slices of a continuum rather "
                   "than distinct groups. Use them to summarise the book, and check a segment's profile before "
                   "acting on its name.")
    if not stable_k:
        warning = ((warning + " ") if warning else "") + (
            f"No k is reproducible (bootstrap stability below {STABLE_ARI} for every k): refits on resampled "
            "customers draw different borders, so do not act on these segments as they are.")
    return KChoice(k, reason, v, warning, weak, bool(stable_k), best_sil)


def _split_sentence(k: int, v: dict[str, int]) -> str:
    prefs = ", ".join(f"{METRIC_LABELS[m]} prefers k = {kk}" for m, kk in sorted(v.items(), key=lambda mk: mk[1]))
    return f"No two measures agree ({prefs}); k = {k} is the median of their choices, the k closest to all of them."


def _sentence(t: pd.DataFrame, k: int, v: dict[str, int], tally: dict[int, int]) -> str:
    won = [m for m, kk in v.items() if kk == k]
    facts = []
    for m in won:
        if m == "silhouette":
            facts.append(f"silhouette {_value(t, k, 'silhouette'):.2f}")
        elif m == "calinski_harabasz":
            facts.append(f"Calinski-Harabasz {_value(t, k, 'calinski_harabasz'):,.0f}")
        elif m == "davies_bouldin":
            facts.append(f"Davies-Bouldin {_value(t, k, 'davies_bouldin'):.2f}")
        elif m == "stability":
            facts.append(f"stability {_value(t, k, 'stability_ari'):.2f}")
        else:
            facts.append(METRIC_LABELS[m])
    others: dict[int, list[str]] = {}
    for m, kk in v.items():
        if kk != k:
            others.setdefault(kk, []).append(METRIC_LABELS[m])
    text = f"k = {k} wins {len(won)} of {len(v)} votes ({', '.join(facts)})"
    if others:
        text += "; " + ", ".join(f"{' and '.join(ms)} {'prefers' if len(ms) == 1 else 'prefer'} k = {kk}"
                                 for kk, ms in sorted(others.items()))
    return text + "."
