"""The scenario engine: a stress of the book against its baseline, channel by channel.

    engine = ScenarioEngine(dataset, generator, credit_model)
    result = engine.run(presets.scenario("severely_adverse"), ScenarioParams(seed=7))

The baseline is the book as it stands (in ``stress`` mode the customers' own rows, scored by the
credit model: no generator in between), kept per run settings so moving a slider redoes only the
stressed side. A stress moves the drivers' columns and what is tied to them by accounting, lets
the generator move the columns that respond to the economy (:mod:`core.scenarios.response`),
scores the result with the credit model (macro inputs held where the satellite carries them) and
adds the satellite's log-odds (:mod:`core.scenarios.transmission` documents each channel). Both
sides share their systematic-factor draws, so differences come from the shock, not from noise.
"""

from __future__ import annotations

import copy
import logging
import threading
import time

import numpy as np
import pandas as pd

from core.data import Dataset
from core.errors import InputError
from core.runtime.registry import fingerprint_of
from core.scenarios import ifrs9 as I9
from core.scenarios import loss as L
from core.scenarios.errors import NoCreditModelError
from core.scenarios.history import PortfolioHistory
from core.scenarios.presets import Presets, Scenario, load_presets
from core.scenarios.results import ScenarioParams, ScenarioResult, Side, by_group, metrics_table, shap_delta
from core.scenarios.satellite import SatelliteModel, assumed, fit_satellite
from core.scenarios.scorer import Scorer, logit_of, scorer_fingerprint
from core.scenarios.transmission import (
    Shocked,
    apply_log_odds,
    bind_drivers,
    default_dependents,
    per_unit,
    shock_columns,
)

logger = logging.getLogger(__name__)
_SATELLITES: dict[str, SatelliteModel] = {}
_SAT_LOCK = threading.Lock()
MAX_KEPT_RESULTS = 16  # results kept per baseline (same scenario, same settings: the kept one)


class ScenarioEngine:
    """Runs scenarios for one (dataset, generator, scorer); keeps the baseline per run settings."""

    def __init__(self, dataset: Dataset, generator, scorer: Scorer, presets: Presets | None = None) -> None:
        if not isinstance(scorer, Scorer):
            raise NoCreditModelError("The scoring model lacks predict_pd / feature_names / explain.")
        self.dataset, self.generator, self.scorer = dataset, generator, scorer
        self.presets = presets or load_presets()
        self._lock = threading.RLock()
        self._baselines: dict[str, dict] = {}
        self._dependents: dict[str, list[str]] = {}
        self._response: dict[str, dict[tuple[str, int], bool]] = {}
        self.response_table: list[dict] = []
        schema, frame = dataset.schema, dataset.frame
        self.features = list(scorer.feature_names)
        missing = [f for f in self.features if f not in frame.columns]
        if missing:
            raise InputError(f"The credit model uses columns this dataset lacks: {', '.join(missing[:5])}.",
                             "Train the credit model and the generator on the same dataset.")
        self.history = PortfolioHistory.of(dataset)
        raw = bind_drivers(frame, schema, self.presets, self.features)
        self.per_unit = {k: per_unit(self.presets.drivers[k], b) for k, b in raw.items()}
        self.satellite, self.model_channel = self._satellite(raw)
        self.bindings = bind_drivers(frame, schema, self.presets, self.features,
                                     {k: t.source for k, t in self.satellite.terms.items()})
        self.held = [b.column for k, b in self.bindings.items()
                     if b.kind == "macro" and b.carried and b.column and k not in self.model_channel]
        self.ead_col = schema.semantics.get("ead")
        coll = schema.semantics.get("collateral")
        self.collateral_col = coll if coll in frame.columns else None
        self.product_col = schema.semantics.get("product_type")
        self.target = schema.target

    # ---- the macro channel --------------------------------------------------------------------
    def _satellite(self, raw) -> tuple[SatelliteModel, set[str]]:
        """The satellite model (estimated on the history, else assumed) and the drivers the credit model carries itself."""
        macro = {k: b for k, b in raw.items() if b.kind == "macro"}
        columns = {k: b.column for k, b in macro.items()}
        if self.history is not None:
            key = fingerprint_of("satellite", 1, self.dataset.fingerprint, scorer_fingerprint(self.scorer))
            with _SAT_LOCK:
                if key not in _SATELLITES:
                    present = {k: c for k, c in columns.items() if c}
                    sat = fit_satellite(self.history, lambda f: logit_of(self.scorer, f), present, self.per_unit,
                                        {k: self.presets.drivers[k].adverse for k in present},
                                        lambda f: L.product_class(f, self.dataset.schema), self.presets)
                    absent = [k for k, c in columns.items() if not c]
                    terms = {**sat.terms, **assumed(self.presets, absent, self.per_unit, columns, "no column")}
                    _SATELLITES[key] = SatelliteModel(terms, sat.intercept, sat.n_rows, sat.n_periods, sat.notes,
                                                      sat.fingerprint)
                return _SATELLITES[key], set()
        terms = assumed(self.presets, list(macro), self.per_unit, columns, "no history")
        carried = {k for k, b in macro.items() if b.carried and b.column and self._monotone(b.column, k)}
        note = ("No history of this book: the macro drivers use the assumed elasticities of presets.json"
                + (f"; the credit model carries {', '.join(sorted(carried))} itself within its training range." if carried else "."))
        return SatelliteModel(terms, notes=(note,)), carried

    def _monotone(self, column: str, key: str) -> bool:
        """Does the credit model's mean PD never fall as this driver gets worse (over its slider range)?"""
        d = self.presets.drivers[key]
        sample = self.dataset.frame.sample(min(2000, len(self.dataset.frame)), random_state=0)
        x = pd.to_numeric(sample[column], errors="coerce")
        means = []
        for v in sorted(np.linspace(d.min, d.max, 9), key=lambda v: v * d.adverse):
            means.append(float(np.mean(self.scorer.predict_pd(sample.assign(**{column: x + v * self.per_unit[key]})[self.features]))))
        ok = bool(np.all(np.diff(means) >= -1e-9))
        if not ok:
            logger.info("credit model not monotone in %s: %s", column, means)
        return ok

    @property
    def fingerprints(self) -> dict:
        return {"dataset": self.dataset.fingerprint, "generator": getattr(self.generator, "fingerprint", None),
                "generator_family": getattr(self.generator, "family", "vae"), "scorer": scorer_fingerprint(self.scorer),
                "satellite": self.satellite.fingerprint or None}

    def driver_columns(self) -> list[str]:
        cols = [b.column for b in self.bindings.values() if b.column]
        if self.collateral_col and any(self.presets.drivers[k].collateral_products for k, b in self.bindings.items() if b.column):
            cols.append(self.collateral_col)
        for k, b in self.bindings.items():
            for rule in self.presets.drivers[k].identities if b.column else ():
                col = self.dataset.schema.semantics.get(rule["semantic"])
                if col:
                    cols.append(col)
        return list(dict.fromkeys(c for c in cols if c in self.generator.columns))

    def dependents(self, params: ScenarioParams) -> list[str]:
        key = fingerprint_of(params.dependents, params.seed)
        with self._lock:
            cached = self._dependents.get(key)
        if cached is None:
            cached = self._find_dependents(params)
            with self._lock:
                self._dependents[key] = cached
        return list(cached)

    def _find_dependents(self, params: ScenarioParams) -> list[str]:
        drivers = self.driver_columns()
        if params.dependents is not None:
            bad = [c for c in params.dependents if c not in self.generator.columns]
            if bad:
                raise InputError(f"Unknown columns to move: {', '.join(bad)}.")
            return [c for c in params.dependents if c not in drivers and c != self.target]
        exclude = [c for c in (self.ead_col, self.product_col, self.collateral_col, self.target) if c]
        cols = [c for c in self.generator.columns if c in self.dataset.frame.columns]
        return default_dependents(self.dataset.frame[cols], drivers, exclude, seed=params.seed, history=self.history)

    # ---- the baseline --------------------------------------------------------------------------
    def _base_rows(self, params: ScenarioParams) -> pd.DataFrame:
        frame = self.dataset.frame
        if params.mode == "generate":
            n = params.n_rows or 100_000
            idx = np.random.default_rng(params.seed).integers(0, len(frame), n)
            pins = frame.iloc[idx][[c for c in self._macro_columns() if c in self.generator.columns]].reset_index(drop=True)
            gen = (self.generator.sample_conditional(pins, seed=params.seed) if pins.shape[1]
                   else self.generator.sample(n, seed=params.seed))
            extra = [c for c in frame.columns if c not in gen.columns]
            return pd.concat([gen, frame.iloc[idx][extra].reset_index(drop=True)], axis=1)
        if params.n_rows is None or params.n_rows == len(frame):
            return frame.reset_index(drop=True)
        idx = np.sort(np.random.default_rng(params.seed).choice(len(frame), params.n_rows, replace=params.n_rows > len(frame)))
        return frame.iloc[idx].reset_index(drop=True)

    def _macro_columns(self) -> list[str]:
        return [b.column for b in self.bindings.values() if b.kind == "macro" and b.column]

    def _key(self, params: ScenarioParams, dependents: list[str]) -> str:
        return fingerprint_of(params.mode, params.n_rows, params.n_draws, params.seed, dependents, params.shap_rows,
                              params.n_buckets)

    def baseline(self, params: ScenarioParams) -> dict:
        dependents = self.dependents(params)
        key = self._key(params, dependents)
        with self._lock:
            if key in self._baselines:
                return self._baselines[key]
        t0 = time.perf_counter()
        base_rows = self._base_rows(params)
        products = L.product_class(base_rows, self.dataset.schema)
        factor = np.random.default_rng([params.seed, 2]).standard_normal(params.n_draws)
        shap_idx = np.sort(np.random.default_rng([params.seed, 3]).choice(len(base_rows), min(params.shap_rows, len(base_rows)),
                                                                            replace=False))
        side = self._side(base_rows, base_rows, np.zeros(len(base_rows)), products, 0.0, factor, params, shap_idx)
        entry = {"base_rows": base_rows, "products": products, "side": side, "factor": factor, "dependents": dependents,
                 "shap_idx": shap_idx, "seconds": time.perf_counter() - t0, "shift_cache": {}, "ifrs9": {}, "results": {}}
        with self._lock:
            if len(self._baselines) >= 4:
                self._baselines.pop(next(iter(self._baselines)))
            self._baselines[key] = entry
        return entry

    def _side(self, rows: pd.DataFrame, model_rows: pd.DataFrame, log_odds: np.ndarray, products: np.ndarray, addon: float,
              factor: np.ndarray, params: ScenarioParams, shap_idx: np.ndarray) -> Side:
        pd_model = np.asarray(self.scorer.predict_pd(model_rows[self.features]), dtype=np.float64)
        pd_ = apply_log_odds(pd_model, log_odds) if np.any(log_odds != 0) else pd_model
        ead, _ = L.exposure(rows, self.dataset.schema)
        lgd = L.lgd(products, ead, L.collateral(rows, self.dataset.schema), self.presets.lgd["products"], addon)
        dist = L.simulate_losses(pd_, lgd, ead, products, self.presets.correlation, params.n_draws, params.seed,
                                 params.n_buckets, factor)
        shap_mean = pd.Series(dtype=float)
        if params.shap_rows > 0 and hasattr(self.scorer, "explain"):
            try:
                expl = self.scorer.explain(model_rows.iloc[shap_idx][self.features])
                shap_mean = pd.Series(np.asarray(expl.values).mean(axis=0), index=list(expl.feature_names))
            except Exception as exc:  # explanations are a view; a failure must not lose the run
                logger.warning("SHAP deltas unavailable: %s", exc)
        return Side(rows, pd_model, pd_, lgd, ead, dist, shap_mean)

    # ---- a run ---------------------------------------------------------------------------------
    def stressed_rows(self, scenario: Scenario, base_rows: pd.DataFrame, products: np.ndarray,
                      dependents: list[str], cache: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame, Shocked]:
        """``(rows, rows the credit model scores, the shocked columns)`` for a scenario.

        ``cache``: the baseline's own dict for the generator's unchanging half of a response (``base_rows`` never changes).
        """
        sh = shock_columns(base_rows, scenario, self.bindings, self.presets, self.dataset.schema, products,
                           self.collateral_col)
        changed = {c: v for c, v in sh.columns.items()
                   if not np.array_equal(v, pd.to_numeric(base_rows[c], errors="coerce").to_numpy(dtype=np.float64))}
        rows = base_rows
        pins = {}
        if dependents:
            allowed = self.generator_response(dependents)
            for k, cols in self._driver_columns().items():
                v = float(scenario.shocks.get(k, 0.0))
                if v and allowed.get((k, int(np.sign(v)) * self.presets.drivers[k].adverse), False):
                    pins.update({c: changed[c] for c in cols if c in changed and c in self.generator.columns})
        if dependents and pins:
            kw = {"cache": cache} if cache is not None and getattr(self.generator, "family", "") == "vae" else {}
            rows = self.generator.shift(base_rows, pins, dependents, hidden=(self.target,) if self.target else (), **kw)
        else:
            rows = base_rows.copy()
        for c, v in changed.items():
            rows[c] = np.round(v).astype(base_rows[c].dtype) if pd.api.types.is_integer_dtype(base_rows[c].dtype) else v
        model_rows = rows
        if self.held:
            model_rows = rows.copy()
            for c in self.held:
                model_rows[c] = base_rows[c].to_numpy()
        return rows, model_rows, sh

    def _driver_columns(self) -> dict[str, list[str]]:
        """Each bound driver's own column plus what moves with it (identities, collateral)."""
        out = {}
        for k, b in self.bindings.items():
            if not b.column:
                continue
            d = self.presets.drivers[k]
            cols = [b.column, *[self.dataset.schema.semantics.get(r["semantic"]) for r in d.identities]]
            if d.collateral_products and self.collateral_col:
                cols.append(self.collateral_col)
            out[k] = [c for c in cols if c]
        return out

    def generator_response(self, dependents: list[str]) -> dict[tuple[str, int], bool]:
        """Per (driver, direction): does the generator's learned response point the way the driver does?

        The history's drivers move together (rates were cut in the recession), so a generator can
        learn that a rate cut comes with worse behaviour. For each driver alone, half-way to its
        slider's end in each direction (+1 adverse, -1 relief), the credit model scores the customers
        with only the generated columns moved; a response whose PD change has the wrong sign is not
        used (that driver reaches PD through its own channel only) and the page says so.
        """
        key = fingerprint_of(dependents)
        with self._lock:
            cached = self._response.get(key)
        if cached is not None:
            return cached
        frame = self.dataset.frame
        sample = frame.sample(min(3000, len(frame)), random_state=0).reset_index(drop=True)
        products = L.product_class(sample, self.dataset.schema)
        base_pd = float(np.mean(self.scorer.predict_pd(sample[self.features])))
        out: dict[tuple[str, int], bool] = {}
        self.response_table = []
        for k, cols in self._driver_columns().items():
            d = self.presets.drivers[k]
            for direction in (1, -1):
                end = d.max if d.adverse * direction > 0 else d.min
                if end == 0:
                    continue
                sh = shock_columns(sample, Scenario("probe", "probe", {k: end / 2}), self.bindings, self.presets,
                                   self.dataset.schema, products, self.collateral_col)
                pins = {c: sh.columns[c] for c in cols if c in sh.columns and c in self.generator.columns}
                moved = self.generator.shift(sample, pins, dependents, hidden=(self.target,) if self.target else ())
                change = float(np.mean(self.scorer.predict_pd(moved[self.features]))) - base_pd
                ok = change * direction >= 0
                out[(k, direction)] = ok
                self.response_table.append({"driver": d.label, "direction": "adverse" if direction > 0 else "relief",
                                            "probe_shock": end / 2, "unit": d.unit, "pd_change": change, "used": ok})
        with self._lock:
            self._response[key] = out
        return out

    def _outside_model(self, scenario: Scenario, sh: Shocked, base_rows: pd.DataFrame, products: np.ndarray,
                       bound: float = 0.0) -> tuple[np.ndarray, pd.DataFrame]:
        """Log-odds added outside the credit model (satellite, assumed) and one line per driver."""
        n = len(base_rows)
        deltas = {k: sh.deltas[k] for k, b in self.bindings.items() if b.kind == "macro" and k in sh.deltas
                  and k not in self.model_channel}
        macro_shocks = {k: v for k, v in scenario.shocks.items() if self.bindings[k].kind == "macro"
                        and k not in self.model_channel}
        total = self.satellite.log_odds(deltas, macro_shocks, products, bound)
        rows = []
        for k, b in self.bindings.items():
            d = self.presets.drivers[k]
            v = float(scenario.shocks.get(k, 0.0))
            contrib = np.zeros(n)
            source = "credit model"
            coef = None
            if b.kind == "macro" and k not in self.model_channel:
                term = self.satellite.terms.get(k)
                source = f"satellite ({term.source})" if term else "satellite"
                if term is not None and v != 0:
                    contrib = self.satellite.log_odds({k: deltas[k]} if k in deltas else {}, {k: v}, products, bound)
                    coef = term.per_driver_unit
            elif b.kind == "macro":  # the credit model carries it within range; the assumed slope beyond
                source = "credit model + assumed beyond its range"
                contrib = self._beyond_range(k, b.column, sh, base_rows, products)
                coef = d.overlay_log_odds_per_unit
            elif b.column is None or not b.carried:
                source = "assumed elasticity"
                units = (sh.deltas[k] / self.per_unit[k] if k in sh.deltas else np.full(n, v))
                if d.op == "pct" and k in sh.deltas:
                    units = np.full(n, v)
                applies = np.ones(n) if not d.overlay_products else np.isin(products, d.overlay_products)
                contrib = d.overlay_log_odds_per_unit * units * applies
                coef = d.overlay_log_odds_per_unit
            if b.kind != "macro" or k in self.model_channel:
                total = total + contrib
            rows.append({"driver": d.label, "key": k, "shock": v, "unit": d.unit, "column": b.column or "-",
                         "channel": b.channel, "source": source, "log_odds_per_unit": coef,
                         "mean_log_odds": float(contrib.mean()), "rows_adjusted": float(np.mean(contrib != 0)),
                         "adverse": "rise" if d.adverse > 0 else "fall"})
        return total, pd.DataFrame(rows)

    def _beyond_range(self, key: str, column: str | None, sh: Shocked, base_rows: pd.DataFrame, products: np.ndarray) -> np.ndarray:
        d = self.presets.drivers[key]
        if column is None:
            return np.zeros(len(base_rows))
        ranges = getattr(self.scorer, "ranges", None) or {}
        x = pd.to_numeric(self.dataset.frame[column], errors="coerce")
        lo, hi = ranges.get(column, (float(x.min()), float(x.max())))
        new = sh.columns[column]
        excess = np.maximum(new - hi, 0.0) + np.minimum(new - lo, 0.0)
        applies = np.ones(len(new)) if not d.overlay_products else np.isin(products, d.overlay_products)
        return d.overlay_log_odds_per_unit * excess / self.per_unit[key] * applies

    def run(self, scenario: Scenario, params: ScenarioParams | None = None) -> ScenarioResult:
        """The scenario against its baseline; the same scenario and settings again give the kept result (a copy)."""
        params = params or ScenarioParams()
        t0 = time.perf_counter()
        base = self.baseline(params)
        t_base = time.perf_counter() - t0
        key = fingerprint_of(scenario.to_dict(), params.to_dict())
        with self._lock:
            kept = base["results"].get(key)
        if kept is not None:
            again = copy.copy(kept)
            again.timings = {**kept.timings, "total_s": round(time.perf_counter() - t0, 3), "kept": True}
            return again
        result = self._run(scenario, params, base, t0, t_base)
        with self._lock:
            if len(base["results"]) >= MAX_KEPT_RESULTS:
                base["results"].pop(next(iter(base["results"])))
            base["results"][key] = result
        return result

    def _run(self, scenario: Scenario, params: ScenarioParams, base: dict, t0: float, t_base: float) -> ScenarioResult:
        base_rows, products, b = base["base_rows"], base["products"], base["side"]
        dependents = base["dependents"]
        t1 = time.perf_counter()
        rows, model_rows, sh = self.stressed_rows(scenario, base_rows, products, dependents, base["shift_cache"])
        t_gen = time.perf_counter() - t1
        log_odds, channels = self._outside_model(scenario, sh, base_rows, products)
        t2 = time.perf_counter()
        s = self._side(rows, model_rows, log_odds, products, scenario.lgd_downturn_addon, base["factor"], params,
                       base["shap_idx"])
        t_score = time.perf_counter() - t2
        pinned = [c for c in sh.columns if c in self.generator.columns]
        extrap = self.generator.check_pins(pd.DataFrame({c: sh.columns[c] for c in pinned
                                                         if not np.array_equal(sh.columns[c], base_rows[c].to_numpy())}))
        result = ScenarioResult(
            scenario=scenario, params=params, metrics=metrics_table(b, s), by_product=by_group(products, b, s, "product"),
            by_segment=self._by_segment(rows, b, s, params), shap_delta=shap_delta(b, s, channels), channels=channels,
            extrapolations=extrap, notes=self._notes(scenario, params, dependents, sh.identities), pinned=pinned,
            dependents=dependents, bindings=self.bindings, products=products, ead=s.ead, pd_base=b.pd, pd_stress=s.pd,
            lgd_base=b.lgd, lgd_stress=s.lgd, loss_base=b.dist.losses, loss_stress=s.dist.losses,
            ifrs9=I9.sides(self.dataset.schema.semantics, base_rows, rows, products, (b.pd, b.lgd, b.ead), (s.pd, s.lgd, s.ead),
                           base["ifrs9"]),
            satellite_band=self._band(scenario, sh, base_rows, products, s),
            fingerprints=self.fingerprints, stressed_sample=rows.head(200))
        result.timings = {"baseline_s": round(t_base, 3), "generate_s": round(t_gen, 3), "score_and_loss_s": round(t_score, 3),
                          "total_s": round(time.perf_counter() - t0, 3), "rows": len(rows)}
        return result

    def _band(self, scenario: Scenario, sh: Shocked, base_rows: pd.DataFrame, products: np.ndarray, s: Side) -> dict:
        if not self.satellite.estimated or scenario.is_baseline():
            return {}
        out = {}
        for name, bound in (("low", -1.959964), ("high", 1.959964)):
            lo, _ = self._outside_model(scenario, sh, base_rows, products, bound)
            p = apply_log_odds(s.pd_model, lo)
            out[f"expected_loss_{name}"] = float(np.sum(p * s.lgd * s.ead))
        return out

    def _notes(self, scenario: Scenario, params: ScenarioParams, dependents: list[str], identities: list[str]) -> list[str]:
        notes = [L.exposure(self.dataset.frame.head(5), self.dataset.schema)[1]]
        notes.extend(self.satellite.notes)
        unbound = [self.presets.drivers[k].label for k, b in self.bindings.items() if b.column is None and scenario.shocks.get(k)]
        if unbound:
            notes.append(f"No column carries {', '.join(unbound)} in this data: those shocks reach PD only through "
                         "assumed elasticities.")
        if identities:
            notes.append(f"Moved with the shocked columns by accounting: {', '.join(dict.fromkeys(identities))}.")
        if not dependents:
            notes.append("No column is moved by the generator: the stress moves only the shocked drivers themselves.")
        if params.mode == "generate":
            notes.append(f"A new portfolio of {params.n_rows or 100_000:,} rows was generated at the book's macro "
                         "conditions, then stressed.")
        return notes

    def _by_segment(self, rows: pd.DataFrame, b: Side, s: Side, params: ScenarioParams) -> pd.DataFrame | None:
        col = params.segment_column
        if col is None:
            schema = self.dataset.schema
            cats = [c for c in schema.categorical if c in rows.columns and c != self.product_col and rows[c].nunique() <= 12]
            geo = [c for c in cats if c in schema.tags and any(str(t) == "geographic" for t in schema.tags[c])]
            col = next(iter(geo or cats), None)
        if col is None or col not in rows.columns:
            return None
        return by_group(rows[col].astype(str).to_numpy(), b, s, col)


def severity_check(engine: ScenarioEngine, params: ScenarioParams) -> list[tuple[str, float]]:
    """Each preset's expected loss, in the order of their stated severity (mildest first)."""
    return [(s.key, float(engine.run(s, params).metrics.loc["expected_loss", "stressed"]))
            for s in engine.presets.by_severity()]
