"""Stress transmission: from a scenario's macro shocks to pinned driver values and to PD.

Three channels, all visible on the page:

1. **Direct**: each shocked driver found in the data (through the schema's semantics, e.g.
   ``unemployment -> regional_unemployment``) gets its shifted value, and property collateral is
   revalued by the house-price shock. These columns are pinned in the generator.
2. **Generated**: dependent columns (by default, those most correlated with the shocked drivers)
   are redrawn by the VAE given the shifted drivers and everything else about the customer.
3. **Overlay**: a documented macro-to-PD adjustment in log-odds,
   ``logit(PD') = logit(PD) + sum_d beta_d x shock_d``, for each driver the credit model does not
   carry (no such column, or not a model feature). Where the model does carry the driver but the
   shifted value leaves the range it was trained on, tree models go flat; the overlay then carries
   only the part beyond the range. The betas and their rationale live in ``presets.json``.
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
    """Where a driver lives in this dataset and whether the credit model sees it."""

    driver: str
    column: str | None
    carried: bool  # the column is a feature of the credit model
    share_scale: bool = False  # utilisation stored as a share (0..1) rather than percent

    @property
    def channel(self) -> str:
        if self.column is None:
            return "overlay (no such column)"
        return "model + generator" if self.carried else "generator + overlay (not a model feature)"


def bind_drivers(frame: pd.DataFrame, schema: Schema, presets: Presets, model_features: list[str]) -> dict[str, Binding]:
    out = {}
    for key, d in presets.drivers.items():
        col = schema.semantics.get(d.semantic)
        if col not in frame.columns:
            col = None
        share = False
        if col is not None and d.op == "add_share":
            share = float(pd.to_numeric(frame[col], errors="coerce").quantile(0.99)) <= 1.5
        out[key] = Binding(key, col, col is not None and col in model_features, share)
    return out


def _per_unit(d: Driver, b: Binding) -> float:
    """Column units per one driver unit."""
    if d.op == "add_bp":
        return 0.01
    if d.op == "add_share":
        return 0.01 if b.share_scale else 1.0
    return 1.0


def shocked_columns(frame: pd.DataFrame, scenario: Scenario, bindings: dict[str, Binding], presets: Presets,
                    products: np.ndarray, collateral_column: str | None) -> dict[str, np.ndarray]:
    """New values of every bound driver column (unchanged when its shock is 0) and of collateral."""
    out: dict[str, np.ndarray] = {}
    for key, b in bindings.items():
        if b.column is None:
            continue
        d = presets.drivers[key]
        v = float(scenario.shocks.get(key, 0.0))
        x = pd.to_numeric(frame[b.column], errors="coerce").to_numpy(dtype=np.float64)
        if d.op == "pct":
            new = x * (1 + v / 100.0)
        else:
            new = x + v * _per_unit(d, b)
        if d.op == "add_share":
            new = np.clip(new, 0.0, 1.0 if b.share_scale else 100.0)
        out[b.column] = new
        if d.collateral_products and collateral_column and collateral_column in frame.columns:
            c = pd.to_numeric(frame[collateral_column], errors="coerce").fillna(0).to_numpy(dtype=np.float64)
            hit = np.isin(products, d.collateral_products)
            out[collateral_column] = np.where(hit, np.maximum(0.0, c * (1 + v / 100.0)), c)
    return out


@dataclass
class Overlay:
    """The macro-to-PD adjustment: log-odds per row and one line per driver explaining it."""

    log_odds: np.ndarray
    table: pd.DataFrame


def macro_overlay(base: pd.DataFrame, shocked: dict[str, np.ndarray], scenario: Scenario,
                  bindings: dict[str, Binding], presets: Presets, products: np.ndarray,
                  seen: dict[str, tuple[float, float]]) -> Overlay:
    """Log-odds to add to the model's stressed PD, for drivers the model cannot transmit itself."""
    n = len(base)
    total = np.zeros(n)
    rows = []
    for key, b in bindings.items():
        d = presets.drivers[key]
        v = float(scenario.shocks.get(key, 0.0))
        applies = np.ones(n, dtype=bool) if not d.overlay_products else np.isin(products, d.overlay_products)
        units = np.zeros(n)
        if v == 0:
            reason = "no shock"
        elif b.column is None or not b.carried:
            units[:] = v
            reason = ("no column for this driver in the data" if b.column is None
                      else f"'{b.column}' is not a credit-model feature") + ": the whole shock goes through the overlay"
        else:
            lo, hi = seen.get(b.column, (-np.inf, np.inf))
            new = shocked[b.column]
            excess = np.maximum(new - hi, 0.0) + np.minimum(new - lo, 0.0)  # column units beyond the seen range
            if d.op == "pct":
                old = pd.to_numeric(base[b.column], errors="coerce").to_numpy(dtype=np.float64)
                units = np.where(np.abs(old) > 0, excess / np.abs(old) * 100.0, 0.0)
            else:
                units = excess / _per_unit(d, b)
            reason = ("the model carries it; only the part beyond its training range goes through the overlay"
                      if np.any(units != 0) else "the model carries it within its training range")
        contrib = d.overlay_log_odds_per_unit * units * applies
        total += contrib
        rows.append({"driver": d.label, "column": b.column or "-", "shock": v, "unit": d.unit, "channel": b.channel,
                     "beta_log_odds_per_unit": d.overlay_log_odds_per_unit,
                     "products": ", ".join(d.overlay_products) if d.overlay_products else "all",
                     "rows_adjusted": float(np.mean(contrib != 0)), "mean_log_odds": float(contrib.mean()),
                     "reason": reason, "note": d.overlay_note})
    return Overlay(total, pd.DataFrame(rows))


def apply_log_odds(pd_: np.ndarray, log_odds: np.ndarray) -> np.ndarray:
    p = np.clip(pd_, 1e-9, 1 - 1e-9)
    return 1.0 / (1.0 + np.exp(-(np.log(p / (1 - p)) + log_odds)))


# contract terms and identity attributes do not move with the economy within a year: never redrawn by default
_STRUCTURAL = re.compile(r"(^|_)(age|tenure|term|duration|loan_amount|credit_amount|amount_granted|limit|purpose|region|"
                         r"n_products|num_products|employment|sex|gender|personal_status|dependents|residence)(_|$)|^has_", re.I)


def default_dependents(frame: pd.DataFrame, drivers: list[str], exclude: list[str], k: int = 8,
                       threshold: float = 0.15, seed: int = 0) -> list[str]:
    """Columns the generator redraws under a stress.

    The ``k`` numeric columns most rank-correlated with any shocked driver column (above ``threshold``); never the drivers, the ``exclude``d
    columns (exposure, collateral, product), flags, or contract and identity attributes.
    """
    drivers = [c for c in drivers if c in frame.columns and c not in exclude]
    if not drivers:
        return []
    sample = frame.sample(min(len(frame), 5000), random_state=seed)
    num = [c for c in sample.columns if pd.api.types.is_numeric_dtype(sample[c]) and not pd.api.types.is_bool_dtype(sample[c])]
    ranks = sample[num].rank().astype(float)
    corr = ranks.corr().abs().fillna(0.0)
    cand = [c for c in num if c not in drivers and c not in exclude and sample[c].nunique() > 2 and not _STRUCTURAL.search(c)]
    if not cand:
        return []
    strength = corr.loc[cand, [d for d in drivers if d in corr.columns]].max(axis=1)
    strength = strength[strength >= threshold].sort_values(ascending=False)
    return strength.index[:k].tolist()
