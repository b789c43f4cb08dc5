"""The macro-to-PD satellite model: how the 12-month default odds move with the economy.

Estimated from the book's history (:class:`~core.scenarios.history.PortfolioHistory`) as a
logistic regression with the credit model's score as an offset::

    logit P(default within 12 months | row it) = a + score_it + sum_d b_d (m_d,it - m_d,as-of)

* ``score_it`` is the credit model's log-odds for the customer's own characteristics at ``t``,
  with its macro inputs (if it has any) held at the as-of values: the satellite carries the
  economy, the credit model the customer. One date cannot identify a sensitivity to the cycle, so
  a credit model's own macro response is never used when a history is there.
* ``m_d,it`` is driver ``d``'s column (regional unemployment, the policy rate, house-price growth)
  averaged over the four periods after ``t`` - the conditions over the outcome year - keeping the
  row's own regional gap. House prices act on mortgages only.
* Standard errors are cluster-robust by period x regional gap (defaults in one region and quarter
  share a shock), and every coefficient must point the adverse way (unemployment and rates up,
  house prices down raise PD); one that does not is set to zero, refitted without, and reported.

Without a history, or for a driver no column carries, the assumed elasticities of
``assets/scenarios/presets.json`` stand in, labelled as assumptions.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.scenarios.history import PortfolioHistory
from core.scenarios.presets import Presets

logger = logging.getLogger(__name__)
MAX_ROWS = 150_000
Z95 = 1.959964


@dataclass(frozen=True)
class SatelliteTerm:
    """One driver's effect: log-odds per column unit (and per driver unit), with its uncertainty."""

    driver: str
    column: str | None
    coef: float  # log-odds per column unit
    se: float
    per_unit: float  # column units per driver unit (0.01 for bp of a % column)
    products: tuple[str, ...] | None
    source: str  # "estimated", "constrained" (wrong sign, set to 0) or "assumed"
    seen: tuple[float, float] | None = None  # the regressor's range in the history (column units)
    raw_coef: float | None = None  # the unconstrained estimate

    @property
    def per_driver_unit(self) -> float:
        return self.coef * self.per_unit

    @property
    def ci95(self) -> tuple[float, float]:
        return (self.coef - Z95 * self.se, self.coef + Z95 * self.se)


@dataclass(frozen=True)
class SatelliteModel:
    terms: dict[str, SatelliteTerm]
    intercept: float = 0.0
    n_rows: int = 0
    n_periods: int = 0
    notes: tuple[str, ...] = ()
    fingerprint: str = field(default="")

    @property
    def estimated(self) -> bool:
        return any(t.source in ("estimated", "constrained") for t in self.terms.values())

    def log_odds(self, deltas: dict[str, np.ndarray], shocks: dict[str, float], products: np.ndarray,
                 bound: float = 0.0) -> np.ndarray:
        """Per-row log-odds added by the shocks.

        ``deltas`` holds each driver's per-row column change (so a floored rate cut counts as far as
        it goes); drivers without a column use the scalar shock. ``bound`` moves every coefficient
        by that many standard errors the adverse way (+) or the benign way (-).
        """
        n = products.size
        total = np.zeros(n)
        for key, t in self.terms.items():
            if key in deltas and t.column is not None:
                units = np.asarray(deltas[key], dtype=np.float64)
            else:
                v = float(shocks.get(key, 0.0))
                if v == 0.0:
                    continue
                units = np.full(n, v * t.per_unit)
            coef = t.coef + bound * t.se * np.sign(t.coef if t.coef else 1.0)
            applies = np.ones(n) if not t.products else np.isin(products, t.products).astype(float)
            total += coef * units * applies
        return total

    def table(self, presets: Presets) -> pd.DataFrame:
        """One line per driver: effect per driver unit with its 95% interval, where it comes from."""
        rows = []
        for key, t in self.terms.items():
            d = presets.drivers[key]
            lo, hi = t.ci95
            rows.append({"driver": d.label, "column": t.column or "-", "unit": d.unit,
                         "log_odds_per_unit": t.per_driver_unit, "ci95_low": lo * t.per_unit, "ci95_high": hi * t.per_unit,
                         "std_error": t.se * abs(t.per_unit), "applies_to": ", ".join(t.products) if t.products else "all",
                         "source": t.source, "unconstrained": None if t.raw_coef is None else t.raw_coef * t.per_unit})
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        return {"terms": {k: {**t.__dict__, "products": list(t.products) if t.products else None,
                              "seen": list(t.seen) if t.seen else None} for k, t in self.terms.items()},
                "intercept": self.intercept, "n_rows": self.n_rows, "n_periods": self.n_periods, "notes": list(self.notes)}


def _fingerprint(terms: dict[str, SatelliteTerm], extra: object) -> str:
    payload = json.dumps({"t": {k: [t.coef, t.se, t.source] for k, t in sorted(terms.items())}, "x": extra},
                         sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def assumed(presets: Presets, keys: list[str], per_unit: dict[str, float], columns: Mapping[str, str | None],
            note: str) -> dict[str, SatelliteTerm]:
    """Terms from the presets' assumed elasticities (log-odds per driver unit)."""
    out = {}
    for k in keys:
        d = presets.drivers[k]
        pu = per_unit.get(k, 1.0) or 1.0
        out[k] = SatelliteTerm(k, columns.get(k), d.overlay_log_odds_per_unit / pu, 0.0, pu, d.overlay_products, "assumed")
    if keys:
        logger.info("satellite: assumed elasticities for %s (%s)", keys, note)
    return out


def _fit_logit(x: np.ndarray, y: np.ndarray, offset: np.ndarray, iters: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Newton-Raphson for a logistic regression with an offset; returns (beta, Hessian)."""
    beta = np.zeros(x.shape[1])
    h = np.eye(x.shape[1])
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-np.clip(offset + x @ beta, -30, 30)))
        w = p * (1 - p)
        h = x.T @ (x * w[:, None]) + 1e-8 * np.eye(x.shape[1])
        step = np.linalg.solve(h, x.T @ (y - p))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-9:
            break
    return beta, h


def _cluster_cov(x: np.ndarray, y: np.ndarray, offset: np.ndarray, beta: np.ndarray, h: np.ndarray,
                 clusters: np.ndarray) -> np.ndarray:
    p = 1.0 / (1.0 + np.exp(-np.clip(offset + x @ beta, -30, 30)))
    score = x * (y - p)[:, None]
    codes, inv = np.unique(clusters, return_inverse=True)
    sums = np.zeros((codes.size, x.shape[1]))
    np.add.at(sums, inv, score)
    g = codes.size
    meat = sums.T @ sums * (g / max(g - 1, 1))
    hinv = np.linalg.inv(h)
    return hinv @ meat @ hinv


def fit_satellite(history: PortfolioHistory, score_logit, columns: dict[str, str], per_unit: dict[str, float],
                  adverse: dict[str, int], products_of, presets: Presets, *, seed: int = 0,
                  max_rows: int = MAX_ROWS) -> SatelliteModel:
    """Estimate the terms for ``columns`` (driver -> column present in the history).

    ``score_logit(frame)`` is the credit model's log-odds (macro inputs already moved to the as-of
    values by the caller's frame), ``products_of(frame)`` each row's product class, ``adverse`` the
    sign of a driver's adverse move (+1: up is adverse).
    """
    target = history.target
    if target is None or target not in history.frame.columns:
        return SatelliteModel(assumed(presets, list(columns), per_unit, columns, "no target in the history"),
                              notes=("The history has no default flag: assumed elasticities are used.",))
    keep = {k: c for k, c in columns.items() if c in history.frame.columns
            and np.ptp(history.period_means(c)) > 1e-6}
    rows = history.sample_rows(max_rows, seed, labelled=True)
    fwd = {k: history.forward_mean(c)[rows] for k, c in keep.items()}
    ok = np.all([np.isfinite(v) for v in fwd.values()], axis=0) if fwd else np.ones(rows.size, bool)
    rows = rows[ok]
    fwd = {k: v[ok] for k, v in fwd.items()}
    sub = history.frame.iloc[rows].copy()
    for c in keep.values():
        sub[c] = history.at_as_of(c)[rows]
    y = pd.to_numeric(sub[target], errors="coerce").to_numpy(dtype=np.float64)
    y = (y >= 0.5).astype(np.float64)
    products = products_of(sub)
    offset = np.asarray(score_logit(sub), dtype=np.float64)
    as_of = {k: history.period_means(c)[-1] for k, c in keep.items()}
    design = {}
    for k in keep:
        d = presets.drivers[k]
        applies = np.ones(rows.size) if not d.overlay_products else np.isin(products, d.overlay_products).astype(float)
        design[k] = (fwd[k] - as_of[k]) * applies
    first = next(iter(keep.values()), None)
    gap = (history.frame[first].to_numpy(dtype=np.float64)[rows] - history.period_means(first)[history.period_index[rows]]
           if first else np.zeros(rows.size))
    clusters = history.period_index[rows] * 1000 + np.round(gap * 10).astype(np.int64) % 1000
    notes = [f"Estimated on {rows.size:,} customer-quarters over {history.n_periods} periods."]
    active = list(keep)
    raw: dict[str, float] = {}
    while True:
        x = np.column_stack([np.ones(rows.size), *[design[k] for k in active]])
        beta, h = _fit_logit(x, y, offset)
        cov = _cluster_cov(x, y, offset, beta, h, clusters)
        wrong = [k for j, k in enumerate(active) if np.sign(beta[j + 1]) * adverse[k] < 0]
        for j, k in enumerate(active):
            raw.setdefault(k, float(beta[j + 1]))
        if not wrong:
            break
        worst = max(wrong, key=lambda k: abs(beta[active.index(k) + 1]))
        notes.append(f"{presets.drivers[worst].label}: the estimate pointed the benign way "
                     f"({raw[worst] * per_unit[worst]:+.3f} log-odds per {presets.drivers[worst].unit}); "
                     "it is set to 0 so a worse economy never lowers PD.")
        active.remove(worst)
    se = np.sqrt(np.maximum(np.diag(cov), 0.0))
    terms: dict[str, SatelliteTerm] = {}
    for k, c in keep.items():
        d = presets.drivers[k]
        lo, hi = float(np.nanmin(fwd[k])), float(np.nanmax(fwd[k]))
        if k in active:
            j = active.index(k) + 1
            terms[k] = SatelliteTerm(k, c, float(beta[j]), float(se[j]), per_unit[k], d.overlay_products, "estimated",
                                     (lo, hi), raw[k])
        else:
            terms[k] = SatelliteTerm(k, c, 0.0, 0.0, per_unit[k], d.overlay_products, "constrained", (lo, hi), raw.get(k))
    missing = [k for k in columns if k not in keep]
    if missing:
        terms.update(assumed(presets, missing, per_unit, columns, "no variation in the history"))
        notes.append("No movement over the history for " + ", ".join(presets.drivers[k].label for k in missing)
                     + ": assumed elasticities are used for them.")
    return SatelliteModel(terms, float(beta[0]), int(rows.size), history.n_periods, tuple(notes),
                          _fingerprint(terms, [rows.size, history.n_periods]))
