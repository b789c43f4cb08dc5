"""Performance measures of a PD model: discrimination, calibration, cutoffs, stability.

Convention: ``y = 1`` is a default (bad); a higher score (PD) means more risk; an applicant is
declined when ``pd >= cutoff``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

_EPS = 1e-12


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve from average ranks (ties count one half); NaN with a single class."""
    from scipy.stats import rankdata

    y = np.asarray(y).astype(bool)
    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    r = rankdata(np.asarray(score, dtype=float))
    return float((r[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def ks(y: np.ndarray, score: np.ndarray) -> float:
    """Kolmogorov-Smirnov: the largest gap between the score CDFs of goods and bads."""
    fpr, tpr, _ = roc(y, score)
    return float(np.max(tpr - fpr)) if len(fpr) else float("nan")


def roc(y: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.metrics import roc_curve

    if len(np.unique(y)) < 2:
        return np.array([]), np.array([]), np.array([])
    return roc_curve(y, score, drop_intermediate=True)


def brier(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((np.asarray(p, float) - np.asarray(y, float)) ** 2))


def log_loss(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(np.asarray(p, float), 1e-15, 1 - 1e-15)
    y = np.asarray(y, float)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def summary(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """AUC, Gini, KS, Brier, log loss, observed and mean predicted default rate."""
    a = auc(y, p)
    return {"auc": a, "gini": 2 * a - 1, "ks": ks(y, p), "brier": brier(y, p), "log_loss": log_loss(y, p),
            "default_rate": float(np.mean(y)), "mean_pd": float(np.mean(p)), "n": int(len(y))}


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Mean predicted vs observed default rate per quantile bin of the PD."""
    df = pd.DataFrame({"y": np.asarray(y, float), "p": np.asarray(p, float)})
    df["bin"] = pd.qcut(df["p"].rank(method="first"), q=min(bins, len(df)), labels=False)
    g = df.groupby("bin").agg(mean_pd=("p", "mean"), observed=("y", "mean"), n=("y", "size")).reset_index(drop=True)
    return g


def gains_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Deciles from riskiest to safest: bad rate, cumulative share of bads captured, lift."""
    df = pd.DataFrame({"y": np.asarray(y, float), "p": np.asarray(p, float)}).sort_values("p", ascending=False)
    df["decile"] = np.arange(len(df)) * bins // max(1, len(df)) + 1
    g = df.groupby("decile").agg(n=("y", "size"), bads=("y", "sum"), mean_pd=("p", "mean")).reset_index()
    total_bads = max(g["bads"].sum(), _EPS)
    base_rate = total_bads / max(g["n"].sum(), 1)
    g["bad_rate"] = g["bads"] / g["n"]
    g["cum_population"] = g["n"].cumsum() / g["n"].sum()
    g["cum_bads_captured"] = g["bads"].cumsum() / total_bads
    g["lift"] = g["bad_rate"] / max(base_rate, _EPS)
    g["cum_lift"] = g["cum_bads_captured"] / g["cum_population"]
    return g


@dataclass(frozen=True)
class Confusion:
    """Counts at a cutoff: a *positive* is a decline (predicted bad)."""

    cutoff: float
    tp: int  # bad declined
    fp: int  # good declined
    tn: int  # good approved
    fn: int  # bad approved

    @property
    def approval_rate(self) -> float:
        n = self.tp + self.fp + self.tn + self.fn
        return (self.tn + self.fn) / n if n else float("nan")

    @property
    def fpr(self) -> float:
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else float("nan")

    @property
    def fnr(self) -> float:
        return self.fn / (self.fn + self.tp) if self.fn + self.tp else float("nan")

    def cost(self, cost_bad_accepted: float, cost_good_declined: float) -> float:
        return self.fn * cost_bad_accepted + self.fp * cost_good_declined

    def matrix(self) -> pd.DataFrame:
        return pd.DataFrame([[self.tn, self.fp], [self.fn, self.tp]], index=["actual good", "actual bad"],
                            columns=["approved", "declined"])


def confusion(y: np.ndarray, p: np.ndarray, cutoff: float) -> Confusion:
    y = np.asarray(y).astype(bool)
    declined = np.asarray(p) >= cutoff
    return Confusion(float(cutoff), int((declined & y).sum()), int((declined & ~y).sum()),
                     int((~declined & ~y).sum()), int((~declined & y).sum()))


def cost_curve(y: np.ndarray, p: np.ndarray, cost_bad_accepted: float = 5.0, cost_good_declined: float = 1.0,
               grid: int = 201) -> pd.DataFrame:
    """Expected cost per applicant at each cutoff of a grid over [0, 1]."""
    y = np.asarray(y).astype(bool)
    p = np.asarray(p, float)
    cutoffs = np.unique(np.concatenate([np.linspace(0, 1, grid), np.quantile(p, np.linspace(0, 1, grid))]))
    order = np.argsort(p)
    ps, ys = p[order], y[order]
    cum_bad = np.concatenate([[0], np.cumsum(ys)])  # bads with p < cutoff (approved)
    cum_good = np.concatenate([[0], np.cumsum(~ys)])
    k = np.searchsorted(ps, cutoffs, side="left")
    fn = cum_bad[k]
    fp = (~ys).sum() - cum_good[k]
    cost = (fn * cost_bad_accepted + fp * cost_good_declined) / max(len(y), 1)
    return pd.DataFrame({"cutoff": cutoffs, "cost": cost, "approval_rate": k / max(len(y), 1)})


def cost_based_cutoff(y: np.ndarray, p: np.ndarray, cost_bad_accepted: float = 5.0, cost_good_declined: float = 1.0) -> dict:
    """The cutoff with the least expected cost on ``(y, p)``, and the Bayes cutoff for calibrated PD.

    With calibrated PDs the cost-minimising rule is to decline when
    ``pd >= c_good_declined / (c_good_declined + c_bad_accepted)`` (1/6 for German credit's 5:1).
    """
    curve = cost_curve(y, p, cost_bad_accepted, cost_good_declined)
    best = curve.loc[curve["cost"].idxmin()]
    return {"cutoff": float(best["cutoff"]), "cost_per_applicant": float(best["cost"]),
            "approval_rate": float(best["approval_rate"]),
            "bayes_cutoff": cost_good_declined / (cost_good_declined + cost_bad_accepted)}


def psi(expected: np.ndarray, actual: np.ndarray, bins: int = 10) -> float:
    """Population stability index of ``actual`` against ``expected`` on the expected's decile bins.

    Rule of thumb: < 0.1 stable, 0.1-0.25 some shift, > 0.25 a significant shift.
    """
    return float(psi_table(expected, actual, bins)["psi"].sum())


def psi_table(expected: np.ndarray, actual: np.ndarray, bins: int = 10) -> pd.DataFrame:
    expected = np.asarray(expected, float)
    actual = np.asarray(actual, float)
    expected, actual = expected[~np.isnan(expected)], actual[~np.isnan(actual)]
    edges = np.unique(np.quantile(expected, np.linspace(0, 1, bins + 1)))
    edges[0], edges[-1] = -np.inf, np.inf
    if len(edges) < 3:
        edges = np.array([-np.inf, np.median(expected), np.inf])
    e = np.histogram(expected, edges)[0] / max(len(expected), 1)
    a = np.histogram(actual, edges)[0] / max(len(actual), 1)
    e_, a_ = np.clip(e, 1e-4, None), np.clip(a, 1e-4, None)
    return pd.DataFrame({"low": edges[:-1], "high": edges[1:], "expected": e, "actual": a,
                         "psi": (a_ - e_) * np.log(a_ / e_)})


def psi_label(value: float) -> str:
    return "stable" if value < 0.1 else ("some shift" if value < 0.25 else "significant shift")
