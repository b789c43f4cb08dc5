"""What a scenario run is given (:class:`ScenarioParams`) and what it returns (:class:`ScenarioResult`).

Arrays in a result are per exposure, in the same row order on both sides. ``metrics`` has the
baseline and stressed figures side by side (index: metric); every table is plain data, so a run
reads the same on the page, in the report, in the CLI's JSON and in the workspace's run log.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from pandas import Series

from core.errors import InputError
from core.scenarios import loss as L
from core.scenarios.errors import Extrapolation
from core.scenarios.limits import DRAWS, PORTFOLIO_ROWS
from core.scenarios.presets import Scenario
from core.scenarios.transmission import Binding


@dataclass(frozen=True)
class ScenarioParams:
    """Everything besides the scenario that defines a run; stored with it."""

    mode: Literal["stress", "generate"] = "stress"
    n_rows: int | None = None  # stress: all customers when None; generate: 100,000 when None
    n_draws: int = 10_000
    seed: int = 42
    dependents: tuple[str, ...] | None = None  # None: the columns that move with the economy in the history
    shap_rows: int = 1_000
    segment_column: str | None = None
    n_buckets: int = 256

    def __post_init__(self) -> None:
        if self.mode not in ("stress", "generate"):
            raise InputError(f"Unknown mode '{self.mode}'.", "Use 'stress' (existing customers) or 'generate' (a new portfolio).")
        if not DRAWS[0] <= self.n_draws <= DRAWS[1]:
            raise InputError(f"Monte Carlo draws must lie between {DRAWS[0]:,} and {DRAWS[1]:,}.")
        if self.n_rows is not None and not PORTFOLIO_ROWS[0] <= self.n_rows <= PORTFOLIO_ROWS[1]:
            raise InputError(f"The portfolio size must lie between {PORTFOLIO_ROWS[0]:,} and {PORTFOLIO_ROWS[1]:,} rows.")
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
class Side:
    """One side of a comparison (baseline or stressed): rows and per-exposure figures."""

    rows: pd.DataFrame
    pd_model: np.ndarray
    pd: np.ndarray
    lgd: np.ndarray
    ead: np.ndarray
    dist: L.LossDistribution
    shap_mean: Series  # the module name is taken by the field above


@dataclass
class ScenarioResult:
    """A scenario against its baseline."""

    scenario: Scenario
    params: ScenarioParams
    metrics: pd.DataFrame  # index: metric; columns: baseline, stressed, change, change_pct
    by_product: pd.DataFrame
    by_segment: pd.DataFrame | None
    shap_delta: pd.DataFrame  # feature, baseline, stressed, delta (mean log-odds), source
    channels: pd.DataFrame  # one line per driver: shock, column, channel, mean log-odds outside the model
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
    ifrs9: dict = field(default_factory=dict)  # stressed staging: table, stage2_share, ecl, ecl_12m (+ baseline_*)
    satellite_band: dict = field(default_factory=dict)  # EL with the satellite's coefficients at their 95% bounds
    timings: dict = field(default_factory=dict)
    fingerprints: dict = field(default_factory=dict)
    stressed_sample: pd.DataFrame | None = field(default=None, repr=False)

    def headline(self) -> dict:
        m = self.metrics
        return {k: float(m.loc[k, "stressed"]) for k in m.index}

    def summary(self) -> dict:
        """JSON-safe figures for the run log (what a reopened run must reproduce)."""
        ifrs9 = {k: v for k, v in self.ifrs9.items() if not isinstance(v, pd.DataFrame)}
        return {"scenario": self.scenario.to_dict(),
                "metrics": {k: {c: float(v) for c, v in row.items()} for k, row in self.metrics.to_dict("index").items()},
                "by_product": self.by_product.to_dict("records"), "ifrs9": ifrs9, "pinned": self.pinned,
                "dependents": self.dependents, "extrapolations": [e.message for e in self.extrapolations],
                "notes": self.notes, "timings": self.timings, "fingerprints": self.fingerprints,
                "satellite_band": self.satellite_band, "channels": self.channels.to_dict("records")}

    def cli_figures(self) -> dict:
        """The ``studio scenario run`` contract: stressed figures, the same keys for the baseline, warnings."""
        m = self.metrics

        def side(col: str) -> dict:
            return {"default_rate": float(m.loc["expected_default_rate", col]),
                    "expected_loss": float(m.loc["expected_loss", col]), "var_99": float(m.loc["var_99", col]),
                    "var_99_9": float(m.loc["var_999", col]), "es_99": float(m.loc["es_99", col])}

        return {"preset": self.scenario.key, **side("stressed"), "baseline": side("baseline"),
                "warnings": [e.message for e in self.extrapolations],
                "stage2_share": self.ifrs9.get("stage2_share"), "ecl": self.ifrs9.get("ecl"),
                "channels": self.channels.to_dict("records"), "fingerprints": self.fingerprints}


def metrics_table(b: Side, s: Side) -> pd.DataFrame:
    def figures(x: Side) -> dict:
        sm = x.dist.summary
        w = np.maximum(x.ead, 1e-12)
        return {"expected_default_rate": float(x.pd.mean()), "exposure_weighted_pd": float(np.average(x.pd, weights=w)),
                "mean_lgd": float(np.average(x.lgd, weights=w)), "expected_loss": sm["expected_loss"],
                "el_rate": sm["el_rate"], "var_99": sm["var_99"], "var_999": sm["var_999"], "es_99": sm["es_99"],
                "es_999": sm["es_999"], "default_rate_p99": float(np.quantile(x.dist.default_rates, 0.99)),
                "asrf_var_999": sm["asrf_var_999"], "exposure": sm["exposure"]}

    m = pd.DataFrame({"baseline": figures(b), "stressed": figures(s)})
    m["change"] = m["stressed"] - m["baseline"]
    m["change_pct"] = np.where(m["baseline"] != 0, m["change"] / m["baseline"].abs(), np.nan)
    return m


def by_group(groups: np.ndarray, b: Side, s: Side, name: str) -> pd.DataFrame:
    df = pd.DataFrame({name: groups, "ead": s.ead, "pd_base": b.pd, "pd_stress": s.pd,
                       "el_base": b.pd * b.lgd * b.ead, "el_stress": s.pd * s.lgd * s.ead})
    g = df.groupby(name, observed=True).agg(customers=("ead", "size"), exposure=("ead", "sum"), pd_base=("pd_base", "mean"),
                                            pd_stress=("pd_stress", "mean"), el_base=("el_base", "sum"),
                                            el_stress=("el_stress", "sum")).reset_index()
    g["el_change"] = g["el_stress"] - g["el_base"]
    g["el_change_pct"] = np.where(g["el_base"] > 0, g["el_change"] / g["el_base"], np.nan)
    return g.sort_values("el_change", ascending=False).reset_index(drop=True)


SHAP_SOURCE = "credit model (SHAP)"  # the source of a :func:`shap_delta` line that is a model feature (a raw column)


def shap_delta(b: Side, s: Side, channels: pd.DataFrame) -> pd.DataFrame:
    """Mean SHAP (log-odds) per model feature, baseline vs stressed, plus each outside-the-model line."""
    rows = []
    if not b.shap_mean.empty and not s.shap_mean.empty:
        for f in b.shap_mean.index:
            rows.append({"feature": f, "baseline": float(b.shap_mean[f]), "stressed": float(s.shap_mean.get(f, 0.0)),
                         "source": SHAP_SOURCE})
    for r in channels.to_dict("records"):
        if r["mean_log_odds"] != 0:
            rows.append({"feature": f"{r['source']}: {r['driver']}", "baseline": 0.0, "stressed": r["mean_log_odds"],
                         "source": r["source"]})
    df = pd.DataFrame(rows, columns=["feature", "baseline", "stressed", "source"])
    df["delta"] = df["stressed"] - df["baseline"]
    return df.reindex(df["delta"].abs().sort_values(ascending=False).index).reset_index(drop=True)
