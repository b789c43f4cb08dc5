"""The scenario service: the generator through the registry, and scenario runs against a baseline.

    vae = train_or_load_vae(dataset, VAEParams(epochs=20), progress=cb)
    engine = ScenarioEngine(dataset, vae, credit_model)
    result = engine.run(presets.scenario("severely_adverse"), ScenarioParams(seed=7))
    run_id = save_run(result, dataset)            # reopen with reproduce_run(run_id, engine)

The engine keeps the baseline (redrawn portfolio, its PDs, SHAP values and loss distribution) per
(rows, seed, dependents), so moving a slider redoes only the stressed side. Baseline and stress
share their random numbers (same generator seed, same systematic-factor draws), so differences
come from the shock, not from sampling noise.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from core.data import Dataset
from core.errors import InputError, WorkspaceError
from core.runtime.device import cuda_or_cpu
from core.runtime.registry import fingerprint_of, get_registry
from core.scenarios import loss as L
from core.scenarios.errors import Extrapolation, NoCreditModelError
from core.scenarios.generator import TabularVAE, VAEParams
from core.scenarios.presets import Presets, Scenario, load_presets
from core.scenarios.trainer import Progress
from core.scenarios.transmission import (
    Binding,
    apply_log_odds,
    bind_drivers,
    default_dependents,
    macro_overlay,
    shocked_columns,
)

logger = logging.getLogger(__name__)
VAE_ARTIFACT = "scenario_vae"
RUN_KIND = "scenario"
VAE_RUN_KIND = "scenario_vae"
VERSION = 1


@runtime_checkable
class Scorer(Protocol):
    """What the engine needs from a credit model (``core.credit``'s model satisfies it)."""

    @property
    def feature_names(self) -> list[str]: ...

    def predict_pd(self, frame: pd.DataFrame) -> np.ndarray: ...

    def explain(self, frame: pd.DataFrame) -> Any: ...


def scorer_fingerprint(scorer: Scorer) -> str:
    return str(getattr(scorer, "fingerprint", None) or fingerprint_of(type(scorer).__name__, list(scorer.feature_names)))


# ---- the generator through the registry ----------------------------------------------------------
def vae_columns(dataset: Dataset) -> tuple[list[str], list[str]]:
    """(columns, categorical) the generator models.

    The features and the target (for the TSTR fidelity check); never ids, PII or datetimes. The
    target is always redrawn, never pinned, in a stress.
    """
    cols = dataset.schema.features()
    cats = [c for c in cols if c in set(dataset.schema.categorical)]
    target = dataset.schema.target
    if target and target in dataset.frame.columns:
        cols = [*cols, target]
        cats = [*cats, target]
    return cols, cats


def vae_key(dataset: Dataset, params: VAEParams) -> str:
    return fingerprint_of(VAE_ARTIFACT, VERSION, dataset.fingerprint, params.to_dict())




def load_vae(fingerprint: str) -> TabularVAE:
    reg = get_registry()
    folder = reg.artifact_dir(VAE_ARTIFACT, fingerprint)
    vae = reg.get(VAE_ARTIFACT, fingerprint, lambda device: TabularVAE.load(folder, device))
    vae.fingerprint = fingerprint
    return vae


def train_or_load_vae(dataset: Dataset, params: VAEParams | None = None, progress: Progress | None = None,
                      log_run: bool = True) -> TabularVAE:
    """The generator for ``(dataset, params)``: from memory, from its artifact, or trained now and stored."""
    params = params or VAEParams()
    fp = vae_key(dataset, params)
    reg = get_registry()
    with reg.training_lock(VAE_ARTIFACT, fp):  # two sessions asking for the same generator train it once
        if reg.has_artifact(VAE_ARTIFACT, fp):
            return load_vae(fp)
        cols, cats = vae_columns(dataset)
        device = cuda_or_cpu()
        try:
            vae = TabularVAE(params, device).fit(dataset.frame[cols], cats, progress)
        except Exception as exc:
            from core.runtime.device import fallback_to_cpu, is_oom

            if device != "cuda" or not is_oom(exc):
                raise
            device = fallback_to_cpu(str(exc))
            vae = TabularVAE(params, device).fit(dataset.frame[cols], cats, progress)

        def write(folder):
            meta = vae.write(folder)
            meta.update({"dataset_fingerprint": dataset.fingerprint, "dataset_name": dataset.name, "n_rows": len(dataset.frame)})
            return meta

        path = reg.save_artifact(VAE_ARTIFACT, fp, write)
        vae.fingerprint = fp
        reg.put(VAE_ARTIFACT, fp, vae, device)
        if log_run:
            _log(VAE_RUN_KIND, dataset, name=f"Scenario generator on {dataset.name}", params=params.to_dict(), seed=params.seed,
                 model_fingerprint=fp, result={**vae.history_.to_dict(), "columns": vae.columns}, artifact=str(path))
        return vae


def latest_vae(dataset: Dataset) -> TabularVAE | None:
    """The newest stored generator trained on this dataset, or ``None``."""
    for meta in get_registry().list_artifacts(VAE_ARTIFACT):
        if meta.get("dataset_fingerprint") == dataset.fingerprint:
            return load_vae(meta["fingerprint"])
    return None


def credit_model_for(dataset: Dataset):
    """The newest credit model of this dataset, or :class:`NoCreditModelError` saying how to get one."""
    try:
        from core.credit.service import latest_model
    except ImportError as exc:  # the credit package is not installed in this build
        raise NoCreditModelError("The credit model is not available in this installation.",
                                 "Install the credit module, then train a model on the Credit explanation page.") from exc
    model = latest_model(dataset)
    if model is None:
        raise NoCreditModelError("No credit model has been trained on this dataset yet; scenarios need one to score PD.",
                                 "Train one on the Credit explanation page, or with the button here.")
    return model


def _log(kind: str, dataset: Dataset, **kw) -> str | None:
    from core.workspace import get_workspace

    try:
        return get_workspace().log_run(kind, dataset_fingerprint=dataset.fingerprint, **kw)
    except WorkspaceError as exc:
        logger.warning("The %s run could not be logged: %s", kind, exc)
        return None


# ---- scenario runs ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ScenarioParams:
    """Everything besides the scenario that defines a run; stored with it."""

    mode: Literal["stress", "generate"] = "stress"
    n_rows: int | None = None  # stress: all customers when None; generate: 100,000 when None
    n_draws: int = 10_000
    seed: int = 42
    dependents: tuple[str, ...] | None = None  # None: the columns most correlated with the drivers
    shap_rows: int = 1_000
    segment_column: str | None = None
    n_buckets: int = 256

    def __post_init__(self) -> None:
        if self.mode not in ("stress", "generate"):
            raise InputError(f"Unknown mode '{self.mode}'.", "Use 'stress' (existing customers) or 'generate' (a new portfolio).")
        if not 1_000 <= self.n_draws <= 1_000_000:
            raise InputError("Monte Carlo draws must lie between 1,000 and 1,000,000.")
        if self.n_rows is not None and not 100 <= self.n_rows <= 5_000_000:
            raise InputError("The portfolio size must lie between 100 and 5,000,000 rows.")
        if self.dependents is not None:
            object.__setattr__(self, "dependents", tuple(self.dependents))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["dependents"] = None if self.dependents is None else list(self.dependents)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> ScenarioParams:
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


@dataclass
class _Side:
    """One side of a comparison (baseline or stressed): rows and per-exposure figures."""

    rows: pd.DataFrame
    pd_model: np.ndarray
    pd: np.ndarray
    lgd: np.ndarray
    ead: np.ndarray
    dist: L.LossDistribution
    shap_mean: pd.Series


@dataclass
class ScenarioResult:
    """A scenario against its baseline. Arrays are per exposure, in the same row order on both sides."""

    scenario: Scenario
    params: ScenarioParams
    metrics: pd.DataFrame  # index: metric, columns: baseline, stressed, change
    by_product: pd.DataFrame
    by_segment: pd.DataFrame | None
    shap_delta: pd.DataFrame  # feature, baseline, stressed, delta (mean log-odds)
    overlay: pd.DataFrame
    extrapolations: list[Extrapolation]
    notes: list[str]
    pinned: list[str]
    dependents: list[str]
    bindings: dict[str, Binding]
    products: np.ndarray = field(repr=False)
    ead: np.ndarray = field(repr=False)
    pd_base: np.ndarray = field(repr=False)
    pd_stress: np.ndarray = field(repr=False)
    lgd_base: np.ndarray = field(repr=False)
    lgd_stress: np.ndarray = field(repr=False)
    loss_base: np.ndarray = field(repr=False)
    loss_stress: np.ndarray = field(repr=False)
    ifrs9: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)
    fingerprints: dict = field(default_factory=dict)
    stressed_sample: pd.DataFrame | None = field(default=None, repr=False)

    def headline(self) -> dict:
        m = self.metrics
        return {k: float(m.loc[k, "stressed"]) for k in m.index}

    def summary(self) -> dict:
        """JSON-safe figures for the run log (what a reopened run must reproduce)."""
        return {"scenario": self.scenario.to_dict(), "metrics": {k: {c: float(v) for c, v in row.items()}
                                                                 for k, row in self.metrics.to_dict("index").items()},
                "by_product": self.by_product.to_dict("records"), "ifrs9": self.ifrs9, "pinned": self.pinned,
                "dependents": self.dependents, "extrapolations": [e.message for e in self.extrapolations],
                "notes": self.notes, "timings": self.timings, "fingerprints": self.fingerprints}


class ScenarioEngine:
    """Runs scenarios for one (dataset, generator, scorer); caches the baseline per run settings."""

    def __init__(self, dataset: Dataset, vae: TabularVAE, scorer: Scorer, presets: Presets | None = None) -> None:
        if not isinstance(scorer, Scorer):
            raise NoCreditModelError("The scoring model lacks predict_pd / feature_names / explain.")
        self.dataset = dataset
        self.vae = vae
        self.scorer = scorer
        self.presets = presets or load_presets()
        self._lock = threading.RLock()
        self._baselines: dict[str, dict] = {}
        schema = dataset.schema
        frame = dataset.frame
        self.bindings = bind_drivers(frame, schema, self.presets, list(scorer.feature_names))
        self.ead_col = schema.semantics.get("ead")
        self.collateral_col = schema.semantics.get("collateral") if schema.semantics.get("collateral") in frame.columns else None
        self.product_col = schema.semantics.get("product_type")
        missing = [f for f in scorer.feature_names if f not in vae.columns]
        if missing:
            raise InputError(f"The credit model uses columns the generator does not model: {', '.join(missing[:5])}.",
                             "Train the credit model and the generator on the same dataset.")

    @property
    def fingerprints(self) -> dict:
        return {"dataset": self.dataset.fingerprint, "vae": getattr(self.vae, "fingerprint", None),
                "scorer": scorer_fingerprint(self.scorer)}

    def driver_columns(self) -> list[str]:
        cols = [b.column for b in self.bindings.values() if b.column]
        if self.collateral_col and any(self.presets.drivers[k].collateral_products for k, b in self.bindings.items() if b.column):
            cols.append(self.collateral_col)
        return list(dict.fromkeys(c for c in cols if c in self.vae.columns))

    def dependents(self, params: ScenarioParams) -> list[str]:
        if params.dependents is not None:
            bad = [c for c in params.dependents if c not in self.vae.columns]
            if bad:
                raise InputError(f"Unknown columns to redraw: {', '.join(bad)}.")
            return [c for c in params.dependents if c not in self.driver_columns()]
        exclude = [c for c in (self.ead_col, self.product_col, self.collateral_col) if c]
        return default_dependents(self.dataset.frame[self.vae.columns], self.driver_columns(), exclude, seed=params.seed)

    # ---- the baseline ------------------------------------------------------------------------
    def _base_rows(self, params: ScenarioParams) -> pd.DataFrame:
        frame = self.dataset.frame[self.vae.columns]
        if params.mode == "generate":
            return self.vae.sample(params.n_rows or 100_000, seed=params.seed)
        if params.n_rows is None or params.n_rows == len(frame):
            return frame.reset_index(drop=True)
        rng = np.random.default_rng(params.seed)
        idx = rng.choice(len(frame), params.n_rows, replace=params.n_rows > len(frame))
        return frame.iloc[np.sort(idx)].reset_index(drop=True)

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
        zero = Scenario("baseline", "Baseline")
        shocked = shocked_columns(base_rows, zero, self.bindings, self.presets, products, self.collateral_col)
        shocked = {c: v for c, v in shocked.items() if c in self.vae.columns}
        rows = self._redraw(base_rows, shocked, dependents, params)
        factor = np.random.default_rng([params.seed, 2]).standard_normal(params.n_draws)
        shap_idx = np.sort(np.random.default_rng([params.seed, 3]).choice(len(rows), min(params.shap_rows, len(rows)), replace=False))
        side = self._side(rows, np.zeros(len(rows)), products, 0.0, factor, params, shap_idx)
        entry = {"base_rows": base_rows, "products": products, "side": side, "factor": factor, "dependents": dependents,
                 "shap_idx": shap_idx, "seconds": time.perf_counter() - t0}
        with self._lock:
            if len(self._baselines) >= 4:
                self._baselines.pop(next(iter(self._baselines)))
            self._baselines[key] = entry
        return entry

    def _redraw(self, base_rows: pd.DataFrame, shocked: dict, dependents: list[str], params: ScenarioParams) -> pd.DataFrame:
        target = self.dataset.schema.target
        resample = [*dependents, target] if target in self.vae.columns else list(dependents)
        if not resample:
            return base_rows.assign(**shocked)
        return self.vae.stress(base_rows, shocked, resample, seed=params.seed + 1)

    def _side(self, rows: pd.DataFrame, log_odds: np.ndarray, products: np.ndarray, addon: float,
              factor: np.ndarray, params: ScenarioParams, shap_idx: np.ndarray) -> _Side:
        feats = list(self.scorer.feature_names)
        pd_model = np.asarray(self.scorer.predict_pd(rows[feats]), dtype=np.float64)
        pd_ = apply_log_odds(pd_model, log_odds) if np.any(log_odds != 0) else pd_model
        ead, _ = L.exposure(rows, self.dataset.schema)
        lgd = L.lgd(products, ead, L.collateral(rows, self.dataset.schema), self.presets.lgd["products"], addon)
        dist = L.simulate_losses(pd_, lgd, ead, products, self.presets.correlation, params.n_draws, params.seed,
                                 params.n_buckets, factor)
        shap_mean = pd.Series(dtype=float)
        if params.shap_rows > 0 and hasattr(self.scorer, "explain"):
            try:
                expl = self.scorer.explain(rows.iloc[shap_idx][feats])
                shap_mean = pd.Series(np.asarray(expl.values).mean(axis=0), index=list(expl.feature_names))
            except Exception as exc:  # explanations are a view; a failure must not lose the run
                logger.warning("SHAP deltas unavailable: %s", exc)
        return _Side(rows, pd_model, pd_, lgd, ead, dist, shap_mean)

    # ---- a run -------------------------------------------------------------------------------
    def run(self, scenario: Scenario, params: ScenarioParams | None = None) -> ScenarioResult:
        params = params or ScenarioParams()
        t0 = time.perf_counter()
        base = self.baseline(params)
        t_base = time.perf_counter() - t0
        base_rows, products, b = base["base_rows"], base["products"], base["side"]
        dependents = base["dependents"]
        shocked = shocked_columns(base_rows, scenario, self.bindings, self.presets, products, self.collateral_col)
        shocked = {c: v for c, v in shocked.items() if c in self.vae.columns}
        t1 = time.perf_counter()
        if scenario.is_baseline() and scenario.lgd_downturn_addon == 0:
            rows = b.rows
        else:
            rows = self._redraw(base_rows, shocked, dependents, params)
        t_gen = time.perf_counter() - t1
        seen = {c: r for c in shocked if isinstance(r := self.vae.seen_range(c), tuple)}
        overlay = macro_overlay(base_rows, shocked, scenario, self.bindings, self.presets, products, seen)
        t2 = time.perf_counter()
        s = self._side(rows, overlay.log_odds, products, scenario.lgd_downturn_addon, base["factor"], params, base["shap_idx"])
        t_score = time.perf_counter() - t2
        extrap = self.vae.check_pins(pd.DataFrame({c: v for c, v in shocked.items()}))
        notes = self._notes(scenario, params, dependents, extrap)
        result = ScenarioResult(
            scenario=scenario, params=params, metrics=_metrics(b, s), by_product=_by_group(products, b, s, "product"),
            by_segment=self._by_segment(rows, b, s, params), shap_delta=_shap_delta(b, s, overlay.table),
            overlay=overlay.table, extrapolations=extrap, notes=notes, pinned=list(shocked), dependents=dependents,
            bindings=self.bindings, products=products, ead=s.ead, pd_base=b.pd, pd_stress=s.pd, lgd_base=b.lgd,
            lgd_stress=s.lgd, loss_base=b.dist.losses, loss_stress=s.dist.losses,
            ifrs9=L.ecl_staging(b.pd, s.pd, s.lgd, s.ead, L.lifetime_years(rows, products)),
            fingerprints=self.fingerprints, stressed_sample=rows.head(200))
        result.timings = {"baseline_s": round(t_base, 3), "generate_s": round(t_gen, 3), "score_and_loss_s": round(t_score, 3),
                          "total_s": round(time.perf_counter() - t0, 3), "rows": len(rows)}
        return result

    def _notes(self, scenario: Scenario, params: ScenarioParams, dependents: list[str],
               extrap: list[Extrapolation]) -> list[str]:
        notes = []
        ead_note = L.exposure(self.dataset.frame.head(5), self.dataset.schema)[1]
        notes.append(ead_note)
        unbound = [self.presets.drivers[k].label for k, b in self.bindings.items() if b.column is None and scenario.shocks.get(k)]
        if unbound:
            notes.append(f"No column carries {', '.join(unbound)} in this data: those shocks reach PD only through the macro overlay.")
        if not dependents:
            notes.append("No dependent column is redrawn: the stress moves only the shocked drivers themselves.")
        notes.extend(e.message for e in extrap)
        if params.mode == "generate":
            notes.append(f"A new portfolio of {params.n_rows or 100_000:,} rows was generated by the VAE, then stressed.")
        return notes

    def _by_segment(self, rows: pd.DataFrame, b: _Side, s: _Side, params: ScenarioParams) -> pd.DataFrame | None:
        col = params.segment_column
        if col is None:
            cats = [c for c in self.dataset.schema.categorical if c in rows.columns and c != self.product_col]
            col = "region" if "region" in cats else next((c for c in cats if rows[c].nunique() <= 12), None)
        if col is None or col not in rows.columns:
            return None
        return _by_group(rows[col].astype(str).to_numpy(), b, s, col)

    def ifrs9_view(self, results: list[ScenarioResult]) -> pd.DataFrame:
        """Probability-weighted ECL across scenario results, with each one's weight."""
        rows = [{"name": r.scenario.name, "weight": r.scenario.ifrs9_weight, **r.ifrs9} for r in results]
        agg = L.probability_weighted(rows)
        frame = pd.DataFrame(rows)
        frame["weight_used"] = frame["name"].map(agg["weights"]).fillna(0.0)
        frame.attrs.update({"weighted_ecl": agg["weighted_ecl"], "weighted_ecl_12m": agg["weighted_ecl_12m"]})
        return frame


def _metrics(b: _Side, s: _Side) -> pd.DataFrame:
    def figures(x: _Side) -> dict:
        sm = x.dist.summary
        return {"expected_default_rate": float(x.pd.mean()), "exposure_weighted_pd": float(np.average(x.pd, weights=np.maximum(x.ead, 1e-12))),
                "mean_lgd": float(np.average(x.lgd, weights=np.maximum(x.ead, 1e-12))), "expected_loss": sm["expected_loss"],
                "el_rate": sm["el_rate"], "var_99": sm["var_99"], "var_999": sm["var_999"], "es_99": sm["es_99"],
                "es_999": sm["es_999"], "default_rate_p99": float(np.quantile(x.dist.default_rates, 0.99)),
                "asrf_var_999": sm["asrf_var_999"], "exposure": sm["exposure"]}
    fb, fs = figures(b), figures(s)
    m = pd.DataFrame({"baseline": fb, "stressed": fs})
    m["change"] = m["stressed"] - m["baseline"]
    m["change_pct"] = np.where(m["baseline"] != 0, m["change"] / m["baseline"].abs() * 100, np.nan)
    return m


def _by_group(groups: np.ndarray, b: _Side, s: _Side, name: str) -> pd.DataFrame:
    df = pd.DataFrame({name: groups, "ead": s.ead, "pd_base": b.pd, "pd_stress": s.pd,
                       "el_base": b.pd * b.lgd * b.ead, "el_stress": s.pd * s.lgd * s.ead})
    g = df.groupby(name, observed=True).agg(customers=("ead", "size"), exposure=("ead", "sum"), pd_base=("pd_base", "mean"),
                                            pd_stress=("pd_stress", "mean"), el_base=("el_base", "sum"),
                                            el_stress=("el_stress", "sum")).reset_index()
    g["el_change"] = g["el_stress"] - g["el_base"]
    g["el_change_pct"] = np.where(g["el_base"] > 0, g["el_change"] / g["el_base"] * 100, np.nan)
    return g.sort_values("el_change", ascending=False).reset_index(drop=True)


def _shap_delta(b: _Side, s: _Side, overlay: pd.DataFrame) -> pd.DataFrame:
    """Mean SHAP (log-odds) per feature, baseline vs stressed, plus the overlay's own lines."""
    rows = []
    if not b.shap_mean.empty and not s.shap_mean.empty:
        for f in b.shap_mean.index:
            rows.append({"feature": f, "baseline": float(b.shap_mean[f]), "stressed": float(s.shap_mean.get(f, 0.0)),
                         "source": "credit model (SHAP)"})
    for r in overlay.to_dict("records"):
        if r["mean_log_odds"] != 0:
            rows.append({"feature": f"overlay: {r['driver']}", "baseline": 0.0, "stressed": r["mean_log_odds"],
                         "source": "macro overlay"})
    df = pd.DataFrame(rows, columns=["feature", "baseline", "stressed", "source"])
    df["delta"] = df["stressed"] - df["baseline"]
    return df.reindex(df["delta"].abs().sort_values(ascending=False).index).reset_index(drop=True)


# ---- runs in the workspace --------------------------------------------------------------------
def save_run(result: ScenarioResult, dataset: Dataset, name: str | None = None) -> str:
    """Record the run (scenario, params, seed, fingerprints, figures, tables) in the workspace."""
    from core.workspace import get_workspace

    q = np.linspace(0, 1, 201)
    quantiles = pd.DataFrame({"q": q, "baseline": np.quantile(result.loss_base, q), "stressed": np.quantile(result.loss_stress, q)})
    params = {"scenario": result.scenario.to_dict(), "params": result.params.to_dict(), **{f"{k}_fingerprint": v for k, v in result.fingerprints.items()}}
    return get_workspace().log_run(
        RUN_KIND, name=name or f"{result.scenario.name} on {dataset.name}", params=params, seed=result.params.seed,
        dataset_fingerprint=dataset.fingerprint, model_fingerprint=result.fingerprints.get("scorer"),
        result=result.summary(), artifact=result.fingerprints.get("vae"),
        tables={"by_product": result.by_product, "loss_quantiles": quantiles, "shap_delta": result.shap_delta})


def reproduce_run(run_id: str, engine: ScenarioEngine) -> ScenarioResult:
    """Re-run a saved scenario run with its stored scenario, parameters and seed."""
    from core.workspace import get_workspace

    rec = get_workspace().get_run(run_id)
    if rec.kind != RUN_KIND:
        raise InputError(f"Run {run_id} is a {rec.kind} run, not a scenario run.")
    stored = rec.params.get("vae_fingerprint")
    if stored and stored != engine.fingerprints.get("vae"):
        raise InputError("This run used another scenario generator than the one loaded now.",
                         "Load the generator it used (same dataset and training settings) to reproduce it exactly.")
    return engine.run(Scenario.from_dict(rec.params["scenario"]), ScenarioParams.from_dict(rec.params["params"]))


def saved_runs(dataset: Dataset) -> pd.DataFrame:
    from core.workspace import get_workspace

    return get_workspace().runs(kind=RUN_KIND, dataset_fingerprint=dataset.fingerprint)
