"""Scenario runs in the workspace: save one, list them, reopen one exactly as it was.

A saved run records the scenario, the run settings, the seed, every fingerprint (dataset,
generator, credit model, satellite), the user, the headline figures and the tables behind the
charts. Reopening returns the stored scenario and settings (so the page can put its widgets back)
and the run reproduced with them, checked against the stored expected loss.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.auth import LOCAL_USER, User
from core.data import Dataset
from core.errors import InputError
from core.scenarios.engine import ScenarioEngine
from core.scenarios.presets import Scenario
from core.scenarios.results import ScenarioParams, ScenarioResult

RUN_KIND = "scenario"


def default_name(result: ScenarioResult, dataset: Dataset) -> str:
    return f"{result.scenario.name} on {dataset.name} (seed {result.params.seed})"


def save_run(result: ScenarioResult, dataset: Dataset, name: str | None = None, user: User = LOCAL_USER) -> str:
    """Record the run in the workspace; returns its run id."""
    from core.workspace import get_workspace

    q = np.linspace(0, 1, 201)
    quantiles = pd.DataFrame({"q": q, "baseline": np.quantile(result.loss_base, q), "stressed": np.quantile(result.loss_stress, q)})
    params = {"scenario": result.scenario.to_dict(), "params": result.params.to_dict(),
              **{f"{k}_fingerprint": v for k, v in result.fingerprints.items()}}
    tables = {"by_product": result.by_product, "loss_quantiles": quantiles, "shap_delta": result.shap_delta,
              "channels": result.channels}
    if isinstance(result.ifrs9.get("table"), pd.DataFrame):
        tables["ifrs9_staging"] = result.ifrs9["table"].astype({"stage": str})
    return get_workspace().log_run(
        RUN_KIND, name=(name or "").strip() or default_name(result, dataset), params=params, seed=result.params.seed,
        dataset_fingerprint=dataset.fingerprint, model_fingerprint=result.fingerprints.get("scorer"),
        result=result.summary(), artifact=result.fingerprints.get("generator"), tables=tables, user=user.id)


@dataclass(frozen=True)
class Reopened:
    """A saved run brought back: what it was run with, the run again, and whether it matches."""

    run_id: str
    name: str
    scenario: Scenario
    params: ScenarioParams
    result: ScenarioResult
    stored_expected_loss: float
    identical: bool


def reopen_run(run_id: str, engine: ScenarioEngine) -> Reopened:
    """Re-run a saved scenario run with its stored scenario, settings and seed."""
    from core.workspace import get_workspace

    rec = get_workspace().get_run(run_id)
    if rec.kind != RUN_KIND:
        raise InputError(f"Run {run_id} is a {rec.kind} run, not a scenario run.")
    stored = rec.params.get("generator_fingerprint")
    if stored and stored != engine.fingerprints.get("generator"):
        raise InputError("This run used another scenario generator than the one loaded now.",
                         f"Pick generator {stored} under 'Scenario generator' to reproduce it exactly.")
    scorer = rec.params.get("scorer_fingerprint")
    if scorer and scorer != engine.fingerprints.get("scorer"):
        raise InputError("This run used another credit model than the current one.",
                         f"Load credit model {scorer} on the Credit explanation page to reproduce it exactly.")
    scenario = Scenario.from_dict(rec.params["scenario"])
    params = ScenarioParams.from_dict(rec.params["params"])
    result = engine.run(scenario, params)
    el = float(rec.result["metrics"]["expected_loss"]["stressed"])
    same = bool(np.isclose(el, result.metrics.loc["expected_loss", "stressed"], rtol=1e-9, atol=1e-6))
    return Reopened(run_id, rec.name, scenario, params, result, el, same)


def saved_runs(dataset: Dataset) -> pd.DataFrame:
    from core.workspace import get_workspace

    return get_workspace().runs(kind=RUN_KIND, dataset_fingerprint=dataset.fingerprint)
