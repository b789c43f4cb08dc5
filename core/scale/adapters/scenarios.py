"""The scenario area as batch jobs see it: per-row stress, PD/LGD/EAD, and the one-factor Monte Carlo.

Only this module knows the scenario area's names. Per row it runs the scenario page's own engine
(:class:`core.scenarios.engine.ScenarioEngine`, built once on a sample and broadcast): its
``stressed_rows`` (shocked drivers, accounting identities, the generator's learned response) and
``_outside_model`` (satellite and assumed log-odds), then the area's LGD and exposure; the Monte Carlo follows the area's loss
engine (Vasicek one factor, bucketed by correlation class and PD) but from bucket sums reduced over
partitions, with PD buckets cut at global edges so that every partitioning gives the same buckets.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri


def _rebuild_engine(state: dict) -> Any:
    from core.scenarios.engine import ScenarioEngine

    engine = ScenarioEngine.__new__(ScenarioEngine)
    engine.__dict__.update(state)
    engine._lock = threading.RLock()
    return engine


class _Shipped:
    """A fitted scenario engine that pickles (its lock is made anew on the worker; no cached baselines travel)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def __reduce__(self) -> tuple:
        state = {k: v for k, v in self.engine.__dict__.items() if k != "_lock"}
        state["_baselines"] = {}
        return _ship, (state,)


def _ship(state: dict) -> _Shipped:
    return _Shipped(_rebuild_engine(state))


@dataclass(frozen=True)
class StressSpec:
    """Everything a partition needs to stress its rows: the area's own engine, built once on the driver, broadcast."""

    scenario: Any
    shipped: _Shipped
    dependents: tuple[str, ...]
    seed: int

    @property
    def engine(self) -> Any:
        return self.shipped.engine

    @property
    def bindings(self) -> dict:
        return dict(self.engine.bindings)

    def columns(self, available: tuple[str, ...] | list[str]) -> list[str]:
        """Input columns the stress reads (features, generator columns, bound drivers, what the loss functions use)."""
        e = self.engine
        cols = list(e.features) + [b.column for b in e.bindings.values() if b.column]
        cols += [c for c in e.dataset.schema.semantics.values() if c]
        cols += [c for c in ("product_type", "exposure_type", "loan_term_months") if c]
        if e.generator is not None:
            cols += list(e.generator.columns)
        return [c for c in dict.fromkeys(cols) if c in available]


# every column the area's product_class may read (it reads one: the schema's product_type, else the first of these)
_PRODUCT_CANDIDATES = ("product_type", "exposure_type", "product", "facility_type")


def product_class(frame: pd.DataFrame, schema: Any) -> np.ndarray:
    """The area's :func:`product_class` per row, computed once per distinct product value.

    A row's class depends only on its own value, so this is the same array, without a regex per row.
    """
    from core.scenarios import loss as L

    cols = [c for c in dict.fromkeys([schema.semantics.get("product_type"), *_PRODUCT_CANDIDATES]) if c and c in frame.columns]
    if not cols or len(frame) < 1_000:
        return L.product_class(frame, schema)
    keys = frame[cols]
    codes = keys.groupby(cols, sort=False, dropna=False, observed=True).ngroup().to_numpy()
    first = np.unique(codes, return_index=True)[1]
    distinct = keys.iloc[first].reset_index(drop=True)
    return np.asarray(L.product_class(distinct, schema), dtype=object)[np.searchsorted(np.unique(codes), codes)]


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


def prepare(scn: Any, sample: Any, model: Any, generator: Any = None, dependents: list[str] | None = None,
            seed: int = 42) -> StressSpec:
    """The scenario page's engine (:class:`core.scenarios.engine.ScenarioEngine`) on a sample :class:`Dataset`.

    Driver bindings, the satellite (assumed: a batch input carries no history), the credit model's own channel,
    the redrawn columns and the generator's response check are decided here once, as the page decides them.
    """
    from core.scenarios.engine import ScenarioEngine
    from core.scenarios.results import ScenarioParams

    engine = ScenarioEngine(sample, generator, model)
    deps: list[str] = []
    if generator is not None:
        deps = engine.dependents(ScenarioParams(seed=seed, dependents=tuple(dependents) if dependents is not None else None))
        if deps:
            engine.generator_response(deps)  # cached in the engine, so workers never recompute it
    return StressSpec(scn, _Shipped(engine), tuple(deps), int(seed))


def _side(engine: Any, rows: pd.DataFrame, model_rows: pd.DataFrame, log_odds: list[np.ndarray], products: np.ndarray,
          addon: float) -> dict[str, np.ndarray]:
    """The engine's ``_side`` without its Monte Carlo (that runs on reduced bucket sums), over consecutive blocks.

    ``log_odds`` holds each block's added log-odds, in row order: a block whose log-odds are all zero keeps the
    model's PD as it is, as the engine's own ``_side`` does for the block alone. The PD of the credit model, the
    exposure and the LGD are per row, so they are computed once for all the blocks.
    """
    from core.scale.adapters import credit as C
    from core.scenarios import loss as L
    from core.scenarios.transmission import apply_log_odds

    pd_model = C.predict_pd(engine.scorer, model_rows[engine.features])
    p = pd_model
    at = 0
    for lo in log_odds:
        k = len(lo)
        if np.any(lo != 0):
            p = pd_model.copy() if p is pd_model else p
            p[at:at + k] = apply_log_odds(pd_model[at:at + k], lo)
        at += k
    ead, _ = L.exposure(rows, engine.dataset.schema)
    lgd = L.lgd(products, ead, L.collateral(rows, engine.dataset.schema), engine.presets.lgd["products"], addon)
    return {"pd": p, "lgd": lgd, "ead": ead}


SCORE_ROWS = 65_536  # rows scored together (whole blocks): the model's input matrices stay a few MB


def stress(spec: StressSpec, frame: pd.DataFrame, block_rows: int | None = None) -> dict[str, np.ndarray]:
    """Baseline and stressed PD, LGD and EAD per row of ``frame``, as the scenario page's run computes them.

    The engine's ``stressed_rows`` and ``_outside_model`` on each block of ``block_rows`` consecutive rows
    (the unit the generator's response is computed on; default: all the rows as one block); the rows of
    consecutive blocks (about :data:`SCORE_ROWS`) are then scored by the engine's credit model, with their
    LGD and exposure, in one pass (all per row: the same numbers as block by block).
    """
    e = spec.engine
    base = frame.reset_index(drop=True)
    n = len(base)
    step = int(block_rows or max(n, 1))
    group = step * max(1, SCORE_ROWS // step)
    products = product_class(base, e.dataset.schema)
    parts: list[dict[str, np.ndarray]] = []
    for g in range(0, max(n, 1), group):
        gbase = base.iloc[g:g + group].reset_index(drop=True) if group < n else base
        gprod = products[g:g + group]
        blocks, model_blocks, odds = [], [], []
        for a in range(0, max(len(gbase), 1), step):
            sub = gbase.iloc[a:a + step].reset_index(drop=True) if step < len(gbase) else gbase
            prod = gprod[a:a + step]
            rows, model_rows, sh = e.stressed_rows(spec.scenario, sub, prod, list(spec.dependents))
            log_odds, _channels = e._outside_model(spec.scenario, sh, sub, prod)
            blocks.append(rows)
            model_blocks.append(model_rows[e.features])
            odds.append(np.asarray(log_odds, dtype=np.float64))
        rows = blocks[0] if len(blocks) == 1 else pd.concat(blocks, ignore_index=True)
        model_rows = model_blocks[0] if len(model_blocks) == 1 else pd.concat(model_blocks, ignore_index=True)
        b = _side(e, gbase, gbase, [np.zeros(len(gbase))], gprod, 0.0)
        s = _side(e, rows, model_rows, odds, gprod, spec.scenario.lgd_downturn_addon)
        parts.append({"pd_base": b["pd"], "lgd_base": b["lgd"], "ead": s["ead"], "pd_stress": s["pd"], "lgd_stress": s["lgd"]})
    codes = pd.Categorical(products, categories=list(classes())).codes.astype(np.int8)
    out = {"class": np.where(codes < 0, len(classes()) - 1, codes).astype(np.int8)}
    out.update({k: np.concatenate([p[k] for p in parts]) for k in parts[0]})
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

    products = product_class(frame, schema)
    ead, _ = L.exposure(frame, schema)
    lgd = L.lgd(products, ead, L.collateral(frame, schema), load_presets().lgd["products"])
    return ead, p * lgd * ead
