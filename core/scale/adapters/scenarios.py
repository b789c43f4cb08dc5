"""The scenario area as batch jobs see it: per-row stress, PD/LGD/EAD, and the one-factor Monte Carlo.

Only this module knows the scenario area's names. Per row it calls the area's transmission
(shocked driver columns, the macro overlay on PD), its LGD, exposure and product classes, and the
generator's ``stress`` to redraw dependent columns; the Monte Carlo follows the area's loss
engine (Vasicek one factor, bucketed by correlation class and PD) but from bucket sums reduced over
partitions, with PD buckets cut at global edges so that every partitioning gives the same buckets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri


@dataclass(frozen=True)
class StressSpec:
    """Everything a partition needs to stress its rows; built once on the driver, broadcast."""

    scenario: Any
    presets: Any
    schema: Any
    bindings: dict
    collateral: str | None
    dependents: tuple[str, ...]
    seen: dict
    generator: Any  # a fitted generator or None (then only the shocked drivers move)
    seed: int

    @property
    def columns(self) -> list[str]:
        cols = [b.column for b in self.bindings.values() if b.column]
        if self.collateral:
            cols.append(self.collateral)
        for sem in ("ead", "product_type", "collateral"):
            c = self.schema.semantics.get(sem)
            if c:
                cols.append(c)
        if self.generator is not None:
            cols += list(self.generator.columns)
        return list(dict.fromkeys(cols))


def classes() -> tuple[str, ...]:
    from core.scenarios.loss import PRODUCT_CLASSES

    return tuple(PRODUCT_CLASSES)


def scenario(key: str | None = None, shocks: dict[str, float] | None = None, lgd_addon: float = 0.0) -> Any:
    """A preset by key, or a custom scenario from shocks (checked against the drivers' ranges)."""
    from core.scenarios.presets import load_presets

    presets = load_presets()
    if shocks:
        return presets.custom(shocks, lgd_addon)
    return presets.scenario(key or "severely_adverse")


def prepare(scn: Any, schema: Any, sample: pd.DataFrame, features: list[str], generator: Any = None,
            dependents: list[str] | None = None, seed: int = 42) -> StressSpec:
    """Bind the scenario's drivers to this data and choose the redrawn columns (from a sample, as the engine does)."""
    from core.scenarios.presets import load_presets
    from core.scenarios.transmission import bind_drivers, default_dependents

    presets = load_presets()
    bindings = bind_drivers(sample, schema, presets, features)
    coll = schema.semantics.get("collateral")
    coll = coll if coll in sample.columns else None
    deps: list[str] = []
    seen: dict = {}
    if generator is not None:
        drivers = [b.column for b in bindings.values() if b.column]
        if coll and any(presets.drivers[k].collateral_products for k, b in bindings.items() if b.column):
            drivers.append(coll)
        drivers = [c for c in dict.fromkeys(drivers) if c in generator.columns]
        exclude = [c for c in (schema.semantics.get("ead"), schema.semantics.get("product_type"), coll) if c]
        if dependents is None:
            deps = default_dependents(sample[generator.columns], drivers, exclude, seed=seed)
        else:
            deps = [c for c in dependents if c in generator.columns and c not in drivers]
        seen = {c: r for c in drivers if isinstance(r := generator.seen_range(c), tuple)}
    else:
        for b in bindings.values():
            if b.column and b.carried:
                v = pd.to_numeric(sample[b.column], errors="coerce")
                seen[b.column] = (float(v.min()), float(v.max()))
    return StressSpec(scn, presets, schema, bindings, coll, tuple(deps), seen, generator, int(seed))


def _side(spec: StressSpec, rows: pd.DataFrame, model: Any, log_odds: np.ndarray, addon: float,
          products: np.ndarray) -> dict[str, np.ndarray]:
    from core.scenarios import loss as L
    from core.scenarios.transmission import apply_log_odds

    pd_model = np.asarray(model.predict_pd(rows), dtype=np.float64)
    p = apply_log_odds(pd_model, log_odds) if np.any(log_odds != 0) else pd_model
    ead, _ = L.exposure(rows, spec.schema)
    lgd = L.lgd(products, ead, L.collateral(rows, spec.schema), spec.presets.lgd["products"], addon)
    return {"pd": p, "lgd": lgd, "ead": ead}


def stress(spec: StressSpec, frame: pd.DataFrame, model: Any, chunk_seed: int) -> dict[str, np.ndarray]:
    """Baseline and stressed PD, LGD and EAD per row of ``frame`` (one noise chunk, seeded ``chunk_seed``)."""
    from core.scenarios import loss as L
    from core.scenarios.presets import Scenario
    from core.scenarios.transmission import macro_overlay, shocked_columns

    products = L.product_class(frame, spec.schema)
    zero = Scenario("baseline", "Baseline")
    base_rows, rows = frame, frame
    shocked = shocked_columns(frame, spec.scenario, spec.bindings, spec.presets, products, spec.collateral)
    if spec.generator is not None:
        resample = list(spec.dependents)
        target = spec.schema.target
        if target and target in spec.generator.columns:
            resample.append(target)
        cols = list(spec.generator.columns)
        pins0 = {c: v for c, v in shocked_columns(frame, zero, spec.bindings, spec.presets, products,
                                                  spec.collateral).items() if c in cols}
        pins = {c: v for c, v in shocked.items() if c in cols}
        if resample:  # baseline and stress share their random numbers (same seed): differences come from the shock
            base_rows = _keep_rest(frame, spec.generator.stress(frame[cols], pins0, resample, seed=chunk_seed))
            rows = _keep_rest(frame, spec.generator.stress(frame[cols], pins, resample, seed=chunk_seed))
        else:
            rows = frame.assign(**pins)
    else:
        rows = frame.assign(**shocked)
    overlay = macro_overlay(frame, shocked, spec.scenario, spec.bindings, spec.presets, products, spec.seen)
    b = _side(spec, base_rows, model, np.zeros(len(frame)), 0.0, products)
    s = _side(spec, rows, model, overlay.log_odds, spec.scenario.lgd_downturn_addon, products)
    codes = pd.Categorical(products, categories=list(classes())).codes.astype(np.int8)
    return {"class": np.where(codes < 0, len(classes()) - 1, codes).astype(np.int8),
            "pd_base": b["pd"], "lgd_base": b["lgd"], "ead": s["ead"], "pd_stress": s["pd"], "lgd_stress": s["lgd"]}


def _keep_rest(frame: pd.DataFrame, generated: pd.DataFrame) -> pd.DataFrame:
    out = frame.reset_index(drop=True).copy()
    for c in generated.columns:
        out[c] = generated[c].to_numpy()
    return out


def correlation(cls: np.ndarray, p: np.ndarray, settings: dict | None = None) -> np.ndarray:
    """Basel retail asset correlation per row (the area's formula)."""
    from core.scenarios import loss as L
    from core.scenarios.presets import load_presets

    names = np.asarray(classes(), dtype=object)[cls]
    return L.asset_correlation(names, np.clip(p, 1e-8, 1 - 1e-8), settings or load_presets().correlation)


@dataclass(frozen=True)
class Buckets:
    """Per (class, PD bucket): loss weight W, count N, expected loss EL, expected defaults ED, sum of w^2, sum of rho."""

    W: np.ndarray
    N: np.ndarray
    EL: np.ndarray
    ED: np.ndarray
    W2: np.ndarray
    R: np.ndarray


def simulate(b: Buckets, factor: np.ndarray, noise: np.ndarray) -> dict[str, np.ndarray]:
    """Losses and default rates per factor draw, from bucket sums (the loss engine's conditional normal step)."""
    keep = b.N > 0
    W, N, EL, ED, W2 = b.W[keep], b.N[keep], b.EL[keep], b.ED[keep], b.W2[keep]
    rho = b.R[keep] / N
    p_loss = np.where(W > 0, EL / np.maximum(W, 1e-300), ED / N)
    p_cnt = ED / N
    a_loss, a_cnt = ndtri(np.clip(p_loss, 1e-12, 1 - 1e-12)), ndtri(np.clip(p_cnt, 1e-12, 1 - 1e-12))
    sr, s1 = np.sqrt(rho), np.sqrt(1 - rho)
    losses, rates = np.empty(factor.size), np.empty(factor.size)
    n_total = float(N.sum())
    chunk = max(1, 2_000_000 // max(1, W.size))
    for start in range(0, factor.size, chunk):
        zz = factor[start:start + chunk, None]
        pl = ndtr((a_loss - sr * zz) / s1)
        pc = ndtr((a_cnt - sr * zz) / s1)
        mean_l, var_l = pl @ W, (pl * (1 - pl)) @ W2
        mean_d, var_d = pc @ N, (pc * (1 - pc)) @ N
        losses[start:start + chunk] = np.maximum(0.0, mean_l + np.sqrt(var_l) * noise[0, start:start + chunk])
        rates[start:start + chunk] = np.clip((mean_d + np.sqrt(var_d) * noise[1, start:start + chunk]) / n_total, 0, 1)
    asrf = float((W * ndtr((a_loss + sr * ndtri(0.999)) / s1)).sum())
    return {"losses": losses, "rates": rates, "asrf_var_999": np.asarray(asrf)}


def summarise(losses: np.ndarray, expected_loss: float, exposure: float) -> dict:
    from core.scenarios.loss import summarise as area_summarise

    return area_summarise(losses, expected_loss, exposure)


def draws(seed: int, n_draws: int) -> tuple[np.ndarray, np.ndarray]:
    """The systematic factor draws and the per-draw noise, on the driver, as the scenario engine seeds them."""
    factor = np.random.default_rng([seed, 2]).standard_normal(n_draws)
    noise = np.random.default_rng(seed).standard_normal((2, n_draws))
    return factor, noise


def baseline_el(frame: pd.DataFrame, schema: Any, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(EAD, EL)`` per row at baseline: ``EL = PD x LGD x EAD`` with the area's LGD and exposure."""
    from core.scenarios import loss as L
    from core.scenarios.presets import load_presets

    products = L.product_class(frame, schema)
    ead, _ = L.exposure(frame, schema)
    lgd = L.lgd(products, ead, L.collateral(frame, schema), load_presets().lgd["products"])
    return ead, p * lgd * ead
