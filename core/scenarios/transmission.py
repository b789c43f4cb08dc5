"""Stress transmission: from a scenario's shocks to the columns that move and to PD.

Each driver reaches PD by one documented channel, shown on the page (:attr:`Binding.channel`):

* **satellite** (macro drivers: unemployment, the policy rate, house prices): the column is
  shifted (the generator conditions on it; collateral is revalued by house prices), the credit
  model scores the customer with its macro inputs held at the as-of values, and the satellite
  model (:mod:`core.scenarios.satellite`) adds ``sum_d b_d x shift_d`` in log-odds. ``b`` is
  estimated from the book's history where there is one, else assumed (``presets.json``).
* **credit model** (customer drivers: incomes, card utilisation): the customer's own column moves,
  with the columns tied to it by accounting (debt-to-income over a smaller income; the card
  balance with utilisation), and the credit model scores the result. A credit model without that
  column gets the assumed elasticity instead.
* **generated**: the columns that move with the economy in the history (:func:`default_dependents`)
  are shifted by the generator's learned response (:meth:`TabularVAE.shift`), customer by customer.

A policy-rate cut is relief (a driver of its own: negative log-odds), floored at 0%. Every
adverse move of a driver raises PD through its channel, so expected loss never falls as a driver
gets worse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.data.schema import Schema
from core.scenarios.presets import Driver, Presets, Scenario


@dataclass(frozen=True)
class Binding:
    """Where a driver lives in this dataset, whether the credit model sees it, and its channel."""

    driver: str
    column: str | None
    carried: bool  # the column is a feature of the credit model
    kind: str  # "macro" or "customer"
    satellite: str = "assumed"  # for macro drivers: "estimated", "constrained" or "assumed"
    share_scale: bool = False  # utilisation stored as a share (0..1) rather than percent

    @property
    def channel(self) -> str:
        if self.kind == "macro":
            if self.column is None:
                return "satellite (assumed; no such column)"
            held = ", credit model input held" if self.carried else ""
            return f"satellite ({self.satellite}){held} + generator"
        if self.column is None:
            return "assumed elasticity (no such column)"
        return "credit model + generator" if self.carried else "assumed elasticity (not a model feature) + generator"


def bind_drivers(frame: pd.DataFrame, schema: Schema, presets: Presets, model_features: list[str],
                 satellite_sources: dict[str, str] | None = None) -> dict[str, Binding]:
    out = {}
    for key, d in presets.drivers.items():
        col = schema.semantics.get(d.semantic)
        if col not in frame.columns:
            col = None
        share = False
        if col is not None and d.op == "add_share":
            share = float(pd.to_numeric(frame[col], errors="coerce").quantile(0.99)) <= 1.5
        out[key] = Binding(key, col, col is not None and col in model_features, d.kind,
                           (satellite_sources or {}).get(key, "assumed"), share)
    return out


def per_unit(d: Driver, b: Binding) -> float:
    """Column units per one driver unit."""
    if d.op == "add_bp":
        return 0.01
    if d.op == "add_share":
        return 0.01 if b.share_scale else 1.0
    return 1.0


@dataclass
class Shocked:
    """New values of the shocked columns, each driver's per-row column change, and what moved by accounting."""

    columns: dict[str, np.ndarray]
    deltas: dict[str, np.ndarray]  # driver -> column change per row (column units; after floors and clips)
    identities: list[str]


def shock_columns(frame: pd.DataFrame, scenario: Scenario, bindings: dict[str, Binding], presets: Presets,
                  schema: Schema, products: np.ndarray, collateral_column: str | None) -> Shocked:
    """Every bound driver column at its shocked value (unchanged when its shock is 0), plus what moves with it."""
    cols: dict[str, np.ndarray] = {}
    deltas: dict[str, np.ndarray] = {}
    moved: list[str] = []
    for key, b in bindings.items():
        if b.column is None:
            continue
        d = presets.drivers[key]
        v = float(scenario.shocks.get(key, 0.0))
        x = pd.to_numeric(frame[b.column], errors="coerce").to_numpy(dtype=np.float64)
        new = x * (1 + v / 100.0) if d.op == "pct" else x + v * per_unit(d, b)
        if d.op == "add_share":
            new = np.clip(new, 0.0, 1.0 if b.share_scale else 100.0)
        if d.floor is not None:
            new = np.maximum(new, np.minimum(x, d.floor))
        cols[b.column] = new
        deltas[key] = new - x
        if v != 0.0:
            moved += _identities(frame, schema, d, x, new, cols)
        if d.collateral_products and collateral_column and collateral_column in frame.columns:
            c = pd.to_numeric(frame[collateral_column], errors="coerce").fillna(0).to_numpy(dtype=np.float64)
            hit = np.isin(products, d.collateral_products)
            cols[collateral_column] = np.where(hit, np.maximum(0.0, c * (1 + v / 100.0)), c)
    return Shocked(cols, deltas, moved)


def _identities(frame: pd.DataFrame, schema: Schema, d: Driver, old: np.ndarray, new: np.ndarray,
                cols: dict[str, np.ndarray]) -> list[str]:
    """Columns tied to a shocked one by accounting, moved with it (only where the schema names them)."""
    moved = []
    for rule in d.identities:
        col = schema.semantics.get(rule["semantic"])
        if not col or col not in frame.columns:
            continue
        cur = cols.get(col, pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=np.float64))
        if rule["op"] == "over_income":  # debt service over income: dti x old / new income
            cols[col] = cur * np.where(new > 0, old / np.maximum(new, 1e-9), 1.0)
        elif rule["op"] == "utilisation_times_limit":
            limit = schema.semantics.get("limit")
            if not limit or limit not in frame.columns:
                continue
            lim = pd.to_numeric(frame[limit], errors="coerce").fillna(0).to_numpy(dtype=np.float64)
            cols[col] = cur + (new - old) * lim
        else:
            continue
        moved.append(col)
    return moved


@dataclass
class Overlay:
    """Log-odds added outside the credit model (satellite and assumed terms) and one line per driver."""

    log_odds: np.ndarray
    table: pd.DataFrame


def apply_log_odds(pd_: np.ndarray, log_odds: np.ndarray) -> np.ndarray:
    p = np.clip(pd_, 1e-9, 1 - 1e-9)
    return 1.0 / (1.0 + np.exp(-(np.log(p / (1 - p)) + log_odds)))


# contract terms and identity attributes do not move with the economy within a year: never redrawn by default
_STRUCTURAL = re.compile(r"(^|_)(age|tenure|term|duration|loan_amount|credit_amount|amount_granted|limit|purpose|region|"
                         r"n_products|num_products|employment|sex|gender|personal_status|dependents|residence)(_|$)|^has_", re.I)


def default_dependents(frame: pd.DataFrame, drivers: list[str], exclude: list[str], k: int = 8,
                       threshold: float = 0.15, seed: int = 0, history=None) -> list[str]:
    """Columns the generator moves under a stress.

    With a history: the ``k`` numeric columns whose period averages move most with a driver's over
    the cycle (|correlation| of the period means above ``threshold``). Without: those most
    rank-correlated with a driver across customers. Never the drivers, the ``exclude``d columns
    (exposure, collateral, product, accounting identities), flags, or contract and identity attributes.
    """
    drivers = [c for c in drivers if c in frame.columns and c not in exclude]
    if not drivers:
        return []
    num = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])]
    cand = [c for c in num if c not in drivers and c not in exclude and frame[c].nunique() > 2 and not _STRUCTURAL.search(c)]
    if not cand:
        return []
    if history is not None and all(c in history.frame.columns for c in [*cand, *drivers]):
        means = pd.DataFrame({c: history.period_means(c) for c in [*cand, *drivers]})
        corr = means.corr().abs().fillna(0.0)
    else:
        sample = frame.sample(min(len(frame), 5000), random_state=seed)
        corr = sample[[*cand, *drivers]].rank().astype(float).corr().abs().fillna(0.0)
    strength = corr.loc[cand, [d for d in drivers if d in corr.columns]].max(axis=1)
    strength = strength[strength >= threshold].sort_values(ascending=False)
    return strength.index[:k].tolist()
